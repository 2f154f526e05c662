package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/docustack/infrastructure/internal/review"
)

// Exit codes of diff: 0 no change (exitOK), 2 changes, 1 an error
// (exitFail), so a script can tell "changed" from "broken".
const exitChanges = 2

// stackList is a repeatable, comma-separated --stack.
type stackList []string

func (s *stackList) String() string { return strings.Join(*s, ",") }
func (s *stackList) Set(v string) error {
	for _, x := range strings.Split(v, ",") {
		if x = strings.TrimSpace(x); x != "" {
			*s = append(*s, x)
		}
	}
	return nil
}

func diffCmd(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("diff", flag.ContinueOnError)
	fs.SetOutput(stderr)
	base := fs.String("base", "", "git revision to compare the working tree with")
	var stacks stackList
	fs.Var(&stacks, "stack", "stack to compare (repeatable; default: all four)")
	format := fs.String("format", "text", "text, markdown or json")
	save := fs.String("save", "", "also write the JSON report to this file")
	dir := fs.String("dir", "", "project root")
	if err := fs.Parse(args); err != nil {
		return exitFail
	}
	var problems []string
	if *base == "" {
		problems = append(problems, "--base is required: a git revision (main, origin/main, a commit)")
	}
	if !slices.Contains([]string{"text", "markdown", "json"}, *format) {
		problems = append(problems, fmt.Sprintf("--format %q: want text, markdown or json", *format))
	}
	for _, s := range stacks {
		if !slices.Contains(review.AllStacks, s) {
			problems = append(problems, fmt.Sprintf("--stack %q: want one of %s", s, strings.Join(review.AllStacks, ", ")))
		}
	}
	root, err := projectRoot(*dir)
	if err != nil {
		problems = append(problems, err.Error())
	}
	if len(problems) > 0 {
		fmt.Fprintf(stderr, "docustack diff: %s\n", strings.Join(problems, "\n  "))
		return exitFail
	}

	rep, err := review.Diff(context.Background(), review.Options{Root: root, Base: *base, Stacks: stacks})
	if err != nil {
		fmt.Fprintf(stderr, "docustack diff: %v\n", err)
		return exitFail
	}
	if *save != "" {
		b, _ := json.MarshalIndent(rep, "", "  ")
		if err := os.WriteFile(*save, append(b, '\n'), 0o644); err != nil {
			fmt.Fprintf(stderr, "docustack diff: %v\n", err)
			return exitFail
		}
	}
	switch *format {
	case "json":
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		_ = enc.Encode(rep)
	case "markdown":
		rep.Markdown(stdout)
	default:
		rep.Text(stdout)
	}
	if rep.Changed() {
		return exitChanges
	}
	return exitOK
}
