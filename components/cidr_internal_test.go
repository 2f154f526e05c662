package components

import (
	"net/netip"
	"testing"

	"github.com/stretchr/testify/assert"
)

// A subnet is inside the VPC only if it is no wider than it: 10.0.0.0/15
// starts inside 10.0.0.0/16 but is twice its size.
func TestContains(t *testing.T) {
	vpc := netip.MustParsePrefix("10.0.0.0/16")
	for cidr, want := range map[string]bool{
		"10.0.1.0/24": true,
		"10.0.0.0/16": true,
		"10.0.0.0/15": false,
		"10.1.0.0/24": false,
	} {
		assert.Equal(t, want, contains(vpc, netip.MustParsePrefix(cidr)), cidr)
	}
}
