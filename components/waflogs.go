package components

import (
	"errors"
	"fmt"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/s3"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// AWS WAF logs to an S3 bucket only of the web ACL's own account, whose name
// starts with "aws-waf-logs-"; it delivers through the log delivery service
// (delivery.logs.amazonaws.com), under AWSLogs/<account>/WAFLogs/, and
// accepts SSE-KMS with a customer managed key.
// https://docs.aws.amazon.com/waf/latest/developerguide/logging-s3.html
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/AWS-logs-infrastructure-S3.html
// So a workload account keeps a local bucket of that name that replicates
// every log file into the Log Archive's WAF bucket, as the access-log relay
// does for S3 server access logs.
const (
	// WAFLogBucketPrefix is the name prefix AWS WAF requires.
	WAFLogBucketPrefix = "aws-waf-logs-"
	// WAFLogKeyPrefix is where the log delivery service writes.
	WAFLogKeyPrefix = "AWSLogs/"
	// WAFLogReplicationRolePattern matches every stack's WAF relay role,
	// which the archive's WAF bucket and key admit.
	WAFLogReplicationRolePattern = "docustack-*-waf-logs-replication"
	// DefaultWAFLogRetentionDays is the archive's retention: the seed keeps
	// the ALB's access logs 1 year, and the WAF's are their companion.
	DefaultWAFLogRetentionDays = 365
)

// WAFRedactedHeaders are kept out of every WAF log record: they carry the
// caller's credentials (bearer tokens, session cookies).
var WAFRedactedHeaders = []string{"authorization", "cookie"}

// wafLogAccountPrefix is where WAF writes one account's log files.
func wafLogAccountPrefix(account string) string {
	return fmt.Sprintf("%s%s/WAFLogs/", WAFLogKeyPrefix, account)
}

// WAFLogBucketName is the local WAF log bucket of a stack.
func WAFLogBucketName(prefix, account string) string {
	return fmt.Sprintf("%s%s-%s", WAFLogBucketPrefix, prefix, account)
}

// WAFLogsArgs configures the account's WAF log bucket.
type WAFLogsArgs struct {
	// Prefix names the bucket and the replication role. Required.
	Prefix string
	// AccountID and Region of the web ACL. Required.
	AccountID, Region string
	// KMSKeyArn is the account's logs key (SSE-KMS). Required.
	KMSKeyArn pulumi.StringInput
	// DestinationBucket, DestinationAccountID and DestinationKMSKeyArn are
	// the Log Archive's WAF bucket, its account and key. Empty: this bucket
	// is the archive (a standalone stack) and keeps the logs itself.
	DestinationBucket, DestinationAccountID, DestinationKMSKeyArn string
	// RetentionDays of the local copies. Default: 7 with a destination
	// (enough to re-drive a failed replication), else 365.
	RetentionDays int
	// AccessLogsBucket receives the bucket's S3 server access logs (a bucket
	// of this account and region: the access-log relay). Required.
	AccessLogsBucket string
	// AccessLogsAfter are what access logging waits for (that bucket's policy).
	AccessLogsAfter []pulumi.Resource
	// Protect marks the bucket pulumi.Protect and RetainOnDelete. Default: false.
	Protect bool
	// Tags are the stack tags. Required.
	Tags Tags
}

func (a *WAFLogsArgs) setDefaults() {
	if a.RetentionDays == 0 {
		a.RetentionDays = DefaultWAFLogRetentionDays
		if a.DestinationBucket != "" {
			a.RetentionDays = DefaultRelayRetentionDays
		}
	}
}

// Validate reports every invalid field at once.
func (a WAFLogsArgs) Validate() error {
	a.setDefaults()
	var errs []error
	if name := WAFLogBucketName(a.Prefix, a.AccountID); a.Prefix == "" || !bucketNamePattern.MatchString(name) {
		errs = append(errs, fieldErr("prefix", a.Prefix, "the stack's name prefix, making a 3-63 character bucket name %s<prefix>-<account>", WAFLogBucketPrefix))
	}
	if !accountIDPattern.MatchString(a.AccountID) {
		errs = append(errs, fieldErr("accountId", a.AccountID, "a 12-digit AWS account ID"))
	}
	if !bucketNamePattern.MatchString(a.AccessLogsBucket) {
		errs = append(errs, fieldErr("accessLogsBucket", a.AccessLogsBucket, "the account's S3 access-log bucket"))
	}
	if a.Region == "" {
		errs = append(errs, fieldErr("region", a.Region, "the web ACL's region"))
	}
	if a.DestinationBucket != "" {
		if !bucketNamePattern.MatchString(a.DestinationBucket) {
			errs = append(errs, fieldErr("destinationBucket", a.DestinationBucket, "3-63 characters of [a-z0-9.-]"))
		}
		if !accountIDPattern.MatchString(a.DestinationAccountID) || a.DestinationAccountID == a.AccountID {
			errs = append(errs, fieldErr("destinationAccountId", a.DestinationAccountID, "the Log Archive account's 12-digit ID, not this account's"))
		}
		if !strings.Contains(a.DestinationKMSKeyArn, ":"+a.DestinationAccountID+":key/") {
			errs = append(errs, fieldErr("destinationKmsKeyArn", a.DestinationKMSKeyArn, "a key of the Log Archive account %s", a.DestinationAccountID))
		}
	}
	if a.RetentionDays < 1 || a.RetentionDays > MaxRetentionDays {
		errs = append(errs, fieldErr("retentionDays", a.RetentionDays, "1..%d days", MaxRetentionDays))
	}
	errs = append(errs, validateStackTags("tags", a.Tags))
	return errors.Join(errs...)
}

// WAFLogs is the account's WAF log bucket (and its replication).
type WAFLogs struct {
	pulumi.ResourceState
	// BucketArn is the web ACL's logging destination.
	BucketArn string
	// Ready are the bucket's policy and encryption, which logging waits for.
	Ready []pulumi.Resource
}

// NewWAFLogs creates the bucket, and with a destination the replication
// role and rule that copy every log file into the Log Archive.
func NewWAFLogs(ctx *pulumi.Context, name string, args WAFLogsArgs, opts ...pulumi.ResourceOption) (*WAFLogs, error) {
	args.setDefaults()
	err := args.Validate()
	if args.KMSKeyArn == nil {
		err = errors.Join(err, fieldErr("kmsKeyArn", "", "the account's logs key"))
	}
	if err != nil {
		return nil, err
	}
	bucket := WAFLogBucketName(args.Prefix, args.AccountID)
	source := fmt.Sprintf("arn:%s:s3:::%s", awsPartition, bucket)
	c := &WAFLogs{BucketArn: source}
	if err := ctx.RegisterComponentResource(TypeWAFLogs, name, c, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(c)
	stateful := []pulumi.ResourceOption{parent}
	if args.Protect {
		stateful = append(stateful, pulumi.Protect(true), pulumi.RetainOnDelete(true))
	}
	local, err := newSecureBucket(ctx, bucketSpec{
		child:      name,
		name:       bucket,
		kmsKeyArn:  args.KMSKeyArn,
		lifecycle:  []s3.BucketLifecycleConfigurationV2RuleArgs{expireRule("waf-logs", WAFLogKeyPrefix, args.RetentionDays)},
		statements: WAFLogDelivery(source, args.AccountID, args.Region),
	}, args.Tags, name, stateful, parent)
	if err != nil {
		return nil, err
	}
	c.Ready = local.ready
	// Who reads the log files is itself logged, like every other bucket's.
	if _, err := s3.NewBucketLoggingV2(ctx, childName(name, "access-logging"), &s3.BucketLoggingV2Args{
		Bucket:       local.bucket.ID(),
		TargetBucket: pulumi.String(args.AccessLogsBucket),
		TargetPrefix: pulumi.Sprintf("%s/%s/", AccessLogsS3Prefix, bucket),
	}, parent, pulumi.DependsOn(args.AccessLogsAfter)); err != nil {
		return nil, err
	}
	if args.DestinationBucket != "" {
		if err := wafLogReplication(ctx, name, args, source, local, parent); err != nil {
			return nil, err
		}
	}
	if err := ctx.RegisterResourceOutputs(c, pulumi.Map{"bucketName": local.bucket.Bucket}); err != nil {
		return nil, err
	}
	return c, nil
}

// WAFLogDelivery lets this account's log delivery check the bucket and write
// WAF's log files, owned by the bucket.
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/AWS-logs-infrastructure-S3.html
func WAFLogDelivery(bucketArn, account, region string) []PolicyStatement {
	cond := map[string]map[string]any{
		"StringEquals": {"aws:SourceAccount": account},
		"ArnLike":      {"aws:SourceArn": fmt.Sprintf("arn:%s:logs:%s:%s:*", awsPartition, region, account)},
	}
	write := map[string]map[string]any{
		"StringEquals": {"aws:SourceAccount": account, "s3:x-amz-acl": "bucket-owner-full-control"},
		"ArnLike":      cond["ArnLike"],
	}
	principal := map[string]any{"Service": servicePrincipal("delivery.logs")}
	return []PolicyStatement{
		{Sid: "AWSLogDeliveryWrite", Effect: "Allow", Principal: principal, Action: "s3:PutObject",
			Resource: fmt.Sprintf("%s/%s%s/*", bucketArn, WAFLogKeyPrefix, account), Condition: write},
		{Sid: "AWSLogDeliveryAclCheck", Effect: "Allow", Principal: principal, Action: []string{"s3:GetBucketAcl", "s3:ListBucket"},
			Resource: bucketArn, Condition: cond},
	}
}

func wafLogReplication(ctx *pulumi.Context, name string, args WAFLogsArgs, source string, local *bucketResult, parent pulumi.ResourceOption) error {
	dest := fmt.Sprintf("arn:%s:s3:::%s", awsPartition, args.DestinationBucket)
	policy := args.KMSKeyArn.ToStringOutput().ApplyT(func(key string) string {
		return WAFLogReplicationPolicy(source, dest, args.AccountID, args.Region, key, args.DestinationKMSKeyArn)
	}).(pulumi.StringOutput)
	role, err := replicationRole(ctx, name, fmt.Sprintf("%s-waf-logs-replication", args.Prefix),
		"S3 replication of this account's WAF logs into the Log Archive", args.AccountID, source, policy, args.Tags, parent)
	if err != nil {
		return err
	}
	// SSE-KMS objects replicate only when the rule selects them, and the
	// replica is encrypted with the destination's key.
	// https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-config-for-kms-objects.html
	_, err = s3.NewBucketReplicationConfig(ctx, childName(name, "replication"), &s3.BucketReplicationConfigArgs{
		Bucket: local.bucket.ID(),
		Role:   role.Arn,
		Rules: s3.BucketReplicationConfigRuleArray{s3.BucketReplicationConfigRuleArgs{
			Id:                      pulumi.String("log-archive"),
			Status:                  pulumi.String("Enabled"),
			Priority:                pulumi.Int(1),
			Filter:                  &s3.BucketReplicationConfigRuleFilterArgs{Prefix: pulumi.String(wafLogAccountPrefix(args.AccountID))},
			DeleteMarkerReplication: &s3.BucketReplicationConfigRuleDeleteMarkerReplicationArgs{Status: pulumi.String("Disabled")},
			SourceSelectionCriteria: &s3.BucketReplicationConfigRuleSourceSelectionCriteriaArgs{
				SseKmsEncryptedObjects: &s3.BucketReplicationConfigRuleSourceSelectionCriteriaSseKmsEncryptedObjectsArgs{Status: pulumi.String("Enabled")},
			},
			Destination: &s3.BucketReplicationConfigRuleDestinationArgs{
				Bucket:                   pulumi.String(dest),
				Account:                  pulumi.String(args.DestinationAccountID),
				AccessControlTranslation: &s3.BucketReplicationConfigRuleDestinationAccessControlTranslationArgs{Owner: pulumi.String("Destination")},
				EncryptionConfiguration:  &s3.BucketReplicationConfigRuleDestinationEncryptionConfigurationArgs{ReplicaKmsKeyId: pulumi.String(args.DestinationKMSKeyArn)},
			},
		}},
	}, parent, pulumi.DependsOn([]pulumi.Resource{local.versioning}))
	return err
}

// WAFLogReplicationPolicy lets S3 read the local bucket's new versions
// (decrypting with the account's logs key) and replicate them, owned by and
// encrypted for the archive, under this account's WAF prefix only.
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-config-for-kms-objects.html
func WAFLogReplicationPolicy(source, dest, account, region, sourceKey, destKey string) string {
	prefix := wafLogAccountPrefix(account)
	via := func(arn string) map[string]map[string]any {
		return map[string]map[string]any{
			"StringEquals": {"kms:ViaService": regionalService("s3", region)},
			"StringLike":   {"kms:EncryptionContext:aws:s3:arn": []string{arn, arn + "/*"}},
		}
	}
	return PolicyJSON(
		PolicyStatement{Sid: "ReadSourceConfig", Effect: "Allow", Action: []string{"s3:GetReplicationConfiguration", "s3:ListBucket"}, Resource: source},
		PolicyStatement{Sid: "ReadSourceVersions", Effect: "Allow", Action: []string{
			"s3:GetObjectVersionForReplication", "s3:GetObjectVersionAcl", "s3:GetObjectVersionTagging",
		}, Resource: source + "/" + prefix + "*"},
		PolicyStatement{Sid: "DecryptSource", Effect: "Allow", Action: "kms:Decrypt", Resource: sourceKey, Condition: via(source)},
		PolicyStatement{Sid: "WriteArchive", Effect: "Allow", Action: []string{"s3:ReplicateObject", "s3:ReplicateTags", "s3:ObjectOwnerOverrideToBucketOwner"},
			Resource: dest + "/" + prefix + "*"},
		PolicyStatement{Sid: "EncryptReplicas", Effect: "Allow", Action: []string{"kms:Encrypt", "kms:GenerateDataKey"}, Resource: destKey, Condition: via(dest)},
	)
}

// wafRelayReplication lets the member accounts' WAF relay roles replicate
// into the archive's WAF bucket, each under its own account's prefix,
// handing ownership to the archive account.
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-walkthrough-2.html
func wafRelayReplication(bucketArn string, accounts []string) []PolicyStatement {
	var out []PolicyStatement
	for _, a := range accounts {
		role := fmt.Sprintf("arn:%s:iam::%s:role/%s", awsPartition, a, WAFLogReplicationRolePattern)
		byRole := map[string]map[string]any{"ArnLike": {"aws:PrincipalArn": role}}
		id := "Account" + a
		out = append(out,
			PolicyStatement{Sid: "WAFRelayReplicate" + id, Effect: "Allow", Principal: map[string]any{"AWS": accountRoot(a)},
				Action:   []string{"s3:ReplicateObject", "s3:ReplicateTags", "s3:ObjectOwnerOverrideToBucketOwner"},
				Resource: bucketArn + "/" + wafLogAccountPrefix(a) + "*", Condition: byRole},
			PolicyStatement{Sid: "WAFRelayVersioning" + id, Effect: "Allow", Principal: map[string]any{"AWS": accountRoot(a)},
				Action: "s3:GetBucketVersioning", Resource: bucketArn, Condition: byRole})
	}
	return out
}

// wafRelayKeyUse lets the other source accounts' WAF relay roles encrypt
// replicas with the archive's key, through S3 only. Replication encrypts the
// replica as the role, so across accounts the key policy must name the
// role's account and the role's own policy must allow the key.
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-config-for-kms-objects.html
func wafRelayKeyUse(accountID, region string, sources []string) []PolicyStatement {
	return otherAccountRolesViaS3("AllowWAFRelayReplicas", WAFLogReplicationRolePattern, []string{"kms:Encrypt", "kms:GenerateDataKey"}, accountID, region, sources)
}
