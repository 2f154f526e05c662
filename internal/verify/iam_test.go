package verify

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// Each case pins one semantic of IAM policy evaluation to an example from
// AWS's documentation (IAM User Guide: "Policy evaluation logic", "IAM JSON
// policy elements: Condition operators", "Principal", "NotAction"; Amazon S3
// User Guide: bucket policy examples).
func TestEvaluateLikeAWS(t *testing.T) {
	const acct = "111122223333"
	role := Principal{ARN: "arn:aws:iam::" + acct + ":role/app", Account: acct}
	cases := []struct {
		name     string
		policy   string
		resource bool
		req      Request
		want     Effect
	}{
		{"an explicit deny overrides an allow", `{"Statement":[
			{"Effect":"Allow","Action":"s3:*","Resource":"*"},
			{"Effect":"Deny","Action":"s3:DeleteObject","Resource":"*"}]}`, false,
			Request{Principal: role, Action: "s3:DeleteObject", Resource: "arn:aws:s3:::b/k"}, EffectDeny},
		{"nothing allows: implicit deny (not applicable)", `{"Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}`, false,
			Request{Principal: role, Action: "s3:PutObject", Resource: "arn:aws:s3:::b/k"}, EffectNone},
		{"actions match case-insensitively, resources with wildcards", `{"Statement":[{"Effect":"Allow","Action":"S3:Get*","Resource":"arn:aws:s3:::b/*"}]}`, false,
			Request{Principal: role, Action: "s3:GetObject", Resource: "arn:aws:s3:::b/a/b/c"}, EffectAllow},
		{"? matches exactly one character", `{"Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/file?.txt"}]}`, false,
			Request{Principal: role, Action: "s3:GetObject", Resource: "arn:aws:s3:::b/file10.txt"}, EffectNone},
		{"NotAction with Deny denies everything else (region SCP)", `{"Statement":[{"Effect":"Deny","NotAction":["iam:*","sts:*"],"Resource":"*",
			"Condition":{"StringNotEquals":{"aws:RequestedRegion":["us-east-1"]}}}]}`, false,
			Request{Principal: role, Action: "ec2:RunInstances", Resource: "*", Context: map[string][]string{"aws:RequestedRegion": {"eu-west-1"}}}, EffectDeny},
		{"NotAction leaves the listed actions alone", `{"Statement":[{"Effect":"Deny","NotAction":["iam:*"],"Resource":"*",
			"Condition":{"StringNotEquals":{"aws:RequestedRegion":["us-east-1"]}}}]}`, false,
			Request{Principal: role, Action: "iam:CreateRole", Resource: "*", Context: map[string][]string{"aws:RequestedRegion": {"eu-west-1"}}}, EffectNone},
		{"S3: deny when aws:SecureTransport is false", `{"Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::b/*",
			"Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}`, true,
			Request{Principal: role, Action: "s3:GetObject", Resource: "arn:aws:s3:::b/k", Context: map[string][]string{"aws:SecureTransport": {"false"}}}, EffectDeny},
		{"S3: TLS 1.2 passes a NumericLessThan 1.2 deny", `{"Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::b/*",
			"Condition":{"NumericLessThan":{"s3:TlsVersion":"1.2"}}}]}`, true,
			Request{Principal: role, Action: "s3:GetObject", Resource: "arn:aws:s3:::b/k", Context: map[string][]string{"s3:TlsVersion": {"1.2"}}}, EffectNone},
		{"a missing key makes a positive condition false", `{"Statement":[{"Effect":"Allow","Action":"s3:PutObject","Resource":"*",
			"Condition":{"StringEquals":{"s3:x-amz-acl":"bucket-owner-full-control"}}}]}`, false,
			Request{Principal: role, Action: "s3:PutObject", Resource: "arn:aws:s3:::b/k"}, EffectNone},
		{"a missing key makes a negated condition true", `{"Statement":[{"Effect":"Deny","Action":"s3:PutObject","Resource":"*",
			"Condition":{"StringNotEquals":{"s3:x-amz-server-side-encryption":"aws:kms"}}}]}`, false,
			Request{Principal: role, Action: "s3:PutObject", Resource: "arn:aws:s3:::b/k"}, EffectDeny},
		{"...IfExists is true when the key is missing", `{"Statement":[{"Effect":"Allow","Action":"ec2:RunInstances","Resource":"*",
			"Condition":{"StringEqualsIfExists":{"ec2:InstanceType":"t4g.nano"}}}]}`, false,
			Request{Principal: role, Action: "ec2:RunInstances", Resource: "*"}, EffectAllow},
		{"Null true matches an absent header (the seed's encryption SCP)", `{"Statement":[{"Effect":"Deny","Action":"s3:PutObject","Resource":"*",
			"Condition":{"Null":{"s3:x-amz-server-side-encryption":"true"}}}]}`, false,
			Request{Principal: role, Action: "s3:PutObject", Resource: "arn:aws:s3:::b/k"}, EffectDeny},
		{"Null true does not match a present header", `{"Statement":[{"Effect":"Deny","Action":"s3:PutObject","Resource":"*",
			"Condition":{"Null":{"s3:x-amz-server-side-encryption":"true"}}}]}`, false,
			Request{Principal: role, Action: "s3:PutObject", Resource: "arn:aws:s3:::b/k", Context: map[string][]string{"s3:x-amz-server-side-encryption": {"AES256"}}}, EffectNone},
		{"ForAnyValue matches one of several context values", `{"Statement":[{"Effect":"Allow","Action":"dynamodb:GetItem","Resource":"*",
			"Condition":{"ForAnyValue:StringEquals":{"dynamodb:Attributes":["ID","PostDateTime"]}}}]}`, false,
			Request{Principal: role, Action: "dynamodb:GetItem", Resource: "*", Context: map[string][]string{"dynamodb:Attributes": {"Title", "ID"}}}, EffectAllow},
		{"ArnLike with wildcards in the SourceArn", `{"Statement":[{"Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},"Action":"s3:PutObject","Resource":"arn:aws:s3:::b/AWSLogs/*",
			"Condition":{"ArnLike":{"aws:SourceArn":"arn:aws:cloudtrail:*:111122223333:trail/*"}}}]}`, true,
			Request{Principal: Principal{Service: "cloudtrail.amazonaws.com"}, Action: "s3:PutObject", Resource: "arn:aws:s3:::b/AWSLogs/x",
				Context: map[string][]string{"aws:SourceArn": {"arn:aws:cloudtrail:us-east-1:111122223333:trail/main"}}}, EffectAllow},
		{"a service principal is not another service", `{"Statement":[{"Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},"Action":"s3:PutObject","Resource":"*"}]}`, true,
			Request{Principal: Principal{Service: "config.amazonaws.com"}, Action: "s3:PutObject", Resource: "arn:aws:s3:::b/k"}, EffectNone},
		{"an account root principal stands for the account's principals", `{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:*","Resource":"*"}]}`, true,
			Request{Principal: role, Action: "kms:Decrypt", Resource: "*"}, EffectAllow},
		{"Principal * includes anonymous callers", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*"}]}`, true,
			Request{Principal: Principal{Anonymous: true}, Action: "s3:GetObject", Resource: "arn:aws:s3:::b/k"}, EffectAllow},
		{"ArnNotLike exempts a matching principal (the SCP exemption)", `{"Statement":[{"Effect":"Deny","Action":"cloudtrail:StopLogging","Resource":"*",
			"Condition":{"ArnNotLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/docustack-*-ci-deploy"}}}]}`, false,
			Request{Principal: Principal{ARN: "arn:aws:iam::111122223333:role/docustack-dev-ci-deploy", Account: acct}, Action: "cloudtrail:StopLogging", Resource: "*"}, EffectNone},
		{"ArnNotLike denies everyone else", `{"Statement":[{"Effect":"Deny","Action":"cloudtrail:StopLogging","Resource":"*",
			"Condition":{"ArnNotLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/docustack-*-ci-deploy"}}}]}`, false,
			Request{Principal: role, Action: "cloudtrail:StopLogging", Resource: "*"}, EffectDeny},
		// IAM User Guide, "IAM policy elements: Variables and tags": the
		// home-folder example, the default-value form, and a key the request
		// lacks.
		{"a policy variable in the Resource takes the context's value", `{"Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::amzn-s3-demo-bucket/home/${aws:username}/*"}]}`, false,
			Request{Principal: role, Action: "s3:GetObject", Resource: "arn:aws:s3:::amzn-s3-demo-bucket/home/alice/notes.txt", Context: map[string][]string{"aws:username": {"alice"}}}, EffectAllow},
		{"a policy variable does not match another user's folder", `{"Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::amzn-s3-demo-bucket/home/${aws:username}/*"}]}`, false,
			Request{Principal: role, Action: "s3:GetObject", Resource: "arn:aws:s3:::amzn-s3-demo-bucket/home/bob/notes.txt", Context: map[string][]string{"aws:username": {"alice"}}}, EffectNone},
		{"a policy variable whose key is absent matches nothing", `{"Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::amzn-s3-demo-bucket/home/${aws:username}/*"}]}`, false,
			Request{Principal: role, Action: "s3:GetObject", Resource: "arn:aws:s3:::amzn-s3-demo-bucket/home/${aws:username}/x"}, EffectNone},
		{"a policy variable's default applies when the key is absent", `{"Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::amzn-s3-demo-bucket/${aws:PrincipalTag/team, 'company-wide'}/*"}]}`, false,
			Request{Principal: role, Action: "s3:GetObject", Resource: "arn:aws:s3:::amzn-s3-demo-bucket/company-wide/x"}, EffectAllow},
		{"${aws:ResourceAccount} in a condition compares the principal's and the resource's account (AWS Backup's tagging statement)",
			`{"Statement":[{"Effect":"Allow","Action":"backup:TagResource","Resource":"arn:aws:backup:*:*:recovery-point:*","Condition":{"StringEquals":{"aws:PrincipalAccount":"${aws:ResourceAccount}"}}}]}`, false,
			Request{Principal: role, Action: "backup:TagResource", Resource: "arn:aws:backup:us-west-2:" + acct + ":recovery-point:rp-1"}, EffectAllow},
		{"... and refuses a recovery point of another account",
			`{"Statement":[{"Effect":"Allow","Action":"backup:TagResource","Resource":"arn:aws:backup:*:*:recovery-point:*","Condition":{"StringEquals":{"aws:PrincipalAccount":"${aws:ResourceAccount}"}}}]}`, false,
			Request{Principal: role, Action: "backup:TagResource", Resource: "arn:aws:backup:us-west-2:444455556666:recovery-point:rp-1"}, EffectNone},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d, err := ParseDocument(c.policy)
			if err != nil {
				t.Fatal(err)
			}
			assert.Equal(t, c.want, d.Evaluate(c.req, c.resource).Effect)
		})
	}
}

// Within an account either side may allow; for KMS the key policy must allow
// the principal or delegate to the account; across accounts both must allow.
func TestAuthorizeCombinesPolicies(t *testing.T) {
	w := &world{account: "111122223333", region: "us-east-1"}
	role := Principal{ARN: "arn:aws:iam::111122223333:role/app", Account: "111122223333"}
	allowAll := mustDoc(`{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`)
	delegating := mustDoc(`{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:*","Resource":"*"}]}`)
	nothing := mustDoc(`{"Statement":[]}`)
	req := Request{Principal: role, Action: "kms:Decrypt", Resource: "arn:aws:kms:us-east-1:111122223333:key/k"}

	ok, _ := w.authorize(req, policies{identity: []Document{allowAll}, resource: &delegating, isKey: true, resName: "key"})
	assert.True(t, ok, "delegation plus an identity allow")
	ok, why := w.authorize(req, policies{resource: &delegating, isKey: true, resName: "key"})
	assert.False(t, ok, "delegation alone does not grant")
	assert.Contains(t, why, "no identity policy allows it")
	ok, _ = w.authorize(req, policies{identity: []Document{allowAll}, resource: &nothing, isKey: true, resName: "key"})
	assert.False(t, ok, "an identity allow cannot override a key policy that does not delegate")

	s3req := Request{Principal: role, Action: "s3:GetObject", Resource: "arn:aws:s3:::b/k"}
	ok, _ = w.authorize(s3req, policies{identity: []Document{allowAll}, resourceAccount: "111122223333", resName: "bucket"})
	assert.True(t, ok, "same account: the identity policy suffices")
	other := Request{Principal: Principal{ARN: "arn:aws:iam::444455556666:role/x", Account: "444455556666"}, Action: "s3:GetObject", Resource: "arn:aws:s3:::b/k"}
	ok, _ = w.authorize(other, policies{identity: []Document{allowAll}, resourceAccount: "111122223333", resName: "bucket"})
	assert.False(t, ok, "across accounts the resource policy must allow too")
}
