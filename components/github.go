package components

import (
	"errors"
	"fmt"
	"regexp"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// GitHub Actions' OIDC issuer and audience.
const (
	GitHubOIDCHost     = "token.actions.githubusercontent.com"
	GitHubOIDCAudience = "sts.amazonaws.com"
	readOnlyPolicy     = "arn:aws:iam::aws:policy/ReadOnlyAccess"
	// adminPolicy lets the deploy role create everything the program
	// declares; it is reachable only from a GitHub environment with required
	// reviewers (see README).
	adminPolicy = "arn:aws:iam::aws:policy/AdministratorAccess"
	// roleSessionSeconds bounds a CI session.
	roleSessionSeconds = 3600
)

// CIRoleName is a stack's CI role of a kind ("preview", "drift", "deploy").
func CIRoleName(environment, kind string) string {
	return fmt.Sprintf("docustack-%s-ci-%s", environment, kind)
}

// DeployRolePattern matches every stack's CI deploy role (SCP exemptions).
const DeployRolePattern = "arn:aws:iam::*:role/docustack-*-ci-deploy"

// githubThumbprints are GitHub's OIDC certificate thumbprints; AWS no longer
// checks them for this issuer, but the API still takes a list.
var githubThumbprints = []string{"6938fd4d98bab03faadb97b34396831e3780aea1", "1c58a3a8518e8759bf075b76b750d4f2df264fcd"}

// githubName is an owner or repository name: no wildcard can pass.
var githubName = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,100}$`)

// GitHubOIDCArgs configures CI access through GitHub's OIDC provider.
type GitHubOIDCArgs struct {
	// Org and Repo name the one repository trusted. Required; wildcards are errors.
	Org, Repo string
	// Environment is the GitHub environment whose deployments may assume the deploy role. Required.
	Environment string
	// ExistingProviderArn adopts an account's existing provider (only one
	// per URL is allowed). Default: create it.
	ExistingProviderArn string
	// StateBucket and StateKeyAlias are the Pulumi state backend of this
	// account (bootstrap/). Required.
	StateBucket, StateKeyAlias string
	// AccountID owns the roles. Required.
	AccountID string
	// ReaderRoleArns are read-only roles in other accounts the preview and
	// drift roles may assume (the org stack's Log Archive reader). Default: none.
	ReaderRoleArns []string
	// Tags are the stack tags. Required: every key of StackTagKeys.
	Tags Tags
}

// Validate reports every invalid field at once.
func (a GitHubOIDCArgs) Validate() error {
	var errs []error
	for f, v := range InOrder(map[string]string{"org": a.Org, "repo": a.Repo}) {
		if !githubName.MatchString(v) || v == "." || v == ".." {
			errs = append(errs, fieldErr(f, v, "one GitHub owner or repository name, no wildcards (never repo:ORG/*)"))
		}
	}
	if !githubName.MatchString(a.Environment) {
		errs = append(errs, fieldErr("environment", a.Environment, "a GitHub environment name"))
	}
	if a.ExistingProviderArn != "" && !regexp.MustCompile(`^arn:aws:iam::[0-9]{12}:oidc-provider/`+regexp.QuoteMeta(GitHubOIDCHost)+`$`).MatchString(a.ExistingProviderArn) {
		errs = append(errs, fieldErr("oidcProviderArn", a.ExistingProviderArn, "the ARN of this account's %s provider", GitHubOIDCHost))
	}
	if !bucketNamePattern.MatchString(a.StateBucket) {
		errs = append(errs, fieldErr("stateBucket", a.StateBucket, "the state bucket's name"))
	}
	if !regexp.MustCompile(`^alias/[a-zA-Z0-9/_-]+$`).MatchString(a.StateKeyAlias) {
		errs = append(errs, fieldErr("stateKeyAlias", a.StateKeyAlias, "alias/<name> of the secrets-provider key"))
	}
	if !accountIDPattern.MatchString(a.AccountID) {
		errs = append(errs, fieldErr("accountId", a.AccountID, "a 12-digit AWS account ID"))
	}
	for i, r := range a.ReaderRoleArns {
		if !roleArnPattern.MatchString(r) {
			errs = append(errs, fieldErr(fmt.Sprintf("readerRoleArns[%d]", i), r, "a role ARN (arn:aws:iam::<account>:role/<name>)"))
		}
	}
	errs = append(errs, validateStackTags("tags", a.Tags))
	return errors.Join(errs...)
}

// PreviewSubject and DeploySubject are the only subjects the roles trust.
func (a GitHubOIDCArgs) PreviewSubject() string {
	return fmt.Sprintf("repo:%s/%s:pull_request", a.Org, a.Repo)
}

// DriftSubject is the drift role's subject: a workflow run on the default
// branch without an environment, which is what a scheduled run presents
// ("Example subject claims", GitHub's OIDC documentation). A pull request
// presents ...:pull_request and a deployment ...:environment:<name>, so
// neither can take this role.
// https://docs.github.com/en/actions/security-for-github-actions/security-hardening-your-deployments/about-security-hardening-with-openid-connect#example-subject-claims
func (a GitHubOIDCArgs) DriftSubject() string {
	return fmt.Sprintf("repo:%s/%s:ref:refs/heads/%s", a.Org, a.Repo, DefaultBranch)
}

// DefaultBranch is the branch scheduled workflows run on.
const DefaultBranch = "main"

// DeploySubject is the deploy role's subject: one repository, one environment.
func (a GitHubOIDCArgs) DeploySubject() string {
	return fmt.Sprintf("repo:%s/%s:environment:%s", a.Org, a.Repo, a.Environment)
}

// GitHubOIDC is the provider and the two CI roles of an account.
type GitHubOIDC struct {
	pulumi.ResourceState

	ProviderArn pulumi.StringOutput
	// Roles are the three role resources (what a trust naming them waits for).
	Roles          []pulumi.Resource
	PreviewRoleArn pulumi.StringOutput
	DeployRoleArn  pulumi.StringOutput
	// DriftRoleArn is the nightly drift job's read-only role.
	DriftRoleArn pulumi.StringOutput
}

// NewGitHubOIDC creates (or adopts) the IAM OIDC provider, a preview role
// trusted only for the repository's pull requests (read-only plus the state
// bucket and secrets key) and a deploy role trusted only for the repository's
// deployments to Environment.
func NewGitHubOIDC(ctx *pulumi.Context, name string, args GitHubOIDCArgs, opts ...pulumi.ResourceOption) (*GitHubOIDC, error) {
	if err := args.Validate(); err != nil {
		return nil, err
	}
	g := &GitHubOIDC{}
	if err := ctx.RegisterComponentResource(TypeGitHubOIDC, name, g, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(g)
	tags := func(child string) pulumi.StringMap { return MergeTags(args.Tags, child, Tags{TagComponent: name}) }

	if args.ExistingProviderArn != "" {
		g.ProviderArn = pulumi.String(args.ExistingProviderArn).ToStringOutput()
	} else {
		provName := childName(name, "provider")
		thumbs := pulumi.StringArray{}
		for _, t := range githubThumbprints {
			thumbs = append(thumbs, pulumi.String(t))
		}
		prov, err := iam.NewOpenIdConnectProvider(ctx, provName, &iam.OpenIdConnectProviderArgs{
			Url:             pulumi.String("https://" + GitHubOIDCHost),
			ClientIdLists:   pulumi.StringArray{pulumi.String(GitHubOIDCAudience)},
			ThumbprintLists: thumbs,
			Tags:            tags(provName),
		}, parent)
		if err != nil {
			return nil, err
		}
		g.ProviderArn = prov.Arn
	}
	trust := func(subject string) pulumi.StringOutput {
		return g.ProviderArn.ApplyT(func(arn string) string { return GitHubTrustPolicy(arn, subject) }).(pulumi.StringOutput)
	}
	state := StateAccessPolicy(args.StateBucket, args.StateKeyAlias, args.AccountID)
	role := func(kind, subject, managed, description string) (pulumi.StringOutput, error) {
		roleName := childName(name, kind)
		inline := iam.RoleInlinePolicyArray{iam.RoleInlinePolicyArgs{Name: pulumi.String("pulumi-state"), Policy: pulumi.String(state)}}
		if kind != "deploy" && len(args.ReaderRoleArns) > 0 {
			inline = append(inline, iam.RoleInlinePolicyArgs{Name: pulumi.String("assume-readers"), Policy: pulumi.String(PolicyJSON(
				PolicyStatement{Sid: "AssumeReaders", Effect: "Allow", Action: "sts:AssumeRole", Resource: args.ReaderRoleArns}))})
		}
		r, err := iam.NewRole(ctx, roleName, &iam.RoleArgs{
			// A fixed name: the organization's SCPs exempt the deploy roles by name.
			Name:               pulumi.String(CIRoleName(args.Environment, kind)),
			Description:        pulumi.String(description),
			AssumeRolePolicy:   trust(subject),
			MaxSessionDuration: pulumi.Int(roleSessionSeconds),
			InlinePolicies:     inline,
			Tags:               tags(roleName),
		}, parent)
		if err != nil {
			return pulumi.StringOutput{}, err
		}
		g.Roles = append(g.Roles, r)
		if _, err := iam.NewRolePolicyAttachment(ctx, roleName+"-managed", &iam.RolePolicyAttachmentArgs{
			Role: r.Name, PolicyArn: pulumi.String(managed),
		}, parent); err != nil {
			return pulumi.StringOutput{}, err
		}
		return r.Arn, nil
	}
	var err error
	if g.PreviewRoleArn, err = role("preview", args.PreviewSubject(), readOnlyPolicy, "CI preview of pull requests: read-only plus the Pulumi state"); err != nil {
		return nil, err
	}
	if g.DeployRoleArn, err = role("deploy", args.DeploySubject(), adminPolicy, "CI deploy of environment "+args.Environment); err != nil {
		return nil, err
	}
	if g.DriftRoleArn, err = role("drift", args.DriftSubject(), readOnlyPolicy, "Nightly drift detection from the default branch: read-only plus the Pulumi state"); err != nil {
		return nil, err
	}
	if err := ctx.RegisterResourceOutputs(g, pulumi.Map{
		"providerArn": g.ProviderArn, "previewRoleArn": g.PreviewRoleArn, "deployRoleArn": g.DeployRoleArn, "driftRoleArn": g.DriftRoleArn,
	}); err != nil {
		return nil, err
	}
	return g, nil
}

// GitHubTrustPolicy trusts exactly one subject of the GitHub OIDC provider,
// for the STS audience.
func GitHubTrustPolicy(providerArn, subject string) string {
	return PolicyJSON(PolicyStatement{
		Effect:    "Allow",
		Principal: map[string]any{"Federated": providerArn},
		Action:    "sts:AssumeRoleWithWebIdentity",
		Condition: map[string]map[string]any{"StringEquals": {
			GitHubOIDCHost + ":aud": GitHubOIDCAudience,
			GitHubOIDCHost + ":sub": subject,
		}},
	})
}

// StateAccessPolicy lets CI read and write the Pulumi state (and its lock
// files) and use the secrets-provider key, identified by its alias among the
// account's keys. The Resource names the account's keys, not "*": Security
// Hub's KMS.2 judges the Resource element alone (conditions unread) and fails
// a role that may decrypt with any key.
func StateAccessPolicy(bucket, keyAlias, accountID string) string {
	arn := "arn:" + awsPartition + ":s3:::" + bucket
	return PolicyJSON(
		PolicyStatement{Sid: "StateBucket", Effect: "Allow", Action: []string{"s3:ListBucket", "s3:GetBucketVersioning"}, Resource: arn},
		PolicyStatement{Sid: "StateObjects", Effect: "Allow", Action: []string{"s3:GetObject", "s3:PutObject", "s3:DeleteObject"}, Resource: arn + "/*"},
		PolicyStatement{Sid: "SecretsKey", Effect: "Allow", Action: []string{"kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey"},
			Resource:  "arn:" + awsPartition + ":kms:*:" + accountID + ":key/*",
			Condition: map[string]map[string]any{"ForAnyValue:StringEquals": {"kms:ResourceAliases": keyAlias}}},
	)
}
