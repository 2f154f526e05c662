package components_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/docustack/infrastructure/components"
	"github.com/docustack/infrastructure/internal/synth"
	"github.com/docustack/infrastructure/platform"
)

// seedS3EncryptionSCP is the seed's "Example: S3 Encryption Required SCP", verbatim.
const seedS3EncryptionSCP = `{
"Version": "2012-10-17",
"Statement": [
{
"Sid": "DenyUnencryptedS3Uploads",
"Effect": "Deny",
"Action": "s3:PutObject",
"Resource": "*",
"Condition": {
"Null": {
"s3:x-amz-server-side-encryption": "true"
}
}
}
]
}`

// scp returns an SCP's parsed document and attachment targets.
func scp(t *testing.T, p *synth.Plan, name string) (components.PolicyDocument, []string) {
	t.Helper()
	r := mustNamed(t, p, "guardrails-"+name)
	var doc components.PolicyDocument
	require.NoError(t, json.Unmarshal([]byte(r.Str("content")), &doc), name)
	assert.Equal(t, "SERVICE_CONTROL_POLICY", r.Str("type"))
	var targets []string
	for _, a := range p.ByType("aws:organizations/policyAttachment:PolicyAttachment") {
		if strings.HasPrefix(a.Name, "guardrails-"+name+"-attachment-") {
			targets = append(targets, a.Str("targetId"))
		}
	}
	return doc, targets
}

func TestSCPs(t *testing.T) {
	p := stackPlan(t, "org")
	root, workloads, logArchive := "r-a1b2", "ou-a1b2-c3d4e5f6", "555555555555"

	// Region restriction: all accounts; us-east-1 only, the DR region for replicas and backup copies.
	doc, targets := scp(t, p, "region-restriction")
	assert.Equal(t, []string{root}, targets)
	require.Len(t, doc.Statement, 2)
	outside := doc.Statement[0]
	assert.Equal(t, "Deny", outside.Effect)
	assert.Equal(t, map[string]map[string]any{"StringNotEquals": {"aws:RequestedRegion": []any{"us-east-1", "us-west-2"}}}, outside.Condition)
	exempt := strs(outside.NotAction)
	for _, global := range []string{"iam:*", "sts:*", "organizations:*", "route53:*", "cloudfront:*", "support:*"} {
		assert.Contains(t, exempt, global, "global services are exempt")
	}
	dr := doc.Statement[1]
	assert.Equal(t, map[string]map[string]any{"StringEquals": {"aws:RequestedRegion": "us-west-2"}}, dr.Condition)
	for _, allowed := range []string{"s3:*", "kms:*", "backup:*"} {
		assert.Contains(t, strs(dr.NotAction), allowed, "the DR region serves replication and backup copies only")
	}
	assert.NotContains(t, strs(dr.NotAction), "ec2:*")

	// S3 encryption required: on the Workloads OU; the seed's literal example
	// denies every multipart upload (ADR 0005), so the SCP denies what is
	// not SSE-KMS instead. Which requests it refuses is proven by
	// docustack verify (TestEncryptionSCPKeepsMultipartUploads).
	doc, targets = scp(t, p, "s3-encryption-required")
	assert.Equal(t, []string{workloads}, targets)
	var seed components.PolicyDocument
	require.NoError(t, json.Unmarshal([]byte(seedS3EncryptionSCP), &seed))
	assert.Equal(t, seed.Statement[0].Action, doc.Statement[0].Action, "the seed's action")
	assert.NotEqual(t, seed, doc, "not the seed's literal JSON, which denies UploadPart")

	// CloudTrail protection: all accounts; only the CI deploy roles may change trails.
	doc, targets = scp(t, p, "cloudtrail-protection")
	assert.Equal(t, []string{root}, targets)
	require.Len(t, doc.Statement, 1)
	for _, a := range []string{"cloudtrail:StopLogging", "cloudtrail:DeleteTrail", "cloudtrail:UpdateTrail", "cloudtrail:PutEventSelectors"} {
		assert.Contains(t, strs(doc.Statement[0].Action), a)
	}
	// Exempt: the CI deploy roles, the break-glass role the first deploy runs
	// with, and the organization's account-access role (issue: the org stack
	// must not lock out the first human deploy).
	assert.Equal(t, map[string]map[string]any{"ArnNotLike": {"aws:PrincipalArn": []any{"arn:aws:iam::*:role/docustack-*-ci-deploy",
		"arn:aws:iam::*:role/docustack-break-glass", "arn:aws:iam::*:role/OrganizationAccountAccessRole"}}}, doc.Statement[0].Condition)

	// Log archive protection: the Log Archive account; object deletion denied outright.
	doc, targets = scp(t, p, "log-archive-protection")
	assert.Equal(t, []string{logArchive}, targets)
	assert.Contains(t, strs(doc.Statement[0].Action), "s3:DeleteObject")
	assert.Contains(t, strs(doc.Statement[0].Action), "s3:DeleteObjectVersion")
	assert.Contains(t, strs(doc.Statement[0].Action), "s3:BypassGovernanceRetention")
	assert.Nil(t, doc.Statement[0].Condition, "no exemption")
	// Retention changes: only the role the org stack configures the archive with.
	assert.Equal(t, []string{"s3:PutLifecycleConfiguration", "s3:PutBucketObjectLockConfiguration"}, strs(doc.Statement[1].Action))
	assert.Equal(t, map[string]map[string]any{"ArnNotLike": {"aws:PrincipalArn": []any{"arn:aws:iam::555555555555:role/OrganizationAccountAccessRole"}}}, doc.Statement[1].Condition)
	att := mustNamed(t, p, "guardrails-log-archive-protection-attachment-0")
	assert.Contains(t, att.Dependencies, mustNamed(t, p, "log-archive-lifecycle").URN, "attached once the archive is configured")

	// Deny public S3: Workloads OU.
	doc, targets = scp(t, p, "deny-public-s3")
	assert.Equal(t, []string{workloads}, targets)
	require.Len(t, doc.Statement, 2)
	assert.Contains(t, strs(doc.Statement[0].Action), "s3:PutBucketPublicAccessBlock")
	assert.Equal(t, []any{"public-read", "public-read-write", "authenticated-read"}, doc.Statement[1].Condition["StringEquals"]["s3:x-amz-acl"])

	for _, d := range p.ByType("aws:organizations/policy:Policy") {
		var parsed components.PolicyDocument
		require.NoError(t, json.Unmarshal([]byte(d.Str("content")), &parsed))
		for _, s := range parsed.Statement {
			assert.Equal(t, "Deny", s.Effect, "%s: SCPs only deny", d.Name)
		}
	}
	assert.Len(t, p.ByType("aws:organizations/policy:Policy"), 5, "the seed's five SCPs")
}

func TestOrgLogArchiveAndTrail(t *testing.T) {
	p := stackPlan(t, "org")
	prov := mustNamed(t, p, "aws-log-archive")
	// One profile for previews, drift checks and deploys, so the provider
	// never shows a change between them; the roles it assumes are outputs.
	assert.Equal(t, platform.LogArchiveProfile, prov.Str("profile"))
	assert.Nil(t, prov.Get("assumeRole"), "no role in the provider's inputs")
	assert.Equal(t, []any{"555555555555"}, prov.Get("allowedAccountIds"))
	assert.Equal(t, map[string]any{"deploy": "arn:aws:iam::555555555555:role/OrganizationAccountAccessRole",
		"preview": "arn:aws:iam::555555555555:role/docustack-log-archive-ci-preview"}, p.Outputs[platform.LogArchiveRolesOutput])
	reader := mustNamed(t, p, "log-archive-reader-role")
	assert.Equal(t, prov.URN, reader.Provider, "the reader lives in the Log Archive account")
	assert.JSONEq(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::444444444444:role/docustack-org-ci-preview","arn:aws:iam::444444444444:role/docustack-org-ci-drift"]},"Action":"sts:AssumeRole"}]}`,
		reader.Str("assumeRolePolicy"), "only the management account's preview and drift roles")
	for _, gh := range []string{"github-preview", "github-drift"} {
		assert.Contains(t, reader.Dependencies, mustNamed(t, p, gh).URN, "IAM refuses a trust naming a role that does not exist yet")
	}

	b := mustNamed(t, p, "log-archive-bucket")
	assert.Equal(t, "docustack-org-log-archive-555555555555", b.ID)
	assert.True(t, b.Protect)
	assert.Equal(t, "urn:pulumi:org::docustack::pulumi:providers:aws::aws-log-archive", b.Provider)
	lock := bucketChild(t, p, "aws:s3/bucketObjectLockConfigurationV2:BucketObjectLockConfigurationV2", b.ID)
	assert.Equal(t, "COMPLIANCE", lock.Str("rule.defaultRetention.mode"))
	enc := bucketChild(t, p, "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2", b.ID)
	assert.Equal(t, "aws:kms", enc.Str("rules.0.applyServerSideEncryptionByDefault.sseAlgorithm"), "CloudTrail, Config, flow logs: SSE-KMS")
	access := mustNamed(t, p, "log-archive-access-bucket")
	accessEnc := bucketChild(t, p, "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2", access.ID)
	assert.Equal(t, "AES256", accessEnc.Str("rules.0.applyServerSideEncryptionByDefault.sseAlgorithm"), "ALB and S3 access logs: SSE-S3 as AWS requires")

	var doc components.PolicyDocument
	require.NoError(t, json.Unmarshal([]byte(bucketChild(t, p, "aws:s3/bucketPolicy:BucketPolicy", b.ID).Str("policy")), &doc))
	for _, s := range doc.Statement {
		if s.Sid == "AWSLogDeliveryWrite" {
			assert.Len(t, s.Resource, 8, "the management account and the three workload accounts, each in both flow-log layouts")
		}
		if s.Sid == "AWSCloudTrailWrite" {
			assert.Contains(t, s.Condition["StringLike"]["aws:SourceArn"], "arn:aws:cloudtrail:*:444444444444:trail/*", "the organization trail")
		}
	}

	tr := mustNamed(t, p, "trail-trail")
	assert.Equal(t, true, tr.Get("isOrganizationTrail"), "the org stack runs an organization trail")
	assert.Equal(t, "docustack-org-log-archive-555555555555", tr.Str("s3BucketName"))
	assert.Contains(t, tr.Str("kmsKeyId"), ":555555555555:key/"+mustNamed(t, p, "log-archive-keys-logs").ID, "encrypted with the Log Archive account's key")
	key := mustNamed(t, p, "log-archive-keys-logs")
	assert.Contains(t, key.Str("policy"), "arn:aws:cloudtrail:*:444444444444:trail/*")
}

func TestGuardrailsArgsValidate(t *testing.T) {
	assertErrors(t, components.GuardrailsArgs{AllowedRegion: "us-east-1", DRRegion: "us-east-1", RootID: "root", WorkloadsOUID: "ou",
		LogArchiveAccountID: "5", Tags: stackTags}.Validate(), []string{
		`drRegion: got "us-east-1", want a region other than "us-east-1"`,
		`rootId: got "root", want the organization root ID (r-...)`,
		`workloadsOuId: got "ou", want the Workloads OU ID (ou-...)`,
		`logArchiveAccountId: got "5"`,
		`deployRolePattern: got ""`,
	})
}
