package platform

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/docustack/infrastructure/components"
)

var kmsKeyArnPattern = regexp.MustCompile(`^arn:aws:kms:[a-z0-9-]+:[0-9]{12}:key/[0-9a-f-]+$`)

// archive is where a workload stack's logs go: the organization's Log
// Archive (the seed's design, the default) or a standalone one.
type archive struct {
	auditBucket, accessBucket string
	// s3LogsBucket is where the account's S3 server access logs go: the
	// standalone archive's access-logs bucket, or the local relay that
	// replicates into the organization's.
	s3LogsBucket string
	// configBucket is AWS Config's (no Object Lock).
	configBucket       string
	kmsKeyArn          pulumi.StringInput
	flowLogDestination string
	// after are what log deliveries must wait for (the bucket policy).
	after []pulumi.Resource
	// s3LogsAfter are what S3 server access logging must wait for.
	s3LogsAfter []pulumi.Resource
	// wafLogsAfter are what WAF logging waits for: the account's WAF log
	// bucket (replicating into the organization's archive, or the standalone
	// archive's own), named components.WAFLogBucketName.
	wafLogsAfter []pulumi.Resource
}

// usesOrgArchive reports whether the stack delivers to the organization's Log Archive.
func (c *Config) usesOrgArchive() bool { return !c.LogArchive.Standalone }

// accessLogsBucket is where ALB access logs go (ELB delivers across accounts).
func (c *Config) accessLogsBucket() string {
	if c.usesOrgArchive() {
		return c.LogArchive.AccessLogsBucketName
	}
	return c.AccessLogsBucketName()
}

// s3AccessLogsBucket is where S3 server access logs go: always a bucket of
// this account (S3 refuses a target in another account).
func (c *Config) s3AccessLogsBucket() string { return c.AccessLogsBucketName() }

// validateArchive: the organization's archive needs its four names and its
// account; a standalone one takes none of them, and only it takes the
// retention settings (the org stack sets the organization archive's).
func (c *Config) validateArchive() []error {
	l := c.LogArchive
	named := map[string]string{"bucketName": l.BucketName, "accessLogsBucketName": l.AccessLogsBucketName,
		"configBucketName": l.ConfigBucketName, "wafLogsBucketName": l.WAFLogsBucketName, "kmsKeyArn": l.KMSKeyArn, "accountId": l.AccountID}
	var errs []error
	if l.Standalone {
		for k, v := range components.InOrder(named) {
			if v != "" {
				errs = append(errs, bad(KeyLogArchive+"."+k, v, "unset with standalone: true (a standalone archive is named after this account)"))
			}
		}
		return errs
	}
	for k, v := range components.InOrder(named) {
		if v == "" {
			errs = append(errs, bad(KeyLogArchive+"."+k, v, "the org stack's value (pulumi stack output --stack org; see docs/deployment.md), or standalone: true for an account outside the organization"))
		}
	}
	if l.KMSKeyArn != "" && !kmsKeyArnPattern.MatchString(l.KMSKeyArn) {
		errs = append(errs, bad(KeyLogArchive+".kmsKeyArn", l.KMSKeyArn, "the Log Archive key's ARN"))
	}
	if l.AccountID != "" && (!accountIDRegexp.MatchString(l.AccountID) || l.AccountID == c.AccountID) {
		errs = append(errs, bad(KeyLogArchive+".accountId", l.AccountID, "the Log Archive account's 12-digit ID, not this account's"))
	}
	if l.KMSKeyArn != "" && l.AccountID != "" && !strings.Contains(l.KMSKeyArn, ":"+l.AccountID+":") {
		errs = append(errs, bad(KeyLogArchive+".kmsKeyArn", l.KMSKeyArn, "a key of the Log Archive account %s", l.AccountID))
	}
	for _, f := range []struct {
		key string
		set bool
		v   any
	}{{"flowLogRetentionDays", l.FlowLogRetentionDays != 0, l.FlowLogRetentionDays}, {"objectLockDays", l.ObjectLockDays != 0, l.ObjectLockDays},
		{"objectLockMode", l.ObjectLockMode != "", l.ObjectLockMode}} {
		if f.set {
			errs = append(errs, bad(KeyLogArchive+"."+f.key, f.v, "unset: the org stack sets the organization archive's retention (or standalone: true)"))
		}
	}
	return errs
}

// newArchive returns the stack's archive: the organization's, with the
// local relay for S3 access logs, or a standalone one.
func newArchive(ctx *pulumi.Context, cfg *Config, logsKey pulumi.StringOutput, opts []pulumi.ResourceOption) (*archive, error) {
	if cfg.usesOrgArchive() {
		l := cfg.LogArchive
		relay, err := components.NewAccessLogRelay(ctx, "access-log-relay", components.AccessLogRelayArgs{
			Prefix: cfg.prefix(), BucketName: cfg.s3AccessLogsBucket(), AccountID: cfg.AccountID,
			DestinationBucket: l.AccessLogsBucketName, DestinationAccountID: l.AccountID,
			Protect: cfg.ProtectStatefulResources, Tags: cfg.StackTags(),
		}, opts...)
		if err != nil {
			return nil, err
		}
		wafArgs := cfg.wafLogsArgs(logsKey, l.WAFLogsBucketName, l.AccountID, l.KMSKeyArn)
		wafArgs.AccessLogsBucket, wafArgs.AccessLogsAfter = relay.BucketName, relay.Ready
		waf, err := components.NewWAFLogs(ctx, "waf-logs", wafArgs, opts...)
		if err != nil {
			return nil, err
		}
		return &archive{
			auditBucket: l.BucketName, accessBucket: l.AccessLogsBucketName, s3LogsBucket: relay.BucketName, s3LogsAfter: relay.Ready,
			configBucket: l.ConfigBucketName, kmsKeyArn: pulumi.String(l.KMSKeyArn),
			flowLogDestination: fmt.Sprintf("arn:aws:s3:::%s/%s/", l.BucketName, components.FlowLogPrefix),
			wafLogsAfter:       waf.Ready,
		}, nil
	}
	local, err := components.NewLogArchive(ctx, "log-archive", cfg.logArchiveArgs(logsKey), opts...)
	if err != nil {
		return nil, err
	}
	wafArgs := cfg.wafLogsArgs(logsKey, "", "", "")
	wafArgs.AccessLogsBucket, wafArgs.AccessLogsAfter = cfg.AccessLogsBucketName(), local.Ready
	waf, err := components.NewWAFLogs(ctx, "waf-logs", wafArgs, opts...)
	if err != nil {
		return nil, err
	}
	return &archive{
		auditBucket: cfg.LogArchiveBucketName(), accessBucket: cfg.AccessLogsBucketName(), s3LogsBucket: cfg.AccessLogsBucketName(),
		configBucket: cfg.ConfigBucketName(), kmsKeyArn: logsKey,
		flowLogDestination: local.FlowLogDestination, after: local.Ready, s3LogsAfter: local.Ready,
		wafLogsAfter: waf.Ready,
	}, nil
}

// wafLogsArgs: the account's WAF log bucket, replicating into the
// organization archive's WAF bucket (destination empty: standalone).
func (c *Config) wafLogsArgs(logsKey pulumi.StringInput, destination, destinationAccount, destinationKey string) components.WAFLogsArgs {
	return components.WAFLogsArgs{
		Prefix: c.prefix(), AccountID: c.AccountID, Region: c.Region, KMSKeyArn: logsKey,
		DestinationBucket: destination, DestinationAccountID: destinationAccount, DestinationKMSKeyArn: destinationKey,
		Protect: c.ProtectStatefulResources, Tags: c.StackTags(),
	}
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
		AlertEmails:      c.Compliance.AlertEmails, SecurityContact: c.Compliance.SecurityContact, KMSKeyArn: key,
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
