package synth

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"

	"github.com/docustack/infrastructure/internal/fakeaws"
)

// mocks answers the Pulumi mock monitor: every resource gets a deterministic
// ID and the computed outputs the program reads (ARNs, key IDs, prefix
// lists), and every registration is recorded.
type mocks struct {
	project, stack    string
	accountID, region string
	azs               []string
	world             fakeaws.World

	mu        sync.Mutex
	resources []Resource
	// accounts and regions of explicit providers, by provider URN: resources
	// created through an assume-role or DR-region provider get ARNs there.
	providers map[string][2]string
	// noDefault: the stack disables the default aws provider
	// (pulumi:disable-default-providers), so an aws resource or invoke
	// without an explicit provider is refused, as the engine refuses it.
	noDefault bool
}

// DisableDefaultProvidersKey is the Pulumi configuration key that turns the
// default providers off.
// https://www.pulumi.com/docs/iac/concepts/resources/providers/#disabling-default-providers
const DisableDefaultProvidersKey = "pulumi:disable-default-providers"

// defaultDisabled is the engine's refusal of a default provider.
func defaultDisabled(urnOrToken string) error {
	return fmt.Errorf("Default provider for 'aws' disabled. '%s' must use an explicit provider.", urnOrToken)
}

func (m *mocks) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	rpc := args.RegisterRPC
	if rpc == nil {
		return "", nil, fmt.Errorf("synth: %s %q was read, not registered; reads are not supported offline", args.TypeToken, args.Name)
	}
	id := ""
	state := args.Inputs.Copy()
	urn := m.urn(rpc.GetParent(), args.TypeToken, args.Name)
	if m.noDefault && args.Custom && strings.HasPrefix(args.TypeToken, "aws:") && rpc.GetProvider() == "" {
		return "", nil, defaultDisabled(urn)
	}
	if args.TypeToken == fakeaws.ProviderType {
		m.recordProvider(urn, args.Inputs)
	}
	if args.Custom {
		account, region := m.placement(providerURN(rpc.GetProvider()))
		fakeaws.AutoName(args.TypeToken, urn, args.Name, state)
		id = fakeaws.ID(args.TypeToken, args.Name, state)
		fakeaws.Computed(args.TypeToken, args.Name, id, account, region, state)
	}
	r := Resource{
		URN:                  urn,
		Type:                 args.TypeToken,
		Name:                 args.Name,
		Custom:               args.Custom,
		Parent:               rpc.GetParent(),
		Provider:             providerURN(rpc.GetProvider()),
		ID:                   id,
		Inputs:               plainMap(args.Inputs),
		Properties:           args.Inputs,
		Outputs:              plainMap(state),
		Protect:              rpc.GetProtect(),
		RetainOnDelete:       rpc.GetRetainOnDelete(),
		IgnoreChanges:        rpc.GetIgnoreChanges(),
		DeleteBeforeReplace:  rpc.GetDeleteBeforeReplace(),
		Dependencies:         sortedCopy(rpc.GetDependencies()),
		Aliases:              m.aliases(rpc, args.TypeToken, args.Name),
		PropertyDependencies: map[string][]string{},
	}
	for k, deps := range rpc.GetPropertyDependencies() {
		if urns := deps.GetUrns(); len(urns) > 0 {
			r.PropertyDependencies[k] = sortedCopy(urns)
		}
	}
	if len(r.PropertyDependencies) == 0 {
		r.PropertyDependencies = nil
	}
	m.mu.Lock()
	m.resources = append(m.resources, r)
	m.mu.Unlock()
	return id, state, nil
}

// Call answers the invokes a program may make, from the shared table.
func (m *mocks) Call(args pulumi.MockCallArgs) (resource.PropertyMap, error) {
	if m.noDefault && strings.HasPrefix(args.Token, "aws:") && args.Provider == "" {
		return nil, defaultDisabled(args.Token)
	}
	if out, err, ok := m.world.Invoke(args.Token, m.accountID, m.region, m.azs, args.Args); ok {
		return out, err
	}
	return nil, fmt.Errorf("synth: no offline answer for invoke %s; add one to internal/fakeaws", args.Token)
}

func (m *mocks) urn(parent, typ, name string) string {
	parentType := tokens.Type("")
	if p := resource.URN(parent); p != "" && p.QualifiedType() != resource.RootStackType {
		parentType = p.QualifiedType()
	}
	return string(resource.NewURN(tokens.QName(m.stack), tokens.PackageName(m.project), parentType, tokens.Type(typ), name))
}

// aliases resolves a registration's aliases to URNs the way the engine
// does: an unset name, type, project, stack or parent is the resource's own
// (pulumirpc.Alias_Spec). Aliases of the parent are not multiplied in.
func (m *mocks) aliases(rpc *pulumirpc.RegisterResourceRequest, typ, name string) []string {
	var out []string
	for _, a := range rpc.GetAliases() {
		if urn := a.GetUrn(); urn != "" {
			out = append(out, urn)
			continue
		}
		spec := a.GetSpec()
		if spec == nil {
			continue
		}
		n, t, stack, project := spec.GetName(), spec.GetType(), spec.GetStack(), spec.GetProject()
		if n == "" {
			n = name
		}
		if t == "" {
			t = typ
		}
		if stack == "" {
			stack = m.stack
		}
		if project == "" {
			project = m.project
		}
		parent := rpc.GetParent()
		if spec.GetNoParent() {
			parent = ""
		} else if p := spec.GetParentUrn(); p != "" {
			parent = p
		}
		parentType := tokens.Type("")
		if p := resource.URN(parent); p != "" && p.QualifiedType() != resource.RootStackType {
			parentType = p.QualifiedType()
		}
		out = append(out, string(resource.NewURN(tokens.QName(stack), tokens.PackageName(project), parentType, tokens.Type(t), n)))
	}
	return slices.Compact(sortedCopy(out))
}

// recordProvider remembers an aws provider's account (allowedAccountIds) and region.
func (m *mocks) recordProvider(urn string, inputs resource.PropertyMap) {
	account, region := fakeaws.Placement(inputs, m.accountID, m.region)
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.providers == nil {
		m.providers = map[string][2]string{}
	}
	m.providers[urn] = [2]string{account, region}
}

// placement is the account and region a provider creates resources in.
func (m *mocks) placement(provider string) (string, string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if p, ok := m.providers[provider]; ok {
		return p[0], p[1]
	}
	return m.accountID, m.region
}

// plainMap converts property values to JSON-friendly Go values. Secrets are
// masked and unknowns marked, so nothing secret reaches a plan or golden file.
func plainMap(m resource.PropertyMap) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[string(k)] = plain(v)
	}
	return out
}

func plain(v resource.PropertyValue) any {
	switch {
	case v.IsNull():
		return nil
	case v.IsBool():
		return v.BoolValue()
	case v.IsNumber():
		return v.NumberValue()
	case v.IsString():
		return v.StringValue()
	case v.IsArray():
		arr := v.ArrayValue()
		out := make([]any, len(arr))
		for i, e := range arr {
			out[i] = plain(e)
		}
		return out
	case v.IsObject():
		return plainMap(v.ObjectValue())
	case v.IsSecret():
		return "[secret]"
	case v.IsComputed():
		return "[unknown]"
	case v.IsOutput():
		o := v.OutputValue()
		if o.Secret {
			return "[secret]"
		}
		if !o.Known {
			return "[unknown]"
		}
		return plain(o.Element)
	case v.IsResourceReference():
		return string(v.ResourceReferenceValue().URN)
	case v.IsAsset():
		return "[asset " + v.AssetValue().Hash + "]"
	case v.IsArchive():
		return "[archive " + v.ArchiveValue().Hash + "]"
	}
	return fmt.Sprintf("[%s]", v.TypeString())
}

// providerURN strips the "::<id>" suffix of a provider reference.
func providerURN(ref string) string {
	if i := strings.LastIndex(ref, "::"); i > 0 {
		return ref[:i]
	}
	return ref
}

func sortedCopy(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	out := append([]string(nil), s...)
	sort.Strings(out)
	return out
}
