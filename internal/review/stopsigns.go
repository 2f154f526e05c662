package review

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/docustack/infrastructure/internal/synth"
	"github.com/docustack/infrastructure/internal/verify"
)

// Stop signs: the changes a reviewer must accept by name before the gate
// passes. Four families, each derived from the change itself:
//   - loss: a stateful or protected resource replaced or deleted, or a
//     replacement AWS refuses or that deletes first (the refusals);
//   - disruption: the network rebuilt (a VPC, subnet, route table, gateway or
//     endpoint replaced or deleted: traffic through it stops until the new one
//     exists and everything in it follows);
//   - protection off: an option (protect, retainOnDelete) or an input that
//     protects data turned off or shortened, read from the input's name and
//     its direction (weakened), not from a list of resources;
//   - power: an SCP detached or denying less, and a principal newly able to
//     perform a sensitive action (docustack verify's who-can, both sides).

// stateful are the types whose replacement or deletion loses data or
// cryptographic material that no `pulumi up` brings back.
var stateful = map[string]string{
	"aws:rds/instance:Instance":                                "database",
	"aws:rds/cluster:Cluster":                                  "database",
	"aws:s3/bucketV2:BucketV2":                                 "bucket",
	"aws:s3/bucket:Bucket":                                     "bucket",
	"aws:kms/key:Key":                                          "KMS key",
	"aws:backup/vault:Vault":                                   "backup vault",
	"aws:cloudwatch/logGroup:LogGroup":                         "log group",
	"aws:ecr/repository:Repository":                            "image repository",
	"aws:secretsmanager/secret:Secret":                         "secret",
	"aws:dynamodb/table:Table":                                 "table",
	"aws:cloudtrail/trail:Trail":                               "audit trail",
	"aws:backup/vaultLockConfiguration:VaultLockConfiguration": "vault lock",
	"aws:s3/bucketObjectLockConfigurationV2:BucketObjectLockConfigurationV2": "Object Lock default retention",
}

// network are the types whose replacement or deletion stops traffic: each
// is a place others stand in or route through (a subnet's interfaces, a
// route table's subnets), so the replacement cascades to them too.
var network = map[string]string{
	"aws:ec2/vpc:Vpc":                         "VPC",
	"aws:ec2/subnet:Subnet":                   "subnet",
	"aws:ec2/routeTable:RouteTable":           "route table",
	"aws:ec2/natGateway:NatGateway":           "NAT gateway",
	"aws:ec2/internetGateway:InternetGateway": "internet gateway",
	"aws:ec2/vpcEndpoint:VpcEndpoint":         "VPC endpoint",
}

const (
	typeSCP           = "aws:organizations/policy:Policy"
	typeSCPAttachment = "aws:organizations/policyAttachment:PolicyAttachment"
)

// stopSigns finds a stack's stop signs.
func stopSigns(d StackDiff) []StopSign {
	var out []StopSign
	sign := func(r ResourceRef, action, why string) {
		out = append(out, StopSign{Stack: d.Stack, URN: r.URN, Type: r.Type, Name: r.Name, Action: action, Why: why})
	}
	for _, r := range d.Refusals {
		sign(r.ResourceRef, r.Action, r.Why+". Fix: "+r.Fix)
	}
	renamedTo := map[string]string{}
	for _, a := range d.Added {
		if a.RenameOf != "" {
			renamedTo[a.RenameOf] = a.Name
		}
	}
	for _, r := range d.Removed {
		switch {
		case stateful[r.Type] != "" || r.Protect:
			w := why(stateful[r.Type], r.Protect, "deleted")
			if to := renamedTo[r.URN]; to != "" {
				w += fmt.Sprintf("; it looks renamed to %s without an alias, and pulumi.Aliases on %s would keep it", to, to)
			}
			sign(r, "delete", w)
		case network[r.Type] != "":
			sign(r, "delete", "a "+network[r.Type]+", deleted: traffic through it stops")
		case r.Type == typeSCPAttachment:
			sign(r, "detach", "an SCP attachment, deleted: the account or OU it bound is no longer denied what the SCP denies")
		case r.Type == typeSCP:
			sign(r, "delete", "an SCP, deleted: what it denied is allowed wherever it was attached")
		}
	}
	for _, c := range d.Changed {
		if c.Action == "replace" {
			props := replacing(c)
			switch {
			case stateful[c.Type] != "" || c.Protect:
				sign(c.ResourceRef, "replace", why(stateful[c.Type], c.Protect, "replaced because "+props+" cannot change in place"))
			case network[c.Type] != "":
				sign(c.ResourceRef, "rebuild", "a "+network[c.Type]+", replaced because "+props+" cannot change in place: "+
					"traffic through it stops until the new one exists, and what stands in it is replaced with it")
			case c.Type == typeSCPAttachment:
				sign(c.ResourceRef, "detach", "an SCP attachment, replaced because "+props+" cannot change in place: "+
					"the SCP is detached before it is attached again")
			}
		}
		var dropped []string
		for _, o := range c.Options {
			if (o.Path == "protect" || o.Path == "retainOnDelete") && o.Old == "true" {
				dropped = append(dropped, o.Path)
			}
		}
		if len(dropped) > 0 {
			sign(c.ResourceRef, "unprotect", strings.Join(dropped, " and ")+" removed: the next change can delete it")
		}
		for _, p := range c.Properties {
			if w := weakens(p); w != "" {
				sign(c.ResourceRef, "unprotect", p.Path+" "+w)
			}
		}
	}
	for _, w := range d.SCPs {
		sign(w.ResourceRef, "weaken", "an SCP that no longer denies "+strings.Join(w.NoLongerDenies, "; "))
	}
	for _, g := range d.Power {
		out = append(out, StopSign{Stack: d.Stack, Name: g.Who, Action: "widen",
			Why: fmt.Sprintf("%s can now %s (docustack verify, who can)", g.Who, g.What)})
	}
	for i := range out {
		for _, f := range d.Policy.NewlyViolated {
			if f.Resource == out[i].Name && f.Level == "mandatory" && !f.Waived {
				out[i].Findings = append(out[i].Findings, firstSentence(f.Message))
			}
		}
	}
	return out
}

func replacing(c Change) string {
	var props []string
	for _, p := range c.Properties {
		if p.Replaces {
			props = append(props, p.Path)
		}
	}
	if len(props) == 0 {
		return "what it depends on is replaced"
	}
	return strings.Join(props, ", ")
}

func why(kind string, protect bool, what string) string {
	var s []string
	if kind != "" {
		s = append(s, "a "+kind)
	}
	if protect {
		s = append(s, "protected")
	}
	return strings.Join(s, ", ") + ", " + what
}

// weakens says how an input change turns protection off, from the input's
// name and the direction of the change, or "":
//   - a switch named for a protection (deletion protection, Object Lock,
//     public access blocks, encryption, key rotation) turned off;
//   - a switch named for skipping or forcing (skipFinalSnapshot,
//     forceDestroy) turned on;
//   - a retention, deletion window or expiry shortened; CloudWatch Logs reads
//     a missing or 0 retentionInDays as "never expire"
//     (https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutRetentionPolicy.html);
//   - a lock's mode moved off COMPLIANCE, which no one can shorten, to
//     GOVERNANCE, which a permitted caller can
//     (https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-lock.html#object-lock-retention-modes).
func weakens(p PropChange) string {
	segs := strings.Split(p.Path, ".")
	leaf := strings.ToLower(segs[len(segs)-1])
	path := strings.ToLower(p.Path)
	old, new := p.Old, p.New
	if new == KnownAfterApply || strings.HasPrefix(new, "(new value") {
		return ""
	}
	on := func(v string) bool { return v == "true" || v == `"Enabled"` }
	switch {
	case containsAny(leaf, "protection", "lock", "block", "encrypt", "rotation"):
		if on(old) && !on(new) {
			return fmt.Sprintf("turned off (%s → %s)", old, orNone(new))
		}
	case strings.HasPrefix(leaf, "skip") || strings.HasPrefix(leaf, "force"):
		if old != "true" && new == "true" {
			return fmt.Sprintf("turned on (%s → %s): deleting it no longer keeps its data", orNone(old), new)
		}
	case leaf == "mode" && strings.Contains(path, "retention") || leaf == "mode" && strings.Contains(path, "lock"):
		if old == `"COMPLIANCE"` && new != old {
			return fmt.Sprintf("moved off COMPLIANCE (%s): a permitted caller can shorten or remove the retention", orNone(new))
		}
	case containsAny(path, "retention", "deletionwindow", "deleteafter", "expiration"):
		o, oerr := strconv.ParseFloat(old, 64)
		n, nerr := strconv.ParseFloat(new, 64)
		if leaf == "retentionindays" {
			// Absent or 0: never expire.
			if old == "" || o == 0 {
				o, oerr = 1e18, nil
			}
			if new == "" || n == 0 {
				n, nerr = 1e18, nil
			}
		}
		if oerr == nil && nerr == nil && n < o {
			return fmt.Sprintf("shortened (%s → %s)", old, new)
		}
	}
	return ""
}

func containsAny(s string, subs ...string) bool {
	for _, x := range subs {
		if strings.Contains(s, x) {
			return true
		}
	}
	return false
}

// denies lists the (action, resource, condition) triples a policy
// document's Deny statements cover, read with verify's policy parser.
func denies(doc string) (map[string]bool, bool) {
	d, err := verify.ParseDocument(doc)
	if err != nil {
		return nil, false
	}
	out := map[string]bool{}
	for _, s := range d.Statement {
		if s.Effect != "Deny" {
			continue
		}
		cond, _ := json.Marshal(s.Condition)
		for _, a := range verify.Values(s.Action) {
			for _, r := range append(verify.Values(s.Resource), verify.Values(s.NotResource)...) {
				out[a+" on "+r+" when "+string(cond)] = true
			}
		}
		for _, a := range verify.Values(s.NotAction) {
			out["everything but "+a+" when "+string(cond)] = true
		}
	}
	return out, true
}

// SCPChange is an SCP whose document denies less than it did.
type SCPChange struct {
	ResourceRef
	NoLongerDenies []string `json:"noLongerDenies"`
}

// scpDelta compares each SCP on both sides: what its head no longer denies.
func scpDelta(base, head []synth.Resource) []SCPChange {
	byURN := map[string]synth.Resource{}
	for _, r := range base {
		byURN[r.URN] = r
	}
	var out []SCPChange
	for _, h := range head {
		if h.Type != typeSCP {
			continue
		}
		b, ok := matchBase(h, byURN)
		if !ok {
			continue
		}
		bc, _ := b.Inputs["content"].(string)
		hc, _ := h.Inputs["content"].(string)
		if bc == hc {
			continue
		}
		was, ok1 := denies(bc)
		now, ok2 := denies(hc)
		c := SCPChange{ResourceRef: ref(h)}
		if !ok1 || !ok2 {
			c.NoLongerDenies = []string{"what it did: its content is not a policy document the review can read, so nothing shows it denies no less"}
		}
		for _, k := range slices.Sorted(maps.Keys(was)) {
			if !now[k] {
				c.NoLongerDenies = append(c.NoLongerDenies, k)
			}
		}
		if len(c.NoLongerDenies) > 0 {
			out = append(out, c)
		}
	}
	return out
}

// Grant is a principal newly able to perform a sensitive action.
type Grant struct {
	What string `json:"what"`
	Who  string `json:"who"`
}

// widened compares docustack verify's who-can rows of both sides: for a
// sensitive action on a resource both sides hold, every caller the head adds.
// A resource the change creates is reviewed as an addition (and verify's
// allow-list judges its callers), not as a widening.
func widened(base, head []verify.WhoCanRow) []Grant {
	if base == nil || head == nil {
		return nil // who-can did not exist on one side
	}
	was := map[string]map[string]bool{}
	for _, r := range base {
		set := map[string]bool{}
		for _, w := range r.Who {
			set[w] = true
		}
		was[r.Class+"\x00"+r.What] = set
	}
	var out []Grant
	for _, r := range head {
		set, ok := was[r.Class+"\x00"+r.What]
		if !ok {
			continue
		}
		for _, w := range r.Who {
			if !set[w] {
				out = append(out, Grant{What: r.What, Who: w})
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].What+out[i].Who < out[j].What+out[j].Who })
	return out
}
