package platform

import (
	"fmt"
	"regexp"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/docustack/infrastructure/components"
)

var kmsKeyArnPattern = regexp.MustCompile(`^arn:aws:kms:[a-z0-9-]+:[0-9]{12}:key/[0-9a-f-]+$`)

// archive is where a workload stack's logs go: the organization's Log
// Archive (from configuration) or an account-local one.
type archive struct {
	auditBucket, accessBucket string
	// configBucket is AWS Config's (no Object Lock).
	configBucket       string
	kmsKeyArn          pulumi.StringInput
	flowLogDestination string
	// after are what log deliveries must wait for (the bucket policy).
	after []pulumi.Resource
}

// usesOrgArchive reports whether the stack delivers to the organization's Log Archive.
func (c *Config) usesOrgArchive() bool { return c.LogArchive.BucketName != "" }

// accessLogsBucket is where ALB and S3 access logs go.
func (c *Config) accessLogsBucket() string {
	if c.usesOrgArchive() {
		return c.LogArchive.AccessLogsBucketName
	}
	return c.AccessLogsBucketName()
}

// validateArchive checks the org-archive keys: all three or none.
func (c *Config) validateArchive() []error {
	l := c.LogArchive
	set := 0
	for _, v := range []string{l.BucketName, l.AccessLogsBucketName, l.ConfigBucketName, l.KMSKeyArn} {
		if v != "" {
			set++
		}
	}
	var errs []error
	if set != 0 && set != 4 {
		errs = append(errs, bad(KeyLogArchive, fmt.Sprintf("%d of bucketName, accessLogsBucketName, configBucketName, kmsKeyArn", set),
			"all four (the org stack's outputs) or none (an account-local archive)"))
	}
	if l.KMSKeyArn != "" && !kmsKeyArnPattern.MatchString(l.KMSKeyArn) {
		errs = append(errs, bad(KeyLogArchive+".kmsKeyArn", l.KMSKeyArn, "the Log Archive key's ARN"))
	}
	return errs
}

// newArchive returns the stack's archive, creating the local one if needed.
func newArchive(ctx *pulumi.Context, cfg *Config, logsKey pulumi.StringOutput, opts []pulumi.ResourceOption) (*archive, error) {
	if cfg.usesOrgArchive() {
		l := cfg.LogArchive
		return &archive{
			auditBucket: l.BucketName, accessBucket: l.AccessLogsBucketName, configBucket: l.ConfigBucketName, kmsKeyArn: pulumi.String(l.KMSKeyArn),
			flowLogDestination: fmt.Sprintf("arn:aws:s3:::%s/%s/", l.BucketName, components.FlowLogPrefix),
		}, nil
	}
	local, err := components.NewLogArchive(ctx, "log-archive", cfg.logArchiveArgs(logsKey), opts...)
	if err != nil {
		return nil, err
	}
	return &archive{
		auditBucket: cfg.LogArchiveBucketName(), accessBucket: cfg.AccessLogsBucketName(), configBucket: cfg.ConfigBucketName(), kmsKeyArn: logsKey,
		flowLogDestination: local.FlowLogDestination, after: local.Ready,
	}, nil
}

// compliance builds the audit and detection layer of a workload account:
// AWS Config, alerting, GuardDuty, Security Hub, CloudTrail, and backups.
func compliance(ctx *pulumi.Context, cfg *Config, keys *components.Keys, drKeys *components.Keys, dr pulumi.ProviderResource,
	arch *archive, db *components.Database, documentsBucket string, opts []pulumi.ResourceOption) (alertsTopic pulumi.StringOutput, err error) {
	logsKey := keys.Arn(components.KeyLogs)
	if _, err := components.NewCompliance(ctx, "config", cfg.complianceArgs(arch), opts...); err != nil {
		return alertsTopic, err
	}
	detection, err := components.NewDetection(ctx, "detection", cfg.detectionArgs(logsKey), opts...)
	if err != nil {
		return alertsTopic, err
	}
	ctx.Export("alertsTopicArn", detection.TopicArn)
	trailArgs := cfg.trailArgs(arch, logsKey, detection.TopicArn)
	trailArgs.DataEventBuckets = []string{documentsBucket}
	if _, err := components.NewTrail(ctx, "trail", trailArgs, opts...); err != nil {
		return alertsTopic, err
	}
	backupArgs := cfg.backupArgs()
	backupArgs.Resources = []pulumi.StringInput{db.Arn}
	backupArgs.KMSKeyArn, backupArgs.DRKMSKeyArn, backupArgs.DRProvider = keys.Arn(components.KeyData), drKeys.Arn(components.KeyData), dr
	b, err := components.NewBackup(ctx, "backup", backupArgs, opts...)
	if err != nil {
		return alertsTopic, err
	}
	ctx.Export("backupVaultArn", b.VaultArn)
	return detection.TopicArn, nil
}

func (c *Config) complianceArgs(arch *archive) components.ComplianceArgs {
	a := components.ComplianceArgs{
		Prefix: c.prefix(), AdoptRecorder: c.Compliance.AdoptConfigRecorder, RecordingFrequency: c.Compliance.RecordingFrequency,
		Region: c.Region, AccountID: c.AccountID, Tags: c.StackTags(),
	}
	if arch != nil {
		a.DeliveryBucket, a.DeliveryKMSKeyArn, a.FlowLogDestination, a.After = arch.configBucket, arch.kmsKeyArn, arch.flowLogDestination, arch.after
		a.TrailBucket = arch.auditBucket
	} else {
		a.DeliveryBucket, a.TrailBucket = c.ConfigBucketName(), c.LogArchiveBucketName()
	}
	return a
}

func (c *Config) detectionArgs(key pulumi.StringInput) components.DetectionArgs {
	return components.DetectionArgs{
		Prefix: c.prefix(), AdoptGuardDuty: c.Compliance.AdoptGuardDuty || c.Environment == Org,
		AdoptSecurityHub: c.Compliance.AdoptSecurityHub || c.Environment == Org,
		AlertEmails:      c.Compliance.AlertEmails, KMSKeyArn: key,
		AccountID: c.AccountID, Region: c.Region, Tags: c.StackTags(),
	}
}

func (c *Config) trailArgs(arch *archive, logsKey, topic pulumi.StringInput) components.TrailArgs {
	a := components.TrailArgs{
		Name: c.prefix(), Organization: c.Environment == Org, LogsKMSKeyArn: logsKey, AlarmTopicArn: topic, Tags: c.StackTags(),
		Protect: c.ProtectStatefulResources,
	}
	if arch != nil {
		a.BucketName, a.KMSKeyArn, a.After = arch.auditBucket, arch.kmsKeyArn, arch.after
	} else {
		a.BucketName = c.LogArchiveBucketName()
	}
	return a
}

func (c *Config) backupArgs() components.BackupArgs {
	lock := components.VaultLockGovernance
	if c.Environment == Prod {
		lock = components.VaultLockCompliance
	}
	return components.BackupArgs{
		Prefix: c.prefix(), RetentionDays: c.Database.BackupRetentionDays, LockMode: lock,
		Protect: c.ProtectStatefulResources, Tags: c.StackTags(),
	}
}
