package verify

import (
	"fmt"
	"io"
	"strings"

	"github.com/docustack/infrastructure/internal/synth"
)

// Report is the verdict of every analysis over one stack.
type Report struct {
	Stack    string    `json:"stack"`
	Findings []Finding `json:"findings"`
	Summary  Summary   `json:"summary"`
	// Deploy counts what the deployable section checked.
	Deploy DeployStats `json:"deploy"`
}

// Summary counts intents by kind and failures.
type Summary struct {
	Allowed    int  `json:"allowed"`    // intents that must be open
	Denied     int  `json:"denied"`     // intents that must be closed (deny, exposure, dangling)
	Deployable int  `json:"deployable"` // documents, quotas and principals AWS must accept
	Total      int  `json:"total"`
	Failed     int  `json:"failed"`
	Passed     bool `json:"passed"`
}

// Plan runs every analysis over a synthesized plan. org is the org stack's
// plan, whose SCPs bound the workload accounts; nil when not known.
func Plan(p *synth.Plan, org *synth.Plan) Report {
	r := Report{Stack: p.Stack, Findings: append(Network(p), Access(p, org)...)}
	deploy, stats := Deployable(p)
	r.Findings, r.Deploy = append(r.Findings, deploy...), stats
	for _, f := range r.Findings {
		switch {
		case f.Kind == KindDeploy:
			r.Summary.Deployable++
		case f.Kind == "allow" || f.Kind == "access":
			r.Summary.Allowed++
		default:
			r.Summary.Denied++
		}
		if !f.OK {
			r.Summary.Failed++
		}
	}
	r.Summary.Total = len(r.Findings)
	r.Summary.Passed = r.Summary.Failed == 0
	return r
}

// AddMembers adds to the org stack's report every member stack's
// deliveries into the accounts the org stack builds (MemberDeliveries).
func (r *Report) AddMembers(org *synth.Plan, members ...*synth.Plan) {
	for _, m := range members {
		for _, f := range MemberDeliveries(m, org) {
			r.Findings = append(r.Findings, f)
			if f.Kind == "allow" || f.Kind == "access" {
				r.Summary.Allowed++
			} else {
				r.Summary.Denied++
			}
			if !f.OK {
				r.Summary.Failed++
			}
		}
	}
	r.Summary.Total = len(r.Findings)
	r.Summary.Passed = r.Summary.Failed == 0
}

// Write prints the failures first, each with its explanation, then a summary.
func (r Report) Write(w io.Writer, verbose bool) {
	for _, f := range r.Findings {
		if f.OK && !verbose {
			continue
		}
		mark := "ok  "
		if !f.OK {
			mark = "FAIL"
		}
		fmt.Fprintf(w, "%s %-8s %s\n     %s\n", mark, f.Kind, f.Intent, f.Detail)
		if verbose && len(f.DecidedBy) > 0 {
			fmt.Fprintf(w, "     decided by: %s\n", strings.Join(f.DecidedBy, ", "))
		}
	}
	fmt.Fprintln(w, deployLines(r.Findings, r.Deploy))
	verdict := "passed"
	if !r.Summary.Passed {
		verdict = "FAILED"
	}
	fmt.Fprintf(w, "%s: %d intents (%d allowed, %d denied, %d deployable), %d failed: %s\n",
		r.Stack, r.Summary.Total, r.Summary.Allowed, r.Summary.Denied, r.Summary.Deployable, r.Summary.Failed, verdict)
}
