package components

import (
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// NACLs are stateless, so every allowed flow needs its return path. The
// ephemeral range is what Linux and AWS services use as client ports.
const (
	ephemeralFrom = 1024
	ephemeralTo   = 65535
	// aclRuleStep leaves room between rule numbers for later inserts.
	aclRuleStep = 10
	aclRuleBase = 100
)

// aclRule is one plain NACL entry.
type aclRule struct {
	protocol string // "tcp", "udp" or "-1" (all)
	cidr     string
	from, to int
}

// aclRules returns a tier's ingress and egress entries, in rule order.
//   - public: HTTPS from the internet (ALB; HTTP too for the redirect when
//     enabled), anything from inside the VPC (NAT), and return traffic for
//     connections the NAT opened.
//   - private: anything from inside the VPC, plus return traffic via the NAT.
//   - database: only the database port from the private subnets, and replies
//     to them; nothing to or from anywhere else.
func (a NetworkArgs) aclRules(t Tier) (ingress, egress []aclRule) {
	all := aclRule{protocol: "-1", cidr: anywhere}
	returnTraffic := aclRule{protocol: "tcp", cidr: anywhere, from: ephemeralFrom, to: ephemeralTo}
	switch t {
	case TierPublic:
		ingress = []aclRule{
			{protocol: "tcp", cidr: anywhere, from: HTTPSPort, to: HTTPSPort},
			{protocol: "-1", cidr: a.VpcCidr},
			returnTraffic,
		}
		egress = []aclRule{all}
	case TierPrivate:
		ingress = []aclRule{{protocol: "-1", cidr: a.VpcCidr}, returnTraffic}
		egress = []aclRule{all}
	case TierDatabase:
		for _, cidr := range a.PrivateSubnets {
			ingress = append(ingress, aclRule{protocol: "tcp", cidr: cidr, from: a.DatabasePort, to: a.DatabasePort})
			egress = append(egress, aclRule{protocol: "tcp", cidr: cidr, from: ephemeralFrom, to: ephemeralTo})
		}
	}
	return ingress, egress
}

func (b *networkBuilder) acls() error {
	for _, t := range Tiers {
		ingress, egress := b.args.aclRules(t)
		in := ec2.NetworkAclIngressArray{}
		for i, r := range ingress {
			in = append(in, ec2.NetworkAclIngressArgs{
				RuleNo: pulumi.Int(aclRuleBase + i*aclRuleStep), Action: pulumi.String("allow"),
				Protocol: pulumi.String(r.protocol), CidrBlock: pulumi.String(r.cidr),
				FromPort: pulumi.Int(r.from), ToPort: pulumi.Int(r.to),
			})
		}
		out := ec2.NetworkAclEgressArray{}
		for i, r := range egress {
			out = append(out, ec2.NetworkAclEgressArgs{
				RuleNo: pulumi.Int(aclRuleBase + i*aclRuleStep), Action: pulumi.String("allow"),
				Protocol: pulumi.String(r.protocol), CidrBlock: pulumi.String(r.cidr),
				FromPort: pulumi.Int(r.from), ToPort: pulumi.Int(r.to),
			})
		}
		ids := pulumi.StringArray{}
		for _, s := range b.n.Subnets[t] {
			ids = append(ids, s.ID().ToStringOutput())
		}
		name := childName(b.name, string(t)+"-nacl")
		if _, err := ec2.NewNetworkAcl(b.ctx, name, &ec2.NetworkAclArgs{
			VpcId:     b.n.Vpc.ID(),
			SubnetIds: ids,
			Ingress:   in,
			Egress:    out,
			Tags:      b.tags(name, Tags{TagTier: string(t)}),
		}, b.parent); err != nil {
			return err
		}
	}
	return nil
}
