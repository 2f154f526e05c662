package components_test

import (
	"encoding/json"
	"sort"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/docustack/infrastructure/components"
	"github.com/docustack/infrastructure/internal/synth"
)

// seedConfigRules is the seed's "AWS Config Rules" table: rule → auto-remediation.
var seedConfigRules = map[string]bool{
	"encrypted-volumes":                        false,
	"s3-bucket-server-side-encryption-enabled": true,
	"rds-storage-encrypted":                    false,
	"vpc-flow-logs-enabled":                    true,
	"access-keys-rotated":                      false,
	"cloudtrail-enabled":                       true,
	"iam-password-policy":                      true,
	"mfa-enabled-for-iam-console-access":       false,
	"root-account-mfa-enabled":                 false,
}

// seedIdentifiers are the AWS managed rule identifiers of those rules.
var seedIdentifiers = map[string]string{
	"encrypted-volumes": "ENCRYPTED_VOLUMES", "s3-bucket-server-side-encryption-enabled": "S3_BUCKET_SERVER_SIDE_ENCRYPTION_ENABLED",
	"rds-storage-encrypted": "RDS_STORAGE_ENCRYPTED", "vpc-flow-logs-enabled": "VPC_FLOW_LOGS_ENABLED",
	"access-keys-rotated": "ACCESS_KEYS_ROTATED", "cloudtrail-enabled": "CLOUD_TRAIL_ENABLED", "iam-password-policy": "IAM_PASSWORD_POLICY",
	"mfa-enabled-for-iam-console-access": "MFA_ENABLED_FOR_IAM_CONSOLE_ACCESS", "root-account-mfa-enabled": "ROOT_ACCOUNT_MFA_ENABLED",
}

func TestAWSConfig(t *testing.T) {
	for _, stack := range workloadStacks {
		t.Run(stack, func(t *testing.T) {
			p := standalonePlan(t, stack)
			rec := mustNamed(t, p, "config-recorder")
			assert.Equal(t, true, rec.Get("recordingGroup.allSupported"))
			assert.Equal(t, true, rec.Get("recordingGroup.includeGlobalResourceTypes"), "us-east-1 records global resources")
			wantFrequency := "CONTINUOUS"
			if stack == "dev" {
				wantFrequency = "DAILY" // Pulumi.dev.yaml, for cost
			}
			assert.Equal(t, wantFrequency, rec.Str("recordingMode.recordingFrequency"))
			ch := mustNamed(t, p, "config-delivery-channel")
			// Not the archive: AWS Config does not deliver to Object Lock buckets.
			assert.Equal(t, mustNamed(t, p, "log-archive-config-bucket").ID, ch.Str("s3BucketName"))
			assert.Equal(t, false, mustNamed(t, p, "log-archive-config-bucket").Get("objectLockEnabled"))
			assert.Equal(t, "docustack-"+stack+"-config-recorder", mustNamed(t, p, "config-recorder-role").Str("name"),
				"the Config bucket admits docustack-*-config-recorder")
			assert.Equal(t, "config", ch.Str("s3KeyPrefix"))
			assert.Equal(t, keyArn(p, "logs"), ch.Str("s3KmsKeyArn"))
			assert.Equal(t, true, mustNamed(t, p, "config-recorder-status").Get("isEnabled"))
			assert.Contains(t, ch.Dependencies, mustNamed(t, p, "log-archive-config-policy").URN, "AWS Config checks the bucket policy")

			rules := map[string]string{}
			for _, r := range p.ByType("aws:cfg/rule:Rule") {
				rules[r.Str("name")] = r.Str("source.sourceIdentifier")
				assert.Equal(t, "AWS", r.Str("source.owner"))
			}
			assert.Equal(t, seedIdentifiers, rules, "exactly the seed's nine managed rules")
			var keyAge map[string]string
			require.NoError(t, json.Unmarshal([]byte(mustNamed(t, p, "config-access-keys-rotated").Str("inputParameters")), &keyAge))
			assert.Equal(t, "90", keyAge["maxAccessKeyAge"], "seed: key rotation 90 days")

			remediated := map[string]string{}
			for _, rc := range p.ByType("aws:cfg/remediationConfiguration:RemediationConfiguration") {
				assert.Equal(t, true, rc.Get("automatic"))
				assert.Equal(t, "SSM_DOCUMENT", rc.Str("targetType"))
				remediated[rc.Str("configRuleName")] = rc.Str("targetId")
			}
			var want []string
			for rule, auto := range seedConfigRules {
				if auto {
					want = append(want, rule)
				}
			}
			var got []string
			for rule := range remediated {
				got = append(got, rule)
			}
			sort.Strings(want)
			sort.Strings(got)
			assert.Equal(t, want, got, "automatic remediation for exactly the four rules the seed marks Yes")
			assert.Equal(t, "AWSConfigRemediation-SetIAMPasswordPolicy", remediated["iam-password-policy"])

			var doc components.PolicyDocument
			require.NoError(t, json.Unmarshal([]byte(mustNamed(t, p, "config-remediation-role").Str("inlinePolicies.0.policy")), &doc))
			for _, s := range doc.Statement {
				for _, a := range strs(toAny(s.Action)) {
					assert.False(t, strings.HasSuffix(a, ":*"), "least privilege: %s", a)
				}
			}

			pack := mustNamed(t, p, "config-hipaa-pack")
			assert.Contains(t, pack.Str("templateBody"), "SourceIdentifier: RDS_STORAGE_ENCRYPTED")
			assert.Less(t, len(pack.Str("templateBody")), components.ConformancePackBodyLimit)
		})
	}
}

func toAny(v any) any {
	switch t := v.(type) {
	case string:
		return []any{t}
	case []any:
		return t
	}
	return nil
}

func complianceArgs() components.ComplianceArgs {
	return components.ComplianceArgs{Prefix: "docustack-test", Region: "us-west-2", AccountID: "123456789012", DeliveryBucket: "archive",
		DeliveryKMSKeyArn: pulumi.String("arn:aws:kms:us-east-1:123456789012:key/logs"), FlowLogDestination: "arn:aws:s3:::archive/vpc-flow-logs/", Tags: stackTags}
}

func TestConformancePackThroughS3WhenLarge(t *testing.T) {
	args := complianceArgs()
	args.TemplateBodyLimit = 1000 // as if the pack outgrew TemplateBody's 51,200 bytes
	p := synthesize(t, func(ctx *pulumi.Context) error {
		_, err := components.NewCompliance(ctx, "c", args)
		return err
	})
	pack := mustNamed(t, p, "c-hipaa-pack")
	assert.Nil(t, pack.Get("templateBody"))
	assert.Equal(t, "s3://archive/conformance-packs/docustack-test-hipaa-security.yaml", pack.Str("templateS3Uri"))
	obj := mustNamed(t, p, "c-pack-template")
	assert.Equal(t, components.ConformancePackTemplate(components.HIPAAPackRules, components.HIPAAPackParameters()), obj.Str("content"))
	assert.Equal(t, "aws:kms", obj.Str("serverSideEncryption"))
	assert.Equal(t, false, mustNamed(t, p, "c-recorder").Get("recordingGroup.includeGlobalResourceTypes"), "global resources only in us-east-1")
}

func TestConfigAdoptsALandingZoneRecorder(t *testing.T) {
	args := complianceArgs()
	args.AdoptRecorder = true
	p := synthesize(t, func(ctx *pulumi.Context) error {
		_, err := components.NewCompliance(ctx, "c", args)
		return err
	})
	assert.Empty(t, p.ByType("aws:cfg/recorder:Recorder"))
	assert.Empty(t, p.ByType("aws:cfg/deliveryChannel:DeliveryChannel"))
	assert.Len(t, p.ByType("aws:cfg/rule:Rule"), 9, "the rules are still ours")
	bad := args
	bad.RecordingFrequency = "HOURLY"
	assertErrors(t, bad.Validate(), []string{`recordingFrequency: got "HOURLY", want CONTINUOUS or DAILY`})
}

func TestCloudTrail(t *testing.T) {
	p := standalonePlan(t, "prod")
	tr := mustNamed(t, p, "trail-trail")
	assert.Equal(t, true, tr.Get("isMultiRegionTrail"))
	assert.Equal(t, true, tr.Get("enableLogFileValidation"))
	assert.Equal(t, true, tr.Get("includeGlobalServiceEvents"))
	assert.Equal(t, false, tr.Get("isOrganizationTrail"))
	assert.Equal(t, keyArn(p, "logs"), tr.Str("kmsKeyId"))
	assert.Equal(t, mustNamed(t, p, "log-archive-bucket").ID, tr.Str("s3BucketName"))
	assert.Equal(t, "cloudtrail", tr.Str("s3KeyPrefix"))
	assert.Equal(t, "AWS::S3::Object", tr.Str("eventSelectors.0.dataResources.0.type"))
	assert.Equal(t, []string{"arn:aws:s3:::" + mustNamed(t, p, "documents-bucket").ID + "/"}, strs(tr.Get("eventSelectors.0.dataResources.0.values")),
		"S3 data events for the documents bucket")
	assert.Contains(t, tr.Dependencies, mustNamed(t, p, "log-archive-policy").URN, "created after the archive's bucket policy")

	lg := mustNamed(t, p, "trail-log")
	assert.Equal(t, 90, lg.Int("retentionInDays"))
	// CloudTrail wants the log group's ARN with the ":*" stream wildcard.
	assert.Equal(t, "arn:aws:logs:us-east-1:333333333333:log-group:"+lg.Str("name")+":*", tr.Str("cloudWatchLogsGroupArn"))

	filters := map[string]string{}
	for _, f := range p.ByType("aws:cloudwatch/logMetricFilter:LogMetricFilter") {
		filters[f.Str("name")] = f.Str("pattern")
	}
	for _, want := range []string{"cis-root-usage", "cis-unauthorized-api-calls", "cis-console-login-without-mfa", "cis-iam-policy-changes", "cis-cloudtrail-changes", "cis-config-changes"} {
		assert.Contains(t, filters, want)
	}
	assert.Contains(t, filters["cis-root-usage"], `$.userIdentity.type = "Root"`)
	assert.Contains(t, filters["cis-config-changes"], "StopConfigurationRecorder")
	cis := 0
	for _, a := range p.ByType("aws:cloudwatch/metricAlarm:MetricAlarm") {
		if a.Str("namespace") == components.CISAlarmNamespace {
			cis++
			assert.Contains(t, strs(a.Get("alarmActions"))[0], ":docustack-prod-alerts", "%s alarms the alerts topic", a.Name)
		}
	}
	// CIS AWS Foundations 1.4 section 4: 4.1 unauthorized calls and 4.2
	// console login without MFA (the seed's), and 4.3-4.14, the filters
	// Security Hub's CloudWatch.1 and .4-.14 look for.
	assert.Equal(t, 14, cis)
	// Security Hub wants CIS's exact patterns for 4.6-4.14 (CloudWatch
	// controls page); spacing aside, nothing added or removed.
	squash := func(s string) string { return strings.Join(strings.Fields(s), "") }
	assert.Equal(t, squash(`{($.eventSource=kms.amazonaws.com) && (($.eventName=DisableKey) || ($.eventName=ScheduleKeyDeletion))}`),
		squash(filters["cis-kms-key-disable-or-deletion"]))
	assert.Equal(t, squash(`{($.eventName=ConsoleLogin) && ($.errorMessage="Failed authentication")}`), squash(filters["cis-console-auth-failures"]))
}

func TestDetection(t *testing.T) {
	p := stackPlan(t, "prod")
	features := map[string]synth.Resource{}
	for _, f := range p.ByType("aws:guardduty/detectorFeature:DetectorFeature") {
		features[f.Str("name")] = f
		assert.Equal(t, "ENABLED", f.Str("status"))
	}
	assert.Len(t, features, 3)
	// GuardDuty Runtime Monitoring on Fargate needs the managed agent: the
	// additional configuration must be on, not only named.
	assert.Equal(t, []any{map[string]any{"name": "ECS_FARGATE_AGENT_MANAGEMENT", "status": "ENABLED"}}, features["RUNTIME_MONITORING"].Get("additionalConfigurations"), "ECS runtime protection")
	assert.Contains(t, features, "S3_DATA_EVENTS")
	assert.Contains(t, features, "RDS_LOGIN_EVENTS")

	var standards []string
	for _, s := range p.ByType("aws:securityhub/standardsSubscription:StandardsSubscription") {
		standards = append(standards, s.Str("standardsArn"))
	}
	sort.Strings(standards)
	assert.Equal(t, []string{
		"arn:aws:securityhub:us-east-1::standards/aws-foundational-security-best-practices/v/1.0.0",
		"arn:aws:securityhub:us-east-1::standards/cis-aws-foundations-benchmark/v/1.4.0",
		"arn:aws:securityhub:us-east-1::standards/nist-800-53/v/5.0.0",
	}, standards)

	topic := mustNamed(t, p, "detection-alerts")
	assert.Equal(t, keyArn(p, "logs"), topic.Str("kmsMasterKeyId"), "alerts encrypted with a CMK")
	sub := mustNamed(t, p, "detection-subscriber-0")
	assert.Equal(t, "email", sub.Str("protocol"))
	assert.Equal(t, "security@docustack.example", sub.Str("endpoint"))

	var hub map[string]any
	require.NoError(t, json.Unmarshal([]byte(mustNamed(t, p, "detection-securityhub-medium-plus").Str("eventPattern")), &hub))
	assert.Equal(t, []any{"MEDIUM", "HIGH", "CRITICAL"}, hub["detail"].(map[string]any)["findings"].(map[string]any)["Severity"].(map[string]any)["Label"])
	var gd map[string]any
	require.NoError(t, json.Unmarshal([]byte(mustNamed(t, p, "detection-guardduty-all").Str("eventPattern")), &gd))
	assert.Equal(t, map[string]any{"source": []any{"aws.guardduty"}, "detail-type": []any{"GuardDuty Finding"}}, gd, "every GuardDuty finding")
	for _, r := range []string{"securityhub-medium-plus", "guardduty-all", "config-noncompliant", "ecs-deployment-failed", "ecs-service-impaired", "ecs-task-failed-to-start"} {
		assert.Contains(t, mustNamed(t, p, "detection-"+r+"-target").Str("arn"), ":docustack-prod-alerts")
	}
	// A failed or impaired ECS deployment alerts even when no task runs to
	// emit a metric (the circuit breaker's rollback included).
	var failed, impaired map[string]any
	require.NoError(t, json.Unmarshal([]byte(mustNamed(t, p, "detection-ecs-deployment-failed").Str("eventPattern")), &failed))
	assert.Equal(t, map[string]any{"source": []any{"aws.ecs"}, "detail-type": []any{"ECS Deployment State Change"},
		"detail": map[string]any{"eventName": []any{"SERVICE_DEPLOYMENT_FAILED"}}}, failed)
	require.NoError(t, json.Unmarshal([]byte(mustNamed(t, p, "detection-ecs-service-impaired").Str("eventPattern")), &impaired))
	assert.Equal(t, []any{"WARN", "ERROR"}, impaired["detail"].(map[string]any)["eventType"])
	var notStarted map[string]any
	require.NoError(t, json.Unmarshal([]byte(mustNamed(t, p, "detection-ecs-task-failed-to-start").Str("eventPattern")), &notStarted))
	assert.Equal(t, map[string]any{"lastStatus": []any{"STOPPED"}, "stopCode": []any{"TaskFailedToStart"}}, notStarted["detail"],
		"each task that never started; not the normal stops (scale-in, Spot, the scheduler)")
}

func TestDetectionAdopts(t *testing.T) {
	p := synthesize(t, func(ctx *pulumi.Context) error {
		_, err := components.NewDetection(ctx, "d", components.DetectionArgs{Prefix: "docustack-test", AdoptGuardDuty: true, AdoptSecurityHub: true,
			KMSKeyArn: pulumi.String("k"), AccountID: "123456789012", Region: "us-east-1", Tags: stackTags})
		return err
	})
	assert.Empty(t, p.ByType("aws:guardduty/detector:Detector"), "a landing zone's detector is adopted, not duplicated")
	assert.Empty(t, p.ByType("aws:securityhub/account:Account"))
	assert.Len(t, p.ByType("aws:cloudwatch/eventRule:EventRule"), len(components.AlertRules), "alerts still route")
	assertErrors(t, components.DetectionArgs{Prefix: "docustack-test", AlertEmails: []string{"not-an-email"}, AccountID: "123456789012", Tags: stackTags}.Validate(),
		[]string{`alertEmails[0]: got "not-an-email", want an e-mail address`})
}

func TestBackup(t *testing.T) {
	cases := []struct {
		stack      string
		retention  int
		compliance bool
	}{{"dev", 7, false}, {"prod", 35, true}}
	for _, c := range cases {
		t.Run(c.stack, func(t *testing.T) {
			p := stackPlan(t, c.stack)
			vault := mustNamed(t, p, "backup-vault")
			assert.Equal(t, keyArn(p, "data"), vault.Str("kmsKeyArn"))
			assert.Equal(t, c.stack == "prod", vault.Protect)
			lock := mustNamed(t, p, "backup-vault-lock")
			if c.compliance {
				assert.Equal(t, 3, lock.Int("changeableForDays"), "prod: compliance mode after a 3-day grace period")
			} else {
				assert.Nil(t, lock.Get("changeableForDays"), "governance mode")
			}
			// Both vaults: recovery points kept at least 7 days (seed: RDS
			// snapshots 7 days) and at most a year, by the lock.
			for _, name := range []string{"backup-vault-lock", "backup-dr-vault-lock"} {
				l := mustNamed(t, p, name)
				assert.Equal(t, 7, l.Int("minRetentionDays"), name)
				assert.Equal(t, 365, l.Int("maxRetentionDays"), name)
			}

			dr := mustNamed(t, p, "backup-dr-vault")
			assert.Equal(t, "urn:pulumi:"+c.stack+"::docustack::pulumi:providers:aws::aws-dr", dr.Provider)
			assert.Equal(t, mustNamed(t, p, "keys-dr-data").Outputs["arn"], dr.Str("kmsKeyArn"))

			rule := mustNamed(t, p, "backup-plan").Get("rules.0").(map[string]any)
			assert.Equal(t, "cron(0 * ? * * *)", rule["schedule"], "hourly: RPO 1 hour")
			assert.Equal(t, true, rule["enableContinuousBackup"], "point-in-time recovery")
			assert.Equal(t, float64(c.retention), rule["lifecycle"].(map[string]any)["deleteAfter"])
			cp := rule["copyActions"].([]any)[0].(map[string]any)
			assert.Contains(t, cp["destinationVaultArn"], ":us-west-2:", "copied to the DR region")
			assert.Equal(t, float64(c.retention), cp["lifecycle"].(map[string]any)["deleteAfter"])
			sel := mustNamed(t, p, "backup-selection")
			assert.Len(t, strs(sel.Get("resources")), 1)
			assert.Equal(t, ":db:docustack-"+c.stack, strs(sel.Get("resources"))[0][strings.Index(strs(sel.Get("resources"))[0], ":db:"):], "the database instance by ARN")
		})
	}
}

// Seed, Audit Logging: every account's trail, flow logs, ALB logs, S3 access
// logs and AWS Config go to the Log Archive account. A workload stack keeps
// no archive of its own; its S3 access logs land in a local relay bucket
// (S3 logs only within an account) that replicates into the archive's
// access-logs bucket, owned there by the archive account.
func TestWorkloadUsesTheOrganizationArchive(t *testing.T) {
	for _, stack := range []string{"dev", "staging", "prod"} {
		t.Run(stack, func(t *testing.T) {
			plan := stackPlan(t, stack)
			org := stackPlan(t, "org")
			_, local := plan.Named("log-archive-bucket")
			assert.False(t, local, "no account-local archive when the organization's is configured")
			archive, access, config := org.Outputs["logArchiveBucket"].(string), org.Outputs["accessLogsBucket"].(string), org.Outputs["configBucket"].(string)
			assert.Equal(t, "arn:aws:s3:::"+archive+"/vpc-flow-logs/", mustNamed(t, plan, "network-flow-log").Str("logDestination"))
			assert.Equal(t, archive, mustNamed(t, plan, "trail-trail").Str("s3BucketName"))
			assert.Equal(t, access, mustNamed(t, plan, "ingress-alb").Str("accessLogs.bucket"))
			assert.Equal(t, config, mustNamed(t, plan, "config-delivery-channel").Str("s3BucketName"))
			assert.Equal(t, mustNamed(t, org, "log-archive-keys-logs").Outputs["arn"], mustNamed(t, plan, "config-delivery-channel").Str("s3KmsKeyArn"))

			relay := mustNamed(t, plan, "access-log-relay-bucket")
			assert.Equal(t, relay.ID, mustNamed(t, plan, "documents-access-logging").Str("targetBucket"), "S3 access logs stay in the account")
			assert.Contains(t, mustNamed(t, plan, "documents-access-logging").Dependencies, mustNamed(t, plan, "access-log-relay-policy").URN,
				"logging starts once the target's policy admits S3's log delivery")
			rule := mustNamed(t, plan, "access-log-relay-replication").Get("rules.0").(map[string]any)
			dest := rule["destination"].(map[string]any)
			assert.Equal(t, "arn:aws:s3:::"+access, dest["bucket"])
			assert.Equal(t, "555555555555", dest["account"])
			assert.Equal(t, "Destination", dest["accessControlTranslation"].(map[string]any)["owner"], "the archive account owns the replicas")
			assert.Equal(t, "s3-access/", rule["filter"].(map[string]any)["prefix"])
		})
	}
}

// Audit log groups survive a destroy in prod like every stateful resource;
// every log RDS exports goes to a group of ours (an export without one makes
// RDS create it, unencrypted and kept forever); the ALB is created after the
// access-log bucket's policy, which ELB checks.
func TestAuditLogGroupsAndOrdering(t *testing.T) {
	for _, c := range []struct {
		stack   string
		protect bool
	}{{"dev", false}, {"prod", true}} {
		p := stackPlan(t, c.stack)
		for _, name := range []string{"trail-log", "cluster-exec-log", "database-postgresql-log", "database-upgrade-log"} {
			lg := mustNamed(t, p, name)
			assert.Equal(t, c.protect, lg.Protect, "%s %s protected", c.stack, name)
			assert.Equal(t, c.protect, lg.RetainOnDelete, "%s %s retained", c.stack, name)
		}
		db := mustNamed(t, p, "database-instance")
		assert.Equal(t, []string{"postgresql", "upgrade"}, strs(db.Get("enabledCloudwatchLogsExports")))
		assert.Equal(t, "/aws/rds/instance/docustack-"+c.stack+"/upgrade", mustNamed(t, p, "database-upgrade-log").Str("name"))
		assert.Contains(t, db.Dependencies, mustNamed(t, p, "database-upgrade-log").URN, "the group exists before RDS exports to it")
		sp := standalonePlan(t, c.stack)
		assert.Contains(t, mustNamed(t, sp, "ingress-alb").Dependencies, mustNamed(t, sp, "log-archive-access-policy").URN)
	}
}

// The workload stack files name the archive the org stack creates: its
// account, its three buckets and its key, as the org stack's plan has them.
func TestStackFilesNameTheOrgArchive(t *testing.T) {
	org := stackPlan(t, "org")
	proj, err := synth.LoadProject("..")
	require.NoError(t, err)
	orgCfg, err := synth.LoadStackConfig("..", "org", proj)
	require.NoError(t, err)
	var orgObj struct {
		LogArchiveAccountID string `json:"logArchiveAccountId"`
	}
	require.NoError(t, json.Unmarshal([]byte(orgCfg["docustack:org"]), &orgObj))
	want := map[string]any{
		"accountId": orgObj.LogArchiveAccountID, "bucketName": org.Outputs["logArchiveBucket"], "accessLogsBucketName": org.Outputs["accessLogsBucket"],
		"configBucketName": org.Outputs["configBucket"], "wafLogsBucketName": org.Outputs["wafLogsBucket"], "kmsKeyArn": org.Outputs["logArchiveKmsKeyArn"],
	}
	for _, stack := range []string{"dev", "staging", "prod"} {
		cfg, err := synth.LoadStackConfig("..", stack, proj)
		require.NoError(t, err)
		var got map[string]any
		require.NoError(t, json.Unmarshal([]byte(cfg["docustack:logArchive"]), &got))
		assert.Equal(t, want, got, stack)
	}
}
