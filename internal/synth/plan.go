// Package synth runs the DocuStack program offline, under the Pulumi mock
// monitor, and captures the resulting plan: every resource's type, name, URN,
// parent, inputs and options, plus the stack outputs. Tests, golden files,
// policy checks and the docustack CLI all read plans from here.
package synth

import (
	"sort"
	"strconv"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// Plan is everything one run of a program registers.
type Plan struct {
	Project   string         `json:"project"`
	Stack     string         `json:"stack"`
	Resources []Resource     `json:"resources"`
	Outputs   map[string]any `json:"outputs"`
}

// Resource is one registered resource (custom, component or provider).
type Resource struct {
	URN    string `json:"urn"`
	Type   string `json:"type"`
	Name   string `json:"name"`
	Custom bool   `json:"custom"`
	// Parent is the parent's URN ("" for the stack itself).
	Parent string `json:"parent,omitempty"`
	// Provider is the URN of the explicit provider, if any.
	Provider string         `json:"provider,omitempty"`
	ID       string         `json:"id,omitempty"`
	Inputs   map[string]any `json:"inputs"`

	Protect        bool     `json:"protect,omitempty"`
	RetainOnDelete bool     `json:"retainOnDelete,omitempty"`
	IgnoreChanges  []string `json:"ignoreChanges,omitempty"`
	// DeleteBeforeReplace: a replacement deletes the original first (a
	// resource whose fixed physical name AWS keeps unique needs it).
	DeleteBeforeReplace bool     `json:"deleteBeforeReplace,omitempty"`
	Dependencies        []string `json:"dependencies,omitempty"`
	// Aliases are the URNs this resource had before (pulumi.Aliases,
	// resolved as the engine resolves them), so a rename is not a delete.
	Aliases              []string            `json:"aliases,omitempty"`
	PropertyDependencies map[string][]string `json:"propertyDependencies,omitempty"`

	// Properties are the inputs as Pulumi property values, for policy checks.
	Properties resource.PropertyMap `json:"-"`
	// Outputs are what the provider would compute (internal/fakeaws): the
	// ARN and the outputs programs read. Not in golden files.
	Outputs map[string]any `json:"-"`
}

// Get returns the input at a dotted path ("rules.0.applyServerSideEncryptionByDefault.sseAlgorithm"),
// numeric segments indexing lists; nil when absent.
func (r Resource) Get(path string) any {
	var cur any = r.Inputs
	for _, seg := range strings.Split(path, ".") {
		switch c := cur.(type) {
		case map[string]any:
			cur = c[seg]
		case []any:
			i, err := strconv.Atoi(seg)
			if err != nil || i < 0 || i >= len(c) {
				return nil
			}
			cur = c[i]
		default:
			return nil
		}
	}
	return cur
}

// Str returns the string input at path, or "".
func (r Resource) Str(path string) string {
	s, _ := r.Get(path).(string)
	return s
}

// Int returns the numeric input at path, or 0.
func (r Resource) Int(path string) int {
	f, _ := r.Get(path).(float64)
	return int(f)
}

// Bool returns the boolean input at path, or false.
func (r Resource) Bool(path string) bool {
	b, _ := r.Get(path).(bool)
	return b
}

// Tags returns the resource's "tags" input, whether a map or (Auto Scaling
// groups) a list of {key, value}.
func (r Resource) Tags() map[string]string {
	out := map[string]string{}
	switch t := r.Inputs["tags"].(type) {
	case map[string]any:
		for k, v := range t {
			out[k], _ = v.(string)
		}
	case []any:
		for _, e := range t {
			if m, ok := e.(map[string]any); ok {
				k, _ := m["key"].(string)
				out[k], _ = m["value"].(string)
			}
		}
	}
	return out
}

// ByType returns the resources of a type token, in URN order.
func (p *Plan) ByType(typ string) []Resource {
	var out []Resource
	for _, r := range p.Resources {
		if r.Type == typ {
			out = append(out, r)
		}
	}
	return out
}

// Named returns the resource with the given logical name.
func (p *Plan) Named(name string) (Resource, bool) {
	for _, r := range p.Resources {
		if r.Name == name {
			return r, true
		}
	}
	return Resource{}, false
}

// ByURN returns the resource with the given URN.
func (p *Plan) ByURN(urn string) (Resource, bool) {
	for _, r := range p.Resources {
		if r.URN == urn {
			return r, true
		}
	}
	return Resource{}, false
}

// ByID returns the resource whose (mock) ID is id.
func (p *Plan) ByID(id string) (Resource, bool) {
	for _, r := range p.Resources {
		if r.ID != "" && r.ID == id {
			return r, true
		}
	}
	return Resource{}, false
}

// Counts returns how many resources of each type the plan holds.
func (p *Plan) Counts() map[string]int {
	out := map[string]int{}
	for _, r := range p.Resources {
		out[r.Type]++
	}
	return out
}

// CustomCount is the number of cloud resources (not components or the stack).
func (p *Plan) CustomCount() int {
	n := 0
	for _, r := range p.Resources {
		if r.Custom && !strings.HasPrefix(r.Type, "pulumi:providers:") {
			n++
		}
	}
	return n
}

func (p *Plan) sort() {
	sort.Slice(p.Resources, func(i, j int) bool { return p.Resources[i].URN < p.Resources[j].URN })
}
