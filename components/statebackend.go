package components

import (
	"errors"
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/kms"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/s3"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// StateVersionsKept is how many superseded versions of each state file stay
// (seed, Backup Strategy: Terraform State, S3 versioning, 30 versions).
const StateVersionsKept = 30

// StateBackendArgs configures one account's Pulumi state backend.
type StateBackendArgs struct {
	// BucketName of the state bucket. Required.
	BucketName string
	// KeyAliasPrefix names the secrets-provider key "alias/<prefix>-pulumi-secrets"
	// (and the bucket key). Required.
	KeyAliasPrefix string
	// AccountID and Region of the backend. Required.
	AccountID, Region string
	// Tags are the stack tags. Required: every key of StackTagKeys.
	Tags Tags
}

// Validate reports every invalid field at once.
func (a StateBackendArgs) Validate() error {
	var errs []error
	if !bucketNamePattern.MatchString(a.BucketName) {
		errs = append(errs, fieldErr("bucketName", a.BucketName, "3-63 characters of [a-z0-9.-]"))
	}
	if !aliasPrefixPattern.MatchString(a.KeyAliasPrefix) {
		errs = append(errs, fieldErr("keyAliasPrefix", a.KeyAliasPrefix, "[a-zA-Z0-9/_-]"))
	}
	if !accountIDPattern.MatchString(a.AccountID) {
		errs = append(errs, fieldErr("accountId", a.AccountID, "a 12-digit AWS account ID"))
	}
	if a.Region == "" {
		errs = append(errs, fieldErr("region", a.Region, "an AWS region"))
	}
	errs = append(errs, validateStackTags("tags", a.Tags))
	return errors.Join(errs...)
}

// StateBackend is the state bucket and the secrets-provider key.
type StateBackend struct {
	pulumi.ResourceState

	// LoginURL is what `pulumi login` takes.
	LoginURL string
	// SecretsProvider is what `pulumi stack init --secrets-provider` takes.
	SecretsProvider string
	// KeyArn of the secrets-provider key.
	KeyArn pulumi.StringOutput
}

// NewStateBackend creates the KMS key of the awskms:// secrets provider
// (rotating, protected) and the state bucket: versioned with 30 superseded
// versions kept, SSE-KMS with that key, public access blocked, TLS-only.
// Pulumi's DIY backend locks stacks itself; no lock table is needed.
func NewStateBackend(ctx *pulumi.Context, name string, args StateBackendArgs, opts ...pulumi.ResourceOption) (*StateBackend, error) {
	if err := args.Validate(); err != nil {
		return nil, err
	}
	alias := fmt.Sprintf("alias/%s-pulumi-secrets", args.KeyAliasPrefix)
	sb := &StateBackend{
		// The organization's SCP denies s3:PutObject without an SSE header, and
		// Pulumi's DIY backend sends one only when the URL asks: go-cloud's
		// s3blob (the version the pinned CLI builds with) reads ssetype and
		// kmskeyid from the query (gocloud.dev/blob/s3blob URLOpener).
		LoginURL:        fmt.Sprintf("s3://%s?region=%s&ssetype=aws:kms&kmskeyid=%s", args.BucketName, args.Region, alias),
		SecretsProvider: fmt.Sprintf("awskms://%s?region=%s", alias, args.Region),
	}
	if err := ctx.RegisterComponentResource(TypeStateBackend, name, sb, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(sb)
	// The Pulumi CLI encrypts stack secrets with it (through IAM, under the
	// root statement) and S3 encrypts the state objects.
	keyName := childName(name, "key")
	key, err := kms.NewKey(ctx, keyName, &kms.KeyArgs{
		Description:          pulumi.Sprintf("Pulumi secrets provider and state bucket (%s)", args.BucketName),
		EnableKeyRotation:    pulumi.Bool(true),
		DeletionWindowInDays: pulumi.Int(MaxKeyDeletionWindowDays),
		Policy:               pulumi.String(KeyPolicy(KeyData, args.AccountID, args.Region)),
		Tags:                 MergeTags(args.Tags, keyName, Tags{TagComponent: name}),
	}, parent, pulumi.Protect(true), pulumi.RetainOnDelete(true))
	if err != nil {
		return nil, err
	}
	if _, err := kms.NewAlias(ctx, keyName+"-alias", &kms.AliasArgs{Name: pulumi.String(alias), TargetKeyId: key.KeyId}, parent); err != nil {
		return nil, err
	}
	sb.KeyArn = key.Arn
	if _, err := newSecureBucket(ctx, bucketSpec{
		child: name, name: args.BucketName, kmsKeyArn: sb.KeyArn,
		lifecycle: []s3.BucketLifecycleConfigurationV2RuleArgs{{
			Id: pulumi.String("keep-30-versions"), Status: pulumi.String("Enabled"),
			Filter: &s3.BucketLifecycleConfigurationV2RuleFilterArgs{},
			NoncurrentVersionExpiration: &s3.BucketLifecycleConfigurationV2RuleNoncurrentVersionExpirationArgs{
				NewerNoncurrentVersions: pulumi.Int(StateVersionsKept), NoncurrentDays: pulumi.Int(1),
			},
		}},
	}, args.Tags, name, []pulumi.ResourceOption{parent, pulumi.Protect(true), pulumi.RetainOnDelete(true)}, parent); err != nil {
		return nil, err
	}
	if err := ctx.RegisterResourceOutputs(sb, pulumi.Map{
		"loginUrl": pulumi.String(sb.LoginURL), "secretsProvider": pulumi.String(sb.SecretsProvider), "keyArn": sb.KeyArn,
	}); err != nil {
		return nil, err
	}
	return sb, nil
}
