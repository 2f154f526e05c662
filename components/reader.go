package components

import (
	"errors"
	"fmt"
	"regexp"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// A pull-request preview or a drift check of the org stack must read what
// the stack created in the Log Archive account, but the role the stack
// deploys with there (OrganizationAccountAccessRole) administers the
// account: a preview that could assume it would make every pull request an
// administrator of the archive. The reader is the preview's own role in
// that account: it reads configuration (Get/List/Describe of S3, KMS and
// IAM, what the provider's refresh calls) and never log content.

var roleArnPattern = regexp.MustCompile(`^arn:aws:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]+$`)

// LogArchiveReaderRoleName is the reader's name in the Log Archive account.
const LogArchiveReaderRoleName = "docustack-log-archive-ci-preview"

// ReaderArgs configures a read-only role in another account.
type ReaderArgs struct {
	// Name is the role's name. Required.
	Name string
	// AccountID owns the role. Required: 12 digits.
	AccountID string
	// TrustedRoleArns may assume it (the CI preview and drift roles of the
	// management account). Required, each a role ARN of another account.
	TrustedRoleArns []string
	// Tags are the stack tags. Required.
	Tags Tags
}

// Validate reports every invalid field at once.
func (a ReaderArgs) Validate() error {
	var errs []error
	if !githubName.MatchString(a.Name) {
		errs = append(errs, fieldErr("name", a.Name, "an IAM role name"))
	}
	if !accountIDPattern.MatchString(a.AccountID) {
		errs = append(errs, fieldErr("accountId", a.AccountID, "a 12-digit AWS account ID"))
	}
	if len(a.TrustedRoleArns) == 0 {
		errs = append(errs, fieldErr("trustedRoleArns", a.TrustedRoleArns, "the roles that may read"))
	}
	for i, r := range a.TrustedRoleArns {
		if !roleArnPattern.MatchString(r) {
			errs = append(errs, fieldErr(fmt.Sprintf("trustedRoleArns[%d]", i), r, "a role ARN (arn:aws:iam::<account>:role/<name>)"))
		}
	}
	errs = append(errs, validateStackTags("tags", a.Tags))
	return errors.Join(errs...)
}

// Reader is the read-only role.
type Reader struct {
	pulumi.ResourceState
	// Arn is known before deployment: the name is fixed.
	Arn string
}

// NewReader creates the role. dependsOn are the trusted roles' resources:
// IAM refuses a trust policy naming a role that does not exist yet.
func NewReader(ctx *pulumi.Context, name string, args ReaderArgs, dependsOn []pulumi.Resource, opts ...pulumi.ResourceOption) (*Reader, error) {
	if err := args.Validate(); err != nil {
		return nil, err
	}
	c := &Reader{Arn: fmt.Sprintf("arn:%s:iam::%s:role/%s", awsPartition, args.AccountID, args.Name)}
	if err := ctx.RegisterComponentResource(TypeReader, name, c, opts...); err != nil {
		return nil, err
	}
	child := childName(name, "role")
	if _, err := iam.NewRole(ctx, child, &iam.RoleArgs{
		Name:               pulumi.String(args.Name),
		Description:        pulumi.String("CI previews and drift checks of the org stack: reads configuration, never log content"),
		AssumeRolePolicy:   pulumi.String(ReaderTrustPolicy(args.TrustedRoleArns)),
		MaxSessionDuration: pulumi.Int(roleSessionSeconds),
		InlinePolicies:     iam.RoleInlinePolicyArray{iam.RoleInlinePolicyArgs{Name: pulumi.String("read-configuration"), Policy: pulumi.String(ReaderPolicy())}},
		Tags:               MergeTags(args.Tags, child, Tags{TagComponent: name}),
	}, pulumi.Parent(c), pulumi.DependsOn(dependsOn)); err != nil {
		return nil, err
	}
	if err := ctx.RegisterResourceOutputs(c, pulumi.Map{"arn": pulumi.String(c.Arn)}); err != nil {
		return nil, err
	}
	return c, nil
}

// ReaderTrustPolicy admits exactly the given roles (by ARN: a role of
// another account is a valid principal only once it exists).
func ReaderTrustPolicy(roles []string) string {
	return PolicyJSON(PolicyStatement{Effect: "Allow", Principal: map[string]any{"AWS": roles}, Action: "sts:AssumeRole"})
}

// ReaderPolicy reads the configuration of buckets, keys and roles, and
// refuses every object read: log content is never a preview's business.
func ReaderPolicy() string {
	return PolicyJSON(
		PolicyStatement{Sid: "ReadConfiguration", Effect: "Allow", Action: []string{
			"s3:GetBucket*", "s3:GetEncryptionConfiguration", "s3:GetLifecycleConfiguration", "s3:GetReplicationConfiguration",
			"s3:GetAccelerateConfiguration", "s3:GetAnalyticsConfiguration", "s3:GetIntelligentTieringConfiguration",
			"s3:GetInventoryConfiguration", "s3:GetMetricsConfiguration", "s3:ListBucket", "s3:ListAllMyBuckets",
			"kms:DescribeKey", "kms:GetKeyPolicy", "kms:GetKeyRotationStatus", "kms:ListAliases", "kms:ListResourceTags",
			"iam:GetRole", "iam:GetRolePolicy", "iam:ListRolePolicies", "iam:ListAttachedRolePolicies", "iam:ListRoleTags",
		}, Resource: "*"},
		PolicyStatement{Sid: "NoLogContent", Effect: "Deny", Action: []string{"s3:GetObject", "s3:GetObjectVersion", "s3:GetObjectAttributes", "kms:Decrypt"}, Resource: "*"},
	)
}
