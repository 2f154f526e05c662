// Package gate decides whether a pull request's stop signs are accepted.
//
// It runs in the review-gate workflow from the base branch (workflow_run
// and pull_request_target), never from the pull request: it reads the
// pull request's diff report and previews as data, and GitHub's own record
// of the pull request (its changed files, its labels and when each was
// applied, the run that produced the report). It imports nothing but the
// standard library, so the workflow builds it without downloading the
// program's dependencies.
package gate

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"time"
)

// Label is the label a reviewer applies to accept a commit's stop signs.
const Label = "accept-stop-signs"

// StatusContext is the commit status the gate sets on the head commit; the
// branch protection of main requires it (.github/branch-protection.json).
const StatusContext = "docustack/review-gate"

// Report is the part of `docustack diff --save`'s JSON the gate reads
// (internal/review.Report; TestReportMirrorsTheReview decodes a real one).
type Report struct {
	StopSigns []StopSign `json:"stopSigns"`
	Stacks    []struct {
		Stack string            `json:"stack"`
		Steps map[string]string `json:"steps"`
	} `json:"stacks"`
}

// StopSign is one stop sign of the report.
type StopSign struct {
	Stack    string   `json:"stack"`
	Name     string   `json:"name"`
	Type     string   `json:"type"`
	Action   string   `json:"action"`
	Why      string   `json:"why"`
	Findings []string `json:"findings"`
}

// Context is GitHub's record of the pull request, gathered by the workflow
// through the API (never from the pull request's files).
type Context struct {
	HeadSHA string `json:"headSha"`
	// RunHeadSHA is the commit the report's run tested; RunCreatedAt when
	// it started.
	RunHeadSHA   string    `json:"runHeadSha"`
	RunCreatedAt time.Time `json:"runCreatedAt"`
	// Labels are the pull request's labels now; LabelEvents its label
	// history (issue events "labeled"/"unlabeled").
	Labels      []string     `json:"labels"`
	LabelEvents []LabelEvent `json:"labelEvents"`
	// ChangedFiles are the paths the pull request changes.
	ChangedFiles []string `json:"changedFiles"`
	// Fork: the pull request comes from a fork, so no credentialed preview ran.
	Fork bool `json:"fork"`
}

// LabelEvent is one labeled/unlabeled event.
type LabelEvent struct {
	Event     string    `json:"event"`
	Label     string    `json:"label"`
	CreatedAt time.Time `json:"createdAt"`
}

// Preview is one stack's real `pulumi preview --json`, run before the gate.
type Preview struct {
	Stack string
	// JSON is the preview's output; Exit its exit code (a policy pack's
	// mandatory violation or an error is not 0).
	JSON []byte
	Exit int
}

// Decision is the gate's answer.
type Decision struct {
	Pass bool
	// Signs are the stop signs that need acceptance: the report's, one for
	// a pull request that changes its own review, and one per disagreement
	// between the engine and the offline diff.
	Signs []StopSign
	// Accepted: the label was applied after the run that produced this
	// report started, and is still there.
	Accepted bool
	// Reasons say why the gate fails, whatever the label.
	Reasons []string
	// Previews are the engine's summaries, per stack.
	Previews []PreviewSummary
}

// PreviewSummary is one stack's engine preview as the comment shows it.
type PreviewSummary struct {
	Stack    string
	Exit     int
	Counts   map[string]int
	Disagree []Disagreement
	Problem  string
}

// SelfPaths are the paths whose change alters how the report is produced
// (the review and its workflows, the synthesis, the analyses, the build):
// the pull request's own code computed its report, so a change there cannot
// vouch for itself. Prefixes end in "/".
var SelfPaths = []string{".github/", ".ci/", "cmd/", "internal/", "policies/", "Makefile", "go.mod", "go.sum"}

// Decide takes the decision. A missing report (the diff failed) fails.
func Decide(rep *Report, ctx Context, previews []Preview) Decision {
	var d Decision
	if rep == nil {
		d.Reasons = append(d.Reasons, "the pull request's run produced no diff report (the diff failed: see its log)")
		return d
	}
	if ctx.RunHeadSHA != ctx.HeadSHA {
		d.Reasons = append(d.Reasons, fmt.Sprintf("the report is of %s, the pull request is at %s: its run has not finished", short(ctx.RunHeadSHA), short(ctx.HeadSHA)))
	}
	d.Signs = append(d.Signs, rep.StopSigns...)
	if self := selfChanges(ctx.ChangedFiles); len(self) > 0 {
		d.Signs = append(d.Signs, StopSign{Stack: "all", Name: "the review itself", Action: "self-review",
			Why: "the pull request changes code that produces its own report (" + strings.Join(self, ", ") +
				"); the report cannot vouch for it. CODEOWNERS review applies"})
	}
	steps := map[string]map[string]string{}
	for _, s := range rep.Stacks {
		steps[s.Stack] = s.Steps
	}
	for _, p := range previews {
		sum := PreviewSummary{Stack: p.Stack, Exit: p.Exit, Counts: map[string]int{}}
		engine, err := PreviewSteps(p.JSON)
		switch {
		case err != nil:
			sum.Problem = err.Error()
			d.Reasons = append(d.Reasons, fmt.Sprintf("%s: the preview's output is unreadable: %v", p.Stack, err))
		default:
			for _, op := range engine {
				sum.Counts[op]++
			}
			offline, ok := steps[p.Stack]
			if !ok {
				break // the diff did not cover this stack
			}
			sum.Disagree = Disagree(engine, offline)
			for _, x := range sum.Disagree {
				d.Signs = append(d.Signs, StopSign{Stack: p.Stack, Name: x.URN[strings.LastIndex(x.URN, "::")+2:], Action: "disagree",
					Why: fmt.Sprintf("the engine plans %s, the offline diff %s (%s)", orNone(x.Engine), orNone(x.Offline), x.URN)})
			}
		}
		if p.Exit != 0 {
			d.Reasons = append(d.Reasons, fmt.Sprintf("%s: pulumi preview exited %d (a mandatory policy violation or an error: see the preview job)", p.Stack, p.Exit))
		}
		d.Previews = append(d.Previews, sum)
	}
	d.Accepted = accepted(ctx)
	d.Pass = len(d.Reasons) == 0 && (len(d.Signs) == 0 || d.Accepted)
	return d
}

// accepted: the label is on the pull request, and its last application is
// later than the start of the run that produced the report. A push starts
// a new run, so a label applied before it (even if the workflow that
// removes it on every push failed) accepts nothing of the new commit.
func accepted(ctx Context) bool {
	if !slices.Contains(ctx.Labels, Label) {
		return false
	}
	var last time.Time
	for _, e := range ctx.LabelEvents {
		if e.Event == "labeled" && e.Label == Label && e.CreatedAt.After(last) {
			last = e.CreatedAt
		}
	}
	return !last.IsZero() && last.After(ctx.RunCreatedAt)
}

func selfChanges(files []string) []string {
	var out []string
	for _, f := range files {
		for _, p := range SelfPaths {
			if f == p || (strings.HasSuffix(p, "/") && strings.HasPrefix(f, p)) {
				out = append(out, f)
				break
			}
		}
	}
	sort.Strings(out)
	if len(out) > 5 {
		out = append(out[:5], fmt.Sprintf("and %d more", len(out)-5))
	}
	return out
}

// PreviewSteps reads `pulumi preview --json` (its steps) into the engine's
// classification by URN: a replacement's create-replacement and
// delete-replaced steps are one replace; same, read and refresh are no step.
func PreviewSteps(previewJSON []byte) (map[string]string, error) {
	var preview struct {
		Steps []struct {
			Op  string `json:"op"`
			URN string `json:"urn"`
		} `json:"steps"`
	}
	if err := json.Unmarshal(previewJSON, &preview); err != nil {
		return nil, fmt.Errorf("not the output of pulumi preview --json: %w", err)
	}
	out := map[string]string{}
	for _, s := range preview.Steps {
		switch s.Op {
		case "replace", "create-replacement", "delete-replaced":
			out[s.URN] = "replace"
		case "update", "create", "delete":
			if out[s.URN] == "" {
				out[s.URN] = s.Op
			}
		}
	}
	return out, nil
}

// Disagreement is a resource the engine and the offline diff classify
// differently ("" is no step).
type Disagreement struct {
	URN     string `json:"urn"`
	Engine  string `json:"engine"`
	Offline string `json:"offline"`
}

// Disagree compares the engine's steps with the offline diff's, resource by
// resource, in URN order. Providers and the stack are the engine's own
// (a default provider has no plan entry) and are left out.
func Disagree(engine, offline map[string]string) []Disagreement {
	urns := map[string]bool{}
	for u := range engine {
		urns[u] = true
	}
	for u := range offline {
		urns[u] = true
	}
	var out []Disagreement
	for _, u := range slices.Sorted(maps.Keys(urns)) {
		if strings.Contains(u, "::pulumi:providers:") || strings.HasSuffix(u, "::pulumi:pulumi:Stack") {
			continue
		}
		if engine[u] != offline[u] {
			out = append(out, Disagreement{URN: u, Engine: engine[u], Offline: offline[u]})
		}
	}
	return out
}

func short(s string) string {
	if len(s) > 12 {
		return s[:12]
	}
	return s
}

func orNone(s string) string {
	if s == "" {
		return "no change"
	}
	return s
}
