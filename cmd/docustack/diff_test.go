package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/docustack/infrastructure/internal/review"
)

var updateDiffGolden = flag.Bool("update-diff", false, "rewrite testdata/review/*.md")

// diffRepo is a temporary git repository holding a copy of this project:
// a first commit before the project existed (tag pre-project), then the
// project (HEAD). Cases edit its working tree and diff against HEAD.
var diffRepo struct {
	once sync.Once
	dir  string
	err  error
}

func gitIn(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-c", "user.name=test", "-c", "user.email=test@example.com", "-c", "commit.gpgsign=false"}, args...)...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "git %v: %s", args, out)
	return string(out)
}

func testRepo(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		// Only make mutate passes -short: each mutant would rebuild both
		// sides for nothing a mutant of the program changes. make test runs it.
		t.Skip("-short (make mutate): builds docustack from temporary git revisions")
	}
	diffRepo.once.Do(func() {
		dir, err := os.MkdirTemp("", "docustack-diff-test-")
		if err != nil {
			diffRepo.err = err
			return
		}
		diffRepo.dir = dir
		src, _ := filepath.Abs("../..")
		out, err := exec.Command("git", "-C", src, "ls-files", "-co", "--exclude-standard").Output()
		if err != nil {
			diffRepo.err = err
			return
		}
		gitIn(t, dir, "init", "-q", "-b", "main")
		require.NoError(t, os.WriteFile(filepath.Join(dir, "README.md"), []byte("# DocuStack\n"), 0o644))
		gitIn(t, dir, "add", "-A")
		gitIn(t, dir, "commit", "-qm", "before the project")
		gitIn(t, dir, "tag", "pre-project")
		for _, f := range strings.Split(strings.TrimSpace(string(out)), "\n") {
			b, err := os.ReadFile(filepath.Join(src, f))
			if err != nil {
				continue // deleted in the working tree
			}
			require.NoError(t, os.MkdirAll(filepath.Dir(filepath.Join(dir, f)), 0o755))
			require.NoError(t, os.WriteFile(filepath.Join(dir, f), b, 0o644))
		}
		gitIn(t, dir, "add", "-A")
		gitIn(t, dir, "commit", "-qm", "the project")
	})
	require.NoError(t, diffRepo.err)
	// Every case starts from HEAD.
	gitIn(t, diffRepo.dir, "checkout", "-q", "--", ".")
	gitIn(t, diffRepo.dir, "clean", "-qfd")
	return diffRepo.dir
}

func TestMain(m *testing.M) {
	code := m.Run()
	if diffRepo.dir != "" {
		os.RemoveAll(diffRepo.dir)
	}
	os.Exit(code)
}

// edit replaces old with new in a file of the repository; old must occur
// exactly once, so a case fails loudly when the code it edits moves.
func edit(t *testing.T, dir, file, old, new string) {
	t.Helper()
	p := filepath.Join(dir, file)
	b, err := os.ReadFile(p)
	require.NoError(t, err)
	require.Equal(t, 1, strings.Count(string(b), old), "%s: %q must occur once", file, old)
	require.NoError(t, os.WriteFile(p, []byte(strings.Replace(string(b), old, new, 1)), 0o644))
}

type diffRun struct {
	code           int
	stdout, stderr string
	rep            review.Report
}

func runDiff(t *testing.T, dir string, args ...string) diffRun {
	t.Helper()
	save := filepath.Join(t.TempDir(), "diff.json")
	var stdout, stderr bytes.Buffer
	code := run(append([]string{"diff", "--dir", dir, "--save", save}, args...), &stdout, &stderr)
	r := diffRun{code: code, stdout: stdout.String(), stderr: stderr.String()}
	if b, err := os.ReadFile(save); err == nil {
		require.NoError(t, json.Unmarshal(b, &r.rep))
	}
	return r
}

func (r diffRun) stack(t *testing.T, name string) review.StackDiff {
	t.Helper()
	for _, s := range r.rep.Stacks {
		if s.Stack == name {
			return s
		}
	}
	t.Fatalf("no stack %s in the report", name)
	return review.StackDiff{}
}

func (r diffRun) change(t *testing.T, stack, name string) review.Change {
	t.Helper()
	for _, c := range r.stack(t, stack).Changed {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("%s: no change to %s; changed: %+v", stack, name, r.stack(t, stack).Changed)
	return review.Change{}
}

func prop(c review.Change, path string) (review.PropChange, bool) {
	for _, p := range c.Properties {
		if p.Path == path {
			return p, true
		}
	}
	for _, p := range c.Options {
		if p.Path == path {
			return p, true
		}
	}
	return review.PropChange{}, false
}

// TestDiff runs `docustack diff` over real revisions of a temporary git
// repository: each side is built from its own sources and synthesized.
func TestDiff(t *testing.T) {
	cases := []struct {
		name   string
		edit   func(t *testing.T, dir string)
		args   []string
		code   int
		check  func(t *testing.T, r diffRun)
		golden string
	}{{
		name: "no change: a README edit synthesizes to the same stacks",
		edit: func(t *testing.T, dir string) {
			require.NoError(t, os.WriteFile(filepath.Join(dir, "README.md"), []byte("# DocuStack, edited\n"), 0o644))
		},
		code: exitOK,
		check: func(t *testing.T, r diffRun) {
			assert.Empty(t, r.rep.StopSigns)
			assert.Len(t, r.rep.Stacks, 4, "every stack by default")
			assert.Contains(t, r.stdout, "No changes.")
		},
	}, {
		name: "image tag: the task definition gets a new revision, the service rolls to it",
		edit: func(t *testing.T, dir string) {
			edit(t, dir, "Pulumi.dev.yaml", "  docustack:web:\n    imageTag: v0.1.0", "  docustack:web:\n    imageTag: v0.2.0")
		},
		code: exitChanges,
		check: func(t *testing.T, r diffRun) {
			task := r.change(t, "dev", "web-task")
			assert.Equal(t, "replace", task.Action, "an ECS task definition revision is immutable")
			p, ok := prop(task, "containerDefinitions.0.image")
			require.True(t, ok)
			assert.Equal(t, `"111111111111.dkr.ecr.us-east-1.amazonaws.com/docustack-dev/web:v0.2.0"`, p.New)
			svc := r.change(t, "dev", "web-service")
			assert.Equal(t, "update", svc.Action)
			_, ok = prop(svc, "taskDefinition")
			assert.True(t, ok, "the service follows the new revision")
			assert.Empty(t, r.rep.StopSigns)
			assert.Zero(t, r.stack(t, "dev").Cost.DeltaUSD)
			for _, s := range []string{"staging", "prod", "org"} {
				assert.Empty(t, r.stack(t, s).Changed, s)
			}
		},
	}, {
		name: "subnet CIDR: the subnet and what stands in it are replaced",
		edit: func(t *testing.T, dir string) {
			edit(t, dir, "Pulumi.dev.yaml", "publicSubnets: [10.0.1.0/24,", "publicSubnets: [10.0.3.0/24,")
		},
		args: []string{"--stack", "dev"},
		code: exitChanges,
		check: func(t *testing.T, r diffRun) {
			require.Len(t, r.rep.Stacks, 1, "--stack limits the stacks")
			subnet := r.change(t, "dev", "network-public-0")
			assert.Equal(t, "replace", subnet.Action)
			p, _ := prop(subnet, "cidrBlock")
			assert.Equal(t, review.PropChange{Path: "cidrBlock", Old: `"10.0.1.0/24"`, New: `"10.0.3.0/24"`, Replaces: true}, p)
			// AWS: a NAT gateway cannot move subnets; it follows its subnet.
			assert.Equal(t, "replace", r.change(t, "dev", "network-nat-0").Action)
			assert.Equal(t, "update", r.change(t, "dev", "ingress-alb").Action, "the ALB changes subnets in place")
			// The network is rebuilt where the subnet stood: its NAT gateway follows it.
			var signs []string
			for _, s := range r.rep.StopSigns {
				signs = append(signs, s.Action+" "+s.Name)
			}
			assert.Equal(t, []string{"rebuild network-public-0", "rebuild network-nat-0"}, signs)
		},
	}, {
		name: "database protection removed: a stop sign",
		edit: func(t *testing.T, dir string) {
			edit(t, dir, "platform/workload.go", "		Protect:               c.ProtectStatefulResources,\n		SubnetIDs:", "		Protect:               false,\n		SubnetIDs:")
		},
		args:   []string{"--stack", "prod", "--format", "markdown"},
		code:   exitChanges,
		golden: "stop-sign.md",
		check: func(t *testing.T, r diffRun) {
			db := r.change(t, "prod", "database-instance")
			p, ok := prop(db, "protect")
			require.True(t, ok)
			assert.Equal(t, review.PropChange{Path: "protect", Old: "true", New: "false"}, p)
			var signs []string
			for _, s := range r.rep.StopSigns {
				signs = append(signs, s.Stack+" "+s.Name+" "+s.Action+": "+s.Why)
			}
			// The database's audit log groups share its protection
			// (components/database.go auditLogOptions).
			assert.Equal(t, []string{
				"prod database-postgresql-log unprotect: protect and retainOnDelete removed: the next change can delete it",
				"prod database-upgrade-log unprotect: protect and retainOnDelete removed: the next change can delete it",
				"prod database-instance unprotect: protect and retainOnDelete removed: the next change can delete it",
			}, signs)
			assert.True(t, strings.HasPrefix(r.stdout, review.Marker), "the comment starts with its marker")
			assert.Contains(t, r.stdout, "[!CAUTION]")
			assert.Contains(t, r.stdout, review.StopSignLabel)
		},
	}, {
		name: "deletion protection dropped from the database: DS-RDS-006 newly violated",
		edit: func(t *testing.T, dir string) {
			edit(t, dir, "platform/workload.go", "		DeletionProtection:    c.DeletionProtection,\n		FinalSnapshot:", "		DeletionProtection:    false,\n		FinalSnapshot:")
		},
		args: []string{"--stack", "prod"},
		code: exitChanges,
		check: func(t *testing.T, r diffRun) {
			pol := r.stack(t, "prod").Policy
			var rules, controls []string
			for _, f := range pol.NewlyViolated {
				assert.Equal(t, "database-instance", f.Resource)
				rules = append(rules, f.Rule)
				if f.Rule == "DS-CFG-003" {
					controls = append(controls, f.Message[len("DS-CFG-003: "):strings.Index(f.Message, "]")+1])
				}
			}
			assert.Equal(t, []string{"DS-CFG-003", "DS-CFG-003", "DS-RDS-006"}, rules)
			// The conformance pack's rule and Security Hub's control AWS would
			// evaluate, each its own finding beside the waived RDS.23.
			assert.ElementsMatch(t, []string{"[RDS.8]", "[RDS_INSTANCE_DELETION_PROTECTION_ENABLED]"}, controls)
			assert.Empty(t, pol.NewlyPassing)
			assert.Contains(t, r.stdout, "newly violated DS-RDS-006 `database-instance`")
			// Protection turned off is a stop sign, with the rule it breaks beside it.
			var sign review.StopSign
			for _, s := range r.rep.StopSigns {
				if s.Name == "database-instance" {
					sign = s
				}
			}
			assert.Equal(t, "unprotect", sign.Action)
			assert.Equal(t, "deletionProtection turned off (true → false)", sign.Why)
			require.NotEmpty(t, sign.Findings)
			assert.Contains(t, strings.Join(sign.Findings, "\n"), "DS-RDS-006")
		},
	}, {
		name: "the engine's decisions: replacements the provider forces, an ignored desiredCount, a dependency alone",
		edit: func(t *testing.T, dir string) {
			edit(t, dir, "Pulumi.dev.yaml", "docustack:dbInit:\n    imageTag: v0.1.0", "docustack:dbInit:\n    imageTag: v0.2.0")
			edit(t, dir, "components/database.go", `Description: pulumi.String("DocuStack: TLS forced, pgaudit"), Parameters: pgParams`,
				`Description: pulumi.String("DocuStack: TLS forced, pgaudit, audited"), Parameters: pgParams`)
			// dev's services scale on a schedule: the engine ignores desiredCount.
			edit(t, dir, "Pulumi.dev.yaml", "  docustack:web:\n    imageTag: v0.1.0\n    desiredCount: 1", "  docustack:web:\n    imageTag: v0.1.0\n    desiredCount: 3")
			edit(t, dir, "components/accessrelay.go", "}, parent, pulumi.DependsOn([]pulumi.Resource{local.versioning})); err != nil {", "}, parent); err != nil {")
		},
		args: []string{"--stack", "dev"},
		code: exitChanges,
		check: func(t *testing.T, r diffRun) {
			// The provider forces a new invocation on triggers, and a new
			// parameter group on its description.
			assert.Equal(t, "replace", r.change(t, "dev", "db-init-invocation").Action)
			p, _ := prop(r.change(t, "dev", "db-init-invocation"), "triggers.version")
			assert.True(t, p.Replaces)
			assert.Equal(t, "replace", r.change(t, "dev", "database-parameters").Action)
			s := r.stack(t, "dev")
			for _, c := range s.Changed {
				assert.NotEqual(t, "web-service", c.Name, "desiredCount is ignored: no update")
				assert.NotContains(t, c.Name, "relay", "a dependency alone is no change: %+v", c)
			}
			for _, c := range s.Cost.ByComponent {
				assert.NotEqual(t, "web", c.Component, "an ignored desiredCount costs nothing: %+v", c)
			}
			assert.Equal(t, "replace", s.Steps[r.change(t, "dev", "db-init-invocation").URN], "the steps the gate compares with the engine's")
		},
	}, {
		name: "Aurora: a key change replaces the cluster, a stop sign",
		edit: func(t *testing.T, dir string) {
			edit(t, dir, "Pulumi.staging.yaml", "  docustack:database:\n    engine: postgres", "  docustack:database:\n    engine: aurora-postgresql")
			gitIn(t, dir, "commit", "-qam", "staging on Aurora")
			t.Cleanup(func() { gitIn(t, dir, "reset", "-q", "--hard", "HEAD~1") })
			edit(t, dir, "platform/layers.go", "cfg.databaseArgs(network.SubnetIDs(components.TierDatabase), sgs.RDS.ID(), dbKey, logsKey)",
				"cfg.databaseArgs(network.SubnetIDs(components.TierDatabase), sgs.RDS.ID(), logsKey, logsKey)")
		},
		args: []string{"--stack", "staging"},
		code: exitChanges,
		check: func(t *testing.T, r diffRun) {
			cluster := r.change(t, "staging", "database-cluster")
			assert.Equal(t, "replace", cluster.Action)
			p, _ := prop(cluster, "kmsKeyId")
			assert.True(t, p.Replaces, "the provider cannot re-encrypt a cluster")
			var signs []string
			for _, s := range r.rep.StopSigns {
				signs = append(signs, s.Action+" "+s.Name)
			}
			assert.Contains(t, signs, "replace database-cluster")
		},
	}, {
		name: "the network rebuilt: stop signs for every VPC, subnet, route table, NAT gateway and endpoint replaced",
		edit: func(t *testing.T, dir string) {
			edit(t, dir, "Pulumi.prod.yaml", `    vpcCidr: 10.2.0.0/16
    availabilityZones: [us-east-1a, us-east-1b]
    publicSubnets: [10.2.1.0/24, 10.2.2.0/24]
    privateSubnets: [10.2.10.0/24, 10.2.11.0/24]
    databaseSubnets: [10.2.20.0/24, 10.2.21.0/24]`, `    vpcCidr: 10.4.0.0/16
    availabilityZones: [us-east-1a, us-east-1b]
    publicSubnets: [10.4.1.0/24, 10.4.2.0/24]
    privateSubnets: [10.4.10.0/24, 10.4.11.0/24]
    databaseSubnets: [10.4.20.0/24, 10.4.21.0/24]`)
		},
		args: []string{"--stack", "prod", "--format", "json"},
		code: exitChanges,
		check: func(t *testing.T, r diffRun) {
			_, _, replaced, _ := r.stack(t, "prod").Counts()
			assert.Greater(t, replaced, 50, "everything in the VPC follows it")
			kinds := map[string]int{}
			for _, s := range r.rep.StopSigns {
				if s.Action == "rebuild" {
					kinds[s.Type]++
				}
			}
			assert.Equal(t, 1, kinds["aws:ec2/vpc:Vpc"])
			assert.Equal(t, 6, kinds["aws:ec2/subnet:Subnet"])
			assert.Equal(t, 2, kinds["aws:ec2/natGateway:NatGateway"], "per-az NAT")
			assert.Positive(t, kinds["aws:ec2/routeTable:RouteTable"])
			assert.Positive(t, kinds["aws:ec2/vpcEndpoint:VpcEndpoint"])
			// Every network resource replaced has its stop sign.
			want := 0
			for _, c := range r.stack(t, "prod").Changed {
				if c.Action == "replace" && strings.HasPrefix(c.Type, "aws:ec2/") && (strings.Contains(c.Type, "vpc") || strings.Contains(c.Type, "Vpc") ||
					strings.Contains(c.Type, "subnet") || strings.Contains(c.Type, "outeTable:") || strings.Contains(c.Type, "natGateway")) {
					want++
				}
			}
			assert.Equal(t, want, kinds["aws:ec2/vpc:Vpc"]+kinds["aws:ec2/subnet:Subnet"]+kinds["aws:ec2/natGateway:NatGateway"]+
				kinds["aws:ec2/routeTable:RouteTable"]+kinds["aws:ec2/vpcEndpoint:VpcEndpoint"])
		},
	}, {
		name: "a rename without an alias: the created log group shows what defines it, the deleted one its stop sign and the alias",
		edit: func(t *testing.T, dir string) {
			edit(t, dir, "components/dbinit.go", `logName := childName(name, "log")`, `logName := childName(name, "logs")`)
		},
		args: []string{"--stack", "dev", "--format", "markdown"},
		code: exitChanges,
		check: func(t *testing.T, r diffRun) {
			s := r.stack(t, "dev")
			var created review.Created
			for _, a := range s.Added {
				if a.Name == "db-init-logs" {
					created = a
				}
			}
			require.Equal(t, "db-init-logs", created.Name, "%+v", s.Added)
			assert.True(t, strings.HasSuffix(created.RenameOf, "::db-init-log"), created.RenameOf)
			assert.Contains(t, r.stdout, "+ create  db-init-logs (aws:cloudwatch/logGroup:LogGroup)\n    name: (none) → \"/aws/lambda/docustack-dev-db-init\"")
			assert.Contains(t, r.stdout, "looks like db-init-log renamed without an alias (deleted below): pulumi.Aliases")
			var signs []string
			for _, x := range r.rep.StopSigns {
				signs = append(signs, x.Action+" "+x.Name)
				if x.Action == "delete" {
					assert.Contains(t, x.Why, "it looks renamed to db-init-logs without an alias")
				}
			}
			// The new group takes the old one's fixed name first: AWS refuses it.
			assert.ElementsMatch(t, []string{"fails db-init-logs", "delete db-init-log"}, signs)
		},
	}, {
		name: "an added Fargate service: a cost delta on its component",
		edit: func(t *testing.T, dir string) {
			edit(t, dir, "platform/layers.go", `	track("slack-bot", slack, slackArgs)
`, `	track("slack-bot", slack, slackArgs)
	reportArgs := cfg.appArgs("reports", cfg.Workers)
	appEnv(&reportArgs, "workers", cfg.Workers.ImageTag)
	reportArgs.TemporalSecurityGroupID = temporal.SecurityGroupID
	if _, err := components.NewService(ctx, "reports", reportArgs, opts...); err != nil {
		return err
	}
`)
		},
		args: []string{"--stack", "dev", "--format", "json"},
		code: exitChanges,
		check: func(t *testing.T, r diffRun) {
			s := r.stack(t, "dev")
			var names []string
			for _, a := range s.Added {
				names = append(names, a.Name)
			}
			assert.Contains(t, names, "reports-service")
			assert.Empty(t, s.Removed)
			assert.Greater(t, s.Cost.DeltaUSD, 0.5, "a Graviton Fargate task on Spot, its logs and alarms")
			var reports float64
			for _, c := range s.Cost.ByComponent {
				if c.Component == "reports" {
					reports = c.DeltaUSD
					assert.Zero(t, c.BaseUSD)
				}
			}
			assert.Greater(t, reports, 0.5, "the new component carries the cost: %+v", s.Cost.ByComponent)
			var parsed review.Report
			require.NoError(t, json.Unmarshal([]byte(r.stdout), &parsed), "--format json prints the report")
			// A created resource carries its inputs, whole (a trust policy is
			// hundreds of characters); what other new resources compute (the
			// container definitions name the new secrets' ARNs) is known after apply.
			var long, containers string
			for _, a := range s.Added {
				for _, p := range a.Properties {
					if a.Name == "reports-task-role" && p.Path == "assumeRolePolicy" {
						long = p.New
					}
					if a.Name == "reports-task" && p.Path == "containerDefinitions" {
						containers = p.New
					}
				}
			}
			assert.Greater(t, len(long), 200, "the JSON has the created role's trust policy whole: %s", long)
			assert.NotEmpty(t, containers)
		},
	}}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := testRepo(t)
			c.edit(t, dir)
			r := runDiff(t, dir, append([]string{"--base", "HEAD"}, c.args...)...)
			require.Equal(t, c.code, r.code, "stderr: %s", r.stderr)
			c.check(t, r)
			if c.golden != "" {
				// The commit differs per run; the rest is the program's.
				out := strings.ReplaceAll(r.stdout, r.rep.BaseCommit[:12], "<commit>")
				path := filepath.Join("testdata", "review", c.golden)
				if *updateDiffGolden {
					require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
					require.NoError(t, os.WriteFile(path, []byte(out), 0o644))
				}
				want, err := os.ReadFile(path)
				require.NoError(t, err, "go test ./cmd/docustack -run TestDiff -update-diff writes it")
				assert.Equal(t, string(want), out, "Markdown comment changed; review it and rerun with -update-diff")
			}
		})
	}
}

// TestDiffErrors: a bad revision, a base from before the project, and a
// working tree that does not synthesize are errors (exit 1) that say why.
func TestDiffErrors(t *testing.T) {
	dir := testRepo(t)
	r := runDiff(t, dir, "--base", "no-such-rev")
	assert.Equal(t, exitFail, r.code)
	assert.Contains(t, r.stderr, `--base "no-such-rev" is not a commit of this repository`)

	r = runDiff(t, dir, "--base", "pre-project")
	assert.Equal(t, exitFail, r.code)
	assert.Contains(t, r.stderr, `--base "pre-project"`)
	assert.Contains(t, r.stderr, "has no Pulumi.yaml")
	assert.Contains(t, r.stderr, "choose a later base")

	r = runDiff(t, dir, "--base", "HEAD", "--format", "yaml", "--stack", "qa")
	assert.Equal(t, exitFail, r.code)
	assert.Contains(t, r.stderr, `--format "yaml": want text, markdown or json`)
	assert.Contains(t, r.stderr, `--stack "qa": want one of dev, staging, prod, org`, "every problem at once")

	edit(t, dir, "Pulumi.dev.yaml", "vpcCidr: 10.0.0.0/16", "vpcCidr: 10.0.0.0/33")
	r = runDiff(t, dir, "--base", "HEAD", "--stack", "dev")
	assert.Equal(t, exitFail, r.code)
	assert.Contains(t, r.stderr, "working tree, stack dev, cannot be synthesized")
	assert.Contains(t, r.stderr, "10.0.0.0/33", "the value is named")
	assert.Contains(t, r.stderr, "vpcCidr", "the key is named")
}
