package components_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/docustack/infrastructure/components"
)

// WAF logging (issue 24): every stack's web ACL logs to its account's
// aws-waf-logs- bucket (the only destination AWS WAF takes: a bucket of the
// web ACL's account with that prefix), without the credential headers, and
// the bucket replicates that account's log files into the Log Archive's WAF
// bucket, encrypted there with the archive's key.
func TestWAFLogging(t *testing.T) {
	org := stackPlan(t, "org")
	archive := mustNamed(t, org, "log-archive-waf-bucket")
	for _, stack := range []string{"dev", "staging", "prod"} {
		p := stackPlan(t, stack)
		bucket := mustNamed(t, p, "waf-logs-bucket")
		require.Equal(t, components.WAFLogBucketName("docustack-"+stack, accountOf(bucket.Str("bucket"))), bucket.Str("bucket"))
		require.True(t, strings.HasPrefix(bucket.Str("bucket"), "aws-waf-logs-"), stack)

		logging := mustNamed(t, p, "ingress-web-acl-logging")
		assert.Contains(t, logging.PropertyDependencies["resourceArn"], mustNamed(t, p, "ingress-web-acl").URN, "%s: the web ACL's own logging", stack)
		assert.Equal(t, []string{"arn:aws:s3:::" + bucket.Str("bucket")}, strs(logging.Get("logDestinationConfigs")), stack)
		var redacted []string
		for _, f := range logging.Get("redactedFields").([]any) {
			redacted = append(redacted, f.(map[string]any)["singleHeader"].(map[string]any)["name"].(string))
		}
		assert.Equal(t, []string{"authorization", "cookie"}, redacted, stack)
		for _, dep := range []string{"waf-logs-policy", "waf-logs-encryption"} {
			assert.Contains(t, logging.Dependencies, mustNamed(t, p, dep).URN, "%s: logging waits for the bucket's %s", stack, dep)
		}

		sse := mustNamed(t, p, "waf-logs-encryption")
		assert.Equal(t, "aws:kms", sse.Str("rules.0.applyServerSideEncryptionByDefault.sseAlgorithm"), "WAF supports a customer managed key")
		assert.Equal(t, keyArn(p, "logs"), sse.Str("rules.0.applyServerSideEncryptionByDefault.kmsMasterKeyId"))

		repl := mustNamed(t, p, "waf-logs-replication")
		rule := repl.Get("rules.0").(map[string]any)
		assert.Equal(t, "AWSLogs/"+accountOf(bucket.Str("bucket"))+"/WAFLogs/", rule["filter"].(map[string]any)["prefix"], stack)
		assert.Equal(t, "Enabled", rule["sourceSelectionCriteria"].(map[string]any)["sseKmsEncryptedObjects"].(map[string]any)["status"], "SSE-KMS objects replicate only when selected")
		dest := rule["destination"].(map[string]any)
		assert.Equal(t, "arn:aws:s3:::"+archive.Str("bucket"), dest["bucket"], stack)
		assert.Equal(t, "Destination", dest["accessControlTranslation"].(map[string]any)["owner"])
		assert.Contains(t, dest["encryptionConfiguration"].(map[string]any)["replicaKmsKeyId"], ":555555555555:key/", "the archive's key")
	}
	// The archive keeps a year, and admits each account's relay role under its own prefix only.
	lc := mustNamed(t, org, "log-archive-waf-lifecycle")
	assert.Equal(t, 365, int(lc.Get("rules.0.expiration.days").(float64)))
	var pol components.PolicyDocument
	require.NoError(t, json.Unmarshal([]byte(mustNamed(t, org, "log-archive-waf-policy").Str("policy")), &pol))
	var accounts []string
	for _, s := range pol.Statement {
		if strings.HasPrefix(s.Sid, "WAFRelayReplicate") {
			account := strings.TrimPrefix(s.Sid, "WAFRelayReplicateAccount")
			accounts = append(accounts, account)
			assert.Equal(t, "arn:aws:s3:::"+archive.Str("bucket")+"/AWSLogs/"+account+"/WAFLogs/*", s.Resource)
		}
	}
	assert.Subset(t, accounts, []string{"111111111111", "222222222222", "333333333333"}, "every workload account, each under its own prefix")
}

func accountOf(bucket string) string { return bucket[strings.LastIndex(bucket, "-")+1:] }

func TestWAFLogsArgsValidate(t *testing.T) {
	err := components.WAFLogsArgs{Prefix: "docustack-dev", AccountID: "111111111111", Region: "us-east-1", AccessLogsBucket: "logs",
		DestinationBucket: "archive", DestinationAccountID: "111111111111", DestinationKMSKeyArn: "arn:aws:kms:us-east-1:222222222222:key/k", Tags: stackTags}.Validate()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "destinationAccountId: got \"111111111111\", want the Log Archive account's 12-digit ID, not this account's")
	assert.Contains(t, err.Error(), "destinationKmsKeyArn")
}
