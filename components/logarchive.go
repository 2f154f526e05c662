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
	DefaultObjectLockDays       = 365
	DefaultObjectLockMode       = ObjectLockGovernance
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
	// FlowLogRetentionDays expires flow logs. Default: 365 (seed). Range 1..3653.
	FlowLogRetentionDays int
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
	if !accountIDPattern.MatchString(a.AccountID) {
		errs = append(errs, fieldErr("accountId", a.AccountID, "a 12-digit AWS account ID"))
	}
	if a.Region == "" {
		errs = append(errs, fieldErr("region", a.Region, "an AWS region such as us-east-1"))
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

// LogArchive is an account-local, write-once log bucket.
type LogArchive struct {
	pulumi.ResourceState

	// Bucket is the archive bucket.
	Bucket *s3.BucketV2
	// BucketArn is known before deployment: the name is deterministic.
	BucketArn string
	// FlowLogDestination is the S3 ARN (with prefix) VPC flow logs go to.
	FlowLogDestination string
}

// NewLogArchive creates the log archive bucket: SSE-KMS with the logs CMK,
// versioned, Object Lock, public access blocked, bucket owner enforced,
// TLS-only, and lifecycle rules per the seed's Audit Logging table.
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
	c := &LogArchive{BucketArn: arn, FlowLogDestination: arn + "/" + FlowLogPrefix + "/"}
	if err := ctx.RegisterComponentResource(TypeLogArchive, name, c, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(c)
	stateful := []pulumi.ResourceOption{parent}
	if args.Protect {
		stateful = append(stateful, pulumi.Protect(true), pulumi.RetainOnDelete(true))
	}

	bucketName := childName(name, "bucket")
	bucket, err := s3.NewBucketV2(ctx, bucketName, &s3.BucketV2Args{
		Bucket:            pulumi.String(args.BucketName),
		ObjectLockEnabled: pulumi.Bool(true),
		Tags:              MergeTags(args.Tags, bucketName, Tags{TagComponent: name}),
	}, stateful...)
	if err != nil {
		return nil, err
	}
	c.Bucket = bucket
	// Children of the bucket depend on it through their `bucket` input, which
	// is how policy checks correlate them.
	steps := []func() error{
		func() error {
			_, err := s3.NewBucketPublicAccessBlock(ctx, childName(name, "public-access-block"), &s3.BucketPublicAccessBlockArgs{
				Bucket:                bucket.ID(),
				BlockPublicAcls:       pulumi.Bool(true),
				BlockPublicPolicy:     pulumi.Bool(true),
				IgnorePublicAcls:      pulumi.Bool(true),
				RestrictPublicBuckets: pulumi.Bool(true),
			}, parent)
			return err
		},
		func() error {
			_, err := s3.NewBucketOwnershipControls(ctx, childName(name, "ownership"), &s3.BucketOwnershipControlsArgs{
				Bucket: bucket.ID(),
				Rule:   &s3.BucketOwnershipControlsRuleArgs{ObjectOwnership: pulumi.String("BucketOwnerEnforced")},
			}, parent)
			return err
		},
		func() error {
			_, err := s3.NewBucketVersioningV2(ctx, childName(name, "versioning"), &s3.BucketVersioningV2Args{
				Bucket:                  bucket.ID(),
				VersioningConfiguration: &s3.BucketVersioningV2VersioningConfigurationArgs{Status: pulumi.String("Enabled")},
			}, parent)
			return err
		},
		func() error {
			_, err := s3.NewBucketServerSideEncryptionConfigurationV2(ctx, childName(name, "encryption"), &s3.BucketServerSideEncryptionConfigurationV2Args{
				Bucket: bucket.ID(),
				Rules: s3.BucketServerSideEncryptionConfigurationV2RuleArray{&s3.BucketServerSideEncryptionConfigurationV2RuleArgs{
					ApplyServerSideEncryptionByDefault: &s3.BucketServerSideEncryptionConfigurationV2RuleApplyServerSideEncryptionByDefaultArgs{
						SseAlgorithm:   pulumi.String("aws:kms"),
						KmsMasterKeyId: args.KMSKeyArn,
					},
					BucketKeyEnabled: pulumi.Bool(true),
				}},
			}, parent)
			return err
		},
		func() error {
			_, err := s3.NewBucketObjectLockConfigurationV2(ctx, childName(name, "object-lock"), &s3.BucketObjectLockConfigurationV2Args{
				Bucket: bucket.ID(),
				Rule: &s3.BucketObjectLockConfigurationV2RuleArgs{
					DefaultRetention: &s3.BucketObjectLockConfigurationV2RuleDefaultRetentionArgs{
						Mode: pulumi.String(string(args.ObjectLockMode)),
						Days: pulumi.Int(args.ObjectLockDays),
					},
				},
			}, parent)
			return err
		},
		func() error {
			_, err := s3.NewBucketLifecycleConfigurationV2(ctx, childName(name, "lifecycle"), &s3.BucketLifecycleConfigurationV2Args{
				Bucket: bucket.ID(),
				Rules: s3.BucketLifecycleConfigurationV2RuleArray{
					&s3.BucketLifecycleConfigurationV2RuleArgs{
						Id:     pulumi.String("vpc-flow-logs"),
						Status: pulumi.String("Enabled"),
						Filter: &s3.BucketLifecycleConfigurationV2RuleFilterArgs{Prefix: pulumi.String(FlowLogPrefix + "/")},
						Expiration: &s3.BucketLifecycleConfigurationV2RuleExpirationArgs{
							Days: pulumi.Int(args.FlowLogRetentionDays),
						},
						NoncurrentVersionExpiration: &s3.BucketLifecycleConfigurationV2RuleNoncurrentVersionExpirationArgs{
							NoncurrentDays: pulumi.Int(noncurrentExpiryDays),
						},
					},
					&s3.BucketLifecycleConfigurationV2RuleArgs{
						Id:     pulumi.String("abort-incomplete-uploads"),
						Status: pulumi.String("Enabled"),
						Filter: &s3.BucketLifecycleConfigurationV2RuleFilterArgs{},
						AbortIncompleteMultipartUpload: &s3.BucketLifecycleConfigurationV2RuleAbortIncompleteMultipartUploadArgs{
							DaysAfterInitiation: pulumi.Int(abortMultipartDays),
						},
					},
				},
			}, parent)
			return err
		},
		func() error {
			_, err := s3.NewBucketPolicy(ctx, childName(name, "policy"), &s3.BucketPolicyArgs{
				Bucket: bucket.ID(),
				Policy: pulumi.String(logArchivePolicy(arn, args.AccountID, args.Region)),
			}, parent)
			return err
		},
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return nil, err
		}
	}
	if err := ctx.RegisterResourceOutputs(c, pulumi.Map{
		"bucketName":         bucket.Bucket,
		"bucketArn":          pulumi.String(arn),
		"flowLogDestination": pulumi.String(c.FlowLogDestination),
	}); err != nil {
		return nil, err
	}
	return c, nil
}

// logArchivePolicy is TLS-only and lets only this account's log delivery
// service write flow logs under FlowLogPrefix.
func logArchivePolicy(bucketArn, accountID, region string) string {
	source := map[string]map[string]any{
		"StringEquals": {"aws:SourceAccount": accountID},
		"ArnLike":      {"aws:SourceArn": fmt.Sprintf("arn:%s:logs:%s:%s:*", awsPartition, region, accountID)},
	}
	return policyJSON(
		denyInsecureTransport(bucketArn),
		denyOldTLS(bucketArn),
		PolicyStatement{
			Sid:       "AWSLogDeliveryWrite",
			Effect:    "Allow",
			Principal: map[string]any{"Service": servicePrincipal("delivery.logs")},
			Action:    "s3:PutObject",
			Resource:  fmt.Sprintf("%s/%s/AWSLogs/%s/*", bucketArn, FlowLogPrefix, accountID),
			Condition: source,
		},
		PolicyStatement{
			Sid:       "AWSLogDeliveryAclCheck",
			Effect:    "Allow",
			Principal: map[string]any{"Service": servicePrincipal("delivery.logs")},
			Action:    []string{"s3:GetBucketAcl", "s3:ListBucket"},
			Resource:  bucketArn,
			Condition: source,
		},
	)
}
