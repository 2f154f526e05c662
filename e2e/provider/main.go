// Command pulumi-resource-aws is the end-to-end tier's stand-in for the
// pulumi-aws provider: the real Pulumi engine loads it as the `aws` plugin of
// the exact version the program resolves, and it answers every call the
// engine makes for this program without talking to AWS.
//
// What it computes (IDs, ARNs, autonames, the outputs the program reads) comes
// from internal/fakeaws, the table the offline mock monitor answers from, so
// the engine's plan and the offline plan are the same plan. It is
// deterministic: a deployed stack re-previews with no changes.
//
// It refuses what AWS refuses when a resource is created or updated, with
// the service's error code and words (refuse.go: policy documents against the
// grammar of their kind and their quotas, principals that do not exist, a
// physical name that is taken, server access logs to another account's
// bucket), remembering what exists across its processes (world.go), and it
// replaces exactly where the shared replace table says, deleting first where
// pulumi-aws does. See README, "End-to-end".
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sort"
	"sync"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/docustack/infrastructure/internal/awsspec"
	"github.com/docustack/infrastructure/internal/fakeaws"
)

// version is the pulumi-aws version this plugin stands in for; the runner
// sets it (-ldflags -X main.version=...) to the version in go.mod.
var version = "0.0.0-dev"

func main() {
	// The engine passes its own address last; this plugin needs nothing
	// from the engine, so only the port it listens on matters.
	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Init: func(s *grpc.Server) error {
			pulumirpc.RegisterResourceProviderServer(s, &fakeProvider{account: fakeaws.DefaultAccountID, region: fakeaws.DefaultRegion})
			return nil
		},
		Options: rpcutil.OpenTracingServerInterceptorOptions(nil),
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("%d\n", handle.Port)
	if err := <-handle.Done; err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

type fakeProvider struct {
	pulumirpc.UnimplementedResourceProviderServer

	mu              sync.Mutex
	account, region string
}

// Properties cross the wire with secrets and unknowns intact: a preview
// carries unknowns, and a secret input stays a secret output.
var opts = plugin.MarshalOptions{KeepUnknowns: true, KeepSecrets: true, KeepResources: true, KeepOutputValues: true}

func unmarshal(s *structpb.Struct) (resource.PropertyMap, error) {
	if s == nil {
		return resource.PropertyMap{}, nil
	}
	return plugin.UnmarshalProperties(s, opts)
}

func marshal(m resource.PropertyMap) (*structpb.Struct, error) {
	return plugin.MarshalProperties(m, opts)
}

func (p *fakeProvider) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: version}, nil
}

func (p *fakeProvider) GetSchema(context.Context, *pulumirpc.GetSchemaRequest) (*pulumirpc.GetSchemaResponse, error) {
	return &pulumirpc.GetSchemaResponse{Schema: `{"name":"aws","version":"` + version + `"}`}, nil
}

func (p *fakeProvider) CheckConfig(_ context.Context, req *pulumirpc.CheckRequest) (*pulumirpc.CheckResponse, error) {
	return &pulumirpc.CheckResponse{Inputs: req.GetNews()}, nil
}

func (p *fakeProvider) DiffConfig(_ context.Context, req *pulumirpc.DiffRequest) (*pulumirpc.DiffResponse, error) {
	return p.diff(req)
}

// Configure records the account and region this provider instance places
// resources in (allowedAccountIds[0] and region), as the mocks do.
func (p *fakeProvider) Configure(_ context.Context, req *pulumirpc.ConfigureRequest) (*pulumirpc.ConfigureResponse, error) {
	args, err := unmarshal(req.GetArgs())
	if err != nil {
		return nil, err
	}
	if region, ok := req.GetVariables()["aws:config:region"]; ok && region != "" {
		args["region"] = resource.NewProperty(region)
	}
	p.mu.Lock()
	p.account, p.region = fakeaws.Placement(args, p.account, p.region)
	p.mu.Unlock()
	return &pulumirpc.ConfigureResponse{AcceptSecrets: true, SupportsPreview: true, AcceptResources: true, AcceptOutputs: true}, nil
}

func (p *fakeProvider) placement() (string, string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.account, p.region
}

func (p *fakeProvider) Invoke(_ context.Context, req *pulumirpc.InvokeRequest) (*pulumirpc.InvokeResponse, error) {
	account, region := p.placement()
	args, err := unmarshal(req.GetArgs())
	if err != nil {
		return nil, err
	}
	out, failure, ok := fakeaws.World{}.Invoke(req.GetTok(), account, region, nil, args)
	if !ok {
		return nil, fmt.Errorf("e2e provider: no answer for invoke %s; add one to internal/fakeaws", req.GetTok())
	}
	if failure != nil {
		// As a provider reports a failed data source read.
		return &pulumirpc.InvokeResponse{Failures: []*pulumirpc.CheckFailure{{Reason: failure.Error()}}}, nil
	}
	ret, err := marshal(out)
	if err != nil {
		return nil, err
	}
	return &pulumirpc.InvokeResponse{Return: ret}, nil
}

// defaultsKey lists the inputs the provider filled in itself, as
// pulumi-terraform-bridge records them ("__defaults"): an autonamed name is
// not a fixed name.
const defaultsKey = "__defaults"

// Check autonames like pulumi-aws: a name already in state is kept, and a
// replacement (a create for a URN that is live, so no olds) gets a new one.
func (p *fakeProvider) Check(_ context.Context, req *pulumirpc.CheckRequest) (*pulumirpc.CheckResponse, error) {
	news, err := unmarshal(req.GetNews())
	if err != nil {
		return nil, err
	}
	olds, err := unmarshal(req.GetOlds())
	if err != nil {
		return nil, err
	}
	urn := resource.URN(req.GetUrn())
	if _, given := news["name"]; !given {
		if old, ok := olds["name"]; ok {
			news["name"] = old
		} else {
			seed := string(urn)
			if len(olds) == 0 {
				replacing := false
				if err := withWorld(func(w *world) error { replacing = w.hasURN(string(urn)); return nil }); err != nil {
					return nil, err
				}
				if replacing {
					seed += fmt.Sprintf("%x", req.GetRandomSeed())
				}
			}
			fakeaws.AutoName(string(urn.Type()), seed, urn.Name(), news)
		}
		if _, named := news["name"]; named {
			news[defaultsKey] = resource.NewProperty([]resource.PropertyValue{resource.NewProperty("name")})
		}
	}
	inputs, err := marshal(news)
	if err != nil {
		return nil, err
	}
	return &pulumirpc.CheckResponse{Inputs: inputs}, nil
}

// Diff compares the new inputs with the inputs in state, key by key. A
// change to an input the shared replace table (internal/awsspec) marks is a
// replacement; pulumi-aws deletes first when the type's unique name was set
// rather than autonamed (pulumi-terraform-bridge nameRequiresDeleteBeforeReplace).
func (p *fakeProvider) Diff(_ context.Context, req *pulumirpc.DiffRequest) (*pulumirpc.DiffResponse, error) {
	return p.diff(req)
}

func (p *fakeProvider) diff(req *pulumirpc.DiffRequest) (*pulumirpc.DiffResponse, error) {
	olds, err := unmarshal(req.GetOldInputs())
	if err != nil {
		return nil, err
	}
	if req.GetOldInputs() == nil {
		if olds, err = unmarshal(req.GetOlds()); err != nil {
			return nil, err
		}
	}
	news, err := unmarshal(req.GetNews())
	if err != nil {
		return nil, err
	}
	ignored := map[string]bool{defaultsKey: true}
	for _, k := range req.GetIgnoreChanges() {
		ignored[k] = true
	}
	typ := string(resource.URN(req.GetUrn()).Type())
	var changed, replaces []string
	for _, k := range unionKeys(olds, news) {
		if ignored[k] {
			continue
		}
		o, n := olds[resource.PropertyKey(k)], news[resource.PropertyKey(k)]
		if n.ContainsUnknowns() || !o.DeepEquals(n) {
			changed = append(changed, k)
			if r, _ := awsspec.Replaces(typ, k); r {
				replaces = append(replaces, k)
			}
		}
	}
	if len(changed) == 0 {
		return &pulumirpc.DiffResponse{Changes: pulumirpc.DiffResponse_DIFF_NONE}, nil
	}
	resp := &pulumirpc.DiffResponse{Changes: pulumirpc.DiffResponse_DIFF_SOME, Diffs: changed, Replaces: replaces}
	if len(replaces) > 0 {
		in, _, fixed := awsspec.FixedName(typ, news.Mappable())
		resp.DeleteBeforeReplace = fixed && !isDefault(news, in)
	}
	return resp, nil
}

// isDefault reports whether the provider filled in an input.
func isDefault(inputs resource.PropertyMap, k string) bool {
	d, ok := inputs[defaultsKey]
	if !ok || !d.IsArray() {
		return false
	}
	for _, v := range d.ArrayValue() {
		if v.IsString() && v.StringValue() == k {
			return true
		}
	}
	return false
}

func unionKeys(a, b resource.PropertyMap) []string {
	seen := map[string]bool{}
	for k := range a {
		seen[string(k)] = true
	}
	for k := range b {
		seen[string(k)] = true
	}
	out := make([]string, 0, len(seen))
	for k := range seen {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// outputs is state: the inputs plus what AWS computes, from the shared table.
// A preview gets the same values as an update.
func (p *fakeProvider) outputs(urn resource.URN, id string, props *structpb.Struct) (*structpb.Struct, error) {
	state, err := unmarshal(props)
	if err != nil {
		return nil, err
	}
	account, region := p.placement()
	fakeaws.Computed(string(urn.Type()), urn.Name(), id, account, region, state)
	return marshal(state)
}

func (p *fakeProvider) Create(_ context.Context, req *pulumirpc.CreateRequest) (*pulumirpc.CreateResponse, error) {
	urn := resource.URN(req.GetUrn())
	inputs, err := unmarshal(req.GetProperties())
	if err != nil {
		return nil, err
	}
	id := fakeaws.ID(string(urn.Type()), urn.Name(), inputs)
	props, err := p.outputs(urn, id, req.GetProperties())
	if err != nil {
		return nil, err
	}
	if req.GetPreview() {
		// The engine expects no ID from a preview create; AWS is not asked.
		return &pulumirpc.CreateResponse{Properties: props}, nil
	}
	if err := p.apply(urn, id, props, true); err != nil {
		return nil, err
	}
	return &pulumirpc.CreateResponse{Id: id, Properties: props}, nil
}

// apply asks the fake AWS to accept a resource's new state, and records it.
func (p *fakeProvider) apply(urn resource.URN, id string, props *structpb.Struct, create bool) error {
	state, err := unmarshal(props)
	if err != nil {
		return err
	}
	m := state.Mappable()
	typ := string(urn.Type())
	accountID, _ := p.placement()
	return withWorld(func(w *world) error {
		a := w.account(accountID)
		errs := []error{refuseDocuments(typ, m), refusePrincipals(w, typ, m), refuseLogging(w, accountID, typ, m), refuseMissingTargets(w, typ, m)}
		if create {
			errs = append(errs, refuseName(a, typ, string(urn), id, m))
		}
		if err := errors.Join(errs...); err != nil {
			return fmt.Errorf("creating %s (%s): %w", urn.Name(), typ, err)
		}
		record(a, typ, string(urn), id, m)
		return nil
	})
}

func (p *fakeProvider) Update(_ context.Context, req *pulumirpc.UpdateRequest) (*pulumirpc.UpdateResponse, error) {
	urn := resource.URN(req.GetUrn())
	props, err := p.outputs(urn, req.GetId(), req.GetNews())
	if err != nil {
		return nil, err
	}
	if !req.GetPreview() {
		if err := p.apply(urn, req.GetId(), props, false); err != nil {
			return nil, err
		}
	}
	return &pulumirpc.UpdateResponse{Properties: props}, nil
}

// Read (refresh) returns the state unchanged: nothing drifts here.
func (p *fakeProvider) Read(_ context.Context, req *pulumirpc.ReadRequest) (*pulumirpc.ReadResponse, error) {
	return &pulumirpc.ReadResponse{Id: req.GetId(), Properties: req.GetProperties(), Inputs: req.GetInputs()}, nil
}

func (p *fakeProvider) Delete(_ context.Context, req *pulumirpc.DeleteRequest) (*emptypb.Empty, error) {
	accountID, _ := p.placement()
	err := withWorld(func(w *world) error {
		delete(w.account(accountID).Live, key(req.GetUrn(), req.GetId()))
		return nil
	})
	return &emptypb.Empty{}, err
}

func (p *fakeProvider) Cancel(context.Context, *emptypb.Empty) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, nil
}

func (p *fakeProvider) GetMapping(context.Context, *pulumirpc.GetMappingRequest) (*pulumirpc.GetMappingResponse, error) {
	return &pulumirpc.GetMappingResponse{}, nil
}
