package rules

import "fmt"

const (
	internetV4 = "0.0.0.0/0"
	internetV6 = "::/0"
	httpsPort  = 443
)

// sgRule is a security-group rule in one shape, whichever resource holds it.
type sgRule struct {
	owner     Res    // the resource that declares the rule
	group     string // property path of the group ID ("" for inline rules)
	egress    bool
	protocol  string
	from, to  int
	cidrs     []string
	peerGroup bool
}

func (r sgRule) open() bool { return containsAny(r.cidrs, internetV4, internetV6) }

func (r sgRule) port(p int) bool {
	return (r.protocol == "tcp" || r.protocol == "6") && r.from == p && r.to == p
}

// sgRules collects every rule of a stack: inline SG blocks, ec2
// SecurityGroupRule and the vpc ingress/egress rule resources.
func sgRules(s *Stack) []sgRule {
	var out []sgRule
	num := func(r Res, p string) int { n, _ := r.Num(p); return int(n) }
	for _, sg := range s.OfType(tSG) {
		for _, dir := range []string{"ingress", "egress"} {
			for i := 0; i < sg.Len(dir); i++ {
				p := fmt.Sprintf("%s.%d.", dir, i)
				out = append(out, sgRule{owner: sg, egress: dir == "egress", protocol: sg.S(p + "protocol"),
					from: num(sg, p+"fromPort"), to: num(sg, p+"toPort"),
					cidrs:     append(sg.Strings(p+"cidrBlocks"), sg.Strings(p+"ipv6CidrBlocks")...),
					peerGroup: sg.Len(p+"securityGroups") > 0 || sg.Has(p+"self")})
			}
		}
	}
	for _, r := range s.OfType(tSGRule) {
		out = append(out, sgRule{owner: r, group: "securityGroupId", egress: r.S("type") == "egress", protocol: r.S("protocol"),
			from: num(r, "fromPort"), to: num(r, "toPort"),
			cidrs:     append(r.Strings("cidrBlocks"), r.Strings("ipv6CidrBlocks")...),
			peerGroup: r.Has("sourceSecurityGroupId") || r.Has("self")})
	}
	for _, r := range s.OfType(tSGIngress, tSGEgress) {
		out = append(out, sgRule{owner: r, group: "securityGroupId", egress: r.Type == tSGEgress, protocol: r.S("ipProtocol"),
			from: num(r, "fromPort"), to: num(r, "toPort"),
			cidrs:     append(r.Strings("cidrIpv4"), r.Strings("cidrIpv6")...),
			peerGroup: r.Has("referencedSecurityGroupId")})
	}
	return out
}

// belongsTo reports whether a rule is declared on group sg.
func (s *Stack) belongsTo(r sgRule, sg Res) bool {
	if r.group == "" {
		return r.owner.URN == sg.URN
	}
	return s.Refers(r.owner, r.group, sg)
}

// databaseGroups are the security groups guarding databases: those tagged
// Role=rds and those attached to an RDS instance or cluster.
func databaseGroups(s *Stack) []Res {
	var out []Res
	for _, sg := range s.OfType(tSG) {
		attached := false
		for _, db := range s.OfType(tRDSInstance, tRDSCluster) {
			if s.Refers(db, "vpcSecurityGroupIds", sg) {
				attached = true
			}
		}
		if attached || sg.Tag(tagRole) == "rds" {
			out = append(out, sg)
		}
	}
	return out
}

var networkRules = []Rule{
	{
		ID:          "DS-NET-001",
		Title:       "Private and database subnets assign no public IPs",
		HIPAA:       hipaaAccess,
		Control:     "Network Security: Private Subnets (ECS tasks, NO public IPs); Database Subnets (Isolated)",
		Level:       Mandatory,
		Remediation: "set mapPublicIpOnLaunch: false on the subnet",
		Types:       []string{tSubnet},
		Resource: func(r Res) []string {
			tier := r.Tag(tagTier)
			if tier != "private" && tier != "database" {
				return nil
			}
			if on, _ := r.Bool("mapPublicIpOnLaunch"); on {
				return []string{fmt.Sprintf("%s (%s tier) assigns public IPs", r.Label(), tier)}
			}
			return nil
		},
	},
	{
		ID:          "DS-NET-002",
		Title:       "The database tier has no route to a NAT or internet gateway",
		HIPAA:       hipaaAccess,
		Control:     "Network Security: Database Subnets (Isolated), no internet access",
		Level:       Mandatory,
		Remediation: "remove the route; database route tables keep only the local route",
		Stack: func(s *Stack) []Violation {
			var out []Violation
			for _, rt := range s.OfType(tRouteTable) {
				if rt.Tag(tagTier) != "database" {
					continue
				}
				for i := 0; i < rt.Len("routes"); i++ {
					p := fmt.Sprintf("routes.%d.", i)
					if rt.Has(p+"gatewayId") || rt.Has(p+"natGatewayId") || rt.Has(p+"egressOnlyGatewayId") {
						out = append(out, Violation{rt.URN, rt.Label() + " has an inline route to a gateway"})
					}
				}
				for _, route := range s.Children(rt, "routeTableId", tRoute) {
					if route.Has("gatewayId") || route.Has("natGatewayId") || route.Has("egressOnlyGatewayId") {
						out = append(out, Violation{route.URN, fmt.Sprintf("%s routes the database tier (%s) to a gateway", route.Label(), rt.Label())})
					}
				}
			}
			return out
		},
	},
	{
		ID:          "DS-NET-003",
		Title:       "Nothing but HTTPS (443) is open to the internet",
		HIPAA:       hipaaTransmission,
		Control:     "Security Groups: ALB 443 from 0.0.0.0/0 only; Network Security: ALB (HTTPS 443 only)",
		Level:       Mandatory,
		Remediation: "restrict the rule to a security group or private CIDR, or to tcp 443 (no port 80, not even for a redirect: use HSTS)",
		Stack: func(s *Stack) []Violation {
			var out []Violation
			for _, r := range sgRules(s) {
				if !r.egress && r.open() && !r.port(httpsPort) {
					out = append(out, Violation{r.owner.URN, fmt.Sprintf("%s opens %s %d-%d to the internet", r.owner.Label(), r.protocol, r.from, r.to)})
				}
			}
			return out
		},
	},
	{
		ID:          "DS-NET-004",
		Title:       "Databases are reachable only from security groups, and send nothing out",
		HIPAA:       hipaaAccess,
		Control:     "Security Groups: RDS 5432 from ECS SG, outbound None",
		Level:       Mandatory,
		Remediation: "allow the database port only from the ECS security group; remove egress rules from the database group",
		Stack: func(s *Stack) []Violation {
			var out []Violation
			rules := sgRules(s)
			for _, sg := range databaseGroups(s) {
				for _, r := range rules {
					if !s.belongsTo(r, sg) {
						continue
					}
					switch {
					case r.egress:
						out = append(out, Violation{r.owner.URN, fmt.Sprintf("database group %s has an egress rule", sg.Label())})
					case !r.peerGroup || len(r.cidrs) > 0:
						out = append(out, Violation{r.owner.URN, fmt.Sprintf("database group %s admits a CIDR block %s instead of a security group", sg.Label(), quoteList(r.cidrs))})
					}
				}
			}
			return out
		},
	},
	{
		ID:          "DS-NET-005",
		Title:       "Every VPC has flow logs of ALL traffic",
		HIPAA:       hipaaAudit,
		Control:     "Audit Logging: VPC Flow Logs to Log Archive S3, 1 year; Config rule vpc-flow-logs-enabled",
		Level:       Mandatory,
		Remediation: "add an ec2.FlowLog for the VPC with trafficType ALL to the log archive",
		Stack: func(s *Stack) []Violation {
			var out []Violation
			for _, vpc := range s.OfType(tVpc) {
				ok := false
				for _, fl := range s.Children(vpc, "vpcId", tFlowLog) {
					if t := fl.S("trafficType"); t == "ALL" || fl.Unknown("trafficType") {
						ok = true
					}
				}
				if !ok {
					out = append(out, Violation{vpc.URN, vpc.Label() + " has no flow log of ALL traffic"})
				}
			}
			return out
		},
	},
}
