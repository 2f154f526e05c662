package verify

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/docustack/infrastructure/internal/synth"
)

// Role obligations derived from the plan's wiring: every input of every
// resource that names a role of the plan is a promise that some service
// will assume that role. Which service, and with which context keys, is a
// property of the input (the model below, one entry per pulumi-aws input
// that takes a role); a role named at an input the model does not know is a
// finding ("no model for ..."), never silence.

// assumer is the service that assumes a role named at an input, and the
// context keys it sends (its page on cross-service confused-deputy
// prevention), given the referencing resource.
type assumer struct {
	service string
	// context builds the keys AWS sends; nil when the service documents none.
	context func(w *world, r synth.Resource) map[string][]string
	// attach marks an input that attaches to the role rather than assuming it.
	attach bool
	// source is AWS's page for the principal and its keys.
	source string
}

// sourceAccount is the key every service below documents.
func sourceAccount(w *world, _ synth.Resource) map[string][]string {
	return map[string][]string{"aws:SourceAccount": {w.account}}
}

// withSourceArn adds aws:SourceArn, the ARN the service acts for.
func withSourceArn(arn func(w *world, r synth.Resource) string) func(w *world, r synth.Resource) map[string][]string {
	return func(w *world, r synth.Resource) map[string][]string {
		return map[string][]string{"aws:SourceAccount": {w.account}, "aws:SourceArn": {arn(w, r)}}
	}
}

// roleSites: pulumi-aws type -> input path ("[]" for any list index) -> who assumes.
var roleSites = map[string]map[string]assumer{
	// ECS assumes task and task execution roles for each task it starts and
	// sends the task's ARN and account.
	"aws:ecs/taskDefinition:TaskDefinition": {
		"taskRoleArn": {service: "ecs-tasks.amazonaws.com", context: withSourceArn(taskArn),
			source: "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-iam-roles.html"},
		"executionRoleArn": {service: "ecs-tasks.amazonaws.com", context: withSourceArn(taskArn),
			source: "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_execution_IAM_role.html"},
	},
	// Lambda assumes a function's execution role; it sends no confused-deputy keys.
	"aws:lambda/function:Function": {"role": {service: "lambda.amazonaws.com",
		source: "https://docs.aws.amazon.com/lambda/latest/dg/lambda-intro-execution-role.html"}},
	"aws:cfg/recorder:Recorder": {"roleArn": {service: "config.amazonaws.com", context: sourceAccount,
		source: "https://docs.aws.amazon.com/config/latest/developerguide/iamrole-permissions.html"}},
	"aws:backup/selection:Selection": {"iamRoleArn": {service: "backup.amazonaws.com",
		source: "https://docs.aws.amazon.com/aws-backup/latest/devguide/iam-service-roles.html"}},
	"aws:cloudtrail/trail:Trail": {"cloudWatchLogsRoleArn": {service: "cloudtrail.amazonaws.com", context: withSourceArn(ownArn),
		source: "https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cross-service-confused-deputy-prevention.html"}},
	"aws:s3/bucketReplicationConfig:BucketReplicationConfig": {"role": {service: "s3.amazonaws.com", context: withSourceArn(replicatedBucketArn),
		source: "https://docs.aws.amazon.com/AmazonS3/latest/userguide/setting-repl-config-perm-overview.html"}},
	// EventBridge Scheduler sends the schedule group's ARN.
	"aws:scheduler/schedule:Schedule": {"target.roleArn": {service: "scheduler.amazonaws.com", context: withSourceArn(scheduleGroupArn),
		source: "https://docs.aws.amazon.com/scheduler/latest/UserGuide/cross-service-confused-deputy-prevention.html"}},
	"aws:cloudwatch/eventTarget:EventTarget": {"roleArn": {service: "events.amazonaws.com", context: sourceAccount,
		source: "https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-resource-based.html"}},
	// EC2 assumes an instance profile's role for the instance.
	"aws:iam/instanceProfile:InstanceProfile": {"role": {service: "ec2.amazonaws.com",
		source: "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_switch-role-ec2.html"}},
	// RDS's Enhanced Monitoring sends the DB instance's ARN and account.
	"aws:rds/instance:Instance": {"monitoringRoleArn": {service: "monitoring.rds.amazonaws.com", context: withSourceArn(ownArn),
		source: "https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_Monitoring.OS.Enabling.html#USER_Monitoring.OS.confused-deputy"}},
	"aws:rds/clusterInstance:ClusterInstance": {"monitoringRoleArn": {service: "monitoring.rds.amazonaws.com", context: withSourceArn(ownArn),
		source: "https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_Monitoring.OS.Enabling.html#USER_Monitoring.OS.confused-deputy"}},
	"aws:ecs/service:Service": {"iamRole": {service: "ecs.amazonaws.com",
		source: "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/using-service-linked-roles.html"}},
	// SSM Automation assumes a remediation's AutomationAssumeRole.
	"aws:cfg/remediationConfiguration:RemediationConfiguration": {"parameters[].staticValue": {service: "ssm.amazonaws.com", context: sourceAccount,
		source: "https://docs.aws.amazon.com/systems-manager/latest/userguide/automation-setup-iam.html"}},
	// An attachment names the role it grants to; nobody assumes through it.
	"aws:iam/rolePolicyAttachment:RolePolicyAttachment": {"role": {attach: true}},
	"aws:iam/rolePolicy:RolePolicy":                     {"role": {attach: true}},
}

func ownArn(_ *world, r synth.Resource) string { s, _ := r.Outputs["arn"].(string); return s }

// taskArn is an ARN of a task of the definition, as ECS sends it.
func taskArn(w *world, r synth.Resource) string {
	return fmt.Sprintf("arn:aws:ecs:%s:%s:task/%s/0123456789abcdef0123456789abcdef", w.region, w.account, clusterOf(w, r))
}

// clusterOf is the name of the cluster a service running the task
// definition belongs to, or "cluster".
func clusterOf(w *world, td synth.Resource) string {
	for _, s := range w.plan.ByType(tECSService) {
		for _, deps := range s.PropertyDependencies["taskDefinition"] {
			if deps == td.URN {
				if c, ok := w.plan.ByID(lastSegment(s.Str("cluster"))); ok {
					return c.Str("name")
				}
				return lastSegment(s.Str("cluster"))
			}
		}
	}
	return "cluster"
}

func lastSegment(arn string) string { return arn[strings.LastIndex(arn, "/")+1:] }

func replicatedBucketArn(_ *world, r synth.Resource) string { return "arn:aws:s3:::" + r.Str("bucket") }

func scheduleGroupArn(w *world, r synth.Resource) string {
	g := r.Str("groupName")
	if g == "" {
		g = "default"
	}
	return fmt.Sprintf("arn:aws:scheduler:%s:%s:schedule-group/%s", w.region, w.account, g)
}

// sitePattern writes a path's list indexes as "[]": parameters.3.staticValue
// is parameters[].staticValue.
func sitePattern(path string) string {
	var out []string
	for _, p := range strings.Split(path, ".") {
		if _, err := strconv.Atoi(p); err == nil && len(out) > 0 {
			out[len(out)-1] += "[]"
			continue
		}
		out = append(out, p)
	}
	return strings.Join(out, ".")
}

// roleUseIntents walks every input of every resource for the plan's roles.
func (w *world) roleUseIntents() ([]AccessIntent, []Finding) {
	byName := map[string]*role{}
	for _, ro := range w.roles {
		byName[ro.name] = ro
	}
	var intents []AccessIntent
	var findings []Finding
	for _, r := range w.plan.Resources {
		if !r.Custom || r.Type == "aws:iam/role:Role" || !strings.HasPrefix(r.Type, "aws:") {
			continue
		}
		for _, ref := range stringsIn(r.Inputs, "") {
			ro, ok := w.roles[ref.value]
			if !ok {
				ro, ok = byName[ref.value]
			}
			if !ok {
				continue
			}
			pattern := sitePattern(ref.path)
			site, known := roleSites[r.Type][pattern]
			if !known {
				findings = append(findings, Finding{Kind: "model", Intent: fmt.Sprintf("%s %s names role %s", r.Name, ref.path, ro.name),
					Detail: fmt.Sprintf("no model for a role named at %s.%s: say which service assumes it (internal/verify/access_roles.go roleSites)", r.Type, pattern)})
				continue
			}
			if site.attach {
				continue
			}
			var ctx map[string][]string
			if site.context != nil {
				ctx = site.context(w, r)
			}
			trust := ro.trust
			intents = append(intents, AccessIntent{
				Name: fmt.Sprintf("%s assumes %s for %s (%s)", site.service, ro.name, r.Name, pattern), Want: true,
				pol:     policies{resource: &trust, resName: "trust", resourceAccount: w.account},
				Request: Request{Principal: svc(site.service), Action: "sts:AssumeRole", Resource: ro.arn, Context: ctx},
			})
		}
	}
	sort.Slice(intents, func(i, j int) bool { return intents[i].Name < intents[j].Name })
	return intents, findings
}

type stringRef struct{ path, value string }

// stringsIn lists every string in a value with its dotted path.
func stringsIn(v any, path string) []stringRef {
	join := func(k string) string {
		if path == "" {
			return k
		}
		return path + "." + k
	}
	switch x := v.(type) {
	case map[string]any:
		var out []stringRef
		for k, e := range x {
			out = append(out, stringsIn(e, join(k))...)
		}
		return out
	case []any:
		var out []stringRef
		for i, e := range x {
			out = append(out, stringsIn(e, join(strconv.Itoa(i)))...)
		}
		return out
	case string:
		return []stringRef{{path, x}}
	}
	return nil
}
