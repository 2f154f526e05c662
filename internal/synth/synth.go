package synth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/internals"

	"github.com/docustack/infrastructure/internal/fakeaws"

	"github.com/docustack/infrastructure/platform"
)

// Options describe one offline run.
type Options struct {
	// Project is the Pulumi project name. Default: "docustack".
	Project string
	// Stack is the stack name. Default: "test".
	Stack string
	// Config is the stack configuration, keys namespaced ("docustack:environment").
	Config map[string]string
	// World is what the preflight invokes find in the account. Default: a
	// deployed account (every image pushed, every secret set).
	World fakeaws.World
}

// Run runs program under the mock monitor and returns its plan. A program
// error is returned as the program returned it (joined errors intact),
// together with the plan of what was registered before it (tests use that to
// prove bad input registers nothing).
func Run(opts Options, program pulumi.RunFunc) (*Plan, error) {
	if opts.Project == "" {
		opts.Project = platform.Namespace
	}
	if opts.Stack == "" {
		opts.Stack = "test"
	}
	m := &mocks{project: opts.Project, stack: opts.Stack, accountID: fakeaws.DefaultAccountID, region: fakeaws.DefaultRegion, world: opts.World}
	if v := opts.Config[platform.KeyRegion]; v != "" {
		m.region = v
	}
	if v := opts.Config[DisableDefaultProvidersKey]; strings.Contains(v, `"aws"`) || strings.Contains(v, `"*"`) {
		m.noDefault = true
	}
	if v := opts.Config[platform.Namespace+":"+platform.KeyAccountID]; v != "" {
		m.accountID = v
	}
	if v := opts.Config[platform.Namespace+":"+platform.KeyNetwork]; v != "" {
		var n platform.NetworkConfig
		if json.Unmarshal([]byte(v), &n) == nil {
			m.azs = n.AvailabilityZones
		}
	}

	pctx, err := pulumi.NewContext(context.Background(), pulumi.RunInfo{
		Project: opts.Project,
		Stack:   opts.Stack,
		Config:  opts.Config,
		Mocks:   m,
	})
	if err != nil {
		return nil, err
	}
	defer pctx.Close()

	var programErr error
	var exports map[string]pulumi.Input
	runErr := pulumi.RunWithContext(pctx, func(ctx *pulumi.Context) error {
		programErr = program(ctx)
		exports = ctx.GetCurrentExportMap()
		return programErr
	})
	plan := &Plan{Project: opts.Project, Stack: opts.Stack, Resources: m.resources, Outputs: map[string]any{}}
	plan.sort()
	if programErr != nil {
		return plan, programErr
	}
	if runErr != nil {
		return plan, runErr
	}
	keys := make([]string, 0, len(exports))
	for k := range exports {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		res, err := internals.UnsafeAwaitOutput(context.Background(), pulumi.ToOutput(exports[k]))
		if err != nil {
			return nil, fmt.Errorf("stack output %s: %w", k, err)
		}
		switch {
		case res.Secret:
			plan.Outputs[k] = "[secret]"
		case !res.Known:
			plan.Outputs[k] = "[unknown]"
		default:
			// Round-trip through JSON so outputs hold plain values
			// (string, []any, map[string]any) whatever Go type produced them.
			b, err := json.Marshal(res.Value)
			if err != nil {
				return nil, fmt.Errorf("stack output %s: %w", k, err)
			}
			var v any
			if err := json.Unmarshal(b, &v); err != nil {
				return nil, fmt.Errorf("stack output %s: %w", k, err)
			}
			plan.Outputs[k] = v
		}
	}
	return plan, nil
}

// Stack synthesizes platform.Program with the real Pulumi.yaml and
// Pulumi.<stack>.yaml found in root.
func Stack(root, stack string) (*Plan, error) {
	proj, err := LoadProject(root)
	if err != nil {
		return nil, err
	}
	cfg, fileErr := LoadStackConfig(root, stack, proj)
	if errors.Is(fileErr, ErrNoStack) {
		return nil, fileErr
	}
	// Run even when the file has problems, so that one pass reports the
	// file's problems and the configuration's together.
	plan, runErr := Run(Options{Project: proj.Name, Stack: stack, Config: cfg}, platform.Program)
	if err := errors.Join(fileErr, runErr); err != nil {
		return nil, err
	}
	return plan, nil
}

// ErrNoStack is returned for a stack without a Pulumi.<stack>.yaml.
var ErrNoStack = errors.New("no such stack file")
