//go:build e2e

// Package e2e is the real-engine tier (`make e2e`): the Pulumi CLI and engine
// v3.274.1 built from the module proxy run `pulumi preview`, `pulumi up` and a
// no-change preview of every stack, with the HIPAA policy pack loaded through
// policies/PulumiPolicy.yaml, against a file backend and the project's test
// provider. See README, "End-to-end".
package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/docustack/infrastructure/internal/gate"
	"github.com/docustack/infrastructure/internal/review"
	"github.com/docustack/infrastructure/internal/synth"
	"github.com/docustack/infrastructure/internal/verify"
	"github.com/docustack/infrastructure/policies/rules"
)

// PulumiVersion is the CLI and engine the tier builds (e2e/tools/go.mod).
const PulumiVersion = "v3.274.1"

// root is the repository; cache holds the built CLI between runs (git ignores it).
var (
	root     = mustAbs("..")
	cacheDir = filepath.Join(root, ".cache", "e2e")
	binDir   = filepath.Join(cacheDir, "bin")
)

func mustAbs(p string) string {
	a, err := filepath.Abs(p)
	if err != nil {
		panic(err)
	}
	return a
}

// engine is one scratch installation: PULUMI_HOME with the test provider,
// a file backend, and a copy of the project (stack init writes each stack
// file's encryption salt, which must not touch the working tree).
type engine struct {
	home, state, project string
	// world is the test provider's memory of what exists in the fake
	// accounts, shared by every command of the run (e2e/provider/world.go).
	world string
}

var eng *engine

func TestMain(m *testing.M) {
	var err error
	eng, err = setup()
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e setup:", err)
		os.Exit(1)
	}
	os.Exit(m.Run())
}

// setup builds the CLI, the language host and the test provider, and lays
// out the scratch installation.
func setup() (*engine, error) {
	awsVersion, err := moduleVersion("github.com/pulumi/pulumi-aws/sdk/v6")
	if err != nil {
		return nil, err
	}
	scratch, err := os.MkdirTemp("", "docustack-e2e-")
	if err != nil {
		return nil, err
	}
	e := &engine{
		home:    filepath.Join(scratch, "home"),
		state:   filepath.Join(scratch, "state"),
		project: filepath.Join(scratch, "project"),
		world:   filepath.Join(scratch, "world.json"),
	}
	pluginDir := filepath.Join(e.home, "plugins", "resource-aws-"+awsVersion)
	steps := []struct {
		what string
		dir  string
		args []string
	}{
		{"the Pulumi CLI " + PulumiVersion, filepath.Join(root, "e2e", "tools"), []string{"build", "-o", filepath.Join(binDir, "pulumi"),
			"-ldflags", "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=" + PulumiVersion,
			"github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"}},
		{"the Go language host", filepath.Join(root, "e2e", "tools"), []string{"build", "-o", filepath.Join(binDir, "pulumi-language-go"),
			"-ldflags", "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=" + PulumiVersion, "./langhost"}},
		{"the test provider (aws " + awsVersion + ")", root, []string{"build", "-o", filepath.Join(pluginDir, "pulumi-resource-aws"),
			"-ldflags", "-X main.version=" + strings.TrimPrefix(awsVersion, "v"), "./e2e/provider"}},
	}
	for _, s := range steps {
		start := time.Now()
		cmd := exec.Command("go", s.args...)
		cmd.Dir = s.dir
		if out, err := cmd.CombinedOutput(); err != nil {
			return nil, fmt.Errorf("building %s: %w\n%s", s.what, err, out)
		}
		fmt.Printf("e2e: built %s in %.1fs\n", s.what, time.Since(start).Seconds())
	}
	for _, d := range []string{e.home, e.state} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, err
		}
	}
	return e, copyProject(root, e.project)
}

// moduleVersion is the version of a module the root go.mod resolves.
func moduleVersion(path string) (string, error) {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Version}}", path).Output()
	if err != nil {
		return "", fmt.Errorf("go list -m %s: %w", path, err)
	}
	return strings.TrimSpace(string(out)), nil
}

// copyProject copies the working tree without .git and the build cache.
func copyProject(from, to string) error {
	return filepath.WalkDir(from, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, path)
		if d.IsDir() && (rel == ".git" || rel == ".cache") {
			return filepath.SkipDir
		}
		dst := filepath.Join(to, rel)
		if d.IsDir() {
			return os.MkdirAll(dst, 0o755)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(dst, b, 0o644)
	})
}

// result is one CLI run.
type result struct {
	out     string
	code    int
	seconds float64
}

// pulumi runs the CLI in dir with the scratch installation's environment.
func (e *engine) pulumi(t *testing.T, dir string, args ...string) result {
	t.Helper()
	cmd := exec.Command(filepath.Join(binDir, "pulumi"), append(args, "--non-interactive", "--color", "never")...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(),
		"PATH="+binDir+string(os.PathListSeparator)+os.Getenv("PATH"),
		"PULUMI_HOME="+e.home,
		"PULUMI_BACKEND_URL=file://"+e.state,
		// Passphrase secrets in a scratch backend; nothing here is secret.
		"PULUMI_CONFIG_PASSPHRASE=e2e-scratch-backend",
		"PULUMI_SKIP_UPDATE_CHECK=true",
		"PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true",
		"PULUMI_SKIP_CONFIRMATIONS=true",
		"DOCUSTACK_E2E_WORLD="+e.world,
	)
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	start := time.Now()
	err := cmd.Run()
	r := result{out: buf.String(), seconds: time.Since(start).Seconds()}
	if err != nil {
		var exit *exec.ExitError
		require.ErrorAs(t, err, &exit, "pulumi %s", strings.Join(args, " "))
		r.code = exit.ExitCode()
	}
	return r
}

// must fails the test with the CLI's whole output when the run failed.
func (r result) must(t *testing.T, what string) result {
	t.Helper()
	if r.code != 0 {
		t.Fatalf("%s exited %d:\n%s", what, r.code, r.out)
	}
	return r
}

var toCreate = regexp.MustCompile(`\+ (\d+) to create`)

// created is the engine's "N to create".
func created(t *testing.T, out string) int {
	t.Helper()
	m := toCreate.FindStringSubmatch(out)
	require.NotNil(t, m, "no \"N to create\" in:\n%s", out)
	n, err := strconv.Atoi(m[1])
	require.NoError(t, err)
	return n
}

func TestCLIIsThePinnedVersion(t *testing.T) {
	r := eng.pulumi(t, eng.project, "version").must(t, "pulumi version")
	assert.Equal(t, PulumiVersion, strings.TrimSpace(r.out))
}

// Every stack: preview with the pack, up with the pack, a clean re-preview,
// and the stack's outputs, each compared with the offline plan. One world
// holds every account, in the order docs/deployment.md gives: the org stack
// first (the Log Archive account's buckets and key), then the workload
// stacks, whose trails, flow logs, ALB logs, Config and access-log
// replication deliver there; the test provider refuses a delivery to a
// bucket or key that does not exist (TestRefusals/archive-missing).
func TestStacks(t *testing.T) {
	for _, stack := range []string{"org", "dev", "staging", "prod"} {
		t.Run(stack, func(t *testing.T) {
			plan, err := synth.Stack(root, stack)
			require.NoError(t, err)
			p := eng.project
			eng.pulumi(t, p, "stack", "init", stack).must(t, "pulumi stack init "+stack)

			pre := eng.pulumi(t, p, "preview", "--stack", stack, "--policy-pack", "policies").must(t, "pulumi preview --policy-pack policies")
			assert.Contains(t, pre.out, "docustack-hipaa@v0.1.0 (local: policies)", "the policy pack loaded")
			assert.NotContains(t, pre.out, "[mandatory]", "no mandatory policy was violated")
			// What the pack reports is only what policies/waivers.yaml accepts
			// (the advisory DS-WAIVED policy), as docustack check reports it.
			for _, line := range strings.Split(pre.out, "\n") {
				if strings.Contains(line, "[advisory]") {
					assert.Contains(t, line, rules.WaivedPolicy, "an advisory finding that is not a waiver")
				}
			}
			// The engine counts the stack resource too; the offline plan does not.
			assert.Equal(t, len(plan.Resources)+1, created(t, pre.out),
				"the engine and the offline plan disagree on the number of resources of %s", stack)

			up := eng.pulumi(t, p, "up", "--yes", "--skip-preview", "--stack", stack, "--policy-pack", "policies").must(t, "pulumi up --policy-pack policies")

			again := eng.pulumi(t, p, "preview", "--stack", stack, "--expect-no-changes", "--json", "--show-sames").must(t,
				"pulumi preview --expect-no-changes (a deployed stack must re-preview clean: is the program or the test provider non-deterministic?)")

			// docustack verify judges the engine's own plan (the provider's
			// values) as it judges the offline one.
			saved := filepath.Join(t.TempDir(), "preview.json")
			require.NoError(t, os.WriteFile(saved, []byte(again.out), 0o644))
			enginePlan, err := synth.ReadPlan(saved)
			require.NoError(t, err)
			org, err := synth.Stack(root, "org")
			require.NoError(t, err)
			onEngine, offline := verify.Plan(enginePlan, org), verify.Plan(plan, org)
			for _, f := range onEngine.Findings {
				assert.True(t, f.OK, "verify --plan (engine preview) %s: %s", f.Intent, f.Detail)
			}
			assert.Equal(t, offline.Summary.Total, onEngine.Summary.Total, "verify finds as many intents in the engine's plan as in the offline one")

			out := eng.pulumi(t, p, "stack", "output", "--stack", stack, "--json").must(t, "pulumi stack output --json")
			var outputs map[string]any
			require.NoError(t, json.Unmarshal([]byte(out.out), &outputs), out.out)
			// The offline plan's outputs are the documented ones (README,
			// "Stack outputs", pinned by TestREADMEDocumentsEveryOutput).
			assert.Equal(t, normalize(t, plan.Outputs), normalize(t, outputs), "the deployed stack's outputs are the offline plan's")
			t.Logf("%s: %d resources; preview %.1fs, up %.1fs, no-change preview %.1fs",
				stack, created(t, pre.out), pre.seconds, up.seconds, again.seconds)
		})
	}
}

// normalize round-trips through JSON so both sides compare as plain values.
func normalize(t *testing.T, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	var out any
	require.NoError(t, json.Unmarshal(b, &out))
	return out
}

// The pack blocks: a deliberately non-compliant program (e2e/noncompliant: a
// KMS key without rotation, PostgreSQL open to the world) fails the preview,
// naming the mandatory policies.
func TestPolicyPackBlocksAViolation(t *testing.T) {
	dir := filepath.Join(eng.project, "e2e", "noncompliant")
	eng.pulumi(t, dir, "stack", "init", "noncompliant").must(t, "pulumi stack init noncompliant")
	r := eng.pulumi(t, dir, "preview", "--stack", "noncompliant", "--policy-pack", filepath.Join(eng.project, "policies"))
	assert.NotEqual(t, 0, r.code, "a mandatory violation must fail the preview:\n%s", r.out)
	assert.Contains(t, r.out, "[mandatory]")
	assert.Contains(t, r.out, "DS-KMS-001")
	assert.Contains(t, r.out, "DS-NET-003")
}

// The bootstrap project (layer 0) previews for every account.
func TestBootstrapPreviews(t *testing.T) {
	dir := filepath.Join(eng.project, "bootstrap")
	for _, stack := range []string{"dev", "staging", "prod", "org"} {
		t.Run(stack, func(t *testing.T) {
			eng.pulumi(t, dir, "stack", "init", stack).must(t, "pulumi stack init (bootstrap "+stack+")")
			r := eng.pulumi(t, dir, "preview", "--stack", stack).must(t, "pulumi preview (bootstrap "+stack+")")
			assert.Greater(t, created(t, r.out), 1)
		})
	}
}

// What AWS refuses at create time, the engine reports from the test
// provider with AWS's words: each stack of e2e/refused plants one defect
// (the same ones `docustack verify`'s deployable section finds offline).
func TestRefusals(t *testing.T) {
	dir := filepath.Join(eng.project, "e2e", "refused")
	for _, c := range []struct{ name, words string }{
		{"trust-resource", "Has prohibited field Resource"},
		{"big-scp", "POLICY_CONTENT_LIMIT_EXCEEDED"},
		{"ghost-principal", "Policy contains a statement with one or more invalid principals"},
		{"logging-cross-account", "The owner for the bucket to be logged and the target bucket must be the same"},
		{"archive-missing", "S3BucketDoesNotExistException"},
	} {
		t.Run(c.name, func(t *testing.T) {
			eng.pulumi(t, dir, "stack", "init", c.name).must(t, "pulumi stack init "+c.name)
			eng.pulumi(t, dir, "config", "set", "--stack", c.name, "case", c.name).must(t, "pulumi config set")
			r := eng.pulumi(t, dir, "up", "--yes", "--skip-preview", "--stack", c.name)
			assert.NotEqual(t, 0, r.code, "AWS would refuse %s:\n%s", c.name, r.out)
			assert.Contains(t, r.out, c.words)
		})
	}
	t.Run("rename-collision", func(t *testing.T) {
		const stack = "rename-collision"
		eng.pulumi(t, dir, "stack", "init", stack).must(t, "pulumi stack init")
		eng.pulumi(t, dir, "config", "set", "--stack", stack, "case", stack).must(t, "pulumi config set")
		eng.pulumi(t, dir, "up", "--yes", "--skip-preview", "--stack", stack).must(t, "pulumi up (step 1)")
		eng.pulumi(t, dir, "config", "set", "--stack", stack, "step", "2").must(t, "pulumi config set step 2")
		r := eng.pulumi(t, dir, "up", "--yes", "--skip-preview", "--stack", stack)
		assert.NotEqual(t, 0, r.code, "a rename without an alias creates the new role before deleting the old:\n%s", r.out)
		assert.Contains(t, r.out, "EntityAlreadyExists")
	})
}

// The update pass: realistic changes to the deployed dev stack, and the
// engine's plan (pulumi preview --json) classifies every resource as the
// offline review (internal/review, what `docustack diff` reports) does; then
// the changes deploy and the stack re-previews clean.
func TestUpdatePass(t *testing.T) {
	const stack = "dev"
	p := eng.project
	base := offlinePlan(t, p, stack)

	stackFile := filepath.Join(p, "Pulumi."+stack+".yaml")
	edit(t, stackFile, "docustack:web:\n    imageTag: v0.1.0", "docustack:web:\n    imageTag: v0.1.1")       // a web image tag
	edit(t, stackFile, "docustack:dbInit:\n    imageTag: v0.1.0", "docustack:dbInit:\n    imageTag: v0.1.1") // a DB-init image tag re-runs it
	edit(t, stackFile, "instanceClass: db.t4g.micro", "instanceClass: db.t4g.small")
	edit(t, stackFile, "secrets: [NEXTAUTH_SECRET]", "secrets: [NEXTAUTH_SECRET, STRIPE_API_KEY]")
	edit(t, stackFile, "numHistoryShards: 4\n", "numHistoryShards: 4\n    maxConnsPerStore: 4\n") // a Temporal configuration change
	edit(t, filepath.Join(p, "components", "database.go"), `"DocuStack: TLS forced, pgaudit"`, `"DocuStack: TLS forced, pgaudit, audited"`)
	head := offlinePlan(t, p, stack)

	d := review.Compare(&review.Snapshot{Stack: stack, Plan: base}, &review.Snapshot{Stack: stack, Plan: head})
	offline := d.Steps

	pre := eng.pulumi(t, p, "preview", "--json", "--stack", stack).must(t, "pulumi preview --json")
	engine, err := gate.PreviewSteps([]byte(pre.out))
	require.NoError(t, err, pre.out)
	var disagree []string
	for _, x := range gate.Disagree(engine, offline) {
		disagree = append(disagree, fmt.Sprintf("%s: engine %q, offline review %q", x.URN, x.Engine, x.Offline))
	}
	assert.Empty(t, disagree, "the engine and docustack diff disagree")
	// The gate reads the same: the offline report through its JSON, the
	// engine's preview as the pull-request workflow saves it.
	b, err := json.Marshal(review.Report{StopSigns: []review.StopSign{}, Stacks: []review.StackDiff{d}})
	require.NoError(t, err)
	var rep gate.Report
	require.NoError(t, json.Unmarshal(b, &rep))
	decision := gate.Decide(&rep, gate.Context{HeadSHA: "h", RunHeadSHA: "h"}, []gate.Preview{{Stack: stack, JSON: []byte(pre.out)}})
	require.Len(t, decision.Previews, 1)
	assert.Empty(t, decision.Previews[0].Disagree, "the gate finds the engine and the diff in agreement")
	assert.Equal(t, len(engine), decision.Previews[0].Counts["create"]+decision.Previews[0].Counts["update"]+decision.Previews[0].Counts["replace"]+decision.Previews[0].Counts["delete"])
	assert.True(t, decision.Pass, "no stop signs in the update pass")
	for _, want := range []struct{ name, op string }{
		{"web-task", "replace"}, {"database-parameters", "replace"}, {"db-init-invocation", "replace"},
		{"database-instance", "update"}, {"web-secrets-stripe-api-key", "create"},
		{"temporal-combined-task", "replace"}, {"temporal-combined-service", "update"}, // exactly Temporal rolls
		{"workers-task", ""}, {"temporal-ui-task", ""}, // untouched
	} {
		found := false
		for urn, op := range engine {
			if strings.HasSuffix(urn, "::"+want.name) {
				found = true
				assert.Equal(t, want.op, op, urn)
			}
		}
		assert.Equal(t, want.op != "", found, "a step for %s: %v", want.name, want.op != "")
	}
	t.Logf("update pass: %d resources change; engine and offline agree on %d", len(engine), len(engine)-len(disagree))

	eng.pulumi(t, p, "up", "--yes", "--skip-preview", "--stack", stack).must(t, "pulumi up (the update pass)")
	eng.pulumi(t, p, "preview", "--stack", stack, "--expect-no-changes").must(t, "pulumi preview --expect-no-changes after the update pass")
}

// offlinePlan synthesizes a stack of the project copy with its own sources
// (the copy may have Go edits the test binary does not).
func offlinePlan(t *testing.T, dir, stack string) *synth.Plan {
	t.Helper()
	cmd := exec.Command("go", "run", "./cmd/docustack", "plan", "--stack", stack, "--json")
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	require.NoError(t, err, "docustack plan in the project copy:\n%s", stderr.String())
	var plan synth.Plan
	require.NoError(t, json.Unmarshal(out, &plan))
	return &plan
}

// edit replaces text that must occur in a file.
func edit(t *testing.T, path, old, new string) {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Contains(t, string(b), old, path)
	require.NoError(t, os.WriteFile(path, []byte(strings.Replace(string(b), old, new, 1)), 0o644))
}
