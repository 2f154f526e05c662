package components_test

import (
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/docustack/infrastructure/components"
	"github.com/docustack/infrastructure/internal/synth"
)

func TestIngressPerStack(t *testing.T) {
	cases := []struct {
		stack     string
		protected bool
		allowList []string
		managed   bool
	}{
		// Dev: the seed's IP whitelist only (Pulumi.dev.yaml, cost); staging
		// runs the managed groups behind its allow-list; prod has no list.
		{"dev", false, []string{"203.0.113.0/24"}, false},
		{"staging", false, []string{"203.0.113.0/24"}, true},
		{"prod", true, nil, true},
	}
	for _, c := range cases {
		t.Run(c.stack, func(t *testing.T) {
			p := stackPlan(t, c.stack)
			alb := mustNamed(t, p, "ingress-alb")
			assert.Equal(t, false, alb.Get("internal"))
			assert.Equal(t, []string{"network-public-0-id", "network-public-1-id"}, strs(alb.Get("subnets")), "public tier only")
			assert.Equal(t, []string{"network-alb-sg-id"}, strs(alb.Get("securityGroups")))
			assert.Equal(t, true, alb.Get("dropInvalidHeaderFields"))
			assert.Equal(t, c.protected, alb.Get("enableDeletionProtection"))
			assert.Equal(t, "docustack-org-access-logs-555555555555", alb.Str("accessLogs.bucket"), "the Log Archive account's (ELB delivers across accounts)")
			assert.Equal(t, "alb", alb.Str("accessLogs.prefix"))
			assert.Equal(t, true, alb.Get("accessLogs.enabled"))

			https := mustNamed(t, p, "ingress-https")
			assert.Equal(t, 443, https.Int("port"))
			assert.Equal(t, "HTTPS", https.Str("protocol"))
			assert.Equal(t, "ELBSecurityPolicy-TLS13-1-2-2021-06", https.Str("sslPolicy"))
			assert.Equal(t, "forward", https.Str("defaultActions.0.type"))
			assert.Contains(t, https.PropertyDependencies["certificateArn"][0], "ingress-certificate-validation", "serves the validated certificate")

			_, hasHTTP := p.Named("ingress-http-redirect")
			assert.False(t, hasHTTP, "seed: ALB (HTTPS 443 only): no port-80 listener")
			assert.Len(t, p.ByType("aws:lb/listener:Listener"), 1, "one listener: HTTPS")

			tg := mustNamed(t, p, "ingress-web-tg")
			assert.Equal(t, "HTTPS", tg.Str("protocol"), "seed: ALB to ECS over HTTPS")
			assert.Equal(t, 8080, tg.Int("port"))
			assert.Equal(t, "ip", tg.Str("targetType"))
			assert.Equal(t, "HTTPS", tg.Str("healthCheck.protocol"))

			cert := mustNamed(t, p, "ingress-certificate")
			assert.Equal(t, "DNS", cert.Str("validationMethod"))
			alias := mustNamed(t, p, "ingress-alias")
			assert.Equal(t, cert.Str("domainName"), alias.Str("name"))
			assert.Equal(t, "A", alias.Str("type"))

			// WAF: optional IP allow-list first, then AWS managed rule groups.
			acl := mustNamed(t, p, "ingress-web-acl")
			assert.Equal(t, "REGIONAL", acl.Str("scope"))
			assert.NotNil(t, acl.Get("defaultAction.allow"))
			var names []string
			for _, r := range acl.Get("rules").([]any) {
				names = append(names, r.(map[string]any)["name"].(string))
			}
			managed := []string{"AWSManagedRulesAmazonIpReputationList", "AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet", "AWSManagedRulesSQLiRuleSet"}
			if !c.managed {
				managed = nil
			}
			ipSet, hasIPSet := p.Named("ingress-allow-list")
			if c.allowList != nil {
				require.True(t, hasIPSet)
				assert.Equal(t, c.allowList, strs(ipSet.Get("addresses")))
				assert.Equal(t, append([]string{"ip-allow-list"}, managed...), names)
				assert.NotNil(t, acl.Get("rules.0.action.block"), "sources outside the allow-list are blocked")
				assert.Contains(t, acl.Get("rules.0.statement.notStatement.statements.0.ipSetReferenceStatement.arn"), "ingress-allow-list-id")
			} else {
				assert.False(t, hasIPSet, "an empty list does not restrict by IP")
				assert.Equal(t, managed, names)
			}
			if c.managed {
				common := acl.Get("rules").([]any)[len(names)-3].(map[string]any)
				assert.Equal(t, "SizeRestrictions_BODY", common["statement"].(map[string]any)["managedRuleGroupStatement"].(map[string]any)["ruleActionOverrides"].([]any)[0].(map[string]any)["name"],
					"document uploads are larger than the common rule set's 8 KB body limit")
			}
			assoc := mustNamed(t, p, "ingress-web-acl-association")
			assert.Contains(t, assoc.Str("resourceArn"), "ingress-alb-id")
			assert.Contains(t, assoc.Str("webAclArn"), "ingress-web-acl-id")
		})
	}
}

func validIngressArgs() components.IngressArgs {
	return components.IngressArgs{
		Name: "docustack-test", CertificateArn: "arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-0000-0000-0000-000000000000",
		AccessLogsBucket: "docustack-test-access", WAFLogBucketArn: "arn:aws:s3:::aws-waf-logs-docustack-test-123456789012", VpcID: pulumi.String("vpc"),
		SubnetIDs: pulumi.StringArray{pulumi.String("a"), pulumi.String("b")}, SecurityGroupID: pulumi.String("sg"), Tags: stackTags,
	}
}

func TestIngressWithExistingCertificate(t *testing.T) {
	p := synthesize(t, func(ctx *pulumi.Context) error {
		_, err := components.NewIngress(ctx, "in", validIngressArgs())
		return err
	})
	assert.Equal(t, validIngressArgs().CertificateArn, mustNamed(t, p, "in-https").Str("certificateArn"))
	assert.Empty(t, p.ByType("aws:acm/certificate:Certificate"))
	assert.Empty(t, p.ByType("aws:route53/record:Record"))
}

func TestIngressArgsValidate(t *testing.T) {
	cases := []struct {
		name   string
		mutate func(*components.IngressArgs)
		want   []string
	}{
		{"valid", func(*components.IngressArgs) {}, nil},
		{"no certificate", func(a *components.IngressArgs) { a.CertificateArn = "" },
			[]string{`certificateArn: got "", want an ACM certificate ARN, or domainName and hostedZoneId`}},
		{"both", func(a *components.IngressArgs) { a.DomainName = "app.example.com" }, []string{`certificateArn: got`}},
		{"domain without zone", func(a *components.IngressArgs) { a.CertificateArn = ""; a.DomainName = "app.example.com" },
			[]string{`hostedZoneId: got "", want the Route 53 hosted zone ID`}},
		{"bad cidr", func(a *components.IngressArgs) { a.AllowedCIDRs = []string{"10.0.0.1/8"} }, []string{`allowedCidrs[0]: got "10.0.0.1/8"`}},
		{"old tls", func(a *components.IngressArgs) { a.SSLPolicy = "ELBSecurityPolicy-2016-08" }, []string{`sslPolicy: got "ELBSecurityPolicy-2016-08", want a TLS 1.2+ policy`}},
		{"long name", func(a *components.IngressArgs) { a.Name = "docustack-production-ingress-main" }, []string{`name: got`}},
		{"unknown rule group", func(a *components.IngressArgs) { a.ManagedRuleGroups = []string{"AWSManagedRulesFoo"} },
			[]string{`managedRuleGroups[0]: got "AWSManagedRulesFoo", want one of [AWSManagedRulesAmazonIpReputationList`}},
		{"no rule groups and no allow-list", func(a *components.IngressArgs) { a.ManagedRuleGroups = []string{}; a.AllowedCIDRs = nil },
			[]string{`managedRuleGroups: got "[]", want at least one group unless allowedCidrs restricts the ALB to known networks`}},
		{"no rule groups behind an allow-list", func(a *components.IngressArgs) {
			a.ManagedRuleGroups = []string{}
			a.AllowedCIDRs = []string{"203.0.113.0/24"}
		}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a := validIngressArgs()
			c.mutate(&a)
			assertErrors(t, a.Validate(), c.want)
		})
	}
}

func TestIngressNeedsNetwork(t *testing.T) {
	a := validIngressArgs()
	a.SubnetIDs = nil
	plan, err := synth.Run(synth.Options{}, func(ctx *pulumi.Context) error {
		_, err := components.NewIngress(ctx, "in", a)
		return err
	})
	require.ErrorContains(t, err, "subnetIds")
	assert.Empty(t, plan.Resources)
}
