// Package verify proves, over a synthesized plan and without credentials,
// that the resources work together: that every intended network flow is
// open through security groups (both directions), network ACLs (stateless,
// with return traffic on ephemeral ports) and route tables, that nothing else
// is, and that no security-group rule dangles. Like policies/rules it reads
// the plan only, never components/ or platform/, so it judges any plan.
package verify

import (
	"fmt"
	"net/netip"
	"sort"
	"strings"

	"github.com/docustack/infrastructure/internal/synth"
)

// Resource types the analyses read.
const (
	tSubnet       = "aws:ec2/subnet:Subnet"
	tVpc          = "aws:ec2/vpc:Vpc"
	tSG           = "aws:ec2/securityGroup:SecurityGroup"
	tIngress      = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
	tEgress       = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
	tSGRule       = "aws:ec2/securityGroupRule:SecurityGroupRule"
	tNACL         = "aws:ec2/networkAcl:NetworkAcl"
	tNACLRule     = "aws:ec2/networkAclRule:NetworkAclRule"
	tRouteTable   = "aws:ec2/routeTable:RouteTable"
	tRoute        = "aws:ec2/route:Route"
	tRTAssoc      = "aws:ec2/routeTableAssociation:RouteTableAssociation"
	tIGW          = "aws:ec2/internetGateway:InternetGateway"
	tNATGateway   = "aws:ec2/natGateway:NatGateway"
	tInstance     = "aws:ec2/instance:Instance"
	tVpcEndpoint  = "aws:ec2/vpcEndpoint:VpcEndpoint"
	tECSService   = "aws:ecs/service:Service"
	tRDSInstance  = "aws:rds/instance:Instance"
	tRDSCluster   = "aws:rds/cluster:Cluster"
	tSubnetGroup  = "aws:rds/subnetGroup:SubnetGroup"
	tLambda       = "aws:lambda/function:Function"
	tLB           = "aws:lb/loadBalancer:LoadBalancer"
	tLaunchTmpl   = "aws:ec2/launchTemplate:LaunchTemplate"
	tASG          = "aws:autoscaling/group:Group"
	ephemeralLow  = 1024
	ephemeralHigh = 65535
)

// internet is the address space outside the VPC.
var internet = netip.MustParsePrefix("0.0.0.0/0")

// grant is one rule, entry or route that decides a flow, named so a finding
// can say which one, and so a test can remove exactly it.
type grant struct {
	URN   string // the resource holding it
	Entry string // for inline entries: "<list>.<index>" (ingress.2); "" for a standalone resource
	What  string // human-readable
}

func (g grant) String() string {
	if g.Entry != "" {
		return fmt.Sprintf("%s (%s)", g.What, g.Entry)
	}
	return g.What
}

// sgRule is a security-group rule, inline or standalone.
type sgRule struct {
	group    string // security group ID the rule belongs to
	egress   bool
	protocol string // "tcp", "udp", "-1"
	from, to int
	cidr     netip.Prefix // zero when peer is a group or prefix list
	peer     string       // referenced security group ID
	prefix   string       // prefix list ID
	g        grant
}

func (r sgRule) ports(port int) bool {
	if r.protocol == "-1" || r.protocol == "all" {
		return true
	}
	return r.protocol == "tcp" && r.from <= port && port <= r.to
}

// naclEntry is a network ACL entry, inline or standalone.
type naclEntry struct {
	ruleNo   int
	egress   bool
	allow    bool
	protocol string
	from, to int
	cidr     netip.Prefix
	g        grant
}

func (e naclEntry) covers(lo, hi int) bool {
	if e.protocol == "-1" || e.protocol == "all" {
		return true
	}
	return (e.protocol == "tcp" || e.protocol == "6") && e.from <= lo && hi <= e.to
}

// overlaps reports whether the entry's port range meets [lo, hi] at all.
func (e naclEntry) overlaps(lo, hi int) bool {
	if e.protocol == "-1" || e.protocol == "all" {
		return true
	}
	return (e.protocol == "tcp" || e.protocol == "6") && e.from <= hi && lo <= e.to
}

type subnet struct {
	id, name, tier, az string
	cidr               netip.Prefix
	public             bool // mapPublicIpOnLaunch
	nacl               []naclEntry
	routeTable         string
}

type route struct {
	dest    netip.Prefix
	target  string // "igw", "nat", "endpoint", "local"
	via     string // target resource ID
	g       grant
	gateway string // for gateway endpoints: the service (s3, dynamodb)
}

// endpoint is something that sends or receives traffic in the VPC: an ECS
// service, a database, a function, a load balancer, an instance, an
// interface endpoint.
type endpoint struct {
	Name     string // the intent table's name for it
	URN      string
	groups   []string
	subnets  []string
	publicIP bool
}

// model is the network of one plan.
type model struct {
	plan      *synth.Plan
	vpcCIDR   netip.Prefix
	subnets   map[string]*subnet
	groups    map[string]string // id -> name
	rules     []sgRule
	routes    map[string][]route // route table ID -> routes
	natInst   *endpoint          // the NAT instance, if any
	natSubnet map[string]string  // NAT ID -> subnet it lives in
	igws      map[string]bool
	problems  []string // what the model could not read
}

func parsePrefix(s string) (netip.Prefix, bool) {
	p, err := netip.ParsePrefix(s)
	return p, err == nil
}

func strs(v any) []string {
	var out []string
	if l, ok := v.([]any); ok {
		for _, e := range l {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
	}
	return out
}

func num(v any) int {
	f, _ := v.(float64)
	return int(f)
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

// build reads the network of a plan.
func build(p *synth.Plan) *model {
	m := &model{plan: p, subnets: map[string]*subnet{}, groups: map[string]string{}, routes: map[string][]route{},
		natSubnet: map[string]string{}, igws: map[string]bool{}}
	for _, v := range p.ByType(tVpc) {
		m.vpcCIDR, _ = parsePrefix(v.Str("cidrBlock"))
	}
	for _, r := range p.ByType(tSubnet) {
		cidr, ok := parsePrefix(r.Str("cidrBlock"))
		if !ok {
			m.problems = append(m.problems, r.Name+": no literal cidrBlock")
		}
		m.subnets[r.ID] = &subnet{id: r.ID, name: r.Name, tier: r.Tags()["Tier"], az: r.Str("availabilityZone"), cidr: cidr, public: r.Bool("mapPublicIpOnLaunch")}
	}
	for _, r := range p.ByType(tSG) {
		m.groups[r.ID] = r.Name
		for _, dir := range []string{"ingress", "egress"} {
			for i, e := range asList(r.Get(dir)) {
				for _, c := range strs(e["cidrBlocks"]) {
					m.addRule(r, dir == "egress", e, c, "", fmt.Sprintf("%s.%d", dir, i))
				}
				for _, sg := range strs(e["securityGroups"]) {
					m.addRule(r, dir == "egress", e, "", sg, fmt.Sprintf("%s.%d", dir, i))
				}
				if b, _ := e["self"].(bool); b {
					m.addRule(r, dir == "egress", e, "", r.ID, fmt.Sprintf("%s.%d", dir, i))
				}
			}
		}
	}
	for _, typ := range []string{tIngress, tEgress} {
		for _, r := range p.ByType(typ) {
			rule := sgRule{group: r.Str("securityGroupId"), egress: typ == tEgress, protocol: r.Str("ipProtocol"),
				from: r.Int("fromPort"), to: r.Int("toPort"), peer: r.Str("referencedSecurityGroupId"), prefix: r.Str("prefixListId")}
			if c := r.Str("cidrIpv4"); c != "" {
				rule.cidr, _ = parsePrefix(c)
			}
			rule.g = grant{URN: r.URN, What: r.Name}
			m.rules = append(m.rules, rule)
		}
	}
	for _, r := range p.ByType(tSGRule) {
		e := map[string]any{"protocol": r.Get("protocol"), "fromPort": r.Get("fromPort"), "toPort": r.Get("toPort")}
		for _, c := range strs(r.Get("cidrBlocks")) {
			m.addRuleFor(r.Str("securityGroupId"), r.Str("type") == "egress", e, c, "", grant{URN: r.URN, What: r.Name})
		}
		if peer := r.Str("sourceSecurityGroupId"); peer != "" {
			m.addRuleFor(r.Str("securityGroupId"), r.Str("type") == "egress", e, "", peer, grant{URN: r.URN, What: r.Name})
		}
	}
	// NACLs: inline entries and standalone rules, attached to subnets.
	for _, r := range p.ByType(tNACL) {
		var entries []naclEntry
		for _, dir := range []string{"ingress", "egress"} {
			for i, e := range asList(r.Get(dir)) {
				cidr, _ := parsePrefix(str(e["cidrBlock"]))
				entries = append(entries, naclEntry{ruleNo: num(e["ruleNo"]), egress: dir == "egress", allow: str(e["action"]) == "allow",
					protocol: str(e["protocol"]), from: num(e["fromPort"]), to: num(e["toPort"]), cidr: cidr,
					g: grant{URN: r.URN, Entry: fmt.Sprintf("%s.%d", dir, i), What: fmt.Sprintf("%s rule %d", r.Name, num(e["ruleNo"]))}})
			}
		}
		for _, nr := range p.ByType(tNACLRule) {
			if nr.Str("networkAclId") != r.ID {
				continue
			}
			cidr, _ := parsePrefix(nr.Str("cidrBlock"))
			entries = append(entries, naclEntry{ruleNo: nr.Int("ruleNumber"), egress: nr.Bool("egress"), allow: nr.Str("ruleAction") == "allow",
				protocol: nr.Str("protocol"), from: nr.Int("fromPort"), to: nr.Int("toPort"), cidr: cidr, g: grant{URN: nr.URN, What: nr.Name}})
		}
		sort.SliceStable(entries, func(i, j int) bool { return entries[i].ruleNo < entries[j].ruleNo })
		for _, id := range strs(r.Get("subnetIds")) {
			if s, ok := m.subnets[id]; ok {
				s.nacl = entries
			}
		}
	}
	// Routes: tables, standalone routes, gateway endpoints, associations.
	for _, r := range p.ByType(tIGW) {
		m.igws[r.ID] = true
	}
	for _, r := range p.ByType(tNATGateway) {
		m.natSubnet[r.ID] = r.Str("subnetId")
	}
	// A NAT instance (source/destination check off) is reached through its
	// network interface, whose ID is a computed output: the route's property
	// dependency names the instance.
	natInstances := map[string]synth.Resource{}
	for _, r := range p.ByType(tInstance) {
		if r.Get("sourceDestCheck") == false {
			natInstances[r.URN] = r
			m.natInst = &endpoint{Name: "nat-instance", URN: r.URN, groups: strs(r.Get("vpcSecurityGroupIds")), subnets: []string{r.Str("subnetId")}, publicIP: r.Bool("associatePublicIpAddress")}
		}
	}
	for _, r := range p.ByType(tRouteTable) {
		m.routes[r.ID] = nil
		for i, e := range asList(r.Get("routes")) {
			m.addRoute(r.ID, e, grant{URN: r.URN, Entry: fmt.Sprintf("routes.%d", i), What: r.Name + " route " + str(e["cidrBlock"])})
		}
	}
	for _, r := range p.ByType(tRoute) {
		e := map[string]any{"cidrBlock": r.Str("destinationCidrBlock"), "gatewayId": r.Str("gatewayId"), "natGatewayId": r.Str("natGatewayId"), "networkInterfaceId": r.Str("networkInterfaceId")}
		for _, dep := range r.PropertyDependencies["networkInterfaceId"] {
			if inst, ok := natInstances[dep]; ok {
				m.natSubnet[r.Str("networkInterfaceId")] = inst.Str("subnetId")
			}
		}
		m.addRoute(r.Str("routeTableId"), e, grant{URN: r.URN, What: r.Name})
	}
	for _, r := range p.ByType(tVpcEndpoint) {
		if r.Str("vpcEndpointType") != "Gateway" {
			continue
		}
		svc := r.Str("serviceName")
		svc = svc[strings.LastIndex(svc, ".")+1:]
		for _, rt := range strs(r.Get("routeTableIds")) {
			m.routes[rt] = append(m.routes[rt], route{target: "endpoint", via: r.ID, gateway: svc, g: grant{URN: r.URN, What: r.Name}})
		}
	}
	for _, r := range p.ByType(tRTAssoc) {
		if s, ok := m.subnets[r.Str("subnetId")]; ok {
			s.routeTable = r.Str("routeTableId")
		}
	}
	return m
}

func asList(v any) []map[string]any {
	var out []map[string]any
	if l, ok := v.([]any); ok {
		for _, e := range l {
			if mm, ok := e.(map[string]any); ok {
				out = append(out, mm)
			}
		}
	}
	return out
}

func (m *model) addRule(sg synth.Resource, egress bool, e map[string]any, cidr, peer, entry string) {
	m.addRuleFor(sg.ID, egress, e, cidr, peer, grant{URN: sg.URN, Entry: entry, What: fmt.Sprintf("%s inline %s", sg.Name, entry)})
}

func (m *model) addRuleFor(group string, egress bool, e map[string]any, cidr, peer string, g grant) {
	r := sgRule{group: group, egress: egress, protocol: str(e["protocol"]), from: num(e["fromPort"]), to: num(e["toPort"]), peer: peer, g: g}
	if cidr != "" {
		r.cidr, _ = parsePrefix(cidr)
	}
	m.rules = append(m.rules, r)
}

func (m *model) addRoute(table string, e map[string]any, g grant) {
	dest, ok := parsePrefix(str(e["cidrBlock"]))
	if !ok {
		return
	}
	rt := route{dest: dest, g: g}
	switch {
	case m.igws[str(e["gatewayId"])]:
		rt.target, rt.via = "igw", str(e["gatewayId"])
	case str(e["natGatewayId"]) != "":
		rt.target, rt.via = "nat", str(e["natGatewayId"])
	case str(e["networkInterfaceId"]) != "":
		rt.target, rt.via = "nat", str(e["networkInterfaceId"])
	case str(e["gatewayId"]) != "":
		rt.target, rt.via = "gateway", str(e["gatewayId"])
	default:
		return
	}
	m.routes[table] = append(m.routes[table], rt)
}

// groupName names a security group for findings.
func (m *model) groupName(id string) string {
	if n, ok := m.groups[id]; ok {
		return n
	}
	return id
}
