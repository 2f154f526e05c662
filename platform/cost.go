package platform

// CostAssumptions are the usage figures `docustack cost` prices with: the
// volumes no plan can know. Zero means the default in DefaultCostAssumptions.
type CostAssumptions struct {
	// NATGbPerMonth is traffic through the NAT gateways.
	NATGbPerMonth float64 `json:"natGbPerMonth"`
	// ALBLcu is the load balancer's average LCU.
	ALBLcu float64 `json:"albLcu"`
	// WAFRequestsMillions are requests inspected per month.
	WAFRequestsMillions float64 `json:"wafRequestsMillions"`
	// WAFLogGbPerMillionRequests is the WAF log volume: one JSON record per
	// request with its headers, about 1.5 KB.
	WAFLogGbPerMillionRequests float64 `json:"wafLogGbPerMillionRequests"`
	// MetricFilterMatchHoursPerMonth are the hours in which a CIS metric
	// filter (no default value) matches an event and so publishes.
	MetricFilterMatchHoursPerMonth float64 `json:"metricFilterMatchHoursPerMonth"`
	// EnhancedMonitoringKbPerSample is one Enhanced Monitoring document (OS
	// metrics and the process list).
	EnhancedMonitoringKbPerSample float64 `json:"enhancedMonitoringKbPerSample"`
	// LogsGbPerMonth are CloudWatch Logs ingested.
	LogsGbPerMonth float64 `json:"logsGbPerMonth"`
	// FlowLogsGbPerMonth are VPC flow logs delivered to S3.
	FlowLogsGbPerMonth float64 `json:"flowLogsGbPerMonth"`
	// DocumentsGb stored (and replicated); ArchiveGb of logs kept.
	DocumentsGb float64 `json:"documentsGb"`
	ArchiveGb   float64 `json:"archiveGb"`
	// DatabaseGb used (Aurora storage, backups).
	DatabaseGb float64 `json:"databaseGb"`
	// ConfigItemsPerMonth recorded; ConfigEvaluationsPerMonth of rules and the pack.
	ConfigItemsPerMonth       float64 `json:"configItemsPerMonth"`
	ConfigEvaluationsPerMonth float64 `json:"configEvaluationsPerMonth"`
	// SecurityHubChecksPerMonth run.
	SecurityHubChecksPerMonth float64 `json:"securityHubChecksPerMonth"`
	// GuardDutyEventsMillions analysed (CloudTrail, S3 data events).
	GuardDutyEventsMillions float64 `json:"guardDutyEventsMillions"`
	// CloudTrailDataEventsMillions recorded for the documents bucket.
	CloudTrailDataEventsMillions float64 `json:"cloudTrailDataEventsMillions"`
	// ECRGb of images stored.
	ECRGb float64 `json:"ecrGb"`
	// BastionHoursPerMonth the bastion runs.
	BastionHoursPerMonth float64 `json:"bastionHoursPerMonth"`
	// AccessLogObjectsPerMonth are the S3 server access log objects the
	// account's buckets produce, each replicated into the Log Archive.
	AccessLogObjectsPerMonth float64 `json:"accessLogObjectsPerMonth"`
}

// DefaultCostAssumptions are a small production workload's volumes.
var DefaultCostAssumptions = CostAssumptions{
	NATGbPerMonth: 50, ALBLcu: 1, WAFRequestsMillions: 5, LogsGbPerMonth: 20, FlowLogsGbPerMonth: 10,
	DocumentsGb: 100, ArchiveGb: 50, DatabaseGb: 50, ConfigItemsPerMonth: 5000, ConfigEvaluationsPerMonth: 20000,
	SecurityHubChecksPerMonth: 10000, GuardDutyEventsMillions: 2, CloudTrailDataEventsMillions: 1, ECRGb: 8,
	BastionHoursPerMonth: 8, AccessLogObjectsPerMonth: 20000, WAFLogGbPerMillionRequests: 1.5,
	MetricFilterMatchHoursPerMonth: 30, EnhancedMonitoringKbPerSample: 8,
}

// Assumptions returns the stack's assumptions with defaults filled in.
func (c *Config) Assumptions() CostAssumptions {
	a, d := c.Cost, DefaultCostAssumptions
	fill := func(v *float64, def float64) {
		if *v == 0 {
			*v = def
		}
	}
	fill(&a.NATGbPerMonth, d.NATGbPerMonth)
	fill(&a.ALBLcu, d.ALBLcu)
	fill(&a.WAFRequestsMillions, d.WAFRequestsMillions)
	fill(&a.WAFLogGbPerMillionRequests, d.WAFLogGbPerMillionRequests)
	fill(&a.MetricFilterMatchHoursPerMonth, d.MetricFilterMatchHoursPerMonth)
	fill(&a.EnhancedMonitoringKbPerSample, d.EnhancedMonitoringKbPerSample)
	fill(&a.LogsGbPerMonth, d.LogsGbPerMonth)
	fill(&a.FlowLogsGbPerMonth, d.FlowLogsGbPerMonth)
	fill(&a.DocumentsGb, d.DocumentsGb)
	fill(&a.ArchiveGb, d.ArchiveGb)
	fill(&a.DatabaseGb, d.DatabaseGb)
	fill(&a.ConfigItemsPerMonth, d.ConfigItemsPerMonth)
	fill(&a.ConfigEvaluationsPerMonth, d.ConfigEvaluationsPerMonth)
	fill(&a.SecurityHubChecksPerMonth, d.SecurityHubChecksPerMonth)
	fill(&a.GuardDutyEventsMillions, d.GuardDutyEventsMillions)
	fill(&a.CloudTrailDataEventsMillions, d.CloudTrailDataEventsMillions)
	fill(&a.ECRGb, d.ECRGb)
	fill(&a.BastionHoursPerMonth, d.BastionHoursPerMonth)
	fill(&a.AccessLogObjectsPerMonth, d.AccessLogObjectsPerMonth)
	return a
}
