package components_test

import (
	"encoding/json"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/docustack/infrastructure/components"
)

func TestDocuments(t *testing.T) {
	for _, stack := range []string{"dev", "prod"} {
		t.Run(stack, func(t *testing.T) {
			p := stackPlan(t, stack)
			account := p.Outputs["accountId"].(string)
			b := mustNamed(t, p, "documents-bucket")
			id := b.ID
			assert.Equal(t, "docustack-"+stack+"-documents-"+account, id)
			assert.Equal(t, "documents", b.Tags()["Purpose"])
			assert.Equal(t, stack == "prod", b.Protect)

			enc := bucketChild(t, p, "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2", id)
			assert.Equal(t, "aws:kms", enc.Str("rules.0.applyServerSideEncryptionByDefault.sseAlgorithm"))
			assert.Equal(t, keyArn(p, "data"), enc.Str("rules.0.applyServerSideEncryptionByDefault.kmsMasterKeyId"))
			assert.Equal(t, true, enc.Get("rules.0.bucketKeyEnabled"))
			assert.Equal(t, "Enabled", bucketChild(t, p, "aws:s3/bucketVersioningV2:BucketVersioningV2", id).Str("versioningConfiguration.status"))
			pab := bucketChild(t, p, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", id)
			assert.Equal(t, true, pab.Get("blockPublicPolicy"))

			// Seed: noncurrent versions kept indefinitely: no expiry rule at all.
			lc := bucketChild(t, p, "aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2", id)
			require.Len(t, lc.Get("rules"), 1)
			assert.Equal(t, "abort-incomplete-uploads", lc.Str("rules.0.id"))
			assert.Nil(t, lc.Get("rules.0.noncurrentVersionExpiration"))
			assert.Nil(t, lc.Get("rules.0.expiration"))

			var doc components.PolicyDocument
			require.NoError(t, json.Unmarshal([]byte(bucketChild(t, p, "aws:s3/bucketPolicy:BucketPolicy", id).Str("policy")), &doc))
			assert.Equal(t, "DenyInsecureTransport", doc.Statement[0].Sid)

			// Server access logs to the log archive (seed: S3 Access Logs, 1 year).
			logging := bucketChild(t, p, "aws:s3/bucketLoggingV2:BucketLoggingV2", id)
			assert.Equal(t, "docustack-"+stack+"-access-logs-"+account, logging.Str("targetBucket"))
			assert.Equal(t, "s3-access/"+id+"/", logging.Str("targetPrefix"))

			// Cross-region replication to the DR region, re-encrypted with the replica key.
			replica := mustNamed(t, p, "documents-replica-bucket")
			assert.Equal(t, "urn:pulumi:"+stack+"::docustack::pulumi:providers:aws::aws-dr", replica.Provider)
			drEnc := bucketChild(t, p, "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2", replica.ID)
			drKey := mustNamed(t, p, "keys-dr-data")
			assert.Contains(t, drEnc.Str("rules.0.applyServerSideEncryptionByDefault.kmsMasterKeyId"), drKey.ID)
			assert.Equal(t, "Enabled", bucketChild(t, p, "aws:s3/bucketVersioningV2:BucketVersioningV2", replica.ID).Str("versioningConfiguration.status"))
			rep := bucketChild(t, p, "aws:s3/bucketReplicationConfig:BucketReplicationConfig", id)
			assert.Equal(t, "Enabled", rep.Str("rules.0.status"))
			assert.Equal(t, "arn:aws:s3:::"+replica.ID, rep.Str("rules.0.destination.bucket"))
			assert.Contains(t, rep.Str("rules.0.destination.encryptionConfiguration.replicaKmsKeyId"), drKey.ID)
			assert.Equal(t, "Enabled", rep.Str("rules.0.sourceSelectionCriteria.sseKmsEncryptedObjects.status"))
			assert.Equal(t, "Enabled", rep.Str("rules.0.deleteMarkerReplication.status"))
			assert.Contains(t, rep.Str("role"), "documents-replication-role")

			role := mustNamed(t, p, "documents-replication-role")
			var rp components.PolicyDocument
			require.NoError(t, json.Unmarshal([]byte(role.Str("inlinePolicies.0.policy")), &rp))
			bySid := map[string]components.PolicyStatement{}
			for _, s := range rp.Statement {
				bySid[s.Sid] = s
			}
			assert.Equal(t, "arn:aws:s3:::"+replica.ID+"/*", bySid["WriteReplica"].Resource)
			assert.Equal(t, keyArn(p, "data"), bySid["DecryptSource"].Resource)
			assert.Equal(t, map[string]any{"kms:ViaService": "s3.us-west-2.amazonaws.com"}, bySid["EncryptReplica"].Condition["StringLike"])
		})
	}
}

func TestDocumentsArgsValidate(t *testing.T) {
	valid := components.DocumentsArgs{
		BucketName: "docs", ReplicaBucketName: "docs-replica", AccountID: "123456789012", Region: "us-east-1", DRRegion: "us-west-2",
		AccessLogsBucket: "access", Tags: stackTags,
		KMSKeyArn: pulumi.String("k"), ReplicaKMSKeyArn: pulumi.String("r"),
	}
	assertErrors(t, valid.Validate(), nil)
	same := valid
	same.DRRegion = "us-east-1"
	same.ReplicaBucketName = "docs"
	assertErrors(t, same.Validate(), []string{`drRegion: got "us-east-1", want an AWS region other than "us-east-1"`,
		`replicaBucketName: got "docs", want a name other than bucketName`})
}
