package rules

import (
	_ "embed"
	"fmt"
	"sort"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"
	"gopkg.in/yaml.v3"

	"github.com/docustack/infrastructure/internal/awsspec"
)

// The stacks enable Security Hub with standards (aws:securityhub/
// standardsSubscription). Each standard runs controls, most of them an AWS
// Config rule with the parameters Security Hub sets, and the seed alerts on
// their findings of medium severity and up. DS-CFG-003 evaluates, offline,
// every control of every standard the plan enables over every resource of
// the plan, with the rule models of managedrules.go and shmodels.go. Which
// controls exist, which standards they belong to and which rule and
// parameters they run is the pinned table data/securityhub_controls.yaml,
// never a list here; a control the plan's resources make applicable with no
// model is a finding.

//go:embed data/securityhub_controls.yaml
var securityHubYAML []byte

// SecurityHubControl is one control of the pinned table.
type SecurityHubControl struct {
	ID        string            `yaml:"id"`
	Standards []string          `yaml:"standards"`
	Severity  string            `yaml:"severity"`
	Resources []string          `yaml:"resources"`
	Rule      string            `yaml:"rule"`
	Params    map[string]string `yaml:"params"`
}

// SecurityHubTable is the pinned table with its provenance.
type SecurityHubTable struct {
	Source struct {
		Repo   string              `yaml:"repo"`
		Commit string              `yaml:"commit"`
		Pages  map[string][]string `yaml:"pages"`
		NoPage []string            `yaml:"noPage"`
	} `yaml:"source"`
	Controls []SecurityHubControl `yaml:"controls"`
}

// SecurityHub returns the pinned control table.
func SecurityHub() *SecurityHubTable {
	var t SecurityHubTable
	if err := yaml.Unmarshal(securityHubYAML, &t); err != nil {
		panic(fmt.Sprintf("rules: data/securityhub_controls.yaml: %v", err))
	}
	return &t
}

const (
	tSecurityHubStandard = "aws:securityhub/standardsSubscription:StandardsSubscription"
	accountType          = "AWS::::Account"
	stdFSBP              = "fsbp-1.0.0"
	stdNIST              = "nist-800-53-r5"
)

// standardOf names a standards ARN as the table does: the ARN's path after
// "standards/" or "ruleset/" (the partition and Region vary, the path not).
// https://docs.aws.amazon.com/securityhub/latest/userguide/standards-reference.html
var standardOf = map[string]string{
	"aws-foundational-security-best-practices/v/1.0.0": stdFSBP,
	"cis-aws-foundations-benchmark/v/1.2.0":            "cis-1.2.0",
	"cis-aws-foundations-benchmark/v/1.4.0":            "cis-1.4.0",
	"nist-800-53/v/5.0.0":                              stdNIST,
	"pci-dss/v/3.2.1":                                  "pci-3.2.1",
}

// EnabledStandards reads the standards the plan subscribes to. A standard the
// table has no membership for is a problem, never an empty standard.
func EnabledStandards(s *Stack) (map[string]bool, []Violation) {
	out := map[string]bool{}
	var problems []Violation
	for _, sub := range s.OfType(tSecurityHubStandard) {
		arn := sub.S("standardsArn")
		path := arn
		for _, sep := range []string{":standards/", ":ruleset/"} {
			if i := strings.Index(arn, sep); i >= 0 {
				path = arn[i+len(sep):]
			}
		}
		name, ok := standardOf[path]
		if !ok {
			problems = append(problems, Violation{sub.URN, fmt.Sprintf("Security Hub standard %q: the pinned control table knows no such standard, so its controls cannot be evaluated", arn)})
			continue
		}
		out[name] = true
	}
	// The pinned pages give each control's CIS, NIST and PCI mappings but not
	// its membership in AWS Foundational Security Best Practices. With NIST
	// 800-53 r5 enabled too the evaluation covers them (every control of the
	// pages is mapped to one of the other standards); alone, it cannot.
	if out[stdFSBP] && !out[stdNIST] {
		problems = append(problems, Violation{"", "Security Hub standard AWS Foundational Security Best Practices is enabled without NIST 800-53 r5: the pinned table has no FSBP membership, so its controls cannot be told apart"})
	}
	return out, problems
}

// ConfigTypeOf is AWS Config's resource type for a pulumi-aws type ("" when
// CloudFormation has none).
func ConfigTypeOf(pulumiType string) string {
	t, _ := awsspec.CFNTypeOf(pulumiType)
	if c, renamed := configTypeOf[t]; renamed {
		return c
	}
	return t
}

// SecurityHubResult is one control's evaluation over the plan.
type SecurityHubResult struct {
	Control SecurityHubControl
	// Standards are the enabled standards the control belongs to.
	Standards []string
	// Applicable: the plan has a resource of the control's types (the
	// account always).
	Applicable  bool
	Doc         string
	Evaluations []Evaluation
	OutsidePlan string
	Unmodelled  bool
}

// EvaluateSecurityHub evaluates every control of the enabled standards.
// Nothing is evaluated for a stack that does not enable Security Hub.
func EvaluateSecurityHub(s *Stack) ([]SecurityHubResult, []Violation) {
	if len(s.OfType(tSecurityHub)) == 0 {
		return nil, nil
	}
	enabled, problems := EnabledStandards(s)
	present := planResourceTypes(s)
	var out []SecurityHubResult
	for _, c := range SecurityHub().Controls {
		var in []string
		for _, st := range c.Standards {
			if enabled[st] {
				in = append(in, st)
			}
		}
		if len(in) == 0 {
			continue
		}
		res := SecurityHubResult{Control: c, Standards: in}
		for _, t := range c.Resources {
			if accountTypes[t] || present[strings.ToLower(t)] {
				res.Applicable = true
			}
		}
		if !res.Applicable {
			out = append(out, res)
			continue
		}
		m, ok := ruleModel(c.Rule)
		if !ok {
			res.Unmodelled = true
			out = append(out, res)
			continue
		}
		res.Doc, res.OutsidePlan, res.Evaluations = m.Doc, m.OutsidePlan, m.evaluate(s, c.Params)
		out = append(out, res)
	}
	return out, problems
}

// ruleModel finds the offline model of a control's rule: an AWS Config
// managed rule, or Security Hub's own logic.
func ruleModel(rule string) (managedRule, bool) {
	if m, ok := managedRules[rule]; ok {
		return m, true
	}
	m, ok := securityHubRules[rule]
	return m, ok
}

// accountTypes are the resource types controls give for the account itself.
var accountTypes = map[string]bool{accountType: true, "AWS::S3::Account": true}

// configTypeOf is AWS Config's name for the CloudFormation types it names
// differently (AWS Config Developer Guide, supported resource types:
// customer managed policies are AWS::IAM::Policy).
var configTypeOf = map[string]string{"AWS::IAM::ManagedPolicy": "AWS::IAM::Policy"}

// planResourceTypes are the AWS Config types of the plan's resources,
// lower-cased (the guide spells WAFv2 both ways), plus the instances and
// volumes an Auto Scaling group launches from its template at run time,
// which AWS Config records and the controls judge.
func planResourceTypes(s *Stack) map[string]bool {
	out := map[string]bool{}
	for _, r := range s.Resources {
		if t, ok := awsspec.CFNTypeOf(r.Type); ok && t != "" {
			if c, renamed := configTypeOf[t]; renamed {
				t = c
			}
			out[strings.ToLower(t)] = true
		}
		if r.Type == tASG || r.Type == tEC2Instance {
			out["aws::ec2::instance"] = true
			out["aws::ec2::volume"] = true
		}
	}
	return out
}

// securityHubViolations turns the results into DS-CFG-003's violations.
func securityHubViolations(s *Stack) []Violation {
	results, out := EvaluateSecurityHub(s)
	for _, r := range results {
		where := fmt.Sprintf("%s (Security Hub %s, %s)", r.Control.Rule, strings.Join(r.Standards, ", "), r.Control.Severity)
		if r.Unmodelled {
			out = append(out, Violation{"", fmt.Sprintf("[%s] %s: no offline model of the rule this control runs, so its first evaluation is unknown; add one to securityHubRules from the control's page", r.Control.ID, where)})
			continue
		}
		for _, e := range r.Evaluations {
			if !e.Compliant {
				out = append(out, Violation{e.URN, fmt.Sprintf("[%s] %s: %s (%s)", r.Control.ID, where, e.Note, r.Doc)})
			}
		}
	}
	return out
}

// SecurityHubSummary is one control's result over a stack, for the report.
type SecurityHubSummary struct {
	ID, Rule, Severity, Doc string
	Standards               []string
	Applicable, Unmodelled  bool
	OutsidePlan             string
	Tally
}

// SummarizeSecurityHub evaluates the enabled controls over a stack and
// counts, per control, compliant, waived and failing resources.
func SummarizeSecurityHub(s *Stack, waivers []Waiver, stack string) []SecurityHubSummary {
	results, _ := EvaluateSecurityHub(s)
	var out []SecurityHubSummary
	for _, r := range results {
		out = append(out, SecurityHubSummary{ID: r.Control.ID, Rule: r.Control.Rule, Severity: r.Control.Severity, Doc: r.Doc,
			Standards: r.Standards, Applicable: r.Applicable, Unmodelled: r.Unmodelled, OutsidePlan: r.OutsidePlan,
			Tally: tally(s, r.Control.ID, r.Evaluations, waivers, stack)})
	}
	sort.SliceStable(out, func(i, j int) bool { return controlLess(out[i].ID, out[j].ID) })
	return out
}

// controlLess orders control IDs by service, then number (EC2.2 before EC2.10).
func controlLess(a, b string) bool {
	as, an, _ := strings.Cut(a, ".")
	bs, bn, _ := strings.Cut(b, ".")
	if as != bs {
		return as < bs
	}
	var x, y int
	fmt.Sscan(an, &x)
	fmt.Sscan(bn, &y)
	return x < y
}

// EvaluateControl evaluates one control of the table with its parameters
// over resources, whatever the standards the resources enable: a control's
// model, tested alone.
func EvaluateControl(id string, resources []policyx.AnalyzerResource) ([]Evaluation, error) {
	for _, c := range SecurityHub().Controls {
		if c.ID != id {
			continue
		}
		m, ok := ruleModel(c.Rule)
		if ok && m.Eval == nil && m.OutsidePlan != "" {
			return nil, nil // judged outside the plan, reported as such
		}
		if !ok || m.Eval == nil {
			return nil, fmt.Errorf("control %s: no model of %s", id, c.Rule)
		}
		params := map[string]string{}
		for k, v := range m.Defaults {
			params[k] = v
		}
		for k, v := range c.Params {
			params[k] = v
		}
		return m.Eval(NewStack(resources), params), nil
	}
	return nil, fmt.Errorf("control %s is not in the table", id)
}
