package platform

import (
	"fmt"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ecr"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/secretsmanager"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/docustack/infrastructure/components"
)

// Preflight: before any workload is registered, the program asks AWS
// whether what the workloads need from outside it is there: each configured
// image tag in its ECR repository, and a current value in each secret an
// operator sets (the database roles' secrets are DB-init's to write). It
// runs at preview as at update, so a missing image or secret is a clear
// error before anything changes, instead of a service that the circuit
// breaker stops.
//
// On a first deploy into an empty account none of the platform's
// repositories exists yet: the program then deploys the foundation, the
// repositories and the operator secrets (empty), and stops there with the
// list of what to push and set; the next `pulumi up` deploys the workloads.

// imageNeed is one image the workloads run.
type imageNeed struct{ key, repo, tag string }

// secretNeed is one secret an operator must set.
type secretNeed struct{ app, name string }

// preflightResult is what the workloads read: whether this is the first
// deploy, and the image digests and secret versions that the services'
// redeploy triggers carry (self-recovery: a new push or a new secret value
// rolls the service on the next `pulumi up`).
type preflightResult struct {
	fresh          bool
	digests        map[string]string // repository -> image digest
	secretVersions map[string]string // secret name -> AWSCURRENT version ID
	next           []string          // first deploy: what to do before the next up
	pending        map[string]bool   // secret name -> new in this deploy, not yet set
	// late are the digests of images whose repository did not exist when
	// the preflight ran, asked once the repository does (awaitImage).
	late map[string]pulumi.StringOutput
}

// digest is a repository's image digest: known, or asked once the
// repository exists; nil for an image the stack does not run.
func (p *preflightResult) digest(repo string) pulumi.StringInput {
	if d := p.digests[repo]; d != "" {
		return pulumi.String(d)
	}
	if d, ok := p.late[repo]; ok {
		return d
	}
	return nil
}

// awaitImage asks for an image once its repository exists. A repository
// that did not exist when the preflight ran is either new in this version of
// the program (an upgrade: this deploy creates it, then finds it empty) or
// was deleted outside Pulumi (its name is known from the state at once):
// either way the services that run it are not registered past this error,
// so nothing rolls onto an image that is not there.
func awaitImage(ctx *pulumi.Context, c *Config, n imageNeed, repoName pulumi.StringOutput, opts []pulumi.InvokeOption) pulumi.StringOutput {
	return repoName.ApplyT(func(name string) (string, error) {
		img, err := ecr.GetImage(ctx, &ecr.GetImageArgs{RepositoryName: name, ImageTag: pulumi.StringRef(n.tag)}, opts...)
		switch {
		case err != nil && strings.Contains(err.Error(), "RepositoryNotFoundException"):
			return "", fmt.Errorf("%s:%s: repository %s does not exist while the platform's other repositories do and the stack's state says it does: "+
				"run `pulumi refresh` and check that nobody deleted it", Namespace, n.key, name)
		case err != nil:
			return "", fmt.Errorf("%s:%s: repository %s is new in this deploy and now exists, without image %s (%v); put it there: %s, then run pulumi up again",
				Namespace, n.key, name, n.tag, firstLine(err), c.pushCommand(n))
		}
		return img.ImageDigest, nil
	}).(pulumi.StringOutput)
}

// ready keeps the secrets a service may reference now: a secret new in this
// deploy is created empty and left out of the task definition (ECS would
// fail every task start on a secret without a value, and the circuit
// breaker roll the deploy back); the next preview refuses it until it is
// set, and the up after that adds it, the version rolling the service.
func (p *preflightResult) ready(c *Config, app string, secrets map[string]pulumi.StringInput) map[string]pulumi.StringInput {
	out := map[string]pulumi.StringInput{}
	for name, arn := range secrets {
		if !p.pending[c.secretName(app, name)] {
			out[name] = arn
		}
	}
	return out
}

func (c *Config) imageNeeds() []imageNeed {
	needs := []imageNeed{
		{KeyWeb + ".imageTag", "web", c.Web.ImageTag},
		{KeyWeb + ".tlsProxyImageTag", "tls-proxy", c.Web.TLSProxyImageTag},
		{KeyWorkers + ".imageTag", "workers", c.Workers.ImageTag},
		{KeySlackBot + ".imageTag", "slack-bot", c.SlackBot.ImageTag},
		{KeyDBInit + ".imageTag", "db-init", c.DBInit.ImageTag},
		// Temporal's images, built from Docker Hub's into the account's
		// registry by the image workflow (images/, `docustack images`).
		{KeyTemporal + ".version", components.TemporalServerRepository, c.temporalVersion()},
		{KeyTemporal + ".version", components.TemporalAdminToolsRepository, components.AdminToolsTags[c.temporalVersion()]},
		{KeyTemporal + ".uiVersion", components.TemporalUIRepository, c.temporalUIVersion()},
	}
	if c.Temporal.metricsOn() {
		needs = append(needs, imageNeed{KeyTemporal + ".collectorVersion", components.CollectorRepository, c.collectorVersion()})
	}
	return needs
}

// collectorVersion is the configured metrics collector release or the default.
func (c *Config) collectorVersion() string {
	if c.Temporal.CollectorVersion != "" {
		return c.Temporal.CollectorVersion
	}
	return components.DefaultCollectorVersion
}

// temporalVersion and temporalUIVersion are the configured releases or the
// component's defaults.
func (c *Config) temporalVersion() string {
	if c.Temporal.Version != "" {
		return c.Temporal.Version
	}
	return components.DefaultTemporalVersion
}

func (c *Config) temporalUIVersion() string {
	if c.Temporal.UIVersion != "" {
		return c.Temporal.UIVersion
	}
	return components.DefaultTemporalUIVersion
}

// registryHost is the account's ECR registry.
func (c *Config) registryHost() string {
	return fmt.Sprintf("%s.dkr.ecr.%s.amazonaws.com", c.AccountID, c.Region)
}

// pushCommand is what puts a missing image in place: the image workflow's
// command for the images built from this repository, a push otherwise.
func (c *Config) pushCommand(n imageNeed) string {
	if _, ok := builtHere[n.repo]; ok {
		return fmt.Sprintf("go run ./cmd/docustack images --stack %s | bash   (after docker login to the registry; or run the images workflow)", c.Environment)
	}
	return fmt.Sprintf("docker push %s/%s/%s:%s", c.registryHost(), c.prefix(), n.repo, n.tag)
}

// databaseSecrets are the role passwords DB-init writes; their versions roll
// the services that read them.
var databaseSecrets = []string{"TEMPORAL_PASSWORD"}

// operatorSecrets are the secrets whose values an operator sets.
func (c *Config) operatorSecrets() []secretNeed {
	var out []secretNeed
	for _, s := range slackBotSecrets {
		out = append(out, secretNeed{"slack-bot", s})
	}
	for _, s := range c.Web.Secrets {
		out = append(out, secretNeed{"web", s})
	}
	return out
}

// secretPath is where an app's secrets live in Secrets Manager.
func (c *Config) secretPath(app string) string {
	return "docustack/" + string(c.Environment) + "/" + app
}

func (c *Config) secretName(app, name string) string { return c.secretPath(app) + "/" + name }

// slackBotSecrets are the Slack bot's tokens (Socket Mode: app and bot).
var slackBotSecrets = []string{"SLACK_BOT_TOKEN", "SLACK_APP_TOKEN"}

// runPreflight asks AWS, through the provider, and reports every problem at
// once, each with the key or secret and the command that fixes it.
func runPreflight(ctx *pulumi.Context, c *Config, repoName func(repo string) pulumi.StringOutput, opts ...pulumi.InvokeOption) (*preflightResult, error) {
	res := &preflightResult{digests: map[string]string{}, secretVersions: map[string]string{}, pending: map[string]bool{}, late: map[string]pulumi.StringOutput{}}
	registry := c.registryHost()
	var problems []string
	var absentRepos []imageNeed
	for _, n := range c.imageNeeds() {
		repo := c.prefix() + "/" + n.repo
		img, err := ecr.GetImage(ctx, &ecr.GetImageArgs{RepositoryName: repo, ImageTag: pulumi.StringRef(n.tag)}, opts...)
		switch {
		case err != nil && strings.Contains(err.Error(), "RepositoryNotFoundException"):
			absentRepos = append(absentRepos, n)
		case err != nil:
			problems = append(problems, fmt.Sprintf("%s:%s: image %s:%s is not in ECR (%v); put it there: %s",
				Namespace, n.key, repo, n.tag, firstLine(err), c.pushCommand(n)))
		default:
			res.digests[n.repo] = img.ImageDigest
		}
	}
	if len(absentRepos) == len(c.imageNeeds()) {
		// A first deploy: nothing of ours is there yet.
		res.fresh = true
		res.next = append(res.next, "aws ecr get-login-password --region "+c.Region+" | docker login --username AWS --password-stdin "+registry)
		seen := map[string]bool{}
		for _, n := range c.imageNeeds() {
			if cmd := c.pushCommand(n); !seen[cmd] {
				seen[cmd] = true
				res.next = append(res.next, fmt.Sprintf("%s   (%s:%s)", cmd, Namespace, n.key))
			}
		}
		for _, s := range c.operatorSecrets() {
			res.next = append(res.next, fmt.Sprintf("aws secretsmanager put-secret-value --secret-id %s --secret-string '<value>'", c.secretName(s.app, s.name)))
		}
		return res, nil
	}
	for _, n := range absentRepos {
		res.late[n.repo] = awaitImage(ctx, c, n, repoName(n.repo), opts)
	}
	for _, s := range c.operatorSecrets() {
		id := c.secretName(s.app, s.name)
		v, err := secretsmanager.GetSecretVersions(ctx, &secretsmanager.GetSecretVersionsArgs{SecretId: id}, opts...)
		if err != nil {
			if strings.Contains(err.Error(), "ResourceNotFoundException") {
				// New in this deploy (created empty): its service does not
				// reference it yet (ready).
				res.pending[id] = true
				ctx.Log.Warn(fmt.Sprintf("secret %s is new: this deploy creates it empty and %s does not read it yet; set it (aws secretsmanager put-secret-value --secret-id %s --secret-string '<value>') and run pulumi up again", id, s.app, id), nil)
				continue
			}
			problems = append(problems, fmt.Sprintf("secret %s: %v", id, firstLine(err)))
			continue
		}
		current := currentVersion(v)
		if current == "" {
			problems = append(problems, fmt.Sprintf("secret %s has no value, and %s reads it at start; set it: aws secretsmanager put-secret-value --secret-id %s --secret-string '<value>'", id, s.app, id))
			continue
		}
		res.secretVersions[id] = current
	}
	// The database passwords: DB-init writes them (in this deploy, when they
	// are new or empty), so an absent value is no problem here; a present
	// one is in the triggers of every service that reads it, so that a
	// rotated password rolls exactly those services.
	for _, name := range databaseSecrets {
		id := c.secretName("database", name)
		if v, err := secretsmanager.GetSecretVersions(ctx, &secretsmanager.GetSecretVersionsArgs{SecretId: id}, opts...); err == nil {
			if cur := currentVersion(v); cur != "" {
				res.secretVersions[id] = cur
			}
		} else if !strings.Contains(err.Error(), "ResourceNotFoundException") {
			problems = append(problems, fmt.Sprintf("secret %s: %v", id, firstLine(err)))
		}
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("preflight: the workloads cannot start:\n  %s", strings.Join(problems, "\n  "))
	}
	return res, nil
}

// currentVersion is the version ID staged AWSCURRENT, or "".
func currentVersion(v *secretsmanager.GetSecretVersionsResult) string {
	for _, ver := range v.Versions {
		for _, stage := range ver.VersionStages {
			if stage == "AWSCURRENT" {
				return ver.VersionId
			}
		}
	}
	return ""
}

// firstLine keeps an invoke error's first line (the provider appends its
// request details).
func firstLine(err error) string {
	s, _, _ := strings.Cut(err.Error(), "\n")
	return s
}

// triggers is what rolls a service when it changes: its images' digests and
// the versions of the secrets it reads.
func (p *preflightResult) triggers(repos []string, secrets []string) map[string]pulumi.StringInput {
	out := map[string]pulumi.StringInput{}
	for _, r := range repos {
		if d := p.digest(r); d != nil {
			out["image:"+r] = d
		}
	}
	for _, s := range secrets {
		if v := p.secretVersions[s]; v != "" {
			out["secret:"+s] = pulumi.String(v)
		}
	}
	return out
}

// secretIDs names an app's operator secrets.
func secretIDs(c *Config, app string, names ...string) []string {
	var out []string
	for _, n := range names {
		out = append(out, c.secretName(app, n))
	}
	return out
}
