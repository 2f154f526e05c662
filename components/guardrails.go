package components

import (
	"errors"
	"fmt"
	"regexp"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/organizations"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// SCP names (seed, Service Control Policies table).
const (
	SCPRegionRestriction    = "region-restriction"
	SCPS3EncryptionRequired = "s3-encryption-required"
	SCPCloudTrailProtection = "cloudtrail-protection"
	SCPLogArchiveProtection = "log-archive-protection"
	SCPDenyPublicS3         = "deny-public-s3"
)

// Global services, exempt from the region restriction: their endpoints live
// in us-east-1 or nowhere in particular, whatever region a call names.
var globalServiceActions = []string{
	"account:*", "artifact:*", "aws-portal:*", "billing:*", "budgets:*", "ce:*", "cloudfront:*", "globalaccelerator:*",
	"health:*", "iam:*", "organizations:*", "pricing:*", "route53:*", "route53domains:*", "shield:*", "sts:*",
	"support:*", "tag:*", "trustedadvisor:*", "waf:*",
}

// drRegionActions are what the DR region may be used for: replicas (S3 and
// their keys) and backup copies. A copy of an RDS recovery point is an RDS
// snapshot that AWS Backup's role copies, tags and later deletes with RDS
// calls made in the destination Region
// (https://docs.aws.amazon.com/aws-backup/latest/devguide/cross-region-backup.html,
// https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_CopySnapshot.html).
var drRegionActions = []string{"s3:*", "kms:*", "backup:*", "backup-storage:*",
	"rds:CopyDBSnapshot", "rds:AddTagsToResource", "rds:ListTagsForResource", "rds:DescribeDBSnapshots",
	"rds:DeleteDBSnapshot", "rds:ModifyDBSnapshotAttribute"}

var (
	ouPattern   = regexp.MustCompile(`^ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}$`)
	rootPattern = regexp.MustCompile(`^r-[0-9a-z]{4,32}$`)
)

// GuardrailsArgs configures the organization's service control policies.
type GuardrailsArgs struct {
	// AllowedRegion is where workloads run; DRRegion holds replicas and backup copies. Required.
	AllowedRegion, DRRegion string
	// RootID targets the all-accounts SCPs (region, CloudTrail). Required: r-...
	RootID string
	// WorkloadsOUID targets the workload SCPs (S3 encryption, no public S3). Required: ou-...
	WorkloadsOUID string
	// LogArchiveAccountID targets the log archive protection. Required.
	LogArchiveAccountID string
	// DeployRolePattern is the CI deploy roles' ARN pattern, exempt where a
	// deploy must change what the SCP otherwise freezes (trails, public
	// access blocks). Required.
	DeployRolePattern string
	// ExemptRolePatterns are exempt with the deploy roles: the break-glass
	// role a human deploys with before the CI roles exist, and the
	// organization's account-access role the org stack configures member
	// accounts through. SCPs bind every principal of a member account,
	// including the one deploying the stack (AWS: "SCPs affect all users and
	// roles in attached accounts, including the root user"). Default:
	// BreakGlassRolePattern and OrganizationAccessRolePattern.
	ExemptRolePatterns []string
	// LogArchiveAdminRoleArns may change the Log Archive buckets' retention
	// (lifecycle, Object Lock configuration): the role the org stack deploys
	// them with. Nobody may delete log objects or bypass retention. Required.
	LogArchiveAdminRoleArns []string
	// LogArchiveReady is what the Log Archive SCP's attachment waits for: the
	// archive's buckets fully configured. Optional.
	LogArchiveReady []pulumi.Resource
	// Tags are the stack tags. Required: every key of StackTagKeys.
	Tags Tags
}

// Roles exempt from the freezing SCPs besides the CI deploy roles.
const (
	// BreakGlassRolePattern is the break-glass role of every account, the
	// first deploy's bootstrap role (docs/deployment.md).
	BreakGlassRolePattern = "arn:aws:iam::*:role/docustack-break-glass"
	// OrganizationAccessRolePattern is the role AWS Organizations creates in
	// every member account for the management account.
	OrganizationAccessRolePattern = "arn:aws:iam::*:role/OrganizationAccountAccessRole"
)

// Validate reports every invalid field at once.
func (a GuardrailsArgs) Validate() error {
	var errs []error
	if a.AllowedRegion == "" || a.DRRegion == "" || a.AllowedRegion == a.DRRegion {
		errs = append(errs, fieldErr("drRegion", a.DRRegion, "a region other than %q", a.AllowedRegion))
	}
	if !rootPattern.MatchString(a.RootID) {
		errs = append(errs, fieldErr("rootId", a.RootID, "the organization root ID (r-...)"))
	}
	if !ouPattern.MatchString(a.WorkloadsOUID) {
		errs = append(errs, fieldErr("workloadsOuId", a.WorkloadsOUID, "the Workloads OU ID (ou-...)"))
	}
	if !accountIDPattern.MatchString(a.LogArchiveAccountID) {
		errs = append(errs, fieldErr("logArchiveAccountId", a.LogArchiveAccountID, "a 12-digit AWS account ID"))
	}
	if len(a.LogArchiveAdminRoleArns) == 0 {
		errs = append(errs, fieldErr("logArchiveAdminRoleArns", a.LogArchiveAdminRoleArns, "the role the org stack configures the Log Archive with"))
	}
	if a.DeployRolePattern == "" {
		errs = append(errs, fieldErr("deployRolePattern", a.DeployRolePattern, "the CI deploy roles' ARN pattern"))
	}
	errs = append(errs, validateStackTags("tags", a.Tags))
	return errors.Join(errs...)
}

// SCP is one service control policy and where it is attached.
type SCP struct {
	Name, Description string
	Document          PolicyDocument
	Targets           []string
}

// SCPs returns the seed's five SCPs with their targets.
func (a GuardrailsArgs) SCPs() []SCP {
	deny := func(sid string, actions any, cond map[string]map[string]any) PolicyStatement {
		return PolicyStatement{Sid: sid, Effect: "Deny", Action: actions, Resource: "*", Condition: cond}
	}
	exempt := a.ExemptRolePatterns
	if len(exempt) == 0 {
		exempt = []string{BreakGlassRolePattern, OrganizationAccessRolePattern}
	}
	exceptDeploy := map[string]any{"aws:PrincipalArn": append([]string{a.DeployRolePattern}, exempt...)}
	return []SCP{
		{
			Name: SCPRegionRestriction, Description: "Only " + a.AllowedRegion + " (and " + a.DRRegion + " for replicas and backup copies)",
			Targets: []string{a.RootID},
			Document: PolicyDocument{Version: "2012-10-17", Statement: []PolicyStatement{
				{Sid: "DenyOutsideAllowedRegions", Effect: "Deny", NotAction: globalServiceActions, Resource: "*",
					Condition: map[string]map[string]any{"StringNotEquals": {"aws:RequestedRegion": []string{a.AllowedRegion, a.DRRegion}}}},
				{Sid: "DenyDRRegionExceptReplicationAndBackup", Effect: "Deny", NotAction: append(append([]string{}, globalServiceActions...), drRegionActions...), Resource: "*",
					Condition: map[string]map[string]any{"StringEquals": {"aws:RequestedRegion": a.DRRegion}}},
			}},
		},
		{
			// The seed's intent, not its literal JSON (ADR 0005): S3 authorizes
			// UploadPart and CompleteMultipartUpload as s3:PutObject, and those
			// requests carry no encryption header, so denying every PutObject
			// without one denies every multipart upload. Instead: deny an
			// upload that asks for anything but SSE-KMS (another algorithm, or
			// a customer-provided key), and let a request without the header
			// take the bucket's default SSE-KMS encryption.
			// https://docs.aws.amazon.com/AmazonS3/latest/userguide/mpuoverview.html#mpuAndPermissions
			// https://docs.aws.amazon.com/AmazonS3/latest/userguide/specifying-kms-encryption.html
			Name: SCPS3EncryptionRequired, Description: "Block S3 uploads that ask for anything but SSE-KMS",
			Targets: []string{a.WorkloadsOUID},
			Document: PolicyDocument{Version: "2012-10-17", Statement: []PolicyStatement{
				deny("DenyNonKMSUploads", "s3:PutObject", map[string]map[string]any{
					"Null":            {"s3:x-amz-server-side-encryption": "false"},
					"StringNotEquals": {"s3:x-amz-server-side-encryption": []string{"aws:kms", "aws:kms:dsse"}},
				}),
				deny("DenyCustomerProvidedKeys", "s3:PutObject", map[string]map[string]any{
					"Null": {"s3:x-amz-server-side-encryption-customer-algorithm": "false"},
				}),
			}},
		},
		{
			Name: SCPCloudTrailProtection, Description: "Prevent trail deletion or modification",
			Targets: []string{a.RootID},
			Document: PolicyDocument{Version: "2012-10-17", Statement: []PolicyStatement{
				deny("DenyTrailTampering", []string{"cloudtrail:StopLogging", "cloudtrail:DeleteTrail", "cloudtrail:UpdateTrail",
					"cloudtrail:PutEventSelectors", "cloudtrail:PutInsightSelectors", "cloudtrail:RemoveTags"},
					map[string]map[string]any{"ArnNotLike": exceptDeploy}),
			}},
		},
		{
			Name: SCPLogArchiveProtection, Description: "Deny log object deletion in the Log Archive account",
			Targets: []string{a.LogArchiveAccountID},
			Document: PolicyDocument{Version: "2012-10-17", Statement: []PolicyStatement{
				deny("DenyLogDeletion", []string{"s3:DeleteObject", "s3:DeleteObjectVersion", "s3:DeleteBucket",
					"s3:BypassGovernanceRetention"}, nil),
				// The org stack itself sets the archive's lifecycle and Object Lock
				// configuration, through the role it assumes there.
				deny("DenyRetentionChanges", []string{"s3:PutLifecycleConfiguration", "s3:PutBucketObjectLockConfiguration"},
					map[string]map[string]any{"ArnNotLike": {"aws:PrincipalArn": a.LogArchiveAdminRoleArns}}),
			}},
		},
		{
			Name: SCPDenyPublicS3, Description: "Block public bucket policies and ACLs",
			Targets: []string{a.WorkloadsOUID},
			Document: PolicyDocument{Version: "2012-10-17", Statement: []PolicyStatement{
				deny("DenyPublicAccessBlockChanges", []string{"s3:PutBucketPublicAccessBlock", "s3:PutAccountPublicAccessBlock"},
					map[string]map[string]any{"ArnNotLike": exceptDeploy}),
				deny("DenyPublicACLs", []string{"s3:PutBucketAcl", "s3:PutObjectAcl", "s3:CreateBucket"},
					map[string]map[string]any{"StringEquals": {"s3:x-amz-acl": []string{"public-read", "public-read-write", "authenticated-read"}}}),
			}},
		},
	}
}

// Guardrails are the organization's SCPs.
type Guardrails struct {
	pulumi.ResourceState

	// PolicyIDs by SCP name.
	PolicyIDs map[string]pulumi.IDOutput
}

// NewGuardrails creates the seed's SCPs and attaches each to its targets.
func NewGuardrails(ctx *pulumi.Context, name string, args GuardrailsArgs, opts ...pulumi.ResourceOption) (*Guardrails, error) {
	if err := args.Validate(); err != nil {
		return nil, err
	}
	g := &Guardrails{PolicyIDs: map[string]pulumi.IDOutput{}}
	if err := ctx.RegisterComponentResource(TypeGuardrails, name, g, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(g)
	for _, scp := range args.SCPs() {
		child := childName(name, scp.Name)
		p, err := organizations.NewPolicy(ctx, child, &organizations.PolicyArgs{
			Name:        pulumi.Sprintf("docustack-%s", scp.Name),
			Description: pulumi.String(scp.Description),
			Type:        pulumi.String("SERVICE_CONTROL_POLICY"),
			Content:     pulumi.String(mustJSON(scp.Document)),
			Tags:        MergeTags(args.Tags, child, Tags{TagComponent: name}),
		}, parent)
		if err != nil {
			return nil, err
		}
		g.PolicyIDs[scp.Name] = p.ID()
		attachOpts := []pulumi.ResourceOption{parent}
		if scp.Name == SCPLogArchiveProtection && len(args.LogArchiveReady) > 0 {
			// Freeze the archive only once it is configured.
			attachOpts = append(attachOpts, pulumi.DependsOn(args.LogArchiveReady))
		}
		for i, target := range scp.Targets {
			if _, err := organizations.NewPolicyAttachment(ctx, fmt.Sprintf("%s-attachment-%d", child, i), &organizations.PolicyAttachmentArgs{
				PolicyId: p.ID(), TargetId: pulumi.String(target),
			}, attachOpts...); err != nil {
				return nil, err
			}
		}
	}
	if err := ctx.RegisterResourceOutputs(g, pulumi.Map{}); err != nil {
		return nil, err
	}
	return g, nil
}
