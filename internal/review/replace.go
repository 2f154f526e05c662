package review

import (
	"strings"

	"github.com/docustack/infrastructure/internal/awsspec"
)

// stateful are the types whose replacement or deletion loses data or
// cryptographic material that no `pulumi up` brings back: a stop sign.
var stateful = map[string]string{
	"aws:rds/instance:Instance":                                "database",
	"aws:rds/cluster:Cluster":                                  "database",
	"aws:s3/bucketV2:BucketV2":                                 "bucket",
	"aws:s3/bucket:Bucket":                                     "bucket",
	"aws:kms/key:Key":                                          "KMS key",
	"aws:backup/vault:Vault":                                   "backup vault",
	"aws:cloudwatch/logGroup:LogGroup":                         "log group",
	"aws:ecr/repository:Repository":                            "image repository",
	"aws:secretsmanager/secret:Secret":                         "secret",
	"aws:dynamodb/table:Table":                                 "table",
	"aws:cloudtrail/trail:Trail":                               "audit trail",
	"aws:backup/vaultLockConfiguration:VaultLockConfiguration": "vault lock",
}

// replaces reports whether a change at property path (dotted, from the top
// of the inputs) makes the engine replace a resource of type typ: the shared
// replace table of internal/awsspec (the provider's ForceNew reconciled with
// the CloudFormation registry).
func replaces(typ, path string) bool {
	r, _ := awsspec.Replaces(typ, path)
	return r
}

// DocURL is the provider documentation page of a resource type, where its
// "Forces new resource" arguments are listed.
func DocURL(typ string) string {
	// aws:ec2/subnet:Subnet -> ec2/subnet
	mod := strings.TrimPrefix(typ, "aws:")
	mod, _, _ = strings.Cut(mod, ":")
	return "https://www.pulumi.com/registry/packages/aws/api-docs/" + strings.ToLower(mod) + "/"
}
