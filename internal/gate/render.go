package gate

import (
	"fmt"
	"io"
)

// Markdown writes the gate's section of the pull-request comment: the
// decision, the stop signs it weighed, and each stack's real preview.
func (d Decision) Markdown(w io.Writer) {
	switch {
	case d.Pass && len(d.Signs) == 0:
		fmt.Fprintf(w, "## Review gate: passed\n\nNo stop signs.\n")
	case d.Pass:
		fmt.Fprintf(w, "## Review gate: passed\n\n%d stop sign(s), accepted with the `%s` label for this commit.\n", len(d.Signs), Label)
	default:
		fmt.Fprintf(w, "## Review gate: blocked\n\n")
		for _, r := range d.Reasons {
			fmt.Fprintf(w, "- %s\n", r)
		}
		if len(d.Signs) > 0 && !d.Accepted {
			fmt.Fprintf(w, "- %d stop sign(s) wait for a reviewer to apply the `%s` label to this commit (a push removes it; docs/review.md).\n", len(d.Signs), Label)
		}
	}
	var own []StopSign
	for _, s := range d.Signs {
		if s.Action == "self-review" || s.Action == "disagree" {
			own = append(own, s)
		}
	}
	if len(own) > 0 {
		fmt.Fprintf(w, "\n**Raised by the gate**\n\n")
		for _, s := range own {
			fmt.Fprintf(w, "- **%s** `%s`: **%s**: %s\n", s.Stack, s.Name, s.Action, s.Why)
		}
	}
	if len(d.Previews) == 0 {
		fmt.Fprintf(w, "\n_No credentialed preview ran (a fork's pull request, or the previews were skipped): the offline diff is the whole review._\n")
		return
	}
	fmt.Fprintf(w, "\n**The engine's preview** (`pulumi preview`, with the policy pack)\n\n| Stack | Exit | Create | Update | Replace | Delete | Agrees with the offline diff |\n|---|--:|--:|--:|--:|--:|---|\n")
	for _, p := range d.Previews {
		agree := "yes"
		switch {
		case p.Problem != "":
			agree = "unreadable: " + p.Problem
		case len(p.Disagree) > 0:
			agree = fmt.Sprintf("**no**: %d resource(s)", len(p.Disagree))
		}
		fmt.Fprintf(w, "| %s | %d | %d | %d | %d | %d | %s |\n", p.Stack, p.Exit, p.Counts["create"], p.Counts["update"], p.Counts["replace"], p.Counts["delete"], agree)
	}
	for _, p := range d.Previews {
		for _, x := range p.Disagree {
			fmt.Fprintf(w, "\n- %s `%s`: engine **%s**, offline diff **%s**", p.Stack, x.URN, orNone(x.Engine), orNone(x.Offline))
		}
	}
	fmt.Fprintln(w)
}
