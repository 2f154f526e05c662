package components

import (
	"errors"
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/s3"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// PurposeDocuments tags buckets that hold customer documents (PHI); the
// policy pack requires replication and access logging for them.
const PurposeDocuments = "documents"

// DocumentsArgs configures the documents bucket and its DR replica.
type DocumentsArgs struct {
	// BucketName and ReplicaBucketName are the physical names. Required, distinct.
	BucketName, ReplicaBucketName string
	// AccountID owns both buckets. Required.
	AccountID string
	// Region and DRRegion hold the bucket and its replica. Required, distinct.
	Region, DRRegion string
	// KMSKeyArn is the data CMK; ReplicaKMSKeyArn its counterpart in DRRegion. Required.
	KMSKeyArn, ReplicaKMSKeyArn pulumi.StringInput
	// DRProvider creates resources in DRRegion. Required.
	DRProvider pulumi.ProviderResource
	// AccessLogsBucket receives server access logs under "s3-access/". Required.
	AccessLogsBucket string
	// AccessLogsAfter are what logging must wait for (the target bucket's
	// policy): S3 refuses a target bucket that does not exist yet.
	AccessLogsAfter []pulumi.Resource
	// Protect marks both buckets pulumi.Protect and RetainOnDelete. Default: false.
	Protect bool
	// Tags are the stack tags. Required: every key of StackTagKeys.
	Tags Tags
}

// Validate reports every invalid field at once.
func (a DocumentsArgs) Validate() error {
	var errs []error
	for f, v := range InOrder(map[string]string{"bucketName": a.BucketName, "replicaBucketName": a.ReplicaBucketName, "accessLogsBucket": a.AccessLogsBucket}) {
		if !bucketNamePattern.MatchString(v) {
			errs = append(errs, fieldErr(f, v, "3-63 characters of [a-z0-9.-]"))
		}
	}
	if a.BucketName == a.ReplicaBucketName {
		errs = append(errs, fieldErr("replicaBucketName", a.ReplicaBucketName, "a name other than bucketName"))
	}
	if !accountIDPattern.MatchString(a.AccountID) {
		errs = append(errs, fieldErr("accountId", a.AccountID, "a 12-digit AWS account ID"))
	}
	if a.Region == "" || a.DRRegion == "" || a.Region == a.DRRegion {
		errs = append(errs, fieldErr("drRegion", a.DRRegion, "an AWS region other than %q", a.Region))
	}
	errs = append(errs, validateStackTags("tags", a.Tags))
	return errors.Join(errs...)
}

// Documents is the bucket of customer documents and its cross-region replica.
type Documents struct {
	pulumi.ResourceState

	Bucket     *s3.BucketV2
	BucketArn  string
	Replica    *s3.BucketV2
	ReplicaArn string
}

// NewDocuments creates the documents bucket (SSE-KMS with the data CMK and
// bucket keys, versioned, public access blocked, TLS-only, server access logs
// to the log archive, superseded versions kept indefinitely per the seed) and
// replicates every object to a bucket in the DR region encrypted with the
// replica key (seed Backup Strategy: cross-region replication, continuous).
func NewDocuments(ctx *pulumi.Context, name string, args DocumentsArgs, opts ...pulumi.ResourceOption) (*Documents, error) {
	err := args.Validate()
	for f, missing := range InOrder(map[string]bool{"kmsKeyArn": args.KMSKeyArn == nil, "replicaKmsKeyArn": args.ReplicaKMSKeyArn == nil, "drProvider": args.DRProvider == nil}) {
		if missing {
			err = errors.Join(err, fieldErr(f, "", "a value from the keys component or platform"))
		}
	}
	if err != nil {
		return nil, err
	}
	d := &Documents{
		BucketArn:  fmt.Sprintf("arn:%s:s3:::%s", awsPartition, args.BucketName),
		ReplicaArn: fmt.Sprintf("arn:%s:s3:::%s", awsPartition, args.ReplicaBucketName),
	}
	if err := ctx.RegisterComponentResource(TypeDocuments, name, d, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(d)
	stateful := []pulumi.ResourceOption{parent}
	if args.Protect {
		stateful = append(stateful, pulumi.Protect(true), pulumi.RetainOnDelete(true))
	}
	purpose := Tags{"Purpose": PurposeDocuments}

	primary, err := newSecureBucket(ctx, bucketSpec{child: name, name: args.BucketName, kmsKeyArn: args.KMSKeyArn, tags: purpose},
		args.Tags, name, stateful, parent)
	if err != nil {
		return nil, err
	}
	d.Bucket = primary.bucket
	if _, err := s3.NewBucketLoggingV2(ctx, childName(name, "access-logging"), &s3.BucketLoggingV2Args{
		Bucket:       primary.bucket.ID(),
		TargetBucket: pulumi.String(args.AccessLogsBucket),
		TargetPrefix: pulumi.Sprintf("%s/%s/", AccessLogsS3Prefix, args.BucketName),
	}, parent, pulumi.DependsOn(args.AccessLogsAfter)); err != nil {
		return nil, err
	}

	dr := pulumi.Provider(args.DRProvider)
	replica, err := newSecureBucket(ctx, bucketSpec{child: name + "-replica", name: args.ReplicaBucketName, kmsKeyArn: args.ReplicaKMSKeyArn,
		tags: Tags{"Purpose": "documents-replica"}}, args.Tags, name, append(stateful, dr), parent, dr)
	if err != nil {
		return nil, err
	}
	d.Replica = replica.bucket

	trust := PolicyJSON(PolicyStatement{
		Effect: "Allow", Principal: map[string]any{"Service": servicePrincipal("s3")}, Action: "sts:AssumeRole",
		Condition: map[string]map[string]any{"StringEquals": {"aws:SourceAccount": args.AccountID}},
	})
	policy := pulumi.All(args.KMSKeyArn, args.ReplicaKMSKeyArn).ApplyT(func(v []any) string {
		return ReplicationPolicy(d.BucketArn, d.ReplicaArn, v[0].(string), v[1].(string), args.Region, args.DRRegion)
	}).(pulumi.StringOutput)
	roleName := childName(name, "replication-role")
	role, err := iam.NewRole(ctx, roleName, &iam.RoleArgs{
		Description:      pulumi.String("S3 replication of the documents bucket to the DR region"),
		AssumeRolePolicy: pulumi.String(trust),
		InlinePolicies:   iam.RoleInlinePolicyArray{iam.RoleInlinePolicyArgs{Name: pulumi.String("replication"), Policy: policy}},
		Tags:             MergeTags(args.Tags, roleName, Tags{TagComponent: name}),
	}, parent)
	if err != nil {
		return nil, err
	}
	if _, err := s3.NewBucketReplicationConfig(ctx, childName(name, "replication"), &s3.BucketReplicationConfigArgs{
		Bucket: primary.bucket.ID(),
		Role:   role.Arn,
		Rules: s3.BucketReplicationConfigRuleArray{s3.BucketReplicationConfigRuleArgs{
			Id:                      pulumi.String("dr-region"),
			Status:                  pulumi.String("Enabled"),
			Priority:                pulumi.Int(1),
			Filter:                  &s3.BucketReplicationConfigRuleFilterArgs{},
			DeleteMarkerReplication: &s3.BucketReplicationConfigRuleDeleteMarkerReplicationArgs{Status: pulumi.String("Enabled")},
			SourceSelectionCriteria: &s3.BucketReplicationConfigRuleSourceSelectionCriteriaArgs{
				SseKmsEncryptedObjects: &s3.BucketReplicationConfigRuleSourceSelectionCriteriaSseKmsEncryptedObjectsArgs{Status: pulumi.String("Enabled")},
			},
			Destination: &s3.BucketReplicationConfigRuleDestinationArgs{
				Bucket:                  pulumi.String(d.ReplicaArn),
				EncryptionConfiguration: &s3.BucketReplicationConfigRuleDestinationEncryptionConfigurationArgs{ReplicaKmsKeyId: args.ReplicaKMSKeyArn},
			},
		}},
	}, parent, pulumi.DependsOn([]pulumi.Resource{primary.versioning, replica.versioning})); err != nil {
		return nil, err
	}
	if err := ctx.RegisterResourceOutputs(d, pulumi.Map{
		"bucketName": primary.bucket.Bucket, "replicaBucketName": replica.bucket.Bucket,
	}); err != nil {
		return nil, err
	}
	return d, nil
}

// ReplicationPolicy lets S3 read new versions of the source bucket and write
// them, re-encrypted with the replica key, to the replica bucket only.
func ReplicationPolicy(source, replica, sourceKey, replicaKey, region, drRegion string) string {
	return PolicyJSON(
		PolicyStatement{Sid: "ReadSourceConfig", Effect: "Allow", Action: []string{"s3:GetReplicationConfiguration", "s3:ListBucket"}, Resource: source},
		PolicyStatement{Sid: "ReadSourceVersions", Effect: "Allow", Action: []string{
			"s3:GetObjectVersionForReplication", "s3:GetObjectVersionAcl", "s3:GetObjectVersionTagging",
		}, Resource: source + "/*"},
		PolicyStatement{Sid: "WriteReplica", Effect: "Allow", Action: []string{"s3:ReplicateObject", "s3:ReplicateDelete", "s3:ReplicateTags"}, Resource: replica + "/*"},
		PolicyStatement{Sid: "DecryptSource", Effect: "Allow", Action: "kms:Decrypt", Resource: sourceKey,
			Condition: map[string]map[string]any{"StringLike": {"kms:ViaService": regionalService("s3", region)}}},
		PolicyStatement{Sid: "EncryptReplica", Effect: "Allow", Action: []string{"kms:Encrypt", "kms:GenerateDataKey"}, Resource: replicaKey,
			Condition: map[string]map[string]any{"StringLike": {"kms:ViaService": regionalService("s3", drRegion)}}},
	)
}
