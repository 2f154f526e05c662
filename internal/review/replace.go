package review

import (
	"strings"

	"github.com/docustack/infrastructure/internal/awsspec"
)

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
