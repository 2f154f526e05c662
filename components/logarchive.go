package components

import (
	"errors"
	"fmt"
	"regexp"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/s3"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// ObjectLockMode is the S3 Object Lock default retention mode.
type ObjectLockMode string

// Object Lock modes. COMPLIANCE cannot be shortened or lifted by anyone, root
// included, until the retention ends; GOVERNANCE can, with a special permission.
const (
	ObjectLockGovernance ObjectLockMode = "GOVERNANCE"
	ObjectLockCompliance ObjectLockMode = "COMPLIANCE"
)

// Valid reports whether m is a known mode.
func (m ObjectLockMode) Valid() bool { return m == ObjectLockGovernance || m == ObjectLockCompliance }

// Log archive defaults (seed, Audit Logging: VPC Flow Logs kept 1 year).
const (
	DefaultFlowLogRetentionDays = 365
	// DefaultAuditLogRetentionDays: seed, CloudTrail 7 years (7 × 365 + 2 leap days).
	DefaultAuditLogRetentionDays = 2557
	// CloudTrailPrefix and ConfigPrefix are where those services deliver.
	CloudTrailPrefix = "cloudtrail"
	ConfigPrefix     = "config"
	// DefaultAccessLogRetentionDays: seed, ALB and S3 access logs 1 year.
	DefaultAccessLogRetentionDays = 365
	DefaultObjectLockDays         = 365
	DefaultObjectLockMode         = ObjectLockGovernance
	// MaxRetentionDays bounds retention settings (10 years).
	MaxRetentionDays = 3653
	// FlowLogPrefix is the key prefix VPC flow logs are delivered under.
	FlowLogPrefix = "vpc-flow-logs"
	// abortMultipartDays cleans up failed uploads.
	abortMultipartDays = 7
	// noncurrentExpiryDays removes superseded versions once Object Lock allows.
	noncurrentExpiryDays = 1
)

var bucketNamePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)

// LogArchiveArgs configures an account-local log archive: the bucket that
// receives VPC flow logs until the organization's Log Archive account does.
type LogArchiveArgs struct {
	// BucketName is the globally unique bucket name. Required: 3-63 of [a-z0-9.-].
	BucketName string
	// AccountID is the account whose log deliveries may write. Required: 12 digits.
	AccountID string
	// Region of the bucket, used to scope delivery grants. Required.
	Region string
	// KMSKeyArn is the logs CMK for SSE-KMS. Required (checked by NewLogArchive).
	KMSKeyArn pulumi.StringInput
	// AccessLogsBucketName is the SSE-S3 bucket for ALB and S3 access logs.
	// Required: 3-63 of [a-z0-9.-].
	AccessLogsBucketName string
	// ConfigBucketName is the SSE-KMS bucket AWS Config delivers to; it has
	// no Object Lock, which Config does not support (AWS::Config::DeliveryChannel).
	// Required: 3-63 of [a-z0-9.-], distinct from the other two.
	ConfigBucketName string
	// WAFLogsBucketName is the SSE-KMS bucket the member accounts' WAF log
	// relays replicate into (AccessLogRetentionDays, like the ALB's logs).
	// Default: none (a standalone archive: the account's own WAF log bucket
	// keeps them). Distinct from the other three.
	WAFLogsBucketName string
	// SourceAccounts may deliver logs here (the organization's Log Archive
	// takes every member account). Default: [AccountID].
	SourceAccounts []string
	// FlowLogRetentionDays expires flow logs. Default: 365 (seed). Range 1..3653.
	FlowLogRetentionDays int
	// AuditLogRetentionDays expires CloudTrail and Config logs. Default: 2557
	// (seed: CloudTrail 7 years). Range FlowLogRetentionDays..3653.
	AuditLogRetentionDays int
	// AccessLogRetentionDays expires ALB and S3 access logs. Default: 365 (seed). Range 1..3653.
	AccessLogRetentionDays int
	// ObjectLockMode is the default retention mode. Default: GOVERNANCE.
	ObjectLockMode ObjectLockMode
	// ObjectLockDays is the default retention. Default: 365. Range 1..FlowLogRetentionDays,
	// so lifecycle expiry never fights a lock.
	ObjectLockDays int
	// Protect marks the bucket pulumi.Protect and RetainOnDelete. Default: false.
	Protect bool
	// Tags are the stack tags. Required: every key of StackTagKeys.
	Tags Tags
}

func (a *LogArchiveArgs) setDefaults() {
	if a.FlowLogRetentionDays == 0 {
		a.FlowLogRetentionDays = DefaultFlowLogRetentionDays
	}
	if a.AccessLogRetentionDays == 0 {
		a.AccessLogRetentionDays = DefaultAccessLogRetentionDays
	}
	if a.AuditLogRetentionDays == 0 {
		a.AuditLogRetentionDays = DefaultAuditLogRetentionDays
	}
	if len(a.SourceAccounts) == 0 {
		a.SourceAccounts = []string{a.AccountID}
	}
	if a.ObjectLockMode == "" {
		a.ObjectLockMode = DefaultObjectLockMode
	}
	if a.ObjectLockDays == 0 {
		a.ObjectLockDays = DefaultObjectLockDays
	}
}

// Validate reports every invalid field at once.
func (a LogArchiveArgs) Validate() error {
	a.setDefaults()
	var errs []error
	if !bucketNamePattern.MatchString(a.BucketName) {
		errs = append(errs, fieldErr("bucketName", a.BucketName, "3-63 characters of [a-z0-9.-], starting and ending with a letter or digit"))
	}
	if !bucketNamePattern.MatchString(a.AccessLogsBucketName) || a.AccessLogsBucketName == a.BucketName {
		errs = append(errs, fieldErr("accessLogsBucketName", a.AccessLogsBucketName, "3-63 characters of [a-z0-9.-], not the audit bucket's name"))
	}
	if !bucketNamePattern.MatchString(a.ConfigBucketName) || a.ConfigBucketName == a.BucketName || a.ConfigBucketName == a.AccessLogsBucketName {
		errs = append(errs, fieldErr("configBucketName", a.ConfigBucketName, "3-63 characters of [a-z0-9.-], not the audit or access-logs bucket's name"))
	}
	if w := a.WAFLogsBucketName; w != "" && (!bucketNamePattern.MatchString(w) || w == a.BucketName || w == a.AccessLogsBucketName || w == a.ConfigBucketName) {
		errs = append(errs, fieldErr("wafLogsBucketName", w, "3-63 characters of [a-z0-9.-], not another archive bucket's name"))
	}
	if !accountIDPattern.MatchString(a.AccountID) {
		errs = append(errs, fieldErr("accountId", a.AccountID, "a 12-digit AWS account ID"))
	}
	if _, ok := elbAccounts[a.Region]; !ok {
		errs = append(errs, fieldErr("region", a.Region, "a region with a known ELB log-delivery account %v", sortedKeys(elbAccounts)))
	}
	if a.AuditLogRetentionDays < a.FlowLogRetentionDays || a.AuditLogRetentionDays > MaxRetentionDays {
		errs = append(errs, fieldErr("auditLogRetentionDays", a.AuditLogRetentionDays, "%d..%d days (seed: CloudTrail 7 years)", a.FlowLogRetentionDays, MaxRetentionDays))
	}
	for i, acct := range a.SourceAccounts {
		if !accountIDPattern.MatchString(acct) {
			errs = append(errs, fieldErr(fmt.Sprintf("sourceAccounts[%d]", i), acct, "a 12-digit AWS account ID"))
		}
	}
	if a.AccessLogRetentionDays < 1 || a.AccessLogRetentionDays > MaxRetentionDays {
		errs = append(errs, fieldErr("accessLogRetentionDays", a.AccessLogRetentionDays, "1..%d days", MaxRetentionDays))
	}
	if a.FlowLogRetentionDays < 1 || a.FlowLogRetentionDays > MaxRetentionDays {
		errs = append(errs, fieldErr("flowLogRetentionDays", a.FlowLogRetentionDays, "1..%d days", MaxRetentionDays))
	}
	if !a.ObjectLockMode.Valid() {
		errs = append(errs, fieldErr("objectLockMode", string(a.ObjectLockMode), "%q or %q", ObjectLockGovernance, ObjectLockCompliance))
	}
	if a.ObjectLockDays < 1 || a.ObjectLockDays > a.FlowLogRetentionDays {
		errs = append(errs, fieldErr("objectLockDays", a.ObjectLockDays, "1..%d days (no longer than flowLogRetentionDays)", a.FlowLogRetentionDays))
	}
	errs = append(errs, validateStackTags("tags", a.Tags))
	return errors.Join(errs...)
}

// LogArchive is the account-local log archive: an Object-Locked SSE-KMS
// bucket for VPC flow logs and an SSE-S3 bucket for the deliveries AWS only
// makes to SSE-S3 buckets (ALB access logs, S3 server access logs).
type LogArchive struct {
	pulumi.ResourceState

	// Bucket is the audit bucket (flow logs).
	Bucket *s3.BucketV2
	// BucketArn is known before deployment: the name is deterministic.
	BucketArn string
	// FlowLogDestination is the S3 ARN (with prefix) VPC flow logs go to.
	FlowLogDestination string
	// AccessLogsBucket receives ALB access logs (AccessLogsALBPrefix) and S3
	// server access logs (AccessLogsS3Prefix).
	AccessLogsBucket *s3.BucketV2
	// ConfigBucket receives AWS Config's snapshots and history (no Object Lock).
	ConfigBucket *s3.BucketV2
	// Configured are every bucket's policy, encryption, lifecycle and Object
	// Lock configuration: what must exist before the archive is frozen.
	Configured []pulumi.Resource
	// AccessLogsBucketName is the access-logs bucket's name.
	AccessLogsBucketName string
	// Ready are the bucket policies and encryption configurations that log
	// deliveries (trails, Config, flow logs) must wait for.
	Ready []pulumi.Resource
}

// Prefixes in the access-logs bucket.
const (
	AccessLogsALBPrefix = "alb"
	AccessLogsS3Prefix  = "s3-access"
	// LogDeliveryTag marks buckets that AWS log delivery writes to, which
	// must use SSE-S3; the policy pack reads it.
	LogDeliveryTag = "LogDelivery"
)

// elbAccounts are the AWS accounts that deliver ALB access logs in regions
// that predate the log-delivery service principal.
var elbAccounts = map[string]string{"us-east-1": "127311923021", "us-east-2": "033677994240", "us-west-2": "797873946194"}

// NewLogArchive creates both archive buckets. The audit bucket: SSE-KMS with
// the logs CMK, versioned, Object Lock, lifecycle per the seed's Audit
// Logging table, writable only by this account's log delivery. The
// access-logs bucket: SSE-S3 as AWS requires, versioned, 1-year lifecycle,
// writable only by the regional ELB log account and S3 server access logging.
// Both block public access, enforce bucket ownership and deny non-TLS.
func NewLogArchive(ctx *pulumi.Context, name string, args LogArchiveArgs, opts ...pulumi.ResourceOption) (*LogArchive, error) {
	args.setDefaults()
	err := args.Validate()
	if args.KMSKeyArn == nil {
		err = errors.Join(err, fieldErr("kmsKeyArn", "", "the ARN of the logs CMK"))
	}
	if err != nil {
		return nil, err
	}
	arn := fmt.Sprintf("arn:%s:s3:::%s", awsPartition, args.BucketName)
	c := &LogArchive{BucketArn: arn, FlowLogDestination: arn + "/" + FlowLogPrefix + "/", AccessLogsBucketName: args.AccessLogsBucketName}
	if err := ctx.RegisterComponentResource(TypeLogArchive, name, c, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(c)
	stateful := []pulumi.ResourceOption{parent}
	if args.Protect {
		stateful = append(stateful, pulumi.Protect(true), pulumi.RetainOnDelete(true))
	}

	audit, err := newSecureBucket(ctx, bucketSpec{
		child:      name,
		name:       args.BucketName,
		kmsKeyArn:  args.KMSKeyArn,
		objectLock: &objectLock{mode: args.ObjectLockMode, days: args.ObjectLockDays},
		lifecycle: []s3.BucketLifecycleConfigurationV2RuleArgs{
			expireRule("vpc-flow-logs", FlowLogPrefix+"/", args.FlowLogRetentionDays),
			expireRule("cloudtrail", CloudTrailPrefix+"/", args.AuditLogRetentionDays),
		},
		statements: auditDelivery(arn, args.SourceAccounts, args.Region),
	}, args.Tags, name, stateful, parent)
	if err != nil {
		return nil, err
	}
	c.Bucket = audit.bucket
	c.Ready = append(c.Ready, audit.ready...)
	c.Configured = append(append(c.Configured, audit.ready...), audit.retention...)

	accessArn := fmt.Sprintf("arn:%s:s3:::%s", awsPartition, args.AccessLogsBucketName)
	// No Object Lock here: S3 server access logging refuses target buckets
	// with a default retention.
	access, err := newSecureBucket(ctx, bucketSpec{
		child: name + "-access",
		name:  args.AccessLogsBucketName,
		lifecycle: []s3.BucketLifecycleConfigurationV2RuleArgs{
			expireRule("alb-access-logs", AccessLogsALBPrefix+"/", args.AccessLogRetentionDays),
			expireRule("s3-access-logs", AccessLogsS3Prefix+"/", args.AccessLogRetentionDays),
		},
		statements: accessLogDelivery(accessArn, args.AccountID, args.SourceAccounts, args.Region),
		tags:       Tags{LogDeliveryTag: "alb+s3-access"},
	}, args.Tags, name, stateful, parent)
	if err != nil {
		return nil, err
	}
	c.AccessLogsBucket = access.bucket
	c.Ready = append(c.Ready, access.ready...)
	c.Configured = append(append(c.Configured, access.ready...), access.retention...)

	configArn := fmt.Sprintf("arn:%s:s3:::%s", awsPartition, args.ConfigBucketName)
	config, err := newSecureBucket(ctx, bucketSpec{
		child:     name + "-config",
		name:      args.ConfigBucketName,
		kmsKeyArn: args.KMSKeyArn,
		lifecycle: []s3.BucketLifecycleConfigurationV2RuleArgs{
			expireRule("config", ConfigPrefix+"/", args.AuditLogRetentionDays),
		},
		statements: configDelivery(configArn, args.SourceAccounts),
	}, args.Tags, name, stateful, parent)
	if err != nil {
		return nil, err
	}
	c.ConfigBucket = config.bucket
	c.Ready = append(c.Ready, config.ready...)
	c.Configured = append(append(c.Configured, config.ready...), config.retention...)

	if args.WAFLogsBucketName != "" {
		wafArn := fmt.Sprintf("arn:%s:s3:::%s", awsPartition, args.WAFLogsBucketName)
		waf, err := newSecureBucket(ctx, bucketSpec{
			child:      name + "-waf",
			name:       args.WAFLogsBucketName,
			kmsKeyArn:  args.KMSKeyArn,
			lifecycle:  []s3.BucketLifecycleConfigurationV2RuleArgs{expireRule("waf-logs", WAFLogKeyPrefix, args.AccessLogRetentionDays)},
			statements: wafRelayReplication(wafArn, args.SourceAccounts),
		}, args.Tags, name, stateful, parent)
		if err != nil {
			return nil, err
		}
		c.Ready = append(c.Ready, waf.ready...)
		c.Configured = append(append(c.Configured, waf.ready...), waf.retention...)
	}

	if err := ctx.RegisterResourceOutputs(c, pulumi.Map{
		"bucketName":           audit.bucket.Bucket,
		"bucketArn":            pulumi.String(arn),
		"flowLogDestination":   pulumi.String(c.FlowLogDestination),
		"accessLogsBucketName": access.bucket.Bucket,
		"configBucketName":     config.bucket.Bucket,
		"wafLogsBucketName":    pulumi.String(args.WAFLogsBucketName),
	}); err != nil {
		return nil, err
	}
	return c, nil
}

// auditDelivery lets only the source accounts' log delivery (flow logs),
// trails (CloudTrail) and AWS Config write, each under its own prefix.
func auditDelivery(bucketArn string, accounts []string, region string) []PolicyStatement {
	var flowObjects, deliveryArns, trailArns []string
	for _, a := range accounts {
		// Flow logs write AWSLogs/<account>/vpcflowlogs/..., or with
		// Hive-compatible prefixes AWSLogs/aws-account-id=<account>/...
		// (https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs-s3-path.html).
		flowObjects = append(flowObjects, fmt.Sprintf("%s/%s/AWSLogs/%s/*", bucketArn, FlowLogPrefix, a),
			fmt.Sprintf("%s/%s/AWSLogs/aws-account-id=%s/*", bucketArn, FlowLogPrefix, a))
		deliveryArns = append(deliveryArns, fmt.Sprintf("arn:%s:logs:%s:%s:*", awsPartition, region, a))
		trailArns = append(trailArns, fmt.Sprintf("arn:%s:cloudtrail:*:%s:trail/*", awsPartition, a))
	}
	allow := func(sid, service string, actions any, resource any, cond map[string]map[string]any) PolicyStatement {
		return PolicyStatement{Sid: sid, Effect: "Allow", Principal: map[string]any{"Service": servicePrincipal(service)},
			Action: actions, Resource: resource, Condition: cond}
	}
	flowSource := map[string]map[string]any{"StringEquals": {"aws:SourceAccount": accounts}, "ArnLike": {"aws:SourceArn": deliveryArns}}
	trailSource := map[string]map[string]any{"StringLike": {"aws:SourceArn": trailArns}}
	return []PolicyStatement{
		allow("AWSLogDeliveryWrite", "delivery.logs", "s3:PutObject", flowObjects, flowSource),
		allow("AWSLogDeliveryAclCheck", "delivery.logs", []string{"s3:GetBucketAcl", "s3:ListBucket"}, bucketArn, flowSource),
		allow("AWSCloudTrailAclCheck", "cloudtrail", "s3:GetBucketAcl", bucketArn, trailSource),
		allow("AWSCloudTrailWrite", "cloudtrail", "s3:PutObject", fmt.Sprintf("%s/%s/AWSLogs/*", bucketArn, CloudTrailPrefix), trailSource),
	}
}

// configDelivery lets the source accounts' AWS Config write
// <prefix>/AWSLogs/<account>/Config/...: through its service-linked role
// (config.amazonaws.com, a landing zone's recorder) or through each
// account's recorder role (ConfigRecorderRolePattern), which needs the grant
// here only across accounts.
// https://docs.aws.amazon.com/config/latest/developerguide/s3-bucket-policy.html
func configDelivery(bucketArn string, accounts []string) []PolicyStatement {
	var objects, roots, roles []string
	for _, a := range accounts {
		objects = append(objects, fmt.Sprintf("%s/%s/AWSLogs/%s/Config/*", bucketArn, ConfigPrefix, a))
		roots = append(roots, accountRoot(a))
		roles = append(roles, fmt.Sprintf("arn:%s:iam::%s:role/%s", awsPartition, a, ConfigRecorderRolePattern))
	}
	source := map[string]map[string]any{"StringEquals": {"aws:SourceAccount": accounts}}
	byRole := map[string]map[string]any{"ArnLike": {"aws:PrincipalArn": roles}}
	acl := map[string]map[string]any{"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control"}}
	return []PolicyStatement{
		{Sid: "AWSConfigBucketCheck", Effect: "Allow", Principal: map[string]any{"Service": servicePrincipal("config")},
			Action: []string{"s3:GetBucketAcl", "s3:ListBucket"}, Resource: bucketArn, Condition: source},
		{Sid: "AWSConfigDelivery", Effect: "Allow", Principal: map[string]any{"Service": servicePrincipal("config")},
			Action: "s3:PutObject", Resource: objects, Condition: mergeConditions(source, acl)},
		{Sid: "ConfigRecorderRolesBucketCheck", Effect: "Allow", Principal: map[string]any{"AWS": roots},
			Action: []string{"s3:GetBucketAcl", "s3:ListBucket"}, Resource: bucketArn, Condition: byRole},
		{Sid: "ConfigRecorderRolesDelivery", Effect: "Allow", Principal: map[string]any{"AWS": roots},
			Action: "s3:PutObject", Resource: objects, Condition: mergeConditions(byRole, acl)},
	}
}

func mergeConditions(a, b map[string]map[string]any) map[string]map[string]any {
	out := map[string]map[string]any{}
	for _, m := range []map[string]map[string]any{a, b} {
		for op, kv := range m {
			if out[op] == nil {
				out[op] = map[string]any{}
			}
			for k, v := range kv {
				out[op][k] = v
			}
		}
	}
	return out
}

// accessLogDelivery lets the region's ELB account write the source
// accounts' ALB logs and the owner's S3 server access logging write S3 logs,
// each under its own prefix; the other source accounts' S3 access logs
// arrive by replication from their relay buckets (S3 server access logging
// never delivers across accounts).
func accessLogDelivery(bucketArn, owner string, accounts []string, region string) []PolicyStatement {
	var albObjects []string
	for _, a := range accounts {
		albObjects = append(albObjects, fmt.Sprintf("%s/%s/AWSLogs/%s/*", bucketArn, AccessLogsALBPrefix, a))
	}
	out := []PolicyStatement{
		{
			Sid:       "ELBAccessLogs",
			Effect:    "Allow",
			Principal: map[string]any{"AWS": accountRoot(elbAccounts[region])},
			Action:    "s3:PutObject",
			Resource:  albObjects,
		},
		s3AccessLogging(bucketArn, []string{owner}),
	}
	if len(accounts) > 1 || accounts[0] != owner {
		var members []string
		for _, a := range accounts {
			if a != owner {
				members = append(members, a)
			}
		}
		out = append(out, relayReplication(bucketArn, members)...)
	}
	return out
}
