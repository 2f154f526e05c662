// Command docustack inspects the DocuStack infrastructure offline: it runs
// the Pulumi program under mocks with a real stack file, so it needs neither
// AWS credentials nor the Pulumi CLI.
//
//	docustack plan --stack dev [--json] [--dir DIR]
//	docustack check --stack prod [--json] [--dir DIR]
//	docustack verify --stack prod [--json] [-v] [--dir DIR]
//	docustack verify --plan FILE [--json] [-v] [--dir DIR]
//	docustack controls
//	docustack cost --stack dev [--json] [--dir DIR]
//	docustack graph --stack prod [--dir DIR]
//	docustack diff --base REV [--stack S ...] [--format text|markdown|json] [--save FILE]
//	docustack snapshot --stack S [--dir DIR]
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

// Exit codes.
const (
	exitOK    = 0
	exitFail  = 1 // the stack is broken (or, for check, non-compliant)
	exitUsage = 2
)

const usage = `usage: docustack <command> --stack <name> [flags]

commands:
  plan      the stack's resources as a tree grouped by component, with counts
            (--json: the plan with computed state; --format tfplan: Terraform's JSON plan
            format, for a scanner that reads Terraform plans: see docs/scanning.md)
  check     run the HIPAA policy pack over the stack; exit 1 on unwaived mandatory findings
  verify    prove the network intents (reachability through security groups, ACLs and routes;
            exposure; dangling rules) over the plan; exit 1 when one fails (-v: every intent)
  controls  print the controls matrix (rule, HIPAA section, seed control) as Markdown
  cost      estimated monthly USD per resource and component, and what the scheduler and Spot save
  graph     a Mermaid diagram of the stack's components and main resources
  docs      regenerate docs/controls.md, docs/architecture.md and docs/config.md
  diff      what the working tree changes against --base REV in every stack (or --stack S,
            repeatable): resources added, updated, replaced, deleted; stop signs; policy,
            verify and cost deltas. --format text|markdown|json, --save FILE (JSON).
            Exit 0 no change, 2 changes, 1 error. Offline: no credentials.
  snapshot  one stack's plan, findings, waivers, intents and cost as JSON (diff's input)
  aws-profile  the ~/.aws/config profiles the stack's providers use, for --for preview|drift|deploy
            (the org stack's Log Archive profile: the reader for previews and drift, the
            administrative role for deploys; nothing for a workload stack)

  images    the docker buildx commands (a bash script) that build and push the images this
            repository builds for the stack (tls-proxy, Temporal's), for linux/arm64 and linux/amd64

flags:
  --stack NAME   stack to synthesize (dev, staging, prod, org)
  --json         machine-readable output
  -v             verify: list passing intents too, with what decides each
  --plan FILE    verify: judge a saved plan instead of synthesizing one: the output of
                 docustack plan --json, or the engine's pulumi preview --json
  --dir DIR      project root holding Pulumi.yaml (default: found upward from here)
  --for USE      aws-profile: preview, drift or deploy
  --format F     plan: tree (default), json (as --json) or tfplan (Terraform JSON plan format)
`

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stdout, usage)
		return exitOK
	}
	cmd, rest := args[0], args[1:]
	if cmd == "diff" {
		return diffCmd(rest, stdout, stderr)
	}
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	stack := fs.String("stack", "", "stack name")
	asJSON := fs.Bool("json", false, "JSON output")
	verbose := fs.Bool("v", false, "verbose")
	dir := fs.String("dir", "", "project root")
	planFile := fs.String("plan", "", "verify: judge a saved plan (docustack plan --json, or pulumi preview --json)")
	use := fs.String("for", "", "aws-profile: preview, drift or deploy")
	format := fs.String("format", "", "plan: tree (default), json or tfplan")
	if err := fs.Parse(rest); err != nil {
		return exitUsage
	}
	root, err := projectRoot(*dir)
	if err != nil {
		fmt.Fprintf(stderr, "docustack: %v\n", err)
		return exitUsage
	}
	if cmd == "controls" {
		writeControls(stdout)
		return exitOK
	}
	if cmd == "docs" {
		return docsCmd(root, stdout, stderr)
	}
	if cmd == "verify" && *planFile != "" {
		return verifyFileCmd(root, *planFile, *asJSON, *verbose, stdout, stderr)
	}
	if *stack == "" {
		fmt.Fprintf(stderr, "docustack %s: --stack is required\n%s", cmd, usage)
		return exitUsage
	}
	switch cmd {
	case "plan":
		f := *format
		if f == "" && *asJSON {
			f = "json"
		}
		return planCmd(root, *stack, f, stdout, stderr)
	case "check":
		return checkCmd(root, *stack, *asJSON, stdout, stderr)
	case "verify":
		return verifyCmd(root, *stack, *asJSON, *verbose, stdout, stderr)
	case "cost":
		return costCmd(root, *stack, *asJSON, stdout, stderr)
	case "graph":
		return graphCmd(root, *stack, stdout, stderr)
	case "snapshot":
		return snapshotCmd(root, *stack, stdout, stderr)
	case "aws-profile":
		return awsProfileCmd(root, *stack, *use, stdout, stderr)
	case "images":
		return imagesCmd(root, *stack, stdout, stderr)
	default:
		fmt.Fprintf(stderr, "docustack: unknown command %q\n%s", cmd, usage)
		return exitUsage
	}
}

// projectRoot is dir, or the nearest directory upward holding Pulumi.yaml.
func projectRoot(dir string) (string, error) {
	if dir != "" {
		if _, err := os.Stat(filepath.Join(dir, "Pulumi.yaml")); err != nil {
			return "", fmt.Errorf("--dir %s: no Pulumi.yaml there", dir)
		}
		return dir, nil
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for d := wd; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "Pulumi.yaml")); err == nil {
			return d, nil
		}
		if filepath.Dir(d) == d {
			return "", errors.New("no Pulumi.yaml in this directory or above; pass --dir")
		}
	}
}
