package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"

	"github.com/docustack/infrastructure/internal/gate"
	"github.com/docustack/infrastructure/internal/review"
	"github.com/docustack/infrastructure/internal/synth"
	"github.com/docustack/infrastructure/internal/verify"
)

type workflow struct {
	On          map[string]any    `yaml:"on"`
	Permissions map[string]string `yaml:"permissions"`
	Jobs        map[string]struct {
		If          string            `yaml:"if"`
		Needs       any               `yaml:"needs"`
		Uses        string            `yaml:"uses"`
		With        map[string]any    `yaml:"with"`
		Environment string            `yaml:"environment"`
		Permissions map[string]string `yaml:"permissions"`
		Concurrency map[string]any    `yaml:"concurrency"`
		Strategy    struct {
			Matrix struct {
				Include []map[string]string `yaml:"include"`
			} `yaml:"matrix"`
		} `yaml:"strategy"`
		Steps []struct {
			Name string         `yaml:"name"`
			If   string         `yaml:"if"`
			Uses string         `yaml:"uses"`
			Run  string         `yaml:"run"`
			With map[string]any `yaml:"with"`
		} `yaml:"steps"`
	} `yaml:"jobs"`
}

func loadWorkflow(t *testing.T, name string) (workflow, string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("../../.github/workflows", name))
	require.NoError(t, err)
	var w workflow
	require.NoError(t, yaml.Unmarshal(b, &w))
	return w, string(b)
}

func TestWorkflows(t *testing.T) {
	files, err := filepath.Glob("../../.github/workflows/*.yml")
	require.NoError(t, err)
	for _, f := range files {
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		assert.NotContains(t, string(b), "aws-access-key-id", "%s: OIDC only, no long-lived keys", f)
		assert.NotContains(t, string(b), "AWS_SECRET_ACCESS_KEY", f)
	}

	pr, _ := loadWorkflow(t, "pull-request.yml")
	assert.Contains(t, pr.Jobs["test"].Steps[2].Run, "bash .ci/run")
	assert.Equal(t, "make check", pr.Jobs["test"].Steps[3].Run, "the policy pack over every stack")
	preview := pr.Jobs["preview"]
	assert.Equal(t, "write", preview.Permissions["id-token"])
	var stacks []string
	for _, m := range preview.Strategy.Matrix.Include {
		stacks = append(stacks, m["stack"])
	}
	assert.Equal(t, []string{"dev", "staging", "prod", "org"}, stacks)
	var previewRun string
	for _, s := range preview.Steps {
		if s.Uses == "aws-actions/configure-aws-credentials@v4" {
			assert.Contains(t, s.With["role-to-assume"], "-ci-preview", "previews use the preview role")
		}
		if strings.Contains(s.Run, "pulumi preview") {
			previewRun = s.Run
		}
	}
	assert.Contains(t, previewRun, `pulumi preview --stack "$STACK" --json --policy-pack policies > "previews/$STACK.json"`)
	assert.Contains(t, previewRun, `echo "$code" > "previews/$STACK.exit"`, "the gate reads the exit code beside the preview")
	assert.Equal(t, "github.event.pull_request.head.repo.full_name == github.repository", preview.If, "no credentials for a fork's code")

	assert.Equal(t, []any{"test", "diff"}, preview.Needs, "the offline diff comes before the credentialed preview")

	deploy, _ := loadWorkflow(t, "deploy.yml")
	assert.Contains(t, deploy.On, "push")
	assert.Nil(t, deploy.Jobs["org"].Needs, "the org stack first: the Log Archive the workload stacks deliver to")
	assert.Equal(t, "org", deploy.Jobs["dev"].Needs, "then dev")
	assert.Equal(t, "dev", deploy.Jobs["staging"].Needs, "dev, then staging")
	assert.Equal(t, "staging", deploy.Jobs["prod"].Needs, "then prod")
	stack, raw := loadWorkflow(t, "deploy-stack.yml")
	up := stack.Jobs["up"]
	assert.Equal(t, "${{ inputs.stack }}", up.Environment, "GitHub environments with required reviewers")
	assert.Equal(t, "stack-${{ inputs.stack }}", up.Concurrency["group"], "one concurrency group per stack")
	assert.Contains(t, raw, "-ci-deploy")
	assert.Contains(t, raw, "policyPacks: policies")
	for _, s := range up.Steps {
		if s.Uses == "pulumi/actions@v7" {
			assert.Equal(t, "up", s.With["command"])
			assert.Equal(t, true, s.With["refresh"], "deploys refresh first: the task definition deployed is the program's, even after a rollback")
		}
	}

	images, raw := loadWorkflow(t, "images.yml")
	assert.Contains(t, images.On, "workflow_dispatch")
	assert.Contains(t, raw, "docker/setup-qemu-action", "arm64 and amd64 from one runner")
	assert.Contains(t, raw, "go run ./cmd/docustack images --stack", "the commands come from the stack's configuration")
	assert.Contains(t, raw, "-ci-deploy", "pushing images is a deploy")

	drift, raw := loadWorkflow(t, "drift.yml")
	assert.Contains(t, drift.On, "schedule")
	assert.Contains(t, raw, "expect-no-changes: true")
	assert.True(t, strings.Contains(raw, "-ci-drift"), "drift detection uses its read-only drift role (TestCIIdentitiesMatchTheirEvents)")
}

// TestDiffWorkflows: the offline diff runs for every pull request with a
// read-only token and leaves as an artifact; the pull request's workflow
// decides nothing.
func TestDiffWorkflows(t *testing.T) {
	pr, raw := loadWorkflow(t, "pull-request.yml")
	assert.Equal(t, map[string]string{"contents": "read"}, pr.Permissions, "the workflow's token is read-only")
	diff := pr.Jobs["diff"]
	assert.Equal(t, map[string]string{"contents": "read"}, diff.Permissions, "no id-token, no write: fork code runs here")
	assert.NotContains(t, raw, "pull_request_target", "never a fork's code with the base's token")
	var run string
	var uploads bool
	for _, s := range diff.Steps {
		if strings.Contains(s.Run, " diff --base") {
			run = s.Run
		}
		if strings.HasPrefix(s.Uses, "actions/upload-artifact@") {
			uploads = true
			assert.Equal(t, "docustack-diff", s.With["name"])
		}
		if strings.HasPrefix(s.Uses, "actions/checkout@") {
			assert.Equal(t, 0, s.With["fetch-depth"], "the base commit must be fetched")
			assert.Equal(t, false, s.With["persist-credentials"])
		}
	}
	assert.Contains(t, run, `"$RUNNER_TEMP/docustack" diff --base "$BASE_SHA" --format markdown --save report/diff.json`)
	assert.NotContains(t, run, "go run ./cmd/docustack", "go run reports a program's exit code 2 (changes) as 1 (error)")
	assert.True(t, uploads, "the report leaves as an artifact")
	// The decision is not here: the pull request could change it.
	assert.NotContains(t, raw, review.StopSignLabel)
	assert.NotContains(t, raw, "stopSigns")
	assert.NotContains(t, raw, "statuses:")
	assert.NotContains(t, pr.On["pull_request"].(map[string]any)["types"], "labeled", "a label is the gate's business")
	_, err := os.Stat("../../.github/workflows/pr-comment.yml")
	assert.True(t, os.IsNotExist(err), "the comment is the gate's")
}

// TestReviewGateCannotBeMoved: the stop-sign decision is taken by
// review-gate.yml as the base branch has it, over the pull request's
// artifacts read as data; a push disarms the label; main requires the gate's
// status and code-owner review of everything that produces the report.
func TestReviewGateCannotBeMoved(t *testing.T) {
	g, raw := loadWorkflow(t, "review-gate.yml")
	// workflow_run and pull_request_target run the file of the base branch.
	assert.ElementsMatch(t, []string{"workflow_run", "pull_request_target"}, keys(g.On))
	assert.Equal(t, []any{"pull-request"}, g.On["workflow_run"].(map[string]any)["workflows"])
	assert.ElementsMatch(t, []any{"labeled", "unlabeled", "synchronize"}, g.On["pull_request_target"].(map[string]any)["types"])
	assert.Equal(t, map[string]string{"contents": "read"}, g.Permissions)

	gateJob := g.Jobs["gate"]
	var built, ran, status, downloads bool
	for _, s := range gateJob.Steps {
		if strings.HasPrefix(s.Uses, "actions/checkout@") {
			assert.NotContains(t, s.With, "ref", "the base branch, never the pull request's head")
			assert.NotContains(t, s.With, "repository")
		}
		if strings.HasPrefix(s.Uses, "actions/download-artifact@") {
			downloads = true
			assert.Equal(t, "${{ steps.record.outputs.run-id }}", s.With["run-id"], "the run the record names, of the head commit")
		}
		built = built || strings.Contains(s.Run, `go build -o "$RUNNER_TEMP/gate" ./cmd/gate`)
		ran = ran || strings.Contains(s.Run, `"$RUNNER_TEMP/gate" --report report/diff.json --context context.json --previews previews`)
		// Nothing from the artifacts is executed: only the binary built from the checkout runs.
		assert.NotRegexp(t, `(?m)^\s*(bash|sh|source|\.)\s+(report|previews)/`, s.Run)
		status = status || strings.Contains(fmt.Sprint(s.With["script"]), "context: '"+gate.StatusContext+"'")
	}
	assert.True(t, built && ran && downloads && status, "build %v, run %v, artifacts %v, status %v", built, ran, downloads, status)
	assert.Contains(t, raw, "runCreatedAt: run.created_at", "the label counts only after the judged run started")
	assert.Contains(t, raw, "pull.head.sha", "the status and the decision are for the pull request's current head")

	// A push re-arms the gate: the label comes off, the status goes pending.
	disarm := g.Jobs["disarm"]
	assert.Equal(t, "github.event_name == 'pull_request_target' && github.event.action == 'synchronize'", disarm.If)
	require.Len(t, disarm.Steps, 1)
	script := fmt.Sprint(disarm.Steps[0].With["script"])
	assert.Contains(t, script, "removeLabel")
	assert.Contains(t, script, "name: '"+gate.Label+"'")
	assert.Contains(t, script, "state: 'pending'")
	for _, j := range g.Jobs {
		for _, s := range j.Steps {
			assert.NotContains(t, fmt.Sprint(s.With), "head.sha }}", "no step takes the pull request's head as code")
		}
	}

	// Main requires the gate's status and code owners' review, and a push
	// after an approval needs another.
	var bp struct {
		RequiredStatusChecks struct {
			Strict bool `json:"strict"`
			Checks []struct {
				Context string `json:"context"`
			} `json:"checks"`
		} `json:"required_status_checks"`
		EnforceAdmins bool `json:"enforce_admins"`
		Reviews       struct {
			CodeOwners       bool `json:"require_code_owner_reviews"`
			DismissStale     bool `json:"dismiss_stale_reviews"`
			LastPushApproval bool `json:"require_last_push_approval"`
		} `json:"required_pull_request_reviews"`
	}
	b, err := os.ReadFile("../../.github/branch-protection.json")
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, &bp))
	var contexts []string
	for _, c := range bp.RequiredStatusChecks.Checks {
		contexts = append(contexts, c.Context)
	}
	assert.Contains(t, contexts, gate.StatusContext)
	assert.True(t, bp.RequiredStatusChecks.Strict && bp.EnforceAdmins && bp.Reviews.CodeOwners && bp.Reviews.DismissStale && bp.Reviews.LastPushApproval)

	// Every path the gate treats as the review's own has a code owner, and
	// the gate's own files are among those paths.
	owners, err := os.ReadFile("../../.github/CODEOWNERS")
	require.NoError(t, err)
	owned := map[string]bool{}
	for _, line := range strings.Split(string(owners), "\n") {
		if f := strings.Fields(line); len(f) > 1 && !strings.HasPrefix(f[0], "#") {
			owned[strings.TrimPrefix(f[0], "/")] = true
		}
	}
	for _, p := range gate.SelfPaths {
		assert.True(t, owned[p], "CODEOWNERS has no owner for %s", p)
	}
	for _, f := range []string{".github/workflows/review-gate.yml", ".github/workflows/pull-request.yml", "cmd/gate/main.go", "internal/gate/gate.go",
		"internal/review/stopsigns.go", "cmd/docustack/diff.go", ".github/CODEOWNERS", ".github/branch-protection.json"} {
		d := gate.Decide(&gate.Report{}, gate.Context{ChangedFiles: []string{f}}, nil)
		assert.False(t, d.Pass, "%s changes the review: the report cannot vouch for it", f)
	}
}

func keys(m map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// Each CI identity works for the event that uses it and for no other: the
// workflow's event decides the OIDC subject GitHub presents (a pull
// request, a deployment to the stack's environment, a scheduled run on
// main), and the role the workflow assumes must trust exactly that subject,
// proven by verify's trust evaluation over every stack's plan.
func TestCIIdentitiesMatchTheirEvents(t *testing.T) {
	const repo = "repo:docustack/infrastructure"
	events := map[string]string{
		"pull_request": repo + ":pull_request",
		"schedule":     repo + ":ref:refs/heads/main",
		"environment":  repo + ":environment:%s",
	}
	uses := []struct{ file, event, role string }{
		{"pull-request.yml", "pull_request", "docustack-%s-ci-preview"},
		{"drift.yml", "schedule", "docustack-%s-ci-drift"},
		{"deploy-stack.yml", "environment", "docustack-%s-ci-deploy"},
	}
	for _, u := range uses {
		_, text := loadWorkflow(t, u.file)
		kind := u.role[strings.LastIndex(u.role, "-ci-"):]
		require.Contains(t, text, "role/docustack-${{ ", "%s assumes a stack's role", u.file)
		require.Contains(t, text, kind+"\n", "%s assumes the %s role", u.file, u.role)
		if u.event == "schedule" {
			w, _ := loadWorkflow(t, u.file)
			require.Contains(t, w.On, "schedule", "%s runs on a schedule", u.file)
		}
	}
	for _, stack := range []string{"dev", "staging", "prod", "org"} {
		p, err := synth.Stack("../..", stack)
		require.NoError(t, err)
		for _, u := range uses {
			role := fmt.Sprintf(u.role, stack)
			for event, sub := range events {
				sub = strings.ReplaceAll(sub, "%s", stack)
				ok, why := verify.GitHubMayAssume(p, role, sub)
				assert.Equal(t, event == u.event, ok, "%s: %s assumed by %s (%s): %s", stack, role, event, sub, why)
			}
			// Another stack's environment never reaches this stack's roles.
			ok, _ := verify.GitHubMayAssume(p, role, repo+":environment:not-"+stack)
			assert.False(t, ok, "%s: %s", stack, role)
		}
	}
}

// The org stack's Log Archive provider takes its credentials from one
// profile; each workflow writes it for its own use, so a pull request's
// preview and the drift job reach the Log Archive account as its reader and
// only a deploy as its administrative role.
func TestWorkflowsWriteTheirOwnAWSProfile(t *testing.T) {
	for file, use := range map[string]string{"pull-request.yml": "preview", "drift.yml": "drift", "deploy-stack.yml": "deploy"} {
		_, text := loadWorkflow(t, file)
		assert.Contains(t, text, "aws-profile --stack", file)
		assert.Contains(t, text, "--for "+use+" >> ~/.aws/config", file)
	}
	code, out, stderr := runCLI("aws-profile", "--stack", "org", "--for", "preview", "--dir", "../..")
	require.Equal(t, exitOK, code, stderr)
	assert.Equal(t, "[profile docustack-log-archive]\nrole_arn = arn:aws:iam::555555555555:role/docustack-log-archive-ci-preview\n"+
		"credential_source = Environment\nrole_session_name = docustack-org-preview\n\n", out)
	code, out, _ = runCLI("aws-profile", "--stack", "org", "--for", "drift", "--dir", "../..")
	require.Equal(t, exitOK, code)
	assert.Contains(t, out, "role/docustack-log-archive-ci-preview", "drift checks read as the reader too")
	code, out, _ = runCLI("aws-profile", "--stack", "org", "--for", "deploy", "--dir", "../..")
	require.Equal(t, exitOK, code)
	assert.Contains(t, out, "role_arn = arn:aws:iam::555555555555:role/OrganizationAccountAccessRole")
	code, out, _ = runCLI("aws-profile", "--stack", "dev", "--for", "preview", "--dir", "../..")
	require.Equal(t, exitOK, code)
	assert.Empty(t, out, "a workload stack has no other account")
	code, _, stderr = runCLI("aws-profile", "--stack", "org", "--for", "admin", "--dir", "../..")
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, `--for "admin": want preview, drift or deploy`)
}
