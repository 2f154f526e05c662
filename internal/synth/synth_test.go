package synth_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ecr"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/s3"
	"github.com/pulumi/pulumi/sdk/v3/go/common/workspace"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/docustack/infrastructure/components"
	"github.com/docustack/infrastructure/internal/awsspec"
	"github.com/docustack/infrastructure/internal/review"
	"github.com/docustack/infrastructure/internal/synth"
	"github.com/docustack/infrastructure/platform"
)

var update = flag.Bool("update", false, "rewrite testdata/golden/<stack>.json from the current program")

const root = "../.."

var stacks = []string{"dev", "staging", "prod", "org"}

func TestStacksListed(t *testing.T) {
	got, err := synth.Stacks(root)
	require.NoError(t, err)
	assert.Equal(t, []string{"dev", "org", "prod", "staging"}, got)
}

func render(t testing.TB, p *synth.Plan) []byte {
	t.Helper()
	b, err := json.MarshalIndent(p, "", "  ")
	require.NoError(t, err)
	return append(b, '\n')
}

// TestGolden pins each stack's whole plan; refresh with `make golden`
// (go test ./internal/synth -run TestGolden -update) and review the diff.
func TestGolden(t *testing.T) {
	for _, stack := range stacks {
		t.Run(stack, func(t *testing.T) {
			p, err := synth.Stack(root, stack)
			require.NoError(t, err)
			got := render(t, p)
			path := filepath.Join(root, "testdata", "golden", stack+".json")
			if *update {
				require.NoError(t, os.WriteFile(path, got, 0o644))
				return
			}
			want, err := os.ReadFile(path)
			require.NoError(t, err, "missing golden file: run make golden")
			if !bytes.Equal(want, got) {
				var old synth.Plan
				require.NoError(t, json.Unmarshal(want, &old))
				changes := review.PlanChanges(&old, p)
				if changes == "" {
					changes = "(no resource, property or option differs: the file's formatting or order does)\n"
				}
				t.Errorf("%s is stale: the plan changed.\n%s\nIf every change is intended, run `make golden` and commit the diff with the change.", path, changes)
			}
		})
	}
}

func TestSynthIsDeterministic(t *testing.T) {
	for _, stack := range stacks {
		a, err := synth.Stack(root, stack)
		require.NoError(t, err)
		b, err := synth.Stack(root, stack)
		require.NoError(t, err)
		assert.Equal(t, string(render(t, a)), string(render(t, b)), stack)
	}
}

func TestPlanCapturesOptions(t *testing.T) {
	p, err := synth.Stack(root, "prod")
	require.NoError(t, err)
	key, ok := p.Named("keys-data")
	require.True(t, ok)
	assert.True(t, key.Protect)
	assert.True(t, key.RetainOnDelete)
	assert.Contains(t, key.Parent, "docustack:security:Keys::keys")
	assert.Equal(t, "urn:pulumi:prod::docustack::docustack:security:Keys$aws:kms/key:Key::keys-data", key.URN)

	alias, _ := p.Named("keys-data-alias")
	assert.Equal(t, []string{key.URN}, alias.PropertyDependencies["targetKeyId"], "property dependencies are recorded")
	assert.Equal(t, "333333333333", p.Outputs["accountId"])
	assert.Equal(t, "network-vpc-id", p.Outputs["vpcId"])
}

func writeStack(t *testing.T, body string) string {
	t.Helper()
	dir := t.TempDir()
	b, err := os.ReadFile(filepath.Join(root, "Pulumi.yaml"))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "Pulumi.yaml"), b, 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "Pulumi.bad.yaml"), []byte(body), 0o644))
	return dir
}

// The Pulumi CLI writes booleans and integers quoted when it rewrites a
// stack file (`pulumi stack init` adds the salt, `pulumi config set` stores
// text): the quoted file is the same stack.
func TestStackFileQuotedScalars(t *testing.T) {
	dev, err := os.ReadFile(filepath.Join(root, "Pulumi.dev.yaml"))
	require.NoError(t, err)
	body := strings.NewReplacer("deletionProtection: false", `deletionProtection: "false"`,
		"protectStatefulResources: false", `protectStatefulResources: "false"`).Replace(string(dev)) +
		"  docustack:kmsDeletionWindowDays: \"30\"\nencryptionsalt: v1:abc:def\n"
	quoted, err := synth.Stack(writeStack(t, body), "bad")
	require.NoError(t, err)
	plain, err := synth.Stack(root, "dev")
	require.NoError(t, err)
	assert.Equal(t, len(plain.Resources), len(quoted.Resources))
}

func TestStackFileProblems(t *testing.T) {
	dev, err := os.ReadFile(filepath.Join(root, "Pulumi.dev.yaml"))
	require.NoError(t, err)
	body := string(dev) +
		"  docustack:owner2: typo\n" +
		"  docustack:costCenter:\n    secure: AAABAKSxyz\n"
	// costCenter appears twice in YAML otherwise; drop the plain one.
	body = string(bytes.Replace([]byte(body), []byte("  docustack:costCenter: docustack-dev\n"), nil, 1))
	body = string(bytes.Replace([]byte(body), []byte("deletionProtection: false"), []byte("deletionProtection: \"no\""), 1))
	dir := writeStack(t, body)

	_, err = synth.Stack(dir, "bad")
	require.Error(t, err)
	msg := err.Error()
	assert.Contains(t, msg, "Pulumi.bad.yaml: docustack:owner2: not declared in Pulumi.yaml")
	assert.Contains(t, msg, "Pulumi.bad.yaml: docustack:costCenter: is a secure value; offline synthesis cannot decrypt it and will not fake it")
	assert.Contains(t, msg, "Pulumi.bad.yaml: docustack:deletionProtection: got no (string), want a value of type boolean")
	assert.Contains(t, msg, `docustack:costCenter: got "", want a non-empty value`, "the program's own validation runs in the same pass")
}

func TestMissingStack(t *testing.T) {
	_, err := synth.Stack(root, "qa")
	require.ErrorIs(t, err, synth.ErrNoStack)
	assert.Contains(t, err.Error(), "stacks: dev, org, prod, staging")
}

// Pulumi.yaml must load with Pulumi's own project loader and schema, and
// declare exactly the keys the program reads.
func TestProjectFile(t *testing.T) {
	proj, err := workspace.LoadProject(filepath.Join(root, "Pulumi.yaml"))
	require.NoError(t, err)
	assert.Equal(t, "docustack", proj.Name.String())
	assert.Equal(t, "go", proj.Runtime.Name())

	declared := make([]string, 0, len(proj.Config))
	for k, v := range proj.Config {
		declared = append(declared, k)
		assert.NotEmpty(t, v.Description, "%s has no description", k)
		assert.NotEmpty(t, v.Type, "%s has no type", k)
	}
	sort.Strings(declared)
	want := append([]string(nil), platform.ConfigKeys...)
	sort.Strings(want)
	assert.Equal(t, want, declared)
}

// The Pulumi CLI requires, in every stack, each declared key that has no
// default. Exactly these five are required; every other key's default is the
// Go default it stands for (scalars) or {} (objects, the same as absent).
func TestPulumiYAMLDefaults(t *testing.T) {
	proj, err := workspace.LoadProject(filepath.Join(root, "Pulumi.yaml"))
	require.NoError(t, err)
	var required []string
	defaults := map[string]any{}
	for k, v := range proj.Config {
		if v.Default == nil {
			required = append(required, k)
			continue
		}
		defaults[k] = v.Default
	}
	sort.Strings(required)
	assert.Equal(t, []string{"accountId", "costCenter", "environment", "github", "owner"}, required)
	// Literals from the seed and the README's config reference.
	assert.Equal(t, "PHI", defaults["dataClassification"])
	assert.Equal(t, "us-west-2", defaults["drRegion"])
	assert.EqualValues(t, 30, defaults["kmsDeletionWindowDays"])
	assert.Equal(t, false, defaults["protectStatefulResources"])
	assert.Equal(t, false, defaults["deletionProtection"])
	// ... and the Go defaults the program applies agree with them.
	assert.Equal(t, platform.DefaultDataClassification, defaults["dataClassification"])
	assert.Equal(t, platform.DefaultDRRegion, defaults["drRegion"])
	assert.EqualValues(t, components.DefaultKeyDeletionWindowDays, defaults["kmsDeletionWindowDays"])
	for k, v := range defaults {
		if decl := proj.Config[k]; decl.TypeName() == "object" {
			assert.Equal(t, map[string]any{}, v, "%s: an object's default must be {} (absent)", k)
		}
	}
}

// Every stack file passes the CLI's rule, and the program sees the merged
// defaults: the org stack carries no workload key, yet gets drRegion.
func TestStackFilesSatisfyTheCLI(t *testing.T) {
	proj, err := synth.LoadProject(root)
	require.NoError(t, err)
	for _, stack := range stacks {
		t.Run(stack, func(t *testing.T) {
			cfg, err := synth.LoadStackConfig(root, stack, proj)
			require.NoError(t, err)
			for k := range proj.Config {
				assert.Contains(t, cfg, "docustack:"+k, "the engine passes every declared key")
			}
		})
	}
	cfg, err := synth.LoadStackConfig(root, "org", proj)
	require.NoError(t, err)
	assert.Equal(t, "{}", cfg["docustack:network"])
	assert.Equal(t, "us-west-2", cfg["docustack:drRegion"])
}

// Removing a default makes the stacks that leave the key out fail, with the
// CLI's own words, before the program runs.
func TestMissingDefaultIsRefused(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(root, "Pulumi.yaml"))
	require.NoError(t, err)
	body := strings.Replace(string(b), "    type: object\n    default: {}\n    description: \"VPC layout", "    type: object\n    description: \"VPC layout", 1)
	require.NotEqual(t, string(b), body, "the network key's default was not found")
	org, err := os.ReadFile(filepath.Join(root, "Pulumi.org.yaml"))
	require.NoError(t, err)
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "Pulumi.yaml"), []byte(body), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "Pulumi.org.yaml"), org, 0o644))
	_, err = synth.Stack(dir, "org")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "Pulumi.org.yaml: Stack 'org' is missing configuration values 'network'")
}

// A default of the wrong type is refused when Pulumi.yaml loads, as the CLI does.
func TestDefaultOfWrongTypeIsRefused(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(root, "Pulumi.yaml"))
	require.NoError(t, err)
	body := strings.Replace(string(b), "default: 30", "default: thirty", 1)
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "Pulumi.yaml"), []byte(body), 0o644))
	_, err = synth.LoadProject(dir)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "Pulumi.yaml: config.kmsDeletionWindowDays.default: got thirty (string), want a value of type integer")
}

func BenchmarkSynth(b *testing.B) {
	for _, stack := range stacks {
		b.Run(stack, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				if _, err := synth.Stack(root, stack); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestPlanRecordsAliases: aliases are resolved to the URNs the engine would
// match (docustack diff reads a rename with an alias as a change).
func TestPlanRecordsAliases(t *testing.T) {
	p, err := synth.Run(synth.Options{Stack: "dev"}, func(ctx *pulumi.Context) error {
		_, err := s3.NewBucketV2(ctx, "docs-bucket", &s3.BucketV2Args{}, pulumi.Aliases([]pulumi.Alias{
			{Name: pulumi.String("documents-bucket")},
			{Type: pulumi.String("aws:s3/bucket:Bucket")},
		}))
		return err
	})
	require.NoError(t, err)
	b, ok := p.Named("docs-bucket")
	require.True(t, ok)
	assert.Equal(t, []string{
		"urn:pulumi:dev::docustack::aws:s3/bucket:Bucket::docs-bucket",
		"urn:pulumi:dev::docustack::aws:s3/bucketV2:BucketV2::documents-bucket",
	}, b.Aliases)
}

// TestComputedArnsMatchCloudFormation: every ARN the shared table computes
// (internal/fakeaws, read by the mocks and the test provider) has the form
// of its type's ARN template in the CloudFormation registry, so a policy
// naming a resource by the ARN the plan gives it names what AWS would.
func TestComputedArnsMatchCloudFormation(t *testing.T) {
	checked := map[string]bool{}
	for _, stack := range stacks {
		p, err := synth.Stack(root, stack)
		require.NoError(t, err)
		for _, r := range p.Resources {
			arn, _ := r.Outputs["arn"].(string)
			tmpl := awsspec.ARNTemplate(r.Type)
			if !r.Custom || arn == "" || tmpl == "" {
				continue
			}
			checked[r.Type] = true
			assert.True(t, awsspec.MatchesTemplate(tmpl, arn), "%s %s: ARN %s does not fit CloudFormation's %s", r.Type, r.Name, arn, tmpl)
		}
	}
	assert.GreaterOrEqual(t, len(checked), 30, "types checked: %v", checked)
}

// The stack files turn the default aws provider off, and the offline run
// refuses what the engine refuses then: a resource or an invoke (the
// preflight's) that misses the account-pinned provider. Every stack
// synthesizes, so nothing misses it.
func TestDefaultProvidersDisabled(t *testing.T) {
	for _, stack := range []string{"dev", "staging", "prod", "org"} {
		proj, err := synth.LoadProject("../..")
		require.NoError(t, err)
		cfg, err := synth.LoadStackConfig("../..", stack, proj)
		require.NoError(t, err)
		assert.JSONEq(t, `["*"]`, cfg[synth.DisableDefaultProvidersKey], stack)
		_, err = synth.Stack("../..", stack)
		require.NoError(t, err, stack)
	}
	off := synth.Options{Config: map[string]string{synth.DisableDefaultProvidersKey: `["*"]`}}
	_, err := synth.Run(off, func(ctx *pulumi.Context) error {
		_, err := s3.NewBucketV2(ctx, "stray", &s3.BucketV2Args{})
		return err
	})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "Default provider for 'aws' disabled.")
	_, err = synth.Run(off, func(ctx *pulumi.Context) error {
		_, err := ecr.GetImage(ctx, &ecr.GetImageArgs{RepositoryName: "docustack-test/web", ImageTag: pulumi.StringRef("v1")})
		return err
	})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "'aws:ecr/getImage:getImage' must use an explicit provider")
}
