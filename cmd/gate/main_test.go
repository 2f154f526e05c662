package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestGateCommand: the files the workflow hands over, the exit codes it
// reads, and bad input named.
func TestGateCommand(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(body), 0o644))
		return p
	}
	ctx := write("context.json", `{"headSha":"b","runHeadSha":"b","runCreatedAt":"2026-12-07T10:00:00Z","changedFiles":["Pulumi.dev.yaml"]}`)
	clean := write("clean.json", `{"stopSigns":[],"stacks":[{"stack":"dev","steps":{"urn:a":"update"}}]}`)
	signed := write("signed.json", `{"stopSigns":[{"stack":"dev","name":"network-vpc","action":"rebuild","why":"a VPC"}],"stacks":[]}`)
	write("previews/dev.json", `{"steps":[{"op":"update","urn":"urn:a"}]}`)
	write("previews/dev.exit", "0\n")
	md := filepath.Join(dir, "gate.md")

	var out, errb bytes.Buffer
	assert.Equal(t, exitPass, run([]string{"--report", clean, "--context", ctx, "--previews", filepath.Join(dir, "previews"), "--markdown", md}, &out, &errb), errb.String())
	b, err := os.ReadFile(md)
	require.NoError(t, err)
	assert.Contains(t, string(b), "| dev | 0 | 0 | 1 | 0 | 0 | yes |")

	assert.Equal(t, exitBlocked, run([]string{"--report", signed, "--context", ctx}, &out, &errb))
	assert.Equal(t, exitBlocked, run([]string{"--report", filepath.Join(dir, "missing.json"), "--context", ctx}, &out, &errb), "a failed diff leaves no report")

	write("bad/dev.json", `{}`)
	errb.Reset()
	assert.Equal(t, exitFail, run([]string{"--report", clean, "--context", ctx, "--previews", filepath.Join(dir, "bad")}, &out, &errb))
	assert.Contains(t, errb.String(), "dev.json has no dev.exit")
	errb.Reset()
	assert.Equal(t, exitFail, run(nil, &out, &errb))
	assert.Contains(t, errb.String(), "--context is required")
	assert.Contains(t, errb.String(), "--report is required")
}
