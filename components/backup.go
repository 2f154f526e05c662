package components

import (
	"errors"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/backup"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Vault lock modes. Compliance mode is permanent once its grace period ends:
// nobody, root included, can delete recovery points early or remove the lock.
const (
	VaultLockGovernance = "governance"
	VaultLockCompliance = "compliance"
	// vaultLockGraceDays is how long a compliance lock can still be removed.
	vaultLockGraceDays = 3
	// vaultMaxRetentionDays caps what a plan may keep (a year of recovery points).
	vaultMaxRetentionDays = 365
	// HourlySchedule meets the seed's RPO of 1 hour.
	HourlySchedule       = "cron(0 * ? * * *)"
	backupManagedPolicy  = "arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup"
	restoreManagedPolicy = "arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForRestores"
)

// BackupArgs configures AWS Backup for the database.
type BackupArgs struct {
	// Prefix names the vaults and plan. Required.
	Prefix string
	// RetentionDays of recovery points here and in the DR copy. Default: 7
	// (seed: 7 days, 35 in prod). Range 7..365.
	RetentionDays int
	// LockMode is "governance" or "compliance" (prod). Default: governance.
	LockMode string
	// Resources are the ARNs backed up (the database). Required.
	Resources []pulumi.StringInput
	// KMSKeyArn and DRKMSKeyArn encrypt the vault and its DR copy. Required.
	KMSKeyArn, DRKMSKeyArn pulumi.StringInput
	// DRProvider creates the DR vault. Required.
	DRProvider pulumi.ProviderResource
	// Protect marks the vaults pulumi.Protect and RetainOnDelete. Default: false.
	Protect bool
	// Tags are the stack tags. Required: every key of StackTagKeys.
	Tags Tags
}

func (a *BackupArgs) setDefaults() {
	if a.RetentionDays == 0 {
		a.RetentionDays = MinBackupRetentionDays
	}
	if a.LockMode == "" {
		a.LockMode = VaultLockGovernance
	}
}

// Validate reports every invalid field at once.
func (a BackupArgs) Validate() error {
	a.setDefaults()
	var errs []error
	if !dbIdentifierPattern.MatchString(a.Prefix) {
		errs = append(errs, fieldErr("prefix", a.Prefix, "[a-z0-9-]"))
	}
	if a.RetentionDays < MinBackupRetentionDays || a.RetentionDays > vaultMaxRetentionDays {
		errs = append(errs, fieldErr("retentionDays", a.RetentionDays, "%d..%d days", MinBackupRetentionDays, vaultMaxRetentionDays))
	}
	if a.LockMode != VaultLockGovernance && a.LockMode != VaultLockCompliance {
		errs = append(errs, fieldErr("lockMode", a.LockMode, "%q or %q", VaultLockGovernance, VaultLockCompliance))
	}
	errs = append(errs, validateStackTags("tags", a.Tags))
	return errors.Join(errs...)
}

// Backup is the vault, its DR copy and the hourly plan.
type Backup struct {
	pulumi.ResourceState

	VaultArn, DRVaultArn pulumi.StringOutput
}

// NewBackup creates a KMS-encrypted vault with a vault lock (compliance mode
// in prod) and its counterpart in the DR region, and an hourly plan with
// continuous backup (point-in-time recovery, RPO 1 hour) that copies every
// recovery point to the DR vault, both kept RetentionDays.
func NewBackup(ctx *pulumi.Context, name string, args BackupArgs, opts ...pulumi.ResourceOption) (*Backup, error) {
	args.setDefaults()
	err := args.Validate()
	for f, missing := range InOrder(map[string]bool{"kmsKeyArn": args.KMSKeyArn == nil, "drKmsKeyArn": args.DRKMSKeyArn == nil,
		"drProvider": args.DRProvider == nil, "resources": len(args.Resources) == 0}) {
		if missing {
			err = errors.Join(err, fieldErr(f, "", "a value from another component"))
		}
	}
	if err != nil {
		return nil, err
	}
	b := &Backup{}
	if err := ctx.RegisterComponentResource(TypeBackup, name, b, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(b)
	stateful := []pulumi.ResourceOption{parent}
	if args.Protect {
		stateful = append(stateful, pulumi.Protect(true), pulumi.RetainOnDelete(true))
	}
	tags := func(child string) pulumi.StringMap { return MergeTags(args.Tags, child, Tags{TagComponent: name}) }

	vault := func(child, vaultName string, key pulumi.StringInput, extra ...pulumi.ResourceOption) (*backup.Vault, error) {
		v, err := backup.NewVault(ctx, childName(name, child), &backup.VaultArgs{
			Name: pulumi.String(vaultName), KmsKeyArn: key, Tags: tags(childName(name, child)),
		}, append(append([]pulumi.ResourceOption{}, stateful...), extra...)...)
		if err != nil {
			return nil, err
		}
		lock := &backup.VaultLockConfigurationArgs{
			BackupVaultName:  v.Name,
			MinRetentionDays: pulumi.Int(MinBackupRetentionDays),
			MaxRetentionDays: pulumi.Int(vaultMaxRetentionDays),
		}
		if args.LockMode == VaultLockCompliance {
			lock.ChangeableForDays = pulumi.Int(vaultLockGraceDays)
		}
		_, err = backup.NewVaultLockConfiguration(ctx, childName(name, child+"-lock"), lock, append([]pulumi.ResourceOption{parent}, extra...)...)
		return v, err
	}
	primary, err := vault("vault", args.Prefix, args.KMSKeyArn)
	if err != nil {
		return nil, err
	}
	dr, err := vault("dr-vault", args.Prefix+"-dr", args.DRKMSKeyArn, pulumi.Provider(args.DRProvider))
	if err != nil {
		return nil, err
	}
	b.VaultArn, b.DRVaultArn = primary.Arn, dr.Arn

	roleName := childName(name, "role")
	role, err := iam.NewRole(ctx, roleName, &iam.RoleArgs{
		Description: pulumi.String("AWS Backup: back up and restore the database"),
		AssumeRolePolicy: pulumi.String(PolicyJSON(PolicyStatement{
			Effect: "Allow", Principal: map[string]any{"Service": servicePrincipal("backup")}, Action: "sts:AssumeRole",
		})),
		Tags: tags(roleName),
	}, parent)
	if err != nil {
		return nil, err
	}
	for i, policy := range []string{backupManagedPolicy, restoreManagedPolicy} {
		if _, err := iam.NewRolePolicyAttachment(ctx, childName(name, "role-policy", i), &iam.RolePolicyAttachmentArgs{
			Role: role.Name, PolicyArn: pulumi.String(policy),
		}, parent); err != nil {
			return nil, err
		}
	}
	planName := childName(name, "plan")
	plan, err := backup.NewPlan(ctx, planName, &backup.PlanArgs{
		Name: pulumi.String(args.Prefix),
		Rules: backup.PlanRuleArray{backup.PlanRuleArgs{
			RuleName:               pulumi.String("hourly"),
			TargetVaultName:        primary.Name,
			Schedule:               pulumi.String(HourlySchedule),
			StartWindow:            pulumi.Int(60),
			CompletionWindow:       pulumi.Int(180),
			EnableContinuousBackup: pulumi.Bool(true),
			Lifecycle:              &backup.PlanRuleLifecycleArgs{DeleteAfter: pulumi.Int(args.RetentionDays)},
			CopyActions: backup.PlanRuleCopyActionArray{backup.PlanRuleCopyActionArgs{
				DestinationVaultArn: dr.Arn,
				Lifecycle:           &backup.PlanRuleCopyActionLifecycleArgs{DeleteAfter: pulumi.Int(args.RetentionDays)},
			}},
			RecoveryPointTags: tags(planName),
		}},
		Tags: tags(planName),
	}, parent)
	if err != nil {
		return nil, err
	}
	resources := pulumi.StringArray{}
	for _, r := range args.Resources {
		resources = append(resources, r)
	}
	if _, err := backup.NewSelection(ctx, childName(name, "selection"), &backup.SelectionArgs{
		Name: pulumi.String(args.Prefix + "-database"), PlanId: plan.ID(), IamRoleArn: role.Arn, Resources: resources,
	}, parent); err != nil {
		return nil, err
	}
	if err := ctx.RegisterResourceOutputs(b, pulumi.Map{"vaultArn": primary.Arn, "drVaultArn": dr.Arn}); err != nil {
		return nil, err
	}
	return b, nil
}
