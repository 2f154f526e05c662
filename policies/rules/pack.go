package rules

import (
	"context"
	"fmt"
	"time"

	"github.com/blang/semver"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"
)

// PackVersion is the policy pack's version (PulumiPolicy.yaml says the same).
const PackVersion = "0.1.0"

// WaivedPolicy is the advisory policy under which `pulumi preview` lists
// waived findings, so that they stay visible without failing the preview.
const WaivedPolicy = "DS-WAIVED"

// Pack builds the policy pack for `pulumi preview --policy-pack`: every rule,
// with waived findings moved from their rule to the advisory DS-WAIVED
// policy. Invalid or expired waivers fail the pack.
func Pack(waiversYAML []byte, stack string, today time.Time) (policyx.PolicyPack, error) {
	waivers, err := ParseWaivers(waiversYAML, today)
	if err != nil {
		return nil, err
	}
	return policyx.NewPolicyPack(PackName, semver.MustParse(PackVersion), Mandatory, WithWaivers(Policies(), waivers, stack))
}

// WithWaivers wraps policies so that waived findings are not reported by
// their own (possibly mandatory) policy, and adds the advisory DS-WAIVED
// policy that reports them, marked waived.
func WithWaivers(policies []policyx.Policy, waivers []Waiver, stack string) []policyx.Policy {
	if len(waivers) == 0 {
		return policies
	}
	waived := func(rule, urn, name, msg string) bool {
		f := Finding{Rule: rule, URN: urn, Resource: name, Message: msg}
		if urn == "" {
			f.Resource = "(stack)"
		}
		for _, w := range waivers {
			if w.matches(f, stack) {
				return true
			}
		}
		return false
	}
	out := make([]policyx.Policy, 0, len(policies)+1)
	for _, p := range policies {
		switch p := p.(type) {
		case policyx.ResourceValidationPolicy:
			out = append(out, policyx.NewResourceValidationPolicy(p.Name(), policyx.ResourceValidationPolicyArgs{
				Description: p.Description(), EnforcementLevel: p.EnforcementLevel(), ConfigSchema: p.ConfigSchema(),
				ValidateResource: func(ctx context.Context, args policyx.ResourceValidationArgs) error {
					inner := args
					inner.Manager = filterManager{args.Manager, func(msg, urn string) bool {
						if urn == "" {
							urn = args.Resource.URN
						}
						return waived(p.Name(), urn, args.Resource.Name, msg)
					}}
					return p.Validate(ctx, inner)
				},
			}))
		case policyx.StackValidationPolicy:
			out = append(out, policyx.NewStackValidationPolicy(p.Name(), policyx.StackValidationPolicyArgs{
				Description: p.Description(), EnforcementLevel: p.EnforcementLevel(), ConfigSchema: p.ConfigSchema(),
				ValidateStack: func(ctx context.Context, args policyx.StackValidationArgs) error {
					names := map[string]string{}
					for _, r := range args.Resources {
						names[r.URN] = r.Name
					}
					inner := args
					inner.Manager = filterManager{args.Manager, func(msg, urn string) bool {
						return waived(p.Name(), urn, names[urn], msg)
					}}
					return p.Validate(ctx, inner)
				},
			}))
		default:
			out = append(out, p)
		}
	}
	out = append(out, policyx.NewStackValidationPolicy(WaivedPolicy, policyx.StackValidationPolicyArgs{
		Description:      WaivedPolicy + ": findings accepted by policies/waivers.yaml (shown, not enforced)",
		EnforcementLevel: Advisory,
		ValidateStack: func(ctx context.Context, args policyx.StackValidationArgs) error {
			findings, err := Evaluate(args.Resources, policies)
			if err != nil {
				return err
			}
			for _, f := range ApplyWaivers(findings, waivers, stack) {
				if f.Waived {
					args.Manager.ReportViolation(fmt.Sprintf("WAIVED %s: %s. Waiver: %s", f.Rule, f.Message, f.Waiver), f.URN)
				}
			}
			return nil
		},
	}))
	return out
}

// filterManager drops the violations skip says are waived.
type filterManager struct {
	next policyx.PolicyManager
	skip func(message, urn string) bool
}

func (m filterManager) ReportViolation(message, urn string) {
	if !m.skip(message, urn) {
		m.next.ReportViolation(message, urn)
	}
}
