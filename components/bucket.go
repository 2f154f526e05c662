package components

import (
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/s3"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// bucketSpec describes a bucket with DocuStack's baseline: public access
// blocked, bucket owner enforced, versioned, encrypted, TLS-only policy.
type bucketSpec struct {
	// child is the logical name prefix ("log-archive" → "log-archive-bucket", ...).
	child string
	// name is the physical bucket name.
	name string
	// kmsKeyArn selects SSE-KMS with bucket keys; nil selects SSE-S3
	// (required by ALB access logs and S3 server access logs).
	kmsKeyArn pulumi.StringInput
	// objectLock, when set, turns on Object Lock with this default retention.
	objectLock *objectLock
	// lifecycle rules beyond the abort-incomplete-uploads rule every bucket gets.
	lifecycle []s3.BucketLifecycleConfigurationV2RuleArgs
	// statements are added to the TLS-only statements of the bucket policy.
	statements []PolicyStatement
	// tags beyond the stack tags (Purpose, LogDelivery).
	tags Tags
}

type objectLock struct {
	mode ObjectLockMode
	days int
}

// bucketResult is what newSecureBucket created.
type bucketResult struct {
	bucket     *s3.BucketV2
	versioning *s3.BucketVersioningV2
	// ready are what writers must wait for: the policy and encryption.
	ready []pulumi.Resource
	// retention are the lifecycle and Object Lock configurations (what the
	// Log Archive SCP freezes once set).
	retention []pulumi.Resource
	arn       string
}

// newSecureBucket creates the bucket and its split configuration resources
// (pulumi-aws v6 shapes; policies correlate them through the bucket input).
func newSecureBucket(ctx *pulumi.Context, spec bucketSpec, stackTags Tags, component string, bucketOpts []pulumi.ResourceOption, opts ...pulumi.ResourceOption) (*bucketResult, error) {
	arn := "arn:" + awsPartition + ":s3:::" + spec.name
	bucketName := spec.child + "-bucket"
	b, err := s3.NewBucketV2(ctx, bucketName, &s3.BucketV2Args{
		Bucket:            pulumi.String(spec.name),
		ObjectLockEnabled: pulumi.Bool(spec.objectLock != nil),
		Tags:              MergeTags(stackTags, bucketName, Tags{TagComponent: component}, spec.tags),
	}, bucketOpts...)
	if err != nil {
		return nil, err
	}
	res := &bucketResult{bucket: b, arn: arn}
	if _, err := s3.NewBucketPublicAccessBlock(ctx, spec.child+"-public-access-block", &s3.BucketPublicAccessBlockArgs{
		Bucket: b.ID(), BlockPublicAcls: pulumi.Bool(true), BlockPublicPolicy: pulumi.Bool(true),
		IgnorePublicAcls: pulumi.Bool(true), RestrictPublicBuckets: pulumi.Bool(true),
	}, opts...); err != nil {
		return nil, err
	}
	if _, err := s3.NewBucketOwnershipControls(ctx, spec.child+"-ownership", &s3.BucketOwnershipControlsArgs{
		Bucket: b.ID(), Rule: &s3.BucketOwnershipControlsRuleArgs{ObjectOwnership: pulumi.String("BucketOwnerEnforced")},
	}, opts...); err != nil {
		return nil, err
	}
	if res.versioning, err = s3.NewBucketVersioningV2(ctx, spec.child+"-versioning", &s3.BucketVersioningV2Args{
		Bucket:                  b.ID(),
		VersioningConfiguration: &s3.BucketVersioningV2VersioningConfigurationArgs{Status: pulumi.String("Enabled")},
	}, opts...); err != nil {
		return nil, err
	}
	sse := &s3.BucketServerSideEncryptionConfigurationV2RuleApplyServerSideEncryptionByDefaultArgs{SseAlgorithm: pulumi.String("AES256")}
	var bucketKey pulumi.BoolPtrInput
	if spec.kmsKeyArn != nil {
		sse = &s3.BucketServerSideEncryptionConfigurationV2RuleApplyServerSideEncryptionByDefaultArgs{
			SseAlgorithm: pulumi.String("aws:kms"), KmsMasterKeyId: spec.kmsKeyArn,
		}
		bucketKey = pulumi.Bool(true) // fewer KMS calls, lower cost
	}
	enc, err := s3.NewBucketServerSideEncryptionConfigurationV2(ctx, spec.child+"-encryption", &s3.BucketServerSideEncryptionConfigurationV2Args{
		Bucket: b.ID(),
		Rules: s3.BucketServerSideEncryptionConfigurationV2RuleArray{&s3.BucketServerSideEncryptionConfigurationV2RuleArgs{
			ApplyServerSideEncryptionByDefault: sse, BucketKeyEnabled: bucketKey,
		}},
	}, opts...)
	if err != nil {
		return nil, err
	}
	if spec.objectLock != nil {
		lock, err := s3.NewBucketObjectLockConfigurationV2(ctx, spec.child+"-object-lock", &s3.BucketObjectLockConfigurationV2Args{
			Bucket: b.ID(),
			Rule: &s3.BucketObjectLockConfigurationV2RuleArgs{DefaultRetention: &s3.BucketObjectLockConfigurationV2RuleDefaultRetentionArgs{
				Mode: pulumi.String(string(spec.objectLock.mode)), Days: pulumi.Int(spec.objectLock.days),
			}},
		}, append(opts, pulumi.DependsOn([]pulumi.Resource{res.versioning}))...)
		if err != nil {
			return nil, err
		}
		res.retention = append(res.retention, lock)
	}
	rules := s3.BucketLifecycleConfigurationV2RuleArray{}
	for _, r := range spec.lifecycle {
		rules = append(rules, r)
	}
	rules = append(rules, s3.BucketLifecycleConfigurationV2RuleArgs{
		Id: pulumi.String("abort-incomplete-uploads"), Status: pulumi.String("Enabled"),
		Filter:                         &s3.BucketLifecycleConfigurationV2RuleFilterArgs{},
		AbortIncompleteMultipartUpload: &s3.BucketLifecycleConfigurationV2RuleAbortIncompleteMultipartUploadArgs{DaysAfterInitiation: pulumi.Int(abortMultipartDays)},
	})
	lifecycle, err := s3.NewBucketLifecycleConfigurationV2(ctx, spec.child+"-lifecycle", &s3.BucketLifecycleConfigurationV2Args{
		Bucket: b.ID(), Rules: rules,
	}, append(opts, pulumi.DependsOn([]pulumi.Resource{res.versioning}))...)
	if err != nil {
		return nil, err
	}
	res.retention = append(res.retention, lifecycle)
	statements := append([]PolicyStatement{denyInsecureTransport(arn), denyOldTLS(arn)}, spec.statements...)
	policy, err := s3.NewBucketPolicy(ctx, spec.child+"-policy", &s3.BucketPolicyArgs{
		Bucket: b.ID(), Policy: pulumi.String(PolicyJSON(statements...)),
	}, opts...)
	if err != nil {
		return nil, err
	}
	res.ready = []pulumi.Resource{policy, enc}
	return res, nil
}

// expireRule expires objects under prefix after days, and their superseded
// versions a day later.
func expireRule(id, prefix string, days int) s3.BucketLifecycleConfigurationV2RuleArgs {
	return s3.BucketLifecycleConfigurationV2RuleArgs{
		Id:                          pulumi.String(id),
		Status:                      pulumi.String("Enabled"),
		Filter:                      &s3.BucketLifecycleConfigurationV2RuleFilterArgs{Prefix: pulumi.String(prefix)},
		Expiration:                  &s3.BucketLifecycleConfigurationV2RuleExpirationArgs{Days: pulumi.Int(days)},
		NoncurrentVersionExpiration: &s3.BucketLifecycleConfigurationV2RuleNoncurrentVersionExpirationArgs{NoncurrentDays: pulumi.Int(noncurrentExpiryDays)},
	}
}
