package review

import (
	"maps"
	"sort"
	"strconv"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"

	"github.com/docustack/infrastructure/internal/synth"
)

// The engine's view of a change, where it differs from comparing two plans.

// KnownAfterApply is the value shown for an input that carries what a
// resource created by the change computes (its ID, its ARN): the offline
// synthesis has a placeholder there, the engine a value only after apply.
const KnownAfterApply = "(known after apply)"

// withIgnoredChanges returns head with every ignoreChanges path of a
// resource reset to the base's value (or removed where the base has none),
// as the engine does before it diffs: processIgnoreChanges in
// pkg/resource/deploy/step_generator.go (pulumi v3.274.1) resets each
// ignored path of the new inputs from the old ones with PropertyPath.Reset,
// using the new registration's ignoreChanges. ignored lists the resources
// whose inputs moved back ("urn\x00path").
func withIgnoredChanges(base, head []synth.Resource) (out []synth.Resource, ignored []string) {
	byURN := map[string]synth.Resource{}
	for _, r := range base {
		byURN[r.URN] = r
	}
	out = make([]synth.Resource, len(head))
	for i, h := range head {
		out[i] = h
		if len(h.IgnoreChanges) == 0 {
			continue
		}
		b, ok := matchBase(h, byURN)
		if !ok {
			continue // a create: nothing to keep
		}
		oldIn := resource.NewPropertyMapFromMap(b.Inputs)
		newIn := resource.NewPropertyMapFromMap(h.Inputs)
		moved := false
		for _, p := range h.IgnoreChanges {
			path, err := resource.ParsePropertyPath(p)
			if err != nil {
				continue // the engine skips what it cannot parse, too
			}
			before, _ := path.Get(resource.NewObjectProperty(newIn))
			if path.Reset(oldIn, newIn) {
				after, _ := path.Get(resource.NewObjectProperty(newIn))
				if !before.DeepEquals(after) {
					moved = true
					ignored = append(ignored, h.URN+"\x00"+p)
				}
			}
		}
		if moved {
			out[i].Inputs = newIn.Mappable()
		}
	}
	return out, ignored
}

// matchBase finds a head resource's base: by URN, else by an alias.
func matchBase(h synth.Resource, byURN map[string]synth.Resource) (synth.Resource, bool) {
	if b, ok := byURN[h.URN]; ok {
		return b, true
	}
	for _, a := range h.Aliases {
		if b, ok := byURN[a]; ok {
			return b, true
		}
	}
	return synth.Resource{}, false
}

// EngineIgnores applies the head's ignoreChanges to a pair of plans: the
// head plan as the engine diffs it, and whether any value moved back.
func EngineIgnores(base, head *synth.Plan) (*synth.Plan, bool) {
	if base == nil || head == nil {
		return head, false
	}
	res, ignored := withIgnoredChanges(base.Resources, head.Resources)
	if len(ignored) == 0 {
		return head, false
	}
	p := *head
	p.Resources = res
	return &p, true
}

// computedBy reports whether a head value carries something one of the
// resources in deps computes: the dependency is created by this change,
// and the value is none of the dependency's own inputs (a name passed
// through is known; its ID, ARN or endpoint is not).
func computedBy(v any, deps []string, created map[string]synth.Resource) bool {
	for _, u := range deps {
		d, ok := created[u]
		if !ok {
			continue
		}
		known := map[string]bool{}
		for _, s := range leafStrings(d.Inputs) {
			known[s] = true
		}
		for _, s := range leafStrings(v) {
			if (d.ID != "" && strings.Contains(s, d.ID)) || !known[s] {
				return true
			}
		}
	}
	return false
}

func leafStrings(v any) []string {
	switch t := v.(type) {
	case string:
		return []string{t}
	case map[string]any:
		var out []string
		for _, e := range t {
			out = append(out, leafStrings(e)...)
		}
		return out
	case []any:
		var out []string
		for _, e := range t {
			out = append(out, leafStrings(e)...)
		}
		return out
	}
	return nil
}

// steps are the engine steps a stack diff predicts, by URN: create,
// update, replace or delete. Changes of options alone make no step.
func (s StackDiff) steps() map[string]string {
	out := map[string]string{}
	for _, a := range s.Added {
		out[a.URN] = "create"
	}
	for _, r := range s.Removed {
		out[r.URN] = "delete"
	}
	for _, c := range s.Changed {
		if c.Action == "update" || c.Action == "replace" {
			out[c.URN] = c.Action
		}
	}
	return out
}

// renames marks each created resource that looks like a deleted one of
// the same type (most of their inputs equal): a rename without an alias,
// which the engine performs as a create and a delete. One-to-one, the most
// similar first.
func renames(added []Created, removed []ResourceRef, base, head []synth.Resource) []Created {
	if len(added) == 0 || len(removed) == 0 {
		return added
	}
	byURN := map[string]synth.Resource{}
	for _, r := range append(append([]synth.Resource(nil), base...), head...) {
		byURN[r.URN] = r
	}
	type pair struct {
		a, r  int
		score float64
	}
	var pairs []pair
	for i, a := range added {
		for j, r := range removed {
			if a.Type != r.Type {
				continue
			}
			if s := similarity(byURN[a.URN].Inputs, byURN[r.URN].Inputs); s >= renameSimilarity {
				pairs = append(pairs, pair{i, j, s})
			}
		}
	}
	sort.SliceStable(pairs, func(x, y int) bool { return pairs[x].score > pairs[y].score })
	usedA, usedR := map[int]bool{}, map[int]bool{}
	for _, p := range pairs {
		if usedA[p.a] || usedR[p.r] {
			continue
		}
		usedA[p.a], usedR[p.r] = true, true
		added[p.a].RenameOf = removed[p.r].URN
	}
	return added
}

// renameSimilarity is the share of equal inputs from which a created and a
// deleted resource of one type read as one resource renamed.
const renameSimilarity = 0.6

// similarity is the share of input leaves (path and value) two resources
// have in common, out of the larger set.
func similarity(a, b map[string]any) float64 {
	la, lb := leaves("", a), leaves("", b)
	n := max(len(la), len(lb))
	if n == 0 {
		return 1
	}
	same := 0
	for k, v := range la {
		if w, ok := lb[k]; ok && w == v {
			same++
		}
	}
	return float64(same) / float64(n)
}

func leaves(prefix string, v any) map[string]string {
	out := map[string]string{}
	switch t := v.(type) {
	case map[string]any:
		for k, e := range t {
			maps.Copy(out, leaves(prefix+"."+k, e))
		}
	case []any:
		for i, e := range t {
			maps.Copy(out, leaves(prefix+"."+strconv.Itoa(i), e))
		}
	default:
		out[prefix] = show(v)
	}
	return out
}
