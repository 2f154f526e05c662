package components

import (
	"errors"
	"fmt"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Default thresholds of the operational alarms (seed, Continuous Monitoring:
// "CloudWatch: operational metrics, custom thresholds").
const (
	DefaultAlarmCPUPercent            = 80
	DefaultAlarmMemoryPercent         = 80
	DefaultAlarmDatabaseFreeStorageGB = 2
	DefaultAlarmHTTP5xxPerFiveMinutes = 10
	// alarmPeriod is CloudWatch's standard period; sustained conditions need
	// alarmSustained periods in a row, so a deploy's spike does not page.
	alarmPeriod    = 300
	alarmSustained = 3
)

// AlarmThresholds are the operational alarms' thresholds; a stack sets them
// in `docustack:alarms`.
type AlarmThresholds struct {
	// CPUPercent: average CPU of an ECS service or the database over 15 minutes. Default 80.
	CPUPercent int `json:"cpuPercent"`
	// MemoryPercent: average memory of an ECS service over 15 minutes. Default 80.
	MemoryPercent int `json:"memoryPercent"`
	// DatabaseFreeStorageGB: free storage of an RDS instance (Aurora grows its own). Default 2.
	DatabaseFreeStorageGB int `json:"databaseFreeStorageGb"`
	// HTTP5xxPerFiveMinutes: 5xx responses of the ALB, or of its targets, in 5 minutes. Default 10.
	HTTP5xxPerFiveMinutes int `json:"http5xxPerFiveMinutes"`
}

func (t *AlarmThresholds) setDefaults() {
	for _, d := range []struct {
		v   *int
		def int
	}{
		{&t.CPUPercent, DefaultAlarmCPUPercent}, {&t.MemoryPercent, DefaultAlarmMemoryPercent},
		{&t.DatabaseFreeStorageGB, DefaultAlarmDatabaseFreeStorageGB}, {&t.HTTP5xxPerFiveMinutes, DefaultAlarmHTTP5xxPerFiveMinutes},
	} {
		if *d.v == 0 {
			*d.v = d.def
		}
	}
}

// AlarmsArgs configures the operational alarms.
type AlarmsArgs struct {
	// Prefix names the alarms (`<prefix>-<subject>-<metric>`). Required.
	Prefix string
	// Thresholds. Defaults: see AlarmThresholds.
	Thresholds AlarmThresholds
	// TopicArn receives ALARM and OK notifications (the alerts topic). Required.
	TopicArn pulumi.StringInput
	// ClusterName and Services: ECS services watched for CPU and memory.
	ClusterName string
	Services    []string
	// DatabaseEngine and DatabaseIdentifier: the database watched for CPU and
	// (RDS instances) free storage. Optional.
	DatabaseEngine     DatabaseEngine
	DatabaseIdentifier string
	// LoadBalancerSuffix and TargetGroupSuffix (ARN suffixes, the metrics'
	// dimensions): the ALB watched for 5xx and unhealthy targets. Optional, both or neither.
	LoadBalancerSuffix, TargetGroupSuffix pulumi.StringInput
	// WebAlwaysOn adds an alarm when the target group has no healthy target
	// at all (a service with no running task emits no ECS metrics, so the
	// CPU and memory alarms cannot see it). Off where the nightly scheduler
	// stops the web service on purpose.
	WebAlwaysOn bool
	// Temporal adds the alarms on Temporal's own signals (TemporalSignals,
	// published by the collector in the Temporal tasks).
	Temporal bool
	// Tags are the stack tags. Required: every key of StackTagKeys.
	Tags Tags
}

// Validate reports every invalid field at once.
func (a AlarmsArgs) Validate() error {
	a.Thresholds.setDefaults()
	var errs []error
	if !dbIdentifierPattern.MatchString(a.Prefix) {
		errs = append(errs, fieldErr("prefix", a.Prefix, "[a-z0-9-]"))
	}
	t := a.Thresholds
	for f, v := range InOrder(map[string]int{"cpuPercent": t.CPUPercent, "memoryPercent": t.MemoryPercent}) {
		if v < 1 || v > 100 {
			errs = append(errs, fieldErr(f, v, "1..100 percent"))
		}
	}
	if t.DatabaseFreeStorageGB < 1 {
		errs = append(errs, fieldErr("databaseFreeStorageGb", t.DatabaseFreeStorageGB, "at least 1 GB"))
	}
	if t.HTTP5xxPerFiveMinutes < 1 {
		errs = append(errs, fieldErr("http5xxPerFiveMinutes", t.HTTP5xxPerFiveMinutes, "at least 1 response"))
	}
	if len(a.Services) > 0 && a.ClusterName == "" {
		errs = append(errs, fieldErr("clusterName", a.ClusterName, "the ECS cluster of the services"))
	}
	seen := map[string]bool{}
	for i, s := range a.Services {
		if s == "" || seen[s] {
			errs = append(errs, fieldErr(fmt.Sprintf("services[%d]", i), s, "a distinct ECS service name"))
		}
		seen[s] = true
	}
	if a.DatabaseIdentifier != "" && a.DatabaseEngine != EnginePostgres && a.DatabaseEngine != EngineAurora {
		errs = append(errs, fieldErr("databaseEngine", a.DatabaseEngine, "%q or %q", EnginePostgres, EngineAurora))
	}
	errs = append(errs, validateStackTags("tags", a.Tags))
	return errors.Join(errs...)
}

// alarm is one metric alarm before it is registered.
type alarm struct {
	// subject and kind name it: `<prefix>-<subject>-<kind>`.
	subject, kind                                         string
	namespace, metric, statistic, comparison, description string
	dimensions                                            pulumi.StringMap
	threshold                                             float64
	periods                                               int
	// missing is how missing data counts. Default: notBreaching.
	missing string
}

// Alarms are the operational CloudWatch alarms.
type Alarms struct {
	pulumi.ResourceState

	// Names of the alarms, in registration order.
	Names []string
}

// NewAlarms creates CloudWatch alarms on the platform's operational metrics,
// each notifying the alerts topic when it fires and when it clears: ECS
// services' CPU and memory, the database's CPU and free storage, the ALB's
// and its targets' 5xx responses and unhealthy targets. Missing data (a
// service the scheduler stopped) is not a breach.
func NewAlarms(ctx *pulumi.Context, name string, args AlarmsArgs, opts ...pulumi.ResourceOption) (*Alarms, error) {
	err := args.Validate()
	if args.TopicArn == nil {
		err = errors.Join(err, fieldErr("topicArn", "", "the alerts topic"))
	}
	if (args.LoadBalancerSuffix == nil) != (args.TargetGroupSuffix == nil) {
		err = errors.Join(err, fieldErr("targetGroupSuffix", "", "both the load balancer's and the target group's ARN suffix, or neither"))
	}
	if err != nil {
		return nil, err
	}
	args.Thresholds.setDefaults()
	a := &Alarms{}
	if err := ctx.RegisterComponentResource(TypeAlarms, name, a, opts...); err != nil {
		return nil, err
	}
	for _, al := range args.alarms() {
		child := childName(name, al.subject+"-"+al.kind)
		alarmName := fmt.Sprintf("%s-%s-%s", args.Prefix, al.subject, al.kind)
		if _, err := cloudwatch.NewMetricAlarm(ctx, child, &cloudwatch.MetricAlarmArgs{
			Name: pulumi.String(alarmName), AlarmDescription: pulumi.String(al.description),
			Namespace: pulumi.String(al.namespace), MetricName: pulumi.String(al.metric), Dimensions: al.dimensions,
			Statistic: pulumi.String(al.statistic), Period: pulumi.Int(alarmPeriod), EvaluationPeriods: pulumi.Int(al.periods),
			DatapointsToAlarm: pulumi.Int(al.periods), Threshold: pulumi.Float64(al.threshold),
			ComparisonOperator: pulumi.String(al.comparison), TreatMissingData: pulumi.String(al.treatMissing()),
			AlarmActions: pulumi.Array{args.TopicArn}, OkActions: pulumi.Array{args.TopicArn},
			Tags: MergeTags(args.Tags, child, Tags{TagComponent: name}),
		}, pulumi.Parent(a)); err != nil {
			return nil, err
		}
		a.Names = append(a.Names, alarmName)
	}
	if err := ctx.RegisterResourceOutputs(a, pulumi.Map{"alarms": pulumi.ToStringArray(a.Names)}); err != nil {
		return nil, err
	}
	return a, nil
}

func (al alarm) treatMissing() string {
	if al.missing != "" {
		return al.missing
	}
	return "notBreaching"
}

func (a AlarmsArgs) alarms() []alarm {
	t := a.Thresholds
	sustained := func(subject, kind, ns, metric string, dims pulumi.StringMap, threshold float64, what string) alarm {
		return alarm{subject: subject, kind: kind, namespace: ns, metric: metric, statistic: "Average", dimensions: dims,
			comparison: "GreaterThanThreshold", threshold: threshold, periods: alarmSustained,
			description: fmt.Sprintf("%s above %.0f%% for %d minutes", what, threshold, alarmSustained*alarmPeriod/60)}
	}
	var out []alarm
	for _, svc := range a.Services {
		dims := pulumi.StringMap{"ClusterName": pulumi.String(a.ClusterName), "ServiceName": pulumi.String(svc)}
		subject := strings.TrimPrefix(svc, a.Prefix+"-")
		out = append(out,
			sustained(subject, "cpu", "AWS/ECS", "CPUUtilization", dims, float64(t.CPUPercent), "ECS service "+svc+": CPU"),
			sustained(subject, "memory", "AWS/ECS", "MemoryUtilization", dims, float64(t.MemoryPercent), "ECS service "+svc+": memory"))
	}
	if a.DatabaseIdentifier != "" {
		dim := "DBInstanceIdentifier"
		if a.DatabaseEngine == EngineAurora {
			dim = "DBClusterIdentifier"
		}
		dims := pulumi.StringMap{dim: pulumi.String(a.DatabaseIdentifier)}
		out = append(out, sustained("database", "cpu", "AWS/RDS", "CPUUtilization", dims, float64(t.CPUPercent), "Database CPU"))
		if a.DatabaseEngine == EnginePostgres {
			out = append(out, alarm{subject: "database", kind: "free-storage", namespace: "AWS/RDS", metric: "FreeStorageSpace", statistic: "Minimum",
				dimensions: dims, comparison: "LessThanThreshold", threshold: float64(t.DatabaseFreeStorageGB) * (1 << 30), periods: 1,
				description: fmt.Sprintf("Database free storage below %d GB (storage autoscaling may be at its ceiling)", t.DatabaseFreeStorageGB)})
		}
	}
	if a.Temporal {
		for _, sig := range TemporalSignals {
			periods := 1
			if sig.Statistic == "Average" {
				periods = alarmSustained // a latency that lasts, not one slow scrape
			}
			out = append(out, alarm{subject: "temporal", kind: sig.Kind, namespace: TemporalMetricsNamespace, metric: sig.Metric,
				statistic: sig.Statistic, dimensions: pulumi.StringMap{"service_name": pulumi.String(sig.Role)},
				comparison: sig.Comparison, threshold: sig.Threshold, periods: periods, description: sig.Description})
		}
	}
	if a.LoadBalancerSuffix != nil {
		lbDims := pulumi.StringMap{"LoadBalancer": a.LoadBalancerSuffix}
		tgDims := pulumi.StringMap{"LoadBalancer": a.LoadBalancerSuffix, "TargetGroup": a.TargetGroupSuffix}
		n := float64(t.HTTP5xxPerFiveMinutes)
		out = append(out,
			alarm{subject: "alb", kind: "elb-5xx", namespace: "AWS/ApplicationELB", metric: "HTTPCode_ELB_5XX_Count", statistic: "Sum", dimensions: lbDims,
				comparison: "GreaterThanOrEqualToThreshold", threshold: n, periods: 1,
				description: fmt.Sprintf("ALB returned %d or more 5xx responses in 5 minutes", t.HTTP5xxPerFiveMinutes)},
			alarm{subject: "alb", kind: "target-5xx", namespace: "AWS/ApplicationELB", metric: "HTTPCode_Target_5XX_Count", statistic: "Sum", dimensions: tgDims,
				comparison: "GreaterThanOrEqualToThreshold", threshold: n, periods: 1,
				description: fmt.Sprintf("Web targets returned %d or more 5xx responses in 5 minutes", t.HTTP5xxPerFiveMinutes)},
			alarm{subject: "alb", kind: "unhealthy-targets", namespace: "AWS/ApplicationELB", metric: "UnHealthyHostCount", statistic: "Maximum", dimensions: tgDims,
				comparison: "GreaterThanOrEqualToThreshold", threshold: 1, periods: alarmSustained,
				description: fmt.Sprintf("A web target was unhealthy for %d minutes", alarmSustained*alarmPeriod/60)})
		if a.WebAlwaysOn {
			out = append(out, alarm{subject: "alb", kind: "no-healthy-targets", namespace: "AWS/ApplicationELB", metric: "HealthyHostCount", statistic: "Minimum",
				dimensions: tgDims, comparison: "LessThanThreshold", threshold: 1, periods: 1, missing: "breaching",
				description: "The web target group has no healthy target: the site is down (no data counts as down)"})
		}
	}
	return out
}
