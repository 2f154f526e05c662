// Command mutate plants each defect of a catalogue in the program, one at a
// time, runs the test suite without the golden comparison, and reports which
// tests caught it. A mutant no test catches is a control no test pins.
//
//	go run ./cmd/mutate [-catalogue testdata/mutants.tsv] [-ci] [-run REGEXP] [-j N] [-v]
//
// Each mutant is applied through `go test -overlay`: the mutated file is a
// temporary copy and the working tree is never touched, so mutants can run
// side by side, and every package the mutant does not reach comes from the
// build cache. Exit status: 0 every mutant caught, 1 a mutant survived or
// the catalogue is stale, 2 bad usage.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"
)

// Mutant is one catalogue entry: in File, Text (exactly once) becomes
// Replacement; Control is what the defect breaks.
type Mutant struct {
	Line        int
	File        string
	Text        string
	Replacement string
	Control     string
	// CI marks the representative subset CI runs on every push.
	CI bool
}

// Result is what the suite said about one mutant.
type Result struct {
	Mutant   Mutant
	CaughtBy []string // failing tests, package-qualified
	Err      error    // the mutant did not build, or the harness failed
	Took     time.Duration
}

// skipGolden are the tests that compare with a file the program writes
// (`make golden`, `make docs`): they catch every change and name no
// control, so the suite runs without them.
const skipGolden = "^(TestGolden|TestGeneratedDocsAreCurrent)$"

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("mutate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	catalogue := fs.String("catalogue", filepath.Join("testdata", "mutants.tsv"), "the catalogue")
	ci := fs.Bool("ci", false, "only the entries marked ci (the subset CI runs)")
	only := fs.String("run", "", "only the entries whose file or control matches this regexp")
	jobs := fs.Int("j", max(1, runtime.NumCPU()/2), "mutants run at once (each `go test` also runs packages in parallel)")
	verbose := fs.Bool("v", false, "print every failing test of a caught mutant")
	listOnly := fs.Bool("check", false, "only check that every entry still matches its file")
	dir := fs.String("dir", ".", "the project to mutate (its catalogue path is relative to it)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	root, err := filepath.Abs(*dir)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	mutants, err := Load(filepath.Join(root, *catalogue), root)
	if err != nil {
		fmt.Fprintf(stderr, "mutate: %v\n", err)
		return 1
	}
	var re *regexp.Regexp
	if *only != "" {
		if re, err = regexp.Compile(*only); err != nil {
			fmt.Fprintf(stderr, "mutate: -run: %v\n", err)
			return 2
		}
	}
	var selected []Mutant
	for _, m := range mutants {
		if (*ci && !m.CI) || (re != nil && !re.MatchString(m.File+" "+m.Control)) {
			continue
		}
		selected = append(selected, m)
	}
	fmt.Fprintf(stdout, "%d mutants in %s, %d selected\n", len(mutants), *catalogue, len(selected))
	if *listOnly {
		return 0
	}

	start := time.Now()
	if res := Run(root, nil); res.Err != nil || len(res.CaughtBy) > 0 {
		fmt.Fprintf(stderr, "mutate: the suite fails without a mutant; fix it first: %v %v\n", res.Err, res.CaughtBy)
		return 1
	}
	fmt.Fprintf(stdout, "baseline: the suite passes (%s)\n", time.Since(start).Round(time.Second))

	results := make([]Result, len(selected))
	sem := make(chan struct{}, *jobs)
	var wg sync.WaitGroup
	var mu sync.Mutex
	for i, m := range selected {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			results[i] = Run(root, &m)
			mu.Lock()
			report(stdout, results[i], *verbose)
			mu.Unlock()
		}()
	}
	wg.Wait()

	caught, survived, broken := 0, 0, 0
	for _, r := range results {
		switch {
		case r.Err != nil:
			broken++
		case len(r.CaughtBy) > 0:
			caught++
		default:
			survived++
		}
	}
	fmt.Fprintf(stdout, "\n%d caught, %d survived", caught, survived)
	if broken > 0 {
		fmt.Fprintf(stdout, ", %d broken", broken)
	}
	fmt.Fprintf(stdout, " (%d mutants, wall time %s, -j %d)\n", len(results), time.Since(start).Round(time.Second), *jobs)
	if survived+broken > 0 {
		return 1
	}
	return 0
}

func report(w io.Writer, r Result, verbose bool) {
	m := r.Mutant
	where := fmt.Sprintf("%s:%d %s", m.File, m.Line, m.Control)
	switch {
	case r.Err != nil:
		fmt.Fprintf(w, "BROKEN   %s\n         %v\n", where, r.Err)
	case len(r.CaughtBy) == 0:
		fmt.Fprintf(w, "SURVIVED %s\n         %q -> %q\n", where, m.Text, m.Replacement)
	default:
		tests := topLevel(r.CaughtBy)
		if verbose {
			tests = r.CaughtBy
		}
		fmt.Fprintf(w, "caught   %s (%s)\n         by %s\n", where, r.Took.Round(time.Second), strings.Join(tests, ", "))
	}
}

// topLevel keeps each failing test's top-level name once.
func topLevel(tests []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, t := range tests {
		// "internal/synth.TestGolden/dev": the package path has slashes too.
		if i := strings.Index(t, "."); i >= 0 {
			if j := strings.Index(t[i:], "/"); j >= 0 {
				t = t[:i+j]
			}
		}
		if !seen[t] {
			seen[t] = true
			out = append(out, t)
		}
	}
	return out
}

// Load reads a catalogue: one mutant per line, tab-separated fields file,
// text, replacement, control and an optional "ci"; \t, \n and \\ escape.
// Every entry must match its file exactly once; all that do not are
// reported together, so a catalogue never rots silently.
func Load(path, root string) ([]Mutant, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []Mutant
	var errs []error
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fields := strings.Split(line, "\t")
		if len(fields) < 4 || len(fields) > 5 || (len(fields) == 5 && fields[4] != "ci") {
			errs = append(errs, fmt.Errorf("%s:%d: want file<TAB>text<TAB>replacement<TAB>control[<TAB>ci], got %d field(s)", path, n, len(fields)))
			continue
		}
		m := Mutant{Line: n, File: fields[0], Text: unescape(fields[1]), Replacement: unescape(fields[2]), Control: fields[3], CI: len(fields) == 5}
		b, err := os.ReadFile(filepath.Join(root, m.File))
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("%s:%d: %v", path, n, err))
		case !strings.HasSuffix(m.File, ".go"):
			errs = append(errs, fmt.Errorf("%s:%d: %s: only Go files can be mutated (the overlay replaces compiled files)", path, n, m.File))
		case m.Text == m.Replacement:
			errs = append(errs, fmt.Errorf("%s:%d: the replacement equals the text", path, n))
		default:
			if c := bytes.Count(b, []byte(m.Text)); c != 1 {
				errs = append(errs, fmt.Errorf("%s:%d: %s holds %q %d times, want exactly once: update the entry", path, n, m.File, m.Text, c))
			}
		}
		out = append(out, m)
	}
	if err := sc.Err(); err != nil {
		errs = append(errs, err)
	}
	return out, errors.Join(errs...)
}

func unescape(s string) string {
	return strings.NewReplacer(`\\`, `\`, `\t`, "\t", `\n`, "\n").Replace(s)
}

// Run runs the suite (-short: no builds of temporary revisions) with the
// mutant applied, or unmutated when m is nil, and lists the tests that fail.
func Run(root string, m *Mutant) Result {
	start := time.Now()
	res := Result{}
	args := []string{"test", "-short", "-json", "-skip", skipGolden, "./..."}
	if m != nil {
		res.Mutant = *m
		dir, err := os.MkdirTemp("", "mutant-")
		if err != nil {
			res.Err = err
			return res
		}
		defer os.RemoveAll(dir)
		src := filepath.Join(root, m.File)
		b, err := os.ReadFile(src)
		if err != nil {
			res.Err = err
			return res
		}
		mutated := filepath.Join(dir, filepath.Base(m.File))
		if err := os.WriteFile(mutated, bytes.Replace(b, []byte(m.Text), []byte(m.Replacement), 1), 0o644); err != nil {
			res.Err = err
			return res
		}
		ov, _ := json.Marshal(map[string]any{"Replace": map[string]string{src: mutated}})
		ovPath := filepath.Join(dir, "overlay.json")
		if err := os.WriteFile(ovPath, ov, 0o644); err != nil {
			res.Err = err
			return res
		}
		args = append([]string{"test", "-overlay", ovPath}, args[1:]...)
	}
	cmd := exec.Command("go", args...)
	cmd.Dir = root
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	runErr := cmd.Run()
	res.Took = time.Since(start)

	var buildFailed []string
	dec := json.NewDecoder(&stdout)
	for {
		var ev struct {
			Action, Package, Test, Output string
		}
		if err := dec.Decode(&ev); err != nil {
			break
		}
		if ev.Action == "fail" && ev.Test != "" {
			res.CaughtBy = append(res.CaughtBy, strings.TrimPrefix(ev.Package, "github.com/docustack/infrastructure/")+"."+ev.Test)
		}
		if ev.Action == "build-fail" || (ev.Action == "fail" && ev.Test == "" && strings.Contains(ev.Output, "build failed")) {
			buildFailed = append(buildFailed, ev.Package)
		}
		if ev.Action == "output" && ev.Test == "" && strings.Contains(ev.Output, "[build failed]") {
			buildFailed = append(buildFailed, ev.Package)
		}
	}
	sort.Strings(res.CaughtBy)
	if len(buildFailed) > 0 || (runErr != nil && len(res.CaughtBy) == 0) {
		msg := strings.TrimSpace(stderr.String())
		if len(msg) > 600 {
			msg = msg[:600] + "…"
		}
		res.Err = fmt.Errorf("the suite did not build or run (%v): %s", runErr, msg)
	}
	return res
}
