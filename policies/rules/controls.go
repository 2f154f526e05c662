package rules

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// Controls that only the golden plans guarded: WAF managed rule groups that
// count instead of block, the password policy the seed's Config rule checks
// and its remediation sets, and RDS connection and audit logging.

const tWebACL = "aws:wafv2/webAcl:WebAcl"

// PasswordPolicyFloor is the seed's iam-password-policy rule: the least each
// parameter of AWS's IAM_PASSWORD_POLICY managed rule may ask (HIPAA
// §164.308(a)(5)(ii)(D), password management; the parameters are AWS's,
// https://docs.aws.amazon.com/config/latest/developerguide/iam-password-policy.html).
var PasswordPolicyFloor = struct {
	MinLength, ReusePrevention, MaxAgeDays int
	Require                                []string
}{14, 24, 90, []string{"RequireUppercaseCharacters", "RequireLowercaseCharacters", "RequireSymbols", "RequireNumbers"}}

// AuditParameters are the PostgreSQL parameters the seed's "RDS Audit Logs to
// CloudWatch" needs: every connection and disconnection logged, pgaudit
// loaded with a log class set.
var AuditParameters = map[string]string{"log_connections": "1", "log_disconnections": "1"}

// WAFRedactedFloor are the headers every WAF log must redact: they carry
// the caller's credentials (HIPAA §164.312(b) audit logs must not become a
// store of credentials).
var WAFRedactedFloor = []string{"authorization"}

const tWebACLLogging = "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration"

var controlRules = []Rule{
	{
		ID:      "DS-WAF-002",
		Title:   "Every WAF web ACL logs its requests to an aws-waf-logs- S3 bucket, with the authorization header redacted",
		HIPAA:   hipaaAudit,
		Control: "Web Application Firewall on the ALB; Audit Logging to the Log Archive",
		Level:   Mandatory,
		Remediation: "add a wafv2 WebAclLoggingConfiguration for the web ACL with logDestinationConfigs [the aws-waf-logs-<prefix>-<account> bucket] " +
			"and redactedFields [{singleHeader: {name: authorization}}] (components.NewWAFLogs and NewIngress)",
		Stack: func(s *Stack) []Violation {
			var out []Violation
			for _, acl := range s.OfType(tWebACL) {
				logs := s.Children(acl, "resourceArn", tWebACLLogging)
				if len(logs) == 0 {
					out = append(out, Violation{acl.URN, acl.Label() + " logs no request (no logging configuration)"})
					continue
				}
				for _, l := range logs {
					for _, d := range l.Strings("logDestinationConfigs") {
						if !strings.HasPrefix(d, "arn:aws:s3:::aws-waf-logs-") {
							out = append(out, Violation{acl.URN, fmt.Sprintf("%s logs to %s, not an S3 bucket named aws-waf-logs-* (the Log Archive takes S3 only)", acl.Label(), d)})
						}
					}
					redacted := map[string]bool{}
					for i := 0; i < l.Len("redactedFields"); i++ {
						redacted[strings.ToLower(l.S(fmt.Sprintf("redactedFields.%d.singleHeader.name", i)))] = true
					}
					for _, h := range WAFRedactedFloor {
						if !redacted[h] {
							out = append(out, Violation{acl.URN, fmt.Sprintf("%s logs the %s header (not in redactedFields)", acl.Label(), h)})
						}
					}
				}
			}
			return out
		},
	},
	{
		ID:          "DS-WAF-001",
		Title:       "WAF managed rule groups block (overrideAction none), never only count",
		HIPAA:       hipaaIntegrity,
		Control:     "Web Application Firewall: AWS managed rule groups on the ALB",
		Level:       Mandatory,
		Remediation: "set overrideAction {none: {}} on the group; a single rule that must only count is a ruleActionOverrides entry with its reason",
		Types:       []string{tWebACL},
		Resource: func(r Res) []string {
			var out []string
			for i := 0; i < r.Len("rules"); i++ {
				p := fmt.Sprintf("rules.%d", i)
				if !r.Has(p + ".statement.managedRuleGroupStatement") {
					continue
				}
				if !r.Has(p+".overrideAction.none") || r.Has(p+".overrideAction.count") {
					out = append(out, fmt.Sprintf("%s: managed rule group %s only counts (overrideAction is not none)", r.Label(), r.S(p+".name")))
				}
			}
			return out
		},
	},
	{
		ID:          "DS-CFG-002",
		Title:       "The IAM password policy rule asks at least the seed's policy, and its remediation sets the same",
		HIPAA:       "§164.308(a)(5)(ii)(D)",
		Control:     "AWS Config Rules: iam-password-policy (auto-remediation)",
		Level:       Mandatory,
		Remediation: "set the rule's inputParameters to components' passwordPolicy and the remediation's parameters to the same values",
		Stack: func(s *Stack) []Violation {
			var out []Violation
			for _, rule := range s.OfType(tConfigRule) {
				if rule.S("source.sourceIdentifier") != "IAM_PASSWORD_POLICY" {
					continue
				}
				params := map[string]string{}
				if raw, ok := rule.Str("inputParameters"); ok {
					if err := json.Unmarshal([]byte(raw), &params); err != nil {
						out = append(out, Violation{rule.URN, rule.Label() + ": inputParameters is not a JSON object of strings"})
						continue
					}
				} else if rule.Unknown("inputParameters") {
					continue
				}
				for _, p := range passwordPolicyGaps(params) {
					out = append(out, Violation{rule.URN, rule.Label() + ": " + p})
				}
				for _, rc := range s.Children(rule, "configRuleName", tRemediation) {
					set := map[string]string{}
					for i := 0; i < rc.Len("parameters"); i++ {
						p := fmt.Sprintf("parameters.%d", i)
						set[rc.S(p+".name")] = rc.S(p + ".staticValue")
					}
					for k, v := range params {
						if set[k] != v {
							out = append(out, Violation{rc.URN, fmt.Sprintf("%s sets %s=%q where the rule asks %q: the remediation would leave the account non-compliant", rc.Label(), k, set[k], v)})
						}
					}
				}
			}
			return out
		},
	},
	{
		ID:          "DS-RDS-007",
		Title:       "PostgreSQL logs connections and disconnections, with pgaudit loaded",
		HIPAA:       hipaaAudit,
		Control:     "Audit Logging: RDS Audit Logs to CloudWatch",
		Level:       Mandatory,
		Remediation: "set log_connections=1, log_disconnections=1, shared_preload_libraries including pgaudit and pgaudit.log on the database's parameter group",
		Stack: func(s *Stack) []Violation {
			var out []Violation
			for _, db := range s.OfType(tRDSInstance, tRDSCluster) {
				if db.Type == tRDSInstance && isAuroraInstance(db) {
					continue
				}
				prop, groupType := "parameterGroupName", tRDSParamGroup
				if db.Type == tRDSCluster {
					prop, groupType = "dbClusterParameterGroupName", tRDSClusterParams
				}
				for _, g := range s.OfType(groupType) {
					if !s.Refers(db, prop, g) {
						continue
					}
					for _, gap := range auditGaps(g) {
						out = append(out, Violation{db.URN, fmt.Sprintf("%s's parameter group %s %s", db.Label(), g.Label(), gap)})
					}
				}
			}
			return out
		},
	},
}

// passwordPolicyGaps names what a password policy rule's parameters ask
// less than the floor.
func passwordPolicyGaps(params map[string]string) []string {
	var out []string
	num := func(k string) (int, bool) { n, err := strconv.Atoi(params[k]); return n, err == nil }
	f := PasswordPolicyFloor
	if n, ok := num("MinimumPasswordLength"); !ok || n < f.MinLength {
		out = append(out, fmt.Sprintf("MinimumPasswordLength %q, want at least %d", params["MinimumPasswordLength"], f.MinLength))
	}
	if n, ok := num("PasswordReusePrevention"); !ok || n < f.ReusePrevention {
		out = append(out, fmt.Sprintf("PasswordReusePrevention %q, want at least %d", params["PasswordReusePrevention"], f.ReusePrevention))
	}
	if n, ok := num("MaxPasswordAge"); !ok || n < 1 || n > f.MaxAgeDays {
		out = append(out, fmt.Sprintf("MaxPasswordAge %q, want 1..%d days", params["MaxPasswordAge"], f.MaxAgeDays))
	}
	for _, k := range f.Require {
		if params[k] != "true" {
			out = append(out, fmt.Sprintf("%s %q, want \"true\"", k, params[k]))
		}
	}
	return out
}

// auditGaps names what a parameter group leaves out of connection and audit
// logging.
func auditGaps(g Res) []string {
	set := map[string]string{}
	for i := 0; i < g.Len("parameters"); i++ {
		p := fmt.Sprintf("parameters.%d", i)
		set[g.S(p+".name")] = g.S(p + ".value")
	}
	var out []string
	for _, k := range []string{"log_connections", "log_disconnections"} {
		if set[k] != AuditParameters[k] {
			out = append(out, fmt.Sprintf("does not set %s=%s", k, AuditParameters[k]))
		}
	}
	if !strings.Contains(set["shared_preload_libraries"], "pgaudit") {
		out = append(out, "does not load pgaudit (shared_preload_libraries)")
	}
	if v := set["pgaudit.log"]; v == "" || v == "none" {
		out = append(out, "sets no pgaudit.log class")
	}
	return out
}
