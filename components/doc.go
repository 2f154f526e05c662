// Package components holds DocuStack's reusable Pulumi ComponentResources.
//
// Every component follows one shape (DESIGN.md §3):
//
//	NewX(ctx, name, XArgs{...}, opts...) (*X, error)
//
// Args hold plain Go values for everything that shapes the resource graph and
// pulumi inputs only for IDs and ARNs passed between resources. Defaults are
// applied and Validate() runs before the component is registered, so bad input
// registers nothing. Children are always parented to their component and named
// "<component>-<tier>-<index>"; their tags come from MergeTags.
//
// The package is deliberately one Go package: every test binary that imports
// pulumi-aws links for several seconds, so splitting it would slow the loop.
package components

// Type tokens of DocuStack's components. They are part of every child's URN:
// changing one re-creates the whole subtree unless aliased.
const (
	TypeKeys           = "docustack:security:Keys"
	TypeNetwork        = "docustack:network:Network"
	TypeLogArchive     = "docustack:logging:LogArchive"
	TypeDatabase       = "docustack:data:Database"
	TypeCluster        = "docustack:compute:Cluster"
	TypeRegistry       = "docustack:compute:Registry"
	TypeIngress        = "docustack:edge:Ingress"
	TypeService        = "docustack:compute:Service"
	TypeDocuments      = "docustack:data:Documents"
	TypeSecrets        = "docustack:security:Secrets"
	TypeTemporal       = "docustack:workflow:Temporal"
	TypeDBInit         = "docustack:data:DBInit"
	TypeScheduler      = "docustack:ops:Scheduler"
	TypeBastion        = "docustack:ops:Bastion"
	TypeGitHubOIDC     = "docustack:ci:GitHubOIDC"
	TypeCompliance     = "docustack:compliance:Compliance"
	TypeTrail          = "docustack:audit:Trail"
	TypeDetection      = "docustack:monitoring:Detection"
	TypeAlarms         = "docustack:monitoring:Alarms"
	TypeBackup         = "docustack:dr:Backup"
	TypeGuardrails     = "docustack:org:Guardrails"
	TypeStateBackend   = "docustack:bootstrap:StateBackend"
	TypeAccessLogRelay = "docustack:logging:AccessLogRelay"
	TypeWAFLogs        = "docustack:logging:WAFLogs"
	TypeReader         = "docustack:ci:Reader"
)
