package platform_test

import (
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/docustack/infrastructure/internal/synth"
	"github.com/docustack/infrastructure/platform"
	"github.com/docustack/infrastructure/policies/rules"
)

func bootstrapPlan(t *testing.T, stack string) *synth.Plan {
	t.Helper()
	proj, err := synth.LoadProject("../bootstrap")
	require.NoError(t, err)
	cfg, err := synth.LoadStackConfig("../bootstrap", stack, proj)
	require.NoError(t, err)
	plan, err := synth.Run(synth.Options{Project: proj.Name, Stack: stack, Config: cfg}, platform.Bootstrap)
	require.NoError(t, err)
	return plan
}

func named(t *testing.T, p *synth.Plan, name string) synth.Resource {
	t.Helper()
	r, ok := p.Named(name)
	require.True(t, ok, name)
	return r
}

func TestBootstrap(t *testing.T) {
	for stack, account := range map[string]string{"dev": "111111111111", "prod": "333333333333", "org": "444444444444"} {
		t.Run(stack, func(t *testing.T) {
			p := bootstrapPlan(t, stack)
			bucket := "docustack-" + stack + "-pulumi-state-" + account
			// The SCP refuses PutObject without an SSE header; go-cloud's s3blob
			// sends one when the URL carries ssetype (and kmskeyid).
			login, err := url.Parse(p.Outputs["loginUrl"].(string))
			require.NoError(t, err)
			assert.Equal(t, "s3", login.Scheme)
			assert.Equal(t, bucket, login.Host)
			assert.Equal(t, url.Values{"region": {"us-east-1"}, "ssetype": {"aws:kms"}, "kmskeyid": {"alias/docustack-" + stack + "-pulumi-secrets"}}, login.Query())
			assert.Equal(t, "awskms://alias/docustack-"+stack+"-pulumi-secrets?region=us-east-1", p.Outputs["secretsProvider"])
			assert.Equal(t, platform.StateBucketName(platform.Environment(stack), account), bucket, "the main stacks' CI roles point at this bucket")

			key := named(t, p, "state-key")
			assert.Equal(t, true, key.Get("enableKeyRotation"))
			assert.True(t, key.Protect)
			assert.Equal(t, "alias/docustack-"+stack+"-pulumi-secrets", named(t, p, "state-key-alias").Str("name"))
			assert.Equal(t, platform.StateKeyAlias(platform.Environment(stack)), named(t, p, "state-key-alias").Str("name"))

			b := named(t, p, "state-bucket")
			assert.Equal(t, bucket, b.Str("bucket"))
			assert.True(t, b.Protect)
			assert.Equal(t, "Enabled", named(t, p, "state-versioning").Str("versioningConfiguration.status"))
			enc := named(t, p, "state-encryption")
			assert.Equal(t, "aws:kms", enc.Str("rules.0.applyServerSideEncryptionByDefault.sseAlgorithm"))
			assert.Equal(t, named(t, p, "state-key").Outputs["arn"], enc.Str("rules.0.applyServerSideEncryptionByDefault.kmsMasterKeyId"))
			assert.Equal(t, true, named(t, p, "state-public-access-block").Get("blockPublicPolicy"))
			assert.Contains(t, named(t, p, "state-policy").Str("policy"), `"aws:SecureTransport":"false"`)
			lc := named(t, p, "state-lifecycle")
			assert.Equal(t, 30, lc.Int("rules.0.noncurrentVersionExpiration.newerNoncurrentVersions"), "seed: 30 state versions kept")

			// The policy pack holds for the bootstrap too.
			findings, err := rules.Evaluate(p.AnalyzerResources(), rules.Policies())
			require.NoError(t, err)
			assert.Empty(t, rules.Blocking(findings))
		})
	}
}

func TestBootstrapRejectsBadConfig(t *testing.T) {
	plan, err := synth.Run(synth.Options{Project: "docustack-bootstrap", Stack: "x", Config: map[string]string{
		"aws:region": "eu-west-1", "docustack-bootstrap:environment": "qa", "docustack-bootstrap:accountId": "1",
	}}, platform.Bootstrap)
	require.Error(t, err)
	for _, want := range []string{`docustack-bootstrap:environment: got "qa"`, `docustack-bootstrap:accountId: got "1"`, `aws:region: got "eu-west-1"`} {
		assert.Contains(t, err.Error(), want)
	}
	assert.Empty(t, plan.Resources)
}
