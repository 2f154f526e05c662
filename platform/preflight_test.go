package platform_test

import (
	"encoding/json"
	"reflect"
	"sort"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/docustack/infrastructure/internal/fakeaws"
	"github.com/docustack/infrastructure/internal/synth"
	"github.com/docustack/infrastructure/platform"
)

// synthIn synthesizes a stack as its files say, in a given account state.
func synthIn(t *testing.T, stack string, world fakeaws.World) (*synth.Plan, error) {
	t.Helper()
	proj, err := synth.LoadProject("..")
	require.NoError(t, err)
	cfg, err := synth.LoadStackConfig("..", stack, proj)
	require.NoError(t, err)
	return synth.Run(synth.Options{Project: proj.Name, Stack: stack, Config: cfg, World: world}, platform.Program)
}

// Issue 13: the preflight refuses, at preview, a configured image tag that
// is not in its repository and an operator secret without a value, naming
// the key or secret and the command that fixes it, every problem at once;
// nothing is registered past it.
func TestPreflightNamesWhatIsMissing(t *testing.T) {
	world := fakeaws.World{
		MissingImages: map[string]bool{"docustack-dev/web:v0.1.0": true, "docustack-dev/db-init:v0.1.0": true},
		EmptySecrets:  map[string]bool{"docustack/dev/slack-bot/SLACK_BOT_TOKEN": true},
	}
	_, err := synthIn(t, "dev", world)
	require.Error(t, err)
	for _, want := range []string{
		"preflight: the workloads cannot start:",
		"docustack:web.imageTag: image docustack-dev/web:v0.1.0 is not in ECR (reading ECR Image: ImageNotFoundException",
		"put it there: docker push 111111111111.dkr.ecr.us-east-1.amazonaws.com/docustack-dev/web:v0.1.0",
		"docustack:dbInit.imageTag: image docustack-dev/db-init:v0.1.0 is not in ECR",
		"secret docustack/dev/slack-bot/SLACK_BOT_TOKEN has no value, and slack-bot reads it at start; set it: " +
			"aws secretsmanager put-secret-value --secret-id docustack/dev/slack-bot/SLACK_BOT_TOKEN --secret-string '<value>'",
	} {
		assert.Contains(t, err.Error(), want)
	}
	assert.NotContains(t, err.Error(), "workers:", "only what is missing")
}

// Issue 13, items 4 and 5: a first deploy into an empty account deploys the
// foundation, the repositories and the operator secrets, and nothing that
// needs an image (DB-init's function, whose CreateFunction would fail, the
// services); the next up, with images pushed and secrets set, deploys them.
func TestFirstDeployStopsBeforeTheWorkloads(t *testing.T) {
	first, err := synthIn(t, "dev", fakeaws.World{Fresh: true})
	require.NoError(t, err)
	full, err := synthIn(t, "dev", fakeaws.World{})
	require.NoError(t, err)
	for _, name := range []string{"registry-web", "registry-db-init", "registry-tls-proxy", "database-instance", "ingress-alb",
		"slack-bot-secrets-slack-bot-token", "web-secrets-nextauth-secret"} {
		_, ok := first.Named(name)
		assert.True(t, ok, "the first deploy creates %s", name)
	}
	for _, typ := range []string{"aws:lambda/function:Function", "aws:lambda/invocation:Invocation", "aws:ecs/service:Service", "aws:ecs/taskDefinition:TaskDefinition"} {
		assert.Empty(t, first.ByType(typ), "the first deploy creates no %s", typ)
		assert.NotEmpty(t, full.ByType(typ), "the second creates %s", typ)
	}
	assert.Less(t, first.CustomCount(), full.CustomCount())
}

// Self-recovery: each service's redeploy trigger carries its images'
// digests and its secrets' versions, so a push or a new secret value after a
// failed or circuit-broken deployment rolls it on the next `pulumi up`.
func TestServicesRollOnNewImagesAndSecretValues(t *testing.T) {
	p, err := synthIn(t, "dev", fakeaws.World{})
	require.NoError(t, err)
	web, ok := p.Named("web-service")
	require.True(t, ok)
	assert.Regexp(t, `^sha256:[0-9a-f]{64}$`, web.Str("triggers.image:web"))
	assert.Regexp(t, `^sha256:[0-9a-f]{64}$`, web.Str("triggers.image:tls-proxy"))
	assert.NotEmpty(t, web.Str("triggers.secret:docustack/dev/web/NEXTAUTH_SECRET"))
	slack, _ := p.Named("slack-bot-service")
	assert.NotEmpty(t, slack.Str("triggers.secret:docustack/dev/slack-bot/SLACK_APP_TOKEN"))
	assert.Equal(t, true, slack.Get("forceNewDeployment"), "a trigger change redeploys in place")
	workers, _ := p.Named("workers-service")
	assert.Regexp(t, `^sha256:`, workers.Str("triggers.image:workers"))

	// The database password's version rolls exactly its readers: Temporal.
	// The web app and the workers sign in with IAM and read no password.
	temporal := "triggers.secret:docustack/dev/database/TEMPORAL_PASSWORD"
	for _, reader := range []string{"web-service", "workers-service", "slack-bot-service"} {
		r, _ := p.Named(reader)
		triggers, _ := r.Get("triggers").(map[string]any)
		require.NotEmpty(t, triggers, reader)
		for k := range triggers {
			assert.NotContains(t, k, "/database/", reader)
		}
		assert.Nil(t, r.Get(temporal), reader)
	}
	combined, _ := p.Named("temporal-combined-service")
	assert.NotEmpty(t, combined.Str("triggers.secret:password"), "the temporal role's password rolls Temporal")
	// Temporal's servers roll on their images' digests; the UI on its own.
	assert.Regexp(t, `^sha256:`, combined.Str("triggers.image:temporal-server"))
	assert.Regexp(t, `^sha256:`, combined.Str("triggers.image:temporal-admin-tools"))
	assert.Nil(t, combined.Get("triggers.image:temporal-ui"))
	ui, _ := p.Named("temporal-ui-service")
	assert.Regexp(t, `^sha256:`, ui.Str("triggers.image:temporal-ui"))
	assert.Nil(t, ui.Get("triggers.image:temporal-server"))
}

// The preflight resolves Temporal's images too, in the account's registry,
// and names the command that builds a missing one.
func TestPreflightResolvesTemporalImages(t *testing.T) {
	_, err := synthIn(t, "dev", fakeaws.World{MissingImages: map[string]bool{"docustack-dev/temporal-server:1.27.2": true}})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "docustack:temporal.version: image docustack-dev/temporal-server:1.27.2 is not in ECR")
	assert.Contains(t, err.Error(), "put it there: go run ./cmd/docustack images --stack dev")
}

// A secret new in this deploy is created empty and warned about, not
// refused (its service rolls once it is set); a repository missing while the
// others exist is refused: that is a deleted repository, not a first deploy.
func TestPreflightNewSecretAndLostRepository(t *testing.T) {
	p, err := synthIn(t, "dev", fakeaws.World{NewSecrets: map[string]bool{"docustack/dev/web/NEXTAUTH_SECRET": true}})
	require.NoError(t, err)
	web, ok := p.Named("web-service")
	require.True(t, ok)
	assert.Nil(t, web.Get("triggers.secret:docustack/dev/web/NEXTAUTH_SECRET"), "no version yet")
	_, ok = p.Named("web-secrets-nextauth-secret")
	assert.True(t, ok, "created by this deploy")
	task, _ := p.Named("web-task")
	assert.NotContains(t, task.Str("containerDefinitions"), "NEXTAUTH_SECRET", "not referenced before it has a value: every task start would fail")
	slack, _ := p.Named("slack-bot-task")
	assert.Contains(t, slack.Str("containerDefinitions"), "SLACK_BOT_TOKEN", "the others still are")
	// The next preview: it exists and is empty; refused until set.
	_, err = synthIn(t, "dev", fakeaws.World{EmptySecrets: map[string]bool{"docustack/dev/web/NEXTAUTH_SECRET": true}})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "secret docustack/dev/web/NEXTAUTH_SECRET has no value, and web reads it at start")
	full, err := synthIn(t, "dev", fakeaws.World{})
	require.NoError(t, err)
	task, _ = full.Named("web-task")
	assert.Contains(t, task.Str("containerDefinitions"), "NEXTAUTH_SECRET", "once set, the task definition reads it")

	_, err = synthIn(t, "dev", fakeaws.World{MissingRepositories: map[string]bool{"docustack-dev/workers": true}})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "docustack:workers.imageTag: repository docustack-dev/workers does not exist while the platform's other repositories do and the stack's state says it does")
}

// An upgrade that adds a repository (Temporal's images, once from Docker
// Hub): the deploy creates it, then finds it empty and fails naming the
// command that builds the image, before any service is changed to run it.
func TestUpgradeAddingARepository(t *testing.T) {
	world := fakeaws.World{NewRepositories: map[string]bool{"docustack-prod/temporal-server": true}}
	p, err := synthIn(t, "prod", world)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "docustack:temporal.version: repository docustack-prod/temporal-server is new in this deploy and now exists, without image 1.27.2")
	assert.Contains(t, err.Error(), "put it there: go run ./cmd/docustack images --stack prod")
	if p != nil {
		for _, svc := range []string{"temporal-frontend-service", "temporal-history-service"} {
			_, ok := p.Named(svc)
			assert.False(t, ok, "%s is not registered onto an image that is not there", svc)
		}
	}
}

// changed names the resources whose inputs differ between two plans, or
// that only one has.
func changed(t *testing.T, a, b *synth.Plan) []string {
	t.Helper()
	seen := map[string]bool{}
	var out []string
	for _, ra := range a.Resources {
		seen[ra.URN] = true
		rb, ok := b.ByURN(ra.URN)
		if !ok || !reflect.DeepEqual(ra.Inputs, rb.Inputs) {
			out = append(out, ra.Name)
		}
	}
	for _, rb := range b.Resources {
		if !seen[rb.URN] {
			out = append(out, rb.Name)
		}
	}
	sort.Strings(out)
	return out
}

// A password rotation, a new image and a Temporal configuration change each
// roll exactly the services that use them, and change nothing else.
func TestChangesRollExactlyTheirServices(t *testing.T) {
	base, err := synthIn(t, "prod", fakeaws.World{})
	require.NoError(t, err)
	servers := []string{"temporal-frontend-service", "temporal-history-service", "temporal-matching-service", "temporal-worker-service"}
	for _, c := range []struct {
		name  string
		world fakeaws.World
		want  []string
	}{
		{"Temporal's database password rotated", fakeaws.World{Rotated: map[string]string{"docustack/prod/database/TEMPORAL_PASSWORD": "2"}}, servers},
		{"a Slack token rotated", fakeaws.World{Rotated: map[string]string{"docustack/prod/slack-bot/SLACK_BOT_TOKEN": "2"}}, []string{"slack-bot-service"}},
		{"the web image pushed again", fakeaws.World{Pushed: map[string]string{"docustack-prod/web:v0.1.0": "2"}}, []string{"web-service"}},
		{"Temporal's server image rebuilt", fakeaws.World{Pushed: map[string]string{"docustack-prod/temporal-server:1.27.2": "2"}}, servers},
		{"Temporal's UI image rebuilt", fakeaws.World{Pushed: map[string]string{"docustack-prod/temporal-ui:2.37.2": "2"}}, []string{"temporal-ui-service"}},
	} {
		p, err := synthIn(t, "prod", c.world)
		require.NoError(t, err, c.name)
		want := append([]string{}, c.want...)
		sort.Strings(want)
		assert.Equal(t, want, changed(t, base, p), c.name)
	}

	// A Temporal configuration change is a new task definition of exactly
	// the servers (a new revision, which the engine creates in place of the
	// old), and each of their services rolls onto it.
	proj, err := synth.LoadProject("..")
	require.NoError(t, err)
	cfg, err := synth.LoadStackConfig("..", "prod", proj)
	require.NoError(t, err)
	var tc map[string]any
	require.NoError(t, json.Unmarshal([]byte(cfg["docustack:temporal"]), &tc))
	tc["maxConnsPerStore"] = 4
	b, _ := json.Marshal(tc)
	cfg["docustack:temporal"] = string(b)
	p, err := synth.Run(synth.Options{Project: proj.Name, Stack: "prod", Config: cfg}, platform.Program)
	require.NoError(t, err)
	assert.Equal(t, []string{"temporal-frontend-service", "temporal-frontend-task", "temporal-history-service", "temporal-history-task",
		"temporal-matching-service", "temporal-matching-task", "temporal-worker-service", "temporal-worker-task"}, changed(t, base, p))
}
