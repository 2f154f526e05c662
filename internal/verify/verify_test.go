package verify

import (
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/docustack/infrastructure/internal/synth"
)

const root = "../.."

var stacks = []string{"dev", "staging", "prod", "org"}

func plan(t *testing.T, stack string) *synth.Plan {
	t.Helper()
	p, err := synth.Stack(root, stack)
	require.NoError(t, err)
	return p
}

// The verify step of `make test`: every stack's intents hold.
func TestEveryStackVerifies(t *testing.T) {
	for _, stack := range stacks {
		t.Run(stack, func(t *testing.T) {
			rep := Plan(plan(t, stack), plan(t, "org"))
			for _, f := range rep.Findings {
				assert.True(t, f.OK, "%s %s: %s", f.Kind, f.Intent, f.Detail)
			}
			if stack == "org" {
				assert.Empty(t, Network(plan(t, stack)), "the org stack runs no VPC")
				return
			}
			assert.Greater(t, rep.Summary.Allowed, 90)
		})
	}
}

// Intents quoted from the seed and the issue, so a table edit cannot drop one silently.
func TestIntentTableNamesTheSeedFlows(t *testing.T) {
	want := []string{
		"internet -> alb 443", "alb -> web 8080",
		"web -> database 5432", "workers -> database 5432", "temporal -> database 5432", "db-init -> database 5432", "bastion -> database 5432",
		"workers -> temporal-frontend 7233", "web -> temporal-frontend 7233", "slack-bot -> temporal-frontend 7233",
		"bastion -> temporal-ui 8080", "workers -> internet 443", "slack-bot -> gateway:s3 443", "web -> endpoint:secretsmanager 443",
	}
	var have []string
	for _, f := range Flows {
		for _, p := range f.Ports {
			have = append(have, fmt.Sprintf("%s -> %s %d", f.From, f.To, p))
		}
	}
	for _, w := range want {
		assert.Contains(t, have, w)
	}
}

// without returns a copy of p without one grant: a whole resource, or one
// entry of an inline list.
func without(p *synth.Plan, g grant) *synth.Plan {
	out := *p
	out.Resources = nil
	for _, r := range p.Resources {
		if r.URN != g.URN {
			out.Resources = append(out.Resources, r)
			continue
		}
		if g.Entry == "" {
			continue
		}
		list, idx := splitEntry(g.Entry)
		inputs := map[string]any{}
		for k, v := range r.Inputs {
			inputs[k] = v
		}
		old, _ := inputs[list].([]any)
		var kept []any
		for i, e := range old {
			if i != idx {
				kept = append(kept, e)
			}
		}
		inputs[list] = kept
		r.Inputs = inputs
		out.Resources = append(out.Resources, r)
	}
	return &out
}

func splitEntry(e string) (string, int) {
	i := strings.LastIndex(e, ".")
	var n int
	fmt.Sscan(e[i+1:], &n)
	return e[:i], n
}

// Removing any single rule, entry or route that an open intent needs (it is
// the only one satisfying one of the intent's conditions) makes that intent
// fail, and the failure names it.
func TestEveryNeededGrantIsProven(t *testing.T) {
	for _, stack := range []string{"dev", "prod"} {
		t.Run(stack, func(t *testing.T) {
			p := plan(t, stack)
			needs := map[grant][]string{} // sole grant -> intents relying on it
			for _, f := range Network(p) {
				if f.Kind != "allow" || !f.OK {
					continue
				}
				for _, by := range f.grants {
					if len(by) == 1 && by[0].URN != "" {
						needs[by[0]] = appendUnique(needs[by[0]], f.Intent)
					}
				}
			}
			require.Greater(t, len(needs), 20, "the analysis must attribute intents to rules")
			keys := make([]grant, 0, len(needs))
			for g := range needs {
				keys = append(keys, g)
			}
			sort.Slice(keys, func(i, j int) bool { return keys[i].String() < keys[j].String() })
			for _, g := range keys {
				failed := map[string]string{}
				for _, f := range Network(without(p, g)) {
					if !f.OK {
						failed[f.Intent] = f.Detail
					}
				}
				for _, intent := range needs[g] {
					assert.Contains(t, failed, intent, "removing %s must break %s", g, intent)
				}
			}
		})
	}
}

// add returns a copy of p with extra resources.
func add(p *synth.Plan, rs ...synth.Resource) *synth.Plan {
	out := *p
	out.Resources = append(append([]synth.Resource(nil), p.Resources...), rs...)
	return &out
}

func sgRuleRes(name, typ string, inputs map[string]any) synth.Resource {
	return synth.Resource{URN: "urn:test::" + name, Type: typ, Name: name, ID: name + "-id", Custom: true, Inputs: inputs}
}

func mustID(t *testing.T, p *synth.Plan, name string) string {
	t.Helper()
	r, ok := p.Named(name)
	require.True(t, ok, name)
	return r.ID
}

// Each negative fails when a grant is widened.
func TestEveryNegativeCatchesAWidenedGrant(t *testing.T) {
	p := plan(t, "dev")
	rds, ui, ecs, alb := mustID(t, p, "network-rds-sg"), mustID(t, p, "temporal-ui-sg"), mustID(t, p, "network-ecs-sg"), mustID(t, p, "network-alb-sg")
	cases := []struct {
		intent string
		widen  func() *synth.Plan
	}{
		{"nothing from the internet but tcp/443 on the ALB", func() *synth.Plan {
			return add(p, sgRuleRes("ssh", tIngress, map[string]any{"securityGroupId": ecs, "ipProtocol": "tcp", "fromPort": 22.0, "toPort": 22.0, "cidrIpv4": "0.0.0.0/0"}))
		}},
		{"nothing from the internet but tcp/443 on the ALB", func() *synth.Plan {
			return add(p, sgRuleRes("alb-http", tIngress, map[string]any{"securityGroupId": alb, "ipProtocol": "tcp", "fromPort": 80.0, "toPort": 80.0, "cidrIpv4": "0.0.0.0/0"}))
		}},
		{"web -> temporal-ui tcp/8080", func() *synth.Plan {
			return add(p,
				sgRuleRes("ui-from-web", tIngress, map[string]any{"securityGroupId": ui, "ipProtocol": "tcp", "fromPort": 8080.0, "toPort": 8080.0, "referencedSecurityGroupId": ecs}),
				sgRuleRes("web-to-ui", tEgress, map[string]any{"securityGroupId": ecs, "ipProtocol": "tcp", "fromPort": 8080.0, "toPort": 8080.0, "referencedSecurityGroupId": ui}))
		}},
		{"no security-group rule dangles", func() *synth.Plan {
			return add(p, sgRuleRes("rds-from-alb", tIngress, map[string]any{"securityGroupId": rds, "ipProtocol": "tcp", "fromPort": 5432.0, "toPort": 5432.0, "referencedSecurityGroupId": alb}))
		}},
		{"the database tier has no route out of the VPC", func() *synth.Plan {
			return add(p, sgRuleRes("db-out", tRoute, map[string]any{"routeTableId": mustID(t, p, "network-database-rt"), "destinationCidrBlock": "0.0.0.0/0", "gatewayId": mustID(t, p, "network-igw")}))
		}},
		{"no workload has a public IP", func() *synth.Plan {
			out := *p
			out.Resources = nil
			for _, r := range p.Resources {
				if r.Name == "workers-service" {
					nc := map[string]any{}
					for k, v := range r.Inputs["networkConfiguration"].(map[string]any) {
						nc[k] = v
					}
					nc["assignPublicIp"] = true
					inputs := map[string]any{}
					for k, v := range r.Inputs {
						inputs[k] = v
					}
					inputs["networkConfiguration"] = nc
					r.Inputs = inputs
				}
				out.Resources = append(out.Resources, r)
			}
			return &out
		}},
		{"alb -> database tcp/5432", func() *synth.Plan {
			// Both the groups and the database ACL must open for the public tier to reach it.
			wide := add(p,
				sgRuleRes("rds-from-alb", tIngress, map[string]any{"securityGroupId": rds, "ipProtocol": "tcp", "fromPort": 5432.0, "toPort": 5432.0, "referencedSecurityGroupId": alb}),
				sgRuleRes("alb-to-rds", tEgress, map[string]any{"securityGroupId": alb, "ipProtocol": "tcp", "fromPort": 5432.0, "toPort": 5432.0, "referencedSecurityGroupId": rds}),
				sgRuleRes("db-nacl-public", tNACLRule, map[string]any{"networkAclId": mustID(t, p, "network-database-nacl"), "ruleNumber": 1.0, "egress": false, "ruleAction": "allow", "protocol": "-1", "cidrBlock": "0.0.0.0/0"}),
				sgRuleRes("db-nacl-public-out", tNACLRule, map[string]any{"networkAclId": mustID(t, p, "network-database-nacl"), "ruleNumber": 1.0, "egress": true, "ruleAction": "allow", "protocol": "-1", "cidrBlock": "0.0.0.0/0"}))
			return wide
		}},
	}
	for _, c := range cases {
		t.Run(c.intent, func(t *testing.T) {
			var found bool
			for _, f := range Network(c.widen()) {
				if strings.HasPrefix(f.Intent, c.intent) {
					found = true
					assert.False(t, f.OK, "widening must break %q: %s", f.Intent, f.Detail)
				}
			}
			assert.True(t, found, "no finding for %q", c.intent)
		})
	}
}

// Network ACLs are stateless: the reply needs its own entry.
func TestReturnTrafficIsChecked(t *testing.T) {
	p := plan(t, "dev")
	nacl, _ := p.Named("network-database-nacl")
	var egressIdx []int
	for i := range nacl.Get("egress").([]any) {
		egressIdx = append(egressIdx, i)
	}
	broken := p
	for i := len(egressIdx) - 1; i >= 0; i-- {
		broken = without(broken, grant{URN: nacl.URN, Entry: fmt.Sprintf("egress.%d", egressIdx[i])})
	}
	for _, f := range Network(broken) {
		if f.Intent == "web -> database tcp/5432" {
			assert.False(t, f.OK)
			assert.Contains(t, f.Detail, "no outbound entry of the network ACL of network-database-0 allows tcp/1024-65535", "the reply on ephemeral ports is what fails")
			return
		}
	}
	t.Fatal("no web -> database finding")
}
