package components

import (
	"errors"
	"fmt"
	"regexp"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/kms"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// KeyPurpose names one customer managed key. Each purpose gets its own key so
// that a grant for one kind of data never opens another (seed, Encryption).
type KeyPurpose string

// Key purposes.
const (
	// KeyData encrypts documents and other S3 data.
	KeyData KeyPurpose = "data"
	// KeyDatabase encrypts RDS/Aurora storage and the RDS-managed master secret.
	KeyDatabase KeyPurpose = "database"
	// KeyLogs encrypts CloudWatch log groups and log deliveries (VPC flow logs).
	KeyLogs KeyPurpose = "logs"
	// KeyEBS encrypts EBS volumes (the bastion's root volume).
	KeyEBS KeyPurpose = "ebs"
)

// KeyPurposes lists every purpose, in registration order.
var KeyPurposes = []KeyPurpose{KeyData, KeyDatabase, KeyLogs, KeyEBS}

// Valid reports whether p is one of KeyPurposes.
func (p KeyPurpose) Valid() bool {
	for _, k := range KeyPurposes {
		if p == k {
			return true
		}
	}
	return false
}

// KMS deletion window bounds and default (AWS allows 7..30 days).
const (
	MinKeyDeletionWindowDays     = 7
	MaxKeyDeletionWindowDays     = 30
	DefaultKeyDeletionWindowDays = 30
)

// Key usage actions granted to the services that use a key.
var keyUseActions = []string{"kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"}

var (
	accountIDPattern   = regexp.MustCompile(`^[0-9]{12}$`)
	aliasPrefixPattern = regexp.MustCompile(`^[a-zA-Z0-9/_-]{1,200}$`)
)

// KeysArgs configures the platform's customer managed keys.
type KeysArgs struct {
	// AccountID owns the keys; its root principal administers them. Required: 12 digits.
	AccountID string
	// Region of the keys, used in kms:ViaService and CloudWatch Logs conditions. Required.
	Region string
	// AliasPrefix names aliases "alias/<AliasPrefix>-<purpose>". Required, e.g. "docustack-dev".
	AliasPrefix string
	// Purposes selects the keys to create. Default: KeyPurposes (all).
	Purposes []KeyPurpose
	// DeletionWindowDays is how long a scheduled deletion can be cancelled.
	// Default: 30. Range 7..30.
	DeletionWindowDays int
	// SourceAccounts are the accounts whose log deliveries (flow logs,
	// CloudTrail, Config) may use the logs key: more than one only for the
	// organization's Log Archive. Default: [AccountID].
	SourceAccounts []string
	// AdoptAutoScalingRole: the account already has Auto Scaling's
	// service-linked role (any Auto Scaling group ever created makes it), so
	// the component must not create it. Default: false, the role is created
	// before the EBS key, whose policy names it (KMS refuses a key policy
	// naming a principal that does not exist).
	AdoptAutoScalingRole bool
	// Protect marks the keys pulumi.Protect and RetainOnDelete, so neither
	// `pulumi destroy` nor a refactor can schedule their deletion. Default: false.
	Protect bool
	// Tags are the stack tags. Required: every key of StackTagKeys.
	Tags Tags
}

func (a *KeysArgs) setDefaults() {
	if len(a.Purposes) == 0 {
		a.Purposes = KeyPurposes
	}
	if a.DeletionWindowDays == 0 {
		a.DeletionWindowDays = DefaultKeyDeletionWindowDays
	}
	if len(a.SourceAccounts) == 0 {
		a.SourceAccounts = []string{a.AccountID}
	}
}

// Validate reports every invalid field at once.
func (a KeysArgs) Validate() error {
	a.setDefaults()
	var errs []error
	if !accountIDPattern.MatchString(a.AccountID) {
		errs = append(errs, fieldErr("accountId", a.AccountID, "a 12-digit AWS account ID"))
	}
	if a.Region == "" {
		errs = append(errs, fieldErr("region", a.Region, "an AWS region such as us-east-1"))
	}
	if !aliasPrefixPattern.MatchString(a.AliasPrefix) || len(a.AliasPrefix) > 0 && a.AliasPrefix[0] == '/' {
		errs = append(errs, fieldErr("aliasPrefix", a.AliasPrefix, "1-200 characters of [a-zA-Z0-9/_-]"))
	}
	seen := map[KeyPurpose]bool{}
	for i, p := range a.Purposes {
		if !p.Valid() {
			errs = append(errs, fieldErr(fmt.Sprintf("purposes[%d]", i), string(p), "one of %q", KeyPurposes))
		}
		if seen[p] {
			errs = append(errs, fieldErr(fmt.Sprintf("purposes[%d]", i), string(p), "each purpose once"))
		}
		seen[p] = true
	}
	for i, acct := range a.SourceAccounts {
		if !accountIDPattern.MatchString(acct) {
			errs = append(errs, fieldErr(fmt.Sprintf("sourceAccounts[%d]", i), acct, "a 12-digit AWS account ID"))
		}
	}
	if a.DeletionWindowDays < MinKeyDeletionWindowDays || a.DeletionWindowDays > MaxKeyDeletionWindowDays {
		errs = append(errs, fieldErr("deletionWindowDays", a.DeletionWindowDays, "%d..%d days", MinKeyDeletionWindowDays, MaxKeyDeletionWindowDays))
	}
	errs = append(errs, validateStackTags("tags", a.Tags))
	return errors.Join(errs...)
}

// Keys is the set of customer managed KMS keys, one per purpose.
type Keys struct {
	pulumi.ResourceState

	// Keys by purpose.
	Keys map[KeyPurpose]*kms.Key
	// Arns by purpose.
	Arns map[KeyPurpose]pulumi.StringOutput
}

// Arn returns the ARN of the key for purpose; it panics on a purpose the
// component was not asked to create, which is a programming error.
func (k *Keys) Arn(p KeyPurpose) pulumi.StringOutput {
	arn, ok := k.Arns[p]
	if !ok {
		panic(fmt.Sprintf("keys: no %q key was created", p))
	}
	return arn
}

// NewKeys creates one rotating customer managed key per purpose, with an alias
// and a key policy that grants the account root and only the AWS services
// that use that key.
func NewKeys(ctx *pulumi.Context, name string, args KeysArgs, opts ...pulumi.ResourceOption) (*Keys, error) {
	args.setDefaults()
	if err := args.Validate(); err != nil {
		return nil, err
	}
	c := &Keys{Keys: map[KeyPurpose]*kms.Key{}, Arns: map[KeyPurpose]pulumi.StringOutput{}}
	if err := ctx.RegisterComponentResource(TypeKeys, name, c, opts...); err != nil {
		return nil, err
	}
	stateful := []pulumi.ResourceOption{pulumi.Parent(c)}
	if args.Protect {
		stateful = append(stateful, pulumi.Protect(true), pulumi.RetainOnDelete(true))
	}
	outputs := pulumi.Map{}
	for _, p := range args.Purposes {
		keyName := childName(name, string(p))
		keyOpts := stateful
		if p == KeyEBS && !args.AdoptAutoScalingRole {
			// KMS refuses a key policy naming a principal that does not
			// exist ("Policy contains a statement with one or more invalid
			// principals"), and a fresh account has no AWSServiceRoleForAutoScaling
			// until something creates it. Kept on delete: other groups of the
			// account may use it, and IAM refuses to delete it while they do.
			// https://docs.aws.amazon.com/autoscaling/ec2/userguide/autoscaling-service-linked-role.html
			slr, err := iam.NewServiceLinkedRole(ctx, childName(name, "autoscaling-role"), &iam.ServiceLinkedRoleArgs{
				AwsServiceName: pulumi.String(AutoScalingServicePrincipal),
				Description:    pulumi.String("Auto Scaling's service-linked role, named by the EBS key policy"),
				Tags:           MergeTags(args.Tags, childName(name, "autoscaling-role"), Tags{TagComponent: name}),
			}, pulumi.Parent(c), pulumi.RetainOnDelete(true))
			if err != nil {
				return nil, err
			}
			keyOpts = append(append([]pulumi.ResourceOption{}, stateful...), pulumi.DependsOn([]pulumi.Resource{slr}))
		}
		key, err := kms.NewKey(ctx, keyName, &kms.KeyArgs{
			Description:           pulumi.Sprintf("DocuStack %s key (%s)", p, args.AliasPrefix),
			KeyUsage:              pulumi.String("ENCRYPT_DECRYPT"),
			CustomerMasterKeySpec: pulumi.String("SYMMETRIC_DEFAULT"),
			EnableKeyRotation:     pulumi.Bool(true),
			DeletionWindowInDays:  pulumi.Int(args.DeletionWindowDays),
			Policy:                pulumi.String(KeyPolicy(p, args.AccountID, args.Region, args.SourceAccounts...)),
			Tags:                  MergeTags(args.Tags, keyName, Tags{TagComponent: name, "KeyPurpose": string(p)}),
		}, keyOpts...)
		if err != nil {
			return nil, err
		}
		if _, err := kms.NewAlias(ctx, childName(name, string(p)+"-alias"), &kms.AliasArgs{
			Name:        pulumi.Sprintf("alias/%s-%s", args.AliasPrefix, p),
			TargetKeyId: key.KeyId,
		}, pulumi.Parent(c)); err != nil {
			return nil, err
		}
		c.Keys[p] = key
		c.Arns[p] = key.Arn
		outputs[string(p)+"KeyArn"] = key.Arn
	}
	if err := ctx.RegisterResourceOutputs(c, outputs); err != nil {
		return nil, err
	}
	return c, nil
}

// AutoScalingServicePrincipal is Auto Scaling's service, whose service-linked
// role launches the bastion's instances.
const AutoScalingServicePrincipal = "autoscaling.amazonaws.com"

// AutoScalingRoleArn is the ARN of Auto Scaling's default service-linked
// role, AWSServiceRoleForAutoScaling, in an account.
func AutoScalingRoleArn(accountID string) string {
	return fmt.Sprintf("arn:%s:iam::%s:role/aws-service-role/%s/AWSServiceRoleForAutoScaling", awsPartition, accountID, AutoScalingServicePrincipal)
}

// KeyPolicy returns the key policy of a purpose's key: the account root may
// administer it (so IAM policies apply), and the services that use the key
// may use it only on behalf of this account (or, for log deliveries, of the
// given source accounts).
func KeyPolicy(p KeyPurpose, accountID, region string, sourceAccounts ...string) string {
	if len(sourceAccounts) == 0 {
		sourceAccounts = []string{accountID}
	}
	statements := append([]PolicyStatement{{
		Sid:       "EnableIAMPolicies",
		Effect:    "Allow",
		Principal: map[string]any{"AWS": accountRoot(accountID)},
		Action:    "kms:*",
		Resource:  "*",
	}}, keyServiceStatements(p, accountID, region, sourceAccounts)...)
	return PolicyJSON(statements...)
}

// keyServiceStatements are the service grants of each purpose.
func keyServiceStatements(p KeyPurpose, accountID, region string, sources []string) []PolicyStatement {
	var deliveryArns, trailArns []string
	for _, a := range sources {
		deliveryArns = append(deliveryArns, fmt.Sprintf("arn:%s:logs:%s:%s:*", awsPartition, region, a))
		trailArns = append(trailArns, fmt.Sprintf("arn:%s:cloudtrail:*:%s:trail/*", awsPartition, a))
	}
	service := func(sid, principal string, actions any, cond map[string]map[string]any) PolicyStatement {
		return PolicyStatement{Sid: sid, Effect: "Allow", Principal: map[string]any{"Service": principal}, Action: actions, Resource: "*", Condition: cond}
	}
	viaService := func(sid string, services ...string) PolicyStatement {
		via := make([]string, len(services))
		for i, s := range services {
			via[i] = regionalService(s, region)
		}
		return PolicyStatement{
			Sid:       sid,
			Effect:    "Allow",
			Principal: map[string]any{"AWS": accountRoot(accountID)},
			Action:    keyUseActions,
			Resource:  "*",
			Condition: map[string]map[string]any{
				"StringEquals": {"kms:ViaService": via, "kms:CallerAccount": accountID},
			},
		}
	}
	switch p {
	case KeyData:
		// S3 objects, ECR images and AWS Backup recovery points.
		return []PolicyStatement{viaService("AllowS3Use", "s3", "ecr", "backup")}
	case KeyDatabase:
		// RDS storage and the RDS-managed master user secret.
		return []PolicyStatement{viaService("AllowRDSAndSecretsManagerUse", "rds", "secretsmanager")}
	case KeyEBS:
		// Auto Scaling launches instances with its service-linked role, which
		// must be able to use the key and grant EC2 its use (AWS: "Required
		// KMS key policy for use with encrypted volumes"). The role must exist
		// before the key policy names it (see README, first deploy).
		asg := AutoScalingRoleArn(accountID)
		return []PolicyStatement{
			viaService("AllowEC2Use", "ec2"),
			{Sid: "AllowAutoScalingUse", Effect: "Allow", Principal: map[string]any{"AWS": asg}, Action: keyUseActions, Resource: "*"},
			{Sid: "AllowAutoScalingGrants", Effect: "Allow", Principal: map[string]any{"AWS": asg}, Action: "kms:CreateGrant", Resource: "*",
				Condition: map[string]map[string]any{"Bool": {"kms:GrantIsForAWSResource": true}}},
		}
	case KeyLogs:
		return append([]PolicyStatement{
			service("AllowCloudWatchLogs", regionalService("logs", region), keyUseActions, map[string]map[string]any{
				"ArnLike": {"kms:EncryptionContext:aws:logs:arn": fmt.Sprintf("arn:%s:logs:%s:%s:log-group:*", awsPartition, region, accountID)},
			}),
			// VPC flow logs delivered to the SSE-KMS log archive.
			service("AllowLogDelivery", servicePrincipal("delivery.logs"), keyUseActions, map[string]map[string]any{
				"StringEquals": {"aws:SourceAccount": sources},
				"ArnLike":      {"aws:SourceArn": deliveryArns},
			}),
			// CloudTrail encrypts log files; the context names the trail.
			service("AllowCloudTrailEncrypt", servicePrincipal("cloudtrail"), "kms:GenerateDataKey*", map[string]map[string]any{
				"StringLike": {"kms:EncryptionContext:aws:cloudtrail:arn": trailArns},
			}),
			service("AllowCloudTrailDescribe", servicePrincipal("cloudtrail"), "kms:DescribeKey", nil),
			// AWS Config delivers configuration snapshots and history.
			service("AllowConfigDelivery", servicePrincipal("config"), []string{"kms:GenerateDataKey", "kms:Decrypt"}, map[string]map[string]any{
				"StringEquals": {"aws:SourceAccount": sources},
			}),
			// EventBridge and CloudWatch alarms publish to the encrypted alerts topic.
			{Sid: "AllowAlertPublishers", Effect: "Allow",
				Principal: map[string]any{"Service": []string{servicePrincipal("events"), servicePrincipal("cloudwatch")}},
				Action:    []string{"kms:GenerateDataKey*", "kms:Decrypt"}, Resource: "*",
				Condition: map[string]map[string]any{"StringEquals": {"aws:SourceAccount": accountID}}},
		}, append(recorderRoles(accountID, region, sources), wafRelayKeyUse(accountID, region, sources)...)...)
	}
	return nil
}

// recorderRoles lets the other source accounts' AWS Config recorder roles
// (ConfigRecorderRolePattern) encrypt their deliveries with the key, through
// S3 only. A recorder that delivers with its own role calls KMS as that role,
// not as config.amazonaws.com, so across accounts the key policy must name
// the role's account and the role's identity policy must allow the key
// ("Permissions for the KMS Key", AWS Config Developer Guide).
// https://docs.aws.amazon.com/config/latest/developerguide/s3-kms-key-policy.html
func recorderRoles(accountID, region string, sources []string) []PolicyStatement {
	return otherAccountRolesViaS3("AllowConfigRecorderRoles", ConfigRecorderRolePattern, []string{"kms:GenerateDataKey", "kms:Decrypt"}, accountID, region, sources)
}

// otherAccountRolesViaS3 lets the roles matching pattern in the other
// source accounts use the key for actions, through S3 only.
func otherAccountRolesViaS3(sid, pattern string, actions []string, accountID, region string, sources []string) []PolicyStatement {
	var roots, roles []string
	for _, a := range sources {
		if a != accountID {
			roots = append(roots, accountRoot(a))
			roles = append(roles, fmt.Sprintf("arn:%s:iam::%s:role/%s", awsPartition, a, pattern))
		}
	}
	if len(roots) == 0 {
		return nil
	}
	return []PolicyStatement{{Sid: sid, Effect: "Allow", Principal: map[string]any{"AWS": roots},
		Action: actions, Resource: "*",
		Condition: map[string]map[string]any{
			"StringEquals": {"kms:ViaService": regionalService("s3", region)},
			"ArnLike":      {"aws:PrincipalArn": roles},
		}}}
}
