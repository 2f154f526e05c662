package components

import (
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/vpc"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// sgRule is one security-group rule: a port range in or out, to or from a
// CIDR block or another group.
type sgRule struct {
	egress      bool
	protocol    string // "tcp" or "-1" (all)
	from, to    int    // ignored for "-1"
	cidr        string
	peer        pulumi.StringInput
	description string
}

// tcp is a rule for one TCP port or a range.
func tcp(from, to int) sgRule { return sgRule{protocol: "tcp", from: from, to: to} }

// allTraffic is a rule for every protocol and port.
func allTraffic() sgRule { return sgRule{protocol: "-1"} }

func (r sgRule) out() sgRule                          { r.egress = true; return r }
func (r sgRule) fromCIDR(c string) sgRule             { r.cidr = c; return r }
func (r sgRule) withPeer(p pulumi.StringInput) sgRule { r.peer = p; return r }
func (r sgRule) because(description string) sgRule    { r.description = description; return r }

// newSecurityGroup creates a group without inline rules: the provider then
// removes AWS's default allow-all egress, and each rule below is its own
// resource (no cycles between groups; every rule visible to policy checks).
func newSecurityGroup(ctx *pulumi.Context, name string, vpcID pulumi.StringInput, description string, tags pulumi.StringMap, opts ...pulumi.ResourceOption) (*ec2.SecurityGroup, error) {
	return ec2.NewSecurityGroup(ctx, name, &ec2.SecurityGroupArgs{
		VpcId:               vpcID,
		Description:         pulumi.String(description),
		RevokeRulesOnDelete: pulumi.Bool(true),
		Tags:                tags,
	}, opts...)
}

// addRules creates rules on group, named "<prefix>-ingress-<i>" and
// "<prefix>-egress-<i>" in order.
func addRules(ctx *pulumi.Context, prefix string, group pulumi.StringInput, rules []sgRule, tags func(string) pulumi.StringMap, opts ...pulumi.ResourceOption) error {
	counts := map[bool]int{}
	for _, r := range rules {
		dir := "ingress"
		if r.egress {
			dir = "egress"
		}
		name := childName(prefix, dir, counts[r.egress])
		counts[r.egress]++
		var from, to pulumi.IntPtrInput
		if r.protocol != "-1" {
			from, to = pulumi.Int(r.from), pulumi.Int(r.to)
		}
		var cidr, peer pulumi.StringPtrInput
		if r.cidr != "" {
			cidr = pulumi.String(r.cidr)
		} else {
			peer = r.peer.ToStringOutput()
		}
		var err error
		if r.egress {
			_, err = vpc.NewSecurityGroupEgressRule(ctx, name, &vpc.SecurityGroupEgressRuleArgs{
				SecurityGroupId: group, IpProtocol: pulumi.String(r.protocol), FromPort: from, ToPort: to,
				CidrIpv4: cidr, ReferencedSecurityGroupId: peer, Description: pulumi.String(r.description), Tags: tags(name),
			}, opts...)
		} else {
			_, err = vpc.NewSecurityGroupIngressRule(ctx, name, &vpc.SecurityGroupIngressRuleArgs{
				SecurityGroupId: group, IpProtocol: pulumi.String(r.protocol), FromPort: from, ToPort: to,
				CidrIpv4: cidr, ReferencedSecurityGroupId: peer, Description: pulumi.String(r.description), Tags: tags(name),
			}, opts...)
		}
		if err != nil {
			return err
		}
	}
	return nil
}
