package gate_test

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/docustack/infrastructure/internal/gate"
	"github.com/docustack/infrastructure/internal/review"
)

const (
	head = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
	old  = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	urn  = "urn:pulumi:prod::docustack::aws:rds/instance:Instance::database-instance"
)

var runStart = time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)

// reportWith is a real review.Report through its JSON, as the artifact
// carries it: the gate reads the review's own format.
func reportWith(t *testing.T, signs []review.StopSign, steps map[string]string) *gate.Report {
	t.Helper()
	rep := review.Report{Base: "main", StopSigns: signs, Stacks: []review.StackDiff{{Stack: "prod", Steps: steps}}}
	b, err := json.Marshal(rep)
	require.NoError(t, err)
	var g gate.Report
	require.NoError(t, json.Unmarshal(b, &g))
	return &g
}

func labeled(at time.Time) []gate.LabelEvent {
	return []gate.LabelEvent{{Event: "labeled", Label: gate.Label, CreatedAt: at}}
}

// preview is `pulumi preview --json` with the given (op, urn) steps.
func preview(t *testing.T, opURN ...string) []byte {
	t.Helper()
	steps := []map[string]string{}
	for i := 0; i+1 < len(opURN); i += 2 {
		steps = append(steps, map[string]string{"op": opURN[i], "urn": opURN[i+1]})
	}
	b, err := json.Marshal(map[string]any{"steps": steps})
	require.NoError(t, err)
	return b
}

func TestDecide(t *testing.T) {
	sign := review.StopSign{Stack: "prod", URN: urn, Name: "database-instance", Action: "unprotect", Why: "deletionProtection turned off (true → false)",
		Findings: []string{"DS-RDS-006: deletion protection is off."}}
	ctx := func(f func(*gate.Context)) gate.Context {
		c := gate.Context{HeadSHA: head, RunHeadSHA: head, RunCreatedAt: runStart, ChangedFiles: []string{"Pulumi.prod.yaml"}}
		f(&c)
		return c
	}
	cases := []struct {
		name     string
		rep      *gate.Report
		ctx      gate.Context
		previews []gate.Preview
		pass     bool
		want     string // in the Markdown
	}{
		{"no stop signs: passes", reportWith(t, nil, map[string]string{urn: "update"}), ctx(func(*gate.Context) {}), nil, true, "No stop signs."},
		{"a stop sign without the label: blocked", reportWith(t, []review.StopSign{sign}, nil), ctx(func(*gate.Context) {}), nil, false,
			"1 stop sign(s) wait for a reviewer"},
		{"the label applied after the run started: accepted", reportWith(t, []review.StopSign{sign}, nil), ctx(func(c *gate.Context) {
			c.Labels, c.LabelEvents = []string{gate.Label}, labeled(runStart.Add(time.Minute))
		}), nil, true, "accepted with the `accept-stop-signs` label"},
		{"a push after the label: the new run started later, the label accepts nothing of it", reportWith(t, []review.StopSign{sign}, nil), ctx(func(c *gate.Context) {
			c.Labels, c.LabelEvents = []string{gate.Label}, labeled(runStart.Add(-time.Minute))
		}), nil, false, "wait for a reviewer"},
		{"the label removed again: blocked", reportWith(t, []review.StopSign{sign}, nil), ctx(func(c *gate.Context) {
			c.LabelEvents = append(labeled(runStart.Add(time.Minute)), gate.LabelEvent{Event: "unlabeled", Label: gate.Label, CreatedAt: runStart.Add(2 * time.Minute)})
		}), nil, false, "wait for a reviewer"},
		{"a pull request that edits the gate's workflow raises its own stop sign", reportWith(t, nil, nil), ctx(func(c *gate.Context) {
			c.ChangedFiles = []string{".github/workflows/review-gate.yml"}
		}), nil, false, "the pull request changes code that produces its own report (.github/workflows/review-gate.yml)"},
		{"... and so does one that edits the diff code", reportWith(t, nil, nil), ctx(func(c *gate.Context) {
			c.ChangedFiles = []string{"internal/review/stopsigns.go", "Pulumi.dev.yaml"}
		}), nil, false, "(internal/review/stopsigns.go)"},
		{"a rename out of the review's code counts by its old path", reportWith(t, nil, nil), ctx(func(c *gate.Context) {
			c.ChangedFiles = []string{"docs/x.go", "internal/gate/gate.go"}
		}), nil, false, "internal/gate/gate.go"},
		{"no report (the diff failed): blocked whatever the label", nil, ctx(func(c *gate.Context) {
			c.Labels, c.LabelEvents = []string{gate.Label}, labeled(runStart.Add(time.Minute))
		}), nil, false, "produced no diff report"},
		{"a report of an older commit: blocked", reportWith(t, nil, nil), ctx(func(c *gate.Context) { c.RunHeadSHA = old }), nil, false,
			"the report is of aaaaaaaaaaaa, the pull request is at bbbbbbbbbbbb"},
		{"the engine agrees: passes with its summary", reportWith(t, nil, map[string]string{urn: "update"}), ctx(func(*gate.Context) {}),
			[]gate.Preview{{Stack: "prod", JSON: preview(t, "update", urn, "same", "urn:pulumi:prod::docustack::aws:s3/bucketV2:BucketV2::b")}}, true,
			"| prod | 0 | 0 | 1 | 0 | 0 | yes |"},
		{"the engine replaces what the diff updates: a stop sign", reportWith(t, nil, map[string]string{urn: "update"}), ctx(func(*gate.Context) {}),
			[]gate.Preview{{Stack: "prod", JSON: preview(t, "create-replacement", urn, "replace", urn, "delete-replaced", urn)}}, false,
			"engine **replace**, offline diff **update**"},
		{"a failing preview (a mandatory policy violation): blocked whatever the label", reportWith(t, nil, nil), ctx(func(c *gate.Context) {
			c.Labels, c.LabelEvents = []string{gate.Label}, labeled(runStart.Add(time.Minute))
		}), []gate.Preview{{Stack: "prod", JSON: preview(t), Exit: 255}}, false, "prod: pulumi preview exited 255"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := gate.Decide(c.rep, c.ctx, c.previews)
			var b bytes.Buffer
			d.Markdown(&b)
			assert.Equal(t, c.pass, d.Pass, b.String())
			assert.Contains(t, b.String(), c.want)
		})
	}
}

// TestPreviewSteps: the engine's step kinds, as `pulumi preview --json`
// names them, fold into the diff's classification.
func TestPreviewSteps(t *testing.T) {
	got, err := gate.PreviewSteps([]byte(`{"steps":[
		{"op":"same","urn":"u1"},{"op":"update","urn":"u2"},{"op":"create-replacement","urn":"u3"},
		{"op":"replace","urn":"u3"},{"op":"delete-replaced","urn":"u3"},{"op":"create","urn":"u4"},{"op":"delete","urn":"u5"},{"op":"read","urn":"u6"}]}`))
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"u2": "update", "u3": "replace", "u4": "create", "u5": "delete"}, got)
	_, err = gate.PreviewSteps([]byte("error: no stack"))
	assert.ErrorContains(t, err, "not the output of pulumi preview --json")
	assert.Empty(t, gate.Disagree(map[string]string{"urn:pulumi:dev::docustack::pulumi:providers:aws::default_6": "create"}, nil),
		"providers are the engine's own")
	assert.Equal(t, gate.Label, review.StopSignLabel, "one label")
}
