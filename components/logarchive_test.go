package components_test

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/docustack/infrastructure/components"
	"github.com/docustack/infrastructure/internal/synth"
)

// bucketChild returns the one resource of typ whose bucket input is bucket.
func bucketChild(t *testing.T, p *synth.Plan, typ, bucketID string) synth.Resource {
	t.Helper()
	var found []synth.Resource
	for _, r := range p.ByType(typ) {
		if r.Str("bucket") == bucketID {
			found = append(found, r)
		}
	}
	require.Len(t, found, 1, "%s for bucket %s", typ, bucketID)
	return found[0]
}

func TestLogArchive(t *testing.T) {
	cases := []struct {
		stack     string
		lockMode  string
		protected bool
	}{
		{"dev", "GOVERNANCE", false},
		{"staging", "GOVERNANCE", false},
		{"prod", "COMPLIANCE", true},
	}
	for _, c := range cases {
		t.Run(c.stack, func(t *testing.T) {
			p := standalonePlan(t, c.stack)
			b := mustNamed(t, p, "log-archive-bucket")
			id := b.ID
			assert.Equal(t, true, b.Get("objectLockEnabled"))
			assert.Equal(t, c.protected, b.Protect)
			assert.Equal(t, c.protected, b.RetainOnDelete)

			v := bucketChild(t, p, "aws:s3/bucketVersioningV2:BucketVersioningV2", id)
			assert.Equal(t, "Enabled", v.Str("versioningConfiguration.status"))

			pab := bucketChild(t, p, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", id)
			for _, f := range []string{"blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"} {
				assert.Equal(t, true, pab.Get(f), f)
			}
			own := bucketChild(t, p, "aws:s3/bucketOwnershipControls:BucketOwnershipControls", id)
			assert.Equal(t, "BucketOwnerEnforced", own.Str("rule.objectOwnership"))

			// Flow logs only (no ALB or S3 access logs): SSE-KMS with the logs CMK.
			enc := bucketChild(t, p, "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2", id)
			assert.Equal(t, "aws:kms", enc.Str("rules.0.applyServerSideEncryptionByDefault.sseAlgorithm"))
			logsKey, _ := p.Outputs["kmsKeyArns"].(map[string]any)["logs"].(string)
			require.NotEmpty(t, logsKey)
			assert.Equal(t, logsKey, enc.Str("rules.0.applyServerSideEncryptionByDefault.kmsMasterKeyId"))
			assert.Equal(t, true, enc.Get("rules.0.bucketKeyEnabled"))

			lock := bucketChild(t, p, "aws:s3/bucketObjectLockConfigurationV2:BucketObjectLockConfigurationV2", id)
			assert.Equal(t, c.lockMode, lock.Str("rule.defaultRetention.mode"))
			assert.Equal(t, 365, lock.Int("rule.defaultRetention.days"))

			// Seed, Audit Logging: VPC Flow Logs 1 year, CloudTrail 7 years.
			lc := bucketChild(t, p, "aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2", id)
			for i, want := range []struct {
				prefix string
				days   int
			}{{"vpc-flow-logs/", 365}, {"cloudtrail/", 2557}} {
				r := fmt.Sprintf("rules.%d.", i)
				assert.Equal(t, want.prefix, lc.Str(r+"filter.prefix"))
				assert.Equal(t, want.days, lc.Int(r+"expiration.days"), want.prefix)
				assert.Equal(t, "Enabled", lc.Str(r+"status"))
			}

			pol := bucketChild(t, p, "aws:s3/bucketPolicy:BucketPolicy", id)
			var doc components.PolicyDocument
			require.NoError(t, json.Unmarshal([]byte(pol.Str("policy")), &doc))
			arn := "arn:aws:s3:::" + id
			require.GreaterOrEqual(t, len(doc.Statement), 2)
			tls := doc.Statement[0]
			assert.Equal(t, "Deny", tls.Effect)
			assert.Equal(t, map[string]map[string]any{"Bool": {"aws:SecureTransport": "false"}}, tls.Condition)
			assert.Equal(t, []any{arn, arn + "/*"}, tls.Resource)
			assert.Equal(t, map[string]map[string]any{"NumericLessThan": {"s3:TlsVersion": "1.2"}}, doc.Statement[1].Condition)
			// Only this account's log deliveries may write, each under its
			// prefix; flow logs in either of their layouts (plain and
			// Hive-compatible: AWSLogs/aws-account-id=<account>/...).
			writers := map[string]any{}
			for _, s := range doc.Statement[2:] {
				if s.Action == "s3:PutObject" {
					writers[s.Principal["Service"].(string)] = s.Resource
				}
				assert.NotEmpty(t, s.Condition, "%s is conditioned on the source", s.Sid)
			}
			account := p.Outputs["accountId"].(string)
			assert.Equal(t, map[string]any{
				"delivery.logs.amazonaws.com": []any{arn + "/vpc-flow-logs/AWSLogs/" + account + "/*", arn + "/vpc-flow-logs/AWSLogs/aws-account-id=" + account + "/*"},
				"cloudtrail.amazonaws.com":    arn + "/cloudtrail/AWSLogs/*",
			}, writers)

			// AWS Config has a bucket of its own, without Object Lock.
			cb := mustNamed(t, p, "log-archive-config-bucket")
			assert.Equal(t, "docustack-"+c.stack+"-config-"+account, cb.ID)
			assert.Equal(t, false, cb.Get("objectLockEnabled"))
			clc := bucketChild(t, p, "aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2", cb.ID)
			assert.Equal(t, "config/", clc.Str("rules.0.filter.prefix"))
			assert.Equal(t, 2557, clc.Int("rules.0.expiration.days"))
			cpol := bucketChild(t, p, "aws:s3/bucketPolicy:BucketPolicy", cb.ID)
			assert.Contains(t, cpol.Str("policy"), "arn:aws:s3:::"+cb.ID+"/config/AWSLogs/"+account+"/Config/*")
		})
	}
}

func TestAccessLogsBucket(t *testing.T) {
	for _, stack := range []string{"dev", "prod"} {
		t.Run(stack, func(t *testing.T) {
			p := standalonePlan(t, stack)
			b := mustNamed(t, p, "log-archive-access-bucket")
			id := b.ID
			assert.Equal(t, false, b.Get("objectLockEnabled"), "S3 server access logging refuses Object Lock default retention")
			assert.Equal(t, "alb+s3-access", b.Tags()["LogDelivery"])
			assert.Equal(t, stack == "prod", b.Protect)

			// DESIGN §4: ALB and S3 access logs are delivered only to SSE-S3 buckets.
			enc := bucketChild(t, p, "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2", id)
			assert.Equal(t, "AES256", enc.Str("rules.0.applyServerSideEncryptionByDefault.sseAlgorithm"))
			assert.Nil(t, enc.Get("rules.0.applyServerSideEncryptionByDefault.kmsMasterKeyId"))

			assert.Equal(t, "Enabled", bucketChild(t, p, "aws:s3/bucketVersioningV2:BucketVersioningV2", id).Str("versioningConfiguration.status"))
			assert.Equal(t, true, bucketChild(t, p, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", id).Get("restrictPublicBuckets"))

			// Seed, Audit Logging: ALB access logs and S3 access logs 1 year.
			lc := bucketChild(t, p, "aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2", id)
			assert.Equal(t, "alb/", lc.Str("rules.0.filter.prefix"))
			assert.Equal(t, 365, lc.Int("rules.0.expiration.days"))
			assert.Equal(t, "s3-access/", lc.Str("rules.1.filter.prefix"))
			assert.Equal(t, 365, lc.Int("rules.1.expiration.days"))

			var doc components.PolicyDocument
			require.NoError(t, json.Unmarshal([]byte(bucketChild(t, p, "aws:s3/bucketPolicy:BucketPolicy", id).Str("policy")), &doc))
			require.Len(t, doc.Statement, 4)
			assert.Equal(t, "Deny", doc.Statement[0].Effect)
			account := p.Outputs["accountId"].(string)
			assert.Equal(t, map[string]any{"AWS": "arn:aws:iam::127311923021:root"}, doc.Statement[2].Principal, "us-east-1 ELB log account")
			assert.Equal(t, []any{"arn:aws:s3:::" + id + "/alb/AWSLogs/" + account + "/*"}, doc.Statement[2].Resource)
			assert.Equal(t, map[string]any{"Service": "logging.s3.amazonaws.com"}, doc.Statement[3].Principal)
			assert.Equal(t, map[string]map[string]any{"StringEquals": {"aws:SourceAccount": []any{account}}}, doc.Statement[3].Condition)
		})
	}
}

func validLogArchiveArgs() components.LogArchiveArgs {
	return components.LogArchiveArgs{
		BucketName: "docustack-test-logs", AccessLogsBucketName: "docustack-test-access", ConfigBucketName: "docustack-test-config", AccountID: "123456789012", Region: "us-east-1",
		KMSKeyArn: pulumi.String("arn:aws:kms:us-east-1:123456789012:key/test"), Tags: stackTags,
	}
}

func TestLogArchiveArgsValidate(t *testing.T) {
	cases := []struct {
		name   string
		mutate func(*components.LogArchiveArgs)
		want   []string
	}{
		{"valid", func(*components.LogArchiveArgs) {}, nil},
		{"bucket name", func(a *components.LogArchiveArgs) { a.BucketName = "Logs_Bucket" }, []string{`bucketName: got "Logs_Bucket"`}},
		{"lock mode", func(a *components.LogArchiveArgs) { a.ObjectLockMode = "LEGAL" }, []string{`objectLockMode: got "LEGAL", want "GOVERNANCE" or "COMPLIANCE"`}},
		{"lock longer than retention", func(a *components.LogArchiveArgs) { a.ObjectLockDays = 400 }, []string{`objectLockDays: got 400, want 1..365 days`}},
		{"retention", func(a *components.LogArchiveArgs) { a.FlowLogRetentionDays = 5000 }, []string{`flowLogRetentionDays: got 5000, want 1..3653 days`}},
		{"account", func(a *components.LogArchiveArgs) { a.AccountID = "x" }, []string{`accountId: got "x"`}},
		{"same bucket twice", func(a *components.LogArchiveArgs) { a.AccessLogsBucketName = a.BucketName },
			[]string{`accessLogsBucketName: got "docustack-test-logs", want 3-63 characters of [a-z0-9.-], not the audit bucket's name`}},
		{"region without ELB account", func(a *components.LogArchiveArgs) { a.Region = "ap-south-2" },
			[]string{`region: got "ap-south-2", want a region with a known ELB log-delivery account`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			args := validLogArchiveArgs()
			c.mutate(&args)
			assertErrors(t, args.Validate(), c.want)
		})
	}
}

func TestLogArchiveNeedsKey(t *testing.T) {
	args := validLogArchiveArgs()
	args.KMSKeyArn = nil
	plan, err := synth.Run(synth.Options{}, func(ctx *pulumi.Context) error {
		_, err := components.NewLogArchive(ctx, "la", args)
		return err
	})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "kmsKeyArn")
	assert.Empty(t, plan.Resources)
}
