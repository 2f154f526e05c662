package components

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"time"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/scheduler"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Scheduler defaults: stop in the evening, start in the morning, weekdays.
// A stopped RDS instance restarts itself after 7 days, so a weekend stop
// (Friday evening to Monday morning) never hits that limit.
const (
	DefaultTimezone = "America/New_York"
	DefaultStopAt   = "20:00"
	DefaultStartAt  = "07:00"
	DefaultDays     = "MON-FRI"
	// databaseLag orders the steps: services stop before the database, and
	// the database starts before the services.
	databaseLag = 15 * time.Minute
)

var (
	clockPattern = regexp.MustCompile(`^([01][0-9]|2[0-3]):[0-5][0-9]$`)
	daysPattern  = regexp.MustCompile(`^(MON|TUE|WED|THU|FRI|SAT|SUN)(-(MON|TUE|WED|THU|FRI|SAT|SUN))?(,(MON|TUE|WED|THU|FRI|SAT|SUN))*$`)
)

// ScheduledService is an ECS service the scheduler stops and starts.
type ScheduledService struct {
	// Label names its schedules ("web").
	Label string
	// ClusterName and ServiceName identify it.
	ClusterName, ServiceName string
	// ServiceArn scopes the scheduler's permission.
	ServiceArn pulumi.StringInput
	// DesiredCount is restored in the morning.
	DesiredCount int
	// Autoscaling, when the service scales itself: the scheduler then sets
	// the scalable target's bounds (0 at night) instead of the count.
	Autoscaling *Autoscaling
}

// ScheduledDatabase is the database the scheduler stops and starts.
type ScheduledDatabase struct {
	Engine     DatabaseEngine
	Identifier string
	Arn        pulumi.StringInput
}

// ScheduledGroup is an Auto Scaling group scaled to 0 every night (the bastion).
type ScheduledGroup struct {
	Label, Name string
	Arn         pulumi.StringInput
}

// SchedulerArgs configures the nightly stop/start.
type SchedulerArgs struct {
	// GroupName is the EventBridge Scheduler group. Required.
	GroupName string
	// Timezone of the schedules (IANA). Default: America/New_York.
	Timezone string
	// StopAt and StartAt are "HH:MM". Default: 20:00 and 07:00.
	StopAt, StartAt string
	// Days the schedules run (cron day-of-week). Default: MON-FRI.
	Days string
	// Services and Database to stop at night and start in the morning.
	Services []ScheduledService
	Database *ScheduledDatabase
	// ScaleDown groups go to 0 every night and are never started.
	ScaleDown []ScheduledGroup
	// AccountID scopes the role's trust. Required.
	AccountID string
	// Tags are the stack tags. Required: every key of StackTagKeys.
	Tags Tags
}

func (a *SchedulerArgs) setDefaults() {
	if a.Timezone == "" {
		a.Timezone = DefaultTimezone
	}
	if a.StopAt == "" {
		a.StopAt = DefaultStopAt
	}
	if a.StartAt == "" {
		a.StartAt = DefaultStartAt
	}
	if a.Days == "" {
		a.Days = DefaultDays
	}
}

// Validate reports every invalid field at once.
func (a SchedulerArgs) Validate() error {
	a.setDefaults()
	var errs []error
	if !dbIdentifierPattern.MatchString(a.GroupName) {
		errs = append(errs, fieldErr("groupName", a.GroupName, "[a-z0-9-]"))
	}
	if _, err := time.LoadLocation(a.Timezone); err != nil || a.Timezone == "Local" {
		errs = append(errs, fieldErr("timezone", a.Timezone, "an IANA time zone such as %s", DefaultTimezone))
	}
	for f, v := range InOrder(map[string]string{"stopAt": a.StopAt, "startAt": a.StartAt}) {
		if !clockPattern.MatchString(v) {
			errs = append(errs, fieldErr(f, v, "HH:MM (24-hour)"))
		}
	}
	if clockPattern.MatchString(a.StopAt) && clockPattern.MatchString(a.StartAt) {
		stop, start := clock(a.StopAt), clock(a.StartAt)
		if stop-start < 2*databaseLag && start-stop < 2*databaseLag {
			errs = append(errs, fieldErr("stopAt", a.StopAt, "at least %v away from startAt", 2*databaseLag))
		}
	}
	if !daysPattern.MatchString(a.Days) {
		errs = append(errs, fieldErr("days", a.Days, "cron days such as MON-FRI"))
	}
	if !accountIDPattern.MatchString(a.AccountID) {
		errs = append(errs, fieldErr("accountId", a.AccountID, "a 12-digit AWS account ID"))
	}
	errs = append(errs, validateStackTags("tags", a.Tags))
	return errors.Join(errs...)
}

// clock parses "HH:MM" into a duration since midnight.
func clock(s string) time.Duration {
	h, _ := strconv.Atoi(s[:2])
	m, _ := strconv.Atoi(s[3:])
	return time.Duration(h)*time.Hour + time.Duration(m)*time.Minute
}

// cronAt is an EventBridge Scheduler cron expression at a time of day plus
// an offset, on the given days.
func cronAt(at string, offset time.Duration, days string) string {
	t := (clock(at) + offset + 24*time.Hour) % (24 * time.Hour)
	return fmt.Sprintf("cron(%d %d ? * %s *)", int(t.Minutes())%60, int(t.Hours()), days)
}

// Scheduler stops and starts the platform outside working hours.
type Scheduler struct {
	pulumi.ResourceState

	// Schedules by name.
	Schedules map[string]*scheduler.Schedule
}

// step is one schedule: an AWS API call through a universal target.
type step struct {
	name, expression, api string
	input                 map[string]any
}

// NewScheduler creates the EventBridge Scheduler schedules (with a time
// zone) and one least-privilege role: services stop (desired count 0, or
// autoscaling bounds 0) and the database stops after them; in the morning the
// database starts first and the services follow; Auto Scaling groups in
// ScaleDown go to 0 every night.
func NewScheduler(ctx *pulumi.Context, name string, args SchedulerArgs, opts ...pulumi.ResourceOption) (*Scheduler, error) {
	args.setDefaults()
	if err := args.Validate(); err != nil {
		return nil, err
	}
	s := &Scheduler{Schedules: map[string]*scheduler.Schedule{}}
	if err := ctx.RegisterComponentResource(TypeScheduler, name, s, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(s)
	tags := func(child string) pulumi.StringMap { return MergeTags(args.Tags, child, Tags{TagComponent: name}) }

	groupName := childName(name, "group")
	group, err := scheduler.NewScheduleGroup(ctx, groupName, &scheduler.ScheduleGroupArgs{
		Name: pulumi.String(args.GroupName), Tags: tags(groupName),
	}, parent)
	if err != nil {
		return nil, err
	}

	var steps []step
	var resources pulumi.StringArray
	var actions []string
	stop, start := cronAt(args.StopAt, 0, args.Days), cronAt(args.StartAt, databaseLag, args.Days)
	for _, svc := range args.Services {
		resources = append(resources, svc.ServiceArn)
		if svc.Autoscaling != nil {
			bounds := func(min, max int) map[string]any {
				return map[string]any{"ServiceNamespace": "ecs", "ScalableDimension": "ecs:service:DesiredCount",
					"ResourceId": ScalableResourceID(svc.ClusterName, svc.ServiceName), "MinCapacity": min, "MaxCapacity": max}
			}
			steps = append(steps,
				step{svc.Label + "-stop", stop, "applicationautoscaling:registerScalableTarget", bounds(0, 0)},
				step{svc.Label + "-start", start, "applicationautoscaling:registerScalableTarget", bounds(svc.Autoscaling.MinCount, svc.Autoscaling.MaxCount)})
			actions = appendOnce(actions, "application-autoscaling:RegisterScalableTarget")
			continue
		}
		count := func(n int) map[string]any {
			return map[string]any{"Cluster": svc.ClusterName, "Service": svc.ServiceName, "DesiredCount": n}
		}
		steps = append(steps,
			step{svc.Label + "-stop", stop, "ecs:updateService", count(0)},
			step{svc.Label + "-start", start, "ecs:updateService", count(svc.DesiredCount)})
		actions = appendOnce(actions, "ecs:UpdateService")
	}
	if db := args.Database; db != nil {
		resources = append(resources, db.Arn)
		kind, key := "DBInstance", "DbInstanceIdentifier"
		if db.Engine == EngineAurora {
			kind, key = "DBCluster", "DbClusterIdentifier" // Aurora stops as a cluster
		}
		in := map[string]any{key: db.Identifier}
		steps = append(steps,
			step{"database-stop", cronAt(args.StopAt, databaseLag, args.Days), "rds:stop" + kind, in},
			step{"database-start", cronAt(args.StartAt, 0, args.Days), "rds:start" + kind, in})
		actions = append(actions, "rds:Stop"+kind, "rds:Start"+kind)
	}
	for _, g := range args.ScaleDown {
		resources = append(resources, g.Arn)
		steps = append(steps, step{g.Label + "-scale-down", cronAt(args.StopAt, 0, "*"), "autoscaling:updateAutoScalingGroup",
			map[string]any{"AutoScalingGroupName": g.Name, "DesiredCapacity": 0}})
		actions = appendOnce(actions, "autoscaling:UpdateAutoScalingGroup")
	}

	policy := resources.ToStringArrayOutput().ApplyT(func(arns []string) string {
		return SchedulerPolicy(actions, arns)
	}).(pulumi.StringOutput)
	roleName := childName(name, "role")
	role, err := iam.NewRole(ctx, roleName, &iam.RoleArgs{
		Description: pulumi.String("EventBridge Scheduler: stop and start the platform outside working hours"),
		AssumeRolePolicy: pulumi.String(PolicyJSON(PolicyStatement{
			Effect: "Allow", Principal: map[string]any{"Service": servicePrincipal("scheduler")}, Action: "sts:AssumeRole",
			Condition: map[string]map[string]any{"StringEquals": {"aws:SourceAccount": args.AccountID}},
		})),
		InlinePolicies: iam.RoleInlinePolicyArray{iam.RoleInlinePolicyArgs{Name: pulumi.String("scheduler"), Policy: policy}},
		Tags:           tags(roleName),
	}, parent)
	if err != nil {
		return nil, err
	}
	outputs := pulumi.Map{}
	for _, st := range steps {
		input, err := json.Marshal(st.input)
		if err != nil {
			return nil, err
		}
		schedName := childName(name, st.name)
		sch, err := scheduler.NewSchedule(ctx, schedName, &scheduler.ScheduleArgs{
			Name:                       pulumi.Sprintf("%s-%s", args.GroupName, st.name),
			GroupName:                  group.Name,
			ScheduleExpression:         pulumi.String(st.expression),
			ScheduleExpressionTimezone: pulumi.String(args.Timezone),
			FlexibleTimeWindow:         &scheduler.ScheduleFlexibleTimeWindowArgs{Mode: pulumi.String("OFF")},
			Target: &scheduler.ScheduleTargetArgs{
				Arn:     pulumi.String("arn:aws:scheduler:::aws-sdk:" + st.api),
				RoleArn: role.Arn,
				Input:   pulumi.String(string(input)),
			},
		}, parent)
		if err != nil {
			return nil, err
		}
		s.Schedules[st.name] = sch
		outputs[st.name] = pulumi.String(st.expression)
	}
	if err := ctx.RegisterResourceOutputs(s, outputs); err != nil {
		return nil, err
	}
	return s, nil
}

// SchedulerPolicy allows exactly the scheduler's API calls on its resources.
// Application Auto Scaling has no resource-level permissions.
func SchedulerPolicy(actions, resources []string) string {
	var scoped, unscoped []string
	for _, a := range actions {
		if a == "application-autoscaling:RegisterScalableTarget" {
			unscoped = append(unscoped, a)
		} else {
			scoped = append(scoped, a)
		}
	}
	var statements []PolicyStatement
	if len(scoped) > 0 {
		statements = append(statements, PolicyStatement{Sid: "StopStart", Effect: "Allow", Action: scoped, Resource: resources})
	}
	if len(unscoped) > 0 {
		statements = append(statements, PolicyStatement{Sid: "ScalingBounds", Effect: "Allow", Action: unscoped, Resource: "*",
			Condition: map[string]map[string]any{"StringEquals": {"aws:RequestedRegion": "us-east-1"}}})
	}
	if len(statements) == 0 {
		statements = append(statements, PolicyStatement{Sid: "Nothing", Effect: "Deny", Action: "*", Resource: "*"})
	}
	return PolicyJSON(statements...)
}

func appendOnce(list []string, v string) []string {
	for _, e := range list {
		if e == v {
			return list
		}
	}
	return append(list, v)
}
