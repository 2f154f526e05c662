package cost

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/docustack/infrastructure/internal/synth"
)

// resource prices one resource, or records it as unpriced.
func (e *estimator) resource(r synth.Resource) {
	a := e.a
	switch r.Type {
	case "aws:ec2/natGateway:NatGateway":
		nats := float64(len(e.plan.ByType(r.Type)))
		e.add(r, "NAT gateway hours", HoursPerMonth, "nat_gateway_hour", "")
		e.add(r, "data processed", a.NATGbPerMonth/nats, "nat_gateway_gb", "natGbPerMonth split over the NAT gateways")
	case "aws:ec2/eip:Eip":
		e.add(r, "public IPv4 address", HoursPerMonth, "public_ipv4_hour", "")
	case "aws:ec2/vpcEndpoint:VpcEndpoint":
		if r.Str("vpcEndpointType") == "Gateway" {
			return // gateway endpoints are free
		}
		azs := float64(len(asList(r.Get("subnetIds"))))
		e.add(r, fmt.Sprintf("interface endpoint in %d AZ(s)", int(azs)), azs*HoursPerMonth, "vpc_endpoint_az_hour", "")
	case "aws:lb/loadBalancer:LoadBalancer":
		e.add(r, "load balancer hours", HoursPerMonth, "alb_hour", "")
		if !r.Bool("internal") {
			// An internet-facing ALB holds one public IPv4 address per AZ.
			azs := float64(len(asList(r.Get("subnets"))))
			e.add(r, fmt.Sprintf("public IPv4 addresses (%d AZs)", int(azs)), azs*HoursPerMonth, "public_ipv4_hour", "")
		}
		e.add(r, "LCU hours", a.ALBLcu*HoursPerMonth, "alb_lcu_hour", "albLcu average LCU")
	case "aws:wafv2/webAcl:WebAcl":
		e.add(r, "web ACL", 1, "waf_acl_month", "")
		e.add(r, "rules and managed rule groups", float64(len(asList(r.Get("rules")))), "waf_rule_month", "")
		e.add(r, "requests", a.WAFRequestsMillions, "waf_million_requests", "wafRequestsMillions")
	case "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration":
		// WAF logs to S3 are vended logs, priced per GB delivered.
		// https://aws.amazon.com/cloudwatch/pricing/ (Logs: Vended Logs, delivery to S3)
		e.add(r, "WAF logs delivered to S3", a.WAFRequestsMillions*a.WAFLogGbPerMillionRequests, "vended_logs_s3_gb", "wafRequestsMillions × wafLogGbPerMillionRequests")
	case "aws:ecs/service:Service":
		e.service(r)
	case "aws:rds/instance:Instance":
		e.database(r, r.Str("instanceClass"), "rds_", r.Bool("multiAz"))
		e.enhancedMonitoring(r)
		copies := 1.0
		if r.Bool("multiAz") {
			copies = 2
		}
		e.add(r, "gp3 storage (both AZs with Multi-AZ)", copies*float64(r.Int("allocatedStorage")), "rds_gp3_gb_month", "billed while stopped too")
	case "aws:rds/clusterInstance:ClusterInstance":
		e.database(r, r.Str("instanceClass"), "aurora_", false)
		e.enhancedMonitoring(r)
	case "aws:rds/cluster:Cluster":
		e.add(r, "Aurora storage", a.DatabaseGb, "aurora_storage_gb_month", "databaseGb")
	case "aws:kms/key:Key":
		e.add(r, "customer managed key", 1, "kms_key_month", "")
	case "aws:secretsmanager/secret:Secret":
		e.add(r, "secret", 1, "secret_month", "")
	case "aws:cloudwatch/logGroup:LogGroup":
		groups := float64(len(e.plan.ByType(r.Type)))
		e.add(r, "log ingestion", a.LogsGbPerMonth/groups, "cw_logs_ingest_gb", "logsGbPerMonth split over the log groups")
	case "aws:cloudwatch/metricAlarm:MetricAlarm":
		e.add(r, "alarm", 1, "cw_alarm_month", "")
		if ns := r.Str("namespace"); ns != "" && !strings.HasPrefix(ns, "AWS/") {
			// A custom namespace is metrics the stack publishes: each alarmed
			// metric is a custom metric, "prorated by the hour and metered
			// only when you send metrics to CloudWatch"
			// (https://aws.amazon.com/cloudwatch/pricing/). A log metric filter
			// without a default value sends a data point only for a matching
			// event, so its metric is billed for those hours only.
			if f, ok := e.metricFilter(ns, r.Str("metricName")); ok && f.Get("metricTransformation.defaultValue") == nil {
				e.add(r, "custom metric ("+ns+", hours with a match)", a.MetricFilterMatchHoursPerMonth/HoursPerMonth, "cw_metric_month",
					"metricFilterMatchHoursPerMonth: the filter publishes only when it matches")
			} else {
				e.add(r, "custom metric ("+ns+")", 1, "cw_metric_month", "the alarmed metric, published by the stack")
			}
		}
	case "aws:ec2/flowLog:FlowLog":
		e.add(r, "flow logs delivered to S3", a.FlowLogsGbPerMonth, "vended_logs_s3_gb", "flowLogsGbPerMonth")
	case "aws:s3/bucketV2:BucketV2":
		e.bucket(r)
	case "aws:cfg/recorder:Recorder":
		key := "config_item"
		if r.Str("recordingMode.recordingFrequency") == "DAILY" {
			key = "config_item_periodic"
		}
		e.add(r, "configuration items", a.ConfigItemsPerMonth, key, "configItemsPerMonth")
	case "aws:cfg/rule:Rule", "aws:cfg/conformancePack:ConformancePack":
		// Evaluations are priced once, on the pack: they depend on changes, not on rule count.
		if r.Type == "aws:cfg/conformancePack:ConformancePack" {
			e.add(r, "rule and pack evaluations", a.ConfigEvaluationsPerMonth, "config_evaluation", "configEvaluationsPerMonth")
		}
	case "aws:securityhub/account:Account":
		e.add(r, "security checks", a.SecurityHubChecksPerMonth, "securityhub_check", "securityHubChecksPerMonth")
	case "aws:guardduty/detector:Detector":
		e.add(r, "events analysed", a.GuardDutyEventsMillions, "guardduty_event_million", "guardDutyEventsMillions")
		e.add(r, "ECS runtime monitoring", e.vcpuMonths(), "guardduty_runtime_vcpu_month", "Fargate vCPU-months of the plan")
	case "aws:cloudtrail/trail:Trail":
		if r.Get("eventSelectors") != nil {
			e.add(r, "S3 data events", a.CloudTrailDataEventsMillions*10, "cloudtrail_data_event_100k", "cloudTrailDataEventsMillions; management events: first trail free")
		}
	case "aws:backup/plan:Plan":
		e.add(r, "recovery points (warm)", a.DatabaseGb, "backup_warm_gb_month", "databaseGb")
		e.add(r, "copies to the DR region (transfer)", a.DatabaseGb, "backup_copy_gb", "databaseGb a month")
		e.add(r, "DR copies (warm)", a.DatabaseGb, "backup_warm_gb_month", "databaseGb")
	case "aws:ecr/repository:Repository":
		repos := float64(len(e.plan.ByType(r.Type)))
		e.add(r, "image storage", a.ECRGb/repos, "ecr_gb_month", "ecrGb split over the repositories")
	case "aws:servicediscovery/httpNamespace:HttpNamespace":
		e.add(r, "Service Connect instances", e.taskCount(), "cloudmap_instance_month", "one per running task")
	case "aws:ec2/instance:Instance":
		e.add(r, "NAT instance "+r.Str("instanceType"), HoursPerMonth, "ec2_"+r.Str("instanceType")+"_hour", "")
		e.add(r, "public IPv4 address", HoursPerMonth, "public_ipv4_hour", "")
		e.add(r, "root volume", float64(r.Int("rootBlockDevice.volumeSize")), "ebs_gp3_gb_month", "")
	case "aws:autoscaling/group:Group":
		e.bastion(r)
	case "aws:ecs/cluster:Cluster":
		if r.Str("settings.0.value") != "disabled" {
			// Container Insights publishes about 10 metrics per service.
			e.add(r, "Container Insights metrics", 10*float64(len(e.plan.ByType("aws:ecs/service:Service"))), "cw_metric_month", "10 metrics per service")
		}
	default:
		if _, ok := free[r.Type]; ok {
			return
		}
		e.out.Unpriced = append(e.out.Unpriced, fmt.Sprintf("%s (%s): not in the cost model", r.Name, r.Type))
	}
}

// database prices instance hours (twice for Multi-AZ).
func (e *estimator) database(r synth.Resource, class, prefix string, multiAZ bool) {
	instances := 1.0
	item := class
	if multiAZ {
		instances, item = 2, class+" Multi-AZ (primary and standby)"
	}
	e.add(r, item, instances*e.h.Database, prefix+class+"_hour", e.hoursNote(e.h.Database))
}

func (e *estimator) hoursNote(h float64) string {
	if h < HoursPerMonth {
		return fmt.Sprintf("%.0f h: stopped nights and weekends by the scheduler", h)
	}
	return ""
}

// task returns a service's task size from its task definition.
func (e *estimator) task(svc synth.Resource) (vcpu, gb float64, arm bool, ok bool) {
	for _, urn := range svc.PropertyDependencies["taskDefinition"] {
		td, found := e.plan.ByURN(urn)
		if !found {
			continue
		}
		cpu, _ := strconv.ParseFloat(td.Str("cpu"), 64)
		mem, _ := strconv.ParseFloat(td.Str("memory"), 64)
		return cpu / 1024, mem / 1024, td.Str("runtimePlatform.cpuArchitecture") == "ARM64", true
	}
	return 0, 0, false, false
}

// service prices a Fargate service: its tasks split on-demand/Spot by its
// capacity strategy (or the cluster default), for its running hours.
func (e *estimator) service(r synth.Resource) {
	vcpu, gb, arm, ok := e.task(r)
	if !ok {
		e.out.Unpriced = append(e.out.Unpriced, r.Name+" (aws:ecs/service:Service): task definition not found")
		return
	}
	tasks := float64(r.Int("desiredCount"))
	base, onW, spotW := e.strategy(r)
	onDemand := math.Min(tasks, base)
	rest := tasks - onDemand
	spot := 0.0
	if onW+spotW > 0 {
		spot = rest * spotW / (onW + spotW)
	}
	onDemand += rest - spot
	if e.v.NoSpot {
		onDemand, spot = tasks, 0
	}
	cpuKey, memKey := "fargate_vcpu_hour", "fargate_gb_hour"
	if arm {
		cpuKey, memKey = "fargate_arm_vcpu_hour", "fargate_arm_gb_hour"
	}
	hours := e.h.Services
	note := e.hoursNote(hours)
	size := fmt.Sprintf(" (%.2g vCPU, %.2g GB)", vcpu, gb)
	if onDemand > 0 {
		e.add(r, "on-demand vCPU"+size, onDemand*vcpu*hours, cpuKey, note)
		e.add(r, "on-demand memory"+size, onDemand*gb*hours, memKey, note)
	}
	if spot > 0 {
		discount, _ := e.prices.usd("fargate_spot_discount")
		cpu, _ := e.prices.usd(cpuKey)
		mem, _ := e.prices.usd(memKey)
		e.addUSD(r, fmt.Sprintf("Fargate Spot, %.2g task(s)%s", spot, size), spot*hours*(vcpu*cpu+gb*mem)*(1-discount),
			fmt.Sprintf("on-demand price less %.0f%% (seed)", discount*100))
	}
}

// strategy returns a service's capacity strategy (or the cluster's default).
func (e *estimator) strategy(r synth.Resource) (base, onDemandWeight, spotWeight float64) {
	items := asList(r.Get("capacityProviderStrategies"))
	if len(items) == 0 {
		for _, c := range e.plan.ByType("aws:ecs/clusterCapacityProviders:ClusterCapacityProviders") {
			items = asList(c.Get("defaultCapacityProviderStrategies"))
		}
	}
	for _, it := range items {
		m, _ := it.(map[string]any)
		b, _ := m["base"].(float64)
		w, _ := m["weight"].(float64)
		if m["capacityProvider"] == "FARGATE_SPOT" {
			spotWeight += w
		} else {
			base += b
			onDemandWeight += w
		}
	}
	return
}

// vcpuMonths are the plan's Fargate vCPU-months (GuardDuty runtime monitoring).
func (e *estimator) vcpuMonths() float64 {
	total := 0.0
	for _, s := range e.plan.ByType("aws:ecs/service:Service") {
		vcpu, _, _, _ := e.task(s)
		total += vcpu * float64(s.Int("desiredCount")) * e.h.Services / HoursPerMonth
	}
	return total
}

// taskCount is the average number of running tasks.
func (e *estimator) taskCount() float64 {
	total := 0.0
	for _, s := range e.plan.ByType("aws:ecs/service:Service") {
		total += float64(s.Int("desiredCount")) * e.h.Services / HoursPerMonth
	}
	return total
}

// bucket prices S3 storage by what the bucket holds.
func (e *estimator) bucket(r synth.Resource) {
	a := e.a
	switch purpose := r.Tags()["Purpose"]; {
	case purpose == "documents":
		e.add(r, "documents", a.DocumentsGb, "s3_standard_gb_month", "documentsGb")
		e.add(r, "replication to the DR region", a.DocumentsGb/12, "s3_replication_gb", "a twelfth of documentsGb added a month")
	case purpose == "documents-replica":
		e.add(r, "replica of the documents", a.DocumentsGb, "s3_standard_gb_month", "documentsGb")
	case strings.Contains(r.Name, "access-log-relay"):
		// The organization's archive keeps this account's logs, billed to
		// the Log Archive account but caused by this stack: counted here.
		// The relay keeps a week of S3 access logs (a fifth of the archive,
		// kept a year) and replicates each object within the Region: one
		// PUT at the destination, no transfer charge.
		e.add(r, "S3 access logs kept 7 days before replication", a.ArchiveGb*0.2*7/365, "s3_standard_gb_month", "a fifth of archiveGb, a week of it")
		e.add(r, "replication into the Log Archive (PUTs)", a.AccessLogObjectsPerMonth/1000, "s3_put_1k", "accessLogObjectsPerMonth")
		e.add(r, "this account's logs in the Log Archive account", a.ArchiveGb, "s3_standard_gb_month", "archiveGb (billed to the Log Archive account)")
	case strings.Contains(r.Name, "log-archive"):
		share := 1.0
		if r.Tags()["LogDelivery"] != "" {
			share = 0.2 // access logs are a small part of the archive
		} else {
			share = 0.8
		}
		e.add(r, "log archive", a.ArchiveGb*share, "s3_standard_gb_month", "archiveGb")
	default:
		e.add(r, "bucket storage", 1, "s3_standard_gb_month", "assumed 1 GB")
	}
}

// bastion prices the on-demand bastion for the hours it is assumed to run.
func (e *estimator) bastion(r synth.Resource) {
	for _, lt := range e.plan.ByType("aws:ec2/launchTemplate:LaunchTemplate") {
		h := e.a.BastionHoursPerMonth
		e.add(r, "bastion "+lt.Str("instanceType"), h, "ec2_"+lt.Str("instanceType")+"_hour", "bastionHoursPerMonth: desired 0 otherwise")
		disk := float64(lt.Int("blockDeviceMappings.0.ebs.volumeSize"))
		e.add(r, "bastion root volume", disk*h/HoursPerMonth, "ebs_gp3_gb_month", "only while it runs")
	}
}

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}

// metricFilter finds the log metric filter that publishes a metric.
func (e *estimator) metricFilter(namespace, name string) (synth.Resource, bool) {
	for _, f := range e.plan.ByType("aws:cloudwatch/logMetricFilter:LogMetricFilter") {
		if f.Str("metricTransformation.namespace") == namespace && f.Str("metricTransformation.name") == name {
			return f, true
		}
	}
	return synth.Resource{}, false
}

// enhancedMonitoring prices an instance's OS metrics: one JSON document per
// interval, ingested into CloudWatch Logs (RDSOSMetrics), the only charge.
// https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_Monitoring.OS.html#USER_Monitoring.OS.cost
func (e *estimator) enhancedMonitoring(r synth.Resource) {
	interval := r.Int("monitoringInterval")
	if interval <= 0 {
		return
	}
	samples := HoursPerMonth * 3600 / float64(interval)
	gb := samples * e.a.EnhancedMonitoringKbPerSample / (1024 * 1024)
	e.add(r, fmt.Sprintf("Enhanced Monitoring, every %d s", interval), gb, "cw_logs_ingest_gb", "enhancedMonitoringKbPerSample per sample into RDSOSMetrics")
}
