// Package tfplan exports a synthesized plan in Terraform's JSON plan format
// (`terraform show -json`, format 1.2), so a scanner that reads Terraform
// plans can give a second opinion on the stacks.
//
// pulumi-aws is bridged from the Terraform AWS provider, so every resource
// of the plan is one Terraform resource. Three pinned facts decide the
// translation, none of them written here:
//   - the Terraform type of each pulumi-aws type (awsspec tf_types.json, from
//     pulumi-aws's bridge metadata);
//   - each type's arguments, blocks and nesting (awsspec data/tf.json, the
//     provider's schema);
//   - the bridge's naming rule for arguments: a Terraform name in
//     snake_case is camelCase in Pulumi, and a repeatable block (MaxItems
//     other than 1) named in the singular is pluralized, while a single
//     block (MaxItems 1) is flattened from a one-element list to an object
//     (pulumi-terraform-bridge, pkg/tfbridge/names.go, TerraformToPulumiNameV2,
//     and its MaxItemsOne flattening).
//
// An input the schema has no argument for, or a type the table lacks, is an
// error naming it: the export never drops what it cannot place.
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

// FormatVersion is the JSON plan format written: 1.2, which Terraform 1.6
// and later emit and terraform-json accepts (">= 0.1, < 2.0").
const FormatVersion = "1.2"

// TerraformVersion is written as the plan's terraform_version: the first
// Terraform release that writes format 1.2. No Terraform ran; scanners
// recognize a plan file by this key (Trivy's detection requires it with
// format_version), so it names the format's producer, not a run.
const TerraformVersion = "1.6.0"

// ProviderSource is the provider address every resource names.
const ProviderSource = "registry.terraform.io/hashicorp/aws"

// Export converts the plan. Every AWS resource becomes one managed resource
// with the action "create" (the offline synthesis has no prior state), its
// inputs as values, and, in configuration, its inputs as expressions: a
// constant, or the references of the inputs that come from other resources.
// An input carrying another resource's computed value (its ID, its ARN) is
// unknown until apply, as in Terraform's own plan: absent from the values,
// true in after_unknown, and linked only by its references (which is how
// scanners match a flow log to its VPC); the synthesis's placeholders never
// appear as values.
func Export(p *synth.Plan) (*tfjson.Plan, error) {
	x := exporter{plan: p, addr: map[string]string{}, taken: map[string]bool{}, providers: map[string]string{}}
	x.nameProviders()
	x.nameResources()
	out := &tfjson.Plan{
		FormatVersion:    FormatVersion,
		TerraformVersion: TerraformVersion,
		PlannedValues:    &tfjson.StateValues{RootModule: &tfjson.StateModule{}},
		Config: &tfjson.Config{
			ProviderConfigs: x.providerConfigs(),
			RootModule:      &tfjson.ConfigModule{},
		},
	}
	for _, r := range p.Resources {
		addr, ok := x.addr[r.URN]
		if !ok {
			continue
		}
		tfType, name, _ := strings.Cut(addr, ".")
		schema := awsspec.TF().Types[tfType]
		values := x.block(where(r), "", r.Inputs, schema, awsspec.TFRenamed(r.Type))
		unknown := map[string]any{}
		exprs := x.expressions(r, values, unknown, schema)
		out.PlannedValues.RootModule.Resources = append(out.PlannedValues.RootModule.Resources, &tfjson.StateResource{
			Address: addr, Mode: tfjson.ManagedResourceMode, Type: tfType, Name: name,
			ProviderName: ProviderSource, AttributeValues: values, SensitiveValues: []byte("{}"),
		})
		out.ResourceChanges = append(out.ResourceChanges, &tfjson.ResourceChange{
			Address: addr, Mode: tfjson.ManagedResourceMode, Type: tfType, Name: name, ProviderName: ProviderSource,
			Change: &tfjson.Change{
				Actions: tfjson.Actions{tfjson.ActionCreate}, Before: nil, After: values,
				AfterUnknown: unknown, BeforeSensitive: false, AfterSensitive: map[string]any{},
			},
		})
		out.Config.RootModule.Resources = append(out.Config.RootModule.Resources, &tfjson.ConfigResource{
			Address: addr, Mode: tfjson.ManagedResourceMode, Type: tfType, Name: name,
			ProviderConfigKey: x.providerKey(r), Expressions: exprs,
		})
	}
	if len(x.problems) > 0 {
		sort.Strings(x.problems)
		return nil, fmt.Errorf("%d input(s) have no Terraform counterpart:\n  %s", len(x.problems), strings.Join(x.problems, "\n  "))
	}
	return out, nil
}

type exporter struct {
	plan      *synth.Plan
	addr      map[string]string // URN -> "type.name"
	taken     map[string]bool
	providers map[string]string // provider URN -> config key ("aws" or "aws.<alias>")
	problems  []string
}

// nameResources gives every AWS resource a unique Terraform address. A
// Terraform name allows letters, digits, "_" and "-", and starts with a
// letter or "_"; a second resource of the same type and name (two parents
// with equally named children) gets "_2", "_3", ... in plan order.
func (x *exporter) nameResources() {
	for _, r := range x.plan.Resources {
		if !r.Custom || strings.HasPrefix(r.Type, "pulumi:providers:") {
			continue
		}
		if !strings.HasPrefix(r.Type, "aws:") {
			// Only the AWS provider is bridged to a known Terraform provider here.
			x.problems = append(x.problems, fmt.Sprintf("%s (%s): only aws: resources have a Terraform counterpart", r.Name, r.Type))
			continue
		}
		tfType, ok := awsspec.TFType(r.Type)
		if !ok {
			x.problems = append(x.problems, fmt.Sprintf("%s (%s): the type has no Terraform resource in tf_types.json", r.Name, r.Type))
			continue
		}
		base := identifier(r.Name)
		addr := tfType + "." + base
		for n := 2; x.taken[addr]; n++ {
			addr = fmt.Sprintf("%s.%s_%d", tfType, base, n)
		}
		x.taken[addr] = true
		x.addr[r.URN] = addr
	}
}

func identifier(s string) string {
	var b strings.Builder
	for i, c := range s {
		switch {
		case c < unicode.MaxASCII && (unicode.IsLetter(c) || c == '_' || (i > 0 && (unicode.IsDigit(c) || c == '-'))):
			b.WriteRune(c)
		case i == 0 && unicode.IsDigit(c):
			b.WriteString("_")
			b.WriteRune(c)
		default:
			b.WriteRune('_')
		}
	}
	return b.String()
}

// nameProviders: the default provider is "aws"; each other explicit
// provider is an aliased "aws.<name>".
func (x *exporter) nameProviders() {
	for _, r := range x.plan.Resources {
		if r.Type == "pulumi:providers:aws" {
			// A provider named "aws" is the configuration's default one.
			key := "aws"
			if r.Name != "aws" {
				key = "aws." + strings.ReplaceAll(identifier(r.Name), "-", "_")
			}
			x.providers[r.URN] = key
		}
	}
}

func (x *exporter) providerKey(r synth.Resource) string {
	if k, ok := x.providers[r.Provider]; ok {
		return k
	}
	return "aws"
}

func (x *exporter) providerConfigs() map[string]*tfjson.ProviderConfig {
	out := map[string]*tfjson.ProviderConfig{"aws": {Name: "aws", FullName: ProviderSource}}
	for _, r := range x.plan.Resources {
		key, ok := x.providers[r.URN]
		if !ok {
			continue
		}
		pc := &tfjson.ProviderConfig{Name: "aws", FullName: ProviderSource, Alias: strings.TrimPrefix(strings.TrimPrefix(key, "aws"), "."), Expressions: map[string]*tfjson.Expression{}}
		if region, ok := r.Inputs["region"].(string); ok {
			pc.Expressions["region"] = constant(region)
		}
		out[key] = pc
	}
	return out
}

func constant(v any) *tfjson.Expression {
	return &tfjson.Expression{ExpressionData: &tfjson.ExpressionData{ConstantValue: v}}
}
