// Package rules is DocuStack's HIPAA policy pack: one set of rules that runs
// in `pulumi preview --policy-pack policies` (through policies/main.go), in
// `go test` and in `docustack check` (over synthesized stacks).
package rules

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"
)

// PackName is the policy pack's name.
const PackName = "docustack-hipaa"

// Level is a rule's enforcement level.
type Level = policyx.EnforcementLevel

// Enforcement levels used by the pack. A mandatory violation fails
// `pulumi preview` and `docustack check`; an advisory one is reported only.
const (
	Mandatory = policyx.EnforcementLevelMandatory
	Advisory  = policyx.EnforcementLevelAdvisory
)

// Rule is one control of the pack.
type Rule struct {
	// ID is "DS-<AREA>-<NNN>"; it is the policy name in Pulumi.
	ID string
	// Title says what must hold.
	Title string
	// HIPAA is the Security Rule section enforced, e.g. "§164.312(a)(2)(iv)".
	HIPAA string
	// Control names the seed control (document section and row).
	Control string
	// Level is Mandatory or Advisory. Set on every policy: policyx ignores the
	// pack-level default.
	Level Level
	// Remediation is the fix, appended to every message.
	Remediation string

	// Types restricts Resource to these type tokens.
	Types []string
	// Resource checks one resource and returns its violations.
	Resource func(r Res) []string
	// Stack checks the whole stack, for controls that span resources (split
	// S3 resources, routes of a route table, presence of a resource).
	Stack func(s *Stack) []Violation
}

// Violation is one stack-rule finding; URN "" means the stack as a whole.
type Violation struct {
	URN     string
	Message string
}

// Description is the policy description Pulumi shows with each violation.
func (r Rule) Description() string {
	return fmt.Sprintf("%s: %s [HIPAA %s; seed: %s]", r.ID, r.Title, r.HIPAA, r.Control)
}

func (r Rule) message(msg string) string {
	return fmt.Sprintf("%s: %s. Fix: %s", r.ID, msg, r.Remediation)
}

func (r Rule) applies(typ string) bool {
	for _, t := range r.Types {
		if t == typ {
			return true
		}
	}
	return false
}

// Rules returns every rule, ordered by ID.
func Rules() []Rule {
	var all []Rule
	for _, group := range [][]Rule{kmsRules, s3Rules, rdsRules, networkRules, computeRules, loggingRules, iamRules, generalRules, controlRules, configRules} {
		all = append(all, group...)
	}
	sort.Slice(all, func(i, j int) bool { return all[i].ID < all[j].ID })
	return all
}

// Lookup returns the rule with an ID.
func Lookup(id string) (Rule, bool) {
	for _, r := range Rules() {
		if r.ID == id {
			return r, true
		}
	}
	return Rule{}, false
}

// Policies returns every rule as a policyx policy (resource and stack
// policies alike), each with its own enforcement level.
func Policies() []policyx.Policy {
	var out []policyx.Policy
	for _, rule := range Rules() {
		out = append(out, rule.Policy())
	}
	return out
}

// Policy turns the rule into a policyx policy.
func (r Rule) Policy() policyx.Policy {
	if r.Stack != nil {
		return policyx.NewStackValidationPolicy(r.ID, policyx.StackValidationPolicyArgs{
			Description:      r.Description(),
			EnforcementLevel: r.Level,
			ValidateStack: func(_ context.Context, args policyx.StackValidationArgs) error {
				for _, v := range r.Stack(NewStack(args.Resources)) {
					args.Manager.ReportViolation(r.message(v.Message), v.URN)
				}
				return nil
			},
		})
	}
	return policyx.NewResourceValidationPolicy(r.ID, policyx.ResourceValidationPolicyArgs{
		Description:      r.Description(),
		EnforcementLevel: r.Level,
		ValidateResource: func(_ context.Context, args policyx.ResourceValidationArgs) error {
			if !r.applies(args.Resource.Type) {
				return nil
			}
			for _, msg := range r.Resource(Res{args.Resource}) {
				args.Manager.ReportViolation(r.message(msg), "")
			}
			return nil
		},
	})
}

// Finding is one reported violation.
type Finding struct {
	Rule     string `json:"rule"`
	Title    string `json:"title"`
	Level    string `json:"level"`
	URN      string `json:"urn,omitempty"`
	Resource string `json:"resource"`
	Message  string `json:"message"`
	Waived   bool   `json:"waived"`
	// Waiver explains a waived finding: reason and expiry.
	Waiver string `json:"waiver,omitempty"`
}

// LevelName is "mandatory" or "advisory".
func LevelName(l Level) string {
	switch l {
	case Mandatory:
		return "mandatory"
	case Advisory:
		return "advisory"
	case policyx.EnforcementLevelDisabled:
		return "disabled"
	}
	return fmt.Sprintf("level(%d)", l)
}

// recorder is a PolicyManager that keeps what a policy reports.
type recorder struct {
	urn   string
	found []Violation
}

func (m *recorder) ReportViolation(message, urn string) {
	if urn == "" {
		urn = m.urn
	}
	m.found = append(m.found, Violation{URN: urn, Message: message})
}

// Evaluate runs policies over resources exactly as the Pulumi engine does
// (each resource policy on every resource, each stack policy once) and
// returns the findings, sorted.
func Evaluate(resources []policyx.AnalyzerResource, policies []policyx.Policy) ([]Finding, error) {
	names := map[string]string{}
	for _, r := range resources {
		names[r.URN] = r.Name
	}
	var out []Finding
	add := func(p policyx.Policy, found []Violation) {
		for _, v := range found {
			name := names[v.URN]
			if v.URN == "" {
				name = "(stack)"
			}
			title := p.Description()
			if rule, ok := Lookup(p.Name()); ok {
				title = rule.Title
			}
			out = append(out, Finding{Rule: p.Name(), Title: title, Level: LevelName(p.EnforcementLevel()),
				URN: v.URN, Resource: name, Message: v.Message})
		}
	}
	ctx := context.Background()
	for _, p := range policies {
		if p.EnforcementLevel() == policyx.EnforcementLevelDisabled {
			continue
		}
		switch p := p.(type) {
		case policyx.ResourceValidationPolicy:
			for _, r := range resources {
				m := &recorder{urn: r.URN}
				if err := p.Validate(ctx, policyx.ResourceValidationArgs{Manager: m, Resource: r}); err != nil {
					return nil, fmt.Errorf("%s on %s: %w", p.Name(), r.URN, err)
				}
				add(p, m.found)
			}
		case policyx.StackValidationPolicy:
			m := &recorder{}
			if err := p.Validate(ctx, policyx.StackValidationArgs{Manager: m, Resources: resources}); err != nil {
				return nil, fmt.Errorf("%s: %w", p.Name(), err)
			}
			add(p, m.found)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Rule != out[j].Rule {
			return out[i].Rule < out[j].Rule
		}
		return out[i].Resource < out[j].Resource
	})
	return out, nil
}

// Stack indexes a stack's resources for rules that span them.
type Stack struct {
	Resources []Res
	byURN     map[string]Res
}

// NewStack indexes resources.
func NewStack(resources []policyx.AnalyzerResource) *Stack {
	s := &Stack{byURN: map[string]Res{}}
	for _, r := range resources {
		res := Res{r}
		s.Resources = append(s.Resources, res)
		s.byURN[r.URN] = res
	}
	return s
}

// OfType returns the resources of any of the types.
func (s *Stack) OfType(types ...string) []Res {
	var out []Res
	for _, r := range s.Resources {
		for _, t := range types {
			if r.Type == t {
				out = append(out, r)
				break
			}
		}
	}
	return out
}

// ByURN returns a resource by URN.
func (s *Stack) ByURN(urn string) (Res, bool) {
	r, ok := s.byURN[urn]
	return r, ok
}

// Env is the stack's environment: the Environment tag most resources carry.
func (s *Stack) Env() string {
	count := map[string]int{}
	best := ""
	for _, r := range s.Resources {
		if e := r.Env(); e != "" {
			count[e]++
			if count[e] > count[best] || count[e] == count[best] && e < best {
				best = e
			}
		}
	}
	return best
}

// Refers reports whether child's property prop refers to target: through the
// engine's property dependencies (always present when the value came from the
// target's outputs), or, failing those, by value against the target's ID-like
// properties (physical name, ID).
func (s *Stack) Refers(child Res, prop string, target Res) bool {
	for _, urn := range child.PropertyDependencies[prop] {
		if urn == target.URN {
			return true
		}
	}
	vals := child.Strings(prop)
	if len(vals) == 0 {
		return false
	}
	ids := []string{target.S("bucket"), target.S("name"), target.S("id"), target.S("arn")}
	for _, v := range vals {
		for _, id := range ids {
			if id != "" && v == id {
				return true
			}
		}
	}
	return false
}

// Children returns the resources of types whose prop refers to target.
func (s *Stack) Children(target Res, prop string, types ...string) []Res {
	var out []Res
	for _, c := range s.OfType(types...) {
		if s.Refers(c, prop, target) {
			out = append(out, c)
		}
	}
	return out
}

// containsAny reports whether any of vals is in set.
func containsAny(set []string, vals ...string) bool {
	for _, s := range set {
		for _, v := range vals {
			if s == v {
				return true
			}
		}
	}
	return false
}

func quoteList(vals []string) string { return "[" + strings.Join(vals, ", ") + "]" }
