package review

import (
	"fmt"
	"io"
	"strings"

	"github.com/docustack/infrastructure/internal/awsspec"
	"github.com/docustack/infrastructure/internal/synth"
)

// Marker starts the pull-request comment, so the workflow updates its own
// comment instead of adding one per push.
const Marker = "<!-- docustack-diff -->"

// CommentLimit is the most the Markdown may hold: GitHub refuses a comment
// over 65,536 characters. Details are cut first; the summary and the stop
// signs always fit.
const CommentLimit = 60000

// maxProps is how many property changes a resource lists.
const maxProps = 15

// Markdown writes the report as a pull-request comment.
func (r *Report) Markdown(w io.Writer) {
	var head, body strings.Builder
	fmt.Fprintf(&head, "%s\n## DocuStack plan diff against `%s`\n\n", Marker, r.Base)
	if !r.Changed() {
		head.WriteString("No stack changes: every stack synthesizes to the same resources, findings, intents and cost.\n")
		io.WriteString(w, head.String())
		return
	}
	if len(r.StopSigns) > 0 {
		fmt.Fprintf(&head, "> [!CAUTION]\n> **%d stop sign(s).** These lose data, rebuild the network, turn protection off or widen power (docs/review.md). The gate fails until a reviewer who accepts them applies the `%s` label to this commit; a new push removes it.\n>\n", len(r.StopSigns), StopSignLabel)
		for _, s := range r.StopSigns {
			typ := ""
			if s.Type != "" {
				typ = " (`" + s.Type + "`)"
			}
			fmt.Fprintf(&head, "> - **%s** `%s`%s: **%s**: %s\n", s.Stack, s.Name, typ, s.Action, s.Why)
			for _, f := range s.Findings {
				fmt.Fprintf(&head, ">   - policy: %s\n", f)
			}
		}
		head.WriteString("\n")
	}
	head.WriteString("| Stack | Add | Update | Replace | Delete | Policy | Verify | Cost / month |\n|---|--:|--:|--:|--:|---|---|--:|\n")
	for _, s := range r.Stacks {
		a, u, rp, d := s.Counts()
		fmt.Fprintf(&head, "| %s | %d | %d | %d | %d | %s | %s | %s |\n", s.Stack, a, u, rp, d, policyCell(s), verifyCell(s), costCell(s.Cost))
	}
	head.WriteString("\n")
	if len(r.Waivers.Added)+len(r.Waivers.Removed) > 0 {
		head.WriteString("**Waivers** (`policies/waivers.yaml`)\n\n")
		for _, x := range r.Waivers.Added {
			fmt.Fprintf(&head, "- added: %s\n", x)
		}
		for _, x := range r.Waivers.Removed {
			fmt.Fprintf(&head, "- removed: %s\n", x)
		}
		head.WriteString("\n")
	}
	for _, s := range r.Stacks {
		if s.empty() {
			continue
		}
		a, u, rp, d := s.Counts()
		fmt.Fprintf(&body, "<details><summary><b>%s</b>: %d to add, %d to update, %d to replace, %d to delete</summary>\n\n", s.Stack, a, u, rp, d)
		if s.Note != "" {
			fmt.Fprintf(&body, "_%s_\n\n", s.Note)
		}
		writeStackMarkdown(&body, s)
		body.WriteString("</details>\n\n")
	}
	foot := fmt.Sprintf("<sub>Offline: each side synthesized by its own `docustack` (base `%s`, commit %s), with no AWS credentials. `replace` marks a property the provider cannot change in place (internal/review/replace.go).</sub>\n", r.Base, short(r.BaseCommit))
	out := head.String()
	if len(out)+body.Len()+len(foot) > CommentLimit {
		out += "_The details are too long for a comment: run `docustack diff --base " + r.Base + "` or open the workflow's artifact._\n\n"
	} else {
		out += body.String()
	}
	io.WriteString(w, out+foot)
}

func writeStackMarkdown(w *strings.Builder, s StackDiff) {
	if len(s.Policy.NewlyViolated)+len(s.Policy.NewlyPassing) > 0 {
		w.WriteString("**Policy pack**\n\n")
		for _, f := range s.Policy.NewlyViolated {
			fmt.Fprintf(w, "- :x: newly violated %s `%s` (%s%s): %s\n", f.Rule, f.Resource, f.Level, waived(f.Waived), firstSentence(f.Message))
		}
		for _, f := range s.Policy.NewlyPassing {
			fmt.Fprintf(w, "- :white_check_mark: now passing %s `%s`\n", f.Rule, f.Resource)
		}
		w.WriteString("\n")
	}
	if len(s.Verify.NewlyFailing)+len(s.Verify.NewlyPassing) > 0 {
		w.WriteString("**Verify**\n\n")
		for _, i := range s.Verify.NewlyFailing {
			fmt.Fprintf(w, "- :x: newly failing: %s (%s)\n", i.Intent, i.Detail)
		}
		for _, i := range s.Verify.NewlyPassing {
			fmt.Fprintf(w, "- :white_check_mark: now holds: %s\n", i.Intent)
		}
		w.WriteString("\n")
	}
	if len(s.Cost.ByComponent) > 0 {
		fmt.Fprintf(w, "**Cost**: $%.2f → $%.2f a month (%s)\n\n| Component | Base | Head | Delta |\n|---|--:|--:|--:|\n", s.Cost.BaseUSD, s.Cost.HeadUSD, signed(s.Cost.DeltaUSD))
		for _, c := range s.Cost.ByComponent {
			fmt.Fprintf(w, "| %s | %.2f | %.2f | %s |\n", c.Component, c.BaseUSD, c.HeadUSD, signed(c.DeltaUSD))
		}
		w.WriteString("\n")
	}
	if len(s.Added)+len(s.Removed)+len(s.Changed) > 0 {
		w.WriteString("**Resources**\n\n```diff\n")
		writeResources(w, s)
		w.WriteString("```\n\n")
	}
	if len(s.Outputs) > 0 {
		w.WriteString("**Stack outputs**\n\n```diff\n")
		writeProps(w, s.Outputs, "")
		w.WriteString("```\n\n")
	}
}

// writeResources lists the changed, created and deleted resources.
func writeResources(w *strings.Builder, s StackDiff) {
	for _, c := range s.Changed {
		switch c.Action {
		case "replace":
			fmt.Fprintf(w, "! replace %s (%s)\n", c.Name, c.Type)
		case "update":
			fmt.Fprintf(w, "~ update  %s (%s)\n", c.Name, c.Type)
		default:
			fmt.Fprintf(w, "  options %s (%s)\n", c.Name, c.Type)
		}
		if c.RenamedFrom != "" {
			fmt.Fprintf(w, "    renamed from %s\n", c.RenamedFrom)
		}
		writeProps(w, c.Properties, "")
		writeProps(w, c.Options, "option ")
	}
	for _, a := range s.Added {
		fmt.Fprintf(w, "+ create  %s (%s)\n", a.Name, a.Type)
		writeProps(w, keyProperties(a), "")
		if a.RenameOf != "" {
			fmt.Fprintf(w, "    looks like %s renamed without an alias (deleted below): pulumi.Aliases([]pulumi.Alias{{URN: pulumi.URN(%q)}}) keeps it\n",
				a.RenameOf[strings.LastIndex(a.RenameOf, "::")+2:], a.RenameOf)
		}
	}
	for _, d := range s.Removed {
		fmt.Fprintf(w, "- delete  %s (%s)%s\n", d.Name, d.Type, protectedMark(d.Protect))
	}
}

// PlanChanges describes how plan head differs from plan base, resource by
// resource (property path, old → new; options; outputs): what TestGolden
// prints, so that regenerating a golden file is a reviewed act.
func PlanChanges(base, head *synth.Plan) string {
	d := Compare(&Snapshot{Stack: head.Stack, Plan: base}, &Snapshot{Stack: head.Stack, Plan: head})
	var b strings.Builder
	writeResources(&b, d)
	if len(d.Outputs) > 0 {
		b.WriteString("stack outputs:\n")
		writeProps(&b, d.Outputs, "")
	}
	return b.String()
}

func writeProps(w *strings.Builder, props []PropChange, prefix string) {
	for i, p := range props {
		if i == maxProps {
			fmt.Fprintf(w, "    … and %d more\n", len(props)-maxProps)
			return
		}
		mark := ""
		if p.Replaces {
			mark = "  [forces replacement]"
		}
		fmt.Fprintf(w, "    %s%s: %s → %s%s\n", prefix, p.Path, clip(orNone(p.Old)), clip(orNone(p.New)), mark)
	}
}

// Text writes the report for a terminal.
func (r *Report) Text(w io.Writer) {
	fmt.Fprintf(w, "docustack diff against %s (%s)\n\n", r.Base, short(r.BaseCommit))
	if !r.Changed() {
		fmt.Fprintln(w, "No changes.")
		return
	}
	if len(r.StopSigns) > 0 {
		fmt.Fprintf(w, "STOP: %d change(s) lose data, rebuild the network, turn protection off or widen power:\n", len(r.StopSigns))
		for _, s := range r.StopSigns {
			fmt.Fprintf(w, "  %s %s (%s): %s: %s\n", s.Stack, s.Name, s.Type, s.Action, s.Why)
			for _, f := range s.Findings {
				fmt.Fprintf(w, "    policy: %s\n", f)
			}
		}
		fmt.Fprintln(w)
	}
	for _, x := range r.Waivers.Added {
		fmt.Fprintf(w, "waiver added: %s\n", x)
	}
	for _, x := range r.Waivers.Removed {
		fmt.Fprintf(w, "waiver removed: %s\n", x)
	}
	for _, s := range r.Stacks {
		a, u, rp, d := s.Counts()
		fmt.Fprintf(w, "== %s: %d to add, %d to update, %d to replace, %d to delete; policy %s; verify %s; cost %s\n",
			s.Stack, a, u, rp, d, policyCell(s), verifyCell(s), costCell(s.Cost))
		if s.empty() {
			continue
		}
		var b strings.Builder
		if s.Note != "" {
			fmt.Fprintf(&b, "%s\n", s.Note)
		}
		writeStackMarkdown(&b, s)
		// The Markdown details read well as text once the fences go.
		text := strings.NewReplacer("```diff\n", "", "```\n", "", "**", "", ":x: ", "", ":white_check_mark: ", "").Replace(b.String())
		fmt.Fprint(w, text)
	}
}

func policyCell(s StackDiff) string {
	n, p := len(s.Policy.NewlyViolated), len(s.Policy.NewlyPassing)
	if n+p == 0 {
		return "–"
	}
	return fmt.Sprintf("%d new, %d fixed", n, p)
}

func verifyCell(s StackDiff) string {
	n, p := len(s.Verify.NewlyFailing), len(s.Verify.NewlyPassing)
	if n+p == 0 {
		return "–"
	}
	return fmt.Sprintf("%d failing, %d fixed", n, p)
}

func costCell(c CostDelta) string {
	if c.DeltaUSD == 0 {
		return fmt.Sprintf("$%.2f", c.HeadUSD)
	}
	return fmt.Sprintf("$%.2f (%s)", c.HeadUSD, signed(c.DeltaUSD))
}

func signed(f float64) string {
	if f < 0 {
		return fmt.Sprintf("-$%.2f", -f)
	}
	return fmt.Sprintf("+$%.2f", f)
}

func waived(w bool) string {
	if w {
		return ", waived"
	}
	return ""
}

func protectedMark(p bool) string {
	if p {
		return "  [protected]"
	}
	return ""
}

// maxValue is the longest value the Markdown and text print; the JSON
// report has every value whole.
const maxValue = 80

func clip(s string) string {
	if r := []rune(s); len(r) > maxValue {
		return string(r[:maxValue-1]) + "…"
	}
	return s
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

func short(sha string) string {
	if len(sha) > 12 {
		return sha[:12]
	}
	return sha
}

func firstSentence(s string) string {
	if i := strings.Index(s, ". "); i > 0 {
		return s[:i+1]
	}
	return s
}

// keyProperties are the inputs that define a created resource: those the
// provider cannot change in place (the replace table) and its name.
func keyProperties(a Created) []PropChange {
	force, _ := awsspec.ForceNew(a.Type)
	key := map[string]bool{"name": true, "namePrefix": true}
	all := false
	for _, f := range force {
		key[f] = true
		all = all || f == "*"
	}
	var out []PropChange
	for _, p := range a.Properties {
		top, _, _ := strings.Cut(p.Path, ".")
		if all || key[top] {
			out = append(out, p)
		}
	}
	return out
}
