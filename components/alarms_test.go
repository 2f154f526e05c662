package components_test

import (
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/docustack/infrastructure/components"
	"github.com/docustack/infrastructure/internal/synth"
)

// alarmsOf returns a plan's operational alarms by name.
func alarmsOf(p *synth.Plan) map[string]synth.Resource {
	out := map[string]synth.Resource{}
	for _, r := range p.ByType("aws:cloudwatch/metricAlarm:MetricAlarm") {
		if strings.HasPrefix(r.Name, "alarms-") {
			out[r.Str("name")] = r
		}
	}
	return out
}

// Seed, Continuous Monitoring: "CloudWatch: operational metrics, custom
// thresholds". Every ECS service, the database and the ALB are watched, and
// every alarm notifies the alerts topic when it fires and when it clears.
func TestOperationalAlarms(t *testing.T) {
	for _, stack := range []string{"dev", "prod"} {
		t.Run(stack, func(t *testing.T) {
			p := stackPlan(t, stack)
			alarms := alarmsOf(p)
			prefix := "docustack-" + stack
			services := p.ByType("aws:ecs/service:Service")
			require.NotEmpty(t, services)
			// Full specifications, written from the seed ("CloudWatch:
			// operational metrics, custom thresholds") and CloudWatch's metric
			// documentation: ALB metrics are counts (Sum), UnHealthyHostCount a
			// gauge (Maximum), FreeStorageSpace in bytes (Minimum).
			for _, svc := range services {
				name := svc.Str("name")
				if name == prefix+"-temporal-ui" {
					_, ok := alarms[name+"-cpu"]
					assert.False(t, ok, "the Temporal UI, an operator tool on Spot, has no CPU or memory alarms")
					continue
				}
				for metric, kind := range map[string]string{"CPUUtilization": "cpu", "MemoryUtilization": "memory"} {
					a, ok := alarms[name+"-"+kind]
					require.True(t, ok, "no %s alarm for ECS service %s", kind, name)
					assert.Equal(t, spec{"AWS/ECS", metric, "Average", 300, 3, 80, "GreaterThanThreshold"}, specOf(a), name+"-"+kind)
					assert.Equal(t, map[string]any{"ClusterName": prefix, "ServiceName": name}, a.Get("dimensions"))
				}
			}
			for name, want := range map[string]spec{
				"alb-elb-5xx":           {"AWS/ApplicationELB", "HTTPCode_ELB_5XX_Count", "Sum", 300, 1, 10, "GreaterThanOrEqualToThreshold"},
				"alb-target-5xx":        {"AWS/ApplicationELB", "HTTPCode_Target_5XX_Count", "Sum", 300, 1, 10, "GreaterThanOrEqualToThreshold"},
				"alb-unhealthy-targets": {"AWS/ApplicationELB", "UnHealthyHostCount", "Maximum", 300, 3, 1, "GreaterThanOrEqualToThreshold"},
				"database-cpu":          {"AWS/RDS", "CPUUtilization", "Average", 300, 3, 80, "GreaterThanThreshold"},
				"database-free-storage": {"AWS/RDS", "FreeStorageSpace", "Minimum", 300, 1, 2 << 30, "LessThanThreshold"},
			} {
				a, ok := alarms[prefix+"-"+name]
				require.True(t, ok, name)
				assert.Equal(t, want, specOf(a), name)
				assert.Equal(t, a.Int("evaluationPeriods"), a.Int("datapointsToAlarm"), "%s: every datapoint of the window breaches", name)
			}

			db := alarms[prefix+"-database-cpu"]
			assert.Equal(t, map[string]any{"DBInstanceIdentifier": mustNamed(t, p, "database-instance").Str("identifier")}, db.Get("dimensions"))
			elb := alarms[prefix+"-alb-elb-5xx"]
			assert.Equal(t, "app/"+prefix+"/ingress-alb-id", elb.Str("dimensions.LoadBalancer"))
			target := alarms[prefix+"-alb-target-5xx"]
			assert.Equal(t, "targetgroup/"+prefix+"-web/ingress-web-tg-id", target.Str("dimensions.TargetGroup"))

			// prod runs the web app around the clock: a target group with no
			// healthy target at all (no data included) is an outage; dev's
			// scheduler stops it every night on purpose.
			down, always := alarms[prefix+"-alb-no-healthy-targets"]
			assert.Equal(t, stack == "prod", always)
			extra := 0
			if always {
				extra = 1
				assert.Equal(t, spec{"AWS/ApplicationELB", "HealthyHostCount", "Minimum", 300, 1, 1, "LessThanThreshold"}, specOf(down))
				assert.Equal(t, "breaching", down.Str("treatMissingData"), "no data: nothing registered, nothing healthy")
			}
			if stack == "prod" {
				extra += len(components.TemporalSignals) // Temporal's own signals; dev has temporal.metrics false
			}
			assert.Len(t, alarms, 2*(len(services)-1)+5+extra)
			// The alerts topic's ARN (the mock's form: the resource's ID in the stack's account).
			topic := "arn:aws:sns:us-east-1:" + map[string]string{"dev": "111111111111", "prod": "333333333333"}[stack] + ":docustack-" + stack + "-alerts"
			for name, a := range alarms {
				assert.Equal(t, []string{topic}, strs(a.Get("alarmActions")), name)
				assert.Equal(t, []string{topic}, strs(a.Get("okActions")), name)
				if name != prefix+"-alb-no-healthy-targets" {
					assert.Equal(t, "notBreaching", a.Str("treatMissingData"), "%s: a service stopped by the scheduler is not an outage", name)
				}
			}
		})
	}
	assert.Empty(t, alarmsOf(stackPlan(t, "org")), "the org stack runs no workload")
}

// spec is an alarm's specification.
type spec struct {
	namespace, metric, statistic string
	period, periods              int
	threshold                    float64
	comparison                   string
}

func specOf(a synth.Resource) spec {
	f, _ := a.Get("threshold").(float64)
	return spec{a.Str("namespace"), a.Str("metricName"), a.Str("statistic"), a.Int("period"), a.Int("evaluationPeriods"), f, a.Str("comparisonOperator")}
}

func TestAlarmsAuroraAndCustomThresholds(t *testing.T) {
	p := synthesize(t, func(ctx *pulumi.Context) error {
		_, err := components.NewAlarms(ctx, "alarms", components.AlarmsArgs{
			Prefix: "docustack-test", TopicArn: pulumi.String("arn:aws:sns:us-east-1:123456789012:alerts"),
			Thresholds:  components.AlarmThresholds{CPUPercent: 70, MemoryPercent: 90},
			ClusterName: "docustack-test", Services: []string{"docustack-test-web"},
			DatabaseEngine: components.EngineAurora, DatabaseIdentifier: "docustack-test", Tags: stackTags,
		})
		return err
	})
	alarms := alarmsOf(p)
	assert.Equal(t, map[string]any{"DBClusterIdentifier": "docustack-test"}, alarms["docustack-test-database-cpu"].Get("dimensions"))
	assert.NotContains(t, alarms, "docustack-test-database-free-storage", "Aurora's volume grows by itself")
	assert.Equal(t, 70, alarms["docustack-test-database-cpu"].Int("threshold"))
	assert.Equal(t, 70, alarms["docustack-test-web-cpu"].Int("threshold"))
	assert.Equal(t, 90, alarms["docustack-test-web-memory"].Int("threshold"))
	assert.Len(t, alarms, 3, "no load balancer given, no ALB alarms")
}

func TestAlarmsArgsValidation(t *testing.T) {
	valid := func() components.AlarmsArgs {
		return components.AlarmsArgs{Prefix: "docustack-test", ClusterName: "c", Services: []string{"a"},
			DatabaseEngine: components.EnginePostgres, DatabaseIdentifier: "db", Tags: stackTags}
	}
	cases := []struct {
		name   string
		mutate func(*components.AlarmsArgs)
		want   []string
	}{
		{"valid", func(*components.AlarmsArgs) {}, nil},
		{"percentages", func(a *components.AlarmsArgs) { a.Thresholds.CPUPercent, a.Thresholds.MemoryPercent = 101, -5 },
			[]string{`cpuPercent: got 101, want 1..100 percent`, `memoryPercent: got -5, want 1..100 percent`}},
		{"storage", func(a *components.AlarmsArgs) { a.Thresholds.DatabaseFreeStorageGB = -1 }, []string{`databaseFreeStorageGb: got -1, want at least 1 GB`}},
		{"5xx", func(a *components.AlarmsArgs) { a.Thresholds.HTTP5xxPerFiveMinutes = -1 }, []string{`http5xxPerFiveMinutes: got -1`}},
		{"services without cluster", func(a *components.AlarmsArgs) { a.ClusterName = "" }, []string{`clusterName: got ""`}},
		{"duplicate service", func(a *components.AlarmsArgs) { a.Services = []string{"a", "a"} }, []string{`services[1]: got "a", want a distinct ECS service name`}},
		{"engine", func(a *components.AlarmsArgs) { a.DatabaseEngine = "mysql" }, []string{`databaseEngine: got "mysql"`}},
		{"prefix", func(a *components.AlarmsArgs) { a.Prefix = "Bad_Prefix" }, []string{`prefix: got "Bad_Prefix"`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a := valid()
			c.mutate(&a)
			assertErrors(t, a.Validate(), c.want)
		})
	}

	a := valid()
	a.LoadBalancerSuffix = pulumi.String("app/x/1")
	plan, err := synth.Run(synth.Options{}, func(ctx *pulumi.Context) error {
		_, err := components.NewAlarms(ctx, "alarms", a)
		return err
	})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "topicArn")
	assert.Contains(t, err.Error(), "targetGroupSuffix")
	assert.Empty(t, plan.Resources, "nothing registered")
}
