package components

import "github.com/pulumi/pulumi/sdk/v3/go/pulumi"

// auditLogOptions protects an audit log group (CloudTrail's copy, database
// audit logs, ECS Exec sessions) like every stateful resource when protect
// is set: a destroy or replacement must not take the evidence with it.
func auditLogOptions(parent pulumi.ResourceOption, protect bool) []pulumi.ResourceOption {
	opts := []pulumi.ResourceOption{parent}
	if protect {
		opts = append(opts, pulumi.Protect(true), pulumi.RetainOnDelete(true))
	}
	return opts
}
