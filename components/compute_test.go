package components_test

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/docustack/infrastructure/components"
)

// strategy renders capacity provider strategy items as "PROVIDER base/weight".
func strategy(v any) []string {
	var out []string
	for _, e := range v.([]any) {
		m := e.(map[string]any)
		out = append(out, m["capacityProvider"].(string)+" "+jsonNum(m["base"])+"/"+jsonNum(m["weight"]))
	}
	return out
}

func jsonNum(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func TestClusterPerStack(t *testing.T) {
	cases := map[string][]string{
		"dev":  {"FARGATE_SPOT 0/1"},                // Spot only (seed: non-critical, 70% cheaper)
		"prod": {"FARGATE 0/1", "FARGATE_SPOT 0/3"}, // from Pulumi.prod.yaml
	}
	for stack, want := range cases {
		t.Run(stack, func(t *testing.T) {
			p := stackPlan(t, stack)
			cl := mustNamed(t, p, "cluster-cluster")
			assert.Equal(t, "docustack-"+stack, cl.Str("name"))
			assert.Equal(t, "containerInsights", cl.Str("settings.0.name"))
			insights := "enabled"
			if stack == "dev" {
				insights = "disabled" // Pulumi.dev.yaml, for cost
			}
			assert.Equal(t, insights, cl.Str("settings.0.value"))
			exec := "configuration.executeCommandConfiguration."
			assert.Equal(t, keyArn(p, "logs"), cl.Str(exec+"kmsKeyId"), "ECS Exec sessions are encrypted")
			assert.Equal(t, "OVERRIDE", cl.Str(exec+"logging"))
			assert.Equal(t, true, cl.Get(exec+"logConfiguration.cloudWatchEncryptionEnabled"))
			lg := mustNamed(t, p, "cluster-exec-log")
			assert.Equal(t, lg.Str("name"), cl.Str(exec+"logConfiguration.cloudWatchLogGroupName"))
			assert.Equal(t, 90, lg.Int("retentionInDays"))
			assert.Equal(t, keyArn(p, "logs"), lg.Str("kmsKeyId"))

			cp := mustNamed(t, p, "cluster-capacity")
			assert.Equal(t, []string{"FARGATE", "FARGATE_SPOT"}, strs(cp.Get("capacityProviders")))
			assert.Equal(t, want, strategy(cp.Get("defaultCapacityProviderStrategies")))
		})
	}
}

func TestCapacityStrategyValidate(t *testing.T) {
	assertErrors(t, components.CapacityStrategy{SpotWeight: 1}.Validate("s"), nil)
	assertErrors(t, components.CapacityStrategy{OnDemandBase: 2}.Validate("s"), []string{`s: got "{OnDemandBase:2 OnDemandWeight:0 SpotWeight:0}", want onDemandWeight or spotWeight above 0`})
	assertErrors(t, components.CapacityStrategy{SpotWeight: -1, OnDemandWeight: 1}.Validate("s"), []string{`s.spotWeight: got -1, want 0..1000`})
	assert.InDelta(t, 0.75, components.CapacityStrategy{OnDemandWeight: 1, SpotWeight: 3}.SpotShare(), 1e-9)
}

func TestClusterArgsValidate(t *testing.T) {
	valid := components.ClusterArgs{ClusterName: "docustack-test", Tags: stackTags}
	assertErrors(t, valid.Validate(), nil)
	bad := valid
	bad.ContainerInsights = "on"
	bad.ExecLogRetentionDays = 7
	assertErrors(t, bad.Validate(), []string{`containerInsights: got "on"`, `execLogRetentionDays: got 7, want 90..3653 days`})
}

func TestRegistry(t *testing.T) {
	p := stackPlan(t, "prod")
	inUse := map[string]string{"web": "v0.1.0", "slack-bot": "v0.1.0", "workers": "v0.1.0", "db-init": "v0.1.0",
		"temporal-server": "1.27.2", "temporal-ui": "2.37.2"}
	for repo, tag := range inUse {
		r := mustNamed(t, p, "registry-"+repo)
		assert.Equal(t, "docustack-prod/"+repo, r.Str("name"))
		assert.Equal(t, "IMMUTABLE", r.Str("imageTagMutability"))
		assert.Equal(t, true, r.Get("imageScanningConfiguration.scanOnPush"))
		assert.Equal(t, "KMS", r.Str("encryptionConfigurations.0.encryptionType"))
		assert.Equal(t, keyArn(p, "data"), r.Str("encryptionConfigurations.0.kmsKey"))
		lp := mustNamed(t, p, "registry-"+repo+"-lifecycle")
		assert.Equal(t, "docustack-prod/"+repo, lp.Str("repository"))
		var doc struct {
			Rules []struct {
				Selection map[string]any    `json:"selection"`
				Action    map[string]string `json:"action"`
			} `json:"rules"`
		}
		require.NoError(t, json.Unmarshal([]byte(lp.Str("policy")), &doc))
		require.Len(t, doc.Rules, 3)
		// The tag the stack runs comes first, so the count rule can never
		// expire it (ECR: a lower-priority rule cannot expire an image that
		// matched a higher-priority rule's tags); one image carries it.
		assert.Equal(t, []any{tag}, doc.Rules[0].Selection["tagPatternList"], repo)
		assert.Equal(t, 1.0, doc.Rules[0].Selection["countNumber"])
		assert.Equal(t, "untagged", doc.Rules[1].Selection["tagStatus"])
		assert.Equal(t, 7.0, doc.Rules[1].Selection["countNumber"])
		assert.Equal(t, "any", doc.Rules[2].Selection["tagStatus"], "the any rule is evaluated last")
		assert.Equal(t, "imageCountMoreThan", doc.Rules[2].Selection["countType"])
		assert.Equal(t, 30.0, doc.Rules[2].Selection["countNumber"])
	}
	assert.Len(t, p.ByType("aws:ecr/repository:Repository"), 9, "web, slack-bot, workers, db-init, tls-proxy, Temporal's three and the metrics collector")
	assertErrors(t, components.RegistryArgs{Prefix: "x", Repositories: []string{"web", "web"}, Tags: stackTags}.Validate(),
		[]string{`repositories[1]: got "web", want a distinct lower-case repository name`})
}

func TestWebService(t *testing.T) {
	cases := []struct {
		stack    string
		cpu, mem string
		desired  int
		strategy []string
		exec     bool
	}{
		{"dev", "512", "1024", 1, []string{"FARGATE_SPOT 0/1"}, true},
		{"prod", "1024", "2048", 2, []string{"FARGATE 2/1", "FARGATE_SPOT 0/1"}, false},
	}
	for _, c := range cases {
		t.Run(c.stack, func(t *testing.T) {
			p := stackPlan(t, c.stack)
			svc := mustNamed(t, p, "web-service")
			name := "docustack-" + c.stack + "-web"
			assert.Equal(t, name, svc.Str("name"))
			assert.True(t, strings.HasSuffix(svc.Str("cluster"), ":cluster/docustack-"+c.stack), "runs in the platform cluster (its ARN)")
			assert.Equal(t, false, svc.Get("networkConfiguration.assignPublicIp"), "no public IP")
			// A strategy change redeploys in place instead of replacing a named service.
			assert.Equal(t, true, svc.Get("forceNewDeployment"))
			assert.Contains(t, svc.Str("triggers.capacityProviderStrategy"), "FARGATE_SPOT weight=")
			assert.Equal(t, []string{"network-private-0-id", "network-private-1-id"}, strs(svc.Get("networkConfiguration.subnets")))
			assert.Equal(t, []string{"network-ecs-sg-id"}, strs(svc.Get("networkConfiguration.securityGroups")))
			assert.Equal(t, true, svc.Get("deploymentCircuitBreaker.enable"))
			assert.Equal(t, true, svc.Get("deploymentCircuitBreaker.rollback"))
			assert.Equal(t, c.desired, svc.Int("desiredCount"))
			assert.Equal(t, c.strategy, strategy(svc.Get("capacityProviderStrategies")))
			assert.Equal(t, c.exec, svc.Get("enableExecuteCommand"))
			assert.Equal(t, 8080, svc.Int("loadBalancers.0.containerPort"))
			assert.Equal(t, "tls-proxy", svc.Str("loadBalancers.0.containerName"), "the load balancer reaches the TLS proxy, not the app")
			assert.Contains(t, svc.Str("loadBalancers.0.targetGroupArn"), "ingress-web-tg")

			td := mustNamed(t, p, "web-task")
			assert.Equal(t, c.cpu, td.Str("cpu"))
			assert.Equal(t, c.mem, td.Str("memory"))
			assert.Equal(t, "awsvpc", td.Str("networkMode"))
			var containers []map[string]any
			require.NoError(t, json.Unmarshal([]byte(td.Str("containerDefinitions")), &containers))
			require.Len(t, containers, 2, "the app and its TLS proxy")
			ct, proxy := containers[0], containers[1]
			// Issue 13, item 6: TLS from the ALB to the target is real. The
			// proxy serves HTTPS on the target group's port (8080, seed: ALB
			// to ECS over TLS) and forwards to the app on localhost:3000.
			assert.Equal(t, "3000", env(ct, "environment")["PORT"], "the app listens behind the proxy")
			// The app binds where the proxy dials: HOSTNAME (which a Next.js
			// standalone server binds, and Fargate sets to the task's own
			// address) is the host of the proxy's UPSTREAM.
			upstream, err := url.Parse(env(proxy, "environment")["UPSTREAM"])
			require.NoError(t, err)
			assert.Equal(t, upstream.Hostname(), env(ct, "environment")["HOSTNAME"])
			assert.Equal(t, upstream.Port(), env(ct, "environment")["PORT"])
			assert.Nil(t, ct["portMappings"], "the app's port is not the target's")
			assert.Equal(t, "tls-proxy", proxy["name"])
			assert.Equal(t, true, proxy["essential"], "no proxy, no traffic: the task is replaced")
			assert.True(t, strings.HasSuffix(proxy["image"].(string), ".amazonaws.com/docustack-"+c.stack+"/tls-proxy:v1.0.0"), proxy["image"])
			assert.Equal(t, 8080.0, proxy["portMappings"].([]any)[0].(map[string]any)["containerPort"])
			assert.Equal(t, map[string]string{"LISTEN_PORT": "8080", "UPSTREAM": "http://127.0.0.1:3000"}, env(proxy, "environment"))
			tg := mustNamed(t, p, "ingress-web-tg")
			assert.Equal(t, "HTTPS", tg.Str("protocol"))
			assert.Equal(t, 8080, tg.Int("port"))
			assert.Equal(t, "HTTPS", tg.Str("healthCheck.protocol"), "health checks go through the proxy to the app")
			assert.Contains(t, []string{"", "traffic-port"}, tg.Str("healthCheck.port"))
			assert.True(t, strings.HasSuffix(ct["image"].(string), ".amazonaws.com/docustack-"+c.stack+"/web:v0.1.0"), ct["image"])
			assert.Equal(t, "awslogs", ct["logConfiguration"].(map[string]any)["logDriver"])
			secrets := ct["secrets"].([]any)
			require.Len(t, secrets, 1, "no database password: the task signs in with IAM")
			secret := secrets[0].(map[string]any)
			dbEnv := env(ct, "environment")
			assert.Equal(t, "iam", dbEnv["DB_AUTH"])
			assert.Equal(t, "docustack", dbEnv["DB_USER"])
			assert.Equal(t, "verify-full", dbEnv["DB_SSLMODE"], "IAM sign-in needs TLS")
			assert.Equal(t, "NEXTAUTH_SECRET", secret["name"])
			assert.Contains(t, secret["valueFrom"], ":secret:docustack/"+c.stack+"/web/NEXTAUTH_SECRET-", "injected by ARN")
			for _, e := range ct["environment"].([]any) {
				assert.NotContains(t, e.(map[string]any)["name"], "SECRET", "no secret in plain environment")
			}

			lg := mustNamed(t, p, "web-log")
			assert.Equal(t, 90, lg.Int("retentionInDays"))
			assert.Equal(t, keyArn(p, "logs"), lg.Str("kmsKeyId"))

			// The execution role may pull its own image, write its own log and read its own secrets only.
			var doc components.PolicyDocument
			exec := mustNamed(t, p, "web-execution-role")
			require.NoError(t, json.Unmarshal([]byte(exec.Str("inlinePolicies.0.policy")), &doc))
			resources := map[string]any{}
			for _, s := range doc.Statement {
				resources[s.Sid] = s.Resource
			}
			assert.Equal(t, "*", resources["ECRAuth"], "GetAuthorizationToken has no resource-level permission")
			assert.Equal(t, []any{
				"arn:aws:ecr:us-east-1:" + map[string]string{"dev": "111111111111", "prod": "333333333333"}[c.stack] + ":repository/docustack-" + c.stack + "/web",
				"arn:aws:ecr:us-east-1:" + map[string]string{"dev": "111111111111", "prod": "333333333333"}[c.stack] + ":repository/docustack-" + c.stack + "/tls-proxy",
			}, resources["PullImage"], "its image and the proxy's")
			assert.Contains(t, resources["WriteLogs"], ":log-group:/ecs/docustack-"+c.stack+"-web:*")
			assert.Equal(t, []any{secret["valueFrom"]}, resources["ReadSecrets"], "exactly its own secret")

			sec := mustNamed(t, p, "web-secrets-nextauth-secret")
			assert.Equal(t, "docustack/"+c.stack+"/web/NEXTAUTH_SECRET", sec.Str("name"))
			assert.Nil(t, sec.Get("kmsKeyId"), "seed: Secrets Manager uses the AWS managed key")
			assert.Empty(t, p.ByType("aws:secretsmanager/secretVersion:SecretVersion"), "no secret value passes through state")
		})
	}
}

func TestServiceArgsValidate(t *testing.T) {
	valid := components.ServiceArgs{ServiceName: "svc", AccountID: "123456789012", Region: "us-east-1", Tags: stackTags}
	assertErrors(t, valid.Validate(), nil)
	cases := []struct {
		name   string
		mutate func(*components.ServiceArgs)
		want   []string
	}{
		{"memory for cpu", func(a *components.ServiceArgs) { a.CPU = 256; a.Memory = 4096 }, []string{`memory: got 4096, want a memory size Fargate accepts with 256 CPU units`}},
		{"cpu", func(a *components.ServiceArgs) { a.CPU = 300 }, []string{`cpu: got 300`}},
		{"arch", func(a *components.ServiceArgs) { a.CPUArchitecture = "ARM" }, []string{`cpuArchitecture: got "ARM"`}},
		{"env name", func(a *components.ServiceArgs) { a.Environment = map[string]string{"bad-name": "x"} }, []string{`environment.bad-name: got "bad-name"`}},
		{"secret also plain", func(a *components.ServiceArgs) {
			a.Environment = map[string]string{"TOKEN": "x"}
			a.Secrets = map[string]pulumi.StringInput{"TOKEN": pulumi.String("arn")}
		}, []string{`secrets.TOKEN: got "TOKEN", want a name not also in environment`}},
		{"target group without port", func(a *components.ServiceArgs) { a.TargetGroupArn = pulumi.String("tg") }, []string{`containerPort: got 0`}},
		{"log retention", func(a *components.ServiceArgs) { a.LogRetentionDays = 14 }, []string{`logRetentionDays: got 14, want 90..3653 days`}},
		{"tls proxy without a target group", func(a *components.ServiceArgs) { a.TLSProxyImage = pulumi.String("proxy:v1") },
			[]string{`tlsProxyImage: got "set", want a load balancer's target group and the proxy's repository with it`}},
		{"tls proxy on the app's port", func(a *components.ServiceArgs) {
			a.TLSProxyImage, a.TLSProxyRepositoryArn, a.TargetGroupArn = pulumi.String("proxy:v1"), pulumi.String("repo"), pulumi.String("tg")
			a.ContainerPort, a.AppPort = 8080, 8080
		}, []string{`appPort: got 8080, want a TCP port other than containerPort 8080`}},
		{"PORT beside the tls proxy", func(a *components.ServiceArgs) {
			a.TLSProxyImage, a.TLSProxyRepositoryArn, a.TargetGroupArn, a.ContainerPort = pulumi.String("proxy:v1"), pulumi.String("repo"), pulumi.String("tg"), 8080
			a.Environment = map[string]string{"PORT": "8080"}
		}, []string{`environment.PORT: got "8080", want unset: behind the tls-proxy the service sets PORT to appPort`}},
		{"HOSTNAME beside the tls proxy", func(a *components.ServiceArgs) {
			a.TLSProxyImage, a.TLSProxyRepositoryArn, a.TargetGroupArn, a.ContainerPort = pulumi.String("proxy:v1"), pulumi.String("repo"), pulumi.String("tg"), 8080
			a.Environment = map[string]string{"HOSTNAME": "0.0.0.0"}
		}, []string{`environment.HOSTNAME: got "0.0.0.0", want unset: behind the tls-proxy the app binds 127.0.0.1, where the proxy dials`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a := valid
			c.mutate(&a)
			assertErrors(t, a.Validate(), c.want)
		})
	}
}
