package main

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/docustack/infrastructure/components"
	"github.com/docustack/infrastructure/internal/synth"
	"github.com/docustack/infrastructure/internal/verify"
)

// verifyCmd proves the stack's network intents over its plan; exit 1 when
// any intent fails.
func verifyCmd(root, stack string, asJSON, verbose bool, stdout, stderr io.Writer) int {
	plan, err := synth.Stack(root, stack)
	if err != nil {
		fmt.Fprintf(stderr, "docustack verify: stack %q has %d problem(s):\n%s", stack, len(components.Unjoin(err)), components.ErrorLines(err))
		return exitFail
	}
	// The org stack's SCPs bound every workload account.
	org, err := synth.Stack(root, "org")
	if err != nil {
		fmt.Fprintf(stderr, "docustack verify: the org stack (its SCPs) has problems:\n%s", components.ErrorLines(err))
		return exitFail
	}
	rep := verify.Plan(plan, org)
	if stack == "org" {
		// Every member's deliveries into the Log Archive account.
		for _, m := range []string{"dev", "staging", "prod"} {
			member, err := synth.Stack(root, m)
			if err != nil {
				fmt.Fprintf(stderr, "docustack verify: member stack %q has problems:\n%s", m, components.ErrorLines(err))
				return exitFail
			}
			rep.AddMembers(org, member)
		}
	}
	return writeVerify(rep, asJSON, verbose, stdout)
}

// verifyFileCmd judges a saved plan: docustack's own JSON or the engine's
// preview, so CI can judge the plan the engine will apply with the
// provider's real values. The org stack's SCPs come from the repository.
func verifyFileCmd(root, path string, asJSON, verbose bool, stdout, stderr io.Writer) int {
	plan, err := synth.ReadPlan(path)
	if err != nil {
		fmt.Fprintf(stderr, "docustack verify --plan: %v\n", err)
		return exitFail
	}
	org := plan
	if plan.Stack != "org" {
		if org, err = synth.Stack(root, "org"); err != nil {
			fmt.Fprintf(stderr, "docustack verify: the org stack (its SCPs) has problems:\n%s", components.ErrorLines(err))
			return exitFail
		}
	}
	return writeVerify(verify.Plan(plan, org), asJSON, verbose, stdout)
}

func writeVerify(rep verify.Report, asJSON, verbose bool, stdout io.Writer) int {
	if asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		_ = enc.Encode(rep)
	} else {
		rep.Write(stdout, verbose)
	}
	if !rep.Summary.Passed {
		return exitFail
	}
	return exitOK
}
