package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Every stack file passes the pack: no unwaived mandatory finding.
func TestCheckEveryStackPasses(t *testing.T) {
	for _, stack := range []string{"dev", "staging", "prod", "org"} {
		t.Run(stack, func(t *testing.T) {
			code, out, stderr := runCLI("check", "--stack", stack, "--json", "--dir", "../..")
			require.Equal(t, exitOK, code, "%s\n%s", out, stderr)
			var rep checkReport
			require.NoError(t, json.Unmarshal([]byte(out), &rep))
			assert.True(t, rep.Summary.Passed)
			assert.Zero(t, rep.Summary.Blocking)
			for _, f := range rep.Findings {
				assert.True(t, f.Waived || f.Level != "mandatory", "unwaived mandatory finding %+v", f)
			}
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

func TestCheckTableShowsWaivedFindings(t *testing.T) {
	code, out, _ := runCLI("check", "--stack", "prod", "--dir", "../..")
	require.Equal(t, exitOK, code)
	assert.Contains(t, out, "Policy pack docustack-hipaa 0.1.0 on stack prod")
	assert.Regexp(t, `DS-CFG-001\s+\(stack\)\s+mandatory\s+yes \[1\]`, out)
	assert.Contains(t, out, "Waivers (policies/waivers.yaml):")
	assert.Regexp(t, `PASSED: \d+ rules over \d+ resources: 1 finding\(s\), 1 waived, 0 blocking`, out)
}

func TestCheckFailsWithoutWaiver(t *testing.T) {
	dir := copyProject(t)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "policies/waivers.yaml"), []byte("waivers: []\n"), 0o644))
	code, out, _ := runCLI("check", "--stack", "dev", "--dir", dir)
	assert.Equal(t, exitFail, code)
	assert.Regexp(t, `DS-CFG-001\s+\(stack\)\s+mandatory\s+no`, out)
	assert.Contains(t, out, "FAILED:")
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
	code, _, stderr := runCLI("check", "--stack", "dev", "--dir", "../..")
	assert.Equal(t, exitFail, code)
	assert.Contains(t, stderr, "policies/waivers.yaml is invalid")
	assert.Contains(t, stderr, "expired on 2027-01-31")
}

// docs/controls.md is the output of `docustack controls`; regenerate with
// `make docs`.
func TestControlsDocIsCurrent(t *testing.T) {
	code, out, _ := runCLI("controls")
	require.Equal(t, exitOK, code)
	want, err := os.ReadFile("../../docs/controls.md")
	require.NoError(t, err)
	assert.Equal(t, string(want), out, "docs/controls.md is stale: run make docs")
	assert.Contains(t, out, "| DS-KMS-001 | mandatory | §164.312(a)(2)(iv) |")
	assert.Contains(t, out, "29 rules.")
}
