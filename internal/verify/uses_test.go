package verify

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/docustack/infrastructure/internal/synth"
	"github.com/docustack/infrastructure/platform"
)

// Every input naming a key, bucket, log group, secret, repository or
// function is a use the analysis derives requests from: the EBS key's
// Auto Scaling grant, the grants RDS and ECR create with the deployer's
// permissions, the deployer's invocation of DB-init. Removing what makes
// one work fails it by name, and a resource named at an input with no
// model is a finding.
func TestUsesFromTheWiring(t *testing.T) {
	dev := plan(t, "dev")
	require.Empty(t, failingAccess(dev))
	cases := []struct {
		name  string
		plan  *synth.Plan
		words string
	}{
		{"the EBS key loses Auto Scaling", plant(t, dev, "aws:kms/key:Key", "keys-ebs", func(r *synth.Resource) {
			r.Inputs["policy"] = strings.Replace(r.Inputs["policy"].(string), `"Sid":"AllowAutoScalingUse","Effect":"Allow"`, `"Sid":"AllowAutoScalingUse","Effect":"Deny"`, 1)
		}), "bastion-group: Auto Scaling's service-linked role uses docustack-dev-ebs for the volumes it launches (kms:GenerateDataKeyWithoutPlaintext)"},
		{"the database key refuses grants through RDS", plant(t, dev, "aws:kms/key:Key", "keys-database", func(r *synth.Resource) {
			r.Inputs["policy"] = strings.Replace(r.Inputs["policy"].(string), `"Statement":[`,
				`"Statement":[{"Sid":"NoRDS","Effect":"Deny","Principal":"*","Action":"kms:CreateGrant","Resource":"*","Condition":{"StringLike":{"kms:ViaService":"rds.*.amazonaws.com"}}},`, 1)
		}), "database-instance: the deployer lets rds use docustack-dev-database (kms:CreateGrant)"},
		{"the deploy role cannot invoke DB-init", plant(t, dev, "aws:iam/rolePolicyAttachment:RolePolicyAttachment", "github-deploy-managed", func(r *synth.Resource) {
			r.Inputs["policyArn"] = "arn:aws:iam::aws:policy/ReadOnlyAccess"
		}), "db-init-invocation: the deployer invokes docustack-dev-db-init"},
		{"a key at an input with no model", plant(t, dev, "aws:ecs/cluster:Cluster", "", func(r *synth.Resource) {
			r.Inputs["someKeyArn"] = mustOutput(t, dev, "keys-data", "arn")
		}), "no model for a key named at aws:ecs/cluster:Cluster.someKeyArn"},
		{"a bucket at an input with no model", plant(t, dev, "aws:ecs/cluster:Cluster", "", func(r *synth.Resource) {
			r.Inputs["someBucket"] = mustOutput(t, dev, "documents-bucket", "bucket")
		}), "no model for a bucket named at aws:ecs/cluster:Cluster.someBucket"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			assert.Contains(t, failingAccess(c.plan), c.words)
		})
	}
}

func mustOutput(t *testing.T, p *synth.Plan, name, output string) string {
	t.Helper()
	r, ok := p.Named(name)
	require.True(t, ok, name)
	s, _ := r.Outputs[output].(string)
	require.NotEmpty(t, s, "%s.%s", name, output)
	return s
}

// Requests carry the organization's keys: a data perimeter AWS documents
// (deny S3 to principals outside the organization, services exempt) on the
// documents bucket passes, and the same perimeter naming another
// organization refuses the workers' uploads.
func TestOrganizationKeys(t *testing.T) {
	dev, org := plan(t, "dev"), plan(t, "org")
	assert.Equal(t, platform.OrganizationIDOutput, organizationIDOutput)
	assert.Equal(t, platform.MemberAccountsOutput, memberAccountsOutput)
	assert.Equal(t, platform.LogArchiveRolesOutput, logArchiveRolesOutput)
	orgID, _ := org.Outputs[organizationIDOutput].(string)
	require.NotEmpty(t, orgID)
	perimeter := func(id string) *synth.Plan {
		return plant(t, dev, "aws:s3/bucketPolicy:BucketPolicy", "documents-policy", func(r *synth.Resource) {
			r.Inputs["policy"] = strings.Replace(r.Inputs["policy"].(string), `"Statement":[`,
				`"Statement":[{"Sid":"OrgOnly","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*",`+
					`"Condition":{"StringNotEquals":{"aws:PrincipalOrgID":"`+id+`"},"BoolIfExists":{"aws:PrincipalIsAWSService":"false"}}},`, 1)
		})
	}
	fails := func(p *synth.Plan) string {
		var out []string
		for _, f := range Access(p, org) {
			if !f.OK {
				out = append(out, f.Intent+": "+f.Detail)
			}
		}
		return strings.Join(out, "\n")
	}
	require.Empty(t, fails(dev))
	assert.Empty(t, fails(perimeter(orgID)), "the organization's own principals pass the perimeter")
	assert.Contains(t, fails(perimeter("o-zzzzzzzzzz")), "denied by the bucket docustack-dev-documents-111111111111 policy (OrgOnly)")
}

// The S3 encryption SCP keeps its intent without breaking uploads (ADR
// 0005): every role that writes an SSE-KMS bucket may upload in parts
// (UploadPart and CompleteMultipartUpload carry no encryption header) and
// is refused an SSE-S3 upload. The seed's literal example, planted back,
// denies the multipart uploads of the web and workers tasks.
func TestEncryptionSCPKeepsMultipartUploads(t *testing.T) {
	dev, org := plan(t, "dev"), plan(t, "org")
	var multipart []string
	for _, f := range Access(dev, org) {
		if strings.Contains(f.Intent, "uploads parts of a multipart upload") || strings.Contains(f.Intent, "asking for SSE-S3") {
			require.True(t, f.OK, "%s: %s", f.Intent, f.Detail)
			multipart = append(multipart, f.Intent)
		}
	}
	assert.Contains(t, multipart, "web-task-role uploads parts of a multipart upload to docustack-dev-documents-111111111111 under the SCPs (UploadPart, CompleteMultipartUpload)")
	assert.Contains(t, multipart, "workers-task-role uploads parts of a multipart upload to docustack-dev-documents-111111111111 under the SCPs (UploadPart, CompleteMultipartUpload)")
	assert.Contains(t, multipart, "web-task-role cannot upload to docustack-dev-documents-111111111111 asking for SSE-S3")

	literal := plant(t, org, "aws:organizations/policy:Policy", "s3-encryption-required", func(r *synth.Resource) {
		r.Inputs["content"] = `{"Version":"2012-10-17","Statement":[{"Sid":"DenyUnencryptedS3Uploads","Effect":"Deny","Action":"s3:PutObject","Resource":"*",` +
			`"Condition":{"Null":{"s3:x-amz-server-side-encryption":"true"}}}]}`
	})
	var broken []string
	for _, f := range Access(dev, literal) {
		if !f.OK {
			broken = append(broken, f.Intent+": "+f.Detail)
		}
	}
	assert.Contains(t, strings.Join(broken, "\n"), "workers-task-role uploads parts of a multipart upload to docustack-dev-documents-111111111111 under the SCPs (UploadPart, CompleteMultipartUpload): "+
		"arn:aws:iam::111111111111:role/")
	assert.Contains(t, strings.Join(broken, "\n"), "denied by SCP guardrails-s3-encryption-required (DenyUnencryptedS3Uploads)")
}

// What a remediation creates must itself work: the cloudtrail-enabled
// remediation's runbook is read from the plan, its calls derived from its
// steps, and the trail it would create delivers to the Log Archive under
// its prefix with its key. AWS-EnableCloudTrail, planted back, creates a
// trail without either, and the archive refuses it.
func TestRemediatedTrailDelivers(t *testing.T) {
	dev, org := plan(t, "dev"), plan(t, "org")
	var remediated []string
	for _, f := range Access(dev, org) {
		if strings.HasPrefix(f.Intent, "remediation docustack-dev-EnableCloudTrail") {
			require.True(t, f.OK, "%s: %s", f.Intent, f.Detail)
			remediated = append(remediated, f.Intent)
		}
	}
	assert.Contains(t, remediated, "remediation docustack-dev-EnableCloudTrail's trail: CloudTrail writes log files to the archive")
	assert.Contains(t, remediated, "remediation docustack-dev-EnableCloudTrail's trail: CloudTrail encrypts log files with the logs key")
	assert.Contains(t, remediated, "remediation docustack-dev-EnableCloudTrail may cloudtrail:CreateTrail", "the calls come from the runbook's steps")

	awsOwned := plant(t, dev, "aws:cfg/remediationConfiguration:RemediationConfiguration", "cloudtrail-enabled-remediation", func(r *synth.Resource) {
		r.Inputs["targetId"] = "AWS-EnableCloudTrail"
	})
	var broken []string
	for _, f := range Access(awsOwned, org) {
		if !f.OK {
			broken = append(broken, f.Intent+": "+f.Detail)
		}
	}
	all := strings.Join(broken, "\n")
	assert.Contains(t, all, "remediation AWS-EnableCloudTrail's trail: CloudTrail writes log files to the archive: cloudtrail.amazonaws.com s3:PutObject on arn:aws:s3:::docustack-org-log-archive-555555555555/AWSLogs/111111111111/CloudTrail/")
	assert.Contains(t, all, "remediation AWS-EnableCloudTrail's trail: the trail encrypts with the archive's key")
}

// Verifying the org stack shows every member's deliveries into the Log
// Archive account; an archive that stops admitting CloudTrail fails each
// member's trail by name.
func TestOrgVerifiesEveryMemberDelivery(t *testing.T) {
	org := plan(t, "org")
	var names []string
	for _, m := range []string{"dev", "staging", "prod"} {
		for _, f := range MemberDeliveries(plan(t, m), org) {
			require.True(t, f.OK, "%s: %s", f.Intent, f.Detail)
			names = append(names, f.Intent)
		}
	}
	for _, m := range []string{"dev", "staging", "prod"} {
		for _, want := range []string{"CloudTrail writes log files to the archive", "VPC flow logs write to the archive", "the ALB writes access logs",
			"AWS Config delivers snapshots and history", "AWS Config encrypts deliveries with the logs key"} {
			assert.Contains(t, names, m+": "+want)
		}
	}
	closed := editPolicy(t, org, "log-archive-policy", "policy", dropSid("AWSCloudTrailWrite"))
	rep := Plan(closed, closed)
	rep.AddMembers(closed, plan(t, "dev"))
	assert.False(t, rep.Summary.Passed)
	var failed []string
	for _, f := range rep.Findings {
		if !f.OK {
			failed = append(failed, f.Intent)
		}
	}
	assert.Contains(t, failed, "dev: CloudTrail writes log files to the archive")
}

// The Log Archive admits each delivery service only for the organization's
// accounts: a statement that loses its source condition lets the same
// service write for any account, and the derived negative fails.
func TestArchiveRefusesServicesOfOtherAccounts(t *testing.T) {
	org := plan(t, "org")
	const intent = "docustack-org-log-archive-555555555555: cloudtrail.amazonaws.com acting for another account cannot s3:PutObject (AWSCloudTrailWrite)"
	require.True(t, findingOf(t, Access(plan(t, "dev"), org), intent).OK)
	open := editPolicy(t, org, "log-archive-policy", "policy", func(d *Document) {
		for i := range d.Statement {
			if d.Statement[i].Sid == "AWSCloudTrailWrite" {
				d.Statement[i].Condition = nil
			}
		}
	})
	f := findingOf(t, Access(plan(t, "dev"), open), intent)
	assert.False(t, f.OK, f.Detail)
	assert.Contains(t, f.Detail, "allowed by the bucket docustack-org-log-archive-555555555555 policy AWSCloudTrailWrite")
}

// No pull request administers the Log Archive account: the org stack's
// preview role reaches it only as the reader; given sts:AssumeRole on
// everything, it could assume the administrative role, and that fails.
func TestPreviewCannotAdministerTheLogArchive(t *testing.T) {
	org := plan(t, "org")
	const intent = "the preview role cannot assume the Log Archive's administrative role"
	require.True(t, findingOf(t, Access(org, org), intent).OK)
	require.True(t, findingOf(t, Access(org, org), "the preview role assumes the Log Archive reader").OK)
	wide := plant(t, org, "aws:iam/role:Role", "github-preview", func(r *synth.Resource) {
		for _, ip := range r.Inputs["inlinePolicies"].([]any) {
			pol := ip.(map[string]any)
			pol["policy"] = strings.Replace(pol["policy"].(string), `"Resource":["arn:aws:iam::555555555555:role/docustack-log-archive-ci-preview"]`, `"Resource":"*"`, 1)
		}
	})
	assert.False(t, findingOf(t, Access(wide, wide), intent).OK)
}
