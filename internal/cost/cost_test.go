package cost_test

import (
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/docustack/infrastructure/internal/cost"
	"github.com/docustack/infrastructure/internal/synth"
	"github.com/docustack/infrastructure/platform"
)

var _ = flag.Bool("update", false, "refresh golden files (internal/synth)")

const root = "../.."

func report(t *testing.T, stack string) *cost.Report {
	t.Helper()
	r, err := cost.ForStack(root, stack)
	require.NoError(t, err)
	return r
}

// line returns the priced line of a resource and item.
func line(t *testing.T, r *cost.Report, resource, item string) cost.Line {
	t.Helper()
	for _, l := range r.Estimate.Lines {
		if l.Resource == resource && (item == "" || l.Item == item) {
			return l
		}
	}
	t.Fatalf("no line %s / %s", resource, item)
	return cost.Line{}
}

func TestPriceTableIsReviewed(t *testing.T) {
	p, err := cost.LoadPrices(filepath.Join(root, cost.PriceFile))
	require.NoError(t, err)
	assert.Equal(t, "us-east-1", p.Region)
	for k, v := range p.Prices {
		assert.NotEmpty(t, v.Source, k)
		assert.Regexp(t, `^\d{4}-\d{2}-\d{2}$`, v.Date, k)
	}
	bad := filepath.Join(t.TempDir(), "prices.yaml")
	require.NoError(t, os.WriteFile(bad, []byte("region: us-east-1\nprices:\n  nat_gateway_hour: {unit: hour, usd: 0.045}\n"), 0o644))
	_, err = cost.LoadPrices(bad)
	assert.ErrorContains(t, err, "price nat_gateway_hour needs unit, usd > 0, source and date")
}

// Hand-computed figures (730 h/month; us-east-1 list prices of the table).
func TestHandComputedLines(t *testing.T) {
	dev, prod := report(t, "dev"), report(t, "prod")

	// NAT gateway: 0.045 $/h × 730 h = 32.85; its data 50 GB ÷ 2 gateways × 0.045 = 1.125.
	assert.InDelta(t, 32.85, line(t, prod, "network-nat-0", "NAT gateway hours").USD, 0.005)
	assert.InDelta(t, 1.13, line(t, prod, "network-nat-0", "data processed").USD, 0.006)
	// Dev's single NAT gateway: 32.85 for its hours; its data 10 GB × 0.045 = 0.45; its EIP 0.005 $/h × 730 = 3.65.
	assert.InDelta(t, 32.85, line(t, dev, "network-nat-0", "NAT gateway hours").USD, 0.005)
	assert.InDelta(t, 0.45, line(t, dev, "network-nat-0", "data processed").USD, 0.005)
	assert.InDelta(t, 3.65, line(t, dev, "network-nat-eip-0", "public IPv4 address").USD, 0.005)
	// The internet-facing ALB: one public IPv4 per AZ, 2 × 0.005 $/h × 730 h = 7.30.
	assert.InDelta(t, 7.30, line(t, dev, "ingress-alb", "public IPv4 addresses (2 AZs)").USD, 0.005)
	// Interface endpoint: 0.01 $/h per AZ × 730 h = 7.30 in dev (1 AZ), 14.60 in prod (2 AZs).
	assert.InDelta(t, 7.30, line(t, dev, "network-endpoint-kms", "").USD, 0.005)
	assert.InDelta(t, 14.60, line(t, prod, "network-endpoint-kms", "").USD, 0.005)
	// Multi-AZ db.m7g.large: 0.168 $/h × 2 × 730 h = 245.28; its gp3 storage 50 GB × 2 × 0.115 = 11.50.
	assert.InDelta(t, 245.28, line(t, prod, "database-instance", "db.m7g.large Multi-AZ (primary and standby)").USD, 0.005)
	assert.InDelta(t, 11.50, line(t, prod, "database-instance", "gp3 storage (both AZs with Multi-AZ)").USD, 0.005)

	// The scheduler: weekdays 07:15-20:00 for services = 12.75 h × 5 days × 4.345 weeks = 276.99 h;
	// the database runs 07:00-20:15 = 13.25 h × 21.725 = 287.86 h.
	assert.InDelta(t, 276.99, dev.Estimate.Hours.Services, 0.01)
	assert.InDelta(t, 287.86, dev.Estimate.Hours.Database, 0.01)
	// db.t4g.micro: 0.016 $/h × 287.86 h = 4.61.
	assert.InDelta(t, 4.61, line(t, dev, "database-instance", "db.t4g.micro").USD, 0.005)
	// Web on Spot, Graviton (ARM rates): (0.5 vCPU × 0.03238 + 1 GB × 0.00356) × 276.99 h × (1 - 0.70) = 1.64.
	assert.InDelta(t, 1.64, line(t, dev, "web-service", "").USD, 0.005)
	// Prod web: 2 base tasks on-demand, Graviton: 1 vCPU × 0.03238 × 2 × 730 = 47.27.
	assert.InDelta(t, 47.27, line(t, prod, "web-service", "on-demand vCPU (1 vCPU, 2 GB)").USD, 0.005)
	// An alarm in a namespace of the stack's own is also its metric, a custom
	// metric (0.30 $/month): Temporal's EMF signals, the CIS metric filters.
	assert.InDelta(t, 0.30, line(t, prod, "alarms-temporal-persistence-errors", "custom metric (DocuStack/Temporal)").USD, 0.005)
	assert.InDelta(t, 0.30*30/730, line(t, prod, "trail-root-usage-alarm", "custom metric (DocuStack/CIS, hours with a match)").USD, 0.005, "a filter without a default value publishes only in the hours it matches")
	for _, l := range prod.Estimate.Lines {
		if l.Resource == "alarms-alb-elb-5xx" {
			assert.Equal(t, "alarm", l.Item, "an AWS/ namespace's metric is AWS's, not billed as custom")
		}
	}
	// WAF: 5 $/ACL + 1 rule (the allow-list only) in dev, 4 managed groups in prod.
	assert.InDelta(t, 1.00, line(t, dev, "ingress-web-acl", "rules and managed rule groups").USD, 0.005)
	assert.InDelta(t, 4.00, line(t, prod, "ingress-web-acl", "rules and managed rule groups").USD, 0.005)
}

// The targets, with every seed control in place.
func TestEstimatesMeetTheTargets(t *testing.T) {
	dev, prod := report(t, "dev"), report(t, "prod")
	assert.LessOrEqual(t, dev.Estimate.TotalUSD, 150.0, "dev at most $150 a month")
	assert.LessOrEqual(t, prod.Estimate.TotalUSD, 800.0, "prod at most $800 a month with Multi-AZ, every line counted")
	assert.Empty(t, dev.Estimate.Unpriced)
	assert.Empty(t, prod.Estimate.Unpriced)

	assert.Greater(t, dev.SchedulerSavings, 0.0, "dev runs the nightly scheduler")
	assert.Zero(t, prod.SchedulerSavings, "prod runs around the clock")
	assert.Greater(t, dev.SpotSavings, 0.0)
	assert.Greater(t, prod.SpotSavings, 0.0)
	assert.Greater(t, dev.WithoutBoth, dev.WithoutScheduler)
	assert.Greater(t, dev.WithoutBoth, dev.WithoutSpot)
}

func TestUnknownResourcesAreListedNotZero(t *testing.T) {
	plan, err := synth.Run(synth.Options{}, func(ctx *pulumi.Context) error {
		var r pulumi.CustomResourceState
		return ctx.RegisterResource("aws:sqs/queue:Queue", "mystery", pulumi.Map{}, &r)
	})
	require.NoError(t, err)
	prices, err := cost.LoadPrices(filepath.Join(root, cost.PriceFile))
	require.NoError(t, err)
	est := cost.Run(plan, &platform.Config{Environment: platform.Dev}, prices, cost.Variant{})
	assert.Equal(t, []string{"mystery (aws:sqs/queue:Queue): not in the cost model"}, est.Unpriced)
	assert.Zero(t, est.TotalUSD)
}
