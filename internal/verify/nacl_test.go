package verify

import (
	"net/netip"
	"testing"

	"github.com/stretchr/testify/assert"
)

// Network ACL entries with partial port and address overlaps, evaluated as
// AWS orders them (VPC User Guide, "Control subnet traffic with network
// access control lists": rules are evaluated in rule-number order, the first
// match decides, the * rule denies). None of the stacks has a deny entry, so
// these pin the semantics.
func TestNetworkACLDenies(t *testing.T) {
	entry := func(no int, allow bool, cidr string, from, to int) naclEntry {
		proto := "tcp"
		if from == 0 && to == 0 {
			proto = "-1"
		}
		return naclEntry{ruleNo: no, allow: allow, protocol: proto, from: from, to: to, cidr: netip.MustParsePrefix(cidr),
			g: grant{What: "rule " + map[bool]string{true: "allow ", false: "deny "}[allow] + cidr}}
	}
	allowAll := entry(100, true, "10.0.0.0/16", 0, 0)
	cases := []struct {
		name    string
		entries []naclEntry
		peer    string
		lo, hi  int
		ok      bool
		why     string
	}{
		{"a deny on half the peer subnet closes that half", []naclEntry{entry(50, false, "10.0.10.0/25", 5432, 5432), allowAll},
			"10.0.10.0/24", 5432, 5432, false, "part of the flow is denied: tcp/5432 10.0.10.0-10.0.10.127 by rule deny 10.0.10.0/25"},
		{"a deny on another subnet leaves this one open", []naclEntry{entry(50, false, "10.0.11.0/24", 5432, 5432), allowAll},
			"10.0.10.0/24", 5432, 5432, true, ""},
		{"a deny on one ephemeral port closes replies on it", []naclEntry{entry(50, false, "0.0.0.0/0", 3389, 3389), allowAll},
			"10.0.10.0/24", ephemeralLow, ephemeralHigh, false, "tcp/3389 10.0.10.0-10.0.10.255 by rule deny 0.0.0.0/0"},
		{"a deny after the allow never decides", []naclEntry{allowAll, entry(200, false, "10.0.10.0/24", 5432, 5432)},
			"10.0.10.0/24", 5432, 5432, true, ""},
		{"two allows cover the peer between them", []naclEntry{entry(100, true, "10.0.10.0/25", 5432, 5432), entry(110, true, "10.0.10.128/25", 5432, 5432)},
			"10.0.10.0/24", 5432, 5432, true, ""},
		{"an allow for half the ports leaves the rest to the implicit deny", []naclEntry{entry(100, true, "10.0.0.0/16", 1024, 32767)},
			"10.0.10.0/24", ephemeralLow, ephemeralHigh, false, "tcp/32768-65535 10.0.10.0-10.0.10.255 by the implicit rule *"},
		{"a deny of the whole flow names its rule", []naclEntry{entry(50, false, "10.0.0.0/8", 0, 0), allowAll},
			"10.0.10.0/24", 5432, 5432, false, "rule deny 10.0.0.0/8 denies it"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := &subnet{name: "private-0", nacl: c.entries}
			got := (&model{}).naclAllows(s, false, netip.MustParsePrefix(c.peer), c.lo, c.hi)
			assert.Equal(t, c.ok, got.ok, got.why)
			if !c.ok {
				assert.Contains(t, got.why, c.why)
			}
		})
	}
}
