package rules

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// managedRule is the offline model of one AWS Config managed rule, written
// from its page in the AWS Config Developer Guide (Doc): which resources it
// judges, its parameters' defaults, and when a resource is NON_COMPLIANT.
type managedRule struct {
	Doc      string
	Defaults map[string]string
	// OutsidePlan: the rule judges something no stack can create (the root
	// user's credentials); it is reported as such, with why.
	OutsidePlan string
	Eval        func(s *Stack, p map[string]string) []Evaluation
}

// evaluate runs the model with the rule's defaults overridden by the
// parameters the deployment (or the control) gives.
func (m managedRule) evaluate(s *Stack, given map[string]string) []Evaluation {
	if m.Eval == nil {
		return nil
	}
	params := map[string]string{}
	for k, v := range m.Defaults {
		params[k] = v
	}
	for k, v := range given {
		params[k] = v
	}
	return m.Eval(s, params)
}

const cfgDoc = "https://docs.aws.amazon.com/config/latest/developerguide/"

// Further resource types the models read.
const (
	tIAMUser         = "aws:iam/user:User"
	tIAMAccessKey    = "aws:iam/accessKey:AccessKey"
	tIAMLoginProfile = "aws:iam/userLoginProfile:UserLoginProfile"
	tPasswordPolicy  = "aws:iam/accountPasswordPolicy:AccountPasswordPolicy"
	tEBSDefault      = "aws:ebs/encryptionByDefault:EncryptionByDefault"
	tEBSVolume       = "aws:ebs/volume:Volume"
	tEC2Instance     = "aws:ec2/instance:Instance"
	tLaunchTemplate  = "aws:ec2/launchTemplate:LaunchTemplate"
	tDefaultSG       = "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"
	tGuardDuty       = "aws:guardduty/detector:Detector"
	tSecurityHub     = "aws:securityhub/account:Account"
	tAccountPAB      = "aws:s3/accountPublicAccessBlock:AccountPublicAccessBlock"
	tWebACLAssoc     = "aws:wafv2/webAclAssociation:WebAclAssociation"
	tBackupSelection = "aws:backup/selection:Selection"
	tRDSSnapshot     = "aws:rds/snapshot:Snapshot"
)

// each judges every resource of the types: check returns "" when compliant.
func each(types []string, check func(s *Stack, r Res, p map[string]string) string) func(*Stack, map[string]string) []Evaluation {
	return func(s *Stack, p map[string]string) []Evaluation {
		var out []Evaluation
		for _, r := range s.OfType(types...) {
			note := check(s, r, p)
			out = append(out, Evaluation{URN: r.URN, Compliant: note == "", Note: note})
		}
		return out
	}
}

// account judges the account as a whole (periodic rules with no resource).
func account(check func(s *Stack, p map[string]string) string) func(*Stack, map[string]string) []Evaluation {
	return func(s *Stack, p map[string]string) []Evaluation {
		note := check(s, p)
		return []Evaluation{{Compliant: note == "", Note: note}}
	}
}

func albs(s *Stack) []Res {
	var out []Res
	for _, lb := range s.OfType(tLoadBalancer, tLoadBalancerALB) {
		if t := lb.S("loadBalancerType"); t == "" || t == "application" {
			out = append(out, lb)
		}
	}
	return out
}

// onlyALBs narrows an `each` check to application load balancers.
func onlyALBs(check func(s *Stack, r Res, p map[string]string) string) func(*Stack, map[string]string) []Evaluation {
	return func(s *Stack, p map[string]string) []Evaluation {
		var out []Evaluation
		for _, lb := range albs(s) {
			note := check(s, lb, p)
			out = append(out, Evaluation{URN: lb.URN, Compliant: note == "", Note: note})
		}
		return out
	}
}

func isTrue(r Res, path string) bool { b, _ := r.Bool(path); return b }

// boolOr reads a boolean with the provider's default when absent.
func boolOr(r Res, path string, def bool) bool {
	if b, known := r.Bool(path); known && r.Has(path) {
		return b
	}
	return def
}

// bucketEncryption is a bucket's default encryption algorithm and key.
func bucketEncryption(s *Stack, b Res) (algo, key string) {
	for _, c := range s.Children(b, "bucket", tBucketSSE) {
		if a, ok := c.Str("rules.0.applyServerSideEncryptionByDefault.sseAlgorithm"); ok {
			return a, c.S("rules.0.applyServerSideEncryptionByDefault.kmsMasterKeyId")
		}
	}
	if a, ok := b.Str("serverSideEncryptionConfiguration.rule.applyServerSideEncryptionByDefault.sseAlgorithm"); ok {
		return a, b.S("serverSideEncryptionConfiguration.rule.applyServerSideEncryptionByDefault.kmsMasterKeyId")
	}
	return "", ""
}

func publicAccessBlocked(s *Stack, b Res) bool {
	for _, p := range s.Children(b, "bucket", tBucketPAB) {
		if isTrue(p, "blockPublicAcls") && isTrue(p, "blockPublicPolicy") && isTrue(p, "ignorePublicAcls") && isTrue(p, "restrictPublicBuckets") {
			return true
		}
	}
	return false
}

// publicAllows names a bucket policy's unconditioned Allow statements to
// everyone granting any of the actions.
func publicAllows(s *Stack, b Res, actions ...string) []string {
	var out []string
	for _, pol := range s.Children(b, "bucket", tBucketPolicy) {
		doc, _ := pol.JSONDoc("policy")
		for _, st := range doc.Statement {
			if st.Effect != "Allow" || len(st.Condition) > 0 || !containsAny(st.principals("AWS"), "*") {
				continue
			}
			for _, a := range st.Action {
				if a == "*" || a == "s3:*" || containsAny(actions, a) {
					out = append(out, a)
				}
			}
		}
	}
	return out
}

// ruleParamInt reads an integer parameter.
func ruleParamInt(p map[string]string, k string) (int, bool) {
	n, err := strconv.Atoi(strings.TrimSpace(p[k]))
	return n, err == nil
}

var managedRules = map[string]managedRule{
	"ACCESS_KEYS_ROTATED": {Doc: cfgDoc + "access-keys-rotated.html", Defaults: map[string]string{"maxAccessKeyAge": "90"},
		Eval: each([]string{tIAMAccessKey}, func(_ *Stack, r Res, p map[string]string) string {
			return fmt.Sprintf("%s is an access key the stack creates and never rotates; it exceeds maxAccessKeyAge %s days unless replaced", r.Label(), p["maxAccessKeyAge"])
		})},
	"ALB_HTTP_DROP_INVALID_HEADER_ENABLED": {Doc: cfgDoc + "alb-http-drop-invalid-header-enabled.html",
		Eval: onlyALBs(func(_ *Stack, lb Res, _ map[string]string) string {
			if isTrue(lb, "dropInvalidHeaderFields") {
				return ""
			}
			return lb.Label() + " does not drop invalid header fields (routing.http.drop_invalid_header_fields.enabled)"
		})},
	"ALB_HTTP_TO_HTTPS_REDIRECTION_CHECK": {Doc: cfgDoc + "alb-http-to-https-redirection-check.html",
		Eval: each([]string{tListener, tListenerALB}, func(_ *Stack, l Res, _ map[string]string) string {
			if l.S("protocol") != "HTTP" {
				return ""
			}
			for i := 0; i < l.Len("defaultActions"); i++ {
				a := fmt.Sprintf("defaultActions.%d.", i)
				if l.S(a+"type") == "redirect" && l.S(a+"redirect.protocol") == "HTTPS" {
					return ""
				}
			}
			return l.Label() + " serves HTTP without redirecting to HTTPS"
		})},
	"ALB_WAF_ENABLED": {Doc: cfgDoc + "alb-waf-enabled.html",
		Eval: onlyALBs(func(s *Stack, lb Res, _ map[string]string) string {
			if len(s.Children(lb, "resourceArn", tWebACLAssoc)) > 0 || lb.Has("webAclId") {
				return ""
			}
			return lb.Label() + " has no WAF web ACL associated"
		})},
	"CLOUD_TRAIL_CLOUD_WATCH_LOGS_ENABLED": {Doc: cfgDoc + "cloud-trail-cloud-watch-logs-enabled.html",
		Eval: each([]string{tTrail}, func(_ *Stack, t Res, _ map[string]string) string {
			if t.Has("cloudWatchLogsGroupArn") {
				return ""
			}
			return t.Label() + " does not send its events to CloudWatch Logs"
		})},
	"CLOUD_TRAIL_ENABLED": {Doc: cfgDoc + "cloudtrail-enabled.html",
		Eval: account(func(s *Stack, p map[string]string) string {
			for _, t := range s.OfType(tTrail) {
				if boolOr(t, "enableLogging", true) && (p["s3BucketName"] == "" || t.S("s3BucketName") == p["s3BucketName"]) {
					return ""
				}
			}
			return "no trail of the stack logs this account"
		})},
	"CLOUD_TRAIL_ENCRYPTION_ENABLED": {Doc: cfgDoc + "cloud-trail-encryption-enabled.html",
		Eval: each([]string{tTrail}, func(_ *Stack, t Res, _ map[string]string) string {
			if t.Has("kmsKeyId") {
				return ""
			}
			return t.Label() + " does not encrypt its log files with SSE-KMS"
		})},
	"CLOUD_TRAIL_LOG_FILE_VALIDATION_ENABLED": {Doc: cfgDoc + "cloud-trail-log-file-validation-enabled.html",
		Eval: each([]string{tTrail}, func(_ *Stack, t Res, _ map[string]string) string {
			if isTrue(t, "enableLogFileValidation") {
				return ""
			}
			return t.Label() + " does not validate its log files"
		})},
	"CLOUDWATCH_LOG_GROUP_ENCRYPTED": {Doc: cfgDoc + "cloudwatch-log-group-encrypted.html",
		Eval: each([]string{tLogGroup}, func(_ *Stack, g Res, _ map[string]string) string {
			if g.Has("kmsKeyId") {
				return ""
			}
			return g.Label() + " is not encrypted with a KMS key"
		})},
	// "NON_COMPLIANT if the retention period is less than MinRetentionTime,
	// if specified, or else 365 days"; never-expiring groups comply.
	"CW_LOGGROUP_RETENTION_PERIOD_CHECK": {Doc: cfgDoc + "cw-loggroup-retention-period-check.html", Defaults: map[string]string{"MinRetentionTime": "365"},
		Eval: each([]string{tLogGroup}, func(_ *Stack, g Res, p map[string]string) string {
			days, _ := g.Num("retentionInDays")
			floor, _ := ruleParamInt(p, "MinRetentionTime")
			if days == 0 || int(days) >= floor {
				return ""
			}
			return fmt.Sprintf("%s keeps logs %d days, less than MinRetentionTime %d", g.Label(), int(days), floor)
		})},
	"DB_INSTANCE_BACKUP_ENABLED": {Doc: cfgDoc + "db-instance-backup-enabled.html",
		Eval: each([]string{tRDSInstance}, func(_ *Stack, db Res, p map[string]string) string {
			if isAuroraInstance(db) {
				return ""
			}
			days, _ := db.Num("backupRetentionPeriod")
			floor, ok := ruleParamInt(p, "backupRetentionMinimum")
			if !ok {
				floor = 1
			}
			if int(days) >= floor {
				return ""
			}
			return fmt.Sprintf("%s keeps automated backups %d days, want at least %d", db.Label(), int(days), floor)
		})},
	"EC2_EBS_ENCRYPTION_BY_DEFAULT": {Doc: cfgDoc + "ec2-ebs-encryption-by-default.html",
		Eval: account(func(s *Stack, _ map[string]string) string {
			for _, e := range s.OfType(tEBSDefault) {
				if boolOr(e, "enabled", true) {
					return ""
				}
			}
			return "the stack does not turn on EBS encryption by default for the account (aws:ebs/encryptionByDefault)"
		})},
	"EC2_IMDSV2_CHECK": {Doc: cfgDoc + "ec2-imdsv2-check.html",
		Eval: each([]string{tEC2Instance, tLaunchTemplate}, func(_ *Stack, r Res, _ map[string]string) string {
			if r.S("metadataOptions.httpTokens") == "required" || r.S("metadataOptions.httpEndpoint") == "disabled" {
				return ""
			}
			return r.Label() + " does not require IMDSv2 (metadataOptions.httpTokens: required)"
		})},
	"EC2_INSTANCE_NO_PUBLIC_IP": {Doc: cfgDoc + "ec2-instance-no-public-ip.html",
		Eval: each([]string{tEC2Instance, tLaunchTemplate}, func(_ *Stack, r Res, _ map[string]string) string {
			if isTrue(r, "associatePublicIpAddress") {
				return r.Label() + " gives its instance a public IP"
			}
			for i := 0; i < r.Len("networkInterfaces"); i++ {
				if v := r.S(fmt.Sprintf("networkInterfaces.%d.associatePublicIpAddress", i)); v == "true" {
					return r.Label() + " gives its instances a public IP"
				}
			}
			return ""
		})},
	"ECR_PRIVATE_IMAGE_SCANNING_ENABLED": {Doc: cfgDoc + "ecr-private-image-scanning-enabled.html",
		Eval: each([]string{tECRRepo}, func(_ *Stack, r Res, _ map[string]string) string {
			if isTrue(r, "imageScanningConfiguration.scanOnPush") {
				return ""
			}
			return r.Label() + " does not scan images on push"
		})},
	"ELB_DELETION_PROTECTION_ENABLED": {Doc: cfgDoc + "elb-deletion-protection-enabled.html",
		Eval: each([]string{tLoadBalancer, tLoadBalancerALB}, func(_ *Stack, lb Res, _ map[string]string) string {
			if isTrue(lb, "enableDeletionProtection") {
				return ""
			}
			return lb.Label() + " has deletion protection off"
		})},
	"ELB_LOGGING_ENABLED": {Doc: cfgDoc + "elb-logging-enabled.html",
		Eval: each([]string{tLoadBalancer, tLoadBalancerALB}, func(_ *Stack, lb Res, p map[string]string) string {
			if !isTrue(lb, "accessLogs.enabled") {
				return lb.Label() + " does not write access logs"
			}
			if names := p["s3BucketNames"]; names != "" && !containsAny(strings.Split(names, ","), lb.S("accessLogs.bucket")) {
				return fmt.Sprintf("%s logs to %s, not one of s3BucketNames %s", lb.Label(), lb.S("accessLogs.bucket"), names)
			}
			return ""
		})},
	"ENCRYPTED_VOLUMES": {Doc: cfgDoc + "encrypted-volumes.html",
		Eval: each([]string{tEBSVolume, tEC2Instance, tLaunchTemplate}, func(_ *Stack, r Res, _ map[string]string) string {
			switch r.Type {
			case tEBSVolume:
				if !isTrue(r, "encrypted") {
					return r.Label() + " is not encrypted"
				}
			case tEC2Instance:
				if !isTrue(r, "rootBlockDevice.encrypted") {
					return r.Label() + "'s root volume is not encrypted"
				}
			default:
				for i := 0; i < r.Len("blockDeviceMappings"); i++ {
					if v := r.S(fmt.Sprintf("blockDeviceMappings.%d.ebs.encrypted", i)); v != "true" {
						return fmt.Sprintf("%s's volume %s is not encrypted", r.Label(), r.S(fmt.Sprintf("blockDeviceMappings.%d.deviceName", i)))
					}
				}
			}
			return ""
		})},
	"GUARDDUTY_ENABLED_CENTRALIZED": {Doc: cfgDoc + "guardduty-enabled-centralized.html",
		Eval: account(func(s *Stack, _ map[string]string) string {
			for _, d := range s.OfType(tGuardDuty) {
				if boolOr(d, "enable", true) {
					return ""
				}
			}
			return "the stack enables no GuardDuty detector in the account"
		})},
	// Parameters default to the rule's documented defaults; each one set is
	// a floor (or, for MaxPasswordAge, a ceiling) the account policy must meet.
	"IAM_PASSWORD_POLICY": {Doc: cfgDoc + "iam-password-policy.html", Defaults: map[string]string{
		"RequireUppercaseCharacters": "true", "RequireLowercaseCharacters": "true", "RequireSymbols": "true", "RequireNumbers": "true",
		"MinimumPasswordLength": "14", "PasswordReusePrevention": "24", "MaxPasswordAge": "90"},
		Eval: account(func(s *Stack, p map[string]string) string {
			policies := s.OfType(tPasswordPolicy)
			if len(policies) == 0 {
				return "the stack sets no account password policy (aws:iam/accountPasswordPolicy)"
			}
			pol := policies[0]
			var gaps []string
			for k, field := range map[string]string{"RequireUppercaseCharacters": "requireUppercaseCharacters", "RequireLowercaseCharacters": "requireLowercaseCharacters",
				"RequireSymbols": "requireSymbols", "RequireNumbers": "requireNumbers"} {
				if p[k] == "true" && !isTrue(pol, field) {
					gaps = append(gaps, field+" off")
				}
			}
			for k, field := range map[string]string{"MinimumPasswordLength": "minimumPasswordLength", "PasswordReusePrevention": "passwordReusePrevention"} {
				want, _ := ruleParamInt(p, k)
				if got, _ := pol.Num(field); int(got) < want {
					gaps = append(gaps, fmt.Sprintf("%s %d < %d", field, int(got), want))
				}
			}
			if want, ok := ruleParamInt(p, "MaxPasswordAge"); ok {
				if got, _ := pol.Num("maxPasswordAge"); got == 0 || int(got) > want {
					gaps = append(gaps, fmt.Sprintf("maxPasswordAge %d, want 1..%d", int(got), want))
				}
			}
			if len(gaps) == 0 {
				return ""
			}
			return pol.Label() + ": " + strings.Join(sortedCopy(gaps), ", ")
		})},
	"IAM_POLICY_NO_STATEMENTS_WITH_ADMIN_ACCESS": {Doc: cfgDoc + "iam-policy-no-statements-with-admin-access.html",
		Eval: each([]string{tIAMPolicy}, func(_ *Stack, r Res, _ map[string]string) string {
			doc, _ := r.JSONDoc("policy")
			for _, st := range doc.Statement {
				if st.Effect == "Allow" && containsAny(st.Action, "*") && containsAny(st.Resource, "*") {
					return r.Label() + " allows Action * on Resource *"
				}
			}
			return ""
		})},
	"IAM_ROOT_ACCESS_KEY_CHECK": {Doc: cfgDoc + "iam-root-access-key-check.html",
		OutsidePlan: "judges the root user's access keys; no stack creates or holds root credentials (docs/runbooks/account-root.md)"},
	"IAM_USER_MFA_ENABLED": {Doc: cfgDoc + "iam-user-mfa-enabled.html",
		Eval: each([]string{tIAMUser}, func(_ *Stack, r Res, _ map[string]string) string {
			return r.Label() + " is an IAM user the stack creates; no stack can enable its MFA device"
		})},
	"KMS_CMK_NOT_SCHEDULED_FOR_DELETION": {Doc: cfgDoc + "kms-cmk-not-scheduled-for-deletion.html",
		Eval: each([]string{tKMSKey, tKMSReplicaKey}, func(_ *Stack, _ Res, _ map[string]string) string { return "" })},
	"MFA_ENABLED_FOR_IAM_CONSOLE_ACCESS": {Doc: cfgDoc + "mfa-enabled-for-iam-console-access.html",
		Eval: each([]string{tIAMLoginProfile}, func(_ *Stack, r Res, _ map[string]string) string {
			return r.Label() + " gives an IAM user a console password; no stack can enable its MFA device"
		})},
	"MULTI_REGION_CLOUD_TRAIL_ENABLED": {Doc: cfgDoc + "multi-region-cloudtrail-enabled.html",
		Eval: account(func(s *Stack, _ map[string]string) string {
			for _, t := range s.OfType(tTrail) {
				if isTrue(t, "isMultiRegionTrail") {
					return ""
				}
			}
			return "no trail of the stack is multi-Region"
		})},
	"RDS_AUTOMATIC_MINOR_VERSION_UPGRADE_ENABLED": {Doc: cfgDoc + "rds-automatic-minor-version-upgrade-enabled.html",
		Eval: each([]string{tRDSInstance, tRDSClusterInstance}, func(_ *Stack, db Res, _ map[string]string) string {
			if boolOr(db, "autoMinorVersionUpgrade", true) {
				return ""
			}
			return db.Label() + " does not upgrade minor versions automatically"
		})},
	"RDS_INSTANCE_DELETION_PROTECTION_ENABLED": {Doc: cfgDoc + "rds-instance-deletion-protection-enabled.html",
		Eval: each([]string{tRDSInstance}, func(_ *Stack, db Res, _ map[string]string) string {
			if isAuroraInstance(db) || isTrue(db, "deletionProtection") {
				return ""
			}
			return db.Label() + " has deletion protection off"
		})},
	"RDS_INSTANCE_PUBLIC_ACCESS_CHECK": {Doc: cfgDoc + "rds-instance-public-access-check.html",
		Eval: each([]string{tRDSInstance, tRDSClusterInstance}, func(_ *Stack, db Res, _ map[string]string) string {
			if isTrue(db, "publiclyAccessible") {
				return db.Label() + " is publicly accessible"
			}
			return ""
		})},
	"RDS_IN_BACKUP_PLAN": {Doc: cfgDoc + "rds-in-backup-plan.html",
		Eval: each([]string{tRDSInstance}, func(s *Stack, db Res, _ map[string]string) string {
			if isAuroraInstance(db) {
				return ""
			}
			id := db.S("identifier")
			for _, sel := range s.OfType(tBackupSelection) {
				// The database's ARN is unknown until it exists: during a
				// preview the selection names it through a dependency.
				if s.Refers(sel, "resources", db) {
					return ""
				}
				for _, arn := range sel.Strings("resources") {
					if arn == "*" || id != "" && strings.HasSuffix(arn, ":db:"+id) {
						return ""
					}
				}
			}
			return db.Label() + " is in no AWS Backup selection"
		})},
	"RDS_LOGGING_ENABLED": {Doc: cfgDoc + "rds-logging-enabled.html",
		Eval: each([]string{tRDSInstance, tRDSCluster}, func(_ *Stack, db Res, _ map[string]string) string {
			if db.Type == tRDSInstance && isAuroraInstance(db) {
				return ""
			}
			// The page lists, per engine, the log types it expects exported.
			want := map[string][]string{"postgres": {"postgresql", "upgrade"}, "aurora-postgresql": {"postgresql"}}[db.S("engine")]
			got := db.Strings("enabledCloudwatchLogsExports")
			var missing []string
			for _, w := range want {
				if !containsAny(got, w) {
					missing = append(missing, w)
				}
			}
			if want == nil && len(got) == 0 || len(missing) > 0 {
				return fmt.Sprintf("%s exports %v to CloudWatch Logs, missing %v", db.Label(), got, missing)
			}
			return ""
		})},
	"RDS_MULTI_AZ_SUPPORT": {Doc: cfgDoc + "rds-multi-az-support.html",
		Eval: each([]string{tRDSInstance}, func(_ *Stack, db Res, _ map[string]string) string {
			if isAuroraInstance(db) || isTrue(db, "multiAz") {
				return ""
			}
			return db.Label() + " is a single-AZ instance"
		})},
	"RDS_SNAPSHOTS_PUBLIC_PROHIBITED": {Doc: cfgDoc + "rds-snapshots-public-prohibited.html",
		Eval: each([]string{tRDSSnapshot}, func(_ *Stack, r Res, _ map[string]string) string {
			if containsAny(r.Strings("sharedAccounts"), "all") {
				return r.Label() + " is shared with all accounts"
			}
			return ""
		})},
	"RDS_STORAGE_ENCRYPTED": {Doc: cfgDoc + "rds-storage-encrypted.html",
		Eval: each([]string{tRDSInstance, tRDSCluster}, func(_ *Stack, db Res, p map[string]string) string {
			if db.Type == tRDSInstance && isAuroraInstance(db) {
				return ""
			}
			if !isTrue(db, "storageEncrypted") {
				return db.Label() + " does not encrypt its storage"
			}
			if k := p["kmsKeyId"]; k != "" && db.S("kmsKeyId") != k {
				return fmt.Sprintf("%s is encrypted with %s, not kmsKeyId %s", db.Label(), db.S("kmsKeyId"), k)
			}
			return ""
		})},
	"ROOT_ACCOUNT_HARDWARE_MFA_ENABLED": {Doc: cfgDoc + "root-account-hardware-mfa-enabled.html",
		OutsidePlan: "judges the root user's MFA device; no API or stack can set it (docs/runbooks/account-root.md)"},
	"ROOT_ACCOUNT_MFA_ENABLED": {Doc: cfgDoc + "root-account-mfa-enabled.html",
		OutsidePlan: "judges the root user's MFA device; no API or stack can set it (docs/runbooks/account-root.md)"},
	"S3_ACCOUNT_LEVEL_PUBLIC_ACCESS_BLOCKS_PERIODIC": {Doc: cfgDoc + "s3-account-level-public-access-blocks-periodic.html",
		Defaults: map[string]string{"BlockPublicAcls": "true", "BlockPublicPolicy": "true", "IgnorePublicAcls": "true", "RestrictPublicBuckets": "true"},
		Eval: account(func(s *Stack, p map[string]string) string {
			for _, b := range s.OfType(tAccountPAB) {
				var off []string
				for k, field := range map[string]string{"BlockPublicAcls": "blockPublicAcls", "BlockPublicPolicy": "blockPublicPolicy",
					"IgnorePublicAcls": "ignorePublicAcls", "RestrictPublicBuckets": "restrictPublicBuckets"} {
					if p[k] == "true" && !isTrue(b, field) {
						off = append(off, field)
					}
				}
				if len(off) == 0 {
					return ""
				}
				return fmt.Sprintf("%s leaves %v off", b.Label(), sortedCopy(off))
			}
			return "the stack sets no account-level S3 Block Public Access (aws:s3/accountPublicAccessBlock)"
		})},
	"S3_BUCKET_LOGGING_ENABLED": {Doc: cfgDoc + "s3-bucket-logging-enabled.html",
		Eval: each(bucketTypes, func(s *Stack, b Res, _ map[string]string) string {
			if len(s.Children(b, "bucket", tBucketLogging)) > 0 || b.Has("loggings") {
				return ""
			}
			return b.Label() + " has no server access logging"
		})},
	"S3_BUCKET_PUBLIC_READ_PROHIBITED": {Doc: cfgDoc + "s3-bucket-public-read-prohibited.html",
		Eval: each(bucketTypes, func(s *Stack, b Res, _ map[string]string) string {
			if publicAccessBlocked(s, b) {
				return ""
			}
			if a := publicAllows(s, b, "s3:GetObject", "s3:ListBucket"); len(a) > 0 {
				return fmt.Sprintf("%s's policy lets anyone %v", b.Label(), a)
			}
			return ""
		})},
	"S3_BUCKET_PUBLIC_WRITE_PROHIBITED": {Doc: cfgDoc + "s3-bucket-public-write-prohibited.html",
		Eval: each(bucketTypes, func(s *Stack, b Res, _ map[string]string) string {
			if publicAccessBlocked(s, b) {
				return ""
			}
			if a := publicAllows(s, b, "s3:PutObject", "s3:DeleteObject"); len(a) > 0 {
				return fmt.Sprintf("%s's policy lets anyone %v", b.Label(), a)
			}
			return ""
		})},
	"S3_BUCKET_REPLICATION_ENABLED": {Doc: cfgDoc + "s3-bucket-replication-enabled.html",
		Eval: each(bucketTypes, func(s *Stack, b Res, _ map[string]string) string {
			for _, r := range s.Children(b, "bucket", tBucketReplication) {
				for i := 0; i < r.Len("rules"); i++ {
					if r.S(fmt.Sprintf("rules.%d.status", i)) == "Enabled" {
						return ""
					}
				}
			}
			return b.Label() + " has no enabled replication rule"
		})},
	"S3_BUCKET_SERVER_SIDE_ENCRYPTION_ENABLED": {Doc: cfgDoc + "s3-bucket-server-side-encryption-enabled.html",
		Eval: each(bucketTypes, func(s *Stack, b Res, _ map[string]string) string {
			if algo, _ := bucketEncryption(s, b); algo != "" {
				return ""
			}
			return b.Label() + " has no default encryption"
		})},
	"S3_BUCKET_SSL_REQUESTS_ONLY": {Doc: cfgDoc + "s3-bucket-ssl-requests-only.html",
		Eval: each(bucketTypes, func(s *Stack, b Res, _ map[string]string) string {
			for _, pol := range s.Children(b, "bucket", tBucketPolicy) {
				doc, _ := pol.JSONDoc("policy")
				for _, st := range doc.Statement {
					if st.Effect == "Deny" && containsAny(st.principals("AWS"), "*") && containsAny(st.Action, "s3:*", "*") &&
						containsAny(st.conditionValues("Bool", "aws:SecureTransport"), "false") && len(st.Resource) >= 2 {
						return ""
					}
				}
			}
			return b.Label() + " has no policy statement denying s3:* to everyone without aws:SecureTransport"
		})},
	"S3_BUCKET_VERSIONING_ENABLED": {Doc: cfgDoc + "s3-bucket-versioning-enabled.html",
		Eval: each(bucketTypes, func(s *Stack, b Res, _ map[string]string) string {
			for _, v := range s.Children(b, "bucket", tBucketVersioning) {
				if v.S("versioningConfiguration.status") == "Enabled" {
					return ""
				}
			}
			if isTrue(b, "versioning.enabled") {
				return ""
			}
			return b.Label() + " is not versioned"
		})},
	"S3_DEFAULT_ENCRYPTION_KMS": {Doc: cfgDoc + "s3-default-encryption-kms.html",
		Eval: each(bucketTypes, func(s *Stack, b Res, p map[string]string) string {
			algo, key := bucketEncryption(s, b)
			if algo != "aws:kms" && algo != "aws:kms:dsse" {
				return fmt.Sprintf("%s's default encryption is %q, not SSE-KMS", b.Label(), algo)
			}
			if keys := p["kmsKeyArns"]; keys != "" && !containsAny(strings.Split(keys, ","), key) {
				return fmt.Sprintf("%s uses key %s, not one of kmsKeyArns", b.Label(), key)
			}
			return ""
		})},
	"SECURITYHUB_ENABLED": {Doc: cfgDoc + "securityhub-enabled.html",
		Eval: account(func(s *Stack, _ map[string]string) string {
			if len(s.OfType(tSecurityHub)) > 0 {
				return ""
			}
			return "the stack does not enable Security Hub in the account"
		})},
	"SUBNET_AUTO_ASSIGN_PUBLIC_IP_DISABLED": {Doc: cfgDoc + "subnet-auto-assign-public-ip-disabled.html",
		Eval: each([]string{tSubnet}, func(_ *Stack, r Res, _ map[string]string) string {
			if isTrue(r, "mapPublicIpOnLaunch") {
				return r.Label() + " assigns public IPs on launch"
			}
			return ""
		})},
	// Every VPC's default group must have no rules; a VPC whose default
	// group no stack manages keeps AWS's default rules (all from itself,
	// all out) and is non-compliant.
	"VPC_DEFAULT_SECURITY_GROUP_CLOSED": {Doc: cfgDoc + "vpc-default-security-group-closed.html",
		Eval: each([]string{tVpc}, func(s *Stack, v Res, _ map[string]string) string {
			for _, g := range s.Children(v, "vpcId", tDefaultSG) {
				if g.Len("ingress") == 0 && g.Len("egress") == 0 {
					return ""
				}
				return v.Label() + "'s default security group has rules"
			}
			return v.Label() + "'s default security group keeps AWS's default rules (no aws:ec2/defaultSecurityGroup empties it)"
		})},
	"VPC_FLOW_LOGS_ENABLED": {Doc: cfgDoc + "vpc-flow-logs-enabled.html",
		Eval: each([]string{tVpc}, func(s *Stack, v Res, p map[string]string) string {
			for _, f := range s.Children(v, "vpcId", tFlowLog) {
				if p["trafficType"] == "" || strings.EqualFold(f.S("trafficType"), p["trafficType"]) {
					return ""
				}
			}
			return fmt.Sprintf("%s has no flow log of traffic type %q", v.Label(), p["trafficType"])
		})},
	// Ingress open to 0.0.0.0/0 or ::/0 must be on an authorized port; with
	// no parameters, no port is authorized.
	"VPC_SG_OPEN_ONLY_TO_AUTHORIZED_PORTS": {Doc: cfgDoc + "vpc-sg-open-only-to-authorized-ports.html",
		Eval: func(s *Stack, p map[string]string) []Evaluation {
			var out []Evaluation
			for _, sg := range s.OfType(tSG) {
				note := ""
				for _, r := range sgRules(s) {
					if r.egress || !r.open() || !s.belongsTo(r, sg) || authorizedPort(r, p) {
						continue
					}
					note = fmt.Sprintf("%s admits the internet on %s %d-%d, not in authorizedTcpPorts %q", sg.Label(), r.protocol, r.from, r.to, p["authorizedTcpPorts"])
				}
				out = append(out, Evaluation{URN: sg.URN, Compliant: note == "", Note: note})
			}
			return out
		}},
}

// authorizedPort reports whether an open rule stays inside the rule's
// authorized ports ("443,1020-1025").
func authorizedPort(r sgRule, p map[string]string) bool {
	key := "authorizedTcpPorts"
	if r.protocol == "udp" || r.protocol == "17" {
		key = "authorizedUdpPorts"
	} else if r.protocol != "tcp" && r.protocol != "6" {
		return false
	}
	for _, part := range strings.Split(p[key], ",") {
		lo, hi, _ := strings.Cut(strings.TrimSpace(part), "-")
		from, err1 := strconv.Atoi(lo)
		to, err2 := strconv.Atoi(hi)
		if hi == "" {
			to, err2 = from, err1
		}
		if err1 == nil && err2 == nil && r.from >= from && r.to <= to {
			return true
		}
	}
	return false
}

func sortedCopy(v []string) []string {
	out := append([]string(nil), v...)
	sort.Strings(out)
	return out
}
