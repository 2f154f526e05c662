package tfplan_test

import (
	"encoding/json"
	"strings"
	"testing"

	tfjson "github.com/hashicorp/terraform-json"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/docustack/infrastructure/internal/awsspec"
	"github.com/docustack/infrastructure/internal/synth"
	"github.com/docustack/infrastructure/internal/tfplan"
)

const root = "../.."

// roundTrip marshals the export and reads it back with HashiCorp's own
// reader of the format, which refuses an unsupported format version.
func roundTrip(t *testing.T, p *tfjson.Plan) *tfjson.Plan {
	t.Helper()
	b, err := json.Marshal(p)
	require.NoError(t, err)
	var back tfjson.Plan
	require.NoError(t, json.Unmarshal(b, &back))
	require.NoError(t, back.Validate())
	return &back
}

// TestExportEveryStack: each stack exports whole. Every AWS resource is one
// Terraform resource in planned values, resource changes and configuration,
// at a unique address; every reference names a resource of the export;
// every value sits at an argument of the provider's schema.
func TestExportEveryStack(t *testing.T) {
	stacks, err := synth.Stacks(root)
	require.NoError(t, err)
	require.Len(t, stacks, 4)
	for _, stack := range stacks {
		t.Run(stack, func(t *testing.T) {
			plan, err := synth.Stack(root, stack)
			require.NoError(t, err)
			out, err := tfplan.Export(plan)
			require.NoError(t, err)
			back := roundTrip(t, out)

			aws := 0
			for _, r := range plan.Resources {
				if r.Custom && strings.HasPrefix(r.Type, "aws:") {
					aws++
				}
			}
			pv := back.PlannedValues.RootModule.Resources
			assert.Len(t, pv, aws)
			assert.Len(t, back.ResourceChanges, aws)
			assert.Len(t, back.Config.RootModule.Resources, aws)

			addrs := map[string]bool{}
			for _, r := range pv {
				assert.False(t, addrs[r.Address], "duplicate address %s", r.Address)
				addrs[r.Address] = true
				assert.Equal(t, r.Type+"."+r.Name, r.Address)
				assertInSchema(t, r.Address, r.AttributeValues, awsspec.TF().Types[r.Type])
			}
			for _, c := range back.ResourceChanges {
				assert.Equal(t, tfjson.Actions{tfjson.ActionCreate}, c.Change.Actions, c.Address)
			}
			for _, r := range back.Config.RootModule.Resources {
				_, ok := back.Config.ProviderConfigs[r.ProviderConfigKey]
				assert.True(t, ok, "%s: provider %s is not configured", r.Address, r.ProviderConfigKey)
				for arg, e := range r.Expressions {
					if e == nil || e.ExpressionData == nil {
						continue
					}
					for _, ref := range e.References {
						parts := strings.Split(ref, ".")
						assert.True(t, addrs[parts[0]+"."+parts[1]], "%s.%s references %s, not in the export", r.Address, arg, ref)
					}
				}
			}
		})
	}
}

// assertInSchema walks values against the schema: every key an argument,
// every block a list of objects.
func assertInSchema(t *testing.T, where string, values map[string]any, schema map[string]awsspec.TFArg) {
	t.Helper()
	for k, v := range values {
		arg, ok := schema[k]
		if !assert.True(t, ok, "%s: %s is not an argument", where, k) || !arg.Block || arg.Untyped || v == nil {
			continue
		}
		items, ok := v.([]any)
		if !assert.True(t, ok, "%s.%s: a block must be a list, got %T", where, k, v) {
			continue
		}
		if !arg.List {
			assert.LessOrEqual(t, len(items), 1, "%s.%s: a single block", where, k)
		}
		for _, it := range items {
			m, ok := it.(map[string]any)
			if assert.True(t, ok, "%s.%s: a block element must be an object", where, k) {
				assertInSchema(t, where+"."+k, m, arg.Args)
			}
		}
	}
}

func res(typ, name string, inputs map[string]any) synth.Resource {
	return synth.Resource{URN: "urn:pulumi:t::p::" + typ + "::" + name, Type: typ, Name: name, Custom: true, ID: name + "-id", Inputs: inputs}
}

// TestExportFollowsTheBridge: the translation undoes what the bridge does
// to the provider's schema, each case from the four plans' own shapes.
func TestExportFollowsTheBridge(t *testing.T) {
	key := res("aws:kms/key:Key", "logs-key", map[string]any{"description": "logs"})
	key.Outputs = map[string]any{"arn": "arn:aws:kms:us-east-1:111111111111:key/k1", "keyId": "k1"}
	bucket := res("aws:s3/bucketV2:BucketV2", "logs-bucket", map[string]any{"bucket": "logs-111111111111"})
	bucket.ID = "logs-111111111111"
	bucket.Outputs = map[string]any{"arn": "arn:aws:s3:::logs-111111111111"}
	sse := res("aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2", "logs-encryption", map[string]any{
		"bucket": "logs-111111111111",
		"rules": []any{map[string]any{
			"applyServerSideEncryptionByDefault": map[string]any{"sseAlgorithm": "aws:kms", "kmsMasterKeyId": "arn:aws:kms:us-east-1:111111111111:key/k1"},
			"bucketKeyEnabled":                   true,
		}},
	})
	sse.PropertyDependencies = map[string][]string{"bucket": {bucket.URN}, "rules": {key.URN}}
	policy := res("aws:s3/bucketPolicy:BucketPolicy", "logs-policy", map[string]any{
		"bucket": "logs-111111111111",
		"policy": `{"Statement":[{"Resource":"arn:aws:s3:::logs-111111111111/*"}]}`,
	})
	policy.PropertyDependencies = map[string][]string{"policy": {bucket.URN}}
	alarm := res("aws:cloudwatch/metricAlarm:MetricAlarm", "errors-alarm", map[string]any{"name": "errors", "comparisonOperator": "GreaterThanThreshold"})
	acl := res("aws:wafv2/webAcl:WebAcl", "web-acl", map[string]any{
		"scope": "REGIONAL",
		"rules": []any{map[string]any{"name": "common", "priority": 1.0, "statement": map[string]any{
			"managedRuleGroupStatement": map[string]any{"name": "AWSManagedRulesCommonRuleSet", "vendorName": "AWS",
				"ruleActionOverrides": []any{map[string]any{"name": "SizeRestrictions_BODY", "actionToUse": map[string]any{"count": map[string]any{}}}}},
		}}},
	})
	plan := &synth.Plan{Project: "p", Stack: "t", Resources: []synth.Resource{key, bucket, sse, policy, alarm, acl}}
	out, err := tfplan.Export(plan)
	require.NoError(t, err)
	back := roundTrip(t, out)
	values := map[string]map[string]any{}
	for _, r := range back.PlannedValues.RootModule.Resources {
		values[r.Address] = r.AttributeValues
	}
	exprs := map[string]map[string]*tfjson.Expression{}
	for _, r := range back.Config.RootModule.Resources {
		exprs[r.Address] = r.Expressions
	}

	// A plural Pulumi list is the singular repeatable block; a flattened
	// MaxItems-1 block is a one-element list again.
	rule := values["aws_s3_bucket_server_side_encryption_configuration.logs-encryption"]["rule"].([]any)[0].(map[string]any)
	def := rule["apply_server_side_encryption_by_default"].([]any)
	require.Len(t, def, 1)
	assert.Equal(t, "aws:kms", def[0].(map[string]any)["sse_algorithm"])
	assert.Equal(t, true, rule["bucket_key_enabled"])

	// References: the attribute that carries the value, then the resource.
	// A dependency's own input (the bucket's name) is known at plan time.
	assert.Equal(t, []string{"aws_s3_bucket.logs-bucket.bucket", "aws_s3_bucket.logs-bucket"},
		exprs["aws_s3_bucket_server_side_encryption_configuration.logs-encryption"]["bucket"].References)
	assert.Equal(t, "logs-111111111111", values["aws_s3_bucket_server_side_encryption_configuration.logs-encryption"]["bucket"])
	// A computed value (the key's ARN) is known after apply: absent from the
	// values, marked in after_unknown at its place, the rest of the block kept.
	// In a block, the reference sits on the argument that carries the value,
	// where Terraform puts it and scanners read it.
	ruleExpr := exprs["aws_s3_bucket_server_side_encryption_configuration.logs-encryption"]["rule"]
	require.Len(t, ruleExpr.NestedBlocks, 1)
	byDefault := ruleExpr.NestedBlocks[0]["apply_server_side_encryption_by_default"]
	require.Len(t, byDefault.NestedBlocks, 1)
	assert.Equal(t, []string{"aws_kms_key.logs-key.arn", "aws_kms_key.logs-key"}, byDefault.NestedBlocks[0]["kms_master_key_id"].References)
	assert.Equal(t, "aws:kms", byDefault.NestedBlocks[0]["sse_algorithm"].ConstantValue)
	assert.NotContains(t, def[0].(map[string]any), "kms_master_key_id")
	var change *tfjson.ResourceChange
	for _, c := range back.ResourceChanges {
		if c.Address == "aws_s3_bucket_server_side_encryption_configuration.logs-encryption" {
			change = c
		}
	}
	require.NotNil(t, change)
	assert.Equal(t, map[string]any{"rule": []any{map[string]any{"apply_server_side_encryption_by_default": []any{map[string]any{"kms_master_key_id": true}}}}}, change.Change.AfterUnknown)
	// An ARN inside a policy document makes the document unknown.
	assert.Equal(t, []string{"aws_s3_bucket.logs-bucket.arn", "aws_s3_bucket.logs-bucket"},
		exprs["aws_s3_bucket_policy.logs-policy"]["policy"].References)
	assert.NotContains(t, values["aws_s3_bucket_policy.logs-policy"], "policy")
	// An input with no dependency is a constant.
	assert.Equal(t, "logs-111111111111", exprs["aws_s3_bucket_policy.logs-policy"]["bucket"].ConstantValue)

	// The provider's own rename (metric alarm "name" is alarm_name).
	assert.Equal(t, "errors", values["aws_cloudwatch_metric_alarm.errors-alarm"]["alarm_name"])
	assert.NotContains(t, values["aws_cloudwatch_metric_alarm.errors-alarm"], "name")

	// wafv2's untyped statements by the naming rule alone.
	stmt := values["aws_wafv2_web_acl.web-acl"]["rule"].([]any)[0].(map[string]any)["statement"].([]any)[0].(map[string]any)
	mrg := stmt["managed_rule_group_statement"].([]any)[0].(map[string]any)
	assert.Equal(t, "AWS", mrg["vendor_name"])
	override := mrg["rule_action_override"].([]any)[0].(map[string]any)
	assert.Equal(t, []any{map[string]any{"count": []any{map[string]any{}}}}, override["action_to_use"])
}

// TestExportRefusesWhatItCannotPlace: an unknown type and an input without
// a Terraform argument are errors naming the resource and the input, all of
// them at once, never a silently smaller export.
func TestExportRefusesWhatItCannotPlace(t *testing.T) {
	plan := &synth.Plan{Resources: []synth.Resource{
		res("aws:sqs/queue:Queue", "jobs", map[string]any{"name": "jobs"}),
		res("aws:s3/bucketV2:BucketV2", "docs-bucket", map[string]any{"bucket": "b", "objectLockEnabledd": true}),
		res("aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2", "docs-sse", map[string]any{"bucket": "b", "rules": "aws:kms"}),
		res("random:index/randomPassword:RandomPassword", "db-password", map[string]any{"length": 32}),
	}}
	_, err := tfplan.Export(plan)
	require.Error(t, err)
	msg := err.Error()
	assert.Contains(t, msg, "4 input(s)")
	assert.Contains(t, msg, "db-password (random:index/randomPassword:RandomPassword): only aws: resources have a Terraform counterpart")
	assert.Contains(t, msg, "jobs (aws:sqs/queue:Queue): the type has no Terraform resource in tf_types.json")
	assert.Contains(t, msg, "docs-bucket (aws:s3/bucketV2:BucketV2): input objectLockEnabledd has no Terraform argument")
	assert.Contains(t, msg, "docs-sse (aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2): input rules is string where Terraform has a block")
}
