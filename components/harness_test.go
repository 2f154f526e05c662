package components_test

import (
	"flag"
	"fmt"
	"sync"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/require"

	"github.com/docustack/infrastructure/components"
	"github.com/docustack/infrastructure/internal/synth"
	"github.com/docustack/infrastructure/platform"
)

// update is accepted so that `go test ./... -update` works in every package;
// golden files live with internal/synth.
var _ = flag.Bool("update", false, "refresh golden files (internal/synth)")

// stackTags is a complete set of stack tags for component tests.
var stackTags = components.Tags{
	components.TagProject: "DocuStack", components.TagEnvironment: "test",
	components.TagDataClassification: "PHI", components.TagOwner: "platform-team",
	components.TagCostCenter: "cc-test", components.TagManagedBy: "pulumi",
}

// synthesize runs a test program under the shared mock harness.
func synthesize(t *testing.T, program pulumi.RunFunc) *synth.Plan {
	t.Helper()
	plan, err := synth.Run(synth.Options{}, program)
	if err != nil {
		t.Fatalf("synthesize: %v", err)
	}
	return plan
}

var (
	stackPlansMu sync.Mutex
	stackPlans   = map[string]*synth.Plan{}
)

// stackPlan synthesizes a real stack file once per test binary.
func stackPlan(t *testing.T, stack string) *synth.Plan {
	t.Helper()
	stackPlansMu.Lock()
	defer stackPlansMu.Unlock()
	if p, ok := stackPlans[stack]; ok {
		return p
	}
	p, err := synth.Stack("..", stack)
	if err != nil {
		t.Fatalf("synthesize stack %s: %v", stack, err)
	}
	stackPlans[stack] = p
	return p
}

var (
	standaloneMu    sync.Mutex
	standalonePlans = map[string]*synth.Plan{}
)

// standalonePlan is a workload stack with the documented opt-in
// logArchive.standalone: a private archive in the account (prod's locked in
// COMPLIANCE mode, as its validation requires).
func standalonePlan(t *testing.T, stack string) *synth.Plan {
	t.Helper()
	standaloneMu.Lock()
	defer standaloneMu.Unlock()
	if p, ok := standalonePlans[stack]; ok {
		return p
	}
	proj, err := synth.LoadProject("..")
	require.NoError(t, err)
	cfg, err := synth.LoadStackConfig("..", stack, proj)
	require.NoError(t, err)
	mode := components.ObjectLockGovernance
	if stack == "prod" {
		mode = components.ObjectLockCompliance
	}
	cfg["docustack:logArchive"] = fmt.Sprintf(`{"standalone":true,"objectLockMode":%q}`, mode)
	p, err := synth.Run(synth.Options{Stack: stack, Config: cfg}, platform.Program)
	require.NoError(t, err)
	standalonePlans[stack] = p
	return p
}

// mustNamed returns the resource called name or fails.
func mustNamed(t *testing.T, p *synth.Plan, name string) synth.Resource {
	t.Helper()
	r, ok := p.Named(name)
	if !ok {
		t.Fatalf("no resource named %q", name)
	}
	return r
}

// nameOfID resolves a mock ID (as recorded in another resource's inputs)
// back to the logical name of the resource it belongs to.
func nameOfID(t *testing.T, p *synth.Plan, id any) string {
	t.Helper()
	s, _ := id.(string)
	r, ok := p.ByID(s)
	if !ok {
		t.Fatalf("no resource has ID %v", id)
	}
	return r.Name
}

// strings returns a []any of strings as []string.
func strs(v any) []string {
	var out []string
	if l, ok := v.([]any); ok {
		for _, e := range l {
			s, _ := e.(string)
			out = append(out, s)
		}
	}
	return out
}

// errorMessages returns the leaf messages of a joined error.
func errorMessages(err error) []string {
	var out []string
	for _, e := range components.Unjoin(err) {
		out = append(out, e.Error())
	}
	return out
}
