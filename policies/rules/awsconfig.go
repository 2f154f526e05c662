package rules

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"
	"gopkg.in/yaml.v3"
)

// The stacks deploy AWS Config managed rules (the seed's nine as
// aws:cfg/rule:Rule, the HIPAA pack inside an aws:cfg/conformancePack). AWS
// evaluates them on the first recording after a deploy, and the seed alerts
// on any non-compliant resource. DS-CFG-003 evaluates, offline, every rule
// the plan deploys, with the parameters it deploys them with, over every
// resource of the plan, from each rule's documented logic
// (managedrules.go cites each page). Which rules run is read from the plan,
// never from a list here; a deployed rule with no offline model is itself a
// finding.

// Evaluation is one rule's verdict on one resource ("" URN: the account).
type Evaluation struct {
	URN       string
	Compliant bool
	// Note says why (always set when non-compliant).
	Note string
}

// DeployedRule is a managed rule the plan deploys.
type DeployedRule struct {
	Identifier string
	Params     map[string]string
	// Via names what deploys it: the Config rule or the conformance pack.
	Via string
	URN string
}

const (
	tConformancePack = "aws:cfg/conformancePack:ConformancePack"
	tBucketObject    = "aws:s3/bucketObjectv2:BucketObjectv2"
)

// DeployedRules reads every AWS managed Config rule of the plan with its
// input parameters: standalone rules and the rules of conformance pack
// templates (TemplateBody, or the plan's S3 object TemplateS3Uri names).
// A template it cannot read is an error, never an empty pack.
func DeployedRules(s *Stack) ([]DeployedRule, []Violation) {
	var out []DeployedRule
	var problems []Violation
	for _, r := range s.OfType(tConfigRule) {
		if owner := r.S("source.owner"); owner != "AWS" {
			// A custom rule's logic is its own code, which no offline model reads.
			problems = append(problems, Violation{r.URN, fmt.Sprintf("Config rule %s is a %s rule: no offline model of custom logic, so its first evaluation is unknown", r.Label(), owner)})
			continue
		}
		params := map[string]string{}
		if raw, ok := r.Str("inputParameters"); ok && raw != "" {
			if err := json.Unmarshal([]byte(raw), &params); err != nil {
				problems = append(problems, Violation{r.URN, fmt.Sprintf("Config rule %s has inputParameters that are not a JSON object of strings: %v", r.Label(), err)})
				continue
			}
		}
		out = append(out, DeployedRule{Identifier: r.S("source.sourceIdentifier"), Params: params, Via: "Config rule " + r.S("name"), URN: r.URN})
	}
	for _, p := range s.OfType(tConformancePack) {
		body, ok := p.Str("templateBody")
		if !ok || body == "" {
			body, ok = packObject(s, p)
		}
		if !ok {
			problems = append(problems, Violation{p.URN, fmt.Sprintf("conformance pack %s: its template is neither in templateBody nor an S3 object of the plan, so its rules cannot be evaluated", p.Label())})
			continue
		}
		rules, err := packRules(body)
		if err != nil {
			problems = append(problems, Violation{p.URN, fmt.Sprintf("conformance pack %s: %v", p.Label(), err)})
			continue
		}
		for _, r := range rules {
			r.Via, r.URN = "conformance pack "+p.S("name"), p.URN
			out = append(out, r)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Identifier < out[j].Identifier })
	return out, problems
}

// packObject finds the template a pack's S3 URI names among the plan's
// objects: by the dependency the URI carries (during a preview the URI is
// unknown), or by its key.
func packObject(s *Stack, pack Res) (string, bool) {
	uri := pack.S("templateS3Uri")
	for _, o := range s.OfType(tBucketObject) {
		if s.Refers(pack, "templateS3Uri", o) || strings.HasPrefix(uri, "s3://") && strings.HasSuffix(uri, "/"+o.S("key")) {
			return o.Str("content")
		}
	}
	return "", false
}

// packRules parses a conformance pack template's AWS managed rules.
// https://docs.aws.amazon.com/config/latest/developerguide/conformance-pack-template.html
func packRules(body string) ([]DeployedRule, error) {
	var t struct {
		Resources map[string]struct {
			Type       string `yaml:"Type"`
			Properties struct {
				Source struct {
					Owner            string `yaml:"Owner"`
					SourceIdentifier string `yaml:"SourceIdentifier"`
				} `yaml:"Source"`
				InputParameters map[string]any `yaml:"InputParameters"`
			} `yaml:"Properties"`
		} `yaml:"Resources"`
	}
	if err := yaml.Unmarshal([]byte(body), &t); err != nil {
		return nil, fmt.Errorf("template is not YAML: %v", err)
	}
	var out []DeployedRule
	for name, res := range t.Resources {
		if res.Type != "AWS::Config::ConfigRule" {
			continue
		}
		if res.Properties.Source.Owner != "AWS" {
			return nil, fmt.Errorf("rule %s is a %s rule: no offline model of custom logic", name, res.Properties.Source.Owner)
		}
		params := map[string]string{}
		for k, v := range res.Properties.InputParameters {
			params[k] = fmt.Sprint(v)
		}
		out = append(out, DeployedRule{Identifier: res.Properties.Source.SourceIdentifier, Params: params})
	}
	return out, nil
}

// RuleResult is one deployed rule's evaluation over the plan.
type RuleResult struct {
	Rule        DeployedRule
	Doc         string
	Evaluations []Evaluation
	// OutsidePlan says why the rule judges nothing a stack creates ("" otherwise).
	OutsidePlan string
	// Unmodelled is set when no offline model exists for the rule.
	Unmodelled bool
}

// EvaluateConfigRules evaluates every deployed managed rule over the plan.
func EvaluateConfigRules(s *Stack) ([]RuleResult, []Violation) {
	deployed, problems := DeployedRules(s)
	var out []RuleResult
	for _, d := range deployed {
		m, ok := managedRules[d.Identifier]
		if !ok {
			out = append(out, RuleResult{Rule: d, Unmodelled: true})
			continue
		}
		out = append(out, RuleResult{Rule: d, Doc: m.Doc, OutsidePlan: m.OutsidePlan, Evaluations: m.evaluate(s, d.Params)})
	}
	return out, problems
}

// configViolations turns the results into DS-CFG-003's violations.
func configViolations(s *Stack) []Violation {
	results, out := EvaluateConfigRules(s)
	for _, r := range results {
		where := fmt.Sprintf("%s (%s)", r.Rule.Identifier, r.Rule.Via)
		if r.Unmodelled {
			out = append(out, Violation{r.Rule.URN, fmt.Sprintf("%s: no offline model of this managed rule, so its first evaluation is unknown; add one to managedRules from the rule's page", where)})
			continue
		}
		for _, e := range r.Evaluations {
			if !e.Compliant {
				out = append(out, Violation{e.URN, fmt.Sprintf("[%s] %s: %s (%s)", r.Rule.Identifier, where, e.Note, r.Doc)})
			}
		}
	}
	return out
}

// configRuleID is the rule that reports Config rule and Security Hub findings.
const configRuleID = "DS-CFG-003"

var configRules = []Rule{{
	ID:      configRuleID,
	Title:   "Every resource passes the AWS Config managed rules the stack deploys, with their deployed parameters",
	HIPAA:   hipaaAudit,
	Control: "Continuous Monitoring: AWS Config, alert on any non-compliant resource; AWS Config Rules table; HIPAA conformance pack",
	Level:   Mandatory,
	Remediation: "change the resource as the rule's page requires, or set the rule's input parameters to the seed's value " +
		"(components.HIPAAPackParameters); a documented exception is a waiver with its control, reason and expiry",
	Stack: func(s *Stack) []Violation { return append(configViolations(s), securityHubViolations(s)...) },
}}

// ControlSummary is one deployed rule's result over a stack, for the report.
type ControlSummary struct {
	Identifier, Via, Doc string
	Tally
	OutsidePlan string
	Unmodelled  bool
}

// Tally counts the resources one rule or control judged (the account counts
// as one) and how they came out.
type Tally struct{ Judged, Compliant, Waived, Failing int }

// tally sorts one control's evaluations into compliant, waived and failing,
// applying the waivers exactly as the pack does to a DS-CFG-003 finding for
// that control.
func tally(s *Stack, control string, evals []Evaluation, waivers []Waiver, stack string) Tally {
	var t Tally
	for _, e := range evals {
		t.Judged++
		if e.Compliant {
			t.Compliant++
			continue
		}
		name := "(stack)"
		if res, ok := s.ByURN(e.URN); ok {
			name = res.Name
		}
		f := Finding{Rule: configRuleID, Resource: name, URN: e.URN, Level: LevelName(Mandatory),
			Message: fmt.Sprintf("%s: [%s] ", configRuleID, control)}
		if ApplyWaivers([]Finding{f}, waivers, stack)[0].Waived {
			t.Waived++
		} else {
			t.Failing++
		}
	}
	return t
}

// SummarizeConfigRules evaluates the deployed rules over a stack and counts,
// per rule, compliant, waived and failing resources.
func SummarizeConfigRules(resources []policyx.AnalyzerResource, waivers []Waiver, stack string) []ControlSummary {
	s := NewStack(resources)
	results, _ := EvaluateConfigRules(s)
	var out []ControlSummary
	for _, r := range results {
		out = append(out, ControlSummary{Identifier: r.Rule.Identifier, Via: r.Rule.Via, Doc: r.Doc, OutsidePlan: r.OutsidePlan,
			Unmodelled: r.Unmodelled, Tally: tally(s, r.Rule.Identifier, r.Evaluations, waivers, stack)})
	}
	return out
}
