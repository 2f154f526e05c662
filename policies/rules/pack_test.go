package rules_test

import (
	"context"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/workspace"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/docustack/infrastructure/policies/rules"
)

var day = time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)

func TestRuleMetadata(t *testing.T) {
	id := regexp.MustCompile(`^DS-[A-Z][A-Z0-9]{1,3}-[0-9]{3}$`)
	seen := map[string]bool{}
	for _, r := range rules.Rules() {
		assert.Regexp(t, id, r.ID)
		assert.False(t, seen[r.ID], "duplicate %s", r.ID)
		seen[r.ID] = true
		assert.NotEmpty(t, r.Title, r.ID)
		assert.True(t, strings.HasPrefix(r.HIPAA, "§164.3"), "%s: HIPAA section %q", r.ID, r.HIPAA)
		assert.NotEmpty(t, r.Control, r.ID)
		assert.NotEmpty(t, r.Remediation, r.ID)
		assert.True(t, (r.Resource != nil) != (r.Stack != nil), "%s: exactly one of Resource or Stack", r.ID)
		if r.Resource != nil {
			assert.NotEmpty(t, r.Types, "%s: resource rules name their types", r.ID)
		}
	}
	// policyx ignores the pack-level enforcement level: each policy carries its own.
	policies := rules.Policies()
	require.Len(t, policies, len(rules.Rules()))
	for _, p := range policies {
		r, ok := rules.Lookup(p.Name())
		require.True(t, ok)
		assert.Equal(t, r.Level, p.EnforcementLevel(), p.Name())
		assert.Equal(t, rules.Mandatory, p.EnforcementLevel(), "%s: every seed control is mandatory", p.Name())
		assert.Contains(t, p.Description(), r.HIPAA)
	}
}

func TestUnknownValuesAreSkipped(t *testing.T) {
	// During a real preview, values from other resources are computed.
	rs := stack(
		res("aws:kms/key:Key", "k", map[string]any{"enableKeyRotation": unknown}),
		res("aws:cloudwatch/logGroup:LogGroup", "lg", map[string]any{"retentionInDays": unknown}),
		res("aws:lb/targetGroup:TargetGroup", "tg", map[string]any{"protocol": unknown}),
	)
	findings, err := rules.Evaluate(rs, rules.Policies())
	require.NoError(t, err)
	assert.Empty(t, findings)
}

const validWaivers = `
waivers:
  - rule: DS-CFG-001
    resource: "(stack)"
    stacks: [dev]
    reason: Config arrives with the compliance layer next sprint.
    expires: "2026-12-31"
  - rule: DS-KMS-001
    resource: "urn:pulumi:test::*::legacy-*"
    reason: Imported legacy key, rotation enabled by its owning team.
    expires: "2026-11-22"
`

func TestParseWaivers(t *testing.T) {
	ws, err := rules.ParseWaivers([]byte(validWaivers), day)
	require.NoError(t, err)
	require.Len(t, ws, 2)
	assert.Equal(t, "DS-CFG-001", ws[0].Rule)

	empty, err := rules.ParseWaivers([]byte("waivers: []\n"), day)
	require.NoError(t, err)
	assert.Empty(t, empty)
}

func TestWaiverErrors(t *testing.T) {
	bad := `
waivers:
  - rule: DS-KMS-001
    resource: k
    reason: too short
    expires: "2027-01-01"
  - rule: DS-KMS-001
    resource: k
    reason: Key is rotated out of band by the HSM team.
    expires: "2026-11-21"
  - rule: DS-NOPE-001
    resource: ""
    reason: A waiver for a rule that does not exist.
    expires: tomorrow
`
	_, err := rules.ParseWaivers([]byte(bad), day)
	require.Error(t, err)
	msg := err.Error()
	for _, want := range []string{
		`waivers[0] (DS-KMS-001 on k): reason "too short" is shorter than 20 characters`,
		`waivers[1] (DS-KMS-001 on k): expired on 2026-11-21`,
		`waivers[2] (DS-NOPE-001 on ): rule "DS-NOPE-001" does not exist`,
		`waivers[2] (DS-NOPE-001 on ): resource is empty`,
		`waivers[2] (DS-NOPE-001 on ): expires "tomorrow" is not a date`,
	} {
		assert.Contains(t, msg, want)
	}

	_, err = rules.ParseWaivers([]byte("waivers:\n  - rule: DS-KMS-001\n    resoruce: k\n"), day)
	assert.ErrorContains(t, err, "field resoruce not found", "a typo is an error, not an ignored key")
}

func TestApplyWaivers(t *testing.T) {
	ws, err := rules.ParseWaivers([]byte(validWaivers), day)
	require.NoError(t, err)
	findings := []rules.Finding{
		{Rule: "DS-CFG-001", Resource: "(stack)", Level: "mandatory"},
		{Rule: "DS-KMS-001", Resource: "legacy-1", URN: "urn:pulumi:test::docustack::aws:kms/key:Key::legacy-1", Level: "mandatory"},
		{Rule: "DS-KMS-001", Resource: "new", URN: "urn:pulumi:test::docustack::aws:kms/key:Key::new", Level: "mandatory"},
	}
	inDev := rules.ApplyWaivers(findings, ws, "dev")
	assert.True(t, inDev[0].Waived)
	assert.Contains(t, inDev[0].Waiver, "until 2026-12-31")
	assert.False(t, inDev[1].Waived, "URN pattern does not match the project segment")
	assert.False(t, inDev[2].Waived)
	assert.Len(t, rules.Blocking(inDev), 2)

	inProd := rules.ApplyWaivers(findings, ws, "prod")
	assert.False(t, inProd[0].Waived, "waiver is limited to dev")
}

// A DS-CFG-003 waiver accepts one control on a resource, never another
// control failing on the same resource, and must name its control.
func TestConfigWaiversNameTheirControl(t *testing.T) {
	ws, err := rules.ParseWaivers([]byte(`
waivers:
  - rule: DS-CFG-003
    control: S3_DEFAULT_ENCRYPTION_KMS
    resource: relay
    reason: Server access logs are delivered only to SSE-S3 buckets.
    expires: "2027-01-31"
`), day)
	require.NoError(t, err)
	findings := []rules.Finding{
		{Rule: "DS-CFG-003", Resource: "relay", Level: "mandatory", Message: "DS-CFG-003: [S3_DEFAULT_ENCRYPTION_KMS] S3_DEFAULT_ENCRYPTION_KMS (pack): relay is AES256"},
		{Rule: "DS-CFG-003", Resource: "relay", Level: "mandatory", Message: "DS-CFG-003: [S3_BUCKET_VERSIONING_ENABLED] S3_BUCKET_VERSIONING_ENABLED (pack): relay is not versioned"},
	}
	out := rules.ApplyWaivers(findings, ws, "dev")
	assert.True(t, out[0].Waived)
	assert.False(t, out[1].Waived, "another control on the same resource stays blocking")

	_, err = rules.ParseWaivers([]byte("waivers:\n  - rule: DS-CFG-003\n    resource: relay\n    reason: Server access logs are delivered only to SSE-S3.\n    expires: \"2027-01-31\"\n"), day)
	assert.ErrorContains(t, err, "control is empty")
}

// In `pulumi preview`, a waived finding moves from its mandatory rule to the
// advisory DS-WAIVED policy: still shown, no longer failing.
func TestPackMovesWaivedFindingsToAdvisory(t *testing.T) {
	waivers := []byte(`
waivers:
  - rule: DS-KMS-001
    resource: legacy
    reason: Imported legacy key, rotation enabled by its owning team.
    expires: "2027-06-30"
`)
	pack, err := rules.Pack(waivers, "dev", day)
	require.NoError(t, err)
	assert.Equal(t, rules.PackName, pack.Name())
	assert.Equal(t, rules.PackVersion, pack.Version().String())

	rs := stack(res("aws:kms/key:Key", "legacy", map[string]any{}), res("aws:kms/key:Key", "fresh", map[string]any{}))
	findings, err := rules.Evaluate(rs, pack.Policies())
	require.NoError(t, err)
	byRule := map[string][]rules.Finding{}
	for _, f := range findings {
		byRule[f.Rule] = append(byRule[f.Rule], f)
	}
	require.Len(t, byRule["DS-KMS-001"], 1)
	assert.Equal(t, "fresh", byRule["DS-KMS-001"][0].Resource)
	require.Len(t, byRule[rules.WaivedPolicy], 1)
	w := byRule[rules.WaivedPolicy][0]
	assert.Equal(t, "legacy", w.Resource)
	assert.Equal(t, "advisory", w.Level)
	assert.Contains(t, w.Message, "WAIVED DS-KMS-001")

	_, err = rules.Pack([]byte("waivers:\n  - rule: DS-KMS-001\n    resource: x\n    reason: expired waiver reason text\n    expires: \"2020-01-01\"\n"), "dev", day)
	assert.ErrorContains(t, err, "expired on 2020-01-01", "an expired waiver stops the pack")
}

// The resource policies must also work when the engine calls them one
// resource at a time, as `pulumi preview` does.
func TestResourcePolicyThroughPolicyx(t *testing.T) {
	var got []string
	m := managerFunc(func(msg, urn string) { got = append(got, msg) })
	for _, p := range rules.Policies() {
		rp, ok := p.(policyx.ResourceValidationPolicy)
		if !ok || p.Name() != "DS-KMS-001" {
			continue
		}
		require.NoError(t, rp.Validate(context.Background(), policyx.ResourceValidationArgs{
			Manager: m, Resource: res("aws:kms/key:Key", "k", map[string]any{"enableKeyRotation": false}).r}))
	}
	require.Len(t, got, 1)
	assert.Contains(t, got[0], "DS-KMS-001: k does not rotate")
}

type managerFunc func(message, urn string)

func (f managerFunc) ReportViolation(message, urn string) { f(message, urn) }

func TestPolicyPackProjectFile(t *testing.T) {
	proj, err := workspace.LoadPolicyPack(filepath.Join("..", "PulumiPolicy.yaml"))
	require.NoError(t, err)
	assert.Equal(t, "go", proj.Runtime.Name())
	assert.Equal(t, rules.PackVersion, proj.Version)
}

// In `pulumi preview` too, a DS-CFG-003 waiver moves exactly its control's
// finding to DS-WAIVED: another control failing on the same resource stays
// mandatory (the e2e preview found the pack ignoring the control).
func TestPackWaivesOneConfigControl(t *testing.T) {
	waivers := []byte(`
waivers:
  - rule: DS-CFG-003
    control: EC2_EBS_ENCRYPTION_BY_DEFAULT
    resource: "(stack)"
    reason: Accepted for the test; EBS default encryption is set out of band.
    expires: "2027-06-30"
`)
	pack, err := rules.Pack(waivers, "dev", day)
	require.NoError(t, err)
	rs := stack(configRule("EC2_EBS_ENCRYPTION_BY_DEFAULT"), configRule("SECURITYHUB_ENABLED"))
	findings, err := rules.Evaluate(rs, pack.Policies())
	require.NoError(t, err)
	var mandatory, waived []string
	for _, f := range findings {
		switch f.Rule {
		case "DS-CFG-003":
			mandatory = append(mandatory, f.Message)
		case rules.WaivedPolicy:
			waived = append(waived, f.Message)
		}
	}
	require.Len(t, mandatory, 1)
	assert.Contains(t, mandatory[0], "[SECURITYHUB_ENABLED]")
	require.Len(t, waived, 1)
	assert.Contains(t, waived[0], "[EC2_EBS_ENCRYPTION_BY_DEFAULT]")
}
