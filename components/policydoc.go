package components

import (
	"encoding/json"
	"fmt"
)

// awsPartition is the only partition DocuStack runs in (region us-east-1).
const awsPartition = "aws"

// PolicyDocument is an IAM / resource policy document.
type PolicyDocument struct {
	Version   string            `json:"Version"`
	Statement []PolicyStatement `json:"Statement"`
}

// PolicyStatement is one statement of a PolicyDocument. Action, Resource and
// principal values are strings or string slices, as IAM accepts both.
type PolicyStatement struct {
	Sid       string         `json:"Sid,omitempty"`
	Effect    string         `json:"Effect"`
	Principal map[string]any `json:"Principal,omitempty"`
	Action    any            `json:"Action,omitempty"`
	NotAction any            `json:"NotAction,omitempty"`
	// Resource is omitted when nil: IAM refuses a trust policy that has the
	// element at all, even as null ("Has prohibited field Resource").
	Resource  any                       `json:"Resource,omitempty"`
	Condition map[string]map[string]any `json:"Condition,omitempty"`
}

// PolicyJSON renders statements as a policy document.
func PolicyJSON(statements ...PolicyStatement) string {
	b, err := json.Marshal(PolicyDocument{Version: "2012-10-17", Statement: statements})
	if err != nil {
		// Only plain strings, slices and maps go in: marshalling cannot fail.
		panic(fmt.Sprintf("policy document: %v", err))
	}
	return string(b)
}

// accountRoot is the ARN of an account's root principal.
func accountRoot(accountID string) string {
	return fmt.Sprintf("arn:%s:iam::%s:root", awsPartition, accountID)
}

// servicePrincipal is "<service>.amazonaws.com" (global) or with a region.
func servicePrincipal(service string) string { return service + ".amazonaws.com" }

// regionalService is "<service>.<region>.amazonaws.com", as kms:ViaService and
// regional service principals (CloudWatch Logs) spell it.
func regionalService(service, region string) string {
	return fmt.Sprintf("%s.%s.amazonaws.com", service, region)
}

// denyInsecureTransport is the TLS-only statement every bucket policy carries
// (seed, In Transit: TLS 1.2 minimum).
func denyInsecureTransport(bucketArn string) PolicyStatement {
	return PolicyStatement{
		Sid:       "DenyInsecureTransport",
		Effect:    "Deny",
		Principal: map[string]any{"AWS": "*"},
		Action:    "s3:*",
		Resource:  []string{bucketArn, bucketArn + "/*"},
		Condition: map[string]map[string]any{
			"Bool": {"aws:SecureTransport": "false"},
		},
	}
}

// denyOldTLS rejects TLS below 1.2 (seed, In Transit: TLS 1.2 minimum).
func denyOldTLS(bucketArn string) PolicyStatement {
	return PolicyStatement{
		Sid:       "DenyTLSBelow12",
		Effect:    "Deny",
		Principal: map[string]any{"AWS": "*"},
		Action:    "s3:*",
		Resource:  []string{bucketArn, bucketArn + "/*"},
		Condition: map[string]map[string]any{
			"NumericLessThan": {"s3:TlsVersion": "1.2"},
		},
	}
}
