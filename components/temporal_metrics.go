package components

import (
	"encoding/json"
	"fmt"
	"sort"
)

// Temporal's own metrics. The server exposes Prometheus metrics on the
// task's loopback (PROMETHEUS_ENDPOINT, read by the server image's
// configuration template); an OpenTelemetry collector sidecar (AWS Distro for
// OpenTelemetry, from the account's registry) scrapes it and writes the
// signals below to CloudWatch as embedded metric format (EMF) log events in
// the service's own log group, from which CloudWatch extracts the metrics.
// Only the signals alarmed on become metrics (metric_declarations), each on
// the one role that emits it, so the custom metrics cost is one per signal.
// https://aws-otel.github.io/docs/getting-started/cloudwatch-metrics
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format.html

// TemporalMetricsNamespace is the CloudWatch namespace of Temporal's metrics.
const TemporalMetricsNamespace = "DocuStack/Temporal"

// temporalMetricsAddress is where the server serves Prometheus metrics:
// loopback only, so nothing outside the task can read them.
const temporalMetricsAddress = "127.0.0.1:9090"

// DefaultCollectorVersion is the ADOT collector release the image workflow
// builds from (public.ecr.aws/aws-observability/aws-otel-collector).
const DefaultCollectorVersion = "v0.40.0"

// CollectorRepository is the collector's repository in the account's registry.
const CollectorRepository = "otel-collector"

// TemporalSignal is one of the signals Temporal's operators watch, as a
// metric of the server (go.temporal.io/server common/metrics/metric_defs.go)
// and the alarm on it. Timers are exported as Prometheus summaries
// (PROMETHEUS_TIMER_TYPE), in seconds, which EMF carries as statistic sets
// (so Average is their mean).
type TemporalSignal struct {
	// Metric is the server's metric name; Role the service_name it is kept for.
	Metric, Role string
	// Kind names the alarm "<prefix>-temporal-<kind>".
	Kind string
	// Statistic, Comparison and Threshold make the alarm.
	Statistic, Comparison string
	Threshold             float64
	Description           string
}

// TemporalSignals are what the alarms watch: persistence errors and latency
// and the history task schedule-to-start latency on history (the hot path
// to the database), and request errors on the frontend.
var TemporalSignals = []TemporalSignal{
	{Metric: "persistence_errors", Role: "history", Kind: "persistence-errors", Statistic: "Sum", Comparison: "GreaterThanOrEqualToThreshold", Threshold: 10,
		Description: "Temporal history: 10 or more persistence errors in 5 minutes (the database refuses or fails requests)"},
	{Metric: "persistence_latency", Role: "history", Kind: "persistence-latency", Statistic: "Average", Comparison: "GreaterThanThreshold", Threshold: 0.5,
		Description: "Temporal history: persistence requests average above 0.5 s for 15 minutes"},
	{Metric: "task_schedule_to_start_latency", Role: "history", Kind: "schedule-to-start", Statistic: "Average", Comparison: "GreaterThanThreshold", Threshold: 5,
		Description: "Temporal history: tasks wait above 5 s on average before they start, for 15 minutes (backlog)"},
	{Metric: "service_errors", Role: "frontend", Kind: "service-errors", Statistic: "Sum", Comparison: "GreaterThanOrEqualToThreshold", Threshold: 10,
		Description: "Temporal frontend: 10 or more service errors in 5 minutes"},
}

// signalRoles are the server roles whose tasks carry a collector.
func signalRoles() map[string]bool {
	out := map[string]bool{}
	for _, s := range TemporalSignals {
		out[s.Role] = true
	}
	return out
}

// CollectorConfig is the collector's configuration (AOT_CONFIG_CONTENT) in
// the task of a role ("combined": every role): scrape the server every
// minute, keep the role's signals, write them as EMF to the service's log
// group with service_name as the only dimension.
func CollectorConfig(role, logGroup, region string) string {
	byRole := map[string][]string{}
	var names []string
	for _, s := range TemporalSignals {
		if role != "combined" && s.Role != role {
			continue
		}
		byRole[s.Role] = append(byRole[s.Role], "^"+s.Metric+"$")
		names = append(names, s.Metric)
	}
	sort.Strings(names)
	var declarations []map[string]any
	for _, role := range sortedKeys(byRole) {
		declarations = append(declarations, map[string]any{
			"dimensions":            [][]string{{"service_name"}},
			"label_matchers":        []map[string]any{{"label_names": []string{"service_name"}, "regex": "^" + role + "$"}},
			"metric_name_selectors": byRole[role],
		})
	}
	cfg := map[string]any{
		"receivers": map[string]any{"prometheus": map[string]any{"config": map[string]any{"scrape_configs": []map[string]any{{
			"job_name": "temporal", "scrape_interval": "60s", "static_configs": []map[string]any{{"targets": []string{temporalMetricsAddress}}},
		}}}}},
		"processors": map[string]any{
			"filter/signals": map[string]any{"metrics": map[string]any{"include": map[string]any{"match_type": "strict", "metric_names": names}}},
			"batch":          map[string]any{},
		},
		"exporters": map[string]any{"awsemf": map[string]any{
			"namespace": TemporalMetricsNamespace, "region": region, "log_group_name": logGroup, "log_stream_name": "metrics/{TaskId}",
			"dimension_rollup_option": "NoDimensionRollup", "metric_declarations": declarations,
		}},
		"service": map[string]any{"pipelines": map[string]any{"metrics": map[string]any{
			"receivers": []string{"prometheus"}, "processors": []string{"filter/signals", "batch"}, "exporters": []string{"awsemf"},
		}}},
	}
	// JSON is YAML: the collector reads either.
	b, _ := json.Marshal(cfg)
	return string(b)
}

// collectorSidecar scrapes the server of its task.
func collectorSidecar(role, image, logGroup, region string) Sidecar {
	return Sidecar{Name: "metrics", Image: image, Environment: map[string]string{"AOT_CONFIG_CONTENT": CollectorConfig(role, logGroup, region)}}
}

// CollectorPolicy lets the collector write EMF events to its service's
// log group (the task role's; awsemf creates its stream).
func CollectorPolicy(region, account, logGroup string) string {
	return PolicyJSON(PolicyStatement{Sid: "WriteMetricEvents", Effect: "Allow",
		Action:   []string{"logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"},
		Resource: fmt.Sprintf("arn:%s:logs:%s:%s:log-group:%s:*", awsPartition, region, account, logGroup)})
}
