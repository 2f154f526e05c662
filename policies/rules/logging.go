package rules

import (
	"fmt"
	"sort"
)

// minLogRetentionDays is the seed's CloudWatch Logs retention (Audit Logging:
// CloudWatch Logs, RDS audit logs: 90 days).
const minLogRetentionDays = 90

// SeedConfigRules are the managed rules of the seed's "AWS Config Rules"
// table (rule name → source identifier); the four marked Auto-Remediation
// "Yes" are in SeedAutoRemediated.
var SeedConfigRules = map[string]string{
	"encrypted-volumes":                        "ENCRYPTED_VOLUMES",
	"s3-bucket-server-side-encryption-enabled": "S3_BUCKET_SERVER_SIDE_ENCRYPTION_ENABLED",
	"rds-storage-encrypted":                    "RDS_STORAGE_ENCRYPTED",
	"vpc-flow-logs-enabled":                    "VPC_FLOW_LOGS_ENABLED",
	"access-keys-rotated":                      "ACCESS_KEYS_ROTATED",
	"cloudtrail-enabled":                       "CLOUD_TRAIL_ENABLED",
	"iam-password-policy":                      "IAM_PASSWORD_POLICY",
	"mfa-enabled-for-iam-console-access":       "MFA_ENABLED_FOR_IAM_CONSOLE_ACCESS",
	"root-account-mfa-enabled":                 "ROOT_ACCOUNT_MFA_ENABLED",
}

// SeedAutoRemediated are the seed's rules with Auto-Remediation "Yes".
var SeedAutoRemediated = []string{
	"s3-bucket-server-side-encryption-enabled", "vpc-flow-logs-enabled", "cloudtrail-enabled", "iam-password-policy",
}

var loggingRules = []Rule{
	{
		ID:          "DS-LOG-001",
		Title:       "CloudWatch log groups keep logs 90 days or more, never forever",
		HIPAA:       hipaaAudit,
		Control:     "Audit Logging: CloudWatch Logs 90 days; RDS Audit Logs 90 days",
		Level:       Mandatory,
		Remediation: "set retentionInDays (90 for application logs)",
		Types:       []string{tLogGroup},
		Resource: func(r Res) []string {
			if r.Unknown("retentionInDays") {
				return nil
			}
			days, ok := r.Num("retentionInDays")
			switch {
			case !ok || days == 0:
				return []string{r.Label() + " keeps logs forever (no retentionInDays)"}
			case days < minLogRetentionDays:
				return []string{fmt.Sprintf("%s keeps logs %d days, want at least %d", r.Label(), int(days), minLogRetentionDays)}
			}
			return nil
		},
	},
	{
		ID:          "DS-LOG-002",
		Title:       "CloudTrail trails are multi-region, validate log files and encrypt with KMS",
		HIPAA:       hipaaAudit,
		Control:     "Audit Logging: CloudTrail, all accounts, 7 years; SCP CloudTrail Protection",
		Level:       Mandatory,
		Remediation: "set isMultiRegionTrail: true, enableLogFileValidation: true and kmsKeyId to the logs CMK",
		Types:       []string{tTrail},
		Resource: func(r Res) []string {
			var out []string
			if on, known := r.Bool("isMultiRegionTrail"); known && !on {
				out = append(out, r.Label()+" records one region only")
			}
			if on, known := r.Bool("enableLogFileValidation"); known && !on {
				out = append(out, r.Label()+" does not validate log files")
			}
			if !r.Has("kmsKeyId") {
				out = append(out, r.Label()+" is not encrypted with KMS")
			}
			return out
		},
	},
	{
		ID:          "DS-CFG-001",
		Title:       "Workload accounts run the seed's nine AWS Config rules, auto-remediating the four it marks",
		HIPAA:       hipaaAudit,
		Control:     "AWS Config Rules table; Continuous Monitoring: AWS Config, any non-compliant resource",
		Level:       Mandatory,
		Remediation: "add the missing aws:cfg/rule resources (AWS managed source identifiers) and automatic RemediationConfigurations",
		Stack: func(s *Stack) []Violation {
			// The workload stack (the one that runs the VPC) carries the rules;
			// the org stack and the bootstrap project of an account do not.
			if env := s.Env(); env == "" || env == "org" || len(s.OfType(tVpc)) == 0 {
				return nil
			}
			present := map[string]Res{}
			for _, r := range s.OfType(tConfigRule) {
				if r.S("source.owner") == "AWS" {
					present[r.S("source.sourceIdentifier")] = r
				}
			}
			var missing []string
			for name, id := range SeedConfigRules {
				if _, ok := present[id]; !ok {
					missing = append(missing, name)
				}
			}
			var out []Violation
			if len(missing) > 0 {
				sort.Strings(missing)
				out = append(out, Violation{"", "missing AWS Config rules " + quoteList(missing)})
			}
			for _, name := range SeedAutoRemediated {
				rule, ok := present[SeedConfigRules[name]]
				if !ok {
					continue
				}
				automatic := false
				for _, rc := range s.Children(rule, "configRuleName", tRemediation) {
					if on, _ := rc.Bool("automatic"); on {
						automatic = true
					}
				}
				if !automatic {
					out = append(out, Violation{rule.URN, fmt.Sprintf("%s (%s) has no automatic remediation; the seed marks it Yes", rule.Label(), name)})
				}
			}
			return out
		},
	},
}
