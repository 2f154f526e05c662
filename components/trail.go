package components

import (
	"errors"
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudtrail"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// CISAlarmNamespace holds the CIS metric filters' metrics.
const CISAlarmNamespace = "DocuStack/CIS"

// CISAlarm is a CloudWatch Logs metric filter on the trail's log group with an
// alarm (CIS AWS Foundations Benchmark, monitoring section).
type CISAlarm struct {
	Name, Pattern, Description string
}

// CISAlarms are the filters and alarms on API activity (seed Continuous
// Monitoring: CloudTrail, specific events).
var CISAlarms = []CISAlarm{
	{"root-usage", `{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType != "AwsServiceEvent" }`,
		"The root user was used"},
	{"unauthorized-api-calls", `{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") }`,
		"Unauthorized API calls"},
	{"console-login-without-mfa", `{ ($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes") }`,
		"Console sign-in without MFA"},
	{"iam-policy-changes", `{ ($.eventName = DeleteGroupPolicy) || ($.eventName = DeleteRolePolicy) || ($.eventName = DeleteUserPolicy) || ` +
		`($.eventName = PutGroupPolicy) || ($.eventName = PutRolePolicy) || ($.eventName = PutUserPolicy) || ($.eventName = CreatePolicy) || ` +
		`($.eventName = DeletePolicy) || ($.eventName = CreatePolicyVersion) || ($.eventName = DeletePolicyVersion) || ` +
		`($.eventName = AttachRolePolicy) || ($.eventName = DetachRolePolicy) || ($.eventName = AttachUserPolicy) || ` +
		`($.eventName = DetachUserPolicy) || ($.eventName = AttachGroupPolicy) || ($.eventName = DetachGroupPolicy) }`,
		"IAM policy changes"},
	{"cloudtrail-changes", `{ ($.eventName = CreateTrail) || ($.eventName = UpdateTrail) || ($.eventName = DeleteTrail) || ` +
		`($.eventName = StartLogging) || ($.eventName = StopLogging) }`,
		"CloudTrail configuration changes"},
	{"config-changes", `{ ($.eventSource = config.amazonaws.com) && (($.eventName = StopConfigurationRecorder) || ` +
		`($.eventName = DeleteDeliveryChannel) || ($.eventName = PutDeliveryChannel) || ($.eventName = PutConfigurationRecorder)) }`,
		"AWS Config configuration changes"},
	// The rest of CIS v1.4.0 section 4, in the exact patterns Security Hub's
	// CloudWatch.6-14 look for (Security Hub User Guide, CloudWatch controls):
	// the control fails on any other spelling of the filter.
	{"console-auth-failures", `{($.eventName=ConsoleLogin) && ($.errorMessage="Failed authentication")}`,
		"Console authentication failures"},
	{"kms-key-disable-or-deletion", `{($.eventSource=kms.amazonaws.com) && (($.eventName=DisableKey) || ($.eventName=ScheduleKeyDeletion))}`,
		"Customer managed keys disabled or scheduled for deletion"},
	{"s3-bucket-policy-changes", `{($.eventSource=s3.amazonaws.com) && (($.eventName=PutBucketAcl) || ($.eventName=PutBucketPolicy) || ` +
		`($.eventName=PutBucketCors) || ($.eventName=PutBucketLifecycle) || ($.eventName=PutBucketReplication) || ` +
		`($.eventName=DeleteBucketPolicy) || ($.eventName=DeleteBucketCors) || ($.eventName=DeleteBucketLifecycle) || ` +
		`($.eventName=DeleteBucketReplication))}`,
		"S3 bucket policy changes"},
	{"security-group-changes", `{($.eventName=AuthorizeSecurityGroupIngress) || ($.eventName=AuthorizeSecurityGroupEgress) || ` +
		`($.eventName=RevokeSecurityGroupIngress) || ($.eventName=RevokeSecurityGroupEgress) || ($.eventName=CreateSecurityGroup) || ` +
		`($.eventName=DeleteSecurityGroup)}`,
		"Security group changes"},
	{"nacl-changes", `{($.eventName=CreateNetworkAcl) || ($.eventName=CreateNetworkAclEntry) || ($.eventName=DeleteNetworkAcl) || ` +
		`($.eventName=DeleteNetworkAclEntry) || ($.eventName=ReplaceNetworkAclEntry) || ($.eventName=ReplaceNetworkAclAssociation)}`,
		"Network ACL changes"},
	{"network-gateway-changes", `{($.eventName=CreateCustomerGateway) || ($.eventName=DeleteCustomerGateway) || ` +
		`($.eventName=AttachInternetGateway) || ($.eventName=CreateInternetGateway) || ($.eventName=DeleteInternetGateway) || ` +
		`($.eventName=DetachInternetGateway)}`,
		"Network gateway changes"},
	{"route-table-changes", `{($.eventName=CreateRoute) || ($.eventName=CreateRouteTable) || ($.eventName=ReplaceRoute) || ` +
		`($.eventName=ReplaceRouteTableAssociation) || ($.eventName=DeleteRouteTable) || ($.eventName=DeleteRoute) || ` +
		`($.eventName=DisassociateRouteTable)}`,
		"Route table changes"},
	{"vpc-changes", `{($.eventName=CreateVpc) || ($.eventName=DeleteVpc) || ($.eventName=ModifyVpcAttribute) || ` +
		`($.eventName=AcceptVpcPeeringConnection) || ($.eventName=CreateVpcPeeringConnection) || ` +
		`($.eventName=DeleteVpcPeeringConnection) || ($.eventName=RejectVpcPeeringConnection) || ($.eventName=AttachClassicLinkVpc) || ` +
		`($.eventName=DetachClassicLinkVpc) || ($.eventName=DisableVpcClassicLink) || ($.eventName=EnableVpcClassicLink)}`,
		"VPC changes"},
}

// TrailArgs configures the account's (or the organization's) trail.
type TrailArgs struct {
	// Name of the trail. Required.
	Name string
	// Protect marks the audit log group pulumi.Protect and RetainOnDelete,
	// like every stateful resource in prod. Default: false.
	Protect bool
	// Organization makes it an organization trail (management account only). Default: false.
	Organization bool
	// BucketName of the log archive (CloudTrail writes under "cloudtrail/"). Required.
	BucketName string
	// KMSKeyArn encrypts the log files (logs CMK). Required.
	KMSKeyArn pulumi.StringInput
	// LogsKMSKeyArn encrypts the CloudWatch log group. Required.
	LogsKMSKeyArn pulumi.StringInput
	// DataEventBuckets get S3 object-level (data) events: the documents bucket.
	DataEventBuckets []string
	// LogRetentionDays of the CloudWatch copy. Default: 90 (seed). Range 90..3653.
	LogRetentionDays int
	// AlarmTopicArn receives the CIS alarms. Required.
	AlarmTopicArn pulumi.StringInput
	// After are resources the trail waits for (the archive's bucket policy,
	// which CloudTrail checks when the trail is created).
	After []pulumi.Resource
	// Tags are the stack tags. Required: every key of StackTagKeys.
	Tags Tags
}

// Validate reports every invalid field at once.
func (a TrailArgs) Validate() error {
	var errs []error
	if !dbIdentifierPattern.MatchString(a.Name) {
		errs = append(errs, fieldErr("name", a.Name, "[a-z0-9-]"))
	}
	if !bucketNamePattern.MatchString(a.BucketName) {
		errs = append(errs, fieldErr("bucketName", a.BucketName, "the log archive bucket"))
	}
	for i, b := range a.DataEventBuckets {
		if !bucketNamePattern.MatchString(b) {
			errs = append(errs, fieldErr(fmt.Sprintf("dataEventBuckets[%d]", i), b, "a bucket name"))
		}
	}
	if a.LogRetentionDays != 0 && (a.LogRetentionDays < DefaultServiceLogDays || a.LogRetentionDays > MaxRetentionDays) {
		errs = append(errs, fieldErr("logRetentionDays", a.LogRetentionDays, "%d..%d days", DefaultServiceLogDays, MaxRetentionDays))
	}
	errs = append(errs, validateStackTags("tags", a.Tags))
	return errors.Join(errs...)
}

// Trail is a CloudTrail trail with its CloudWatch copy and CIS alarms.
type Trail struct {
	pulumi.ResourceState

	Trail    *cloudtrail.Trail
	LogGroup *cloudwatch.LogGroup
}

// NewTrail creates a multi-region trail with log file validation, KMS
// encryption and S3 data events for DataEventBuckets, delivered to the log
// archive (7 years) and to a CloudWatch log group (90 days) whose CIS metric
// filters raise alarms on AlarmTopicArn.
func NewTrail(ctx *pulumi.Context, name string, args TrailArgs, opts ...pulumi.ResourceOption) (*Trail, error) {
	if args.LogRetentionDays == 0 {
		args.LogRetentionDays = DefaultServiceLogDays
	}
	err := args.Validate()
	for f, missing := range InOrder(map[string]bool{"kmsKeyArn": args.KMSKeyArn == nil, "logsKmsKeyArn": args.LogsKMSKeyArn == nil, "alarmTopicArn": args.AlarmTopicArn == nil}) {
		if missing {
			err = errors.Join(err, fieldErr(f, "", "a value from another component"))
		}
	}
	if err != nil {
		return nil, err
	}
	t := &Trail{}
	if err := ctx.RegisterComponentResource(TypeTrail, name, t, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(t)
	tags := func(child string) pulumi.StringMap { return MergeTags(args.Tags, child, Tags{TagComponent: name}) }

	lgName := childName(name, "log")
	t.LogGroup, err = cloudwatch.NewLogGroup(ctx, lgName, &cloudwatch.LogGroupArgs{
		Name: pulumi.Sprintf("/aws/cloudtrail/%s", args.Name), RetentionInDays: pulumi.Int(args.LogRetentionDays),
		KmsKeyId: args.LogsKMSKeyArn, Tags: tags(lgName),
	}, auditLogOptions(parent, args.Protect)...)
	if err != nil {
		return nil, err
	}
	roleName := childName(name, "logs-role")
	role, err := iam.NewRole(ctx, roleName, &iam.RoleArgs{
		Description: pulumi.String("CloudTrail delivery to its CloudWatch log group"),
		AssumeRolePolicy: pulumi.String(PolicyJSON(PolicyStatement{
			Effect: "Allow", Principal: map[string]any{"Service": servicePrincipal("cloudtrail")}, Action: "sts:AssumeRole",
		})),
		InlinePolicies: iam.RoleInlinePolicyArray{iam.RoleInlinePolicyArgs{
			Name: pulumi.String("cloudwatch-logs"),
			Policy: t.LogGroup.Arn.ApplyT(func(arn string) string {
				return PolicyJSON(PolicyStatement{Effect: "Allow", Action: []string{"logs:CreateLogStream", "logs:PutLogEvents"}, Resource: arn + ":*"})
			}).(pulumi.StringOutput),
		}},
		Tags: tags(roleName),
	}, parent)
	if err != nil {
		return nil, err
	}
	selectors := cloudtrail.TrailEventSelectorArray{}
	if len(args.DataEventBuckets) > 0 {
		values := pulumi.StringArray{}
		for _, b := range args.DataEventBuckets {
			values = append(values, pulumi.Sprintf("arn:aws:s3:::%s/", b))
		}
		selectors = append(selectors, cloudtrail.TrailEventSelectorArgs{
			ReadWriteType:           pulumi.String("All"),
			IncludeManagementEvents: pulumi.Bool(true),
			DataResources: cloudtrail.TrailEventSelectorDataResourceArray{cloudtrail.TrailEventSelectorDataResourceArgs{
				Type: pulumi.String("AWS::S3::Object"), Values: values,
			}},
		})
	}
	trailName := childName(name, "trail")
	trailArgs := &cloudtrail.TrailArgs{
		Name:                       pulumi.String(args.Name),
		S3BucketName:               pulumi.String(args.BucketName),
		S3KeyPrefix:                pulumi.String(CloudTrailPrefix),
		IsMultiRegionTrail:         pulumi.Bool(true),
		IncludeGlobalServiceEvents: pulumi.Bool(true),
		EnableLogFileValidation:    pulumi.Bool(true),
		IsOrganizationTrail:        pulumi.Bool(args.Organization),
		KmsKeyId:                   args.KMSKeyArn,
		CloudWatchLogsGroupArn:     pulumi.Sprintf("%s:*", t.LogGroup.Arn),
		CloudWatchLogsRoleArn:      role.Arn,
		Tags:                       tags(trailName),
	}
	if len(selectors) > 0 {
		trailArgs.EventSelectors = selectors
	}
	t.Trail, err = cloudtrail.NewTrail(ctx, trailName, trailArgs, parent, pulumi.DependsOn(args.After))
	if err != nil {
		return nil, err
	}
	for _, a := range CISAlarms {
		metric := "cis-" + a.Name
		if _, err := cloudwatch.NewLogMetricFilter(ctx, childName(name, a.Name+"-filter"), &cloudwatch.LogMetricFilterArgs{
			Name: pulumi.String(metric), LogGroupName: t.LogGroup.Name, Pattern: pulumi.String(a.Pattern),
			MetricTransformation: &cloudwatch.LogMetricFilterMetricTransformationArgs{
				Name: pulumi.String(metric), Namespace: pulumi.String(CISAlarmNamespace), Value: pulumi.String("1"),
			},
		}, parent); err != nil {
			return nil, err
		}
		alarmName := childName(name, a.Name+"-alarm")
		if _, err := cloudwatch.NewMetricAlarm(ctx, alarmName, &cloudwatch.MetricAlarmArgs{
			Name: pulumi.Sprintf("%s-%s", args.Name, a.Name), AlarmDescription: pulumi.String(a.Description),
			Namespace: pulumi.String(CISAlarmNamespace), MetricName: pulumi.String(metric),
			Statistic: pulumi.String("Sum"), Period: pulumi.Int(300), EvaluationPeriods: pulumi.Int(1),
			Threshold: pulumi.Float64(1), ComparisonOperator: pulumi.String("GreaterThanOrEqualToThreshold"),
			TreatMissingData: pulumi.String("notBreaching"),
			AlarmActions:     pulumi.Array{args.AlarmTopicArn},
			Tags:             tags(alarmName),
		}, parent); err != nil {
			return nil, err
		}
	}
	if err := ctx.RegisterResourceOutputs(t, pulumi.Map{"trailArn": t.Trail.Arn}); err != nil {
		return nil, err
	}
	return t, nil
}
