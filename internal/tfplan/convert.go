package tfplan

import (
	"fmt"
	"sort"
	"strings"
	"unicode"

	tfjson "github.com/hashicorp/terraform-json"

	"github.com/docustack/infrastructure/internal/awsspec"
	"github.com/docustack/infrastructure/internal/synth"
)

// block converts one object of Pulumi inputs to Terraform values under the
// schema's arguments.
func (x *exporter) block(where, path string, in map[string]any, schema map[string]awsspec.TFArg, renamed map[string]string) map[string]any {
	out := make(map[string]any, len(in))
	for _, k := range sortedKeys(in) {
		name, arg, ok := argument(k, in[k], schema, renamed)
		if !ok {
			x.problems = append(x.problems, fmt.Sprintf("%s: input %s%s has no Terraform argument (tried %s)", where, path, k, strings.Join(candidates(k), ", ")))
			continue
		}
		out[name] = x.value(where, path+k+".", in[k], arg)
	}
	return out
}

func where(r synth.Resource) string { return fmt.Sprintf("%s (%s)", r.Name, r.Type) }

// value converts one input: an attribute as it is; a block as Terraform's
// list of objects, whether pulumi-aws flattened it (MaxItems 1) or not.
func (x *exporter) value(where, path string, v any, arg awsspec.TFArg) any {
	if !arg.Block || v == nil {
		return v
	}
	if arg.Untyped {
		return untyped(v)
	}
	var items []any
	switch t := v.(type) {
	case map[string]any:
		items = []any{t}
	case []any:
		items = t
	default:
		x.problems = append(x.problems, fmt.Sprintf("%s: input %s is %T where Terraform has a block", where, strings.TrimSuffix(path, "."), v))
		return nil
	}
	out := make([]any, 0, len(items))
	for i, it := range items {
		m, ok := it.(map[string]any)
		if !ok {
			x.problems = append(x.problems, fmt.Sprintf("%s: input %s[%d] is %T where Terraform has a block", where, strings.TrimSuffix(path, "."), i, it))
			continue
		}
		out = append(out, x.block(where, fmt.Sprintf("%s[%d].", strings.TrimSuffix(path, "."), i), m, arg.Args, nil))
	}
	return out
}

// untyped converts a block the schema extract leaves untyped by the
// bridge's rule alone: every object is a block (a one-element list), a list
// of objects is a repeatable block named in the singular, and names are
// snake_case.
func untyped(v any) any {
	switch t := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(t))
		for _, k := range sortedKeys(t) {
			name := snake(k)
			if l, ok := t[k].([]any); ok && len(l) > 0 {
				if _, obj := l[0].(map[string]any); obj {
					name = singular(name)
				}
			}
			out[name] = untypedInner(t[k])
		}
		return []any{out}
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			u := untyped(e)
			if l, ok := u.([]any); ok && len(l) == 1 {
				if _, obj := e.(map[string]any); obj {
					u = l[0]
				}
			}
			out[i] = u
		}
		return out
	default:
		return v
	}
}

func untypedInner(v any) any {
	if l, ok := v.([]any); ok {
		return untyped(l)
	}
	return untyped(v)
}

// argument finds the Terraform argument a Pulumi input name stands for:
// the provider's own rename, else the bridge's naming rule.
func argument(k string, v any, schema map[string]awsspec.TFArg, renamed map[string]string) (string, awsspec.TFArg, bool) {
	if to, ok := renamed[k]; ok {
		arg, ok := schema[to]
		return to, arg, ok
	}
	for i, c := range candidates(k) {
		arg, ok := schema[c]
		if !ok {
			continue
		}
		// A singular Terraform name stands for a plural Pulumi name only
		// where the bridge pluralizes: a repeatable block, or a list.
		if i > 0 && !(arg.Block && arg.List) {
			if _, list := v.([]any); !list {
				continue
			}
		}
		return c, arg, true
	}
	return "", awsspec.TFArg{}, false
}

// candidates are the Terraform names a Pulumi name can come from: its
// snake_case, then the singulars the bridge's pluralization can have added.
func candidates(k string) []string {
	s := snake(k)
	out := []string{s}
	if sg := singular(s); sg != s {
		out = append(out, sg)
	}
	if strings.HasSuffix(s, "es") {
		out = append(out, strings.TrimSuffix(s, "s"))
	}
	return out
}

func singular(s string) string {
	switch {
	case strings.HasSuffix(s, "ies"):
		return strings.TrimSuffix(s, "ies") + "y"
	case strings.HasSuffix(s, "ses"), strings.HasSuffix(s, "xes"), strings.HasSuffix(s, "ches"), strings.HasSuffix(s, "shes"):
		return strings.TrimSuffix(s, "es")
	case strings.HasSuffix(s, "s") && !strings.HasSuffix(s, "ss"):
		return strings.TrimSuffix(s, "s")
	}
	return s
}

// snake is the inverse of the bridge's camelCase: an underscore before an
// upper-case letter that follows a lower-case letter or a digit, or that
// starts a word after an acronym.
func snake(s string) string {
	r := []rune(s)
	var b strings.Builder
	for i, c := range r {
		if unicode.IsUpper(c) {
			prevLowerOrDigit := i > 0 && (unicode.IsLower(r[i-1]) || unicode.IsDigit(r[i-1]))
			acronymEnd := i > 0 && unicode.IsUpper(r[i-1]) && i+1 < len(r) && unicode.IsLower(r[i+1])
			if prevLowerOrDigit || acronymEnd {
				b.WriteByte('_')
			}
			b.WriteRune(unicode.ToLower(c))
			continue
		}
		b.WriteRune(c)
	}
	return b.String()
}

func sortedKeys(m map[string]any) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// expressions: each input that comes from other resources is their
// references (the attribute whose value it carries, and the resource, as
// Terraform lists them); every other input is a constant, a block being
// nested blocks of constants.
func (x *exporter) expressions(r synth.Resource, values map[string]any, unknown map[string]any, schema map[string]awsspec.TFArg) map[string]*tfjson.Expression {
	out := map[string]*tfjson.Expression{}
	for _, k := range sortedKeys(r.Inputs) {
		name, arg, ok := argument(k, r.Inputs[k], schema, awsspec.TFRenamed(r.Type))
		if !ok {
			continue // reported by block
		}
		if refs, computed := x.references(r.PropertyDependencies[k], r.Inputs[k]); len(refs) > 0 {
			out[name] = &tfjson.Expression{ExpressionData: &tfjson.ExpressionData{ConstantValue: tfjson.UnknownConstantValue, References: refs}}
			if arg.Block {
				// Terraform nests a block's expressions: the reference sits on
				// the argument that holds the value, where scanners look.
				out[name] = referencedBlock(values[name], arg, x.dependencyValues(r.PropertyDependencies[k]), refs)
			}
			if computed {
				// Known after apply: every value that holds a placeholder.
				masked, shape, found := mask(values[name], x.computedValues(r.PropertyDependencies[k]))
				if found {
					unknown[name] = shape
					if masked == nil {
						delete(values, name)
					} else {
						values[name] = masked
					}
				}
			}
			continue
		}
		out[name] = expression(values[name], arg)
	}
	return out
}

// dependencyValues are every value of the dependencies (inputs, ID,
// outputs) an argument can carry.
func (x *exporter) dependencyValues(deps []string) []string {
	var out []string
	for _, dep := range deps {
		if _, ok := x.addr[dep]; !ok {
			continue
		}
		d, _ := x.plan.ByURN(dep)
		for _, s := range append(append([]string{d.ID}, leaves(d.Inputs)...), leaves(d.Outputs)...) {
			if len(s) >= 3 {
				out = append(out, s)
			}
		}
	}
	return out
}

// referencedBlock is a block's expression with references on the arguments
// that carry a dependency's value and constants elsewhere.
func referencedBlock(v any, arg awsspec.TFArg, depValues, refs []string) *tfjson.Expression {
	items, ok := v.([]any)
	if !ok {
		return &tfjson.Expression{ExpressionData: &tfjson.ExpressionData{ConstantValue: tfjson.UnknownConstantValue, References: refs}}
	}
	var nested []map[string]*tfjson.Expression
	for _, it := range items {
		m, ok := it.(map[string]any)
		if !ok {
			continue
		}
		e := map[string]*tfjson.Expression{}
		for k, val := range m {
			inner := arg.Args[k]
			switch {
			case inner.Block && !inner.Untyped:
				e[k] = referencedBlock(val, inner, depValues, refs)
			case holdsAny(val, depValues):
				e[k] = &tfjson.Expression{ExpressionData: &tfjson.ExpressionData{ConstantValue: tfjson.UnknownConstantValue, References: refs}}
			default:
				e[k] = expression(val, inner)
			}
		}
		nested = append(nested, e)
	}
	return &tfjson.Expression{ExpressionData: &tfjson.ExpressionData{NestedBlocks: nested}}
}

func holdsAny(v any, vals []string) bool {
	for _, s := range leaves(v) {
		for _, d := range vals {
			if strings.Contains(s, d) {
				return true
			}
		}
	}
	return false
}

// computedValues are the values the dependencies' provider computes: their
// IDs and outputs that are none of their own inputs.
func (x *exporter) computedValues(deps []string) []string {
	var out []string
	for _, dep := range deps {
		if _, ok := x.addr[dep]; !ok {
			continue
		}
		d, _ := x.plan.ByURN(dep)
		inputs := map[string]bool{}
		for _, s := range leaves(d.Inputs) {
			inputs[s] = true
		}
		for _, s := range append([]string{d.ID}, leaves(d.Outputs)...) {
			if len(s) >= 3 && !inputs[s] {
				out = append(out, s)
			}
		}
	}
	return out
}

// mask removes from a value every string that holds a computed value and
// returns after_unknown's shape for it: true for an unknown value, the same
// nesting (objects, lists) around unknown parts.
func mask(v any, computed []string) (masked, shape any, found bool) {
	switch t := v.(type) {
	case string:
		for _, c := range computed {
			if strings.Contains(t, c) {
				return nil, true, true
			}
		}
		return t, nil, false
	case map[string]any:
		out, sh := map[string]any{}, map[string]any{}
		for k, e := range t {
			m, s, u := mask(e, computed)
			if u {
				sh[k] = s
				found = true
				if m == nil {
					continue
				}
			}
			out[k] = m
		}
		if !found {
			return t, nil, false
		}
		return out, sh, true
	case []any:
		out, sh := make([]any, len(t)), make([]any, len(t))
		whole := false
		for i, e := range t {
			m, s, u := mask(e, computed)
			out[i], sh[i] = m, false
			if u {
				sh[i], found = s, true
				// An unknown element leaves a hole no reader takes; the
				// list is unknown as a whole (blocks keep their known parts).
				whole = whole || m == nil
			}
		}
		if !found {
			return t, nil, false
		}
		if whole {
			return nil, sh, true
		}
		return out, sh, true
	}
	return v, nil, false
}

func expression(v any, arg awsspec.TFArg) *tfjson.Expression {
	items, isList := v.([]any)
	if !arg.Block || !isList || len(items) == 0 {
		return constant(v)
	}
	var nested []map[string]*tfjson.Expression
	for _, it := range items {
		m, ok := it.(map[string]any)
		if !ok {
			return constant(v)
		}
		e := map[string]*tfjson.Expression{}
		for k, val := range m {
			inner, ok := arg.Args[k]
			if arg.Untyped {
				inner, ok = awsspec.TFArg{Block: true, List: true, Untyped: true}, isObjectList(val)
			}
			if !ok {
				inner = awsspec.TFArg{}
			}
			e[k] = expression(val, inner)
		}
		nested = append(nested, e)
	}
	return &tfjson.Expression{ExpressionData: &tfjson.ExpressionData{NestedBlocks: nested}}
}

func isObjectList(v any) bool {
	l, ok := v.([]any)
	if !ok || len(l) == 0 {
		return false
	}
	_, obj := l[0].(map[string]any)
	return obj
}

// references names, for each resource an input depends on, the attribute
// of that resource whose value the input carries, then the resource itself,
// as `terraform show -json` lists them. computed is true when a carried value
// is one the provider computes (an ID, an ARN): Terraform cannot know it
// before the dependency is created, so the plan shows the input as unknown.
func (x *exporter) references(deps []string, v any) (refs []string, computed bool) {
	for _, dep := range deps {
		addr, ok := x.addr[dep]
		if !ok {
			continue // a component or a provider: no Terraform resource
		}
		d, _ := x.plan.ByURN(dep)
		attr, known := carried(d, leaves(v))
		if attr != "" {
			refs = append(refs, addr+"."+attr)
		}
		computed = computed || !known
		refs = append(refs, addr)
	}
	return refs, computed
}

// carried finds the attribute of d whose value the input holds: one of d's
// own inputs first (known at plan time), then its ID and computed outputs
// (known only after apply). A value passed as it is wins over one found
// inside a larger value (an ARN inside a policy document), and the longest
// such value over a shorter one (the ARN, not the bucket name inside it).
func carried(d synth.Resource, in []string) (attr string, known bool) {
	type cand struct {
		attr, val string
		known     bool
	}
	var cands []cand
	add := func(src map[string]any, known bool) {
		keys := sortedKeys(src)
		sort.SliceStable(keys, func(i, j int) bool { return keys[i] == "arn" && keys[j] != "arn" })
		for _, k := range keys {
			if s, ok := src[k].(string); ok && len(s) >= 3 {
				cands = append(cands, cand{snake(k), s, known})
			}
		}
	}
	add(d.Inputs, true)
	if len(d.ID) >= 3 {
		cands = append(cands, cand{"id", d.ID, false})
	}
	add(d.Outputs, false)
	best := cand{}
	for _, c := range cands {
		for _, s := range in {
			if s == c.val {
				return c.attr, c.known
			}
			if strings.Contains(s, c.val) && len(c.val) > len(best.val) {
				best = c
			}
		}
	}
	if best.attr == "" {
		return "", false
	}
	return best.attr, best.known
}

func leaves(v any) []string {
	switch t := v.(type) {
	case string:
		return []string{t}
	case []any:
		var out []string
		for _, e := range t {
			out = append(out, leaves(e)...)
		}
		return out
	case map[string]any:
		var out []string
		for _, k := range sortedKeys(t) {
			out = append(out, leaves(t[k])...)
		}
		return out
	}
	return nil
}
