package synth

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
)

// A saved plan is what `docustack plan --json` writes: the plan with each
// resource's computed state (its ARN and the outputs programs read), so an
// analysis of the file sees what an analysis of the synthesis sees. The
// golden files leave the state out.
type savedPlan struct {
	Project   string          `json:"project"`
	Stack     string          `json:"stack"`
	Resources []savedResource `json:"resources"`
	Outputs   map[string]any  `json:"outputs"`
}

type savedResource struct {
	Resource
	State map[string]any `json:"state,omitempty"`
}

// WriteJSON writes the plan with its resources' computed state.
func (p *Plan) WriteJSON(w io.Writer) error {
	s := savedPlan{Project: p.Project, Stack: p.Stack, Outputs: p.Outputs}
	for _, r := range p.Resources {
		s.Resources = append(s.Resources, savedResource{Resource: r, State: r.Outputs})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(s)
}

// ReadPlan reads a plan saved by `docustack plan --json`, or the JSON of the
// engine's `pulumi preview --json` (its steps' new states: the plan the
// engine will apply, with the provider's own values). Errors name the file
// and the first thing that could not be read.
func ReadPlan(path string) (*Plan, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var probe map[string]json.RawMessage
	if err := json.Unmarshal(b, &probe); err != nil {
		return nil, fmt.Errorf("%s: not a JSON object: %v", path, err)
	}
	switch {
	case probe["steps"] != nil:
		return readPreview(path, probe["steps"])
	case probe["resources"] != nil:
		var s savedPlan
		if err := json.Unmarshal(b, &s); err != nil {
			return nil, fmt.Errorf("%s: resources: %v", path, err)
		}
		p := &Plan{Project: s.Project, Stack: s.Stack, Outputs: s.Outputs}
		for i, r := range s.Resources {
			if r.URN == "" || r.Type == "" {
				return nil, fmt.Errorf("%s: resources[%d] has no urn or type", path, i)
			}
			r.Resource.Outputs = r.State
			p.Resources = append(p.Resources, r.Resource)
		}
		p.sort()
		return p, nil
	}
	return nil, fmt.Errorf("%s: neither a docustack plan (resources) nor a pulumi preview --json (steps)", path)
}

// previewState is a step's new state in `pulumi preview --json`.
type previewState struct {
	URN                  string              `json:"urn"`
	Custom               bool                `json:"custom"`
	ID                   string              `json:"id"`
	Type                 string              `json:"type"`
	Inputs               map[string]any      `json:"inputs"`
	Outputs              map[string]any      `json:"outputs"`
	Parent               string              `json:"parent"`
	Provider             string              `json:"provider"`
	Protect              bool                `json:"protect"`
	RetainOnDelete       bool                `json:"retainOnDelete"`
	DeleteBeforeReplace  bool                `json:"deleteBeforeReplace"`
	IgnoreChanges        []string            `json:"ignoreChanges"`
	Dependencies         []string            `json:"dependencies"`
	PropertyDependencies map[string][]string `json:"propertyDependencies"`
	Aliases              []string            `json:"aliases"`
}

// secretSig marks a secret value in the engine's JSON.
const secretSig = "4dabf18193072939515e22adb298388d"

func readPreview(path string, raw json.RawMessage) (*Plan, error) {
	var steps []struct {
		Op       string        `json:"op"`
		URN      string        `json:"urn"`
		OldState *previewState `json:"oldState"`
		NewState *previewState `json:"newState"`
	}
	if err := json.Unmarshal(raw, &steps); err != nil {
		return nil, fmt.Errorf("%s: steps: %v", path, err)
	}
	p := &Plan{Outputs: map[string]any{}}
	index := map[string]int{}
	for i, s := range steps {
		n := s.NewState
		if n == nil {
			continue // a delete: nothing of it is in the plan to apply
		}
		if n.URN == "" || n.Type == "" {
			return nil, fmt.Errorf("%s: steps[%d] (%s %s): newState has no urn or type", path, i, s.Op, s.URN)
		}
		// A preview's new state carries the goal: inputs and options. The
		// ID and the outputs of a resource that stays are in its old state.
		if o := s.OldState; o != nil && s.Op != "replace" && s.Op != "create-replacement" {
			if n.ID == "" {
				n.ID = o.ID
			}
			if len(n.Outputs) == 0 {
				n.Outputs = o.Outputs
			}
		}
		parts := strings.Split(n.URN, "::")
		if n.Type == "pulumi:pulumi:Stack" {
			if len(parts) >= 3 {
				p.Project = parts[1]
				p.Stack = strings.TrimPrefix(parts[0], "urn:pulumi:")
			}
			for k, v := range n.Outputs {
				p.Outputs[k] = unsecret(v)
			}
			continue
		}
		r := Resource{URN: n.URN, Type: n.Type, Name: parts[len(parts)-1], Custom: n.Custom, Parent: n.Parent, ID: n.ID,
			Inputs: unsecretMap(n.Inputs), Outputs: unsecretMap(n.Outputs), Protect: n.Protect, RetainOnDelete: n.RetainOnDelete,
			DeleteBeforeReplace: n.DeleteBeforeReplace, IgnoreChanges: n.IgnoreChanges, Dependencies: n.Dependencies,
			PropertyDependencies: n.PropertyDependencies, Aliases: n.Aliases}
		if i := strings.LastIndex(n.Provider, "::"); i > 0 {
			r.Provider = n.Provider[:i] // a provider reference is "<urn>::<id>"
		}
		if j, seen := index[r.URN]; seen {
			p.Resources[j] = r // a replacement's later step is the state to apply
			continue
		}
		index[r.URN] = len(p.Resources)
		p.Resources = append(p.Resources, r)
	}
	if len(p.Resources) == 0 {
		return nil, fmt.Errorf("%s: no step has a new state", path)
	}
	p.sort()
	return p, nil
}

func unsecretMap(m map[string]any) map[string]any {
	if m == nil {
		return nil
	}
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = unsecret(v)
	}
	return out
}

// unsecret replaces the engine's secret envelopes with their value, or
// "[secret]" when the JSON carries none.
func unsecret(v any) any {
	switch x := v.(type) {
	case map[string]any:
		if _, ok := x[secretSig]; ok {
			if inner, ok := x["value"]; ok {
				return unsecret(inner)
			}
			return "[secret]"
		}
		return unsecretMap(x)
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = unsecret(e)
		}
		return out
	}
	return v
}
