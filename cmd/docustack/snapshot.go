package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"gopkg.in/yaml.v3"

	"github.com/docustack/infrastructure/components"
	"github.com/docustack/infrastructure/internal/cost"
	"github.com/docustack/infrastructure/internal/review"
	"github.com/docustack/infrastructure/internal/synth"
	"github.com/docustack/infrastructure/internal/verify"
	"github.com/docustack/infrastructure/policies/rules"
)

// snapshotCmd prints what this revision says about one stack (plan, policy
// findings, waivers, verify intents, cost) as one JSON document: the side
// of a `docustack diff`. A stack without a stack file is reported missing.
func snapshotCmd(root, stack string, stdout, stderr io.Writer) int {
	snap, err := takeSnapshot(root, stack)
	if err != nil {
		fmt.Fprintf(stderr, "docustack snapshot: stack %q has %d problem(s):\n%s", stack, len(components.Unjoin(err)), components.ErrorLines(err))
		return exitFail
	}
	if err := json.NewEncoder(stdout).Encode(snap); err != nil {
		fmt.Fprintf(stderr, "docustack snapshot: %v\n", err)
		return exitFail
	}
	return exitOK
}

func takeSnapshot(root, stack string) (*review.Snapshot, error) {
	snap := &review.Snapshot{Stack: stack}
	plan, err := synth.Stack(root, stack)
	if errors.Is(err, synth.ErrNoStack) {
		snap.Missing = true
		return snap, nil
	}
	if err != nil {
		return nil, err
	}
	snap.Plan = plan

	data, err := os.ReadFile(filepath.Join(root, waiversFile))
	if err != nil {
		return nil, err
	}
	var file struct {
		Waivers []review.Waiver `yaml:"waivers"`
	}
	if err := yaml.Unmarshal(data, &file); err != nil {
		return nil, fmt.Errorf("%s: %w", waiversFile, err)
	}
	snap.Waivers = file.Waivers
	waivers, err := rules.ParseWaivers(data, today())
	if err != nil {
		return nil, fmt.Errorf("%s is invalid: %w", waiversFile, err)
	}
	rep, err := checkPlan(plan, waivers)
	if err != nil {
		return nil, err
	}
	snap.Findings = rep.Findings

	org := plan
	if stack != "org" {
		if org, err = synth.Stack(root, "org"); err != nil {
			return nil, fmt.Errorf("the org stack (its SCPs bound every account): %w", err)
		}
	}
	snap.Intents = verify.Plan(plan, org).Findings
	snap.WhoCan = verify.WhoCan(plan, org)

	price, err := cost.ForPlan(root, plan)
	if err != nil {
		return nil, err
	}
	snap.CostUSD = price.Estimate.TotalUSD
	snap.CostByComponent = price.Estimate.Component
	return snap, nil
}
