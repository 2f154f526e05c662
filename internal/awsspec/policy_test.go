package awsspec

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// Each check has a passing case (a document shaped like AWS's own example
// for that policy kind) and a failing one, named by the Access Analyzer
// check or quota it breaks.
func TestValidate(t *testing.T) {
	// IAM User Guide, "Creating a role for a third-party identity provider"
	// (GitHub OIDC) and "Roles terms and concepts" (EC2 trust policy).
	const ec2Trust = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	const githubTrust = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"token.actions.githubusercontent.com:aud":"sts.amazonaws.com","token.actions.githubusercontent.com:sub":"repo:octo-org/octo-repo:ref:refs/heads/main"}}}]}`
	// S3 User Guide, "Bucket policy examples": deny requests without TLS.
	const tlsOnly = `{"Version":"2012-10-17","Statement":[{"Sid":"RestrictToTLSRequestsOnly","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::amzn-s3-demo-bucket","arn:aws:s3:::amzn-s3-demo-bucket/*"],"Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}`
	// KMS Developer Guide, "Default key policy".
	const keyDefault = `{"Version":"2012-10-17","Id":"key-default-1","Statement":[{"Sid":"Enable IAM User Permissions","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:*","Resource":"*"}]}`
	// CloudWatch Logs User Guide, "Encrypt log data in CloudWatch Logs using AWS KMS".
	const logsKey = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"logs.us-east-1.amazonaws.com"},"Action":["kms:Encrypt*","kms:Decrypt*","kms:ReEncrypt*","kms:GenerateDataKey*","kms:Describe*"],"Resource":"*","Condition":{"ArnEquals":{"kms:EncryptionContext:aws:logs:arn":"arn:aws:logs:us-east-1:111122223333:log-group:log-group-name"}}}]}`
	// Organizations User Guide, "Example SCPs": deny leaving the organization.
	const scpDeny = `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":["organizations:LeaveOrganization"],"Resource":"*"}]}`
	// IAM User Guide, identity-based policy example: read one bucket.
	const identity = `{"Version":"2012-10-17","Statement":[{"Sid":"ListObjectsInBucket","Effect":"Allow","Action":["s3:ListBucket"],"Resource":["arn:aws:s3:::bucket-name"]},{"Sid":"AllObjectActions","Effect":"Allow","Action":"s3:*Object","Resource":["arn:aws:s3:::bucket-name/*"]}]}`

	big := `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":[` +
		strings.Repeat(`"s3:GetObject",`, 400) + `"s3:GetObject"],"Resource":"*"}]}`

	cases := []struct {
		name string
		kind PolicyKind
		doc  string
		want string // the check that fails; "" for a valid document
	}{
		{"trust: EC2", KindTrust, ec2Trust, ""},
		{"trust: GitHub OIDC", KindTrust, githubTrust, ""},
		{"trust: Resource present", KindTrust, strings.Replace(ec2Trust, `"Action":"sts:AssumeRole"`, `"Action":"sts:AssumeRole","Resource":"*"`, 1), "Invalid policy element"},
		{"trust: Resource null", KindTrust, strings.Replace(ec2Trust, `"Action":"sts:AssumeRole"`, `"Action":"sts:AssumeRole","Resource":null`, 1), "Data type mismatch"},
		{"trust: no principal", KindTrust, strings.Replace(ec2Trust, `"Principal":{"Service":"ec2.amazonaws.com"},`, "", 1), "Missing principal"},
		{"trust: not an STS action", KindTrust, strings.Replace(ec2Trust, "sts:AssumeRole", "s3:GetObject", 1), "Invalid action"},
		{"trust: service principal format", KindTrust, strings.Replace(ec2Trust, "ec2.amazonaws.com", "ec2", 1), "Invalid service principal format"},
		{"trust: OIDC provider ARN with a Region", KindTrust, strings.Replace(githubTrust, "iam::111122223333", "iam:us-east-1:111122223333", 1), "Invalid principal format"},
		{"trust: over 2,048 characters", KindTrust, strings.Replace(githubTrust, "repo:octo-org/octo-repo:ref:refs/heads/main", strings.Repeat("x", 2100), 1), "Quota"},
		{"trust: unknown global key", KindTrust, strings.Replace(githubTrust, "StringEquals", "StringEquals\":{\"aws:SourceAcount\":\"1\"},\"StringLike", 1), "Invalid global condition key"},
		{"identity: bucket read", KindIdentity, identity, ""},
		{"identity: principal", KindIdentity, strings.Replace(identity, `"Effect":"Allow","Action":["s3:ListBucket"]`, `"Effect":"Allow","Principal":"*","Action":["s3:ListBucket"]`, 1), "Unsupported principal"},
		{"identity: no resource", KindIdentity, strings.Replace(identity, `,"Resource":["arn:aws:s3:::bucket-name"]`, "", 1), "Missing resource"},
		{"identity: unknown action", KindIdentity, strings.Replace(identity, "s3:ListBucket", "s3:ListBuckets3", 1), "Invalid action"},
		{"identity: unknown service", KindIdentity, strings.Replace(identity, "s3:ListBucket", "s4:ListBucket", 1), "Invalid service in action"},
		{"identity: S3 ARN with a Region", KindIdentity, strings.Replace(identity, "arn:aws:s3:::bucket-name\"]}", "arn:aws:s3:us-east-1::bucket-name\"]}", 1), "ARN Region not allowed"},
		{"identity: S3 bucket ARN with an account", KindIdentity, strings.Replace(identity, "arn:aws:s3:::bucket-name\"]}", "arn:aws:s3::111122223333:bucket-name\"]}", 1), "ARN account not allowed"},
		{"identity: KMS key ARN without a Region", KindIdentity, strings.Replace(identity, "arn:aws:s3:::bucket-name/*", "arn:aws:kms::111122223333:key/1234", 1), "Missing ARN Region"},
		{"identity: partition", KindIdentity, strings.Replace(identity, "arn:aws:s3:::bucket-name\"]}", "arn:amazon:s3:::bucket-name\"]}", 1), "Invalid partition"},
		{"identity: Sid with a space", KindIdentity, strings.Replace(identity, "ListObjectsInBucket", "List Objects", 1), "Unsupported Sid"},
		{"identity: duplicate Sid", KindIdentity, strings.Replace(identity, "AllObjectActions", "ListObjectsInBucket", 1), "Unique Sids required"},
		// sts:AssumeRole's "role" resource is an IAM ARN ("Actions defined by AWS STS").
		{"identity: assume a role of another account", KindIdentity, strings.Replace(identity, `"Action":["s3:ListBucket"],"Resource":["arn:aws:s3:::bucket-name"]`, `"Action":"sts:AssumeRole","Resource":["arn:aws:iam::111122223333:role/reader"]`, 1), ""},
		{"identity: assume something that is not a role", KindIdentity, strings.Replace(identity, `"Action":["s3:ListBucket"],"Resource":["arn:aws:s3:::bucket-name"]`, `"Action":"sts:AssumeRole","Resource":["arn:aws:s3:::bucket-name"]`, 1), "Unsupported resource ARN in policy"},
		{"identity: resource of no type the action takes", KindIdentity, strings.Replace(identity, `"Action":["s3:ListBucket"],"Resource":["arn:aws:s3:::bucket-name"]`, `"Action":["s3:ListBucket"],"Resource":["arn:aws:kms:us-east-1:111122223333:key/1234"]`, 1), "Unsupported resource ARN in policy"},
		{"bucket: TLS only", KindBucket, tlsOnly, ""},
		{"bucket: Bool with two values", KindBucket, strings.Replace(tlsOnly, `"aws:SecureTransport":"false"`, `"aws:SecureTransport":["false","true"]`, 1), "Invalid condition multiple Boolean"},
		{"bucket: Bool value", KindBucket, strings.Replace(tlsOnly, `"aws:SecureTransport":"false"`, `"aws:SecureTransport":"no"`, 1), "Invalid condition data type"},
		{"bucket: operator", KindBucket, strings.Replace(tlsOnly, `"Bool"`, `"Boolean"`, 1), "Invalid condition operator"},
		{"bucket: NullIfExists", KindBucket, strings.Replace(tlsOnly, `"Bool"`, `"NullIfExists"`, 1), "Null with if exists"},
		{"bucket: String operator on a Bool key", KindBucket, strings.Replace(tlsOnly, `"Bool"`, `"NumericEquals"`, 1), "Invalid condition data type"},
		{"bucket: no principal", KindBucket, strings.Replace(tlsOnly, `"Principal":"*",`, "", 1), "Missing principal"},
		{"bucket: principal key", KindBucket, strings.Replace(tlsOnly, `"Principal":"*"`, `"Principal":{"Account":"111122223333"}`, 1), "Invalid principal key"},
		{"bucket: wildcard in a principal ARN", KindBucket, strings.Replace(tlsOnly, `"Principal":"*"`, `"Principal":{"AWS":"arn:aws:iam::111122223333:role/*"}`, 1), "Unsupported wildcard in principal"},
		{"bucket: Action and NotAction", KindBucket, strings.Replace(tlsOnly, `"Action":"s3:*"`, `"Action":"s3:*","NotAction":"s3:GetObject"`, 1), "Unsupported element combination"},
		{"key: default", KindKey, keyDefault, ""},
		{"key: CloudWatch Logs", KindKey, logsKey, ""},
		{"key: effect", KindKey, strings.Replace(keyDefault, `"Effect":"Allow"`, `"Effect":"Permit"`, 1), "Invalid effect"},
		{"key: version", KindKey, strings.Replace(keyDefault, "2012-10-17", "2012-10-18", 1), "Invalid version"},
		{"key: over 32 KB", KindKey, strings.Replace(keyDefault, `"Resource":"*"`, `"Resource":"*","Condition":{"StringEquals":{"kms:ViaService":"`+strings.Repeat("x", 33000)+`"}}`, 1), "Quota"},
		{"key: unknown KMS key", KindKey, strings.Replace(logsKey, "kms:EncryptionContext:aws:logs:arn", "kms:EncryptionKontext", 1), "Invalid service condition key"},
		{"scp: deny leave", KindSCP, scpDeny, ""},
		{"scp: principal", KindSCP, strings.Replace(scpDeny, `"Effect":"Deny",`, `"Effect":"Deny","Principal":"*",`, 1), "SCP syntax error principal"},
		{"scp: wildcard inside an action", KindSCP, strings.Replace(scpDeny, "organizations:LeaveOrganization", "organizations:*Organization", 1), "SCP syntax error action wildcard"},
		{"scp: over 5,120 characters", KindSCP, big, "Quota"},
		{"json", KindSCP, `{"Version":`, "Json syntax error"},
		{"no statement", KindSCP, `{"Version":"2012-10-17"}`, "Missing statement"},
		{"element", KindSCP, strings.Replace(scpDeny, `"Effect"`, `"Effekt":"x","Effect"`, 1), "Invalid policy element"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ps := Validate(c.kind, c.doc)
			if c.want == "" {
				assert.Empty(t, ps, "%s", ps)
				return
			}
			var checks []string
			for _, p := range ps {
				checks = append(checks, p.Check)
			}
			assert.Contains(t, checks, c.want, "%v", ps)
		})
	}
}

func TestSizeIgnoresWhitespaceOnlyForIAM(t *testing.T) {
	doc := `{ "Version" : "2012-10-17", "Statement" : [ ] }`
	assert.Equal(t, len(strings.ReplaceAll(doc, " ", "")), Size(KindTrust, doc))
	assert.Equal(t, len(doc), Size(KindSCP, doc))
	// White space inside a string counts.
	assert.Equal(t, len(`{"Sid":"ab"}`), Size(KindTrust, `{"Sid":"a b"}`)-1)
}

func TestPrincipals(t *testing.T) {
	doc := `{"Statement":[{"Principal":{"AWS":["arn:aws:iam::111122223333:root","*","111122223333"],"Service":"s3.amazonaws.com"}},{"Principal":{"Federated":"arn:aws:iam::111122223333:oidc-provider/x"}}]}`
	assert.Equal(t, []string{"arn:aws:iam::111122223333:root", "arn:aws:iam::111122223333:oidc-provider/x"}, Principals(doc))
}

func TestResourceTypesIntersectWildcards(t *testing.T) {
	c := IAM()
	// A log group ARN ending in :* covers its streams.
	assert.Contains(t, c.ResourceTypes("logs", "arn:aws:logs:us-east-1:111122223333:log-group:/ecs/web:*"), "log-stream")
	assert.Contains(t, c.ResourceTypes("s3", "arn:aws:s3:::bucket/*"), "object")
	assert.NotContains(t, c.ResourceTypes("s3", "arn:aws:s3:::bucket/*"), "job")
	assert.Empty(t, c.ResourceTypes("s3", "arn:aws:s3:us-east-1::bucket"))
}

func TestCatalogueVersions(t *testing.T) {
	assert.Equal(t, "0.21.202609261", IAM().Version)
	assert.Equal(t, "0.1.216", CFN().Version)
	assert.True(t, IAM().IsService("kms"))
	assert.False(t, IAM().IsService("s4"))
}

// TestUniqueNamesCoverCloudFormation: every mapped type whose
// CloudFormation primary identifier is a settable name property has its
// name input in uniqueNames, so the table cannot miss what the registry says.
func TestUniqueNamesCoverCloudFormation(t *testing.T) {
	loadCFN()
	for typ, m := range cfnMap {
		if m == nil {
			continue
		}
		ct := CFN().Types[m.CFN]
		for _, id := range ct.PrimaryIdentifier {
			if _, settable := ct.Properties[id]; !settable || !(strings.HasSuffix(id, "Name") || strings.HasSuffix(id, "Identifier")) {
				continue
			}
			if m.CFN == "AWS::Route53::RecordSet" || m.CFN == "AWS::Config::RemediationConfiguration" || m.CFN == "AWS::Logs::MetricFilter" && id == "LogGroupName" {
				continue // keyed by what they attach to: a replacement changes that key
			}
			_, ok := uniqueNames[typ]
			assert.True(t, ok, "%s: CloudFormation's %s is identified by %s; add its name input to uniqueNames", typ, m.CFN, id)
		}
	}
}
