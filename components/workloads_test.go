package components_test

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/docustack/infrastructure/components"
	"github.com/docustack/infrastructure/internal/synth"
)

// container decodes the single container of a task definition.
func container(t *testing.T, p *synth.Plan, taskName string) map[string]any {
	t.Helper()
	var cs []map[string]any
	require.NoError(t, json.Unmarshal([]byte(mustNamed(t, p, taskName).Str("containerDefinitions")), &cs))
	require.NotEmpty(t, cs)
	// The main container comes first; sidecars (schema, namespace-init)
	// follow; essential are only the TLS proxy that fronts it and the
	// namespace registration whose health gates the frontend.
	for _, side := range cs[1:] {
		require.Equal(t, side["name"] == "tls-proxy" || side["name"] == "namespace-init", side["essential"], "%s: %s essential", taskName, side["name"])
	}
	return cs[0]
}

// env returns a container's environment (plain) and secrets (ARNs).
func env(c map[string]any, key string) map[string]string {
	out := map[string]string{}
	list, _ := c[key].([]any)
	for _, e := range list {
		m := e.(map[string]any)
		v, _ := m["value"].(string)
		if key == "secrets" {
			v, _ = m["valueFrom"].(string)
		}
		out[m["name"].(string)] = v
	}
	return out
}

func TestTemporalSplit(t *testing.T) {
	p := stackPlan(t, "prod")
	for role, port := range map[string]int{"frontend": 7233, "history": 7234, "matching": 7235, "worker": 7239} {
		svc := mustNamed(t, p, "temporal-"+role+"-service")
		assert.Equal(t, "docustack-prod-temporal-"+role, svc.Str("name"))
		assert.Equal(t, false, svc.Get("networkConfiguration.assignPublicIp"), "private only")
		assert.Equal(t, 2, svc.Int("desiredCount"))
		if role == "worker" {
			// It owns no shard or task-queue partition (Temporal's internal
			// worker: system workflows), so Spot costs nothing but a delay.
			assert.Equal(t, []string{"FARGATE_SPOT 0/1"}, strategy(svc.Get("capacityProviderStrategies")), "the worker role runs on Spot")
		} else {
			assert.Equal(t, []string{"FARGATE 0/1"}, strategy(svc.Get("capacityProviderStrategies")), "the server runs on-demand")
		}
		assert.Equal(t, []string{"temporal-sg-id"}, strs(svc.Get("networkConfiguration.securityGroups")))
		assert.Equal(t, true, svc.Get("serviceConnectConfiguration.enabled"))

		c := container(t, p, "temporal-"+role+"-task")
		assert.Equal(t, "333333333333.dkr.ecr.us-east-1.amazonaws.com/docustack-prod/temporal-server:1.27.2", c["image"], "from the account's registry, not Docker Hub")
		e := env(c, "environment")
		assert.Equal(t, "true", e["SQL_HOST_VERIFICATION"], "the server's certificate is verified")
		assert.Equal(t, components.RDSCABundlePath, e["SQL_CA"])
		assert.Equal(t, "5", e["SQL_VIS_MAX_CONNS"], "the visibility pool is bounded too (its own default is 10)")
		assert.Equal(t, role, e["SERVICES"])
		assert.Equal(t, "postgres12", e["DB"])
		assert.Equal(t, "true", e["SQL_TLS_ENABLED"], "persistence over TLS")
		assert.Equal(t, "512", e["NUM_HISTORY_SHARDS"])
		assert.Equal(t, "temporal", e["DBNAME"])
		assert.Equal(t, "temporal_visibility", e["VISIBILITY_DBNAME"])
		assert.Equal(t, "database-instance.mock.us-east-1.rds.amazonaws.com", e["POSTGRES_SEEDS"])
		assert.Contains(t, env(c, "secrets")["POSTGRES_PWD"], "/database/TEMPORAL_PASSWORD-")
		assert.Contains(t, fmt.Sprint(c["entryPoint"]), "TEMPORAL_BROADCAST_ADDRESS=$(hostname -i)", "ringpop advertises the task IP")
		assert.Equal(t, float64(port), c["portMappings"].([]any)[0].(map[string]any)["containerPort"])
	}
	fe := mustNamed(t, p, "temporal-frontend-service")
	assert.Equal(t, "frontend", fe.Str("serviceConnectConfiguration.services.0.discoveryName"))
	assert.Equal(t, "frontend", fe.Str("serviceConnectConfiguration.services.0.clientAlias.0.dnsName"))
	assert.Equal(t, 7233, fe.Int("serviceConnectConfiguration.services.0.clientAlias.0.port"))
	assert.Equal(t, 300, fe.Int("serviceConnectConfiguration.services.0.timeout.idleTimeoutSeconds"), "longer than Temporal's 60 s long polls")
	assert.Nil(t, fe.Get("serviceConnectConfiguration.services.0.timeout.perRequestTimeoutSeconds"), "TCP: no per-request timeout")
	assert.Nil(t, mustNamed(t, p, "temporal-history-service").Get("serviceConnectConfiguration.services"), "only the frontend is published")
	_, combined := p.Named("temporal-combined-service")
	assert.False(t, combined)

	// Self-referencing group for gRPC and ringpop; frontend from the clients; the database admits Temporal.
	rules := sgRules(t, p, "") // the clients' pairs are theirs: workers-temporal-*, slack-bot-temporal-*
	for _, want := range []string{
		"temporal-sg in tcp 7233-7239 temporal-sg",
		"temporal-sg in tcp 6933-6939 temporal-sg",
		"temporal-sg out tcp 7233-7239 temporal-sg",
		"temporal-sg out tcp 6933-6939 temporal-sg",
		"temporal-sg out tcp 5432 network-rds-sg",
		"temporal-sg in tcp 7233 network-ecs-sg",
		"temporal-sg in tcp 7233 workers-sg",
		"temporal-sg in tcp 7233 slack-bot-sg",
		"temporal-sg in tcp 7233 temporal-ui-sg",
		"network-rds-sg in tcp 5432 temporal-sg",
		"workers-sg out tcp 7233 temporal-sg",
		"slack-bot-sg out tcp 7233 temporal-sg",
		"network-ecs-sg out tcp 7233 temporal-sg",
		"temporal-ui-sg in tcp 8080 bastion-sg",
		"temporal-ui-sg out tcp 7233 temporal-sg",
	} {
		assert.Contains(t, rules, want)
	}
	for _, r := range rules {
		if strings.HasPrefix(r, "temporal-ui-sg in") {
			assert.Equal(t, "temporal-ui-sg in tcp 8080 bastion-sg", r, "the UI is reachable only through the bastion")
		}
	}

	// The UI is private and unauthenticated: no load balancer points at it.
	ui := mustNamed(t, p, "temporal-ui-service")
	assert.Nil(t, ui.Get("loadBalancers"))
	assert.Equal(t, "frontend:7233", env(container(t, p, "temporal-ui-task"), "environment")["TEMPORAL_ADDRESS"])
	assert.Equal(t, "docustack", env(container(t, p, "temporal-ui-task"), "environment")["TEMPORAL_DEFAULT_NAMESPACE"], "the UI opens on the namespace that exists")

	// No one-off schema task: the frontend's init container applies the schema at every start.
	_, oneOff := p.Named("temporal-schema-task")
	assert.False(t, oneOff)
}

func TestTemporalCombinedInDev(t *testing.T) {
	p := stackPlan(t, "dev")
	svc := mustNamed(t, p, "temporal-combined-service")
	assert.Equal(t, "frontend", svc.Str("serviceConnectConfiguration.services.0.discoveryName"))
	assert.Equal(t, "frontend:history:matching:worker", env(container(t, p, "temporal-combined-task"), "environment")["SERVICES"])
	for _, role := range []string{"frontend", "history", "matching", "worker"} {
		_, ok := p.Named("temporal-" + role + "-service")
		assert.False(t, ok, role)
	}
}

func TestTemporalArgsValidate(t *testing.T) {
	valid := components.TemporalArgs{Prefix: "docustack-test", AccountID: "123456789012", Tags: stackTags}
	assertErrors(t, valid.Validate(), nil)
	bad := valid
	bad.NumHistoryShards = 500
	bad.Mode = "cluster"
	bad.MaxConnsPerStore = 500
	assertErrors(t, bad.Validate(), []string{
		`maxConnsPerStore: got 500, want 1..100 connections per database`,
		`numHistoryShards: got 500, want a power of two in 1..16384 (permanent after the first start)`,
		`mode: got "cluster", want "split" or "combined"`,
	})
	// Issue 13, item 7: 512 shards in a combined 1 GiB task (dev's old
	// setting) leave 1 MiB per shard; 4 fit, and 512 fit split history tasks
	// of 1 GiB that own 256 (two tasks) or 512 (one).
	crowded := valid
	crowded.Mode, crowded.NumHistoryShards, crowded.Memory = components.TemporalCombined, 512, 1024
	assertErrors(t, crowded.Validate(), []string{
		`numHistoryShards: got 512 with memory 1024 MiB (combined mode, desiredCount 1), want at most 256 shards per history task ` +
			`(2 MiB each; in combined mode half the task's memory is left to frontend, matching and worker): lower numHistoryShards before the first start, or raise memory or desiredCount`,
	})
	for _, ok := range []components.TemporalArgs{
		{Mode: components.TemporalCombined, NumHistoryShards: 4, Memory: 1024},
		{Mode: components.TemporalSplit, NumHistoryShards: 512, Memory: 1024, DesiredCount: 1},
		{Mode: components.TemporalSplit, NumHistoryShards: 512, Memory: 1024, DesiredCount: 2},
	} {
		a := valid
		a.Mode, a.NumHistoryShards, a.Memory, a.DesiredCount = ok.Mode, ok.NumHistoryShards, ok.Memory, ok.DesiredCount
		assertErrors(t, a.Validate(), nil)
	}
	tooMany := valid
	tooMany.NumHistoryShards, tooMany.Memory = 1024, 1024
	assert.ErrorContains(t, tooMany.Validate(), "numHistoryShards: got 1024 with memory 1024 MiB (split mode, desiredCount 1), want at most 512")

	unpinned := valid
	unpinned.Version = "1.28.0"
	assertErrors(t, unpinned.Validate(), []string{
		`version: got "1.28.0", want a version with a pinned admin-tools tag ([1.27.2]); add it to AdminToolsTags`,
	})
}

func TestWorkers(t *testing.T) {
	dev, prod := stackPlan(t, "dev"), stackPlan(t, "prod")
	assert.Equal(t, []string{"FARGATE_SPOT 0/1"}, strategy(mustNamed(t, dev, "workers-service").Get("capacityProviderStrategies")))
	svc := mustNamed(t, prod, "workers-service")
	assert.Equal(t, []string{"FARGATE 0/1", "FARGATE_SPOT 0/4"}, strategy(svc.Get("capacityProviderStrategies")), "Spot with on-demand fallback")
	assert.Equal(t, []string{"desiredCount"}, svc.IgnoreChanges, "autoscaling owns the count")
	target := mustNamed(t, prod, "workers-scaling-target")
	assert.Equal(t, "service/docustack-prod/docustack-prod-workers", target.Str("resourceId"))
	assert.Equal(t, 2, target.Int("minCapacity"))
	assert.Equal(t, 10, target.Int("maxCapacity"))
	pol := mustNamed(t, prod, "workers-scaling-cpu")
	assert.Equal(t, "ECSServiceAverageCPUUtilization", pol.Str("targetTrackingScalingPolicyConfiguration.predefinedMetricSpecification.predefinedMetricType"))
	assert.Equal(t, 60, pol.Int("targetTrackingScalingPolicyConfiguration.targetValue"))
	assert.Equal(t, false, svc.Get("networkConfiguration.assignPublicIp"))
	assert.Equal(t, "frontend:7233", env(container(t, prod, "workers-task"), "environment")["TEMPORAL_ADDRESS"])
	for _, r := range sgRules(t, prod, "workers-") {
		assert.NotContains(t, r, "workers-sg in", "workers accept no inbound traffic")
	}
}

func TestSlackBotHasNoIngress(t *testing.T) {
	for _, stack := range workloadStacks {
		p := stackPlan(t, stack)
		rules := sgRules(t, p, "")
		var own []string
		for _, r := range rules {
			if strings.HasPrefix(r, "slack-bot-sg ") {
				own = append(own, r)
			}
		}
		sort.Strings(own)
		assert.Equal(t, []string{"slack-bot-sg out tcp 443 0.0.0.0/0", "slack-bot-sg out tcp 7233 temporal-sg"}, own,
			"%s: Socket Mode needs no inbound rule at all; egress through NAT", stack)
		svc := mustNamed(t, p, "slack-bot-service")
		assert.Equal(t, false, svc.Get("networkConfiguration.assignPublicIp"))
		assert.Nil(t, svc.Get("loadBalancers"))
		secrets := env(container(t, p, "slack-bot-task"), "secrets")
		assert.Contains(t, secrets["SLACK_BOT_TOKEN"], ":secret:docustack/"+stack+"/slack-bot/SLACK_BOT_TOKEN-")
		assert.Contains(t, secrets["SLACK_APP_TOKEN"], ":secret:docustack/"+stack+"/slack-bot/SLACK_APP_TOKEN-")
		assert.Equal(t, "docustack/"+stack+"/slack-bot/SLACK_APP_TOKEN", mustNamed(t, p, "slack-bot-secrets-slack-app-token").Str("name"))
		assert.Empty(t, p.ByType("aws:secretsmanager/secretVersion:SecretVersion"), "token values never pass through state")
	}
}

func TestNoECSServiceHasAPublicIP(t *testing.T) {
	for _, stack := range workloadStacks {
		p := stackPlan(t, stack)
		services := p.ByType("aws:ecs/service:Service")
		require.NotEmpty(t, services)
		for _, s := range services {
			assert.Equal(t, false, s.Get("networkConfiguration.assignPublicIp"), "%s/%s", stack, s.Name)
		}
	}
}

func TestDBInit(t *testing.T) {
	p := stackPlan(t, "prod")
	fn := mustNamed(t, p, "db-init-function")
	assert.Equal(t, "Image", fn.Str("packageType"))
	assert.True(t, strings.HasSuffix(fn.Str("imageUri"), "/docustack-prod/db-init:v0.1.0"), "the artifact from the application monorepo")
	assert.Equal(t, []string{"network-private-0-id", "network-private-1-id"}, strs(fn.Get("vpcConfig.subnetIds")))
	assert.Equal(t, []string{"db-init-sg-id"}, strs(fn.Get("vpcConfig.securityGroupIds")))
	vars := fn.Get("environment.variables").(map[string]any)
	assert.Contains(t, vars["MASTER_SECRET_ARN"], "rds!database-instance-id")
	var roles []map[string]any
	require.NoError(t, json.Unmarshal([]byte(vars["ROLES"].(string)), &roles))
	require.Len(t, roles, 2)
	assert.Equal(t, "docustack", roles[0]["name"])
	assert.Equal(t, "iam", roles[0]["auth"], "the application signs in with IAM (ADR 0006)")
	assert.Nil(t, roles[0]["secretArn"], "and has no password secret")
	assert.Equal(t, []any{"temporal", "temporal_visibility"}, roles[1]["databases"])
	assert.Equal(t, "password", roles[1]["auth"])

	inv := mustNamed(t, p, "db-init-invocation")
	assert.Equal(t, map[string]any{"version": "v0.1.0", "roles": vars["ROLES"]}, inv.Get("triggers"),
		"a new artifact version, or a changed role, database or secret, re-runs it on deploy")
	assert.Contains(t, inv.Dependencies, mustNamed(t, p, "database-instance").URN, "runs once the database accepts connections")

	var doc components.PolicyDocument
	require.NoError(t, json.Unmarshal([]byte(mustNamed(t, p, "db-init-role").Str("inlinePolicies.0.policy")), &doc))
	bySid := map[string]components.PolicyStatement{}
	for _, s := range doc.Statement {
		bySid[s.Sid] = s
	}
	assert.Contains(t, bySid["ReadMasterSecret"].Resource, "rds!database-instance-id")
	assert.Equal(t, []any{roles[1]["secretArn"]}, bySid["WriteRoleSecrets"].Resource, "only the password role's secret")
	assert.Contains(t, sgRules(t, p, "db-init-"), "network-rds-sg in tcp 5432 db-init-sg", "reached by the database only through security groups")
	assert.Equal(t, 90, mustNamed(t, p, "db-init-log").Int("retentionInDays"))
}

func TestSchedulerInDevNotProd(t *testing.T) {
	dev := stackPlan(t, "dev")
	names := map[string]synth.Resource{}
	for _, s := range dev.ByType("aws:scheduler/schedule:Schedule") {
		names[strings.TrimPrefix(s.Name, "scheduler-")] = s
	}
	for _, want := range []string{"web-stop", "web-start", "workers-stop", "workers-start", "slack-bot-stop", "slack-bot-start",
		"temporal-combined-stop", "temporal-combined-start", "temporal-ui-stop", "temporal-ui-start",
		"database-stop", "database-start", "bastion-scale-down"} {
		s, ok := names[want]
		if !assert.True(t, ok, want) {
			continue
		}
		assert.Equal(t, "America/New_York", s.Str("scheduleExpressionTimezone"))
		assert.Equal(t, "OFF", s.Str("flexibleTimeWindow.mode"))
	}
	assert.Len(t, names, 13)
	assert.Equal(t, "cron(0 20 ? * MON-FRI *)", names["web-stop"].Str("scheduleExpression"))
	assert.Equal(t, "cron(15 20 ? * MON-FRI *)", names["database-stop"].Str("scheduleExpression"), "the database stops after the services")
	assert.Equal(t, "cron(0 7 ? * MON-FRI *)", names["database-start"].Str("scheduleExpression"))
	assert.Equal(t, "cron(15 7 ? * MON-FRI *)", names["web-start"].Str("scheduleExpression"), "services start after the database")
	assert.Equal(t, "arn:aws:scheduler:::aws-sdk:ecs:updateService", names["web-stop"].Str("target.arn"))
	assert.JSONEq(t, `{"Cluster":"docustack-dev","Service":"docustack-dev-web","DesiredCount":0}`, names["web-stop"].Str("target.input"))
	assert.JSONEq(t, `{"Cluster":"docustack-dev","Service":"docustack-dev-web","DesiredCount":1}`, names["web-start"].Str("target.input"))
	assert.Equal(t, "arn:aws:scheduler:::aws-sdk:rds:stopDBInstance", names["database-stop"].Str("target.arn"))
	assert.JSONEq(t, `{"DbInstanceIdentifier":"docustack-dev"}`, names["database-stop"].Str("target.input"))

	// Services the scheduler owns ignore desiredCount, so `pulumi up` does not restart them.
	for _, s := range dev.ByType("aws:ecs/service:Service") {
		assert.Equal(t, []string{"desiredCount"}, s.IgnoreChanges, s.Name)
	}

	prod := stackPlan(t, "prod")
	var prodSchedules []string
	for _, s := range prod.ByType("aws:scheduler/schedule:Schedule") {
		prodSchedules = append(prodSchedules, s.Name)
	}
	assert.Equal(t, []string{"scheduler-bastion-scale-down"}, prodSchedules, "prod only scales the bastion back to 0")
	assert.Nil(t, mustNamed(t, prod, "web-service").IgnoreChanges, "no scheduler in prod: desiredCount stays managed")

	var doc components.PolicyDocument
	require.NoError(t, json.Unmarshal([]byte(mustNamed(t, dev, "scheduler-role").Str("inlinePolicies.0.policy")), &doc))
	assert.Equal(t, []any{"ecs:UpdateService", "rds:StopDBInstance", "rds:StartDBInstance", "autoscaling:UpdateAutoScalingGroup"}, doc.Statement[0].Action)
	assert.NotContains(t, doc.Statement[0].Resource, "*")
}

func TestSchedulerAuroraAndAutoscaling(t *testing.T) {
	p := synthesize(t, func(ctx *pulumi.Context) error {
		_, err := components.NewScheduler(ctx, "s", components.SchedulerArgs{
			GroupName: "test", AccountID: "123456789012", Tags: stackTags,
			Services: []components.ScheduledService{{Label: "workers", ClusterName: "c", ServiceName: "w",
				ServiceArn: pulumi.String("arn:svc"), DesiredCount: 2, Autoscaling: &components.Autoscaling{MinCount: 2, MaxCount: 8}}},
			Database: &components.ScheduledDatabase{Engine: components.EngineAurora, Identifier: "db", Arn: pulumi.String("arn:db")},
		})
		return err
	})
	assert.Equal(t, "arn:aws:scheduler:::aws-sdk:rds:stopDBCluster", mustNamed(t, p, "s-database-stop").Str("target.arn"), "Aurora needs StopDBCluster")
	assert.JSONEq(t, `{"DbClusterIdentifier":"db"}`, mustNamed(t, p, "s-database-start").Str("target.input"))
	assert.Equal(t, "arn:aws:scheduler:::aws-sdk:applicationautoscaling:registerScalableTarget", mustNamed(t, p, "s-workers-stop").Str("target.arn"))
	assert.JSONEq(t, `{"ServiceNamespace":"ecs","ScalableDimension":"ecs:service:DesiredCount","ResourceId":"service/c/w","MinCapacity":0,"MaxCapacity":0}`,
		mustNamed(t, p, "s-workers-stop").Str("target.input"), "autoscaling would undo a plain count of 0")
	assert.JSONEq(t, `{"ServiceNamespace":"ecs","ScalableDimension":"ecs:service:DesiredCount","ResourceId":"service/c/w","MinCapacity":2,"MaxCapacity":8}`,
		mustNamed(t, p, "s-workers-start").Str("target.input"))
}

func TestSchedulerArgsValidate(t *testing.T) {
	valid := components.SchedulerArgs{GroupName: "nightly", AccountID: "123456789012", Tags: stackTags}
	assertErrors(t, valid.Validate(), nil)
	bad := valid
	bad.Timezone, bad.StopAt, bad.Days = "Mars/Olympus", "25:00", "WEEKDAYS"
	assertErrors(t, bad.Validate(), []string{`timezone: got "Mars/Olympus"`, `stopAt: got "25:00", want HH:MM (24-hour)`, `days: got "WEEKDAYS"`})
	close := valid
	close.StopAt, close.StartAt = "07:10", "07:00"
	assertErrors(t, close.Validate(), []string{`stopAt: got "07:10", want at least 30m0s away from startAt`})
}

func TestBastion(t *testing.T) {
	for _, stack := range workloadStacks {
		p := stackPlan(t, stack)
		g := mustNamed(t, p, "bastion-group")
		assert.Equal(t, 0, g.Int("desiredCapacity"), "nothing runs by default")
		assert.Equal(t, 0, g.Int("minSize"))
		assert.Equal(t, 1, g.Int("maxSize"))
		assert.Equal(t, []string{"desiredCapacity"}, g.IgnoreChanges, "an engineer scales it to 1; pulumi up does not undo that")
		assert.Equal(t, []string{"network-private-0-id", "network-private-1-id"}, strs(g.Get("vpcZoneIdentifiers")))

		lt := mustNamed(t, p, "bastion-launch-template")
		assert.Equal(t, "t4g.nano", lt.Str("instanceType"), "small Graviton")
		// AWS's public SSM parameter for Amazon Linux 2023 on arm64: the
		// instance type is Graviton (t4g), so an x86_64 image would not boot.
		assert.Equal(t, "resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64", lt.Str("imageId"))
		assert.Equal(t, "required", lt.Str("metadataOptions.httpTokens"), "IMDSv2 only")
		assert.Equal(t, 1, lt.Int("metadataOptions.httpPutResponseHopLimit"))
		assert.Equal(t, "true", lt.Str("blockDeviceMappings.0.ebs.encrypted"))
		assert.Equal(t, keyArn(p, "ebs"), lt.Str("blockDeviceMappings.0.ebs.kmsKeyId"))
		assert.Contains(t, lt.Str("iamInstanceProfile.arn"), "bastion-profile")
		assert.Equal(t, "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore", mustNamed(t, p, "bastion-ssm").Str("policyArn"))
		for _, r := range sgRules(t, p, "bastion-") {
			assert.NotContains(t, r, "bastion-sg in", "no ingress: Session Manager only")
		}
		assert.Contains(t, sgRules(t, p, "bastion-db-"), "network-rds-sg in tcp 5432 bastion-sg")
		_, ok := p.Named("scheduler-bastion-scale-down")
		assert.True(t, ok, "%s: scaled back to 0 every night", stack)
	}
	assertErrors(t, components.BastionArgs{Name: "bastion", InstanceType: "t3.micro", Tags: stackTags}.Validate(),
		[]string{`instanceType: got "t3.micro", want a Graviton (arm64) type`})
}

func TestGitHubOIDC(t *testing.T) {
	for _, stack := range []string{"dev", "prod", "org"} {
		p := stackPlan(t, stack)
		prov := mustNamed(t, p, "github-provider")
		assert.Equal(t, "https://token.actions.githubusercontent.com", prov.Str("url"))
		assert.Equal(t, []string{"sts.amazonaws.com"}, strs(prov.Get("clientIdLists")))
		for kind, subject := range map[string]string{
			"preview": "repo:docustack/infrastructure:pull_request",
			"deploy":  "repo:docustack/infrastructure:environment:" + stack,
		} {
			var doc components.PolicyDocument
			require.NoError(t, json.Unmarshal([]byte(mustNamed(t, p, "github-"+kind).Str("assumeRolePolicy")), &doc))
			require.Len(t, doc.Statement, 1)
			assert.Equal(t, map[string]map[string]any{"StringEquals": {
				"token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
				"token.actions.githubusercontent.com:sub": subject,
			}}, doc.Statement[0].Condition, "%s %s trusts exactly one subject", stack, kind)
			assert.Equal(t, "sts:AssumeRoleWithWebIdentity", doc.Statement[0].Action)
		}
		assert.Equal(t, "arn:aws:iam::aws:policy/ReadOnlyAccess", mustNamed(t, p, "github-preview-managed").Str("policyArn"))
		var state components.PolicyDocument
		require.NoError(t, json.Unmarshal([]byte(mustNamed(t, p, "github-preview").Str("inlinePolicies.0.policy")), &state))
		account := p.Outputs["accountId"].(string)
		assert.Equal(t, "arn:aws:s3:::docustack-"+stack+"-pulumi-state-"+account+"/*", state.Statement[1].Resource)
		assert.Equal(t, map[string]any{"kms:ResourceAliases": "alias/docustack-" + stack + "-pulumi-secrets"}, state.Statement[2].Condition["ForAnyValue:StringEquals"])
	}
}

func TestGitHubOIDCAdoptsAndRejectsWildcards(t *testing.T) {
	args := components.GitHubOIDCArgs{Org: "docustack", Repo: "infrastructure", Environment: "dev",
		ExistingProviderArn: "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com",
		StateBucket:         "state", StateKeyAlias: "alias/state", AccountID: "123456789012", Tags: stackTags}
	p := synthesize(t, func(ctx *pulumi.Context) error {
		_, err := components.NewGitHubOIDC(ctx, "gh", args)
		return err
	})
	assert.Empty(t, p.ByType("aws:iam/openIdConnectProvider:OpenIdConnectProvider"), "only one provider per URL per account: adopt it")
	assert.Contains(t, mustNamed(t, p, "gh-deploy").Str("assumeRolePolicy"), args.ExistingProviderArn)

	wild := args
	wild.Repo = "*"
	assertErrors(t, wild.Validate(), []string{`repo: got "*", want one GitHub owner or repository name, no wildcards (never repo:ORG/*)`})
}

// First deploy into an empty account: database clients start after DB-init
// has created their roles, Service Connect clients after the frontend they
// resolve; every client speaks TLS with the same sslmode.
func TestWorkloadsStartInOrder(t *testing.T) {
	for _, stack := range []string{"dev", "prod"} {
		p := stackPlan(t, stack)
		inv := mustNamed(t, p, "db-init-invocation").URN
		for _, name := range []string{"workers-service", "slack-bot-service", "web-service"} {
			assert.Contains(t, mustNamed(t, p, name).Dependencies, inv, "%s %s waits for DB-init", stack, name)
		}
		frontend := "temporal-frontend-service"
		if stack == "dev" {
			frontend = "temporal-combined-service"
		}
		assert.Contains(t, mustNamed(t, p, frontend).Dependencies, inv, "%s: Temporal waits for its databases", stack)
		for _, name := range []string{"web-service", "temporal-ui-service"} {
			assert.Contains(t, mustNamed(t, p, name).Dependencies, mustNamed(t, p, frontend).URN, "%s %s waits for the frontend", stack, name)
		}
		// Every client verifies the server: the RDS CA bundle its image
		// carries, and the host name (verify-full), not only encryption.
		for _, task := range []string{"web-task", "workers-task"} {
			e := env(container(t, p, task), "environment")
			assert.Equal(t, "verify-full", e["DB_SSLMODE"], "%s %s", stack, task)
			assert.Equal(t, components.RDSCABundlePath, e["DB_SSLROOTCERT"], "%s %s", stack, task)
		}
		vars := mustNamed(t, p, "db-init-function").Get("environment.variables").(map[string]any)
		assert.Equal(t, "verify-full", vars["DB_SSLMODE"])
		assert.Equal(t, components.RDSCABundlePath, vars["DB_SSLROOTCERT"])
		// DB-init generates a password only for an empty secret: a re-run
		// keeps every role's password, so it rolls no client.
		assert.Contains(t, mustNamed(t, p, "db-init-invocation").Str("input"), `"passwords":"keep-existing"`)
	}
}

// Every service waits for its steady state, and a rollback fails the up
// (deployedCheck); every container's root filesystem is read-only, with its
// writable paths as task volumes; every task runs on Graviton.
func TestServicesSettleReadOnlyOnGraviton(t *testing.T) {
	for _, stack := range []string{"dev", "staging", "prod"} {
		p := stackPlan(t, stack)
		for _, svc := range p.ByType("aws:ecs/service:Service") {
			assert.Equal(t, true, svc.Get("waitForSteadyState"), "%s %s", stack, svc.Name)
			assert.Equal(t, 200, svc.Int("deploymentMaximumPercent"), "the connection budget's overlap")
		}
		for _, td := range p.ByType("aws:ecs/taskDefinition:TaskDefinition") {
			assert.Equal(t, "ARM64", td.Str("runtimePlatform.cpuArchitecture"), "%s %s", stack, td.Name)
			var defs []map[string]any
			require.NoError(t, json.Unmarshal([]byte(td.Str("containerDefinitions")), &defs))
			volumes := map[string]bool{}
			for _, v := range asSlice(td.Get("volumes")) {
				volumes[v.(map[string]any)["name"].(string)] = true
			}
			owner := map[string]any{}
			for _, c := range defs {
				assert.Equal(t, true, c["readonlyRootFilesystem"], "%s %s %s", stack, td.Name, c["name"])
				for _, m := range asSlice(c["mountPoints"]) {
					v := m.(map[string]any)["sourceVolume"].(string)
					assert.True(t, volumes[v], "%s %s: a mount of a declared volume", stack, td.Name)
					// No container sees another's files (the server's rendered
					// configuration holds its database password).
					if prev, shared := owner[v]; shared {
						t.Errorf("%s %s: volume %s mounted by %v and %v", stack, td.Name, v, prev, c["name"])
					}
					owner[v] = c["name"]
				}
			}
		}
	}
	c := container(t, stackPlan(t, "prod"), "temporal-frontend-task")
	assert.Contains(t, fmt.Sprint(c["mountPoints"]), "containerPath:/etc/temporal/config", "the entry point renders its configuration there")
}

// Only auto-setup registers "default", and it is not used: every frontend
// task registers the applications' namespace itself, idempotently, with a
// retention; the applications are told its name.
func TestTemporalNamespaceIsRegistered(t *testing.T) {
	for _, c := range []struct{ stack, task string }{{"dev", "temporal-combined-task"}, {"prod", "temporal-frontend-task"}} {
		p := stackPlan(t, c.stack)
		var defs []map[string]any
		require.NoError(t, json.Unmarshal([]byte(mustNamed(t, p, c.task).Str("containerDefinitions")), &defs))
		require.GreaterOrEqual(t, len(defs), 3, "server, schema and namespace-init (and prod's metrics collector)")
		side := defs[2]
		assert.Equal(t, "namespace-init", side["name"])
		serverEnv := env(defs[0], "environment")
		assert.Equal(t, "5", serverEnv["SQL_MAX_CONNS"], "pools sized to the instance (the image's default is 20)")
		assert.Equal(t, "5", serverEnv["SQL_MAX_IDLE_CONNS"])
		assert.Equal(t, true, side["essential"], "its health is the task's: the frontend is steady only once the namespace exists")
		assert.Contains(t, side["image"], "/docustack-"+c.stack+"/temporal-admin-tools:1.27.2-tctl-1.18.2-cli-1.3.0")
		script := fmt.Sprint(side["command"])
		assert.Contains(t, script, "TEMPORAL_ADDRESS=127.0.0.1:7233", "the task's own frontend")
		assert.Contains(t, script, "until temporal operator namespace describe --namespace docustack", "retried until describe succeeds")
		assert.Contains(t, script, "temporal operator namespace create --namespace docustack --retention 720h")
		assert.Contains(t, script, "exec sleep infinity", "it stays up for its health check")
		hc, _ := side["healthCheck"].(map[string]any)
		require.NotNil(t, hc)
		assert.Equal(t, "CMD-SHELL", fmt.Sprint(hc["command"].([]any)[0]))
		assert.Contains(t, fmt.Sprint(hc["command"]), "temporal operator namespace describe --address 127.0.0.1:7233 --namespace docustack")
		assert.Equal(t, "docustack", env(container(t, p, "workers-task"), "environment")["TEMPORAL_NAMESPACE"])
		assert.Equal(t, "docustack", env(container(t, p, "web-task"), "environment")["TEMPORAL_NAMESPACE"])
	}
	p := stackPlan(t, "prod")
	var history []map[string]any
	require.NoError(t, json.Unmarshal([]byte(mustNamed(t, p, "temporal-history-task").Str("containerDefinitions")), &history))
	require.Len(t, history, 2, "only frontend tasks apply the schema and register namespaces; history has its collector")
	assert.Equal(t, "metrics", history[1]["name"])
}

// Temporal's own signals reach CloudWatch: the server serves Prometheus
// metrics on the task's loopback, a collector from the account's registry
// keeps exactly the alarmed signals of its role and writes them as EMF to the
// service's own log group (which its task role alone may write), and an
// alarm watches each signal; dev turns them off (temporal.metrics).
func TestTemporalMetricsReachCloudWatch(t *testing.T) {
	p := stackPlan(t, "prod")
	for role, want := range map[string][]string{
		"history":  {"persistence_errors", "persistence_latency", "task_schedule_to_start_latency"},
		"frontend": {"service_errors"},
		"matching": nil, "worker": nil,
	} {
		var defs []map[string]any
		task := mustNamed(t, p, "temporal-"+role+"-task")
		require.NoError(t, json.Unmarshal([]byte(task.Str("containerDefinitions")), &defs))
		var collector map[string]any
		for _, d := range defs {
			if d["name"] == "metrics" {
				collector = d
			}
		}
		if want == nil {
			assert.Nil(t, collector, "%s emits no alarmed signal", role)
			assert.Empty(t, env(defs[0], "environment")["PROMETHEUS_ENDPOINT"], role)
			continue
		}
		require.NotNil(t, collector, role)
		assert.Equal(t, "127.0.0.1:9090", env(defs[0], "environment")["PROMETHEUS_ENDPOINT"], "loopback only")
		assert.Contains(t, collector["image"], "/docustack-prod/otel-collector:v0.40.0", "from the account's registry")
		var cfg struct {
			Processors map[string]struct {
				Metrics struct {
					Include struct {
						MetricNames []string `json:"metric_names"`
					} `json:"include"`
				} `json:"metrics"`
			} `json:"processors"`
			Exporters struct {
				EMF struct {
					Namespace    string `json:"namespace"`
					LogGroupName string `json:"log_group_name"`
				} `json:"awsemf"`
			} `json:"exporters"`
			Receivers struct {
				Prometheus struct {
					Config struct {
						ScrapeConfigs []struct {
							StaticConfigs []struct{ Targets []string } `json:"static_configs"`
						} `json:"scrape_configs"`
					} `json:"config"`
				} `json:"prometheus"`
			} `json:"receivers"`
		}
		require.NoError(t, json.Unmarshal([]byte(env(collector, "environment")["AOT_CONFIG_CONTENT"]), &cfg))
		assert.ElementsMatch(t, want, cfg.Processors["filter/signals"].Metrics.Include.MetricNames, role)
		assert.Equal(t, components.TemporalMetricsNamespace, cfg.Exporters.EMF.Namespace)
		logGroup := mustNamed(t, p, "temporal-"+role+"-log").Str("name")
		assert.Equal(t, logGroup, cfg.Exporters.EMF.LogGroupName, "its own service's log group")
		assert.Equal(t, []string{"127.0.0.1:9090"}, cfg.Receivers.Prometheus.Config.ScrapeConfigs[0].StaticConfigs[0].Targets)
		// The task role may write exactly that log group.
		policy := mustNamed(t, p, "temporal-"+role+"-task-role").Str("inlinePolicies.0.policy")
		assert.Contains(t, policy, "log-group:"+logGroup+":*")
	}
	alarms := alarmsOf(p)
	for _, sig := range components.TemporalSignals {
		a, ok := alarms["docustack-prod-temporal-"+sig.Kind]
		require.True(t, ok, sig.Kind)
		assert.Equal(t, components.TemporalMetricsNamespace, a.Str("namespace"))
		assert.Equal(t, sig.Metric, a.Str("metricName"))
		assert.Equal(t, map[string]any{"service_name": sig.Role}, a.Get("dimensions"))
	}
	dev := stackPlan(t, "dev")
	assert.NotContains(t, mustNamed(t, dev, "temporal-combined-task").Str("containerDefinitions"), "otel-collector", "dev: temporal.metrics false")
	_, devAlarm := alarmsOf(dev)["docustack-dev-temporal-persistence-errors"]
	assert.False(t, devAlarm)
}

// The schemas of both databases are set up and upgraded before the frontend
// starts, by an admin-tools init container in frontend tasks only, retried
// (two frontend tasks may race); the other roles wait for the frontend's
// steady state, so they start on a current schema.
func TestTemporalSchemaRunsOnceBeforeTheServers(t *testing.T) {
	for _, c := range []struct {
		stack string
		tasks []string
	}{
		{"dev", []string{"temporal-combined-task"}},
		{"prod", []string{"temporal-frontend-task"}},
	} {
		p := stackPlan(t, c.stack)
		for _, task := range c.tasks {
			var defs []map[string]any
			require.NoError(t, json.Unmarshal([]byte(mustNamed(t, p, task).Str("containerDefinitions")), &defs))
			server, schema := defs[0], defs[1]
			assert.Equal(t, "schema", schema["name"], "%s %s", c.stack, task)
			assert.Contains(t, schema["image"], "/temporal-admin-tools:1.27.2-tctl-1.18.2-cli-1.3.0")
			assert.Equal(t, []any{"/bin/sh", "-c"}, schema["entryPoint"])
			assert.Equal(t, false, schema["essential"], "it exits when done")
			assert.Equal(t, []any{map[string]any{"containerName": "schema", "condition": "SUCCESS"}}, server["dependsOn"], "the server waits for the schema")
			script := fmt.Sprint(schema["command"])
			for _, step := range []string{
				"--db temporal setup-schema -v 0.0",
				"--db temporal update-schema -d /etc/temporal/schema/postgresql/v12/temporal/versioned",
				"--db temporal_visibility setup-schema -v 0.0",
				"--db temporal_visibility update-schema -d /etc/temporal/schema/postgresql/v12/visibility/versioned",
			} {
				assert.Contains(t, script, step)
			}
			assert.Contains(t, script, `--ep "$POSTGRES_SEEDS"`)
			assert.Contains(t, script, "--tls --tls-ca-file "+components.RDSCABundlePath, "the server's certificate is verified")
			assert.NotContains(t, script, "disable-host-verification")
			assert.Contains(t, script, "for i in $(seq 1 5)", "retried")
			assert.Equal(t, env(server, "environment")["POSTGRES_SEEDS"], env(schema, "environment")["POSTGRES_SEEDS"], "it sees the server's database")
			assert.Equal(t, env(server, "secrets")["POSTGRES_PWD"], env(schema, "secrets")["POSTGRES_PWD"])
		}
	}
	p := stackPlan(t, "prod")
	frontend := mustNamed(t, p, "temporal-frontend-service")
	for _, role := range []string{"history", "matching", "worker"} {
		assert.Contains(t, mustNamed(t, p, "temporal-"+role+"-service").Dependencies, frontend.URN, "%s starts after the frontend is steady", role)
	}
}

// Seed, Encryption at rest: Secrets Manager. Every secret stays recoverable
// for 30 days after a deletion (AWS's longest recovery window), so a
// mistaken delete is undone.
func TestSecretsAreRecoverable(t *testing.T) {
	p := stackPlan(t, "prod")
	secrets := p.ByType("aws:secretsmanager/secret:Secret")
	require.Len(t, secrets, 4, "the Temporal database password, two Slack tokens, NEXTAUTH_SECRET (the app signs in with IAM)")
	for _, s := range secrets {
		assert.Equal(t, 30, s.Int("recoveryWindowInDays"), s.Name)
	}
}

func asSlice(v any) []any {
	s, _ := v.([]any)
	return s
}

// A rollback also reaches a steady state: the up fails, naming the service.
func TestRollbackFailsTheUp(t *testing.T) {
	assert.NoError(t, components.CheckDeployed("docustack-prod-web", "arn:td/web:7", "arn:td/web:7"))
	err := components.CheckDeployed("docustack-prod-web", "arn:td/web:6", "arn:td/web:7")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "service docustack-prod-web did not reach a steady state on task definition arn:td/web:7: ECS rolled back to arn:td/web:6")
}

// No task or function pulls from outside the account's registry (Docker
// Hub's anonymous limit is per source address; Fargate pulls at every
// start): derived from the plan, every image of every container definition
// and image function is in a repository the stack creates, and each task's
// execution role may pull from exactly that repository.
func TestEveryImageComesFromTheStacksRegistry(t *testing.T) {
	for _, stack := range []string{"dev", "staging", "prod"} {
		p := stackPlan(t, stack)
		repos := map[string]string{} // repository name -> ARN
		for _, r := range p.ByType("aws:ecr/repository:Repository") {
			repos[r.Str("name")] = r.Outputs["arn"].(string)
		}
		account := mustNamed(t, p, "registry-web").Outputs["arn"].(string)
		account = strings.Split(account, ":")[4]
		host := account + ".dkr.ecr.us-east-1.amazonaws.com/"
		repoOf := func(image string) (string, bool) {
			if !strings.HasPrefix(image, host) {
				return "", false
			}
			name, _, _ := strings.Cut(strings.TrimPrefix(image, host), ":")
			name, _, _ = strings.Cut(name, "@")
			_, ok := repos[name]
			return name, ok
		}
		for _, fn := range p.ByType("aws:lambda/function:Function") {
			if uri := fn.Str("imageUri"); uri != "" {
				_, ok := repoOf(uri)
				assert.True(t, ok, "%s %s: image %s is not in the stack's registry", stack, fn.Name, uri)
			}
		}
		for _, td := range p.ByType("aws:ecs/taskDefinition:TaskDefinition") {
			var defs []map[string]any
			require.NoError(t, json.Unmarshal([]byte(td.Str("containerDefinitions")), &defs))
			var policy string
			for _, urn := range td.PropertyDependencies["executionRoleArn"] {
				role, ok := p.ByURN(urn)
				require.True(t, ok)
				policy = role.Str("inlinePolicies.0.policy")
			}
			require.NotEmpty(t, policy, "%s %s: an execution role with its policy", stack, td.Name)
			for _, c := range defs {
				image, _ := c["image"].(string)
				name, ok := repoOf(image)
				if !assert.True(t, ok, "%s %s %s: image %s is not in the stack's registry", stack, td.Name, c["name"], image) {
					continue
				}
				assert.Contains(t, policy, repos[name], "%s %s: the execution role may pull %s", stack, td.Name, name)
			}
		}
	}
}
