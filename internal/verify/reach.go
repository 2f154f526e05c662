package verify

import (
	"fmt"
	"net/netip"
	"sort"
	"strings"
)

// check is one hop condition of a flow, with every rule that satisfies it
// (a security-group condition may be met by several rules) or why it fails.
type check struct {
	what string
	ok   bool
	by   []grant
	why  string
}

// place is where traffic comes from or goes to: an endpoint, the internet,
// or a gateway endpoint's service.
type place struct {
	ep       *endpoint
	internet bool
	gateway  string // s3, dynamodb
}

func (p place) name() string {
	switch {
	case p.internet:
		return "internet"
	case p.gateway != "":
		return "gateway:" + p.gateway
	}
	return p.ep.Name
}

// prefixes are the addresses of a place: its subnets' CIDRs, or the internet.
func (m *model) prefixes(p place) []netip.Prefix {
	if p.ep == nil {
		return []netip.Prefix{internet}
	}
	var out []netip.Prefix
	for _, id := range p.ep.subnets {
		if s, ok := m.subnets[id]; ok {
			out = append(out, s.cidr)
		}
	}
	return out
}

func contains(outer, inner netip.Prefix) bool {
	return outer.IsValid() && inner.IsValid() && outer.Bits() <= inner.Bits() && outer.Contains(inner.Addr())
}

func containsAll(outer netip.Prefix, inner []netip.Prefix) bool {
	if len(inner) == 0 {
		return false
	}
	for _, p := range inner {
		if !contains(outer, p) {
			return false
		}
	}
	return true
}

func inList(s string, l []string) bool {
	for _, e := range l {
		if e == s {
			return true
		}
	}
	return false
}

// sgAllows finds the rules of the groups of `at` that let traffic on port
// go to (egress) or come from (ingress) `peer`.
func (m *model) sgAllows(at *endpoint, peer place, egress bool, port int) check {
	dir := "ingress"
	if egress {
		dir = "egress"
	}
	c := check{what: fmt.Sprintf("security groups of %s allow %s tcp/%d %s %s", at.Name, dir, port, map[bool]string{true: "to", false: "from"}[egress], peer.name())}
	peerAddrs := m.prefixes(peer)
	// A group reference or prefix list decides alone; CIDR rules must cover
	// every subnet the peer runs in, each by some rule.
	covered := make([]bool, len(peerAddrs))
	var cidrGrants []grant
	for _, r := range m.rules {
		if r.egress != egress || !inList(r.group, at.groups) || !r.ports(port) {
			continue
		}
		switch {
		case r.peer != "" && peer.ep != nil && inList(r.peer, peer.ep.groups):
			c.by = append(c.by, r.g)
		case r.prefix != "" && peer.gateway != "":
			c.by = append(c.by, r.g)
		case r.cidr.IsValid():
			hit := false
			for i, a := range peerAddrs {
				if contains(r.cidr, a) {
					covered[i], hit = true, true
				}
			}
			if hit {
				cidrGrants = append(cidrGrants, r.g)
			}
		}
	}
	all := len(peerAddrs) > 0
	for _, ok := range covered {
		all = all && ok
	}
	if all {
		c.by = append(c.by, cidrGrants...)
	}
	c.ok = len(c.by) > 0
	if !c.ok {
		c.why = fmt.Sprintf("no %s rule of %s admits tcp/%d %s %s", dir, names(m, at.groups), port, map[bool]string{true: "to", false: "from"}[egress], peer.name())
	}
	return c
}

func names(m *model, groups []string) string {
	out := ""
	for i, g := range groups {
		if i > 0 {
			out += ", "
		}
		out += m.groupName(g)
	}
	return out
}

// naclAllows evaluates a subnet's ACL exactly as AWS does: entries in
// rule-number order, the first that matches a packet decides, and the
// implicit last entry denies. The peer range and the port range are cut
// into cells at every entry's address and port boundaries, and each cell is
// decided on its own, so a deny that covers part of the range closes that
// part only and two allows may cover the range between them. The flow is
// open only when every cell is (any cell closed means some connection of
// the flow fails).
func (m *model) naclAllows(s *subnet, egress bool, peer netip.Prefix, lo, hi int) check {
	dir := "inbound"
	if egress {
		dir = "outbound"
	}
	toFrom := map[bool]string{true: "to", false: "from"}[egress]
	c := check{what: fmt.Sprintf("network ACL of %s allows %s tcp/%s %s %s", s.name, dir, portRange(lo, hi), toFrom, peer)}
	var entries []naclEntry
	for _, e := range s.nacl {
		if e.egress == egress {
			entries = append(entries, e)
		}
	}
	cells := naclCells(entries, peer, lo, hi)
	var denied []string
	var deniers []*naclEntry
	seen := map[string]bool{}
	for _, cell := range cells {
		if cell.by == nil || !cell.by.allow {
			denied = append(denied, cell.String())
			deniers = append(deniers, cell.by)
			continue
		}
		if k := cell.by.g.String(); !seen[k] {
			seen[k] = true
			c.by = append(c.by, cell.by.g)
		}
	}
	if len(denied) == 0 {
		c.ok = true
		// Later entries that would allow the whole range too are
		// alternatives (removing the first would not close the path).
		for _, e := range entries {
			if e.allow && contains(e.cidr, peer) && e.covers(lo, hi) && !seen[e.g.String()] {
				seen[e.g.String()] = true
				c.by = append(c.by, e.g)
			}
		}
		return c
	}
	c.by = nil
	same := true
	for _, d := range deniers {
		same = same && d == deniers[0]
	}
	switch {
	case same && deniers[0] != nil && len(denied) == len(cells):
		c.why = fmt.Sprintf("%s denies it", deniers[0].g)
	case same && deniers[0] == nil && len(denied) == len(cells):
		c.why = fmt.Sprintf("no %s entry of the network ACL of %s allows tcp/%s %s %s (the implicit rule * denies)", dir, s.name, portRange(lo, hi), toFrom, peer)
	default:
		var why []string
		for i, d := range denied {
			by := "the implicit rule *"
			if deniers[i] != nil {
				by = deniers[i].g.String()
			}
			why = append(why, fmt.Sprintf("%s by %s", d, by))
		}
		c.why = fmt.Sprintf("part of the flow is denied: %s", strings.Join(why, "; "))
	}
	return c
}

// naclCell is a block of addresses and ports that every entry either holds
// whole or misses, and the entry that decides it (nil: the implicit deny).
type naclCell struct {
	from, to netip.Addr
	lo, hi   int
	by       *naclEntry
}

func (c naclCell) String() string {
	addr := c.from.String()
	if c.from != c.to {
		addr += "-" + c.to.String()
	}
	return fmt.Sprintf("tcp/%s %s", portRange(c.lo, c.hi), addr)
}

// naclCells cuts [peer] x [lo, hi] at the entries' boundaries and decides
// each cell by the first entry (in rule order) that holds it.
func naclCells(entries []naclEntry, peer netip.Prefix, lo, hi int) []naclCell {
	pf, pl := prefixRange(peer)
	addrCuts := []uint32{pf}
	portCuts := []int{lo}
	for _, e := range entries {
		if e.cidr.IsValid() && e.cidr.Addr().Is4() {
			f, l := prefixRange(e.cidr)
			if f > pf && f <= pl {
				addrCuts = append(addrCuts, f)
			}
			if l >= pf && l < pl {
				addrCuts = append(addrCuts, l+1)
			}
		}
		if e.protocol != "-1" && e.protocol != "all" {
			if e.from > lo && e.from <= hi {
				portCuts = append(portCuts, e.from)
			}
			if e.to >= lo && e.to < hi {
				portCuts = append(portCuts, e.to+1)
			}
		}
	}
	addrCuts, portCuts = uniqSorted(addrCuts), uniqSortedInt(portCuts)
	var out []naclCell
	for i, a := range addrCuts {
		aEnd := pl
		if i+1 < len(addrCuts) {
			aEnd = addrCuts[i+1] - 1
		}
		for j, p := range portCuts {
			pEnd := hi
			if j+1 < len(portCuts) {
				pEnd = portCuts[j+1] - 1
			}
			cell := naclCell{from: u32Addr(a), to: u32Addr(aEnd), lo: p, hi: pEnd}
			for k := range entries {
				e := &entries[k]
				if !e.cidr.IsValid() || !e.cidr.Contains(cell.from) || !e.cidr.Contains(cell.to) || !e.covers(p, pEnd) {
					continue
				}
				cell.by = e
				break
			}
			out = append(out, cell)
		}
	}
	return out
}

func prefixRange(p netip.Prefix) (uint32, uint32) {
	p = p.Masked()
	b := p.Addr().As4()
	first := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
	size := uint64(1) << (32 - p.Bits())
	return first, uint32(uint64(first) + size - 1)
}

func u32Addr(v uint32) netip.Addr {
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}

func uniqSorted(v []uint32) []uint32 {
	sort.Slice(v, func(i, j int) bool { return v[i] < v[j] })
	out := v[:0]
	for i, x := range v {
		if i == 0 || x != v[i-1] {
			out = append(out, x)
		}
	}
	return out
}

func uniqSortedInt(v []int) []int {
	sort.Ints(v)
	out := v[:0]
	for i, x := range v {
		if i == 0 || x != v[i-1] {
			out = append(out, x)
		}
	}
	return out
}

func portRange(lo, hi int) string {
	if lo == hi {
		return fmt.Sprint(lo)
	}
	return fmt.Sprintf("%d-%d", lo, hi)
}

// naclPath checks both ACLs of a subnet crossing, in both directions (the
// request on port, the reply on the ephemeral ports). ACLs apply only where
// traffic crosses a subnet boundary.
func (m *model) naclPath(from, to *subnet, fromAddr, toAddr netip.Prefix, port int) []check {
	var out []check
	if from != nil && to != nil && from.id == to.id {
		return nil
	}
	if from != nil {
		out = append(out, m.naclAllows(from, true, toAddr, port, port), m.naclAllows(from, false, toAddr, ephemeralLow, ephemeralHigh))
	}
	if to != nil {
		out = append(out, m.naclAllows(to, false, fromAddr, port, port), m.naclAllows(to, true, fromAddr, ephemeralLow, ephemeralHigh))
	}
	return out
}

// defaultRoute is the 0.0.0.0/0 route of a subnet's table.
func (m *model) defaultRoute(s *subnet) (route, bool) {
	if s == nil {
		return route{}, false
	}
	for _, r := range m.routes[s.routeTable] {
		if r.dest == internet {
			return r, true
		}
	}
	return route{}, false
}

// reach computes every condition of a flow from src to dst on tcp port.
func (m *model) reach(src, dst place, port int) []check {
	var out []check
	switch {
	case src.internet:
		out = append(out, m.sgAllows(dst.ep, src, false, port))
		for _, id := range dst.ep.subnets {
			s := m.subnets[id]
			r, ok := m.defaultRoute(s)
			out = append(out, check{what: fmt.Sprintf("%s routes 0.0.0.0/0 to an internet gateway", s.name), ok: ok && r.target == "igw", by: []grant{r.g},
				why: fmt.Sprintf("the route table of %s has no route to an internet gateway", s.name)})
			out = append(out, m.naclPath(nil, s, internet, s.cidr, port)...)
		}
	case dst.internet:
		out = append(out, m.sgAllows(src.ep, dst, true, port))
		for _, id := range src.ep.subnets {
			s := m.subnets[id]
			out = append(out, m.naclPath(s, nil, s.cidr, internet, port)...)
			r, ok := m.defaultRoute(s)
			switch {
			case !ok:
				out = append(out, check{what: s.name + " has a default route", why: fmt.Sprintf("the route table of %s has no 0.0.0.0/0 route", s.name)})
			case r.target == "igw":
				out = append(out, check{what: fmt.Sprintf("%s reaches the internet through NAT only", src.ep.Name), by: []grant{r.g},
					why: fmt.Sprintf("%s routes 0.0.0.0/0 straight to the internet gateway (%s)", s.name, r.g)})
			case r.target == "nat":
				out = append(out, check{what: fmt.Sprintf("%s routes 0.0.0.0/0 to NAT", s.name), ok: true, by: []grant{r.g}})
				out = append(out, m.throughNAT(src, s, r, port)...)
			default:
				out = append(out, check{what: s.name + " default route", why: fmt.Sprintf("%s routes 0.0.0.0/0 to %s", s.name, r.g)})
			}
		}
	case dst.gateway != "":
		out = append(out, m.sgAllows(src.ep, dst, true, port))
		for _, id := range src.ep.subnets {
			s := m.subnets[id]
			c := check{what: fmt.Sprintf("%s has the %s gateway endpoint route", s.name, dst.gateway),
				why: fmt.Sprintf("the route table of %s has no %s gateway endpoint", s.name, dst.gateway)}
			for _, r := range m.routes[s.routeTable] {
				if r.target == "endpoint" && r.gateway == dst.gateway {
					c.ok, c.by = true, []grant{r.g}
				}
			}
			out = append(out, c)
			// The service's public ranges are outside the VPC.
			out = append(out, m.naclPath(s, nil, s.cidr, internet, port)...)
		}
	default:
		out = append(out, m.sgAllows(src.ep, dst, true, port), m.sgAllows(dst.ep, src, false, port))
		for _, a := range src.ep.subnets {
			for _, b := range dst.ep.subnets {
				sa, sb := m.subnets[a], m.subnets[b]
				if sa == nil || sb == nil {
					continue
				}
				// Within the VPC the local route always applies.
				out = append(out, m.naclPath(sa, sb, sa.cidr, sb.cidr, port)...)
			}
		}
	}
	return out
}

// throughNAT checks the hop from a private subnet through the NAT (a NAT
// instance's group and subnet, or a NAT gateway's subnet) to the internet.
func (m *model) throughNAT(src place, s *subnet, r route, port int) []check {
	var out []check
	natSubnet := m.subnets[m.natSubnet[r.via]]
	if natSubnet == nil {
		return append(out, check{what: "NAT subnet", why: fmt.Sprintf("the NAT target of %s is not in a known subnet", r.g)})
	}
	out = append(out, m.naclPath(s, natSubnet, s.cidr, natSubnet.cidr, port)...)
	if m.natInst != nil && m.natInst.subnets[0] == natSubnet.id {
		out = append(out, m.sgAllows(m.natInst, place{ep: &endpoint{Name: src.ep.Name, subnets: []string{s.id}}}, false, port))
		out = append(out, m.sgAllows(m.natInst, place{internet: true}, true, port))
		out = append(out, check{what: "the NAT instance has a public IP", ok: m.natInst.publicIP, by: []grant{{URN: m.natInst.URN, What: "nat instance"}},
			why: "the NAT instance has no public IP"})
	}
	out = append(out, m.naclPath(natSubnet, nil, natSubnet.cidr, internet, port)...)
	nr, ok := m.defaultRoute(natSubnet)
	out = append(out, check{what: fmt.Sprintf("%s routes 0.0.0.0/0 to an internet gateway", natSubnet.name), ok: ok && nr.target == "igw", by: []grant{nr.g},
		why: fmt.Sprintf("the NAT's subnet %s has no route to an internet gateway", natSubnet.name)})
	return out
}
