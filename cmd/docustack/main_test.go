package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	tfjson "github.com/hashicorp/terraform-json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/docustack/infrastructure/internal/synth"
)

var _ = flag.Bool("update", false, "refresh golden files (internal/synth)")

func runCLI(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := run(args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestPlanTree(t *testing.T) {
	code, out, stderr := runCLI("plan", "--stack", "prod", "--dir", "../..")
	require.Equal(t, exitOK, code, stderr)
	plan, err := synth.Stack("../..", "prod")
	require.NoError(t, err)
	for _, want := range []string{
		"Stack prod (project docustack)",
		"├─ network  docustack:network:Network",
		"network-vpc  aws:ec2/vpc:Vpc",
		"keys-data  aws:kms/key:Key  [protected; retained on delete]",
		"     2  aws:ec2/natGateway:NatGateway",
		"     9  aws:ec2/vpcEndpoint:VpcEndpoint",
		fmt.Sprintf("Total: %d cloud resources, ", plan.CustomCount()),
	} {
		assert.True(t, strings.Contains(out, want), "plan output lacks %q", want)
	}
}

func TestPlanJSON(t *testing.T) {
	code, out, _ := runCLI("plan", "--stack", "dev", "--json", "--dir", "../..")
	require.Equal(t, exitOK, code)
	var plan struct {
		Stack     string           `json:"stack"`
		Resources []map[string]any `json:"resources"`
		Outputs   map[string]any   `json:"outputs"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &plan))
	assert.Equal(t, "dev", plan.Stack)
	want, err := synth.Stack("../..", "dev")
	require.NoError(t, err)
	assert.Len(t, plan.Resources, len(want.Resources))
	assert.Equal(t, "docustack-org-log-archive-555555555555", plan.Outputs["logArchiveBucket"], "the organization's Log Archive")
}

// TestPlanTFPlan: --format tfplan writes Terraform's JSON plan format, read
// back by HashiCorp's reader of it; an unknown format is a usage error
// naming what is allowed.
func TestPlanTFPlan(t *testing.T) {
	code, out, stderr := runCLI("plan", "--stack", "prod", "--format", "tfplan", "--dir", "../..")
	require.Equal(t, exitOK, code, stderr)
	var p tfjson.Plan
	require.NoError(t, json.Unmarshal([]byte(out), &p))
	require.NoError(t, p.Validate())
	want, err := synth.Stack("../..", "prod")
	require.NoError(t, err)
	aws := 0
	for _, r := range want.Resources {
		if r.Custom && strings.HasPrefix(r.Type, "aws:") {
			aws++
		}
	}
	assert.Len(t, p.ResourceChanges, aws)

	code, _, stderr = runCLI("plan", "--stack", "prod", "--format", "hcl", "--dir", "../..")
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, `--format "hcl": allowed are tree, json and tfplan`)
}

func TestPlanBrokenStackListsEveryProblem(t *testing.T) {
	dir := t.TempDir()
	project, err := os.ReadFile("../../Pulumi.yaml")
	require.NoError(t, err)
	dev, err := os.ReadFile("../../Pulumi.dev.yaml")
	require.NoError(t, err)
	broken := strings.NewReplacer("10.0.0.0/16", "10.0.0.0/8", "environment: dev", "environment: qa").Replace(string(dev))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "Pulumi.yaml"), project, 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "Pulumi.dev.yaml"), []byte(broken), 0o644))

	code, out, stderr := runCLI("plan", "--stack", "dev", "--dir", dir)
	assert.Equal(t, exitFail, code)
	assert.Empty(t, out)
	assert.Contains(t, stderr, `stack "dev" has 2 problem(s):`)
	assert.Contains(t, stderr, `  - docustack:environment: got "qa"`)
	assert.Contains(t, stderr, `  - docustack:network.vpcCidr: got "10.0.0.0/8", want a private /16`)
}

func TestUsage(t *testing.T) {
	code, out, _ := runCLI()
	assert.Equal(t, exitOK, code)
	assert.Contains(t, out, "usage: docustack")

	code, _, stderr := runCLI("plan", "--dir", "../..")
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, "--stack is required")

	code, _, stderr = runCLI("deploy", "--stack", "dev", "--dir", "../..")
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, `unknown command "deploy"`)

	code, _, stderr = runCLI("plan", "--stack", "qa", "--dir", "../..")
	assert.Equal(t, exitFail, code)
	assert.Contains(t, stderr, "no such stack file")
}
