package platform

import (
	"fmt"
	"regexp"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/docustack/infrastructure/components"
)

var accountIDRegexp = regexp.MustCompile(`^[0-9]{12}$`)

// organizationIDRegexp is the form of an organization ID (Organizations API
// reference, Organization.Id).
// https://docs.aws.amazon.com/organizations/latest/APIReference/API_Organization.html
var organizationIDRegexp = regexp.MustCompile(`^o-[a-z0-9]{10,32}$`)

// OrganizationIDOutput is the org stack's output verify reads the
// organization's ID from.
const OrganizationIDOutput = "organizationId"

// MemberAccountsOutput lists the organization's member accounts: the Log
// Archive account and the workload accounts.
const MemberAccountsOutput = "memberAccountIds"

// DefaultLogArchiveRole is the role Organizations creates in member accounts.
const DefaultLogArchiveRole = "OrganizationAccountAccessRole"

func (c *Config) validateOrg() []error {
	var errs []error
	errs = append(errs, components.RenameFields(c.guardrailsArgs().Validate(), c.configKeyOf(KeyOrg)))
	if !organizationIDRegexp.MatchString(c.Org.OrganizationID) {
		errs = append(errs, bad(KeyOrg+".organizationId", c.Org.OrganizationID, "the organization's ID, o- and 10 to 32 lowercase letters or digits"))
	}
	for i, a := range c.Org.MemberAccountIDs {
		if !accountIDRegexp.MatchString(a) {
			errs = append(errs, bad(fmt.Sprintf("%s.memberAccountIds[%d]", KeyOrg, i), a, "a 12-digit AWS account ID"))
		}
	}
	if len(c.Org.MemberAccountIDs) == 0 {
		errs = append(errs, bad(KeyOrg+".memberAccountIds", c.Org.MemberAccountIDs, "the workload accounts whose logs the Log Archive takes"))
	}
	return errs
}

func (c *Config) guardrailsArgs() components.GuardrailsArgs {
	return components.GuardrailsArgs{
		AllowedRegion: AllowedRegion, DRRegion: c.DRRegion,
		RootID: c.Org.RootID, WorkloadsOUID: c.Org.WorkloadsOUID, LogArchiveAccountID: c.Org.LogArchiveAccountID,
		DeployRolePattern: components.DeployRolePattern, LogArchiveAdminRoleArns: []string{c.logArchiveRole()},
		Tags: c.StackTags(),
	}
}

// LogArchiveProfile is the AWS shared-config profile the org stack's Log
// Archive provider uses. Its provider inputs stay the same for a preview, a
// drift check and a deploy, so none of them shows the provider changing;
// what the profile assumes is the caller's: `docustack aws-profile` writes
// it for CI, the reader role for previews and drift checks, the
// administrative role (org.logArchiveRoleName) for deploys.
const LogArchiveProfile = "docustack-log-archive"

// LogArchiveRolesOutput names the roles the Log Archive profile assumes, by
// use ("deploy", "preview"); docustack verify and aws-profile read it.
const LogArchiveRolesOutput = "logArchiveRoles"

// ciRoleArn is the stack's CI role of a kind.
func ciRoleArn(c *Config, kind string) string {
	return fmt.Sprintf("arn:aws:iam::%s:role/%s", c.AccountID, components.CIRoleName(string(c.Environment), kind))
}

func (c *Config) logArchiveReaderRole() string {
	return fmt.Sprintf("arn:aws:iam::%s:role/%s", c.Org.LogArchiveAccountID, components.LogArchiveReaderRoleName)
}

// logArchiveRole is the role deploys assume in the Log Archive account.
func (c *Config) logArchiveRole() string {
	name := c.Org.LogArchiveRoleName
	if name == "" {
		name = DefaultLogArchiveRole
	}
	return fmt.Sprintf("arn:aws:iam::%s:role/%s", c.Org.LogArchiveAccountID, name)
}

// orgLogSources are the accounts whose logs the organization archive takes.
func (c *Config) orgLogSources() []string {
	return append([]string{c.AccountID}, c.Org.MemberAccountIDs...)
}

// organization builds the management account: SCPs, the Log Archive
// account's buckets (through a provider that assumes a role there) and the
// organization trail.
func organization(ctx *pulumi.Context, cfg *Config, keys *components.Keys, gh *components.GitHubOIDC, opts []pulumi.ResourceOption) error {
	logAccount := cfg.Org.LogArchiveAccountID
	provider, err := aws.NewProvider(ctx, "aws-log-archive", &aws.ProviderArgs{
		Region:            pulumi.String(cfg.Region),
		AllowedAccountIds: pulumi.StringArray{pulumi.String(logAccount)},
		Profile:           pulumi.String(LogArchiveProfile),
	})
	if err != nil {
		return err
	}
	archiveOpts := []pulumi.ResourceOption{pulumi.Providers(provider)}
	archiveKeys, err := components.NewKeys(ctx, "log-archive-keys", components.KeysArgs{
		AccountID: logAccount, Region: cfg.Region, AliasPrefix: "docustack-log-archive",
		Purposes: []components.KeyPurpose{components.KeyLogs}, SourceAccounts: cfg.orgLogSources(),
		DeletionWindowDays: cfg.KMSDeletionWindowDays, Protect: true, Tags: cfg.StackTags(),
	}, archiveOpts...)
	if err != nil {
		return err
	}
	bucket := fmt.Sprintf("docustack-org-log-archive-%s", logAccount)
	access := fmt.Sprintf("docustack-org-access-logs-%s", logAccount)
	configBucket := fmt.Sprintf("docustack-org-config-%s", logAccount)
	wafBucket := fmt.Sprintf("docustack-org-waf-logs-%s", logAccount)
	logArchive, err := components.NewLogArchive(ctx, "log-archive", components.LogArchiveArgs{
		BucketName: bucket, AccessLogsBucketName: access, ConfigBucketName: configBucket, WAFLogsBucketName: wafBucket, AccountID: logAccount, Region: cfg.Region,
		SourceAccounts: cfg.orgLogSources(), KMSKeyArn: archiveKeys.Arn(components.KeyLogs),
		ObjectLockMode: components.ObjectLockCompliance, Protect: true, Tags: cfg.StackTags(),
	}, archiveOpts...)
	if err != nil {
		return err
	}
	// The SCPs come after the archive they protect, whose retention they freeze.
	gArgs := cfg.guardrailsArgs()
	gArgs.LogArchiveReady = logArchive.Configured
	if _, err := components.NewGuardrails(ctx, "guardrails", gArgs, opts...); err != nil {
		return err
	}
	// The previews' and drift checks' reader, trusted by the management
	// account's preview and drift roles once they exist.
	if _, err := components.NewReader(ctx, "log-archive-reader", components.ReaderArgs{
		Name: components.LogArchiveReaderRoleName, AccountID: logAccount, Tags: cfg.StackTags(),
		TrustedRoleArns: []string{ciRoleArn(cfg, "preview"), ciRoleArn(cfg, "drift")},
	}, gh.Roles, archiveOpts...); err != nil {
		return err
	}
	ctx.Export(LogArchiveRolesOutput, pulumi.StringMap{"deploy": pulumi.String(cfg.logArchiveRole()), "preview": pulumi.String(cfg.logArchiveReaderRole())})
	ctx.Export(OrganizationIDOutput, pulumi.String(cfg.Org.OrganizationID))
	ctx.Export(MemberAccountsOutput, pulumi.ToStringArray(append([]string{logAccount}, cfg.Org.MemberAccountIDs...)))
	ctx.Export("logArchiveBucket", pulumi.String(bucket))
	ctx.Export("accessLogsBucket", pulumi.String(access))
	ctx.Export("configBucket", pulumi.String(configBucket))
	ctx.Export("wafLogsBucket", pulumi.String(wafBucket))
	ctx.Export("logArchiveKmsKeyArn", archiveKeys.Arn(components.KeyLogs))

	// Alarms of the organization trail go to a topic in the management account.
	detection, err := components.NewDetection(ctx, "detection", cfg.detectionArgs(keys.Arn(components.KeyLogs)), opts...)
	if err != nil {
		return err
	}
	orgArchive := &archive{auditBucket: bucket, kmsKeyArn: archiveKeys.Arn(components.KeyLogs), after: logArchive.Ready}
	trailArgs := cfg.trailArgs(orgArchive,
		keys.Arn(components.KeyLogs), detection.TopicArn)
	if _, err := components.NewTrail(ctx, "trail", trailArgs, opts...); err != nil {
		return err
	}
	return nil
}
