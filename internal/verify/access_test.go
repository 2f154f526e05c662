package verify

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/docustack/infrastructure/internal/synth"
)

// editPolicy returns a copy of p whose resource `name` has its JSON policy
// in `field` rewritten by edit.
func editPolicy(t *testing.T, p *synth.Plan, name, field string, edit func(d *Document)) *synth.Plan {
	t.Helper()
	out := *p
	out.Resources = nil
	found := false
	for _, r := range p.Resources {
		if r.Name == name {
			found = true
			inputs := map[string]any{}
			for k, v := range r.Inputs {
				inputs[k] = v
			}
			if strings.HasPrefix(field, "inlinePolicies.") {
				list := asList(inputs["inlinePolicies"])
				var kept []any
				for _, ip := range list {
					d, err := ParseDocument(str(ip["policy"]))
					require.NoError(t, err)
					edit(&d)
					b, _ := json.Marshal(d)
					kept = append(kept, map[string]any{"name": ip["name"], "policy": string(b)})
				}
				inputs["inlinePolicies"] = kept
			} else {
				d, err := ParseDocument(str(inputs[field]))
				require.NoError(t, err)
				edit(&d)
				b, _ := json.Marshal(d)
				inputs[field] = string(b)
			}
			r.Inputs = inputs
		}
		out.Resources = append(out.Resources, r)
	}
	require.True(t, found, name)
	return &out
}

// dropSid removes the statements with a Sid.
func dropSid(sid string) func(d *Document) {
	return func(d *Document) {
		var kept []Statement
		for _, s := range d.Statement {
			if s.Sid != sid {
				kept = append(kept, s)
			}
		}
		d.Statement = kept
	}
}

func findingOf(t *testing.T, fs []Finding, intent string) Finding {
	t.Helper()
	for _, f := range fs {
		if f.Intent == intent {
			return f
		}
	}
	t.Fatalf("no finding %q", intent)
	return Finding{}
}

// Removing the statement an integration needs makes its intent fail, and the
// finding says which request was refused.
func TestEveryIntegrationNeedsItsStatement(t *testing.T) {
	dev, org := plan(t, "dev"), plan(t, "org")
	cases := []struct {
		intent      string
		name, field string
		sid         string
	}{
		// The Log Archive's policies, in the org stack's plan ("org:").
		{"CloudTrail writes log files to the archive", "org:log-archive-policy", "policy", "AWSCloudTrailWrite"},
		{"CloudTrail checks the archive bucket's ACL", "org:log-archive-policy", "policy", "AWSCloudTrailAclCheck"},
		{"CloudTrail encrypts log files with the logs key", "org:log-archive-keys-logs", "policy", "AllowCloudTrailEncrypt"},
		{"VPC flow logs write to the archive", "org:log-archive-policy", "policy", "AWSLogDeliveryWrite"},
		{"VPC flow logs encrypt with the bucket's key", "org:log-archive-keys-logs", "policy", "AllowLogDelivery"},
		{"the ALB writes access logs", "org:log-archive-access-policy", "policy", "ELBAccessLogs"},
		{"AWS Config delivers snapshots and history", "org:log-archive-config-policy", "policy", "ConfigRecorderRolesDelivery"},
		{"AWS Config checks the delivery bucket's ACL", "org:log-archive-config-policy", "policy", "ConfigRecorderRolesBucketCheck"},
		{"AWS Config encrypts deliveries with the logs key", "org:log-archive-keys-logs", "policy", "AllowConfigRecorderRoles"},
		{"replication rule 0 of docustack-dev-access-logs-111111111111: writes the replica", "org:log-archive-access-policy", "policy", "RelayReplicateObjects"},
		{"replication rule 0 of docustack-dev-access-logs-111111111111: hands the replicas to the destination account", "org:log-archive-access-policy", "policy", "RelayReplicateObjects"},
		// ... and the workload account's own.
		{"S3 server access logs of docustack-dev-documents-111111111111 are delivered", "access-log-relay-policy", "policy", "S3ServerAccessLogs"},
		{"replication rule 0 of docustack-dev-access-logs-111111111111: writes the replica", "access-log-relay-replication-role", "inlinePolicies.0", "WriteArchive"},
		{"AWS Config delivers snapshots and history", "config-recorder-role", "inlinePolicies.0", "Deliver"},
		{"AWS Config checks the delivery bucket's ACL", "config-recorder-role", "inlinePolicies.0", "BucketCheck"},
		{"AWS Config encrypts deliveries with the logs key", "config-recorder-role", "inlinePolicies.0", "EncryptDeliveries"},
		{"events.amazonaws.com publishes to docustack-dev-alerts for detection-config-noncompliant-target: encrypts with the topic's key", "keys-logs", "policy", "AllowAlertPublishers"},
		{"web-task: pulls docustack-dev/web", "web-execution-role", "inlinePolicies.0", "PullImage"},
		{"web-task: writes its logs", "web-execution-role", "inlinePolicies.0", "WriteLogs"},
		{"web-task: reads secret NEXTAUTH_SECRET", "web-execution-role", "inlinePolicies.0", "ReadSecrets"},
		{"web-task: signs in to the database as docustack with its task role", "web-task-role", "inlinePolicies.0", "ConnectToDatabase"},
		{"workers-task: signs in to the database as docustack with its task role", "workers-task-role", "inlinePolicies.0", "ConnectToDatabase"},
		{"web-task: pulls the GuardDuty runtime agent (ecr:BatchGetImage)", "web-execution-role", "inlinePolicies.0", "PullGuardDutyAgent"},
		{"temporal-combined-task: pulls the GuardDuty runtime agent (ecr:GetAuthorizationToken)", "temporal-combined-execution-role", "inlinePolicies.0", "ECRAuth"},
		{"web-service: ECS Exec session logs:PutLogEvents", "web-task-role", "inlinePolicies.0", "WriteSessionLogs"},
		{"web-service: ECS Exec session logs:DescribeLogGroups", "web-task-role", "inlinePolicies.0", "FindSessionLogGroup"},
		{"schedule scheduler-bastion-scale-down may autoscaling:UpdateAutoScalingGroup", "scheduler-role", "inlinePolicies.0", "StopStart"},
		{"schedule scheduler-database-stop may rds:StopDBInstance", "scheduler-role", "inlinePolicies.0", "StopStart"},
		{"replication rule 0 of docustack-dev-documents-111111111111: writes the replica", "documents-replication-role", "inlinePolicies.0", "WriteReplica"},
		{"replication rule 0 of docustack-dev-documents-111111111111: encrypts the replica", "documents-replication-role", "inlinePolicies.0", "EncryptReplica"},
		{"docustack-dev-db-init: writes the password of role temporal", "db-init-role", "inlinePolicies.0", "WriteRoleSecrets"},
		{"WAF writes its log files", "waf-logs-policy", "policy", "AWSLogDeliveryWrite"},
		{"replication rule 0 of aws-waf-logs-docustack-dev-111111111111: decrypts source objects", "waf-logs-replication-role", "inlinePolicies.0", "DecryptSource"},
		{"replication rule 0 of aws-waf-logs-docustack-dev-111111111111: encrypts the replica", "org:log-archive-keys-logs", "policy", "AllowWAFRelayReplicas"},
		{"replication rule 0 of aws-waf-logs-docustack-dev-111111111111: writes the replica", "org:log-archive-waf-policy", "policy", "WAFRelayReplicateAccount111111111111"},
		{"docustack-dev-db-init: creates its network interfaces", "db-init-role", "inlinePolicies.0", "VpcNetworking"},
		{"docustack-dev-db-init: sends its traces", "db-init-role", "inlinePolicies.0", "WriteTraces"},
		{"docustack-dev-db-init: sends its tracing telemetry", "db-init-role", "inlinePolicies.0", "WriteTraces"},
		{"remediation docustack-dev-EnableCloudTrail may cloudtrail:StartLogging", "config-remediation-role", "inlinePolicies.0", "EnableCloudTrail"},
		{"remediation docustack-dev-EnableCloudTrail's trail: CloudTrail writes log files to the archive", "org:log-archive-policy", "policy", "AWSCloudTrailWrite"},
		{"remediation AWS-EnableS3BucketEncryption may s3:PutEncryptionConfiguration", "config-remediation-role", "inlinePolicies.0", "EnableBucketEncryption"},
		{"remediation AWSSupport-EnableVPCFlowLogs may logs:CreateLogDelivery", "config-remediation-role", "inlinePolicies.0", "EnableFlowLogs"},
		{"remediation AWSConfigRemediation-SetIAMPasswordPolicy may iam:UpdateAccountPasswordPolicy", "config-remediation-role", "inlinePolicies.0", "SetPasswordPolicy"},
	}
	for _, c := range cases {
		t.Run(c.intent+" without "+c.sid, func(t *testing.T) {
			before := findingOf(t, Access(dev, org), c.intent)
			require.True(t, before.OK, before.Detail)
			p, o := dev, org
			if name, ok := strings.CutPrefix(c.name, "org:"); ok {
				o = editPolicy(t, org, name, c.field, dropSid(c.sid))
			} else {
				p = editPolicy(t, dev, c.name, c.field, dropSid(c.sid))
			}
			after := findingOf(t, Access(p, o), c.intent)
			assert.False(t, after.OK, "removing %s from %s must break %q", c.sid, c.name, c.intent)
		})
	}
}

// The three defects the issue names, reintroduced, are found.
func TestTheIssuesExamplesAreFound(t *testing.T) {
	dev, org := plan(t, "dev"), plan(t, "org")
	// Config's role with only the managed policy: no delivery.
	noInline := editPolicy(t, dev, "config-recorder-role", "inlinePolicies.0", func(d *Document) { d.Statement = nil })
	f := findingOf(t, Access(noInline, org), "AWS Config delivers snapshots and history")
	assert.False(t, f.OK)
	assert.Contains(t, f.Detail, "not read: the attached managed policies arn:aws:iam::aws:policy/service-role/AWS_ConfigRole",
		"the finding says which managed policy the analysis could not read")
	// The Log Archive SCP denying retention changes to every principal.
	frozen := editPolicy(t, org, "guardrails-log-archive-protection", "content", func(d *Document) {
		for i := range d.Statement {
			d.Statement[i].Condition = nil
		}
	})
	f = findingOf(t, Access(frozen, frozen), "the aws-log-archive provider may s3:PutLifecycleConfiguration on docustack-org-log-archive-555555555555 under its account's SCPs")
	assert.False(t, f.OK)
	assert.Contains(t, f.Detail, "denied by SCP guardrails-log-archive-protection")
}

// Each negative fails when the grant or deny that decides it is changed.
func TestEveryAccessNegativeCatchesAWidening(t *testing.T) {
	dev, org := plan(t, "dev"), plan(t, "org")
	cases := []struct {
		intent string
		widen  func() (*synth.Plan, *synth.Plan)
	}{
		{"documents: a request without TLS is refused, even for an administrator", func() (*synth.Plan, *synth.Plan) {
			return editPolicy(t, dev, "documents-policy", "policy", dropSid("DenyInsecureTransport")), org
		}},
		{"documents: TLS below 1.2 is refused", func() (*synth.Plan, *synth.Plan) {
			return editPolicy(t, dev, "documents-policy", "policy", dropSid("DenyTLSBelow12")), org
		}},
		{"documents: anonymous access is refused", func() (*synth.Plan, *synth.Plan) {
			return editPolicy(t, dev, "documents-policy", "policy", func(d *Document) {
				d.Statement = append(d.Statement, Statement{Effect: "Allow", Principal: "*", Action: "s3:GetObject", Resource: "*"})
			}), org
		}},
		{"documents: another account is refused", func() (*synth.Plan, *synth.Plan) {
			return editPolicy(t, dev, "documents-policy", "policy", func(d *Document) {
				d.Statement = append(d.Statement, Statement{Effect: "Allow", Principal: map[string]any{"AWS": "arn:aws:iam::999999999999:root"}, Action: "s3:*", Resource: "*"})
			}), org
		}},
		{"the SCPs refuse an upload asking for SSE-S3", func() (*synth.Plan, *synth.Plan) {
			return dev, editPolicy(t, org, "guardrails-s3-encryption-required", "content", dropSid("DenyNonKMSUploads"))
		}},
		{"the SCPs refuse an upload with a customer-provided key", func() (*synth.Plan, *synth.Plan) {
			return dev, editPolicy(t, org, "guardrails-s3-encryption-required", "content", dropSid("DenyCustomerProvidedKeys"))
		}},
		{"the SCPs refuse work outside the allowed regions", func() (*synth.Plan, *synth.Plan) {
			return dev, editPolicy(t, org, "guardrails-region-restriction", "content", dropSid("DenyOutsideAllowedRegions"))
		}},
	}
	for _, c := range cases {
		t.Run(c.intent, func(t *testing.T) {
			require.True(t, findingOf(t, Access(dev, org), c.intent).OK)
			p, o := c.widen()
			assert.False(t, findingOf(t, Access(p, o), c.intent).OK, "widening must break %q", c.intent)
		})
	}
	// Deleting archive objects: Object Lock decides; without it the intent fails.
	out := *org
	out.Resources = nil
	for _, r := range org.Resources {
		if r.Type != "aws:s3/bucketObjectLockConfigurationV2:BucketObjectLockConfigurationV2" {
			out.Resources = append(out.Resources, r)
		}
	}
	for _, f := range Access(&out, &out) {
		assert.NotEqual(t, "archive objects cannot be deleted before their retention ends", f.Intent, "no lock, no such finding passing")
	}
	f := findingOf(t, Access(org, org), "archive objects cannot be deleted before their retention ends")
	assert.True(t, f.OK)
}

// AWS Backup's jobs and their cross-Region copy: each grant they rely on (the
// role's trust, its managed policy, the destination key's delegation, the
// DR-Region SCP's exception for RDS snapshot copies) is needed; and the
// managed policy, vendored only in part, cannot prove a refusal.
func TestBackupAndItsCrossRegionCopy(t *testing.T) {
	dev, org := plan(t, "dev"), plan(t, "org")
	const sel = "backup selection docustack-dev-database: "
	without := func(p *synth.Plan, drop func(synth.Resource) bool) *synth.Plan {
		out := *p
		out.Resources = nil
		for _, r := range p.Resources {
			if !drop(r) {
				out.Resources = append(out.Resources, r)
			}
		}
		return &out
	}
	noManaged := without(dev, func(r synth.Resource) bool { return r.Name == "backup-role-policy-0" })
	cases := []struct {
		intent string
		broken func() (*synth.Plan, *synth.Plan)
		says   string
	}{
		{"AWS Backup assumes its role", func() (*synth.Plan, *synth.Plan) {
			return editPolicy(t, dev, "backup-role", "assumeRolePolicy", func(d *Document) { d.Statement = nil }), org
		}, "no statement of the trust policy allows backup.amazonaws.com"},
		{"snapshots the instance", func() (*synth.Plan, *synth.Plan) { return noManaged, org }, "no identity or resource policy allows it"},
		{"copies into arn:aws:backup:us-west-2:111111111111:backup-vault:docustack-dev-dr", func() (*synth.Plan, *synth.Plan) { return noManaged, org }, "no identity"},
		{"lets RDS re-encrypt the copy with the destination vault's key", func() (*synth.Plan, *synth.Plan) {
			return editPolicy(t, dev, "keys-dr-data", "policy", dropSid("EnableIAMPolicies")), org
		}, "the key policy neither allows the principal nor delegates to its account"},
		{"creates the copy in us-west-2", func() (*synth.Plan, *synth.Plan) {
			return dev, editPolicy(t, org, "guardrails-region-restriction", "content", func(d *Document) {
				for i, s := range d.Statement {
					var kept []string
					for _, a := range list(s.NotAction) {
						if a != "rds:CopyDBSnapshot" {
							kept = append(kept, a)
						}
					}
					if s.NotAction != nil {
						d.Statement[i].NotAction = kept
					}
				}
			})
		}, "denied by SCP guardrails-region-restriction (DenyDRRegionExceptReplicationAndBackup)"},
	}
	for _, c := range cases {
		t.Run(c.intent, func(t *testing.T) {
			before := findingOf(t, Access(dev, org), sel+c.intent)
			require.True(t, before.OK, before.Detail)
			p, o := c.broken()
			after := findingOf(t, Access(p, o), sel+c.intent)
			assert.False(t, after.OK)
			assert.Contains(t, after.Detail, c.says)
		})
	}
	// Another account's administrator cannot copy into the DR vault; widening
	// the analysis to admit it (a vault access policy naming that account)
	// would need a resource policy the plan does not have.
	f := findingOf(t, Access(dev, org), "backup vault arn:aws:backup:us-west-2:111111111111:backup-vault:docustack-dev-dr: another account cannot copy into it")
	assert.True(t, f.OK, f.Detail)

	// A refusal found through an excerpt proves nothing.
	w := readWorld(dev, org)
	role := w.roles[mustSelection(t, dev).Str("iamRoleArn")]
	require.NotNil(t, role)
	assert.Contains(t, role.excerpts, "arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup")
	refusal := w.judge(AccessIntent{Name: "the backup role cannot snapshot EBS volumes", Want: false,
		pol:     policies{identity: role.identity, resName: "none", resourceAccount: w.account},
		Request: Request{Principal: Principal{ARN: role.arn, Account: w.account}, Action: "ec2:CreateSnapshot", Resource: "*", Context: tls(nil)}})
	assert.False(t, refusal.OK, "ec2:CreateSnapshot is granted by a statement the excerpt leaves out")
	assert.Contains(t, refusal.Detail, "unprovable: arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup is vendored as an excerpt")
}

func mustSelection(t *testing.T, p *synth.Plan) synth.Resource {
	t.Helper()
	s := p.ByType("aws:backup/selection:Selection")
	require.Len(t, s, 1)
	return s[0]
}
