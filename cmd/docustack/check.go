package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/docustack/infrastructure/components"
	"github.com/docustack/infrastructure/internal/synth"
	"github.com/docustack/infrastructure/policies/rules"
)

// waiversFile is where the pack's waivers live, relative to the project root.
var waiversFile = filepath.Join("policies", "waivers.yaml")

// today is the date waivers are judged against; tests pin it.
var today = time.Now

// checkReport is check's JSON output.
type checkReport struct {
	Stack    string          `json:"stack"`
	Findings []rules.Finding `json:"findings"`
	Summary  checkSummary    `json:"summary"`
}

type checkSummary struct {
	Rules     int  `json:"rules"`
	Resources int  `json:"resources"`
	Findings  int  `json:"findings"`
	Waived    int  `json:"waived"`
	Blocking  int  `json:"blocking"`
	Passed    bool `json:"passed"`
}

func checkCmd(root, stack string, asJSON bool, stdout, stderr io.Writer) int {
	data, err := os.ReadFile(filepath.Join(root, waiversFile))
	if err != nil {
		fmt.Fprintf(stderr, "docustack check: %v\n", err)
		return exitFail
	}
	waivers, err := rules.ParseWaivers(data, today())
	if err != nil {
		fmt.Fprintf(stderr, "docustack check: %s is invalid:\n%s", waiversFile, components.ErrorLines(err))
		return exitFail
	}
	plan, err := synth.Stack(root, stack)
	if err != nil {
		fmt.Fprintf(stderr, "docustack check: stack %q has %d problem(s):\n%s", stack, len(components.Unjoin(err)), components.ErrorLines(err))
		return exitFail
	}
	rep, err := checkPlan(plan, waivers)
	if err != nil {
		fmt.Fprintf(stderr, "docustack check: %v\n", err)
		return exitFail
	}

	if asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		_ = enc.Encode(rep)
	} else {
		writeFindings(stdout, rep)
	}
	if !rep.Summary.Passed {
		return exitFail
	}
	return exitOK
}

// checkPlan runs the pack over a plan and applies the waivers.
func checkPlan(plan *synth.Plan, waivers []rules.Waiver) (checkReport, error) {
	findings, err := rules.Evaluate(plan.AnalyzerResources(), rules.Policies())
	if err != nil {
		return checkReport{}, err
	}
	findings = rules.ApplyWaivers(findings, waivers, plan.Stack)
	rep := checkReport{Stack: plan.Stack, Findings: findings, Summary: checkSummary{
		Rules: len(rules.Rules()), Resources: len(plan.Resources), Findings: len(findings),
		Blocking: len(rules.Blocking(findings)),
	}}
	for _, f := range findings {
		if f.Waived {
			rep.Summary.Waived++
		}
	}
	rep.Summary.Passed = rep.Summary.Blocking == 0
	if rep.Findings == nil {
		rep.Findings = []rules.Finding{}
	}
	return rep, nil
}

func writeFindings(w io.Writer, rep checkReport) {
	fmt.Fprintf(w, "Policy pack %s %s on stack %s\n\n", rules.PackName, rules.PackVersion, rep.Stack)
	if len(rep.Findings) > 0 {
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "RULE\tRESOURCE\tLEVEL\tWAIVED\tMESSAGE")
		var reasons []string
		for _, f := range rep.Findings {
			waived := "no"
			msg := f.Message
			if f.Waived {
				reasons = append(reasons, fmt.Sprintf("  %s on %s: %s", f.Rule, f.Resource, f.Waiver))
				waived = fmt.Sprintf("yes [%d]", len(reasons))
				if i := strings.Index(msg, ". Fix: "); i > 0 {
					msg = msg[:i]
				}
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", f.Rule, f.Resource, f.Level, waived, msg)
		}
		tw.Flush()
		if len(reasons) > 0 {
			fmt.Fprintln(w, "\nWaivers (policies/waivers.yaml):")
			for i, r := range reasons {
				fmt.Fprintf(w, "  [%d]%s\n", i+1, r)
			}
		}
		fmt.Fprintln(w)
	}
	s := rep.Summary
	verdict := "PASSED"
	if !s.Passed {
		verdict = "FAILED"
	}
	fmt.Fprintf(w, "%s: %d rules over %d resources: %d finding(s), %d waived, %d blocking (unwaived mandatory)\n",
		verdict, s.Rules, s.Resources, s.Findings, s.Waived, s.Blocking)
}
