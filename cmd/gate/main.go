// Command gate takes the review gate's decision for one pull-request commit
// (internal/gate). The review-gate workflow builds it from the base branch
// and runs it over the pull request's artifacts as data:
//
//	gate --report report/diff.json --context context.json --previews previews --markdown gate.md
//
// previews holds <stack>.json (pulumi preview --json) and <stack>.exit (its
// exit code) for each stack that was previewed. Exit 0: the gate passes; 3:
// blocked; 1: bad input.
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/docustack/infrastructure/internal/gate"
)

const (
	exitPass    = 0
	exitFail    = 1
	exitBlocked = 3
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("gate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	reportPath := fs.String("report", "", "the diff report (docustack diff --save); absent when the diff failed")
	ctxPath := fs.String("context", "", "GitHub's record of the pull request (JSON, internal/gate.Context)")
	previewDir := fs.String("previews", "", "directory of <stack>.json and <stack>.exit (optional)")
	mdPath := fs.String("markdown", "", "write the comment section here")
	if err := fs.Parse(args); err != nil {
		return exitFail
	}
	var problems []string
	if *ctxPath == "" {
		problems = append(problems, "--context is required: the pull request's record as JSON")
	}
	if *reportPath == "" {
		problems = append(problems, "--report is required: the path of diff.json (it may be missing on disk when the diff failed)")
	}
	if len(problems) > 0 {
		fmt.Fprintf(stderr, "gate: %s\n", strings.Join(problems, "\n  "))
		return exitFail
	}
	var ctx gate.Context
	if err := readJSON(*ctxPath, &ctx); err != nil {
		fmt.Fprintf(stderr, "gate: --context %s: %v\n", *ctxPath, err)
		return exitFail
	}
	var rep *gate.Report
	var r gate.Report
	switch err := readJSON(*reportPath, &r); {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		fmt.Fprintf(stderr, "gate: --report %s: %v\n", *reportPath, err)
		return exitFail
	default:
		rep = &r
	}
	previews, err := readPreviews(*previewDir)
	if err != nil {
		fmt.Fprintf(stderr, "gate: --previews %s: %v\n", *previewDir, err)
		return exitFail
	}
	d := gate.Decide(rep, ctx, previews)
	if *mdPath != "" {
		f, err := os.Create(*mdPath)
		if err != nil {
			fmt.Fprintf(stderr, "gate: %v\n", err)
			return exitFail
		}
		d.Markdown(f)
		f.Close()
	}
	d.Markdown(stdout)
	if d.Pass {
		return exitPass
	}
	return exitBlocked
}

func readJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

// readPreviews reads each <stack>.json with its <stack>.exit; a preview
// without its exit code is an error (the workflow writes both).
func readPreviews(dir string) ([]gate.Preview, error) {
	if dir == "" {
		return nil, nil
	}
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return nil, err
	}
	sort.Strings(files)
	var out []gate.Preview
	for _, f := range files {
		stack := strings.TrimSuffix(filepath.Base(f), ".json")
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		code, err := os.ReadFile(filepath.Join(dir, stack+".exit"))
		if err != nil {
			return nil, fmt.Errorf("%s has no %s.exit", filepath.Base(f), stack)
		}
		n, err := strconv.Atoi(strings.TrimSpace(string(code)))
		if err != nil {
			return nil, fmt.Errorf("%s.exit: %q is not an exit code", stack, strings.TrimSpace(string(code)))
		}
		out = append(out, gate.Preview{Stack: stack, JSON: b, Exit: n})
	}
	return out, nil
}
