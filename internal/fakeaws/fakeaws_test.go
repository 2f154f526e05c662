package fakeaws

import (
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/stretchr/testify/assert"
)

func props(m map[string]any) resource.PropertyMap { return resource.NewPropertyMapFromMap(m) }

// pulumi-aws autonames "<logical name>-<7 hex>" and keeps a given name or
// prefix; the suffix here is a function of the URN, so two runs agree.
func TestAutoName(t *testing.T) {
	const urn = "urn:pulumi:dev::docustack::docustack:ci:GitHub$aws:iam/role:Role::github-preview"
	cases := []struct {
		name   string
		inputs map[string]any
		want   string
	}{
		{"generated", map[string]any{}, "github-preview-"},
		{"given name kept", map[string]any{"name": "docustack-dev-ci-preview"}, "docustack-dev-ci-preview"},
		{"prefix extended", map[string]any{"namePrefix": "ci-"}, "ci-"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a, b := props(c.inputs), props(c.inputs)
			AutoName("aws:iam/role:Role", urn, "github-preview", a)
			AutoName("aws:iam/role:Role", urn, "github-preview", b)
			got := a["name"].StringValue()
			assert.Equal(t, got, b["name"].StringValue(), "deterministic")
			assert.Contains(t, got, c.want)
			switch c.name {
			case "generated":
				assert.Len(t, got, len("github-preview-")+7)
			case "prefix extended":
				assert.Len(t, got, len("ci-")+26)
			}
		})
	}
	p := props(map[string]any{"region": "us-east-1"})
	AutoName(ProviderType, "urn:pulumi:dev::docustack::pulumi:providers:aws::aws", "aws", p)
	assert.NotContains(t, p, resource.PropertyKey("name"), "providers are not autonamed")
}

// IDs and ARNs take AWS's forms where the program or a policy reads them.
func TestIDAndARN(t *testing.T) {
	cases := []struct {
		typ, name string
		inputs    map[string]any
		id, arn   string
	}{
		{"aws:s3/bucketV2:BucketV2", "docs", map[string]any{"bucket": "docustack-dev-documents"}, "docustack-dev-documents", "arn:aws:s3:::docustack-dev-documents"},
		{"aws:iam/role:Role", "deploy", map[string]any{"name": "docustack-dev-ci-deploy"}, "docustack-dev-ci-deploy", "arn:aws:iam::111111111111:role/docustack-dev-ci-deploy"},
		{"aws:cloudwatch/logGroup:LogGroup", "lg", map[string]any{"name": "/docustack/web"}, "/docustack/web", "arn:aws:logs:us-east-1:111111111111:log-group:/docustack/web"},
		{"aws:kms/key:Key", "keys-data", map[string]any{}, "7b3dda93-6e1e-4cfc-863d-3554ebf7862c", "arn:aws:kms:us-east-1:111111111111:key/7b3dda93-6e1e-4cfc-863d-3554ebf7862c"},
		{"aws:sns/topic:Topic", "alerts", map[string]any{"name": "docustack-dev-alerts"}, "alerts-id", "arn:aws:sns:us-east-1:111111111111:docustack-dev-alerts"},
		{"aws:ecr/repository:Repository", "registry-web", map[string]any{"name": "docustack-dev/web"}, "registry-web-id", "arn:aws:ecr:us-east-1:111111111111:repository/docustack-dev/web"},
		{"aws:ec2/subnet:Subnet", "network-private-0", map[string]any{}, "network-private-0-id", "arn:aws:ec2:us-east-1:111111111111:subnet/network-private-0-id"},
		{"aws:iam/openIdConnectProvider:OpenIdConnectProvider", "github", map[string]any{"url": "https://token.actions.githubusercontent.com"}, "github-id", "arn:aws:iam::111111111111:oidc-provider/token.actions.githubusercontent.com"},
		{"aws:iam/serviceLinkedRole:ServiceLinkedRole", "keys-autoscaling-role", map[string]any{"awsServiceName": "autoscaling.amazonaws.com"}, "keys-autoscaling-role-id", "arn:aws:iam::111111111111:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling"},
	}
	for _, c := range cases {
		t.Run(c.typ, func(t *testing.T) {
			state := props(c.inputs)
			id := ID(c.typ, c.name, state)
			assert.Equal(t, c.id, id)
			Computed(c.typ, c.name, id, "111111111111", "us-east-1", state)
			assert.Equal(t, c.arn, state["arn"].StringValue())
		})
	}
}

func TestPlacement(t *testing.T) {
	acct, region := Placement(props(map[string]any{"region": "us-west-2", "allowedAccountIds": []any{"222222222222"}}), DefaultAccountID, DefaultRegion)
	assert.Equal(t, "222222222222", acct)
	assert.Equal(t, "us-west-2", region)
	acct, region = Placement(props(map[string]any{}), DefaultAccountID, DefaultRegion)
	assert.Equal(t, "123456789012", acct)
	assert.Equal(t, "us-east-1", region)
}

func TestInvoke(t *testing.T) {
	out, ok := Invoke("aws:index/getCallerIdentity:getCallerIdentity", "111111111111", "us-east-1", nil)
	assert.True(t, ok)
	assert.Equal(t, "111111111111", out["accountId"].StringValue())
	_, ok = Invoke("aws:ec2/getVpc:getVpc", "111111111111", "us-east-1", nil)
	assert.False(t, ok, "an unknown invoke is refused, not faked")
}
