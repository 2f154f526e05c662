package rules

import "fmt"

// bucketChildTypes are the split S3 resources that configure a BucketV2.
var bucketTypes = []string{tBucketV2, tBucketLegacy}

// bucketRule builds a stack rule that checks each bucket against its split
// configuration resources (correlated through the `bucket` property).
func bucketRule(check func(s *Stack, b Res) string) func(s *Stack) []Violation {
	return func(s *Stack) []Violation {
		var out []Violation
		for _, b := range s.OfType(bucketTypes...) {
			if msg := check(s, b); msg != "" {
				out = append(out, Violation{URN: b.URN, Message: msg})
			}
		}
		return out
	}
}

// logDeliveryBucket reports whether AWS requires SSE-S3 for the bucket: it
// receives ALB access logs or S3 server access logs.
func logDeliveryBucket(b Res) bool { return b.Tag(tagLogDelivery) != "" }

var s3Rules = []Rule{
	{
		ID:      "DS-S3-001",
		Title:   "S3 buckets use SSE-KMS with a customer managed key (SSE-S3 only where AWS log delivery requires it)",
		HIPAA:   hipaaEncryption,
		Control: "Encryption at rest: S3 Buckets SSE-KMS, CMK; Config rule s3-bucket-server-side-encryption-enabled",
		Level:   Mandatory,
		Remediation: "add a BucketServerSideEncryptionConfigurationV2 with sseAlgorithm aws:kms and the data CMK " +
			"(kmsMasterKeyId); buckets tagged LogDelivery use AES256",
		Stack: bucketRule(func(s *Stack, b Res) string {
			configs := s.Children(b, "bucket", tBucketSSE)
			algo, key, known := "", "", true
			for _, c := range configs {
				if c.Unknown("rules") {
					known = false
				}
				if a, ok := c.Str("rules.0.applyServerSideEncryptionByDefault.sseAlgorithm"); ok {
					algo = a
					key = c.S("rules.0.applyServerSideEncryptionByDefault.kmsMasterKeyId")
					if c.Unknown("rules.0.applyServerSideEncryptionByDefault.kmsMasterKeyId") {
						key = "(computed)"
					}
				}
			}
			if a, ok := b.Str("serverSideEncryptionConfiguration.rule.applyServerSideEncryptionByDefault.sseAlgorithm"); ok && algo == "" {
				algo = a
				key = b.S("serverSideEncryptionConfiguration.rule.applyServerSideEncryptionByDefault.kmsMasterKeyId")
			}
			if !known {
				return ""
			}
			switch {
			case logDeliveryBucket(b) && algo != "AES256":
				return fmt.Sprintf("%s receives %s logs, which AWS delivers only to SSE-S3 buckets; its encryption is %q", b.Label(), b.Tag(tagLogDelivery), algo)
			case logDeliveryBucket(b):
				return ""
			case algo == "":
				return b.Label() + " has no server-side encryption configuration"
			case algo != "aws:kms" && algo != "aws:kms:dsse":
				return fmt.Sprintf("%s uses %s instead of SSE-KMS", b.Label(), algo)
			case key == "" || key == "alias/aws/s3":
				return b.Label() + " uses the AWS managed key instead of a customer managed key"
			}
			return ""
		}),
	},
	{
		ID:          "DS-S3-002",
		Title:       "S3 buckets are versioned",
		HIPAA:       hipaaIntegrity,
		Control:     "Backup Strategy: S3 Documents versioning; Terraform State S3 versioning",
		Level:       Mandatory,
		Remediation: "add a BucketVersioningV2 with versioningConfiguration.status Enabled",
		Stack: bucketRule(func(s *Stack, b Res) string {
			for _, v := range s.Children(b, "bucket", tBucketVersioning) {
				if v.Unknown("versioningConfiguration.status") || v.S("versioningConfiguration.status") == "Enabled" {
					return ""
				}
			}
			if on, _ := b.Bool("versioning.enabled"); on {
				return ""
			}
			return b.Label() + " is not versioned"
		}),
	},
	{
		ID:          "DS-S3-003",
		Title:       "S3 buckets block all public access",
		HIPAA:       hipaaTransmission,
		Control:     "SCP Deny Public S3; Network Security",
		Level:       Mandatory,
		Remediation: "add a BucketPublicAccessBlock with blockPublicAcls, blockPublicPolicy, ignorePublicAcls and restrictPublicBuckets all true",
		Stack: bucketRule(func(s *Stack, b Res) string {
			for _, p := range s.Children(b, "bucket", tBucketPAB) {
				missing := []string{}
				for _, f := range []string{"blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"} {
					if on, known := p.Bool(f); known && !on {
						missing = append(missing, f)
					}
				}
				if len(missing) == 0 {
					return ""
				}
				return fmt.Sprintf("%s's public access block leaves %s off", b.Label(), quoteList(missing))
			}
			return b.Label() + " has no public access block"
		}),
	},
	{
		ID:          "DS-S3-004",
		Title:       "S3 bucket policies deny requests without TLS",
		HIPAA:       hipaaTransmission,
		Control:     "Encryption in transit: ECS to S3 HTTPS TLS 1.2",
		Level:       Mandatory,
		Remediation: "add a bucket policy statement that denies s3:* on the bucket and its objects when aws:SecureTransport is false",
		Stack: bucketRule(func(s *Stack, b Res) string {
			for _, p := range s.Children(b, "bucket", tBucketPolicy) {
				if p.Unknown("policy") {
					return ""
				}
				doc, _ := p.JSONDoc("policy")
				for _, st := range doc.Statement {
					if st.Effect == "Deny" && containsAny(st.conditionValues("Bool", "aws:SecureTransport"), "false") &&
						containsAny(st.Action, "s3:*", "*") && len(st.Resource) >= 2 {
						return ""
					}
				}
				return b.Label() + "'s bucket policy does not deny insecure transport on the bucket and its objects"
			}
			return b.Label() + " has no bucket policy denying insecure transport"
		}),
	},
	{
		ID:          "DS-S3-005",
		Title:       "Document buckets replicate to the DR region",
		HIPAA:       hipaaContingency,
		Control:     "Backup Strategy: S3 Documents cross-region replication",
		Level:       Mandatory,
		Remediation: "add a BucketReplicationConfig with an enabled rule to the DR-region replica bucket",
		Stack: bucketRule(func(s *Stack, b Res) string {
			if b.Tag(tagPurpose) != "documents" {
				return ""
			}
			for _, r := range s.Children(b, "bucket", tBucketReplication) {
				if r.Unknown("rules") || r.S("rules.0.status") == "Enabled" {
					return ""
				}
			}
			return b.Label() + " holds documents but does not replicate to the DR region"
		}),
	},
	{
		ID:          "DS-S3-006",
		Title:       "Document buckets log server access to the log archive",
		HIPAA:       hipaaAudit,
		Control:     "Audit Logging: S3 Access Logs, document buckets, 1 year",
		Level:       Mandatory,
		Remediation: "add a BucketLoggingV2 targeting the log archive's access-log bucket",
		Stack: bucketRule(func(s *Stack, b Res) string {
			if b.Tag(tagPurpose) != "documents" || len(s.Children(b, "bucket", tBucketLogging)) > 0 {
				return ""
			}
			return b.Label() + " holds documents but has no server access logging"
		}),
	},
}
