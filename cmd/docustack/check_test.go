package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/kms"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/docustack/infrastructure/internal/synth"
	"github.com/docustack/infrastructure/policies/rules"
)

// Every stack file passes the pack: no unwaived mandatory finding.
func TestCheckEveryStackPasses(t *testing.T) {
	for _, stack := range []string{"dev", "staging", "prod", "org"} {
		t.Run(stack, func(t *testing.T) {
			code, out, stderr := runCLI("check", "--stack", stack, "--json", "--dir", "../..")
			var rep checkReport
			require.NoError(t, json.Unmarshal([]byte(out), &rep), stderr)
			// A regression that breaks a rule fails here, once, naming it.
			for _, f := range rep.Findings {
				if !f.Waived && f.Level == "mandatory" {
					t.Errorf("%s on %s in %s: %s", f.Rule, f.Resource, stack, f.Message)
				}
			}
			assert.Equal(t, exitOK, code)
			assert.True(t, rep.Summary.Passed)
		})
	}
}

// copyProject copies the project files check reads into a temp dir.
func copyProject(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, f := range []string{"Pulumi.yaml", "Pulumi.dev.yaml", "Pulumi.prod.yaml", "policies/waivers.yaml"} {
		b, err := os.ReadFile(filepath.Join("../..", f))
		require.NoError(t, err)
		require.NoError(t, os.MkdirAll(filepath.Dir(filepath.Join(dir, f)), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(dir, f), b, 0o644))
	}
	return dir
}

// brokenPlan is a fixture of its own, not a live stack (whose findings a
// regression elsewhere would change): one KMS key whose rotation is off.
func brokenPlan(t *testing.T) *synth.Plan {
	t.Helper()
	plan, err := synth.Run(synth.Options{Stack: "dev"}, func(ctx *pulumi.Context) error {
		_, err := kms.NewKey(ctx, "keys-data", &kms.KeyArgs{EnableKeyRotation: pulumi.Bool(false)})
		return err
	})
	require.NoError(t, err)
	return plan
}

func TestCheckReportsABrokenResource(t *testing.T) {
	rep, err := checkPlan(brokenPlan(t), nil)
	require.NoError(t, err)
	assert.False(t, rep.Summary.Passed)
	assert.Equal(t, 1, rep.Summary.Blocking)
	var out bytes.Buffer
	writeFindings(&out, rep)
	assert.Regexp(t, `DS-KMS-001\s+keys-data\s+mandatory\s+no\s+DS-KMS-001: keys-data does not rotate`, out.String())
	assert.Contains(t, out.String(), "FAILED: ")
}

func TestCheckTableShowsWaivedFindings(t *testing.T) {
	waivers, err := rules.ParseWaivers([]byte(`
waivers:
  - rule: DS-KMS-001
    resource: keys-data
    stacks: [dev]
    reason: Rotation is handled by the key's owning team out of band.
    expires: "2099-12-31"
`), time.Now())
	require.NoError(t, err)
	rep, err := checkPlan(brokenPlan(t), waivers)
	require.NoError(t, err)
	assert.True(t, rep.Summary.Passed)
	assert.Equal(t, 1, rep.Summary.Waived)
	var out bytes.Buffer
	writeFindings(&out, rep)
	assert.Regexp(t, `DS-KMS-001\s+keys-data\s+mandatory\s+yes \[1\]`, out.String())
	assert.Contains(t, out.String(), "Waivers (policies/waivers.yaml):")
	assert.Contains(t, out.String(), "(until 2099-12-31)")
	assert.Contains(t, out.String(), fmt.Sprintf("PASSED: %d rules over 1 resources: 1 finding(s), 1 waived, 0 blocking", len(rules.Rules())))
}

func TestCheckRejectsBrokenStackFile(t *testing.T) {
	// A prod stack file that drops protection fails before any rule runs,
	// naming the key.
	dir := copyProject(t)
	prod, err := os.ReadFile(filepath.Join(dir, "Pulumi.prod.yaml"))
	require.NoError(t, err)
	broken := strings.Replace(string(prod), "docustack:protectStatefulResources: true", "docustack:protectStatefulResources: false", 1)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "Pulumi.prod.yaml"), []byte(broken), 0o644))
	code, _, stderr := runCLI("check", "--stack", "prod", "--dir", dir)
	assert.Equal(t, exitFail, code)
	assert.Contains(t, stderr, "docustack:protectStatefulResources: got false, want true in prod")
}

func TestCheckRejectsExpiredWaiver(t *testing.T) {
	defer func(orig func() time.Time) { today = orig }(today)
	today = func() time.Time { return time.Date(2027, 2, 1, 0, 0, 0, 0, time.UTC) }
	dir := copyProject(t)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "policies/waivers.yaml"), []byte(`
waivers:
  - rule: DS-KMS-001
    resource: keys-data
    reason: Rotation is handled by the key's owning team out of band.
    expires: "2027-01-31"
`), 0o644))
	code, _, stderr := runCLI("check", "--stack", "dev", "--dir", dir)
	assert.Equal(t, exitFail, code)
	assert.Contains(t, stderr, "policies/waivers.yaml is invalid")
	assert.Contains(t, stderr, "expired on 2027-01-31")
}

// docs/controls.md, docs/architecture.md and docs/config.md are generated
// (`make docs`); a change to the program or the rules must regenerate them.
func TestGeneratedDocsAreCurrent(t *testing.T) {
	docs, err := generatedDocs("../..")
	require.NoError(t, err)
	require.Len(t, docs, 3)
	for path, want := range docs {
		got, err := os.ReadFile(filepath.Join("../..", path))
		require.NoError(t, err)
		assert.Equal(t, string(want), string(got), "%s is stale: run make docs", path)
	}
	assert.Contains(t, string(docs["docs/controls.md"]), "| DS-KMS-001 | mandatory | §164.312(a)(2)(iv) |")
	arch := string(docs["docs/architecture.md"])
	assert.Contains(t, arch, "## dev")
	assert.Contains(t, arch, "## prod")
	assert.Contains(t, arch, "database_instance[(\"PostgreSQL docustack-prod<br/>db.m7g.large Multi-AZ\")]")
	config := string(docs["docs/config.md"])
	for _, k := range []string{"`network`", "`vpcCidr` (string)", "`temporal`", "`numHistoryShards` (integer)", "`cost`"} {
		assert.Contains(t, config, k)
	}
}

func TestControlsCommand(t *testing.T) {
	code, out, _ := runCLI("controls")
	require.Equal(t, exitOK, code)
	assert.Contains(t, out, "| DS-KMS-001 | mandatory | §164.312(a)(2)(iv) |")
}

func TestGraphCommand(t *testing.T) {
	code, out, _ := runCLI("graph", "--stack", "prod", "--dir", "../..")
	require.Equal(t, exitOK, code)
	for _, want := range []string{"flowchart TB", "subgraph public", "subgraph database_tier", "network_nat_0", "network_nat_1",
		"ingress_alb -->|HTTPS 8080| web_service", "workers_service -->|frontend:7233| temporal_frontend_service", "interface endpoints"} {
		assert.Contains(t, out, want)
	}
}

// The DR runbook maps every scenario of the seed's DR table.
func TestDRRunbookCoversTheSeedScenarios(t *testing.T) {
	b, err := os.ReadFile("../../docs/runbooks/disaster-recovery.md")
	require.NoError(t, err)
	doc := string(b)
	for _, scenario := range []string{"## Single AZ failure (< 5 minutes", "## Region failure (4 hours)", "## Data corruption (1 hour)", "## Ransomware (4 hours)"} {
		assert.Contains(t, doc, scenario)
	}
	for _, resource := range []string{"backup-dr-vault", "backup-vault-lock", "documents-replica-bucket", "multiAz: true"} {
		assert.Contains(t, doc, resource)
	}
}

// verify --plan judges a saved plan: the same verdict as the synthesis, a
// planted defect in the file fails, and an unreadable file is named.
func TestVerifyPlanFile(t *testing.T) {
	code, saved, stderr := runCLI("plan", "--stack", "staging", "--json", "--dir", "../..")
	require.Equal(t, exitOK, code, stderr)
	dir := t.TempDir()
	good := filepath.Join(dir, "staging.json")
	require.NoError(t, os.WriteFile(good, []byte(saved), 0o644))
	code, fromFile, stderr := runCLI("verify", "--plan", good, "--dir", "../..")
	require.Equal(t, exitOK, code, stderr+fromFile)
	_, fromStack, _ := runCLI("verify", "--stack", "staging", "--dir", "../..")
	assert.Equal(t, lastLine(fromStack), lastLine(fromFile))

	bad := filepath.Join(dir, "bad.json")
	planted := strings.Replace(saved, `\"Action\":\"sts:AssumeRole\"`, `\"Action\":\"sts:AssumeRole\",\"Resource\":\"*\"`, 1)
	require.NotEqual(t, saved, planted)
	require.NoError(t, os.WriteFile(bad, []byte(planted), 0o644))
	code, out, _ := runCLI("verify", "--plan", bad, "--dir", "../..")
	assert.Equal(t, exitFail, code)
	assert.Contains(t, out, "Has prohibited field Resource")

	code, _, stderr = runCLI("verify", "--plan", filepath.Join(dir, "missing.json"), "--dir", "../..")
	assert.Equal(t, exitFail, code)
	assert.Contains(t, stderr, "missing.json")
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

func TestVerifyCommand(t *testing.T) {
	for _, stack := range []string{"dev", "staging", "prod", "org"} {
		code, out, stderr := runCLI("verify", "--stack", stack, "--dir", "../..")
		require.Equal(t, exitOK, code, stderr+out)
		assert.Contains(t, out, stack+": ")
		assert.Contains(t, out, "0 failed: passed")
	}
	code, out, _ := runCLI("verify", "--stack", "dev", "--json", "-v", "--dir", "../..")
	require.Equal(t, exitOK, code)
	var rep struct {
		Findings []struct {
			Intent    string   `json:"intent"`
			OK        bool     `json:"ok"`
			DecidedBy []string `json:"decidedBy"`
		} `json:"findings"`
		Summary struct{ Allowed, Denied, Deployable, Total int } `json:"summary"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &rep))
	assert.Equal(t, rep.Summary.Total, rep.Summary.Allowed+rep.Summary.Denied+rep.Summary.Deployable)
	assert.Greater(t, rep.Summary.Deployable, 50, "the deployable section's documents and principals are findings")
	found := false
	for _, f := range rep.Findings {
		if f.Intent == "workers -> database tcp/5432" {
			found = true
			assert.True(t, f.OK)
			assert.Contains(t, f.DecidedBy, "workers-db-ingress-0", "explains which rule admits it")
		}
	}
	assert.True(t, found)
}
