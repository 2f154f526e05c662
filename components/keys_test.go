package components_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/docustack/infrastructure/components"
	"github.com/docustack/infrastructure/internal/synth"
)

// keyPolicy decodes a recorded key policy.
func keyPolicy(t *testing.T, key synth.Resource) components.PolicyDocument {
	t.Helper()
	var doc components.PolicyDocument
	require.NoError(t, json.Unmarshal([]byte(key.Str("policy")), &doc), key.Name)
	return doc
}

func TestKeysPerStack(t *testing.T) {
	cases := []struct {
		stack       string
		purposes    []string
		window      int
		protected   bool
		aliasPrefix string
	}{
		{"dev", []string{"data", "database", "logs", "ebs"}, 30, false, "alias/docustack-dev-"},
		{"staging", []string{"data", "database", "logs", "ebs"}, 30, false, "alias/docustack-staging-"},
		{"prod", []string{"data", "database", "logs", "ebs"}, 30, true, "alias/docustack-prod-"},
		{"org", []string{"logs"}, 30, true, "alias/docustack-org-"},
	}
	for _, c := range cases {
		t.Run(c.stack, func(t *testing.T) {
			p := stackPlan(t, c.stack)
			var keys []string
			for _, k := range p.ByType("aws:kms/key:Key") {
				if strings.HasPrefix(k.Name, "keys-") && !strings.HasPrefix(k.Name, "keys-dr-") {
					keys = append(keys, k.Name)
				}
			}
			require.Len(t, keys, len(c.purposes))
			for _, purpose := range c.purposes {
				k := mustNamed(t, p, "keys-"+purpose)
				assert.Equal(t, true, k.Get("enableKeyRotation"), "%s: rotation on", k.Name)
				assert.Equal(t, c.window, k.Int("deletionWindowInDays"), k.Name)
				assert.Equal(t, c.protected, k.Protect, "%s protect", k.Name)
				assert.Equal(t, c.protected, k.RetainOnDelete, "%s retainOnDelete", k.Name)
				alias := mustNamed(t, p, "keys-"+purpose+"-alias")
				assert.Equal(t, c.aliasPrefix+purpose, alias.Str("name"))
				assert.Equal(t, k.ID, alias.Str("targetKeyId"))
			}
		})
	}
}

func TestDRKey(t *testing.T) {
	for _, stack := range workloadStacks {
		p := stackPlan(t, stack)
		k := mustNamed(t, p, "keys-dr-data")
		assert.Equal(t, true, k.Get("enableKeyRotation"))
		assert.Equal(t, "urn:pulumi:"+stack+"::docustack::pulumi:providers:aws::aws-dr", k.Provider)
		doc := keyPolicy(t, k)
		require.Len(t, doc.Statement, 2)
		assert.Equal(t, []any{"s3.us-west-2.amazonaws.com", "ecr.us-west-2.amazonaws.com", "backup.us-west-2.amazonaws.com"},
			doc.Statement[1].Condition["StringEquals"]["kms:ViaService"], "the replica key serves S3 replicas and backup copies in the DR region")
		assert.Equal(t, "alias/docustack-"+stack+"-dr-data", mustNamed(t, p, "keys-dr-data-alias").Str("name"))
	}
	_, hasDR := stackPlan(t, "org").Named("keys-dr-data")
	assert.False(t, hasDR, "the org stack holds no replicas")
}

func TestKeyPolicies(t *testing.T) {
	p := stackPlan(t, "prod")
	root := "arn:aws:iam::333333333333:root"
	asgRole := "arn:aws:iam::333333333333:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling"
	cases := []struct {
		purpose string
		// principals of the non-root statements, and their conditions.
		principals []map[string]any
		conditions []map[string]map[string]any
	}{
		{"data",
			[]map[string]any{{"AWS": root}},
			// S3 objects, ECR images and AWS Backup recovery points.
			[]map[string]map[string]any{{"StringEquals": {"kms:ViaService": []any{"s3.us-east-1.amazonaws.com", "ecr.us-east-1.amazonaws.com", "backup.us-east-1.amazonaws.com"}, "kms:CallerAccount": "333333333333"}}}},
		{"database",
			[]map[string]any{{"AWS": root}},
			[]map[string]map[string]any{{"StringEquals": {"kms:ViaService": []any{"rds.us-east-1.amazonaws.com", "secretsmanager.us-east-1.amazonaws.com"}, "kms:CallerAccount": "333333333333"}}}},
		{"logs",
			[]map[string]any{
				{"Service": "logs.us-east-1.amazonaws.com"}, {"Service": "delivery.logs.amazonaws.com"},
				{"Service": "cloudtrail.amazonaws.com"}, {"Service": "cloudtrail.amazonaws.com"}, {"Service": "config.amazonaws.com"},
				{"Service": []any{"events.amazonaws.com", "cloudwatch.amazonaws.com"}},
			},
			[]map[string]map[string]any{
				{"ArnLike": {"kms:EncryptionContext:aws:logs:arn": "arn:aws:logs:us-east-1:333333333333:log-group:*"}},
				{"StringEquals": {"aws:SourceAccount": []any{"333333333333"}}, "ArnLike": {"aws:SourceArn": []any{"arn:aws:logs:us-east-1:333333333333:*"}}},
				{"StringLike": {"kms:EncryptionContext:aws:cloudtrail:arn": []any{"arn:aws:cloudtrail:*:333333333333:trail/*"}}},
				nil, // DescribeKey
				{"StringEquals": {"aws:SourceAccount": []any{"333333333333"}}},
				{"StringEquals": {"aws:SourceAccount": "333333333333"}},
			}},
		{"ebs",
			// EC2 for the account, and the Auto Scaling service-linked role that launches the bastion.
			[]map[string]any{{"AWS": root}, {"AWS": asgRole}, {"AWS": asgRole}},
			[]map[string]map[string]any{
				{"StringEquals": {"kms:ViaService": []any{"ec2.us-east-1.amazonaws.com"}, "kms:CallerAccount": "333333333333"}},
				nil,
				{"Bool": {"kms:GrantIsForAWSResource": true}},
			}},
	}
	for _, c := range cases {
		t.Run(c.purpose, func(t *testing.T) {
			doc := keyPolicy(t, mustNamed(t, p, "keys-"+c.purpose))
			require.Len(t, doc.Statement, 1+len(c.principals))
			first := doc.Statement[0]
			assert.Equal(t, "Allow", first.Effect)
			assert.Equal(t, map[string]any{"AWS": root}, first.Principal, "the account root administers the key")
			assert.Equal(t, "kms:*", first.Action)
			for i, s := range doc.Statement[1:] {
				assert.Equal(t, "Allow", s.Effect)
				assert.Equal(t, c.principals[i], s.Principal)
				if c.conditions[i] != nil {
					assert.Equal(t, c.conditions[i], s.Condition, "service grants are conditioned where AWS supports it")
				} else {
					assert.Nil(t, s.Condition)
				}
				// AWS KMS's key-user actions ("Allows key users to use the
				// key" in the default key policy) and grants for AWS services:
				// never administration (ScheduleKeyDeletion, PutKeyPolicy...).
				for _, a := range strs(toAny(s.Action)) {
					assert.Contains(t, []string{"kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey", "kms:GenerateDataKey*", "kms:DescribeKey", "kms:CreateGrant"}, a,
						"%s statement %d: services and accounts get key use, not administration", c.purpose, i+1)
				}
			}
		})
	}
}

func validKeysArgs() components.KeysArgs {
	return components.KeysArgs{AccountID: "123456789012", Region: "us-east-1", AliasPrefix: "docustack-test", Tags: stackTags}
}

func TestKeysArgsValidate(t *testing.T) {
	cases := []struct {
		name   string
		mutate func(*components.KeysArgs)
		want   []string
	}{
		{"valid defaults", func(*components.KeysArgs) {}, nil},
		{"account", func(a *components.KeysArgs) { a.AccountID = "12345" }, []string{`accountId: got "12345", want a 12-digit AWS account ID`}},
		{"window too short", func(a *components.KeysArgs) { a.DeletionWindowDays = 6 }, []string{`deletionWindowDays: got 6, want 7..30 days`}},
		{"window too long", func(a *components.KeysArgs) { a.DeletionWindowDays = 31 }, []string{`deletionWindowDays: got 31, want 7..30 days`}},
		{"purpose", func(a *components.KeysArgs) { a.Purposes = []components.KeyPurpose{"backups"} }, []string{`purposes[0]: got "backups", want one of`}},
		{"duplicate purpose", func(a *components.KeysArgs) { a.Purposes = []components.KeyPurpose{"logs", "logs"} }, []string{`purposes[1]: got "logs", want each purpose once`}},
		{"alias", func(a *components.KeysArgs) { a.AliasPrefix = "bad alias" }, []string{`aliasPrefix: got "bad alias"`}},
		{"region", func(a *components.KeysArgs) { a.Region = "" }, []string{`region: got ""`}},
		{"tags", func(a *components.KeysArgs) { delete(a.Tags, components.TagOwner) }, []string{`tags.Owner: got ""`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			args := validKeysArgs()
			args.Tags = components.Tags{}
			for k, v := range stackTags {
				args.Tags[k] = v
			}
			c.mutate(&args)
			assertErrors(t, args.Validate(), c.want)
		})
	}
}

func TestKeysDefaults(t *testing.T) {
	p := synthesize(t, func(ctx *pulumi.Context) error {
		_, err := components.NewKeys(ctx, "k", validKeysArgs())
		return err
	})
	var names []string
	for _, k := range p.ByType("aws:kms/key:Key") {
		names = append(names, k.Name)
	}
	// One key per purpose (seed: Customer Managed Key): documents, the
	// database, logs, EBS volumes.
	assert.ElementsMatch(t, []string{"k-data", "k-database", "k-logs", "k-ebs"}, names)
	k := mustNamed(t, p, "k-data")
	assert.Equal(t, 30, k.Int("deletionWindowInDays"), "AWS's longest window: a mistaken deletion can be cancelled for 30 days")
	assert.False(t, k.Protect, "protection is opt-in outside prod")
}
