package rules_test

import (
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/docustack/infrastructure/internal/synth"
	"github.com/docustack/infrastructure/policies/rules"
)

// The rules read the real pulumi-aws shapes the program produces: break one
// resource of a synthesized stack and the matching rule reports it.
func TestRulesOnSynthesizedStacks(t *testing.T) {
	cases := []struct {
		stack, rule, resource string
		breakIt               func(p *synth.Plan)
	}{
		{"dev", "DS-KMS-001", "keys-data", func(p *synth.Plan) { set(p, "keys-data", "enableKeyRotation", resource.NewProperty(false)) }},
		{"org", "DS-S3-002", "log-archive-bucket", func(p *synth.Plan) { drop(p, "log-archive-versioning") }},
		{"org", "DS-S3-003", "log-archive-bucket", func(p *synth.Plan) {
			set(p, "log-archive-public-access-block", "restrictPublicBuckets", resource.NewProperty(false))
		}},
		{"org", "DS-S3-004", "log-archive-bucket", func(p *synth.Plan) { drop(p, "log-archive-policy") }},
		{"org", "DS-S3-001", "log-archive-bucket", func(p *synth.Plan) { drop(p, "log-archive-encryption") }},
		{"staging", "DS-NET-001", "network-database-0", func(p *synth.Plan) {
			set(p, "network-database-0", "mapPublicIpOnLaunch", resource.NewProperty(true))
		}},
		{"prod", "DS-NET-002", "network-private-nat-0", func(p *synth.Plan) {
			// Point a NAT route at the database route table.
			r := find(p, "network-private-nat-0")
			db := find(p, "network-database-rt")
			r.PropertyDependencies = map[string][]string{"routeTableId": {db.URN}}
			r.Properties["routeTableId"] = resource.NewProperty(db.ID)
		}},
		{"prod", "DS-NET-003", "network-endpoints-ingress-0", func(p *synth.Plan) {
			set(p, "network-endpoints-ingress-0", "cidrIpv4", resource.NewProperty("0.0.0.0/0"))
			set(p, "network-endpoints-ingress-0", "fromPort", resource.NewProperty(22.0))
			set(p, "network-endpoints-ingress-0", "toPort", resource.NewProperty(22.0))
		}},
		{"prod", "DS-NET-004", "network-rds-ingress-0", func(p *synth.Plan) {
			r := find(p, "network-rds-ingress-0")
			delete(r.Properties, "referencedSecurityGroupId")
			r.Properties["cidrIpv4"] = resource.NewProperty("10.2.10.0/24")
		}},
		{"prod", "DS-NET-005", "network-vpc", func(p *synth.Plan) { drop(p, "network-flow-log") }},
		{"prod", "DS-GEN-002", "keys-logs", func(p *synth.Plan) { find(p, "keys-logs").Protect = false }},
		{"dev", "DS-CFG-001", "config-iam-password-policy", func(p *synth.Plan) { drop(p, "config-iam-password-policy-remediation") }},
		{"staging", "DS-LOG-002", "trail-trail", func(p *synth.Plan) { set(p, "trail-trail", "enableLogFileValidation", resource.NewProperty(false)) }},
		{"prod", "DS-LOG-001", "database-postgresql-log", func(p *synth.Plan) { delete(find(p, "database-postgresql-log").Properties, "retentionInDays") }},
		{"prod", "DS-RDS-002", "database-instance", func(p *synth.Plan) {
			find(p, "database-parameters").Properties["parameters"] = resource.NewProperty([]resource.PropertyValue{})
		}},
		{"prod", "DS-ECS-001", "web-service", func(p *synth.Plan) {
			set(p, "web-service", "networkConfiguration", resource.NewProperty(resource.PropertyMap{"assignPublicIp": resource.NewProperty(true)}))
		}},
		{"dev", "DS-IAM-002", "github-preview", func(p *synth.Plan) {
			set(p, "github-preview", "assumeRolePolicy", resource.NewProperty(
				`{"Statement":[{"Effect":"Allow","Action":"sts:AssumeRoleWithWebIdentity","Principal":{"Federated":"arn:aws:iam::1:oidc-provider/token.actions.githubusercontent.com"},`+
					`"Condition":{"StringLike":{"token.actions.githubusercontent.com:sub":"repo:docustack/*","token.actions.githubusercontent.com:aud":"sts.amazonaws.com"}}}]}`))
		}},
		{"prod", "DS-IAM-003", "documents-replication-role", func(p *synth.Plan) {
			set(p, "documents-replication-role", "inlinePolicies", resource.NewProperty([]resource.PropertyValue{resource.NewObjectProperty(resource.PropertyMap{
				"name":   resource.NewProperty("replication"),
				"policy": resource.NewProperty(`{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::replica/*"}]}`),
			})}))
		}},
		{"prod", "DS-GEN-001", "network-vpc", func(p *synth.Plan) {
			set(p, "aws", "region", resource.NewProperty("eu-west-1"))
		}},
	}
	for _, c := range cases {
		t.Run(c.rule, func(t *testing.T) {
			p, err := synth.Stack("../..", c.stack)
			require.NoError(t, err)
			// That the live stacks pass every rule is TestCheckEveryStackPasses's
			// (cmd/docustack) to say, once, naming the rule and the resource.
			c.breakIt(p)
			after, err := rules.Evaluate(p.AnalyzerResources(), rules.Policies())
			require.NoError(t, err)
			var hit bool
			for _, f := range after {
				if f.Rule == c.rule && f.Resource == c.resource {
					hit = true
				}
			}
			assert.True(t, hit, "%s not reported on %s; got %+v", c.rule, c.resource, after)
		})
	}
}

func find(p *synth.Plan, name string) *synth.Resource {
	for i := range p.Resources {
		if p.Resources[i].Name == name {
			return &p.Resources[i]
		}
	}
	panic("no resource " + name)
}

func set(p *synth.Plan, name, key string, v resource.PropertyValue) {
	find(p, name).Properties[resource.PropertyKey(key)] = v
}

func drop(p *synth.Plan, name string) {
	for i := range p.Resources {
		if p.Resources[i].Name == name {
			p.Resources = append(p.Resources[:i], p.Resources[i+1:]...)
			return
		}
	}
	panic("no resource " + name)
}
