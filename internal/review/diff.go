package review

import (
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/docustack/infrastructure/internal/awsspec"
	"github.com/docustack/infrastructure/internal/gate"
	"github.com/docustack/infrastructure/internal/synth"
)

// Report is the diff of every stack between a base revision and the
// working tree.
type Report struct {
	Base       string `json:"base"`
	BaseCommit string `json:"baseCommit"`
	// StopSigns are the changes a reviewer must accept (label
	// StopSignLabel) before the review gate passes.
	StopSigns []StopSign  `json:"stopSigns"`
	Stacks    []StackDiff `json:"stacks"`
	Waivers   WaiverDelta `json:"waivers"`
}

// StopSignLabel is the pull-request label reviewers apply to accept the
// stop signs of a change (docs/review.md); the gate reads it.
const StopSignLabel = gate.Label

// StopSign is a change a reviewer accepts by name (stopsigns.go): data
// lost, the network rebuilt, protection off, or power widened.
type StopSign struct {
	Stack string `json:"stack"`
	URN   string `json:"urn,omitempty"`
	Type  string `json:"type,omitempty"`
	Name  string `json:"name"`
	// Action: replace, delete, delete-first, fails, rebuild, unprotect,
	// detach, weaken, widen.
	Action string `json:"action"`
	Why    string `json:"why"`
	// Findings are the mandatory policy findings newly raised on the same
	// resource: the rule the change breaks, next to the sign it explains.
	Findings []string `json:"findings,omitempty"`
}

// StackDiff is one stack's delta.
type StackDiff struct {
	Stack string `json:"stack"`
	// Note says when the stack exists on one side only.
	Note    string        `json:"note,omitempty"`
	Added   []Created     `json:"added"`
	Removed []ResourceRef `json:"removed"`
	Changed []Change      `json:"changed"`
	Outputs []PropChange  `json:"outputs,omitempty"`
	// Steps are the engine steps the diff predicts, by URN (create, update,
	// replace, delete): what the gate compares with the real preview's.
	Steps map[string]string `json:"steps"`
	// Refusals are changes AWS would refuse as the engine applies them.
	Refusals []Refusal `json:"refusals,omitempty"`
	// SCPs are SCPs that deny less; Power, principals newly able to perform
	// a sensitive action on a resource both sides hold.
	SCPs   []SCPChange `json:"scps,omitempty"`
	Power  []Grant     `json:"power,omitempty"`
	Policy PolicyDelta `json:"policy"`
	Verify VerifyDelta `json:"verify"`
	Cost   CostDelta   `json:"cost"`
}

// Refusal is a change the engine would apply in a way AWS refuses or that
// takes the resource away first, with the reason and the fix.
type Refusal struct {
	ResourceRef
	// Action is "fails" (AWS refuses the create) or "delete-first" (the
	// resource is deleted before its replacement exists).
	Action string `json:"action"`
	Why    string `json:"why"`
	Fix    string `json:"fix"`
}

// ResourceRef names a resource.
type ResourceRef struct {
	URN     string `json:"urn"`
	Type    string `json:"type"`
	Name    string `json:"name"`
	Protect bool   `json:"protect,omitempty"`
}

// Created is a resource the change creates, with its inputs: all of them
// in the JSON, the ones that define it in the Markdown.
type Created struct {
	ResourceRef
	Properties []PropChange `json:"properties"`
	// RenameOf names a deleted resource of the same type this one looks
	// like: a rename without an alias (a delete and a create).
	RenameOf string `json:"renameOf,omitempty"`
}

// Change is a resource on both sides whose inputs or options differ.
type Change struct {
	ResourceRef
	// Action is "update" or "replace", the engine's step, or "options"
	// when only resource options differ (recorded in the state, no AWS call).
	Action string `json:"action"`
	// RenamedFrom is the base URN when the resource was matched through an alias.
	RenamedFrom string       `json:"renamedFrom,omitempty"`
	Properties  []PropChange `json:"properties"`
	Options     []PropChange `json:"options,omitempty"`
}

// PropChange is one path whose value differs. Old or New is "" when absent.
type PropChange struct {
	Path     string `json:"path"`
	Old      string `json:"old"`
	New      string `json:"new"`
	Replaces bool   `json:"replaces,omitempty"`
}

// PolicyDelta is what the policy pack says differently.
type PolicyDelta struct {
	NewlyViolated []Finding `json:"newlyViolated"`
	NewlyPassing  []Finding `json:"newlyPassing"`
}

// Finding is a policy finding as the diff reports it.
type Finding struct {
	Rule     string `json:"rule"`
	Resource string `json:"resource"`
	Level    string `json:"level"`
	Waived   bool   `json:"waived"`
	Message  string `json:"message"`
}

// WaiverDelta lists waivers added and removed (rule on resource).
type WaiverDelta struct {
	Added   []string `json:"added"`
	Removed []string `json:"removed"`
}

// VerifyDelta is what docustack verify says differently.
type VerifyDelta struct {
	NewlyFailing []Intent `json:"newlyFailing"`
	NewlyPassing []Intent `json:"newlyPassing"`
	Added        int      `json:"added"`
	Removed      int      `json:"removed"`
}

// Intent is one verify intent.
type Intent struct {
	Intent string `json:"intent"`
	Detail string `json:"detail"`
}

// CostDelta is the monthly estimate on both sides.
type CostDelta struct {
	BaseUSD     float64          `json:"baseUsd"`
	HeadUSD     float64          `json:"headUsd"`
	DeltaUSD    float64          `json:"deltaUsd"`
	ByComponent []ComponentDelta `json:"byComponent"`
}

// ComponentDelta is one component's change in monthly cost.
type ComponentDelta struct {
	Component string  `json:"component"`
	BaseUSD   float64 `json:"baseUsd"`
	HeadUSD   float64 `json:"headUsd"`
	DeltaUSD  float64 `json:"deltaUsd"`
}

// Changed reports whether anything differs.
func (r *Report) Changed() bool {
	if len(r.Waivers.Added)+len(r.Waivers.Removed) > 0 {
		return true
	}
	for _, s := range r.Stacks {
		if !s.empty() {
			return true
		}
	}
	return false
}

func (s StackDiff) empty() bool {
	return s.Note == "" && len(s.Added)+len(s.Removed)+len(s.Changed)+len(s.Outputs) == 0 &&
		len(s.Policy.NewlyViolated)+len(s.Policy.NewlyPassing) == 0 &&
		len(s.Verify.NewlyFailing)+len(s.Verify.NewlyPassing)+s.Verify.Added+s.Verify.Removed == 0 &&
		len(s.Cost.ByComponent) == 0
}

// Counts are a stack's resources to add, update, replace and delete (a
// change of options alone is none of them).
func (s StackDiff) Counts() (add, update, replace, del int) {
	for _, c := range s.Changed {
		switch c.Action {
		case "replace":
			replace++
		case "update":
			update++
		}
	}
	return len(s.Added), update, replace, len(s.Removed)
}

// Compare diffs one stack's two snapshots; base or head may be Missing.
func Compare(base, head *Snapshot) StackDiff {
	d := StackDiff{Stack: head.Stack}
	var bres, hres []synth.Resource
	switch {
	case base.Missing && head.Missing:
		return d
	case base.Missing:
		d.Note = "new stack: no stack file at the base"
	case head.Missing:
		d.Note = "stack removed: no stack file in the working tree"
	}
	if base.Plan != nil {
		bres = base.Plan.Resources
	}
	if head.Plan != nil {
		hres = head.Plan.Resources
	}
	// The engine diffs the inputs with the ignored paths put back.
	hres, _ = withIgnoredChanges(bres, hres)
	d.Added, d.Removed, d.Changed = diffResources(bres, hres)
	d.Steps = d.steps()
	d.Refusals = nameCollisions(bres, hres, d)
	d.SCPs = scpDelta(bres, hres)
	d.Power = widened(base.WhoCan, head.WhoCan)
	if base.Plan != nil && head.Plan != nil {
		d.Outputs = diffValues("", base.Plan.Outputs, head.Plan.Outputs, "")
	}
	d.Policy = diffPolicy(base, head)
	d.Verify = diffVerify(base, head)
	d.Cost = diffCost(base, head)
	return d
}

// diffResources matches resources by URN, then by alias (a head resource
// whose aliases name a base URN is that resource renamed).
func diffResources(base, head []synth.Resource) (added []Created, removed []ResourceRef, changed []Change) {
	byURN := map[string]synth.Resource{}
	for _, r := range base {
		byURN[r.URN] = r
	}
	// The resources the change creates: what they compute is known only
	// after apply.
	created := map[string]synth.Resource{}
	for _, h := range head {
		if _, ok := matchBase(h, byURN); !ok {
			created[h.URN] = h
		}
	}
	matched := map[string]bool{}
	for _, h := range head {
		b, ok := byURN[h.URN]
		from := ""
		if !ok {
			for _, a := range h.Aliases {
				if b, ok = byURN[a]; ok && !matched[a] {
					from = a
					break
				}
				ok = false
			}
		}
		if !ok {
			added = append(added, create(h, created))
			continue
		}
		matched[b.URN] = true
		if c, diff := diffResource(b, h, created); diff || from != "" {
			c.RenamedFrom = from
			changed = append(changed, c)
		}
	}
	for _, b := range base {
		if !matched[b.URN] {
			removed = append(removed, ref(b))
		}
	}
	return renames(added, removed, base, head), removed, propagate(head, added, changed)
}

// create lists a new resource's inputs, with what other new resources
// compute shown as known after apply.
func create(h synth.Resource, created map[string]synth.Resource) Created {
	c := Created{ResourceRef: ref(h), Properties: diffValues("", map[string]any{}, h.Inputs, "")}
	for i, p := range c.Properties {
		top, _, _ := strings.Cut(p.Path, ".")
		if computedBy(h.Inputs[top], h.PropertyDependencies[top], created) {
			c.Properties[i].New = KnownAfterApply
		}
	}
	return c
}

// propagate carries replacements to the resources that read them: a
// replaced resource gets a new ID and ARN, so every input that depends on
// it changes, and a resource whose replace-causing input does is replaced
// in turn (a replaced KMS key replaces the database encrypted with it).
// Synthesis cannot see this by itself: offline IDs do not change.
func propagate(head []synth.Resource, added []Created, changed []Change) []Change {
	isNew := map[string]bool{}
	for _, a := range added {
		isNew[a.URN] = true
	}
	index := map[string]int{}
	replaced := map[string]string{}
	for i, c := range changed {
		index[c.URN] = i
		if c.Action == "replace" {
			replaced[c.URN] = c.Name
		}
	}
	for grew := true; grew; {
		grew = false
		for _, h := range head {
			if isNew[h.URN] {
				continue
			}
			for _, prop := range slices.Sorted(maps.Keys(h.PropertyDependencies)) {
				dep := ""
				for _, u := range h.PropertyDependencies[prop] {
					if name, ok := replaced[u]; ok {
						dep = name
						break
					}
				}
				if dep == "" {
					continue
				}
				i, ok := index[h.URN]
				if !ok {
					changed = append(changed, Change{ResourceRef: ref(h), Action: "update"})
					i = len(changed) - 1
					index[h.URN] = i
				}
				c := &changed[i]
				if hasPath(c.Properties, prop) {
					continue
				}
				p := PropChange{Path: prop, Old: show(h.Inputs[prop]), New: "(new value after " + dep + " is replaced)", Replaces: replaces(h.Type, prop)}
				c.Properties = append(c.Properties, p)
				if c.Action == "options" {
					c.Action = "update"
				}
				if p.Replaces && c.Action != "replace" {
					c.Action = "replace"
					replaced[h.URN] = h.Name
					grew = true
				}
			}
		}
	}
	return changed
}

func hasPath(props []PropChange, top string) bool {
	for _, p := range props {
		if p.Path == top || strings.HasPrefix(p.Path, top+".") {
			return true
		}
	}
	return false
}

func ref(r synth.Resource) ResourceRef {
	return ResourceRef{URN: r.URN, Type: r.Type, Name: r.Name, Protect: r.Protect}
}

// diffResource classifies one resource as the engine does: an input that
// differs is an update, or a replacement where the provider cannot change it
// in place; options alone (protect, retainOnDelete, ignoreChanges,
// deleteBeforeReplace) make no call to AWS: the engine records them in the
// state ("options"). A dependency alone (dependsOn) changes nothing the
// engine diffs, and is not reported.
func diffResource(b, h synth.Resource, created map[string]synth.Resource) (Change, bool) {
	c := Change{ResourceRef: ref(h), Action: "options"}
	c.Properties = diffValues("", b.Inputs, h.Inputs, h.Type)
	for i, p := range c.Properties {
		c.Action = "update"
		top, _, _ := strings.Cut(p.Path, ".")
		if computedBy(h.Inputs[top], h.PropertyDependencies[top], created) {
			c.Properties[i].New = KnownAfterApply
		}
	}
	for _, p := range c.Properties {
		if p.Replaces {
			c.Action = "replace"
		}
	}
	opt := func(name string, old, new any) {
		if !reflect.DeepEqual(old, new) {
			c.Options = append(c.Options, PropChange{Path: name, Old: show(old), New: show(new)})
		}
	}
	opt("protect", b.Protect, h.Protect)
	opt("retainOnDelete", b.RetainOnDelete, h.RetainOnDelete)
	opt("deleteBeforeReplace", b.DeleteBeforeReplace, h.DeleteBeforeReplace)
	opt("ignoreChanges", sorted(b.IgnoreChanges), sorted(h.IgnoreChanges))
	opt("parent", b.Parent, h.Parent)
	opt("provider", b.Provider, h.Provider)
	return c, len(c.Properties)+len(c.Options) > 0
}

func sorted(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	out := append([]string(nil), s...)
	sort.Strings(out)
	return out
}

// diffValues lists the paths under prefix whose values differ. A string
// holding a JSON document (a policy) is compared as the document, so a
// reviewer sees the statement that changed rather than two blobs.
func diffValues(prefix string, old, new any, typ string) []PropChange {
	if reflect.DeepEqual(old, new) {
		return nil
	}
	join := func(k string) string {
		if prefix == "" {
			return k
		}
		return prefix + "." + k
	}
	switch o := old.(type) {
	case map[string]any:
		if n, ok := new.(map[string]any); ok {
			keys := map[string]bool{}
			for k := range o {
				keys[k] = true
			}
			for k := range n {
				keys[k] = true
			}
			var out []PropChange
			for _, k := range slices.Sorted(maps.Keys(keys)) {
				out = append(out, diffValues(join(k), o[k], n[k], typ)...)
			}
			return out
		}
	case []any:
		if n, ok := new.([]any); ok && len(n) == len(o) {
			var out []PropChange
			for i := range o {
				out = append(out, diffValues(join(strconv.Itoa(i)), o[i], n[i], typ)...)
			}
			return out
		}
	case string:
		if n, ok := new.(string); ok {
			if od, nd, ok := jsonDocs(o, n); ok {
				return diffValues(prefix, od, nd, typ)
			}
		}
	}
	return []PropChange{{Path: prefix, Old: show(old), New: show(new), Replaces: typ != "" && replaces(typ, prefix)}}
}

// jsonDocs parses two strings that are both JSON objects or arrays.
func jsonDocs(a, b string) (any, any, bool) {
	isDoc := func(s string) bool {
		s = strings.TrimSpace(s)
		return strings.HasPrefix(s, "{") || strings.HasPrefix(s, "[")
	}
	if !isDoc(a) || !isDoc(b) {
		return nil, nil, false
	}
	var av, bv any
	if json.Unmarshal([]byte(a), &av) != nil || json.Unmarshal([]byte(b), &bv) != nil {
		return nil, nil, false
	}
	return av, bv, true
}

// show renders a value for a reviewer, whole (the Markdown shortens it):
// absent is "", and the masks synth puts on secrets stay masks.
func show(v any) string {
	if v == nil {
		return ""
	}
	var s string
	switch t := v.(type) {
	case string:
		s = strconv.Quote(t)
	default:
		b, err := json.Marshal(t)
		if err != nil {
			s = fmt.Sprint(t)
		} else {
			s = string(b)
		}
	}
	return s
}

func diffPolicy(base, head *Snapshot) PolicyDelta {
	// A finding whose waiver changed is the waiver delta's business. A rule
	// that reports several controls on one resource (DS-CFG-003: "[RDS.8] ...")
	// is keyed by its control too, so a new control failing beside a waived
	// one still shows.
	key := func(f Finding) string { return f.Rule + "\x00" + f.Resource + "\x00" + findingControl(f) }
	conv := func(s *Snapshot) map[string]Finding {
		out := map[string]Finding{}
		for _, f := range s.Findings {
			g := Finding{Rule: f.Rule, Resource: f.Resource, Level: f.Level, Waived: f.Waived, Message: f.Message}
			out[key(g)] = g
		}
		return out
	}
	b, h := conv(base), conv(head)
	var d PolicyDelta
	for _, k := range slices.Sorted(maps.Keys(h)) {
		if _, ok := b[k]; !ok {
			d.NewlyViolated = append(d.NewlyViolated, h[k])
		}
	}
	for _, k := range slices.Sorted(maps.Keys(b)) {
		if _, ok := h[k]; !ok {
			d.NewlyPassing = append(d.NewlyPassing, b[k])
		}
	}
	return d
}

// findingControl is the control a finding names in brackets right after its
// rule ID ("DS-CFG-003: [S3.9] ..."), or "".
func findingControl(f Finding) string {
	rest, ok := strings.CutPrefix(f.Message, f.Rule+": [")
	if !ok {
		return ""
	}
	c, _, _ := strings.Cut(rest, "]")
	return c
}

func diffVerify(base, head *Snapshot) VerifyDelta {
	var d VerifyDelta
	if base.Intents == nil || head.Intents == nil {
		return d // verify did not exist on one side
	}
	b := map[string]bool{}
	for _, f := range base.Intents {
		b[f.Intent] = f.OK
	}
	seen := map[string]bool{}
	for _, f := range head.Intents {
		seen[f.Intent] = true
		ok, existed := b[f.Intent]
		switch {
		case !existed:
			d.Added++
			if !f.OK {
				d.NewlyFailing = append(d.NewlyFailing, Intent{f.Intent, f.Detail})
			}
		case ok && !f.OK:
			d.NewlyFailing = append(d.NewlyFailing, Intent{f.Intent, f.Detail})
		case !ok && f.OK:
			d.NewlyPassing = append(d.NewlyPassing, Intent{f.Intent, f.Detail})
		}
	}
	for _, f := range base.Intents {
		if !seen[f.Intent] {
			d.Removed++
		}
	}
	return d
}

func diffCost(base, head *Snapshot) CostDelta {
	d := CostDelta{BaseUSD: round(base.CostUSD), HeadUSD: round(head.CostUSD)}
	d.DeltaUSD = round(d.HeadUSD - d.BaseUSD)
	names := map[string]bool{}
	for k := range base.CostByComponent {
		names[k] = true
	}
	for k := range head.CostByComponent {
		names[k] = true
	}
	for _, n := range slices.Sorted(maps.Keys(names)) {
		b, h := round(base.CostByComponent[n]), round(head.CostByComponent[n])
		if b != h {
			d.ByComponent = append(d.ByComponent, ComponentDelta{Component: n, BaseUSD: b, HeadUSD: h, DeltaUSD: round(h - b)})
		}
	}
	return d
}

func round(f float64) float64 { return math.Round(f*100) / 100 }

// nameCollisions finds what a fixed physical name does to a change.
//
// A replacement: pulumi-aws (pulumi-terraform-bridge, tfbridge
// nameRequiresDeleteBeforeReplace) deletes a resource whose autonamed name
// input was set explicitly before it creates the replacement, since AWS keeps
// the name unique. The resource is gone until its replacement exists, and AWS
// refuses the delete while something still uses it (a parameter group its
// database names, a security group with interfaces, a role in an instance
// profile). A name prefix lets the engine create the replacement first.
//
// A rename without an alias is a create and a delete, create first: the new
// resource takes the old one's name while it still exists, and AWS refuses it.
func nameCollisions(base, head []synth.Resource, d StackDiff) []Refusal {
	byURN := map[string]synth.Resource{}
	for _, r := range base {
		byURN[r.URN] = r
	}
	headByURN := map[string]synth.Resource{}
	for _, r := range head {
		headByURN[r.URN] = r
	}
	var out []Refusal
	for _, c := range d.Changed {
		if c.Action != "replace" {
			continue
		}
		h := headByURN[c.URN]
		b, ok := byURN[c.URN]
		if c.RenamedFrom != "" {
			b, ok = byURN[c.RenamedFrom]
		}
		in, name, fixed := awsspec.FixedName(h.Type, h.Inputs)
		if !ok || !fixed {
			continue
		}
		if _, old, _ := awsspec.FixedName(b.Type, b.Inputs); old != name {
			continue // a new name: the replacement is created first and collides with nothing
		}
		out = append(out, Refusal{ResourceRef: c.ResourceRef, Action: "delete-first",
			Why: fmt.Sprintf("its %s %q is fixed, so the provider deletes it before creating the replacement: "+
				"it is gone until then, and AWS refuses the delete while anything still uses it", in, name),
			Fix: "a name prefix (or no name), so the engine creates the replacement first and switches its users to it"})
	}
	removedNames := map[string]synth.Resource{}
	for _, r := range d.Removed {
		b := byURN[r.URN]
		if _, name, fixed := awsspec.FixedName(b.Type, b.Inputs); fixed {
			removedNames[b.Type+"\x00"+name] = b
		}
	}
	for _, a := range d.Added {
		h := headByURN[a.URN]
		in, name, fixed := awsspec.FixedName(h.Type, h.Inputs)
		if b, gone := removedNames[h.Type+"\x00"+name]; fixed && gone {
			out = append(out, Refusal{ResourceRef: a.ResourceRef, Action: "fails",
				Why: fmt.Sprintf("%s takes %s %q from %s, which is deleted only after it is created; AWS answers %s",
					h.Name, in, name, b.Name, awsspec.AlreadyExists(h.Type, name)),
				Fix: fmt.Sprintf("pulumi.Aliases([]pulumi.Alias{{URN: pulumi.URN(%q)}}) on %s, so the engine renames it instead", b.URN, h.Name)})
		}
	}
	return out
}
