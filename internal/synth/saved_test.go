package synth_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/docustack/infrastructure/internal/synth"
)

// A plan written by `docustack plan --json` reads back whole, computed state
// included (what verify's deployable section needs for principals).
func TestSavedPlanRoundTrips(t *testing.T) {
	p, err := synth.Stack(root, "dev")
	require.NoError(t, err)
	var buf bytes.Buffer
	require.NoError(t, p.WriteJSON(&buf))
	path := filepath.Join(t.TempDir(), "plan.json")
	require.NoError(t, os.WriteFile(path, buf.Bytes(), 0o644))
	back, err := synth.ReadPlan(path)
	require.NoError(t, err)
	require.Equal(t, len(p.Resources), len(back.Resources))
	for i := range p.Resources {
		assert.Equal(t, p.Resources[i].URN, back.Resources[i].URN)
		assert.Equal(t, p.Resources[i].Outputs["arn"], back.Resources[i].Outputs["arn"], p.Resources[i].URN)
	}
	assert.Equal(t, p.Outputs["accountId"], back.Outputs["accountId"])
}

// The engine's `pulumi preview --json --show-sames` (an excerpt of a real
// run of make e2e): new states with the old state's ID and outputs for what
// stays, secrets unwrapped, deletes left out, provider references resolved.
func TestReadPreview(t *testing.T) {
	p, err := synth.ReadPlan(filepath.Join("testdata", "preview.json"))
	require.NoError(t, err)
	assert.Equal(t, "dev", p.Stack)
	assert.Equal(t, "docustack", p.Project)
	assert.Equal(t, "111111111111", p.Outputs["accountId"])
	var roles int
	for _, r := range p.Resources {
		assert.NotContains(t, r.URN, "::gone", "a deleted resource is not in the plan to apply")
		if r.Type != "aws:iam/role:Role" {
			continue
		}
		roles++
		assert.NotEmpty(t, r.ID, "the ID of a resource that stays comes from its old state")
		assert.Contains(t, r.Outputs["arn"], "arn:aws:iam::111111111111:role/")
		assert.Equal(t, "urn:pulumi:dev::docustack::pulumi:providers:aws::aws", r.Provider)
		assert.NotEmpty(t, r.Str("assumeRolePolicy"))
	}
	assert.Equal(t, 2, roles)
}

func TestReadPlanErrorsNameTheFile(t *testing.T) {
	dir := t.TempDir()
	for name, body := range map[string]string{
		"not-json.json": "plan:",
		"neither.json":  `{"foo": 1}`,
		"bad-step.json": `{"steps":[{"op":"create","urn":"u","newState":{"urn":""}}]}`,
	} {
		path := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(path, []byte(body), 0o644))
		_, err := synth.ReadPlan(path)
		require.Error(t, err)
		assert.Contains(t, err.Error(), path)
	}
}
