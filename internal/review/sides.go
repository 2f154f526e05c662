package review

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/docustack/infrastructure/internal/cost"
)

// AllStacks are the stacks a diff covers by default.
var AllStacks = []string{"dev", "staging", "prod", "org"}

// Options of a diff.
type Options struct {
	// Root is the project root (holding Pulumi.yaml) inside a git work
	// tree; its files as they are on disk are the head side.
	Root string
	// Base is a git revision.
	Base string
	// Stacks to compare. Default: AllStacks.
	Stacks []string
	// Cache keeps the docustack binaries built for each side, by digest of
	// the sources they are built from. Default: the user cache directory.
	Cache string
}

// Diff synthesizes every stack at the base revision and in the working
// tree, each side with the docustack binary built from its own sources, and
// compares them. The base is extracted with `git archive` into a temporary
// directory, removed afterwards; the working tree and the repository are
// not touched.
func Diff(ctx context.Context, opts Options) (*Report, error) {
	if len(opts.Stacks) == 0 {
		opts.Stacks = AllStacks
	}
	if opts.Cache == "" {
		dir, err := os.UserCacheDir()
		if err != nil {
			dir = os.TempDir()
		}
		opts.Cache = filepath.Join(dir, "docustack", "diff")
	}
	root, err := filepath.Abs(opts.Root)
	if err != nil {
		return nil, err
	}
	top, err := git(ctx, root, "rev-parse", "--show-toplevel")
	if err != nil {
		return nil, fmt.Errorf("%s is not in a git repository: %w", root, err)
	}
	rel, err := relative(strings.TrimSpace(top), root)
	if err != nil {
		return nil, err
	}
	sha, err := git(ctx, root, "rev-parse", "--verify", "--quiet", opts.Base+"^{commit}")
	if err != nil {
		return nil, fmt.Errorf("--base %q is not a commit of this repository", opts.Base)
	}
	sha = strings.TrimSpace(sha)

	tmp, err := os.MkdirTemp("", "docustack-diff-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	if err := extract(ctx, root, sha, tmp); err != nil {
		return nil, fmt.Errorf("--base %q: %w", opts.Base, err)
	}
	baseRoot := filepath.Join(tmp, rel)
	for _, f := range []string{"Pulumi.yaml", filepath.Join("cmd", "docustack", "snapshot.go")} {
		if _, err := os.Stat(filepath.Join(baseRoot, f)); err != nil {
			return nil, fmt.Errorf("--base %q (%s) cannot be synthesized: it has no %s at %s; it predates the project or `docustack snapshot`, so choose a later base", opts.Base, sha[:12], f, displayRel(rel))
		}
	}

	sides := []*side{{name: fmt.Sprintf("base %s (%s)", opts.Base, sha[:12]), root: baseRoot}, {name: "working tree", root: root}}
	srcs := make([]map[string][]byte, 2)
	for i, s := range sides {
		if srcs[i], err = sources(s.root); err != nil {
			return nil, fmt.Errorf("%s: %w", s.name, err)
		}
		s.digest = digest(srcs[i])
	}
	if sides[0].digest != sides[1].digest {
		// The base builds in the head's directory where it can.
		ov, err := overlay(srcs[0], srcs[1], baseRoot, root, tmp)
		if err != nil {
			return nil, err
		}
		if ov != "" {
			sides[0].buildDir, sides[0].overlay = root, ov
		}
	}
	var wg sync.WaitGroup
	builders := sides
	if sides[0].digest == sides[1].digest {
		builders = sides[:1] // one program: build it once
	}
	for _, s := range builders {
		wg.Add(1)
		go func() { defer wg.Done(); s.err = s.build(ctx, opts.Cache) }()
	}
	wg.Wait()
	if err := errors.Join(sides[0].err, sides[1].err); err != nil {
		return nil, err
	}
	if sides[1].bin == "" {
		sides[1].bin = sides[0].bin
	}

	// Every (side, stack) is its own process; they run concurrently.
	snaps := make([][]*Snapshot, 2)
	errs := make([]error, 2*len(opts.Stacks))
	sem := make(chan struct{}, runtime.NumCPU())
	for i, s := range sides {
		snaps[i] = make([]*Snapshot, len(opts.Stacks))
		for j, stack := range opts.Stacks {
			wg.Add(1)
			go func() {
				defer wg.Done()
				sem <- struct{}{}
				defer func() { <-sem }()
				snaps[i][j], errs[i*len(opts.Stacks)+j] = s.snapshot(ctx, stack)
			}()
		}
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}

	rep := &Report{Base: opts.Base, BaseCommit: sha, StopSigns: []StopSign{}}
	for j := range opts.Stacks {
		if err := costAsTheEngineApplies(root, snaps[0][j], snaps[1][j]); err != nil {
			return nil, err
		}
		d := Compare(snaps[0][j], snaps[1][j])
		rep.Stacks = append(rep.Stacks, d)
		rep.StopSigns = append(rep.StopSigns, stopSigns(d)...)
	}
	rep.Waivers = diffWaivers(waiversOf(snaps[0]), waiversOf(snaps[1]))
	return rep, nil
}

// side is one revision's project directory and the binary built from it.
type side struct {
	name, root  string
	digest, bin string
	// buildDir and overlay: where the binary is built, and the overlay
	// that gives that directory this side's sources (default: root, none).
	buildDir, overlay string
	err               error
}

// build builds the side's docustack, or reuses the one built before from
// the same sources. No -trimpath: the dependencies (pulumi-aws above all)
// then come from the build cache that `go build` and `go test` fill, and
// only the project's own packages compile in the base's directory.
func (s *side) build(ctx context.Context, cache string) error {
	s.bin = filepath.Join(cache, s.digest, "docustack")
	if _, err := os.Stat(s.bin); err == nil {
		now := time.Now()
		return os.Chtimes(s.bin, now, now) // recently used: kept by prune
	}
	defer prune(cache, keepBinaries)
	if err := os.MkdirAll(filepath.Dir(s.bin), 0o755); err != nil {
		return err
	}
	tmp := fmt.Sprintf("%s.%d.tmp", s.bin, os.Getpid())
	args := []string{"build", "-buildvcs=false", "-o", tmp}
	cmd := exec.CommandContext(ctx, goTool())
	cmd.Dir = s.root
	if s.overlay != "" {
		args = append(args, "-overlay", s.overlay)
		cmd.Dir = s.buildDir
	}
	cmd.Args = append([]string{"go"}, append(args, "./cmd/docustack")...)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("%s does not build: %v\n%s", s.name, err, tail(out, 40))
	}
	return os.Rename(tmp, s.bin)
}

// keepBinaries is how many built binaries the cache keeps (about 60 MB each).
const keepBinaries = 6

// prune removes all but the keep most recently used binaries.
func prune(cache string, keep int) {
	entries, err := os.ReadDir(cache)
	if err != nil {
		return
	}
	type bin struct {
		dir string
		at  time.Time
	}
	var bins []bin
	for _, e := range entries {
		if fi, err := os.Stat(filepath.Join(cache, e.Name(), "docustack")); err == nil {
			bins = append(bins, bin{filepath.Join(cache, e.Name()), fi.ModTime()})
		}
	}
	sort.Slice(bins, func(i, j int) bool { return bins[i].at.After(bins[j].at) })
	for i := keep; i < len(bins); i++ {
		os.RemoveAll(bins[i].dir)
	}
}

func (s *side) snapshot(ctx context.Context, stack string) (*Snapshot, error) {
	cmd := exec.CommandContext(ctx, s.bin, "snapshot", "--stack", stack, "--dir", s.root)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("%s, stack %s, cannot be synthesized:\n%s", s.name, stack, strings.TrimSpace(stderr.String()))
	}
	var snap Snapshot
	if err := json.Unmarshal(stdout.Bytes(), &snap); err != nil {
		return nil, fmt.Errorf("%s, stack %s: snapshot output: %w", s.name, stack, err)
	}
	return &snap, nil
}

// sources reads what a docustack binary is built from, by path relative to
// root: every Go file, go.mod and go.sum, and the files of any directory
// that embeds files. Stack files, waivers, prices and docs are read at run
// time, not built in.
func sources(root string) (map[string][]byte, error) {
	files := map[string][]byte{}
	embeds := map[string]bool{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if path != root && (strings.HasPrefix(name, ".") || name == "node_modules" || name == "testdata") {
				return filepath.SkipDir
			}
			return nil
		}
		if strings.HasSuffix(name, ".go") || name == "go.mod" || name == "go.sum" {
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(root, path)
			files[filepath.ToSlash(rel)] = b
			if strings.HasSuffix(name, ".go") && bytes.Contains(b, []byte("//go:embed")) {
				embeds[filepath.Dir(path)] = true
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for dir := range embeds {
		entries, err := os.ReadDir(dir)
		if err != nil {
			return nil, err
		}
		for _, e := range entries {
			if e.Type().IsRegular() && !strings.HasSuffix(e.Name(), ".go") {
				b, err := os.ReadFile(filepath.Join(dir, e.Name()))
				if err != nil {
					return nil, err
				}
				rel, _ := filepath.Rel(root, filepath.Join(dir, e.Name()))
				files[filepath.ToSlash(rel)] = b
			}
		}
	}
	return files, nil
}

// digest names a set of sources (and the toolchain building them).
func digest(files map[string][]byte) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s %s/%s\n", runtime.Version(), runtime.GOOS, runtime.GOARCH)
	for _, rel := range slices.Sorted(maps.Keys(files)) {
		fmt.Fprintf(h, "%s %d\n", rel, len(files[rel]))
		h.Write(files[rel])
	}
	return hex.EncodeToString(h.Sum(nil))[:24]
}

// overlay writes a `go build -overlay` file that makes the head's
// directory hold the base's Go files: built there, every package the change
// did not touch has the same inputs as the head's and comes from the build
// cache, so only what the change touched compiles twice. It returns "" when
// only .go files cannot express the difference (go.mod, go.sum or an
// embedded file differs); the base then builds in its own directory.
func overlay(base, head map[string][]byte, baseRoot, headRoot, dir string) (string, error) {
	replace := map[string]string{}
	for rel, b := range base {
		h, inHead := head[rel]
		if inHead && bytes.Equal(b, h) {
			continue
		}
		if !strings.HasSuffix(rel, ".go") {
			return "", nil
		}
		replace[filepath.Join(headRoot, filepath.FromSlash(rel))] = filepath.Join(baseRoot, filepath.FromSlash(rel))
	}
	for rel := range head {
		if _, inBase := base[rel]; !inBase {
			if !strings.HasSuffix(rel, ".go") {
				return "", nil
			}
			replace[filepath.Join(headRoot, filepath.FromSlash(rel))] = "" // deleted at the base
		}
	}
	b, err := json.Marshal(map[string]any{"Replace": replace})
	if err != nil {
		return "", err
	}
	path := filepath.Join(dir, "overlay.json")
	return path, os.WriteFile(path, b, 0o644)
}

// extract writes the tree of commit sha into dir.
func extract(ctx context.Context, root, sha, dir string) error {
	cmd := exec.CommandContext(ctx, "git", "archive", "--format=tar", sha)
	cmd.Dir = root
	out, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		return err
	}
	tr := tar.NewReader(out)
	var werr error
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			werr = err
			break
		}
		name := filepath.Join(dir, filepath.FromSlash(h.Name))
		if !strings.HasPrefix(name, filepath.Clean(dir)+string(os.PathSeparator)) {
			continue // never outside dir
		}
		switch h.Typeflag {
		case tar.TypeDir:
			werr = os.MkdirAll(name, 0o755)
		case tar.TypeReg:
			werr = writeFile(name, tr, os.FileMode(h.Mode).Perm())
		case tar.TypeSymlink:
			werr = os.Symlink(h.Linkname, name)
		}
		if werr != nil {
			break
		}
	}
	_, _ = io.Copy(io.Discard, out)
	if err := cmd.Wait(); err != nil {
		return fmt.Errorf("git archive: %v: %s", err, strings.TrimSpace(stderr.String()))
	}
	return werr
}

func writeFile(name string, r io.Reader, mode fs.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		return err
	}
	f, err := os.OpenFile(name, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, mode|0o200)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, r); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func git(ctx context.Context, dir string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "git", args...)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		if msg := strings.TrimSpace(stderr.String()); msg != "" {
			return "", errors.New(msg)
		}
		return "", err
	}
	return string(out), nil
}

// relative is root's path inside the repository's top directory.
func relative(top, root string) (string, error) {
	t, err := filepath.EvalSymlinks(top)
	if err != nil {
		return "", err
	}
	r, err := filepath.EvalSymlinks(root)
	if err != nil {
		return "", err
	}
	return filepath.Rel(t, r)
}

func displayRel(rel string) string {
	if rel == "." {
		return "the repository's top"
	}
	return rel
}

// goTool is the go command that builds the sides: the one on PATH, else
// the toolchain this binary was built with.
func goTool() string {
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	return filepath.Join(runtime.GOROOT(), "bin", "go")
}

func tail(b []byte, lines int) string {
	s := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(s) > lines {
		s = s[len(s)-lines:]
	}
	return strings.Join(s, "\n")
}

func waiversOf(snaps []*Snapshot) []Waiver {
	for _, s := range snaps {
		if !s.Missing {
			return s.Waivers
		}
	}
	return nil
}

func diffWaivers(base, head []Waiver) WaiverDelta {
	str := func(w Waiver) string {
		s := fmt.Sprintf("%s on %s", w.Rule, w.Resource)
		if len(w.Stacks) > 0 {
			s += " (" + strings.Join(w.Stacks, ", ") + ")"
		}
		return fmt.Sprintf("%s until %s: %s", s, w.Expires, w.Reason)
	}
	set := func(ws []Waiver) map[string]bool {
		m := map[string]bool{}
		for _, w := range ws {
			m[str(w)] = true
		}
		return m
	}
	b, h := set(base), set(head)
	d := WaiverDelta{Added: []string{}, Removed: []string{}}
	for _, k := range slices.Sorted(maps.Keys(h)) {
		if !b[k] {
			d.Added = append(d.Added, k)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(b)) {
		if !h[k] {
			d.Removed = append(d.Removed, k)
		}
	}
	return d
}

// costAsTheEngineApplies prices the head as the engine will leave it: where
// an ignored input (an autoscaled service's desiredCount) differs, the
// deployed value stays, and so does its cost.
func costAsTheEngineApplies(root string, base, head *Snapshot) error {
	eff, moved := EngineIgnores(base.Plan, head.Plan)
	if !moved {
		return nil
	}
	price, err := cost.ForPlan(root, eff)
	if err != nil {
		return fmt.Errorf("pricing %s with its ignored changes: %w", head.Stack, err)
	}
	head.CostUSD, head.CostByComponent = price.Estimate.TotalUSD, price.Estimate.Component
	return nil
}
