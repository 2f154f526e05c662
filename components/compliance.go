package components

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cfg"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ebs"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/s3"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ssm"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// AWS Config constants.
const (
	// ConformancePackBodyLimit is AWS's limit on TemplateBody; larger packs go through TemplateS3Uri.
	ConformancePackBodyLimit = 51200
	// ConformancePackPrefix holds templates too large for TemplateBody.
	ConformancePackPrefix = "conformance-packs"
	configManagedPolicy   = "arn:aws:iam::aws:policy/service-role/AWS_ConfigRole"
	// ConfigRecorderRolePattern matches every stack's recorder role
	// ("docustack-<env>-config-recorder"); the Config bucket admits it.
	ConfigRecorderRolePattern = "docustack-*-config-recorder"
	// accessKeyMaxAgeDays is the seed's key rotation period.
	accessKeyMaxAgeDays = 90
)

// Recording frequencies of the Config recorder.
const (
	RecordContinuous = "CONTINUOUS"
	RecordDaily      = "DAILY"
)

// ConfigRule is one AWS managed Config rule of the seed's table.
type ConfigRule struct {
	// Name is the seed's rule name ("encrypted-volumes").
	Name string
	// Identifier is the AWS managed rule ("ENCRYPTED_VOLUMES").
	Identifier string
	// Parameters are the rule's input parameters.
	Parameters map[string]string
	// Remediation is set for the rules the seed marks Auto-Remediation "Yes".
	Remediation *Remediation
}

// Remediation is an automatic SSM Automation remediation.
type Remediation struct {
	// Document is the AWS-owned SSM Automation runbook.
	Document string
	// ResourceType the rule reports on ("" for account-level rules).
	ResourceType string
	// ResourceParameter receives the non-compliant resource's ID ("" for none).
	ResourceParameter string
	// Static parameters of the runbook.
	Static map[string]string
	// KeyParameter receives the delivery KMS key's ARN ("" for none).
	KeyParameter string
}

// trailRemediation is the custom Automation runbook the cloudtrail-enabled
// remediation runs. AWS-EnableCloudTrail takes only TrailName and
// S3BucketName, so the trail it creates has no key prefix, no KMS key, one
// Region and no log-file validation: the archive's bucket policy admits
// CloudTrail only under CloudTrailPrefix and its key policy only with the
// trail's encryption context, so that trail could never deliver. This one
// creates the trail the seed asks for (multi-Region, validated, SSE-KMS,
// under the prefix) and starts it, with the same two API calls.
// https://docs.aws.amazon.com/systems-manager-automation-runbooks/latest/userguide/automation-aws-enablecloudtrail.html
// https://docs.aws.amazon.com/systems-manager/latest/userguide/automation-action-executeAwsApi.html
// https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_CreateTrail.html
func trailRemediation() string {
	param := map[string]any{"type": "String"}
	return mustJSON(map[string]any{
		"schemaVersion": "0.3",
		"description":   "DocuStack: create and start a multi-Region, validated, KMS-encrypted trail under the Log Archive's CloudTrail prefix",
		"assumeRole":    "{{ AutomationAssumeRole }}",
		"parameters": map[string]any{
			"AutomationAssumeRole": param, "TrailName": param, "S3BucketName": param, "S3KeyPrefix": param, "KmsKeyId": param,
		},
		"mainSteps": []any{
			map[string]any{"name": "CreateTrail", "action": "aws:executeAwsApi", "inputs": map[string]any{
				"Service": "cloudtrail", "Api": "CreateTrail", "Name": "{{ TrailName }}", "S3BucketName": "{{ S3BucketName }}",
				"S3KeyPrefix": "{{ S3KeyPrefix }}", "KmsKeyId": "{{ KmsKeyId }}", "IsMultiRegionTrail": true,
				"EnableLogFileValidation": true, "IncludeGlobalServiceEvents": true}},
			map[string]any{"name": "StartLogging", "action": "aws:executeAwsApi", "inputs": map[string]any{
				"Service": "cloudtrail", "Api": "StartLogging", "Name": "{{ TrailName }}"}},
		},
	})
}

// passwordPolicy is the IAM password policy the seed's iam-password-policy
// rule checks and its remediation sets (HIPAA §164.308(a)(5)(ii)(D)).
var passwordPolicy = map[string]string{
	"MinimumPasswordLength": "14", "RequireUppercaseCharacters": "true", "RequireLowercaseCharacters": "true",
	"RequireSymbols": "true", "RequireNumbers": "true", "PasswordReusePrevention": "24", "MaxPasswordAge": "90",
}

// SeedConfigRules returns the seed's "AWS Config Rules" table: nine managed
// rules, four of them (Auto-Remediation "Yes") with automatic remediation.
// flowLogDestination and trailBucket parameterize the remediations.
func SeedConfigRules(flowLogDestination, trailBucket, trailDocument string) []ConfigRule {
	ruleParams := map[string]string{}
	for k, v := range passwordPolicy {
		ruleParams[k] = v
	}
	remediationParams := map[string]string{}
	for k, v := range passwordPolicy {
		remediationParams[k] = v
	}
	remediationParams["HardExpiry"] = "false"
	remediationParams["AllowUsersToChangePassword"] = "true"
	return []ConfigRule{
		{Name: "encrypted-volumes", Identifier: "ENCRYPTED_VOLUMES"},
		{Name: "s3-bucket-server-side-encryption-enabled", Identifier: "S3_BUCKET_SERVER_SIDE_ENCRYPTION_ENABLED",
			Remediation: &Remediation{Document: "AWS-EnableS3BucketEncryption", ResourceType: "AWS::S3::Bucket", ResourceParameter: "BucketName",
				Static: map[string]string{"SSEAlgorithm": "aws:kms"}}},
		{Name: "rds-storage-encrypted", Identifier: "RDS_STORAGE_ENCRYPTED"},
		{Name: "vpc-flow-logs-enabled", Identifier: "VPC_FLOW_LOGS_ENABLED", Parameters: map[string]string{"trafficType": "ALL"},
			Remediation: &Remediation{Document: "AWSSupport-EnableVPCFlowLogs", ResourceType: "AWS::EC2::VPC", ResourceParameter: "ResourceIds",
				Static: map[string]string{"TrafficType": "ALL", "LogDestinationType": "s3", "LogDestinationARN": flowLogDestination}}},
		{Name: "access-keys-rotated", Identifier: "ACCESS_KEYS_ROTATED", Parameters: map[string]string{"maxAccessKeyAge": fmt.Sprint(accessKeyMaxAgeDays)}},
		{Name: "cloudtrail-enabled", Identifier: "CLOUD_TRAIL_ENABLED",
			Remediation: &Remediation{Document: trailDocument, KeyParameter: "KmsKeyId",
				Static: map[string]string{"TrailName": "docustack-remediated", "S3BucketName": trailBucket, "S3KeyPrefix": CloudTrailPrefix}}},
		{Name: "iam-password-policy", Identifier: "IAM_PASSWORD_POLICY", Parameters: ruleParams,
			Remediation: &Remediation{Document: "AWSConfigRemediation-SetIAMPasswordPolicy", Static: remediationParams}},
		{Name: "mfa-enabled-for-iam-console-access", Identifier: "MFA_ENABLED_FOR_IAM_CONSOLE_ACCESS"},
		{Name: "root-account-mfa-enabled", Identifier: "ROOT_ACCOUNT_MFA_ENABLED"},
	}
}

// HIPAAPackRules are the AWS managed rules of DocuStack's HIPAA Security
// conformance pack: the controls of AWS's "Operational Best Practices for
// HIPAA Security" that apply to the resources this platform runs.
var HIPAAPackRules = []string{
	"ACCESS_KEYS_ROTATED", "ALB_HTTP_DROP_INVALID_HEADER_ENABLED", "ALB_HTTP_TO_HTTPS_REDIRECTION_CHECK", "ALB_WAF_ENABLED",
	"CLOUD_TRAIL_CLOUD_WATCH_LOGS_ENABLED", "CLOUD_TRAIL_ENABLED", "CLOUD_TRAIL_ENCRYPTION_ENABLED", "CLOUD_TRAIL_LOG_FILE_VALIDATION_ENABLED",
	"CLOUDWATCH_LOG_GROUP_ENCRYPTED", "CW_LOGGROUP_RETENTION_PERIOD_CHECK", "DB_INSTANCE_BACKUP_ENABLED", "EC2_EBS_ENCRYPTION_BY_DEFAULT",
	"EC2_IMDSV2_CHECK", "EC2_INSTANCE_NO_PUBLIC_IP", "ECR_PRIVATE_IMAGE_SCANNING_ENABLED", "ELB_DELETION_PROTECTION_ENABLED",
	"ELB_LOGGING_ENABLED", "ENCRYPTED_VOLUMES", "GUARDDUTY_ENABLED_CENTRALIZED", "IAM_PASSWORD_POLICY",
	"IAM_POLICY_NO_STATEMENTS_WITH_ADMIN_ACCESS", "IAM_ROOT_ACCESS_KEY_CHECK", "IAM_USER_MFA_ENABLED", "KMS_CMK_NOT_SCHEDULED_FOR_DELETION",
	"MFA_ENABLED_FOR_IAM_CONSOLE_ACCESS", "MULTI_REGION_CLOUD_TRAIL_ENABLED", "RDS_AUTOMATIC_MINOR_VERSION_UPGRADE_ENABLED",
	"RDS_INSTANCE_DELETION_PROTECTION_ENABLED", "RDS_INSTANCE_PUBLIC_ACCESS_CHECK", "RDS_IN_BACKUP_PLAN", "RDS_LOGGING_ENABLED",
	"RDS_MULTI_AZ_SUPPORT", "RDS_SNAPSHOTS_PUBLIC_PROHIBITED", "RDS_STORAGE_ENCRYPTED", "ROOT_ACCOUNT_HARDWARE_MFA_ENABLED",
	"ROOT_ACCOUNT_MFA_ENABLED", "S3_ACCOUNT_LEVEL_PUBLIC_ACCESS_BLOCKS_PERIODIC", "S3_BUCKET_LOGGING_ENABLED",
	"S3_BUCKET_PUBLIC_READ_PROHIBITED", "S3_BUCKET_PUBLIC_WRITE_PROHIBITED", "S3_BUCKET_REPLICATION_ENABLED",
	"S3_BUCKET_SERVER_SIDE_ENCRYPTION_ENABLED", "S3_BUCKET_SSL_REQUESTS_ONLY", "S3_BUCKET_VERSIONING_ENABLED", "S3_DEFAULT_ENCRYPTION_KMS",
	"SECURITYHUB_ENABLED", "SUBNET_AUTO_ASSIGN_PUBLIC_IP_DISABLED", "VPC_DEFAULT_SECURITY_GROUP_CLOSED", "VPC_FLOW_LOGS_ENABLED",
	"VPC_SG_OPEN_ONLY_TO_AUTHORIZED_PORTS",
}

// HIPAAPackParameters are the pack's input parameters where a rule's default
// is not the seed's value. Without them AWS evaluates each rule with its
// documented default, e.g. CW_LOGGROUP_RETENTION_PERIOD_CHECK with
// MinRetentionTime 365, which every log group at the seed's 90 days fails
// (https://docs.aws.amazon.com/config/latest/developerguide/cw-loggroup-retention-period-check.html),
// and VPC_SG_OPEN_ONLY_TO_AUTHORIZED_PORTS with no authorized port, which
// the ALB's 443 fails
// (https://docs.aws.amazon.com/config/latest/developerguide/vpc-sg-open-only-to-authorized-ports.html).
func HIPAAPackParameters() map[string]map[string]string {
	return map[string]map[string]string{
		"ACCESS_KEYS_ROTATED":                  {"maxAccessKeyAge": fmt.Sprint(accessKeyMaxAgeDays)},
		"CW_LOGGROUP_RETENTION_PERIOD_CHECK":   {"MinRetentionTime": fmt.Sprint(DefaultServiceLogDays)},
		"IAM_PASSWORD_POLICY":                  copyMap(passwordPolicy),
		"VPC_FLOW_LOGS_ENABLED":                {"trafficType": "ALL"},
		"VPC_SG_OPEN_ONLY_TO_AUTHORIZED_PORTS": {"authorizedTcpPorts": "443"},
	}
}

func copyMap(m map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range m {
		out[k] = v
	}
	return out
}

// ConformancePackTemplate renders the pack as a CloudFormation template,
// each rule with its input parameters (string values, as AWS Config takes them).
func ConformancePackTemplate(rules []string, params map[string]map[string]string) string {
	var b strings.Builder
	b.WriteString("# DocuStack HIPAA Security conformance pack (generated by components.ConformancePackTemplate).\nResources:\n")
	sorted := append([]string(nil), rules...)
	sort.Strings(sorted)
	for _, id := range sorted {
		logical := ""
		for _, word := range strings.Split(strings.ToLower(id), "_") {
			logical += strings.ToUpper(word[:1]) + word[1:]
		}
		fmt.Fprintf(&b, "  %s:\n    Type: AWS::Config::ConfigRule\n    Properties:\n      ConfigRuleName: hipaa-%s\n      Source:\n        Owner: AWS\n        SourceIdentifier: %s\n",
			logical, strings.ToLower(strings.ReplaceAll(id, "_", "-")), id)
		if p := params[id]; len(p) > 0 {
			b.WriteString("      InputParameters:\n")
			for _, k := range sortedKeys(p) {
				fmt.Fprintf(&b, "        %s: %q\n", k, p[k])
			}
		}
	}
	return b.String()
}

// ComplianceArgs configures AWS Config in a workload account.
type ComplianceArgs struct {
	// Prefix names the recorder, rules and pack. Required.
	Prefix string
	// AdoptRecorder leaves the recorder and delivery channel to a landing
	// zone that already created them (a second one would fail). Default: false.
	AdoptRecorder bool
	// RecordingFrequency is CONTINUOUS or DAILY. Default: CONTINUOUS.
	RecordingFrequency string
	// Region; global resources (IAM) are recorded in us-east-1 only. Required.
	Region string
	// AccountID scopes the remediation role. Required.
	AccountID string
	// DeliveryBucket receives snapshots under "config/", encrypted with
	// DeliveryKMSKeyArn. It must not have Object Lock (AWS Config does not
	// support it). Required.
	DeliveryBucket    string
	DeliveryKMSKeyArn pulumi.StringInput
	// TrailBucket is where the CloudTrail remediation points a trail. Default: DeliveryBucket.
	TrailBucket string
	// FlowLogDestination is what the flow-log remediation enables. Required.
	FlowLogDestination string
	// After are what the delivery channel and pack template wait for (the
	// archive's bucket policy, which AWS Config checks).
	After []pulumi.Resource
	// TemplateBodyLimit is where the pack switches to TemplateS3Uri. Default: 51200 (AWS's limit).
	TemplateBodyLimit int
	// Tags are the stack tags. Required: every key of StackTagKeys.
	Tags Tags
}

func (a *ComplianceArgs) setDefaults() {
	if a.RecordingFrequency == "" {
		a.RecordingFrequency = RecordContinuous
	}
	if a.TemplateBodyLimit == 0 {
		a.TemplateBodyLimit = ConformancePackBodyLimit
	}
}

// Validate reports every invalid field at once.
func (a ComplianceArgs) Validate() error {
	a.setDefaults()
	var errs []error
	if !dbIdentifierPattern.MatchString(a.Prefix) {
		errs = append(errs, fieldErr("prefix", a.Prefix, "[a-z0-9-]"))
	}
	if a.RecordingFrequency != RecordContinuous && a.RecordingFrequency != RecordDaily {
		errs = append(errs, fieldErr("recordingFrequency", a.RecordingFrequency, "%s or %s", RecordContinuous, RecordDaily))
	}
	if !accountIDPattern.MatchString(a.AccountID) {
		errs = append(errs, fieldErr("accountId", a.AccountID, "a 12-digit AWS account ID"))
	}
	if !bucketNamePattern.MatchString(a.DeliveryBucket) {
		errs = append(errs, fieldErr("deliveryBucket", a.DeliveryBucket, "the log archive bucket"))
	}
	if a.TemplateBodyLimit < 1 || a.TemplateBodyLimit > ConformancePackBodyLimit {
		errs = append(errs, fieldErr("templateBodyLimit", a.TemplateBodyLimit, "1..%d bytes", ConformancePackBodyLimit))
	}
	errs = append(errs, validateStackTags("tags", a.Tags))
	return errors.Join(errs...)
}

// Compliance is AWS Config: recorder, the seed's rules and remediations, and
// the HIPAA conformance pack.
type Compliance struct {
	pulumi.ResourceState

	// Rules by seed name.
	Rules map[string]*cfg.Rule
}

// NewCompliance creates the recorder (every supported resource; global
// resources in us-east-1 only) and delivery channel to the log archive unless
// adopted, the seed's nine managed rules, automatic SSM remediation with a
// least-privilege role for the four the seed marks, and the conformance pack
// (through S3 when its template exceeds TemplateBody's limit).
func NewCompliance(ctx *pulumi.Context, name string, args ComplianceArgs, opts ...pulumi.ResourceOption) (*Compliance, error) {
	args.setDefaults()
	err := args.Validate()
	if args.DeliveryKMSKeyArn == nil {
		err = errors.Join(err, fieldErr("deliveryKmsKeyArn", "", "the logs CMK"))
	}
	if err != nil {
		return nil, err
	}
	c := &Compliance{Rules: map[string]*cfg.Rule{}}
	if err := ctx.RegisterComponentResource(TypeCompliance, name, c, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(c)
	tags := func(child string) pulumi.StringMap { return MergeTags(args.Tags, child, Tags{TagComponent: name}) }

	var ruleDeps []pulumi.Resource
	if !args.AdoptRecorder {
		roleName := childName(name, "recorder-role")
		role, err := iam.NewRole(ctx, roleName, &iam.RoleArgs{
			Name:        pulumi.String(args.Prefix + "-config-recorder"),
			Description: pulumi.String("AWS Config recorder"),
			// A custom recorder role is what Config delivers with: AWS_ConfigRole
			// grants no s3:PutObject and no KMS, so the role carries them for its
			// delivery channel only.
			// https://docs.aws.amazon.com/config/latest/developerguide/iamrole-permissions.html
			InlinePolicies: iam.RoleInlinePolicyArray{iam.RoleInlinePolicyArgs{
				Name: pulumi.String("delivery"),
				Policy: pulumi.All(args.DeliveryKMSKeyArn).ApplyT(func(v []any) string {
					key, _ := v[0].(string)
					return ConfigDeliveryPolicy(args.DeliveryBucket, args.AccountID, key)
				}).(pulumi.StringOutput),
			}},
			AssumeRolePolicy: pulumi.String(PolicyJSON(PolicyStatement{
				Effect: "Allow", Principal: map[string]any{"Service": servicePrincipal("config")}, Action: "sts:AssumeRole",
				Condition: map[string]map[string]any{"StringEquals": {"aws:SourceAccount": args.AccountID}},
			})),
			Tags: tags(roleName),
		}, parent)
		if err != nil {
			return nil, err
		}
		if _, err := iam.NewRolePolicyAttachment(ctx, childName(name, "recorder-policy"), &iam.RolePolicyAttachmentArgs{
			Role: role.Name, PolicyArn: pulumi.String(configManagedPolicy),
		}, parent); err != nil {
			return nil, err
		}
		recorder, err := cfg.NewRecorder(ctx, childName(name, "recorder"), &cfg.RecorderArgs{
			Name:    pulumi.String(args.Prefix),
			RoleArn: role.Arn,
			RecordingGroup: &cfg.RecorderRecordingGroupArgs{
				AllSupported: pulumi.Bool(true),
				// IAM and other global resources once, in us-east-1, not in every region.
				IncludeGlobalResourceTypes: pulumi.Bool(args.Region == "us-east-1"),
			},
			RecordingMode: &cfg.RecorderRecordingModeArgs{RecordingFrequency: pulumi.String(args.RecordingFrequency)},
		}, parent)
		if err != nil {
			return nil, err
		}
		channel, err := cfg.NewDeliveryChannel(ctx, childName(name, "delivery-channel"), &cfg.DeliveryChannelArgs{
			Name:         pulumi.String(args.Prefix),
			S3BucketName: pulumi.String(args.DeliveryBucket),
			S3KeyPrefix:  pulumi.String(ConfigPrefix),
			S3KmsKeyArn:  args.DeliveryKMSKeyArn,
			SnapshotDeliveryProperties: &cfg.DeliveryChannelSnapshotDeliveryPropertiesArgs{
				DeliveryFrequency: pulumi.String("TwentyFour_Hours"),
			},
		}, parent, pulumi.DependsOn(append([]pulumi.Resource{recorder}, args.After...)))
		if err != nil {
			return nil, err
		}
		status, err := cfg.NewRecorderStatus(ctx, childName(name, "recorder-status"), &cfg.RecorderStatusArgs{
			Name: recorder.Name, IsEnabled: pulumi.Bool(true),
		}, parent, pulumi.DependsOn([]pulumi.Resource{channel}))
		if err != nil {
			return nil, err
		}
		ruleDeps = []pulumi.Resource{status}
	}

	remRoleName := childName(name, "remediation-role")
	remRole, err := iam.NewRole(ctx, remRoleName, &iam.RoleArgs{
		Description: pulumi.String("SSM Automation for the seed's automatic Config remediations"),
		AssumeRolePolicy: pulumi.String(PolicyJSON(PolicyStatement{
			Effect: "Allow", Principal: map[string]any{"Service": servicePrincipal("ssm")}, Action: "sts:AssumeRole",
			Condition: map[string]map[string]any{"StringEquals": {"aws:SourceAccount": args.AccountID}},
		})),
		InlinePolicies: iam.RoleInlinePolicyArray{iam.RoleInlinePolicyArgs{
			Name: pulumi.String("remediation"), Policy: pulumi.String(RemediationPolicy(args.AccountID, args.Region)),
		}},
		Tags: tags(remRoleName),
	}, parent)
	if err != nil {
		return nil, err
	}

	trailBucket := args.TrailBucket
	if trailBucket == "" {
		trailBucket = args.DeliveryBucket
	}
	trailDocName := childName(name, "enable-cloudtrail")
	trailDoc, err := ssm.NewDocument(ctx, trailDocName, &ssm.DocumentArgs{
		Name: pulumi.Sprintf("%s-EnableCloudTrail", args.Prefix), DocumentType: pulumi.String("Automation"),
		DocumentFormat: pulumi.String("JSON"), Content: pulumi.String(trailRemediation()), Tags: tags(trailDocName),
	}, parent)
	if err != nil {
		return nil, err
	}
	for _, rule := range SeedConfigRules(args.FlowLogDestination, trailBucket, fmt.Sprintf("%s-EnableCloudTrail", args.Prefix)) {
		ruleArgs := &cfg.RuleArgs{
			Name:        pulumi.String(rule.Name),
			Description: pulumi.Sprintf("DocuStack seed control %s", rule.Name),
			Source:      &cfg.RuleSourceArgs{Owner: pulumi.String("AWS"), SourceIdentifier: pulumi.String(rule.Identifier)},
			Tags:        tags(childName(name, rule.Name)),
		}
		if len(rule.Parameters) > 0 {
			ruleArgs.InputParameters = pulumi.String(mustJSON(rule.Parameters))
		}
		r, err := cfg.NewRule(ctx, childName(name, rule.Name), ruleArgs, parent, pulumi.DependsOn(ruleDeps))
		if err != nil {
			return nil, err
		}
		c.Rules[rule.Name] = r
		if rule.Remediation == nil {
			continue
		}
		params := cfg.RemediationConfigurationParameterArray{
			cfg.RemediationConfigurationParameterArgs{Name: pulumi.String("AutomationAssumeRole"), StaticValue: remRole.Arn},
		}
		if rule.Remediation.ResourceParameter != "" {
			params = append(params, cfg.RemediationConfigurationParameterArgs{
				Name: pulumi.String(rule.Remediation.ResourceParameter), ResourceValue: pulumi.String("RESOURCE_ID"),
			})
		}
		for k, v := range InOrder(rule.Remediation.Static) {
			params = append(params, cfg.RemediationConfigurationParameterArgs{Name: pulumi.String(k), StaticValue: pulumi.String(v)})
		}
		if rule.Remediation.KeyParameter != "" {
			params = append(params, cfg.RemediationConfigurationParameterArgs{Name: pulumi.String(rule.Remediation.KeyParameter), StaticValue: args.DeliveryKMSKeyArn})
		}
		remArgs := &cfg.RemediationConfigurationArgs{
			ConfigRuleName:           r.Name,
			TargetType:               pulumi.String("SSM_DOCUMENT"),
			TargetId:                 pulumi.String(rule.Remediation.Document),
			Automatic:                pulumi.Bool(true),
			MaximumAutomaticAttempts: pulumi.Int(3),
			RetryAttemptSeconds:      pulumi.Int(60),
			Parameters:               params,
		}
		if rule.Remediation.ResourceType != "" {
			remArgs.ResourceType = pulumi.String(rule.Remediation.ResourceType)
		}
		if _, err := cfg.NewRemediationConfiguration(ctx, childName(name, rule.Name+"-remediation"), remArgs, parent, pulumi.DependsOn([]pulumi.Resource{trailDoc})); err != nil {
			return nil, err
		}
	}

	template := ConformancePackTemplate(HIPAAPackRules, HIPAAPackParameters())
	packArgs := &cfg.ConformancePackArgs{Name: pulumi.Sprintf("%s-hipaa-security", args.Prefix)}
	if len(template) <= args.TemplateBodyLimit {
		packArgs.TemplateBody = pulumi.String(template)
	} else {
		key := fmt.Sprintf("%s/%s-hipaa-security.yaml", ConformancePackPrefix, args.Prefix)
		obj, err := s3.NewBucketObjectv2(ctx, childName(name, "pack-template"), &s3.BucketObjectv2Args{
			Bucket: pulumi.String(args.DeliveryBucket), Key: pulumi.String(key), Content: pulumi.String(template),
			ContentType: pulumi.String("application/x-yaml"), ServerSideEncryption: pulumi.String("aws:kms"), KmsKeyId: args.DeliveryKMSKeyArn,
			Tags: tags(childName(name, "pack-template")),
		}, parent, pulumi.DependsOn(args.After))
		if err != nil {
			return nil, err
		}
		packArgs.TemplateS3Uri = pulumi.Sprintf("s3://%s/%s", obj.Bucket, obj.Key)
	}
	if _, err := cfg.NewConformancePack(ctx, childName(name, "hipaa-pack"), packArgs, parent, pulumi.DependsOn(ruleDeps)); err != nil {
		return nil, err
	}
	if err := accountSettings(ctx, name, args.AccountID, tags, parent); err != nil {
		return nil, err
	}
	if err := ctx.RegisterResourceOutputs(c, pulumi.Map{"templateBytes": pulumi.Int(len(template))}); err != nil {
		return nil, err
	}
	return c, nil
}

// accountSettings sets what three deployed rules judge at the account level,
// so their first evaluation passes instead of waiting for a remediation (or
// for none: two have no remediation):
//   - IAM_PASSWORD_POLICY: the seed's password policy, the values the rule asks
//     (https://docs.aws.amazon.com/config/latest/developerguide/iam-password-policy.html);
//   - EC2_EBS_ENCRYPTION_BY_DEFAULT: new EBS volumes encrypted
//     (https://docs.aws.amazon.com/config/latest/developerguide/ec2-ebs-encryption-by-default.html);
//   - S3_ACCOUNT_LEVEL_PUBLIC_ACCESS_BLOCKS_PERIODIC: all four settings on
//     (https://docs.aws.amazon.com/config/latest/developerguide/s3-account-level-public-access-blocks-periodic.html);
//     every bucket of the platform already blocks public access.
//
// and the role Security Hub's CIS control IAM.18 (CIS v1.4.0 1.17) looks
// for: one that manages incidents with AWS Support, through AWS's
// AWSSupportAccess managed policy (support:* and nothing else:
// https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AWSSupportAccess.html).
// It trusts the account, so an administrator's own sts:AssumeRole permission
// decides who opens cases, and only with MFA.
func accountSettings(ctx *pulumi.Context, name, accountID string, tags func(string) pulumi.StringMap, parent pulumi.ResourceOption) error {
	num := func(k string) pulumi.IntPtrInput {
		n, err := strconv.Atoi(passwordPolicy[k])
		if err != nil {
			panic(err)
		}
		return pulumi.Int(n)
	}
	flag := func(k string) pulumi.BoolPtrInput { return pulumi.Bool(passwordPolicy[k] == "true") }
	if _, err := iam.NewAccountPasswordPolicy(ctx, childName(name, "password-policy"), &iam.AccountPasswordPolicyArgs{
		MinimumPasswordLength: num("MinimumPasswordLength"), PasswordReusePrevention: num("PasswordReusePrevention"), MaxPasswordAge: num("MaxPasswordAge"),
		RequireUppercaseCharacters: flag("RequireUppercaseCharacters"), RequireLowercaseCharacters: flag("RequireLowercaseCharacters"),
		RequireSymbols: flag("RequireSymbols"), RequireNumbers: flag("RequireNumbers"),
		AllowUsersToChangePassword: pulumi.Bool(true), HardExpiry: pulumi.Bool(false),
	}, parent); err != nil {
		return err
	}
	if _, err := ebs.NewEncryptionByDefault(ctx, childName(name, "ebs-encryption"), &ebs.EncryptionByDefaultArgs{Enabled: pulumi.Bool(true)}, parent); err != nil {
		return err
	}
	if _, err := s3.NewAccountPublicAccessBlock(ctx, childName(name, "public-access-block"), &s3.AccountPublicAccessBlockArgs{
		BlockPublicAcls: pulumi.Bool(true), BlockPublicPolicy: pulumi.Bool(true), IgnorePublicAcls: pulumi.Bool(true), RestrictPublicBuckets: pulumi.Bool(true),
	}, parent); err != nil {
		return err
	}
	support, err := iam.NewRole(ctx, childName(name, "support-role"), &iam.RoleArgs{
		Description:      pulumi.String("Manages incidents with AWS Support (CIS 1.17)"),
		AssumeRolePolicy: pulumi.String(SupportTrustPolicy(accountID)),
		Tags:             tags(childName(name, "support-role")),
	}, parent)
	if err != nil {
		return err
	}
	_, err = iam.NewRolePolicyAttachment(ctx, childName(name, "support-access"), &iam.RolePolicyAttachmentArgs{
		Role: support.Name, PolicyArn: pulumi.String(SupportAccessPolicyArn),
	}, parent)
	return err
}

// SupportAccessPolicyArn is AWS's managed policy for AWS Support cases.
const SupportAccessPolicyArn = "arn:aws:iam::aws:policy/AWSSupportAccess"

// SupportTrustPolicy lets the account's principals that may assume it (their
// own IAM policy decides) take the support role, signed in with MFA.
func SupportTrustPolicy(accountID string) string {
	return PolicyJSON(PolicyStatement{
		Effect:    "Allow",
		Principal: map[string]any{"AWS": "arn:" + awsPartition + ":iam::" + accountID + ":root"},
		Action:    "sts:AssumeRole",
		Condition: map[string]map[string]any{"Bool": {"aws:MultiFactorAuthPresent": "true"}},
	})
}

// RemediationPolicy allows the four remediation runbooks exactly what they change.
func RemediationPolicy(accountID, region string) string {
	return PolicyJSON(
		PolicyStatement{Sid: "EnableBucketEncryption", Effect: "Allow", Action: []string{"s3:PutEncryptionConfiguration", "s3:GetEncryptionConfiguration"},
			Resource: "arn:aws:s3:::*"},
		// Flow-log creation has no resource-level permission for its delivery.
		PolicyStatement{Sid: "EnableFlowLogs", Effect: "Allow", Action: []string{"ec2:CreateFlowLogs", "ec2:DescribeFlowLogs", "logs:CreateLogDelivery", "logs:DeleteLogDelivery"},
			Resource: "*"},
		PolicyStatement{Sid: "EnableCloudTrail", Effect: "Allow", Action: []string{"cloudtrail:CreateTrail", "cloudtrail:StartLogging", "cloudtrail:GetTrailStatus"},
			Resource: fmt.Sprintf("arn:aws:cloudtrail:%s:%s:trail/*", region, accountID)},
		PolicyStatement{Sid: "SetPasswordPolicy", Effect: "Allow", Action: []string{"iam:UpdateAccountPasswordPolicy", "iam:GetAccountPasswordPolicy"},
			Resource: "*"},
	)
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// ConfigDeliveryPolicy is the recorder role's grant on its delivery channel:
// the bucket's ACL check, objects under <prefix>/AWSLogs/<account>/Config/
// with the bucket owner in full control, and the data key of the bucket's KMS
// key (when one is set).
func ConfigDeliveryPolicy(bucket, account, kmsKeyArn string) string {
	bucketArn := "arn:" + awsPartition + ":s3:::" + bucket
	st := []PolicyStatement{
		{Sid: "BucketCheck", Effect: "Allow", Action: []string{"s3:GetBucketAcl", "s3:ListBucket"}, Resource: bucketArn},
		{Sid: "Deliver", Effect: "Allow", Action: "s3:PutObject", Resource: fmt.Sprintf("%s/%s/AWSLogs/%s/Config/*", bucketArn, ConfigPrefix, account),
			Condition: map[string]map[string]any{"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control"}}},
	}
	if kmsKeyArn != "" {
		st = append(st, PolicyStatement{Sid: "EncryptDeliveries", Effect: "Allow", Action: []string{"kms:GenerateDataKey", "kms:Decrypt"}, Resource: kmsKeyArn})
	}
	return PolicyJSON(st...)
}
