package components

import (
	"fmt"
	"net/netip"
)

// privateRanges are the RFC 1918 blocks a VPC may use.
var privateRanges = []netip.Prefix{
	netip.MustParsePrefix("10.0.0.0/8"),
	netip.MustParsePrefix("172.16.0.0/12"),
	netip.MustParsePrefix("192.168.0.0/16"),
}

// VPCPrefixLength is the size of every DocuStack VPC (seed: "VPC (10.X.0.0/16)").
const VPCPrefixLength = 16

// Subnet sizes AWS accepts in a VPC.
const (
	minSubnetPrefix = 16
	maxSubnetPrefix = 28
)

// parseCanonical parses a CIDR and insists it is written in canonical form
// (no host bits set), so "10.0.1.7/24" is an error rather than a surprise.
func parseCanonical(s string) (netip.Prefix, error) {
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("not a CIDR block")
	}
	if !p.Addr().Is4() {
		return netip.Prefix{}, fmt.Errorf("not an IPv4 CIDR block")
	}
	if p.Masked() != p {
		return netip.Prefix{}, fmt.Errorf("host bits set (did you mean %s?)", p.Masked())
	}
	return p, nil
}

// isPrivate reports whether p lies wholly inside an RFC 1918 range.
func isPrivate(p netip.Prefix) bool {
	for _, r := range privateRanges {
		if r.Bits() <= p.Bits() && r.Contains(p.Addr()) {
			return true
		}
	}
	return false
}

// contains reports whether outer wholly contains inner.
func contains(outer, inner netip.Prefix) bool {
	return outer.Bits() <= inner.Bits() && outer.Contains(inner.Addr())
}
