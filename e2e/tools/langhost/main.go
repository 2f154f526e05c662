// Command pulumi-language-go is the end-to-end tier's Go language host: the
// one piece of the real engine's toolchain that the Go module proxy does not
// serve (sdk/go/pulumi-language-go/v3 answers 403). It is project-owned and
// deliberately small. It implements the pulumirpc.LanguageRuntime calls the
// engine makes for a Go project and a Go policy pack:
//
//   - Handshake, GetPluginInfo;
//   - GetRequiredPackages: the Pulumi provider SDKs the program's go.mod
//     requires directly, named by their pulumi-plugin.json;
//   - Run: `go build` of the program, run with the PULUMI_* environment the Go
//     SDK reads (pulumi.Run), exit status 32 meaning "error already reported";
//   - RunPlugin: `go build` of a plugin directory (policies/, PulumiPolicy.yaml
//     runtime: go) and a run of it, its stdout and stderr streamed back to the
//     engine, which reads the plugin's port from stdout.
//
// Everything else (the engine, the CLI, config validation, state, the policy
// analyzer protocol) is the real Pulumi code, built from the module proxy.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/pulumi/pulumi/sdk/v3/go/common/constant"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	"github.com/pulumi/pulumi/sdk/v3/go/common/version"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

func main() {
	host := &goHost{}
	if n := len(os.Args); n > 1 {
		// The engine passes its address as the last argument.
		host.engine = os.Args[n-1]
	}
	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Init: func(s *grpc.Server) error {
			pulumirpc.RegisterLanguageRuntimeServer(s, host)
			return nil
		},
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

type goHost struct {
	pulumirpc.UnimplementedLanguageRuntimeServer

	mu     sync.Mutex
	engine string
}

func (h *goHost) Handshake(_ context.Context, req *pulumirpc.LanguageHandshakeRequest) (*pulumirpc.LanguageHandshakeResponse, error) {
	if req.GetEngineAddress() == "" {
		return nil, errors.New("handshake without an engine address")
	}
	h.mu.Lock()
	h.engine = req.GetEngineAddress()
	h.mu.Unlock()
	return &pulumirpc.LanguageHandshakeResponse{}, nil
}

func (h *goHost) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: version.Version}, nil
}

// GetRequiredPackages lists the provider SDKs that go.mod requires directly
// and that carry a pulumi-plugin.json with "resource": true.
func (h *goHost) GetRequiredPackages(_ context.Context, req *pulumirpc.GetRequiredPackagesRequest) (*pulumirpc.GetRequiredPackagesResponse, error) {
	cmd := exec.Command("go", "list", "-m", "-json", "all")
	cmd.Dir = req.GetInfo().GetProgramDirectory()
	cmd.Env = append(os.Environ(), "GOWORK=off")
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go list -m all in %s: %w", cmd.Dir, err)
	}
	var pkgs []*pulumirpc.PackageDependency
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for dec.More() {
		var m struct {
			Path, Version, Dir string
			Indirect, Main     bool
		}
		if err := dec.Decode(&m); err != nil {
			return nil, err
		}
		if m.Main || m.Indirect || m.Dir == "" {
			continue
		}
		if p := pluginJSON(m.Dir); p != nil && p.Resource {
			pkgs = append(pkgs, &pulumirpc.PackageDependency{Name: p.Name, Version: "v" + strings.TrimPrefix(p.Version, "v"), Kind: "resource"})
		}
	}
	return &pulumirpc.GetRequiredPackagesResponse{Packages: pkgs}, nil
}

type pulumiPlugin struct {
	Resource bool   `json:"resource"`
	Name     string `json:"name"`
	Version  string `json:"version"`
}

// pluginJSON finds a provider SDK's pulumi-plugin.json where SDKs keep it
// (the module root, go/, or go/<package>/).
func pluginJSON(dir string) *pulumiPlugin {
	candidates := []string{filepath.Join(dir, "pulumi-plugin.json"), filepath.Join(dir, "go", "pulumi-plugin.json")}
	more, _ := filepath.Glob(filepath.Join(dir, "go", "*", "pulumi-plugin.json"))
	for _, path := range append(candidates, more...) {
		b, err := os.ReadFile(path)
		if err != nil {
			continue
		}
		var p pulumiPlugin
		if json.Unmarshal(b, &p) == nil && p.Name != "" {
			return &p
		}
	}
	return nil
}

func (h *goHost) InstallDependencies(_ *pulumirpc.InstallDependenciesRequest, server pulumirpc.LanguageRuntime_InstallDependenciesServer) error {
	// Modules come from the module cache at build time; nothing to install.
	return nil
}

func (h *goHost) GetProgramDependencies(context.Context, *pulumirpc.GetProgramDependenciesRequest) (*pulumirpc.GetProgramDependenciesResponse, error) {
	return &pulumirpc.GetProgramDependenciesResponse{}, nil
}

func (h *goHost) About(context.Context, *pulumirpc.AboutRequest) (*pulumirpc.AboutResponse, error) {
	out, err := exec.Command("go", "version").Output()
	if err != nil {
		return nil, err
	}
	return &pulumirpc.AboutResponse{Executable: "go", Version: strings.TrimSpace(string(out))}, nil
}

func (h *goHost) RuntimeOptionsPrompts(context.Context, *pulumirpc.RuntimeOptionsRequest) (*pulumirpc.RuntimeOptionsResponse, error) {
	return &pulumirpc.RuntimeOptionsResponse{}, nil
}

// build compiles the Go main package in dir into a temporary binary.
func build(dir string) (string, func(), error) {
	tmp, err := os.MkdirTemp("", "pulumi-go-")
	if err != nil {
		return "", nil, err
	}
	cleanup := func() { os.RemoveAll(tmp) }
	bin := filepath.Join(tmp, "program")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		cleanup()
		return "", nil, fmt.Errorf("go build in %s: %w\n%s", dir, err, out)
	}
	return bin, cleanup, nil
}

// Run builds and runs the program with the environment pulumi.Run reads.
func (h *goHost) Run(_ context.Context, req *pulumirpc.RunRequest) (*pulumirpc.RunResponse, error) {
	bin, cleanup, err := build(req.GetInfo().GetProgramDirectory())
	if err != nil {
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}
	defer cleanup()

	config, err := json.Marshal(req.GetConfig())
	if err != nil {
		return nil, err
	}
	secretKeys, err := json.Marshal(append([]string{}, req.GetConfigSecretKeys()...))
	if err != nil {
		return nil, err
	}
	h.mu.Lock()
	engine := h.engine
	h.mu.Unlock()
	env := os.Environ()
	for k, v := range map[string]string{
		pulumi.EnvOrganization:        req.GetOrganization(),
		pulumi.EnvProject:             req.GetProject(),
		pulumi.EnvPulumiRootDirectory: req.GetInfo().GetRootDirectory(),
		pulumi.EnvStack:               req.GetStack(),
		pulumi.EnvConfig:              string(config),
		pulumi.EnvConfigSecretKeys:    string(secretKeys),
		pulumi.EnvDryRun:              strconv.FormatBool(req.GetDryRun()),
		pulumi.EnvParallel:            strconv.Itoa(int(req.GetParallel())),
		pulumi.EnvMonitor:             req.GetMonitorAddress(),
		pulumi.EnvEngine:              engine,
	} {
		if v != "" {
			env = append(env, k+"="+v)
		}
	}
	cmd := exec.Command(bin, req.GetArgs()...)
	cmd.Dir = req.GetPwd()
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	err = cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return &pulumirpc.RunResponse{}, nil
	case errors.As(err, &exit) && exit.ExitCode() == constant.ExitStatusLoggedError:
		// The program reported its error to the engine already.
		return &pulumirpc.RunResponse{Bail: true}, nil
	case errors.As(err, &exit):
		return &pulumirpc.RunResponse{Error: fmt.Sprintf("program exited with non-zero exit code: %d", exit.ExitCode())}, nil
	}
	return &pulumirpc.RunResponse{Error: err.Error()}, nil
}

// RunPlugin builds and runs a Go plugin (the policy pack), streaming its
// output and exit code to the engine.
func (h *goHost) RunPlugin(req *pulumirpc.RunPluginRequest, server pulumirpc.LanguageRuntime_RunPluginServer) error {
	bin, cleanup, err := build(req.GetInfo().GetProgramDirectory())
	if err != nil {
		return err
	}
	defer cleanup()
	closer, stdout, stderr, err := rpcutil.MakeRunPluginStreams(server, false)
	if err != nil {
		return err
	}
	defer closer.Close()
	cmd := exec.Command(bin, req.GetArgs()...)
	cmd.Dir = req.GetPwd()
	cmd.Env = req.GetEnv()
	cmd.Stdout, cmd.Stderr = stdout, stderr
	if err := cmd.Run(); err != nil {
		var exit *exec.ExitError
		if !errors.As(err, &exit) {
			return fmt.Errorf("running plugin %s: %w", req.GetInfo().GetProgramDirectory(), err)
		}
		if err := server.Send(&pulumirpc.RunPluginResponse{Output: &pulumirpc.RunPluginResponse_Exitcode{Exitcode: int32(exit.ExitCode())}}); err != nil {
			return err
		}
	}
	return closer.Close()
}
