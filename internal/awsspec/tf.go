package awsspec

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
)

//go:embed data/tf.json
var tfJSON []byte

//go:embed tf_types.json
var tfTypesJSON []byte

// TFArg is one argument of a Terraform resource's schema: an attribute (a
// value), or a nested block with its nesting and its own arguments.
type TFArg struct {
	// Block is false for an attribute.
	Block bool
	// List: the block may repeat (Terraform's list or set nesting); a
	// single block (MaxItems 1) is still a one-element list in Terraform's
	// JSON plan, but pulumi-aws flattens it to an object.
	List bool
	// Untyped: the schema extract does not type this block's inside (jsii
	// types it "any"); its arguments follow the bridge's naming rule.
	Untyped bool
	Args    map[string]TFArg
}

// TFSpec is the pinned extract of the Terraform AWS provider's schema.
type TFSpec struct {
	Source   string
	Version  string
	Provider string // "registry.terraform.io/hashicorp/aws <version>"
	Types    map[string]map[string]TFArg
}

var (
	tfOnce    sync.Once
	tfSpec    *TFSpec
	tfTypes   map[string]string
	tfRenamed map[string]map[string]string
)

func loadTF() {
	tfOnce.Do(func() {
		var raw struct {
			Source   string                                `json:"source"`
			Version  string                                `json:"version"`
			Provider string                                `json:"provider"`
			Types    map[string]map[string]json.RawMessage `json:"types"`
		}
		if err := json.Unmarshal(tfJSON, &raw); err != nil {
			panic(fmt.Sprintf("awsspec: data/tf.json: %v", err))
		}
		s := &TFSpec{Source: raw.Source, Version: raw.Version, Provider: raw.Provider, Types: map[string]map[string]TFArg{}}
		for t, args := range raw.Types {
			s.Types[t] = tfArgs(t, args)
		}
		raw2 := map[string]json.RawMessage{}
		if err := json.Unmarshal(tfTypesJSON, &raw2); err != nil {
			panic(fmt.Sprintf("awsspec: tf_types.json: %v", err))
		}
		m, ren := map[string]string{}, map[string]map[string]string{}
		for k, v := range raw2 {
			if strings.HasPrefix(k, "_") {
				continue
			}
			var e struct {
				TF      string            `json:"tf"`
				Renamed map[string]string `json:"renamed"`
			}
			if err := json.Unmarshal(v, &e.TF); err != nil {
				if err := json.Unmarshal(v, &e); err != nil || e.TF == "" {
					panic(fmt.Sprintf("awsspec: tf_types.json: %s: a Terraform type or {tf, renamed}", k))
				}
			}
			m[k], ren[k] = e.TF, e.Renamed
		}
		tfSpec, tfTypes, tfRenamed = s, m, ren
	})
}

// tfArgs decodes gen/tf.mjs's encoding: 1 an attribute, 2 an untyped
// block, {"nesting", "attributes"} a typed block.
func tfArgs(where string, args map[string]json.RawMessage) map[string]TFArg {
	out := make(map[string]TFArg, len(args))
	for name, v := range args {
		switch string(v) {
		case "1":
			out[name] = TFArg{}
		case "2":
			out[name] = TFArg{Block: true, List: true, Untyped: true}
		default:
			var b struct {
				Nesting    string                     `json:"nesting"`
				Attributes map[string]json.RawMessage `json:"attributes"`
			}
			if err := json.Unmarshal(v, &b); err != nil || (b.Nesting != "single" && b.Nesting != "list") {
				panic(fmt.Sprintf("awsspec: data/tf.json: %s.%s: not an attribute or a block", where, name))
			}
			out[name] = TFArg{Block: true, List: b.Nesting == "list", Args: tfArgs(where+"."+name, b.Attributes)}
		}
	}
	return out
}

// TF returns the pinned Terraform schema extract.
func TF() *TFSpec { loadTF(); return tfSpec }

// TFType is the Terraform AWS provider resource a pulumi-aws type is
// bridged from (tf_types.json), and false for a type the table lacks.
func TFType(pulumiType string) (string, bool) {
	loadTF()
	t, ok := tfTypes[pulumiType]
	return t, ok
}

// TFRenamed is the type's top-level inputs the provider renames outside
// the bridge's naming rule: Pulumi input name to Terraform argument.
func TFRenamed(pulumiType string) map[string]string {
	loadTF()
	return tfRenamed[pulumiType]
}

// TFTypes is the whole table, pulumi-aws type to Terraform type.
func TFTypes() map[string]string {
	loadTF()
	out := make(map[string]string, len(tfTypes))
	for k, v := range tfTypes {
		out[k] = v
	}
	return out
}
