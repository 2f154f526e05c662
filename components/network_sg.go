package components

import (
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Security group roles (seed, Security Groups).
const (
	RoleALB       = "alb"
	RoleECS       = "ecs"
	RoleRDS       = "rds"
	RoleEndpoints = "endpoints"
)

// SecurityGroups are the platform's security groups, one per role.
type SecurityGroups struct {
	ALB, ECS, RDS, Endpoints *ec2.SecurityGroup
}

func (s SecurityGroups) byRole() map[string]*ec2.SecurityGroup {
	return map[string]*ec2.SecurityGroup{RoleALB: s.ALB, RoleECS: s.ECS, RoleRDS: s.RDS, RoleEndpoints: s.Endpoints}
}

// SGRule is one rule of the security-group matrix: from Role's point of view,
// traffic in or out, to or from either a CIDR or the group of PeerRole.
type SGRule struct {
	Role        string
	Egress      bool
	Protocol    string // "tcp" or "-1" (all)
	Port        int    // ignored for "-1"
	CIDR        string
	PeerRole    string
	Description string
}

// SecurityGroupMatrix is the seed's Security Groups table, made exact:
//
//	ALB        443 from 0.0.0.0/0      | all to the ECS group
//	ECS        8080 from the ALB group | all to the endpoints, 443 via NAT, 5432 to RDS
//	RDS        5432 from the ECS group | none
//	Endpoints  443 from private subnets| none
//
// ECS egress is narrower than the seed's "All to VPC endpoints, NAT": only
// HTTPS leaves through the NAT (and reaches the S3 gateway endpoint), and the
// database port is opened to the RDS group because the seed's RDS row needs it.
func (a NetworkArgs) SecurityGroupMatrix() []SGRule {
	rules := []SGRule{
		{Role: RoleALB, Protocol: "tcp", Port: HTTPSPort, CIDR: anywhere, Description: "HTTPS from the internet"},
		{Role: RoleALB, Egress: true, Protocol: "-1", PeerRole: RoleECS, Description: "to ECS tasks"},
		{Role: RoleECS, Protocol: "tcp", Port: a.ApplicationPort, PeerRole: RoleALB, Description: "application traffic from the ALB"},
		{Role: RoleECS, Egress: true, Protocol: "-1", PeerRole: RoleEndpoints, Description: "to VPC interface endpoints"},
		{Role: RoleECS, Egress: true, Protocol: "tcp", Port: HTTPSPort, CIDR: anywhere, Description: "HTTPS via the NAT gateway and the S3 gateway endpoint"},
		{Role: RoleECS, Egress: true, Protocol: "tcp", Port: a.DatabasePort, PeerRole: RoleRDS, Description: "to the database"},
		{Role: RoleRDS, Protocol: "tcp", Port: a.DatabasePort, PeerRole: RoleECS, Description: "PostgreSQL from ECS tasks"},
	}
	for _, cidr := range a.PrivateSubnets {
		rules = append(rules, SGRule{Role: RoleEndpoints, Protocol: "tcp", Port: HTTPSPort, CIDR: cidr, Description: "HTTPS from private subnet " + cidr})
	}
	return rules
}

var sgDescriptions = map[string]string{
	RoleALB:       "Public ALB: HTTPS in from the internet, out to ECS only",
	RoleECS:       "ECS tasks: application port from the ALB only",
	RoleRDS:       "Database: PostgreSQL from ECS only, no egress",
	RoleEndpoints: "VPC interface endpoints: HTTPS from private subnets only",
}

func (b *networkBuilder) securityGroups() error {
	groups := map[string]*ec2.SecurityGroup{}
	for _, role := range []string{RoleALB, RoleECS, RoleRDS, RoleEndpoints} {
		name := childName(b.name, role+"-sg")
		sg, err := newSecurityGroup(b.ctx, name, b.n.Vpc.ID(), sgDescriptions[role], b.tags(name, Tags{"Role": role}), b.parent)
		if err != nil {
			return err
		}
		groups[role] = sg
	}
	b.n.SecurityGroups = SecurityGroups{ALB: groups[RoleALB], ECS: groups[RoleECS], RDS: groups[RoleRDS], Endpoints: groups[RoleEndpoints]}

	byRole := map[string][]sgRule{}
	for _, r := range b.args.SecurityGroupMatrix() {
		rule := sgRule{egress: r.Egress, protocol: r.Protocol, from: r.Port, to: r.Port, cidr: r.CIDR, description: r.Description}
		if r.CIDR == "" {
			rule.peer = groups[r.PeerRole].ID()
		}
		byRole[r.Role] = append(byRole[r.Role], rule)
	}
	for _, role := range []string{RoleALB, RoleECS, RoleRDS, RoleEndpoints} {
		tags := func(name string) pulumi.StringMap { return b.tags(name, Tags{"Role": role}) }
		if err := addRules(b.ctx, b.name+"-"+role, groups[role].ID(), byRole[role], tags, b.parent); err != nil {
			return err
		}
	}
	return nil
}
