package components

import (
	"errors"
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/s3"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// S3 server access logging delivers only to a target bucket in the source
// bucket's own account and Region (PutBucketLogging refuses any other with
// InvalidTargetBucketForLogging), so a workload account that sends its logs
// to the organization's Log Archive keeps a small SSE-S3 bucket that takes
// its buckets' access logs and replicates every object into the archive's
// access-logs bucket, owned there by the archive account: AWS's pattern for
// central S3 access logs.
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/enable-server-access-logging.html
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-walkthrough-2.html

// AccessLogReplicationRolePattern matches every stack's relay role, which
// the archive's access-logs bucket admits.
const AccessLogReplicationRolePattern = "docustack-*-access-logs-replication"

// DefaultRelayRetentionDays keeps the local copies a week: enough to
// re-drive a failed replication, while the archive keeps the seed's year.
const DefaultRelayRetentionDays = 7

// AccessLogRelayArgs configures the local access-logs bucket and its
// replication into the Log Archive.
type AccessLogRelayArgs struct {
	// Prefix names the replication role (<prefix>-access-logs-replication). Required.
	Prefix string
	// BucketName is the local bucket. Required: 3-63 of [a-z0-9.-].
	BucketName string
	// AccountID owns the local bucket. Required: 12 digits.
	AccountID string
	// DestinationBucket is the Log Archive's access-logs bucket. Required.
	DestinationBucket string
	// DestinationAccountID owns it (the Log Archive account). Required: 12
	// digits, not AccountID.
	DestinationAccountID string
	// RetentionDays expires the local copies. Default: 7. Range 1..365.
	RetentionDays int
	// Protect marks the bucket pulumi.Protect and RetainOnDelete. Default: false.
	Protect bool
	// Tags are the stack tags. Required.
	Tags Tags
}

// Validate reports every invalid field at once.
func (a AccessLogRelayArgs) Validate() error {
	if a.RetentionDays == 0 {
		a.RetentionDays = DefaultRelayRetentionDays
	}
	var errs []error
	if a.Prefix == "" {
		errs = append(errs, fieldErr("prefix", a.Prefix, "the stack's name prefix"))
	}
	for f, v := range InOrder(map[string]string{"bucketName": a.BucketName, "destinationBucket": a.DestinationBucket}) {
		if !bucketNamePattern.MatchString(v) {
			errs = append(errs, fieldErr(f, v, "3-63 characters of [a-z0-9.-], starting and ending with a letter or digit"))
		}
	}
	if !accountIDPattern.MatchString(a.AccountID) {
		errs = append(errs, fieldErr("accountId", a.AccountID, "a 12-digit AWS account ID"))
	}
	if !accountIDPattern.MatchString(a.DestinationAccountID) || a.DestinationAccountID == a.AccountID {
		errs = append(errs, fieldErr("destinationAccountId", a.DestinationAccountID, "the Log Archive account's 12-digit ID, not this account's"))
	}
	if a.RetentionDays < 1 || a.RetentionDays > DefaultAccessLogRetentionDays {
		errs = append(errs, fieldErr("retentionDays", a.RetentionDays, "1..%d days", DefaultAccessLogRetentionDays))
	}
	errs = append(errs, validateStackTags("tags", a.Tags))
	return errors.Join(errs...)
}

// AccessLogRelay is the local access-logs bucket and its replication.
type AccessLogRelay struct {
	pulumi.ResourceState
	// BucketName is where the account's S3 buckets log (AccessLogsS3Prefix).
	BucketName string
	// Ready are the bucket's policy and encryption, which logging waits for.
	Ready []pulumi.Resource
}

// NewAccessLogRelay creates the bucket, the replication role and the rule.
func NewAccessLogRelay(ctx *pulumi.Context, name string, args AccessLogRelayArgs, opts ...pulumi.ResourceOption) (*AccessLogRelay, error) {
	if args.RetentionDays == 0 {
		args.RetentionDays = DefaultRelayRetentionDays
	}
	if err := args.Validate(); err != nil {
		return nil, err
	}
	c := &AccessLogRelay{BucketName: args.BucketName}
	if err := ctx.RegisterComponentResource(TypeAccessLogRelay, name, c, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(c)
	stateful := []pulumi.ResourceOption{parent}
	if args.Protect {
		stateful = append(stateful, pulumi.Protect(true), pulumi.RetainOnDelete(true))
	}
	source := fmt.Sprintf("arn:%s:s3:::%s", awsPartition, args.BucketName)
	local, err := newSecureBucket(ctx, bucketSpec{
		child:      name,
		name:       args.BucketName,
		lifecycle:  []s3.BucketLifecycleConfigurationV2RuleArgs{expireRule("s3-access-logs", AccessLogsS3Prefix+"/", args.RetentionDays)},
		statements: []PolicyStatement{s3AccessLogging(source, []string{args.AccountID})},
		tags:       Tags{LogDeliveryTag: "s3-access"},
	}, args.Tags, name, stateful, parent)
	if err != nil {
		return nil, err
	}

	c.Ready = local.ready

	dest := fmt.Sprintf("arn:%s:s3:::%s", awsPartition, args.DestinationBucket)
	role, err := replicationRole(ctx, name, fmt.Sprintf("%s-access-logs-replication", args.Prefix),
		"S3 replication of this account's access logs into the Log Archive", args.AccountID, source,
		pulumi.String(RelayReplicationPolicy(source, dest)), args.Tags, parent)
	if err != nil {
		return nil, err
	}
	if _, err := s3.NewBucketReplicationConfig(ctx, childName(name, "replication"), &s3.BucketReplicationConfigArgs{
		Bucket: local.bucket.ID(),
		Role:   role.Arn,
		Rules: s3.BucketReplicationConfigRuleArray{s3.BucketReplicationConfigRuleArgs{
			Id:                      pulumi.String("log-archive"),
			Status:                  pulumi.String("Enabled"),
			Priority:                pulumi.Int(1),
			Filter:                  &s3.BucketReplicationConfigRuleFilterArgs{Prefix: pulumi.String(AccessLogsS3Prefix + "/")},
			DeleteMarkerReplication: &s3.BucketReplicationConfigRuleDeleteMarkerReplicationArgs{Status: pulumi.String("Disabled")},
			Destination: &s3.BucketReplicationConfigRuleDestinationArgs{
				Bucket:  pulumi.String(dest),
				Account: pulumi.String(args.DestinationAccountID),
				// The archive account owns the replicas (the archive enforces
				// bucket-owner ownership anyway).
				AccessControlTranslation: &s3.BucketReplicationConfigRuleDestinationAccessControlTranslationArgs{Owner: pulumi.String("Destination")},
			},
		}},
	}, parent, pulumi.DependsOn([]pulumi.Resource{local.versioning})); err != nil {
		return nil, err
	}
	if err := ctx.RegisterResourceOutputs(c, pulumi.Map{"bucketName": local.bucket.Bucket}); err != nil {
		return nil, err
	}
	return c, nil
}

// RelayReplicationPolicy lets S3 read the local bucket's new versions and
// replicate them, owned by the destination, into the archive's prefix only.
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/setting-repl-config-perm-overview.html
func RelayReplicationPolicy(source, dest string) string {
	return PolicyJSON(
		PolicyStatement{Sid: "ReadSourceConfig", Effect: "Allow", Action: []string{"s3:GetReplicationConfiguration", "s3:ListBucket"}, Resource: source},
		PolicyStatement{Sid: "ReadSourceVersions", Effect: "Allow", Action: []string{
			"s3:GetObjectVersionForReplication", "s3:GetObjectVersionAcl", "s3:GetObjectVersionTagging",
		}, Resource: source + "/*"},
		PolicyStatement{Sid: "WriteArchive", Effect: "Allow", Action: []string{"s3:ReplicateObject", "s3:ReplicateTags", "s3:ObjectOwnerOverrideToBucketOwner"},
			Resource: dest + "/" + AccessLogsS3Prefix + "/*"},
	)
}

// s3AccessLogging lets S3 server access logging of the given accounts write
// under AccessLogsS3Prefix.
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/enable-server-access-logging.html#grant-log-delivery-permissions-general
func s3AccessLogging(bucketArn string, accounts []string) PolicyStatement {
	return PolicyStatement{
		Sid: "S3ServerAccessLogs", Effect: "Allow", Principal: map[string]any{"Service": servicePrincipal("logging.s3")},
		Action: "s3:PutObject", Resource: fmt.Sprintf("%s/%s/*", bucketArn, AccessLogsS3Prefix),
		Condition: map[string]map[string]any{"StringEquals": {"aws:SourceAccount": accounts}},
	}
}

// relayReplication lets the member accounts' relay roles replicate their
// access logs into the archive's access-logs bucket, each only under its
// prefix and handing ownership to the archive account (cross-account
// replication: the destination bucket policy grants the source's role).
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-walkthrough-2.html
func relayReplication(bucketArn string, accounts []string) []PolicyStatement {
	var roots, roles []string
	for _, a := range accounts {
		roots = append(roots, accountRoot(a))
		roles = append(roles, fmt.Sprintf("arn:%s:iam::%s:role/%s", awsPartition, a, AccessLogReplicationRolePattern))
	}
	byRole := map[string]map[string]any{"ArnLike": {"aws:PrincipalArn": roles}}
	return []PolicyStatement{
		{Sid: "RelayReplicateObjects", Effect: "Allow", Principal: map[string]any{"AWS": roots},
			Action:   []string{"s3:ReplicateObject", "s3:ReplicateTags", "s3:ObjectOwnerOverrideToBucketOwner"},
			Resource: fmt.Sprintf("%s/%s/*", bucketArn, AccessLogsS3Prefix), Condition: byRole},
		{Sid: "RelayReadVersioning", Effect: "Allow", Principal: map[string]any{"AWS": roots},
			Action: "s3:GetBucketVersioning", Resource: bucketArn, Condition: byRole},
	}
}

// replicationRole is the role S3 replicates a relay bucket with: only S3
// acting for this account and that bucket may assume it.
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/setting-repl-config-perm-overview.html
func replicationRole(ctx *pulumi.Context, component, roleName, description, account, source string, policy pulumi.StringInput, tags Tags, parent pulumi.ResourceOption) (*iam.Role, error) {
	trust := PolicyJSON(PolicyStatement{
		Effect: "Allow", Principal: map[string]any{"Service": servicePrincipal("s3")}, Action: "sts:AssumeRole",
		Condition: map[string]map[string]any{"StringEquals": {"aws:SourceAccount": account}, "ArnLike": {"aws:SourceArn": source}},
	})
	child := childName(component, "replication-role")
	return iam.NewRole(ctx, child, &iam.RoleArgs{
		Name:             pulumi.String(roleName),
		Description:      pulumi.String(description),
		AssumeRolePolicy: pulumi.String(trust),
		InlinePolicies:   iam.RoleInlinePolicyArray{iam.RoleInlinePolicyArgs{Name: pulumi.String("replication"), Policy: policy}},
		Tags:             MergeTags(tags, child, Tags{TagComponent: component}),
	}, parent)
}
