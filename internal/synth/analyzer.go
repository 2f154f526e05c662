package synth

import (
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"
)

// AnalyzerResources converts the plan into what policy packs see during
// `pulumi preview`: properties through the SDK's property compatibility
// functions, options, provider, parent and (property) dependencies.
func (p *Plan) AnalyzerResources() []policyx.AnalyzerResource {
	out := make([]policyx.AnalyzerResource, 0, len(p.Resources))
	for _, r := range p.Resources {
		a := policyx.AnalyzerResource{
			Type:                 r.Type,
			Properties:           resource.FromResourcePropertyMap(r.Properties),
			URN:                  r.URN,
			Name:                 r.Name,
			Options:              pulumi.ResourceOptions{Protect: r.Protect, IgnoreChanges: r.IgnoreChanges},
			Parent:               r.Parent,
			Dependencies:         r.Dependencies,
			PropertyDependencies: r.PropertyDependencies,
		}
		if prov, ok := p.ByURN(r.Provider); ok {
			a.Provider = policyx.AnalyzerProviderResource{
				Type:       prov.Type,
				Properties: resource.FromResourcePropertyMap(prov.Properties),
				URN:        prov.URN,
				Name:       prov.Name,
			}
		}
		out = append(out, a)
	}
	return out
}
