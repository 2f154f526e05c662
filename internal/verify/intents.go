package verify

import (
	"fmt"
	"net/netip"
	"sort"
	"strings"

	"github.com/docustack/infrastructure/internal/synth"
)

// Flow is an intended network path: From must reach To on tcp Port.
type Flow struct {
	From, To string
	Ports    []int
	// Seed is the requirement the flow serves.
	Seed string
}

// Private workloads: everything that runs in the private subnets.
var privateWorkloads = []string{"web", "workers", "slack-bot", "temporal", "temporal-ui", "db-init", "bastion"}

// Temporal's ports: frontend 7233, history 7234, matching 7235, worker 7239
// (gRPC), and the ringpop membership ports 6933-6939, dialled task to task.
var temporalPeerPorts = []int{7233, 7234, 7235, 7239, 6933, 6934, 6935, 6939}

// Flows is the intent table: what the system needs to do.
var Flows = []Flow{
	{"internet", "alb", []int{443}, "Security Groups: ALB 443 from 0.0.0.0/0; Client to ALB HTTPS"},
	{"alb", "web", []int{8080}, "ALB to ECS: HTTPS (TLS 1.2)"},
	{"web", "database", []int{5432}, "Security Groups: RDS 5432 from ECS SG"},
	{"workers", "database", []int{5432}, "workers get DB_HOST and a database password"},
	{"temporal", "database", []int{5432}, "Temporal persistence in PostgreSQL"},
	{"db-init", "database", []int{5432}, "DB-init Lambda creates the roles and databases"},
	{"bastion", "database", []int{5432}, "bastion port forwarding (runbook)"},
	{"web", "temporal-frontend", []int{7233}, "web starts workflows"},
	{"workers", "temporal-frontend", []int{7233}, "workers poll task queues"},
	{"slack-bot", "temporal-frontend", []int{7233}, "the Slack bot starts workflows"},
	{"temporal-ui", "temporal-frontend", []int{7233}, "the UI reads the frontend"},
	{"temporal", "temporal", temporalPeerPorts, "Temporal services dial each other and ringpop peers"},
	{"bastion", "temporal-ui", []int{8080}, "Temporal UI reachable from the bastion only"},
}

func init() {
	for _, w := range privateWorkloads {
		for _, e := range interfaceEndpoints {
			Flows = append(Flows, Flow{w, "endpoint:" + e, []int{443}, "VPC endpoints (no internet needed for AWS APIs)"})
		}
		for _, e := range optionalEndpoints {
			Flows = append(Flows, Flow{w, "endpoint:" + e, []int{443}, "optional: " + optionalSeed})
		}
		Flows = append(Flows,
			Flow{w, "gateway:s3", []int{443}, "S3 gateway endpoint"},
			Flow{w, "gateway:dynamodb", []int{443}, "DynamoDB gateway endpoint"},
			Flow{w, "internet", []int{443}, "private subnets reach the internet through NAT only"})
	}
}

// interfaceEndpoints are the services of the seed's endpoint table.
var interfaceEndpoints = []string{"ecr.api", "ecr.dkr", "logs", "secretsmanager", "kms", "ssm"}

// optionalEndpoints must be reachable when the plan has them (Session
// Manager's, which a stack with a NAT gateway may leave out).
var optionalEndpoints = []string{"ssmmessages", "ec2messages"}

const optionalSeed = "Session Manager endpoints, where present"

// Denied is the table of what must never be possible.
var Denied = []Flow{
	{"internet", "database", []int{5432}, "Database Subnets (Isolated)"},
	{"alb", "database", []int{5432}, "no path from the public tier to the database"},
	{"nat-instance", "database", []int{5432}, "no path from the public tier to the database"},
	{"internet", "web", []int{8080}, "tasks are reached through the ALB only"},
	{"web", "temporal-ui", []int{8080}, "Temporal UI reachable from the bastion only"},
	{"workers", "temporal-ui", []int{8080}, "Temporal UI reachable from the bastion only"},
	{"slack-bot", "temporal-ui", []int{8080}, "Temporal UI reachable from the bastion only"},
	{"alb", "temporal-ui", []int{8080}, "Temporal UI reachable from the bastion only"},
	{"db-init", "temporal-ui", []int{8080}, "Temporal UI reachable from the bastion only"},
}

// endpoints resolves the intent table's names to the plan's resources.
// A name can stand for several (the Temporal services of split mode).
func endpoints(p *synth.Plan, m *model) map[string][]*endpoint {
	out := map[string][]*endpoint{}
	add := func(name string, r synth.Resource, groups, subnets []string, public bool) {
		out[name] = append(out[name], &endpoint{Name: name, URN: r.URN, groups: groups, subnets: subnets, publicIP: public})
	}
	for _, r := range p.ByType(tECSService) {
		svc := strings.TrimSuffix(r.Name, "-service")
		groups, subnets := strs(r.Get("networkConfiguration.securityGroups")), strs(r.Get("networkConfiguration.subnets"))
		public := r.Bool("networkConfiguration.assignPublicIp")
		switch {
		case svc == "temporal-ui":
			add("temporal-ui", r, groups, subnets, public)
		case strings.HasPrefix(svc, "temporal-"):
			add("temporal", r, groups, subnets, public)
			if svc == "temporal-frontend" || svc == "temporal-combined" {
				add("temporal-frontend", r, groups, subnets, public)
			}
		default:
			add(svc, r, groups, subnets, public)
		}
	}
	for _, r := range p.ByType(tLB) {
		if !r.Bool("internal") {
			add("alb", r, strs(r.Get("securityGroups")), strs(r.Get("subnets")), true)
		}
	}
	for _, r := range p.ByType(tLambda) {
		if groups := strs(r.Get("vpcConfig.securityGroupIds")); len(groups) > 0 {
			add(strings.TrimSuffix(r.Name, "-function"), r, groups, strs(r.Get("vpcConfig.subnetIds")), false)
		}
	}
	subnetGroups := map[string][]string{}
	for _, r := range p.ByType(tSubnetGroup) {
		subnetGroups[r.Str("name")] = strs(r.Get("subnetIds"))
	}
	for _, typ := range []string{tRDSInstance, tRDSCluster} {
		for _, r := range p.ByType(typ) {
			if typ == tRDSInstance && r.Str("clusterIdentifier") != "" {
				continue
			}
			add("database", r, strs(r.Get("vpcSecurityGroupIds")), subnetGroups[r.Str("dbSubnetGroupName")], r.Bool("publiclyAccessible"))
		}
	}
	for _, lt := range p.ByType(tLaunchTmpl) {
		for _, g := range p.ByType(tASG) {
			if g.Str("launchTemplate.id") == lt.ID || strings.TrimSuffix(g.Name, "-group") == strings.TrimSuffix(lt.Name, "-launch-template") {
				public := lt.Bool("networkInterfaces.0.associatePublicIpAddress")
				add(strings.TrimSuffix(lt.Name, "-launch-template"), lt, strs(lt.Get("vpcSecurityGroupIds")), strs(g.Get("vpcZoneIdentifiers")), public)
			}
		}
	}
	if m.natInst != nil {
		out["nat-instance"] = []*endpoint{m.natInst}
	}
	for _, r := range p.ByType(tVpcEndpoint) {
		if r.Str("vpcEndpointType") != "Interface" {
			continue
		}
		svc := r.Str("serviceName")
		svc = strings.TrimPrefix(svc, "com.amazonaws."+regionOf(svc)+".")
		add("endpoint:"+svc, r, strs(r.Get("securityGroupIds")), strs(r.Get("subnetIds")), false)
	}
	return out
}

func regionOf(serviceName string) string {
	parts := strings.Split(serviceName, ".")
	if len(parts) > 2 {
		return parts[2]
	}
	return ""
}

// Finding is one verdict of an analysis.
type Finding struct {
	// Intent names the intent ("workers -> database tcp/5432").
	Intent string `json:"intent"`
	// Kind is "allow" (must be open), "deny" (must be closed), "exposure"
	// (public IPs and internet-facing rules) or "dangling" (a rule whose other
	// side cannot send or receive).
	Kind string `json:"kind"`
	// OK is true when the plan does what the intent says.
	OK bool `json:"ok"`
	// Detail explains the verdict: the rule, entry or route that decides it.
	Detail string `json:"detail"`
	// DecidedBy lists what grants an open path ("resource (entry)").
	DecidedBy []string `json:"decidedBy,omitempty"`
	// grants are the same, for tests that remove them.
	grants [][]grant
}

// Network runs the reachability analysis of a plan. A plan without a VPC
// (the org stack) has no network intents.
func Network(p *synth.Plan) []Finding {
	m := build(p)
	if len(m.subnets) == 0 {
		return nil
	}
	eps := endpoints(p, m)
	var out []Finding
	for _, f := range Flows {
		out = append(out, m.evaluate(eps, f, true)...)
	}
	for _, f := range Denied {
		out = append(out, m.evaluate(eps, f, false)...)
	}
	out = append(out, m.targetFlows(p, eps)...)
	out = append(out, m.exposure(p, eps)...)
	out = append(out, m.dangling(eps)...)
	for _, prob := range m.problems {
		out = append(out, Finding{Intent: "the network model reads every subnet", Kind: "model", Detail: prob})
	}
	return out
}

func (m *model) places(eps map[string][]*endpoint, name string) ([]place, bool) {
	switch {
	case name == "internet":
		return []place{{internet: true}}, true
	case strings.HasPrefix(name, "gateway:"):
		return []place{{gateway: strings.TrimPrefix(name, "gateway:")}}, true
	}
	var out []place
	for _, e := range eps[name] {
		out = append(out, place{ep: e})
	}
	return out, len(out) > 0
}

// evaluate checks one flow between every pair of resources it names.
func (m *model) evaluate(eps map[string][]*endpoint, f Flow, want bool) []Finding {
	kind := map[bool]string{true: "allow", false: "deny"}[want]
	srcs, okS := m.places(eps, f.From)
	dsts, okD := m.places(eps, f.To)
	if !okS || !okD {
		if want && m.natInst == nil && (f.From == "nat-instance" || f.To == "nat-instance") {
			return nil
		}
		if strings.HasPrefix(f.Seed, "optional: ") {
			return nil
		}
		if !want {
			return nil // nothing to reach: closed by construction
		}
		missing := f.From
		if okS {
			missing = f.To
		}
		return []Finding{{Intent: fmt.Sprintf("%s -> %s", f.From, f.To), Kind: kind, Detail: fmt.Sprintf("the plan has no resource for %q (%s)", missing, f.Seed)}}
	}
	var out []Finding
	for _, port := range f.Ports {
		for _, s := range srcs {
			for _, d := range dsts {
				intent := fmt.Sprintf("%s -> %s tcp/%d", s.name(), d.name(), port)
				if s.ep != nil && d.ep != nil && s.ep.URN == d.ep.URN && f.From != f.To {
					continue
				}
				checks := m.reach(s, d, port)
				fd := Finding{Intent: intent, Kind: kind}
				var failed []string
				for _, c := range checks {
					if !c.ok {
						failed = append(failed, c.why)
						continue
					}
					fd.grants = append(fd.grants, c.by)
					for _, g := range c.by {
						fd.DecidedBy = appendUnique(fd.DecidedBy, g.String())
					}
				}
				open := len(failed) == 0
				fd.OK = open == want
				switch {
				case want && open:
					fd.Detail = "open (" + f.Seed + ")"
				case want:
					fd.Detail = strings.Join(unique(failed), "; ")
				case open:
					fd.Detail = "open, but must not be (" + f.Seed + "): granted by " + strings.Join(fd.DecidedBy, ", ")
				default:
					fd.Detail = "closed: " + strings.Join(unique(failed), "; ")
					fd.DecidedBy, fd.grants = nil, nil
				}
				out = append(out, fd)
			}
		}
	}
	return out
}

func appendUnique(l []string, s string) []string {
	for _, e := range l {
		if e == s {
			return l
		}
	}
	return append(l, s)
}

func unique(l []string) []string {
	var out []string
	for _, s := range l {
		out = appendUnique(out, s)
	}
	return out
}

// exposure: nothing from the internet but 443 on the ALB; no workload has a
// public IP; the database tier has no route out.
func (m *model) exposure(p *synth.Plan, eps map[string][]*endpoint) []Finding {
	var out []Finding
	albGroups := map[string]bool{}
	for _, e := range eps["alb"] {
		for _, g := range e.groups {
			albGroups[g] = true
		}
	}
	intent := "nothing from the internet but tcp/443 on the ALB"
	var bad []string
	for _, r := range m.rules {
		if r.egress || !r.cidr.IsValid() || contains(m.vpcCIDR, r.cidr) {
			continue
		}
		if !albGroups[r.group] || r.protocol != "tcp" || r.from != 443 || r.to != 443 {
			bad = append(bad, fmt.Sprintf("%s admits %s %s from %s", r.g, r.protocol, portRange(r.from, r.to), r.cidr))
		}
	}
	for _, s := range m.sortedSubnets() {
		for _, e := range s.nacl {
			if e.egress || !e.allow || contains(m.vpcCIDR, e.cidr) || !e.cidr.IsValid() {
				continue
			}
			ephemeral := e.protocol == "tcp" && e.from >= ephemeralLow && e.to == ephemeralHigh
			if !ephemeral && !(s.tier == "public" && e.protocol == "tcp" && e.from == 443 && e.to == 443) {
				bad = append(bad, fmt.Sprintf("%s admits %s %s from %s into %s", e.g, e.protocol, portRange(e.from, e.to), e.cidr, s.name))
			}
		}
	}
	out = append(out, Finding{Intent: intent, Kind: "exposure", OK: len(bad) == 0, Detail: detail(bad, "only the ALB's tcp/443 rule and return traffic admit the internet")})

	bad = nil
	for name, list := range eps {
		for _, e := range list {
			if e.publicIP && name != "alb" && name != "nat-instance" {
				bad = append(bad, name+" gets a public IP")
			}
		}
	}
	for _, s := range m.sortedSubnets() {
		if s.public && s.tier != "public" {
			bad = append(bad, fmt.Sprintf("%s (%s tier) assigns public IPs on launch", s.name, s.tier))
		}
	}
	sort.Strings(bad)
	out = append(out, Finding{Intent: "no workload has a public IP", Kind: "exposure", OK: len(bad) == 0, Detail: detail(bad, "no task, function, database or bastion gets a public IP")})

	bad = nil
	for _, s := range m.sortedSubnets() {
		if s.tier != "database" {
			continue
		}
		for _, r := range m.routes[s.routeTable] {
			bad = append(bad, fmt.Sprintf("%s routes %s through %s", s.name, r.dest, r.g))
		}
	}
	out = append(out, Finding{Intent: "the database tier has no route out of the VPC", Kind: "exposure", OK: len(bad) == 0, Detail: detail(unique(bad), "database route tables hold only the local route")})
	return out
}

func detail(bad []string, good string) string {
	if len(bad) == 0 {
		return good
	}
	return strings.Join(bad, "; ")
}

func (m *model) sortedSubnets() []*subnet {
	out := make([]*subnet, 0, len(m.subnets))
	for _, s := range m.subnets {
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

// dangling finds group-to-group rules whose other side cannot take part: an
// ingress rule from a group that has no egress toward this one on those
// ports, and an egress rule to a group that admits nothing from this one.
func (m *model) dangling(eps map[string][]*endpoint) []Finding {
	// The subnets each group is used in, for counterparts written as CIDRs.
	where := map[string][]string{}
	for _, list := range eps {
		for _, e := range list {
			for _, g := range e.groups {
				for _, s := range e.subnets {
					where[g] = appendUnique(where[g], s)
				}
			}
		}
	}
	var bad []string
	for _, r := range m.rules {
		if r.peer == "" || r.peer == r.group {
			continue
		}
		if !m.counterpart(r, where[r.group]) {
			side := map[bool]string{true: "admits nothing from", false: "sends nothing to"}[r.egress]
			bad = appendUnique(bad, fmt.Sprintf("%s: %s %s %s on %s %s", r.g, m.groupName(r.peer), side, m.groupName(r.group), r.protocol, portRange(r.from, r.to)))
		}
	}
	sort.Strings(bad)
	return []Finding{{Intent: "no security-group rule dangles", Kind: "dangling", OK: len(bad) == 0, Detail: detail(bad, "every group-to-group rule has its counterpart")}}
}

// counterpart reports whether the peer group of r has a rule the other way,
// on ports that meet r's, toward r's group: by reference, or by CIDRs that
// hold every subnet r's group is used in.
func (m *model) counterpart(r sgRule, groupSubnets []string) bool {
	var addrs []netip.Prefix
	for _, id := range groupSubnets {
		if s, ok := m.subnets[id]; ok {
			addrs = append(addrs, s.cidr)
		}
	}
	covered := make([]bool, len(addrs))
	for _, o := range m.rules {
		if o.group != r.peer || o.egress == r.egress || !portsMeet(o, r) {
			continue
		}
		if o.peer == r.group {
			return true
		}
		for i, a := range addrs {
			if contains(o.cidr, a) {
				covered[i] = true
			}
		}
	}
	all := len(addrs) > 0
	for _, ok := range covered {
		all = all && ok
	}
	return all
}

func portsMeet(a, b sgRule) bool {
	if a.protocol == "-1" || b.protocol == "-1" {
		return true
	}
	return a.protocol == b.protocol && a.from <= b.to && b.from <= a.to
}
