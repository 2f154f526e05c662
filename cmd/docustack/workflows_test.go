package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"

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
	for _, s := range preview.Steps {
		if s.Uses == "aws-actions/configure-aws-credentials@v4" {
			assert.Contains(t, s.With["role-to-assume"], "-ci-preview", "previews use the preview role")
		}
		if s.Uses == "pulumi/actions@v7" {
			assert.Equal(t, "preview", s.With["command"])
			assert.Equal(t, "policies", s.With["policyPacks"])
			assert.Equal(t, true, s.With["comment-on-pr"])
		}
	}

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
// read-only token and gates stop signs on the reviewers' label; the comment
// is posted by a workflow_run workflow that runs nothing of the pull
// request's (GitHub's documented pattern for forks).
func TestDiffWorkflows(t *testing.T) {
	pr, raw := loadWorkflow(t, "pull-request.yml")
	assert.Equal(t, map[string]string{"contents": "read"}, pr.Permissions, "the workflow's token is read-only")
	diff := pr.Jobs["diff"]
	assert.Equal(t, map[string]string{"contents": "read"}, diff.Permissions, "no id-token, no write: fork code runs here")
	assert.NotContains(t, raw, "pull_request_target", "never a fork's code with the base's token")
	var run, gate string
	var uploads bool
	for _, s := range diff.Steps {
		if strings.Contains(s.Run, " diff --base") {
			run = s.Run
		}
		if strings.HasPrefix(s.Uses, "actions/upload-artifact@") {
			uploads = true
			assert.Equal(t, "docustack-diff", s.With["name"])
		}
		if strings.Contains(s.Name, "Stop signs") {
			gate = s.If + "\n" + s.Run
		}
		if strings.HasPrefix(s.Uses, "actions/checkout@") {
			assert.Equal(t, 0, s.With["fetch-depth"], "the base commit must be fetched")
			assert.Equal(t, false, s.With["persist-credentials"])
		}
	}
	assert.Contains(t, run, `"$RUNNER_TEMP/docustack" diff --base "$BASE_SHA" --format markdown --save report/diff.json`)
	assert.NotContains(t, run, "go run ./cmd/docustack", "go run reports a program's exit code 2 (changes) as 1 (error)")
	assert.True(t, uploads, "the report leaves as an artifact")
	assert.Contains(t, gate, "contains(github.event.pull_request.labels.*.name, '"+review.StopSignLabel+"')")
	assert.Contains(t, gate, ".stopSigns | length")
	assert.Contains(t, pr.On["pull_request"].(map[string]any)["types"], "labeled", "applying the label re-runs the gate")

	cm, raw := loadWorkflow(t, "pr-comment.yml")
	wr := cm.On["workflow_run"].(map[string]any)
	assert.Equal(t, []any{"pull-request"}, wr["workflows"])
	assert.Equal(t, map[string]string{"contents": "read"}, cm.Permissions)
	job := cm.Jobs["comment"]
	assert.Equal(t, map[string]string{"actions": "read", "pull-requests": "write"}, job.Permissions)
	for _, s := range job.Steps {
		assert.False(t, strings.HasPrefix(s.Uses, "actions/checkout"), "nothing is checked out")
		assert.Empty(t, s.Run, "no shell step: the artifact is data")
	}
	assert.Contains(t, raw, review.Marker, "updates its own comment")
	assert.Contains(t, raw, "pull.head.sha !== context.payload.workflow_run.head_sha", "the PR number from the artifact is checked")
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
