package review

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/docustack/infrastructure/internal/synth"
	"github.com/docustack/infrastructure/internal/verify"
	"github.com/docustack/infrastructure/policies/rules"
)

// TestStopSigns: each family of stop sign from a pair of plans, and the
// changes next to them that must not raise one.
func TestStopSigns(t *testing.T) {
	with := func(r synth.Resource, k string, v any) synth.Resource {
		c := r
		c.Inputs = map[string]any{}
		for kk, vv := range r.Inputs {
			c.Inputs[kk] = vv
		}
		if v == nil {
			delete(c.Inputs, k)
		} else {
			c.Inputs[k] = v
		}
		return c
	}
	subnet := res("aws:ec2/subnet:Subnet", "network-private-0", map[string]any{"cidrBlock": "10.0.10.0/24", "vpcId": "vpc-1"})
	endpoint := res("aws:ec2/vpcEndpoint:VpcEndpoint", "network-endpoint-s3", map[string]any{"serviceName": "com.amazonaws.us-east-1.s3", "vpcId": "vpc-1"})
	db := res("aws:rds/instance:Instance", "database-instance", map[string]any{"deletionProtection": true, "skipFinalSnapshot": false, "backupRetentionPeriod": 35.0})
	logs := res("aws:cloudwatch/logGroup:LogGroup", "web-logs", map[string]any{"retentionInDays": 90.0})
	key := res("aws:kms/key:Key", "keys-data", map[string]any{"deletionWindowInDays": 30.0, "enableKeyRotation": true})
	bucket := res("aws:s3/bucketV2:BucketV2", "documents-bucket", map[string]any{"bucket": "docs"})
	lock := res("aws:s3/bucketObjectLockConfigurationV2:BucketObjectLockConfigurationV2", "log-archive-lock",
		map[string]any{"bucket": "archive", "rule": map[string]any{"defaultRetention": map[string]any{"mode": "COMPLIANCE", "days": 365.0}}})
	scp := res("aws:organizations/policy:Policy", "org-scp-protect-logging", map[string]any{"type": "SERVICE_CONTROL_POLICY",
		"content": `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":["cloudtrail:StopLogging","cloudtrail:DeleteTrail"],"Resource":"*"}]}`})
	attach := res("aws:organizations/policyAttachment:PolicyAttachment", "org-scp-protect-logging-workloads", map[string]any{"policyId": "p-1", "targetId": "ou-1"})

	cases := []struct {
		name       string
		base, head []synth.Resource
		want       []string // "action name: why contains"
	}{
		{"a subnet rebuilt: the network stops", []synth.Resource{subnet}, []synth.Resource{with(subnet, "cidrBlock", "10.0.30.0/24")},
			[]string{"rebuild network-private-0: a subnet, replaced because cidrBlock"}},
		{"an endpoint deleted", []synth.Resource{endpoint}, nil, []string{"delete network-endpoint-s3: a VPC endpoint, deleted"}},
		{"a subnet's tags: no sign", []synth.Resource{subnet}, []synth.Resource{with(subnet, "tags", map[string]any{"Name": "x"})}, nil},
		{"deletion protection off", []synth.Resource{db}, []synth.Resource{with(db, "deletionProtection", false)},
			[]string{"unprotect database-instance: deletionProtection turned off (true → false)"}},
		{"deletion protection removed (the default is off)", []synth.Resource{db}, []synth.Resource{with(db, "deletionProtection", nil)},
			[]string{"unprotect database-instance: deletionProtection turned off (true → (none))"}},
		{"the final snapshot skipped", []synth.Resource{db}, []synth.Resource{with(db, "skipFinalSnapshot", true)},
			[]string{"unprotect database-instance: skipFinalSnapshot turned on"}},
		{"backups kept for less", []synth.Resource{db}, []synth.Resource{with(db, "backupRetentionPeriod", 7.0)},
			[]string{"unprotect database-instance: backupRetentionPeriod shortened (35 → 7)"}},
		{"backups kept for longer: no sign", []synth.Resource{db}, []synth.Resource{with(db, "backupRetentionPeriod", 36.0)}, nil},
		{"log retention shortened", []synth.Resource{logs}, []synth.Resource{with(logs, "retentionInDays", 30.0)},
			[]string{"unprotect web-logs: retentionInDays shortened (90 → 30)"}},
		{"log retention from never-expire to a year", []synth.Resource{with(logs, "retentionInDays", nil)}, []synth.Resource{with(logs, "retentionInDays", 365.0)},
			[]string{"unprotect web-logs: retentionInDays shortened"}},
		{"log retention to never-expire: no sign", []synth.Resource{logs}, []synth.Resource{with(logs, "retentionInDays", 0.0)}, nil},
		{"a key's deletion window shortened", []synth.Resource{key}, []synth.Resource{with(key, "deletionWindowInDays", 7.0)},
			[]string{"unprotect keys-data: deletionWindowInDays shortened (30 → 7)"}},
		{"a key's rotation off", []synth.Resource{key}, []synth.Resource{with(key, "enableKeyRotation", false)},
			[]string{"unprotect keys-data: enableKeyRotation turned off"}},
		{"a bucket destroyable with its objects", []synth.Resource{bucket}, []synth.Resource{with(bucket, "forceDestroy", true)},
			[]string{"unprotect documents-bucket: forceDestroy turned on"}},
		{"Object Lock moved to governance", []synth.Resource{lock},
			[]synth.Resource{with(lock, "rule", map[string]any{"defaultRetention": map[string]any{"mode": "GOVERNANCE", "days": 365.0}})},
			[]string{"unprotect log-archive-lock: rule.defaultRetention.mode moved off COMPLIANCE"}},
		{"Object Lock retention shortened", []synth.Resource{lock},
			[]synth.Resource{with(lock, "rule", map[string]any{"defaultRetention": map[string]any{"mode": "COMPLIANCE", "days": 30.0}})},
			[]string{"unprotect log-archive-lock: rule.defaultRetention.days shortened (365 → 30)"}},
		{"Object Lock's default retention deleted", []synth.Resource{lock}, nil,
			[]string{"delete log-archive-lock: a Object Lock default retention, deleted"}},
		{"an SCP detached", []synth.Resource{scp, attach}, []synth.Resource{scp},
			[]string{"detach org-scp-protect-logging-workloads: an SCP attachment, deleted"}},
		{"an SCP moved to another target: detached first", []synth.Resource{attach}, []synth.Resource{with(attach, "targetId", "ou-2")},
			[]string{"detach org-scp-protect-logging-workloads: an SCP attachment, replaced because targetId"}},
		{"an SCP denies less", []synth.Resource{scp},
			[]synth.Resource{with(scp, "content", `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":["cloudtrail:StopLogging"],"Resource":"*"}]}`)},
			[]string{`weaken org-scp-protect-logging: an SCP that no longer denies cloudtrail:DeleteTrail on * when null`}},
		{"an SCP's deny gains a condition: it denies less", []synth.Resource{scp},
			[]synth.Resource{with(scp, "content", `{"Statement":{"Effect":"Deny","Action":["cloudtrail:StopLogging","cloudtrail:DeleteTrail"],"Resource":"*","Condition":{"StringNotLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/x"}}}}`)},
			[]string{`weaken org-scp-protect-logging: an SCP that no longer denies cloudtrail:DeleteTrail on * when null; cloudtrail:StopLogging on * when null`}},
		{"an SCP denies more: no sign", []synth.Resource{scp},
			[]synth.Resource{with(scp, "content", `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":["cloudtrail:StopLogging","cloudtrail:DeleteTrail","cloudtrail:UpdateTrail"],"Resource":"*"}]}`)}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := Compare(&Snapshot{Stack: "dev", Plan: &synth.Plan{Resources: c.base}}, &Snapshot{Stack: "dev", Plan: &synth.Plan{Resources: c.head}})
			signs := stopSigns(d)
			require.Len(t, signs, len(c.want), "%+v", signs)
			for i, w := range c.want {
				action, rest, _ := strings.Cut(w, " ")
				name, why, _ := strings.Cut(rest, ": ")
				assert.Equal(t, action, signs[i].Action)
				assert.Equal(t, name, signs[i].Name)
				assert.Contains(t, signs[i].Why, why)
			}
		})
	}
}

// TestPowerWidened: a principal newly able to perform a sensitive action on
// a resource both sides hold is a stop sign; a new resource's callers and a
// caller removed are not.
func TestPowerWidened(t *testing.T) {
	base := []verify.WhoCanRow{{Class: "decrypt with a key", What: "decrypt with keys-data", Who: []string{"admin", "web-task-role"}}}
	head := []verify.WhoCanRow{
		{Class: "decrypt with a key", What: "decrypt with keys-data", Who: []string{"admin", "workers-task-role"}},
		{Class: "decrypt with a key", What: "decrypt with keys-new", Who: []string{"admin", "reports-task-role"}},
	}
	d := Compare(&Snapshot{Stack: "dev", Plan: &synth.Plan{}, WhoCan: base}, &Snapshot{Stack: "dev", Plan: &synth.Plan{}, WhoCan: head})
	assert.Equal(t, []Grant{{What: "decrypt with keys-data", Who: "workers-task-role"}}, d.Power)
	signs := stopSigns(d)
	require.Len(t, signs, 1)
	assert.Equal(t, "widen", signs[0].Action)
	assert.Equal(t, "workers-task-role can now decrypt with keys-data (docustack verify, who can)", signs[0].Why)
	assert.Empty(t, widened(nil, head), "no who-can at the base: nothing to compare")
}

// TestStopSignCarriesItsFindings: a mandatory finding newly raised on the
// resource of a stop sign is listed with it; a waived or advisory one is not.
func TestStopSignCarriesItsFindings(t *testing.T) {
	db := res("aws:rds/instance:Instance", "database-instance", map[string]any{"deletionProtection": true})
	off := res("aws:rds/instance:Instance", "database-instance", map[string]any{"deletionProtection": false})
	head := &Snapshot{Stack: "prod", Plan: &synth.Plan{Resources: []synth.Resource{off}}}
	base := &Snapshot{Stack: "prod", Plan: &synth.Plan{Resources: []synth.Resource{db}}}
	head.Findings = append(head.Findings,
		finding("DS-RDS-006", "database-instance", "mandatory", false, "DS-RDS-006: deletion protection is off. Turn it on."),
		finding("DS-CFG-003", "database-instance", "mandatory", true, "DS-CFG-003: [RDS.8] waived"),
		finding("DS-X-001", "database-instance", "advisory", false, "DS-X-001: advice"))
	signs := stopSigns(Compare(base, head))
	require.Len(t, signs, 1)
	assert.Equal(t, []string{"DS-RDS-006: deletion protection is off."}, signs[0].Findings)
	var b strings.Builder
	(&Report{Base: "main", StopSigns: signs, Stacks: []StackDiff{Compare(base, head)}}).Markdown(&b)
	assert.Contains(t, b.String(), ">   - policy: DS-RDS-006: deletion protection is off.")
}

func finding(rule, resource, level string, waived bool, msg string) rules.Finding {
	return rules.Finding{Rule: rule, Resource: resource, Level: level, Waived: waived, Message: msg}
}
