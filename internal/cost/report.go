package cost

import (
	"path/filepath"

	"github.com/docustack/infrastructure/internal/synth"
	"github.com/docustack/infrastructure/platform"
)

// PriceFile is the reviewed price table, relative to the project root.
var PriceFile = filepath.Join("pricing", "us-east-1.yaml")

// Report is a stack's estimate and what its cost optimizations save.
type Report struct {
	Stack    string    `json:"stack"`
	Estimate *Estimate `json:"estimate"`
	// WithoutScheduler, WithoutSpot and WithoutBoth price the same stack
	// without the nightly scheduler, without Fargate Spot, without either.
	WithoutScheduler float64                  `json:"withoutSchedulerUsd"`
	WithoutSpot      float64                  `json:"withoutSpotUsd"`
	WithoutBoth      float64                  `json:"withoutOptimizationsUsd"`
	SchedulerSavings float64                  `json:"schedulerSavingsUsd"`
	SpotSavings      float64                  `json:"spotSavingsUsd"`
	Assumptions      platform.CostAssumptions `json:"assumptions"`
	Prices           *Prices                  `json:"-"`
}

// ForStack synthesizes a stack and prices it four ways.
func ForStack(root, stack string) (*Report, error) {
	plan, err := synth.Stack(root, stack)
	if err != nil {
		return nil, err
	}
	return ForPlan(root, plan)
}

// ForPlan prices a stack's plan already synthesized from root.
func ForPlan(root string, plan *synth.Plan) (*Report, error) {
	stack := plan.Stack
	proj, err := synth.LoadProject(root)
	if err != nil {
		return nil, err
	}
	values, err := synth.LoadStackConfig(root, stack, proj)
	if err != nil {
		return nil, err
	}
	cfg, err := platform.ParseConfig(stack, values)
	if err != nil {
		return nil, err
	}
	prices, err := LoadPrices(filepath.Join(root, PriceFile))
	if err != nil {
		return nil, err
	}
	return PriceStack(plan, cfg, prices), nil
}

// PriceStack prices a plan with and without the optimizations.
func PriceStack(plan *synth.Plan, cfg *platform.Config, prices *Prices) *Report {
	est := Run(plan, cfg, prices, Variant{})
	r := &Report{
		Stack: plan.Stack, Estimate: est, Assumptions: cfg.Assumptions(), Prices: prices,
		WithoutScheduler: Run(plan, cfg, prices, Variant{NoScheduler: true}).TotalUSD,
		WithoutSpot:      Run(plan, cfg, prices, Variant{NoSpot: true}).TotalUSD,
		WithoutBoth:      Run(plan, cfg, prices, Variant{NoScheduler: true, NoSpot: true}).TotalUSD,
	}
	r.SchedulerSavings = round(r.WithoutScheduler - est.TotalUSD)
	r.SpotSavings = round(r.WithoutSpot - est.TotalUSD)
	est.TotalUSD = round(est.TotalUSD)
	return r
}
