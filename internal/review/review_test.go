package review

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/docustack/infrastructure/internal/awsspec"
	"github.com/docustack/infrastructure/internal/synth"
	"github.com/docustack/infrastructure/internal/verify"
	"github.com/docustack/infrastructure/platform"
	"github.com/docustack/infrastructure/policies/rules"
)

// TestReplaceTableMatchesTheProvider: every input the shared replace table
// says forces a replacement is an input of that resource type in the
// pulumi-aws SDK the program is built with (a misspelt entry would never fire).
func TestReplaceTableMatchesTheProvider(t *testing.T) {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/pulumi/pulumi-aws/sdk/v6").Output()
	require.NoError(t, err)
	sdk := filepath.Join(strings.TrimSpace(string(out)), "go", "aws")
	for _, typ := range awsspec.ReplaceTypes() {
		props, _ := awsspec.ForceNew(typ)
		mod := strings.Split(strings.TrimPrefix(typ, "aws:"), "/")[0]
		files, _ := filepath.Glob(filepath.Join(sdk, mod, "*.go"))
		var src string
		for _, f := range files {
			b, err := os.ReadFile(f)
			require.NoError(t, err)
			if strings.Contains(string(b), `RegisterResource("`+typ+`"`) {
				src = string(b)
				break
			}
		}
		if !assert.NotEmpty(t, src, "%s is not a pulumi-aws v6 resource type", typ) {
			continue
		}
		for _, p := range props {
			if p == "*" {
				continue
			}
			assert.Regexp(t, regexp.MustCompile("pulumi:\""+regexp.QuoteMeta(p)+"\""), src, "%s has no input %q", typ, p)
		}
		assert.True(t, strings.HasPrefix(DocURL(typ), "https://www.pulumi.com/registry/packages/aws/api-docs/"+mod+"/"), typ)
	}
}

// coveragePlans are the four golden plans plus the variants a stack file
// can select (Aurora instead of an RDS instance, a NAT instance), so every
// type and input the program can produce is decided.
func coveragePlans(t *testing.T) []*synth.Plan {
	t.Helper()
	var plans []*synth.Plan
	for _, stack := range AllStacks {
		b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "golden", stack+".json"))
		require.NoError(t, err)
		var plan synth.Plan
		require.NoError(t, json.Unmarshal(b, &plan))
		plans = append(plans, &plan)
	}
	root := filepath.Join("..", "..")
	proj, err := synth.LoadProject(root)
	require.NoError(t, err)
	for name, override := range map[string]map[string]string{
		"aurora":       {"docustack:database": `{"engine":"aurora-postgresql","instances":2,"multiAz":true}`},
		"nat-instance": {"docustack:network": ""},
	} {
		cfg, err := synth.LoadStackConfig(root, "staging", proj)
		require.NoError(t, err)
		for k, v := range override {
			if k == "docustack:network" {
				var n map[string]any
				require.NoError(t, json.Unmarshal([]byte(cfg[k]), &n))
				n["natStrategy"] = "instance"
				b, _ := json.Marshal(n)
				v = string(b)
			}
			cfg[k] = v
		}
		plan, err := synth.Run(synth.Options{Project: proj.Name, Stack: "staging", Config: cfg}, platform.Program)
		require.NoError(t, err, name)
		plans = append(plans, plan)
	}
	return plans
}

// TestReplaceTableCoversThePlans: every AWS type of every plan is decided
// by the replace table, and for every input the plans set, the provider's
// ForceNew and the CloudFormation registry's causesReplacement agree or the
// table says which wins and why (awsspec.reconciled).
func TestReplaceTableCoversThePlans(t *testing.T) {
	seen := map[string]bool{}
	for _, plan := range coveragePlans(t) {
		for _, r := range plan.Resources {
			if !r.Custom || !strings.HasPrefix(r.Type, "aws:") {
				continue
			}
			if _, known := awsspec.Replaces(r.Type, ""); !known && !seen[r.Type] {
				t.Errorf("%s (%s in %s) is not in the replace table (internal/awsspec/replace.go)", r.Type, r.Name, plan.Stack)
			}
			if _, mapped := awsspec.CFNTypeOf(r.Type); !mapped && !seen[r.Type] {
				t.Errorf("%s has no entry in internal/awsspec/cfn_types.json (its CloudFormation type, or null)", r.Type)
			}
			seen[r.Type] = true
			for in := range r.Inputs {
				if in == "tags" || in == "tagsAll" || seen[r.Type+"."+in] {
					continue
				}
				seen[r.Type+"."+in] = true
				if v := awsspec.Decide(r.Type, in); !v.Agree && v.Note == "" {
					t.Errorf("%s.%s: the provider says replace=%v, CloudFormation's %s says causesReplacement=%s; reconcile it in internal/awsspec/replace.go",
						r.Type, in, v.Provider, v.CFNProperty, v.CFN)
				}
			}
		}
	}
	// The replacements the issue found reported as updates are decided as the engine makes them.
	for _, c := range []struct{ typ, in string }{
		{"aws:rds/cluster:Cluster", "kmsKeyId"},
		{"aws:rds/parameterGroup:ParameterGroup", "description"},
		{"aws:lambda/invocation:Invocation", "triggers"},
	} {
		assert.True(t, seen[c.typ+"."+c.in], "%s.%s is in no coverage plan", c.typ, c.in)
		r, _ := awsspec.Replaces(c.typ, c.in)
		assert.True(t, r, "%s.%s replaces", c.typ, c.in)
	}
}

func res(typ, name string, inputs map[string]any) synth.Resource {
	return synth.Resource{URN: "urn:pulumi:dev::docustack::" + typ + "::" + name, Type: typ, Name: name, Custom: true, Inputs: inputs}
}

func TestCompare(t *testing.T) {
	key := res("aws:kms/key:Key", "keys-data", map[string]any{"customerMasterKeySpec": "SYMMETRIC_DEFAULT", "enableKeyRotation": true})
	db := res("aws:rds/instance:Instance", "database-instance", map[string]any{"kmsKeyId": "keys-data-arn", "instanceClass": "db.t4g.micro"})
	db.PropertyDependencies = map[string][]string{"kmsKeyId": {key.URN}}
	role := res("aws:iam/role:Role", "web-task-role", map[string]any{
		"inlinePolicies": []any{map[string]any{"policy": `{"Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`}},
		"password":       "[secret]",
	})
	bucket := res("aws:s3/bucketV2:BucketV2", "documents-bucket", map[string]any{"bucket": "docs"})
	bucket.Protect = true
	sg := res("aws:ec2/securityGroup:SecurityGroup", "network-sg-web", map[string]any{"description": "web"})
	pg := res("aws:rds/parameterGroup:ParameterGroup", "database-parameters", map[string]any{"name": "docustack-dev", "family": "postgres16", "description": "DocuStack: TLS forced, pgaudit"})

	clone := func(r synth.Resource, f func(*synth.Resource)) synth.Resource {
		b, _ := json.Marshal(r)
		var c synth.Resource
		_ = json.Unmarshal(b, &c)
		c.PropertyDependencies = r.PropertyDependencies
		f(&c)
		return c
	}
	cases := []struct {
		name       string
		base, head []synth.Resource
		want       func(t *testing.T, d StackDiff, signs []StopSign)
	}{{
		name: "a replaced KMS key replaces the database encrypted with it: two stop signs",
		base: []synth.Resource{key, db},
		head: []synth.Resource{clone(key, func(r *synth.Resource) { r.Inputs["customerMasterKeySpec"] = "RSA_2048" }), db},
		want: func(t *testing.T, d StackDiff, signs []StopSign) {
			require.Len(t, d.Changed, 2)
			assert.Equal(t, "replace", d.Changed[0].Action)
			assert.Equal(t, "replace", d.Changed[1].Action, "kmsKeyId forces a new database")
			assert.Equal(t, PropChange{Path: "kmsKeyId", Old: `"keys-data-arn"`, New: "(new value after keys-data is replaced)", Replaces: true}, d.Changed[1].Properties[0])
			require.Len(t, signs, 2)
			assert.Equal(t, "a KMS key, replaced because customerMasterKeySpec cannot change in place", signs[0].Why)
			assert.Equal(t, "a database, replaced because kmsKeyId cannot change in place", signs[1].Why)
		},
	}, {
		name: "a policy document is diffed as JSON; secrets stay masked",
		base: []synth.Resource{role},
		head: []synth.Resource{clone(role, func(r *synth.Resource) {
			r.Inputs["inlinePolicies"] = []any{map[string]any{"policy": `{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`}}
		})},
		want: func(t *testing.T, d StackDiff, signs []StopSign) {
			require.Len(t, d.Changed, 1)
			assert.Equal(t, []PropChange{{Path: "inlinePolicies.0.policy.Statement.0.Action", Old: `"s3:GetObject"`, New: `"s3:*"`}}, d.Changed[0].Properties)
			assert.Equal(t, "update", d.Changed[0].Action)
			assert.Empty(t, signs)
		},
	}, {
		name: "a renamed resource with an alias is a change, not a delete and a create",
		base: []synth.Resource{bucket},
		head: []synth.Resource{clone(bucket, func(r *synth.Resource) {
			r.Aliases = []string{r.URN}
			r.URN = strings.Replace(r.URN, "documents-bucket", "docs-bucket", 1)
			r.Name = "docs-bucket"
		})},
		want: func(t *testing.T, d StackDiff, signs []StopSign) {
			assert.Empty(t, d.Added)
			assert.Empty(t, d.Removed)
			require.Len(t, d.Changed, 1)
			assert.Equal(t, bucket.URN, d.Changed[0].RenamedFrom)
			assert.Empty(t, signs)
		},
	}, {
		name: "the same rename without an alias deletes a protected bucket: a stop sign",
		base: []synth.Resource{bucket},
		head: []synth.Resource{clone(bucket, func(r *synth.Resource) {
			r.URN = strings.Replace(r.URN, "documents-bucket", "docs-bucket", 1)
			r.Name = "docs-bucket"
		})},
		want: func(t *testing.T, d StackDiff, signs []StopSign) {
			require.Len(t, d.Removed, 1)
			require.Len(t, d.Added, 1)
			require.Len(t, signs, 2)
			assert.Equal(t, "fails", signs[0].Action, "the new bucket takes the old one's name before the old one is deleted")
			assert.Contains(t, signs[0].Why, "BucketAlreadyOwnedByYou")
			assert.Contains(t, signs[0].Why, "pulumi.Aliases")
			assert.Equal(t, StopSign{Stack: "dev", URN: bucket.URN, Type: bucket.Type, Name: "documents-bucket", Action: "delete",
				Why: "a bucket, protected, deleted; it looks renamed to docs-bucket without an alias, and pulumi.Aliases on docs-bucket would keep it"}, signs[1])
			assert.Equal(t, bucket.URN, d.Added[0].RenameOf)
			assert.Equal(t, []PropChange{{Path: "bucket", New: `"docs"`}}, d.Added[0].Properties, "a created resource's inputs, whole")
			var b strings.Builder
			writeResources(&b, d)
			assert.Contains(t, b.String(), "+ create  docs-bucket (aws:s3/bucketV2:BucketV2)\n    bucket: (none) → \"docs\"\n    looks like documents-bucket renamed without an alias")
		},
	}, {
		name: "a created resource unlike the deleted one is no rename",
		base: []synth.Resource{bucket},
		head: []synth.Resource{clone(bucket, func(r *synth.Resource) {
			r.URN = strings.Replace(r.URN, "documents-bucket", "reports-bucket", 1)
			r.Name = "reports-bucket"
			r.Inputs = map[string]any{"bucket": "reports", "forceDestroy": true, "tags": map[string]any{"App": "reports"}}
		})},
		want: func(t *testing.T, d StackDiff, signs []StopSign) {
			require.Len(t, d.Added, 1)
			assert.Empty(t, d.Added[0].RenameOf)
		},
	}, {
		name: "replacing a fixed-name parameter group deletes it first: a stop sign with the fix",
		base: []synth.Resource{pg},
		head: []synth.Resource{clone(pg, func(r *synth.Resource) { r.Inputs["description"] = "DocuStack: TLS forced" })},
		want: func(t *testing.T, d StackDiff, signs []StopSign) {
			require.Len(t, d.Changed, 1)
			assert.Equal(t, "replace", d.Changed[0].Action, "the provider forces a new group on description")
			require.Len(t, d.Refusals, 1)
			require.Len(t, signs, 1)
			assert.Equal(t, "delete-first", signs[0].Action)
			assert.Contains(t, signs[0].Why, `name "docustack-dev"`)
			assert.Contains(t, signs[0].Why, "a name prefix")
		},
	}, {
		name: "the same replacement under a name prefix is created first and collides with nothing",
		base: []synth.Resource{clone(pg, func(r *synth.Resource) {
			r.URN += "-prefixed"
			delete(r.Inputs, "name")
			r.Inputs["namePrefix"] = "docustack-dev-"
		})},
		head: []synth.Resource{
			clone(pg, func(r *synth.Resource) {
				r.URN += "-prefixed"
				delete(r.Inputs, "name")
				r.Inputs["namePrefix"] = "docustack-dev-"
				r.Inputs["description"] = "x"
			}),
		},
		want: func(t *testing.T, d StackDiff, signs []StopSign) {
			require.Len(t, d.Changed, 1)
			assert.Empty(t, d.Refusals)
			assert.Empty(t, signs)
		},
	}, {
		name: "options alone are no update; a dependency alone is not a change at all",
		base: []synth.Resource{sg},
		head: []synth.Resource{clone(sg, func(r *synth.Resource) {
			r.Dependencies = []string{key.URN}
			r.Provider = "urn:pulumi:dev::docustack::pulumi:providers:aws::aws-dr"
			r.IgnoreChanges = []string{"tags"}
		})},
		want: func(t *testing.T, d StackDiff, signs []StopSign) {
			require.Len(t, d.Changed, 1)
			var paths []string
			for _, o := range d.Changed[0].Options {
				paths = append(paths, o.Path)
			}
			assert.Equal(t, []string{"ignoreChanges", "provider"}, paths, "dependsOn is folded away")
			assert.Empty(t, d.Changed[0].Properties)
			assert.Equal(t, "options", d.Changed[0].Action, "the engine makes no AWS call for options")
			add, update, replace, del := d.Counts()
			assert.Equal(t, [4]int{0, 0, 0, 0}, [4]int{add, update, replace, del})
		},
	}, {
		name: "a dependency-only difference is no change",
		base: []synth.Resource{sg},
		head: []synth.Resource{clone(sg, func(r *synth.Resource) { r.Dependencies = []string{key.URN} })},
		want: func(t *testing.T, d StackDiff, signs []StopSign) {
			assert.Empty(t, d.Changed)
		},
	}, {
		name: "an ignored input is no update: the engine keeps the base value",
		base: []synth.Resource{clone(sg, func(r *synth.Resource) {
			r.IgnoreChanges = []string{"tags.Owner"}
			r.Inputs["tags"] = map[string]any{"Owner": "a", "Env": "dev"}
		})},
		head: []synth.Resource{clone(sg, func(r *synth.Resource) {
			r.IgnoreChanges = []string{"tags.Owner"}
			r.Inputs["tags"] = map[string]any{"Owner": "b", "Env": "dev"}
		})},
		want: func(t *testing.T, d StackDiff, signs []StopSign) {
			assert.Empty(t, d.Changed, "tags.Owner is ignored")
		},
	}, {
		name: "an ignored path does not hide the rest of the resource",
		base: []synth.Resource{clone(sg, func(r *synth.Resource) {
			r.IgnoreChanges = []string{"tags.Owner"}
			r.Inputs["tags"] = map[string]any{"Owner": "a", "Env": "dev"}
		})},
		head: []synth.Resource{clone(sg, func(r *synth.Resource) {
			r.IgnoreChanges = []string{"tags.Owner"}
			r.Inputs["tags"] = map[string]any{"Owner": "b", "Env": "prod"}
		})},
		want: func(t *testing.T, d StackDiff, signs []StopSign) {
			require.Len(t, d.Changed, 1)
			require.Len(t, d.Changed[0].Properties, 1)
			assert.Equal(t, "tags.Env", d.Changed[0].Properties[0].Path)
		},
	}, {
		name: "a value computed by a resource the change creates is known after apply",
		base: []synth.Resource{sg},
		head: []synth.Resource{key, clone(sg, func(r *synth.Resource) {
			r.Inputs["description"] = "keyed by " + key.ID
			r.PropertyDependencies = map[string][]string{"description": {key.URN}}
		})},
		want: func(t *testing.T, d StackDiff, signs []StopSign) {
			require.Len(t, d.Changed, 1)
			p := d.Changed[0].Properties[0]
			assert.Equal(t, KnownAfterApply, p.New, "the synthesis's placeholder ID is not shown as a value")
			assert.True(t, p.Replaces)
		},
	}, {
		name: "a security group's description cannot change in place; the JSON keeps a long value whole",
		base: []synth.Resource{sg},
		head: []synth.Resource{clone(sg, func(r *synth.Resource) { r.Inputs["description"] = strings.Repeat("x", 200) })},
		want: func(t *testing.T, d StackDiff, signs []StopSign) {
			require.Len(t, d.Changed, 1)
			assert.Equal(t, "replace", d.Changed[0].Action)
			p := d.Changed[0].Properties[0]
			assert.True(t, p.Replaces)
			assert.Equal(t, `"`+strings.Repeat("x", 200)+`"`, p.New)
			var b strings.Builder
			writeProps(&b, d.Changed[0].Properties, "")
			assert.Contains(t, b.String(), strings.Repeat("x", maxValue-2)+"…", "the Markdown shortens it")
			assert.Empty(t, signs, "a security group holds no data")
		},
	}}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := Compare(&Snapshot{Stack: "dev", Plan: &synth.Plan{Resources: c.base}}, &Snapshot{Stack: "dev", Plan: &synth.Plan{Resources: c.head}})
			c.want(t, d, stopSigns(d))
		})
	}
}

func TestPolicyVerifyAndCostDeltas(t *testing.T) {
	base := &Snapshot{Stack: "prod", CostUSD: 10, CostByComponent: map[string]float64{"web": 4, "db": 6},
		Waivers: []Waiver{{Rule: "DS-LOG-001", Resource: "x", Reason: "r", Expires: "2027-01-01"}}}
	head := &Snapshot{Stack: "prod", CostUSD: 12.5, CostByComponent: map[string]float64{"web": 4, "db": 6, "reports": 2.5}}
	base.Plan, head.Plan = &synth.Plan{}, &synth.Plan{}
	d := Compare(base, head)
	assert.Equal(t, CostDelta{BaseUSD: 10, HeadUSD: 12.5, DeltaUSD: 2.5, ByComponent: []ComponentDelta{{Component: "reports", HeadUSD: 2.5, DeltaUSD: 2.5}}}, d.Cost)
	w := diffWaivers(base.Waivers, head.Waivers)
	assert.Equal(t, []string{"DS-LOG-001 on x until 2027-01-01: r"}, w.Removed)
	assert.Empty(t, w.Added)
	assert.True(t, Compare(base, base).empty(), "a snapshot equals itself")

	base.Findings = []rules.Finding{{Rule: "DS-S3-004", Resource: "docs", Level: "mandatory"}}
	head.Findings = []rules.Finding{{Rule: "DS-IAM-001", Resource: "web-task-role", Level: "mandatory", Message: "Allows s3:*. Fix: list actions."}}
	base.Intents = []verify.Finding{{Intent: "web -> database tcp/5432", OK: true}, {Intent: "internet -> database", OK: false}, {Intent: "gone", OK: true}}
	head.Intents = []verify.Finding{{Intent: "web -> database tcp/5432", OK: false, Detail: "no egress rule"}, {Intent: "internet -> database", OK: true}}
	d = Compare(base, head)
	assert.Equal(t, PolicyDelta{
		NewlyViolated: []Finding{{Rule: "DS-IAM-001", Resource: "web-task-role", Level: "mandatory", Message: "Allows s3:*. Fix: list actions."}},
		NewlyPassing:  []Finding{{Rule: "DS-S3-004", Resource: "docs", Level: "mandatory"}},
	}, d.Policy)
	assert.Equal(t, VerifyDelta{
		NewlyFailing: []Intent{{"web -> database tcp/5432", "no egress rule"}},
		NewlyPassing: []Intent{{"internet -> database", ""}},
		Removed:      1,
	}, d.Verify)
}

// TestOverlay: the base builds in the head's directory with only the Go
// files that differ swapped in; a go.mod or embedded-file difference needs
// the base's own directory.
func TestOverlay(t *testing.T) {
	dir := t.TempDir()
	base := map[string][]byte{"go.mod": []byte("module x"), "a.go": []byte("package a // base"), "same.go": []byte("package a"), "old.go": []byte("package a")}
	head := map[string][]byte{"go.mod": []byte("module x"), "a.go": []byte("package a // head"), "same.go": []byte("package a"), "new.go": []byte("package a")}
	path, err := overlay(base, head, "/base", "/head", dir)
	require.NoError(t, err)
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	var got struct{ Replace map[string]string }
	require.NoError(t, json.Unmarshal(b, &got))
	assert.Equal(t, map[string]string{"/head/a.go": "/base/a.go", "/head/old.go": "/base/old.go", "/head/new.go": ""}, got.Replace)

	head["go.mod"] = []byte("module x\nrequire y v1")
	path, err = overlay(base, head, "/base", "/head", dir)
	require.NoError(t, err)
	assert.Empty(t, path, "a go.mod difference: build in the base's directory")
	assert.NotEqual(t, digest(base), digest(head))
}

// TestMarkdownFitsAComment: a change too large for a GitHub comment keeps
// its summary and stop signs and drops the details.
func TestMarkdownFitsAComment(t *testing.T) {
	d := StackDiff{Stack: "prod"}
	for i := 0; i < 3000; i++ {
		d.Added = append(d.Added, Created{ResourceRef: ResourceRef{Name: fmt.Sprintf("alarm-%04d", i), Type: "aws:cloudwatch/metricAlarm:MetricAlarm"}})
	}
	d.Removed = []ResourceRef{{Name: "database-instance", Type: "aws:rds/instance:Instance"}}
	r := &Report{Base: "main", BaseCommit: "0123456789abcdef", Stacks: []StackDiff{d}, StopSigns: stopSigns(d)}
	var b strings.Builder
	r.Markdown(&b)
	out := b.String()
	assert.LessOrEqual(t, len(out), CommentLimit)
	assert.True(t, strings.HasPrefix(out, Marker))
	assert.Contains(t, out, "**prod** `database-instance` (`aws:rds/instance:Instance`): **delete**: a database, deleted")
	assert.Contains(t, out, "| prod | 3000 | 0 | 0 | 1 |")
	assert.Contains(t, out, "too long for a comment")
	assert.NotContains(t, out, "alarm-0001")
}
