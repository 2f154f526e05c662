package rules_test

import (
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"
)

// unknown marks a property as computed, as a real preview shows inputs that
// come from other resources.
type unknownValue struct{}

var unknown = unknownValue{}

// fx is a fixture resource under construction.
type fx struct {
	r policyx.AnalyzerResource
}

// res builds a fixture resource of a type with properties (nested maps and
// slices allowed; unknown marks computed values).
func res(typ, name string, props map[string]any) *fx {
	pm := resource.PropertyMap{}
	for k, v := range props {
		pm[resource.PropertyKey(k)] = toProperty(v)
	}
	return &fx{r: policyx.AnalyzerResource{
		Type:       typ,
		Name:       name,
		URN:        "urn:pulumi:test::docustack::" + typ + "::" + name,
		Properties: resource.FromResourcePropertyMap(pm),
	}}
}

func toProperty(v any) resource.PropertyValue {
	switch t := v.(type) {
	case unknownValue:
		return resource.MakeComputed(resource.NewProperty(""))
	case map[string]any:
		pm := resource.PropertyMap{}
		for k, e := range t {
			pm[resource.PropertyKey(k)] = toProperty(e)
		}
		return resource.NewProperty(pm)
	case []any:
		arr := make([]resource.PropertyValue, len(t))
		for i, e := range t {
			arr[i] = toProperty(e)
		}
		return resource.NewProperty(arr)
	case []string:
		arr := make([]resource.PropertyValue, len(t))
		for i, e := range t {
			arr[i] = resource.NewProperty(e)
		}
		return resource.NewProperty(arr)
	case int:
		return resource.NewProperty(float64(t))
	default:
		return resource.NewPropertyValue(v)
	}
}

// refs makes prop of f depend on target (the engine's property dependency).
func (f *fx) refs(prop string, target *fx) *fx {
	if f.r.PropertyDependencies == nil {
		f.r.PropertyDependencies = map[string][]string{}
	}
	f.r.PropertyDependencies[prop] = append(f.r.PropertyDependencies[prop], target.r.URN)
	return f
}

// protect sets pulumi.Protect.
func (f *fx) protect() *fx {
	f.r.Options = pulumi.ResourceOptions{Protect: true}
	return f
}

// via sets the resource's provider.
func (f *fx) via(p *fx) *fx {
	f.r.Provider = policyx.AnalyzerProviderResource{Type: p.r.Type, URN: p.r.URN, Name: p.r.Name, Properties: p.r.Properties}
	return f
}

func stack(fs ...*fx) []policyx.AnalyzerResource {
	out := make([]policyx.AnalyzerResource, len(fs))
	for i, f := range fs {
		out[i] = f.r
	}
	return out
}

func tags(kv ...string) map[string]any {
	m := map[string]any{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}
