package platform_test

import (
	"encoding/json"
	"flag"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/docustack/infrastructure/components"
	"github.com/docustack/infrastructure/internal/synth"
	"github.com/docustack/infrastructure/platform"
)

var _ = flag.Bool("update", false, "refresh golden files (internal/synth)")

// stackConfig loads a real stack file as the engine would pass it.
func stackConfig(t *testing.T, stack string) map[string]string {
	t.Helper()
	proj, err := synth.LoadProject("..")
	require.NoError(t, err)
	cfg, err := synth.LoadStackConfig("..", stack, proj)
	require.NoError(t, err)
	return cfg
}

func ns(k string) string { return platform.Namespace + ":" + k }

// editNetwork rewrites the network object of cfg.
func editNetwork(t *testing.T, cfg map[string]string, edit func(*platform.NetworkConfig)) {
	t.Helper()
	var n platform.NetworkConfig
	require.NoError(t, json.Unmarshal([]byte(cfg[ns(platform.KeyNetwork)]), &n))
	edit(&n)
	b, err := json.Marshal(n)
	require.NoError(t, err)
	cfg[ns(platform.KeyNetwork)] = string(b)
}

func TestConfigValidation(t *testing.T) {
	cases := []struct {
		name  string
		stack string
		edit  func(t *testing.T, cfg map[string]string)
		want  []string
	}{
		{"unknown environment", "dev", func(t *testing.T, c map[string]string) { c[ns("environment")] = "qa" },
			[]string{`docustack:environment: got "qa", want one of ["dev" "staging" "prod" "org"]`}},
		{"region", "dev", func(t *testing.T, c map[string]string) { c["aws:region"] = "eu-central-1" },
			// The pinned AZs are then wrong too, and are reported with it.
			[]string{`aws:region: got "eu-central-1", want "us-east-1"`,
				`docustack:network.availabilityZones[0]: got "us-east-1a", want an availability zone of eu-central-1`,
				`docustack:network.availabilityZones[1]: got "us-east-1b", want an availability zone of eu-central-1`}},
		{"vpc not private", "dev", func(t *testing.T, c map[string]string) {
			editNetwork(t, c, func(n *platform.NetworkConfig) { n.VpcCidr = "100.64.0.0/16" })
		}, []string{`docustack:network.vpcCidr: got "100.64.0.0/16", want a private /16`}},
		{"vpc not /16", "dev", func(t *testing.T, c map[string]string) {
			editNetwork(t, c, func(n *platform.NetworkConfig) { n.VpcCidr = "10.0.0.0/20" })
		}, []string{`docustack:network.vpcCidr: got "10.0.0.0/20", want a private /16`}},
		{"subnet outside vpc", "staging", func(t *testing.T, c map[string]string) {
			editNetwork(t, c, func(n *platform.NetworkConfig) { n.PublicSubnets[1] = "10.0.2.0/24" })
		}, []string{`docustack:network.publicSubnets[1]: got "10.0.2.0/24", want a block inside the VPC 10.1.0.0/16`}},
		{"overlapping subnets", "dev", func(t *testing.T, c map[string]string) {
			editNetwork(t, c, func(n *platform.NetworkConfig) { n.DatabaseSubnets[1] = "10.0.10.0/23" })
		}, []string{`docustack:network.databaseSubnets[1]: got "10.0.10.0/23", want a block that does not overlap privateSubnets[0] (10.0.10.0/24)`,
			`docustack:network.databaseSubnets[1]: got "10.0.10.0/23", want a block that does not overlap privateSubnets[1] (10.0.11.0/24)`}},
		{"subnets per tier", "prod", func(t *testing.T, c map[string]string) {
			editNetwork(t, c, func(n *platform.NetworkConfig) { n.PrivateSubnets = n.PrivateSubnets[:1] })
		}, []string{`docustack:network.privateSubnets: got ["10.2.10.0/24"], want 2 blocks, one per availability zone ["us-east-1a" "us-east-1b"]`}},
		{"nat strategy", "dev", func(t *testing.T, c map[string]string) {
			editNetwork(t, c, func(n *platform.NetworkConfig) { n.NATStrategy = "gateway" })
		}, []string{`docustack:network.natStrategy: got "gateway", want "single", "per-az" or "instance"`}},
		{"prod nat instance", "prod", func(t *testing.T, c map[string]string) {
			editNetwork(t, c, func(n *platform.NetworkConfig) { n.NATStrategy = "instance" })
		}, []string{`docustack:network.natStrategy: got "instance", want "per-az" in prod (egress must survive an AZ failure)`}},
		{"prod without protection", "prod", func(t *testing.T, c map[string]string) { c[ns("protectStatefulResources")] = "false" },
			[]string{`docustack:protectStatefulResources: got false, want true in prod`}},
		{"prod without deletion protection", "prod", func(t *testing.T, c map[string]string) { c[ns("deletionProtection")] = "false" },
			[]string{`docustack:deletionProtection: got false, want true in prod`}},
		{"prod short key window", "prod", func(t *testing.T, c map[string]string) { c[ns("kmsDeletionWindowDays")] = "7" },
			[]string{`docustack:kmsDeletionWindowDays: got 7, want 30 in prod`}},
		{"prod governance lock", "prod", func(t *testing.T, c map[string]string) {
			c[ns("logArchive")] = `{"standalone":true,"objectLockMode":"GOVERNANCE"}`
		},
			[]string{`docustack:logArchive.objectLockMode: got "GOVERNANCE", want "COMPLIANCE" in prod`}},
		{"alarm thresholds", "staging", func(t *testing.T, c map[string]string) {
			c[ns("alarms")] = `{"cpuPercent":150,"http5xxPerFiveMinutes":-1}`
		}, []string{`docustack:alarms.cpuPercent: got 150, want 1..100 percent`,
			`docustack:alarms.http5xxPerFiveMinutes: got -1, want at least 1 response`}},
		{"alarms in org", "org", func(t *testing.T, c map[string]string) { c[ns("alarms")] = `{"cpuPercent":90}` },
			[]string{`docustack:alarms: got`}},
		{"key window out of range", "dev", func(t *testing.T, c map[string]string) { c[ns("kmsDeletionWindowDays")] = "3" },
			[]string{`docustack:kmsDeletionWindowDays: got 3, want 7..30 days`}},
		{"account id", "dev", func(t *testing.T, c map[string]string) { c[ns("accountId")] = "1111" },
			[]string{`docustack:accountId: got "1111", want a 12-digit AWS account ID`}},
		{"owner tag", "dev", func(t *testing.T, c map[string]string) { delete(c, ns("owner")) },
			[]string{`docustack:owner: got "", want a non-empty value`}},
		{"workload without network", "dev", func(t *testing.T, c map[string]string) { delete(c, ns("network")) },
			[]string{`docustack:network: got <nil>, want a network object`}},
		{"org with network", "org", func(t *testing.T, c map[string]string) { c[ns("network")] = stackConfig(t, "dev")[ns("network")] },
			[]string{`docustack:network: got "set", want no network in the org stack`}},
		{"typo in object", "dev", func(t *testing.T, c map[string]string) { c[ns("scheduler")] = `{"enabeld":true}` },
			[]string{`docustack:scheduler: got "{\"enabeld\":true}", want an object with the documented fields (json: unknown field "enabeld")`}},
		{"org archive incomplete", "dev", func(t *testing.T, c map[string]string) {
			c[ns("logArchive")] = strings.Replace(c[ns("logArchive")], `"accountId":"555555555555",`, ``, 1)
		}, []string{`docustack:logArchive.accountId: got "", want the org stack's value (pulumi stack output --stack org; see docs/deployment.md), or standalone: true for an account outside the organization`}},
		{"standalone with org names", "dev", func(t *testing.T, c map[string]string) {
			c[ns("logArchive")] = `{"standalone":true,"bucketName":"docustack-org-log-archive-555555555555"}`
		}, []string{`docustack:logArchive.bucketName: got "docustack-org-log-archive-555555555555", want unset with standalone: true (a standalone archive is named after this account)`}},
		{"org archive with a retention of its own", "dev", func(t *testing.T, c map[string]string) {
			c[ns("logArchive")] = strings.Replace(c[ns("logArchive")], `{`, `{"objectLockDays":30,`, 1)
		}, []string{`docustack:logArchive.objectLockDays: got 30, want unset: the org stack sets the organization archive's retention (or standalone: true)`}},
		{"org archive key in another account", "dev", func(t *testing.T, c map[string]string) {
			c[ns("logArchive")] = strings.Replace(c[ns("logArchive")], `arn:aws:kms:us-east-1:555555555555:`, `arn:aws:kms:us-east-1:111111111111:`, 1)
		}, []string{`docustack:logArchive.kmsKeyArn: got "arn:aws:kms:us-east-1:111111111111:key/e6aa6078-3baf-4f4d-8785-c11313719aca", want a key of the Log Archive account 555555555555`}},
		{"prod single-AZ database", "prod", func(t *testing.T, c map[string]string) {
			c[ns("database")] = `{"engine":"postgres","multiAz":false}`
		}, []string{`docustack:database.multiAz: got false, want true in prod`}},
		{"prod short backups", "prod", func(t *testing.T, c map[string]string) {
			c[ns("database")] = `{"engine":"postgres","multiAz":true,"backupRetentionDays":7}`
		}, []string{`docustack:database.backupRetentionDays: got 7, want at least 35 in prod`}},
		{"database engine", "dev", func(t *testing.T, c map[string]string) { c[ns("database")] = `{"engine":"mysql"}` },
			[]string{`docustack:database.engine: got "mysql", want "postgres" or "aurora-postgresql"`}},
		{"backups beyond RDS", "dev", func(t *testing.T, c map[string]string) { c[ns("database")] = `{"backupRetentionDays":40}` },
			[]string{`docustack:database.backupRetentionDays: got 40, want 7..35 days`}},
		{"dr region", "dev", func(t *testing.T, c map[string]string) { c[ns("drRegion")] = "us-east-1" },
			[]string{`docustack:drRegion: got "us-east-1", want an AWS region other than us-east-1`}},
		{"ecs strategy", "dev", func(t *testing.T, c map[string]string) { c[ns("ecs")] = `{"defaultStrategy":{"onDemandBase":1}}` },
			[]string{`docustack:ecs.defaultStrategy: got "{OnDemandBase:1 OnDemandWeight:0 SpotWeight:0}", want onDemandWeight or spotWeight above 0`}},
		{"latest image", "dev", func(t *testing.T, c map[string]string) { c[ns("web")] = `{"imageTag":"latest"}` },
			[]string{`docustack:web.imageTag: got "latest", want an immutable image tag`}},
		{"web size", "dev", func(t *testing.T, c map[string]string) { c[ns("web")] = `{"imageTag":"v1","cpu":256,"memory":8192}` },
			[]string{`docustack:web.memory: got 8192, want a memory size Fargate accepts with 256 CPU units`}},
		{"web secret name", "dev", func(t *testing.T, c map[string]string) { c[ns("web")] = `{"imageTag":"v1","secrets":["api-key"]}` },
			[]string{`docustack:web.secrets[0]: got "api-key", want a distinct environment variable name`}},
		{"no certificate", "staging", func(t *testing.T, c map[string]string) { c[ns("ingress")] = `{}` },
			[]string{`docustack:ingress.certificateArn: got "", want an ACM certificate ARN, or domainName and hostedZoneId`}},
		{"org with workloads", "org", func(t *testing.T, c map[string]string) { c[ns("web")] = `{"imageTag":"v1"}` },
			[]string{`docustack:web: got "set", want no web in the org stack`}},
		{"github wildcard", "prod", func(t *testing.T, c map[string]string) { c[ns("github")] = `{"org":"docustack","repo":"*"}` },
			[]string{`docustack:github.repo: got "*", want one GitHub owner or repository name, no wildcards`}},
		{"organization id", "org", func(t *testing.T, c map[string]string) {
			c[ns("org")] = strings.Replace(c[ns("org")], `"o-a1b2c3d4e5"`, `"o-ABC"`, 1)
		}, []string{`docustack:org.organizationId: got "o-ABC", want the organization's ID, o- and 10 to 32 lowercase letters or digits`}},
		{"github missing in org", "org", func(t *testing.T, c map[string]string) { delete(c, ns("github")) },
			[]string{`docustack:github.org: got ""`, `docustack:github.repo: got ""`}},
		{"history shards", "dev", func(t *testing.T, c map[string]string) { c[ns("temporal")] = `{"numHistoryShards":1000}` },
			[]string{`docustack:temporal.numHistoryShards: got 1000, want a power of two in 1..16384 (permanent after the first start)`}},
		{"scheduler timezone", "dev", func(t *testing.T, c map[string]string) { c[ns("scheduler")] = `{"enabled":true,"timezone":"EST5"}` },
			[]string{`docustack:scheduler.timezone: got "EST5"`}},
		{"workers image", "staging", func(t *testing.T, c map[string]string) { c[ns("workers")] = `{"imageTag":"latest"}` },
			[]string{`docustack:workers.imageTag: got "latest"`}},
		{"workers autoscaling", "prod", func(t *testing.T, c map[string]string) {
			c[ns("workers")] = `{"imageTag":"v1","desiredCount":1,"minCount":2,"maxCount":10}`
		}, []string{`docustack:workers.desiredCount: got 1, want 2..10 (within autoscaling)`}},
		{"bastion type", "dev", func(t *testing.T, c map[string]string) { c[ns("bastion")] = `{"instanceType":"t3.nano"}` },
			[]string{`docustack:bastion.instanceType: got "t3.nano", want a Graviton (arm64) type`}},
		{"db-init image", "dev", func(t *testing.T, c map[string]string) { c[ns("dbInit")] = `{}` },
			[]string{`docustack:dbInit.imageTag: got ""`}},
		{"not a boolean", "dev", func(t *testing.T, c map[string]string) { c[ns("deletionProtection")] = "yes" },
			[]string{`docustack:deletionProtection: got "yes", want true or false`}},
		{"not an integer", "dev", func(t *testing.T, c map[string]string) { c[ns("kmsDeletionWindowDays")] = "thirty" },
			[]string{`docustack:kmsDeletionWindowDays: got "thirty", want a whole number`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := stackConfig(t, c.stack)
			c.edit(t, cfg)
			plan, err := synth.Run(synth.Options{Stack: c.stack, Config: cfg}, platform.Program)
			require.Error(t, err)
			got := messages(err)
			for _, w := range c.want {
				n := 0
				for _, g := range got {
					if strings.HasPrefix(g, w) {
						n++
					}
				}
				assert.Equal(t, 1, n, "want one problem starting %q", w)
			}
			assert.Len(t, got, len(c.want), "exactly the expected problems: %q", got)
			assert.Empty(t, plan.Resources, "a bad stack file registers nothing, not even the provider")
		})
	}
}

func messages(err error) []string {
	var out []string
	for _, e := range components.Unjoin(err) {
		out = append(out, e.Error())
	}
	return out
}

func TestConfigReportsEveryProblemAtOnce(t *testing.T) {
	cfg := stackConfig(t, "prod")
	cfg["aws:region"] = "us-west-2"
	cfg[ns("deletionProtection")] = "false"
	cfg[ns("costCenter")] = ""
	editNetwork(t, cfg, func(n *platform.NetworkConfig) {
		n.VpcCidr = "10.2.0.0/8"
		n.PublicSubnets = append(n.PublicSubnets, "10.2.3.0/24")
	})
	_, err := synth.Run(synth.Options{Stack: "prod", Config: cfg}, platform.Program)
	got := strings.Join(messages(err), "\n")
	for _, want := range []string{
		`aws:region: got "us-west-2"`,
		`docustack:deletionProtection: got false, want true in prod`,
		`docustack:costCenter: got ""`,
		`docustack:network.vpcCidr: got "10.2.0.0/8"`,
		`docustack:network.publicSubnets: got ["10.2.1.0/24" "10.2.2.0/24" "10.2.3.0/24"], want 2 blocks`,
	} {
		assert.Contains(t, got, want)
	}
}

func TestValidStacksLoad(t *testing.T) {
	for _, stack := range []string{"dev", "staging", "prod", "org"} {
		t.Run(stack, func(t *testing.T) {
			_, err := synth.Run(synth.Options{Stack: stack, Config: stackConfig(t, stack)}, platform.Program)
			require.NoError(t, err)
		})
	}
}

func TestProviderPinnedToAccountAndRegion(t *testing.T) {
	for stack, account := range map[string]string{"dev": "111111111111", "staging": "222222222222", "prod": "333333333333", "org": "444444444444"} {
		t.Run(stack, func(t *testing.T) {
			plan, err := synth.Run(synth.Options{Stack: stack, Config: stackConfig(t, stack)}, platform.Program)
			require.NoError(t, err)
			main, ok := plan.Named("aws")
			require.True(t, ok)
			assert.Equal(t, "us-east-1", main.Str("region"))
			assert.Equal(t, []any{account}, main.Get("allowedAccountIds"))
			dr, ok := plan.Named("aws-dr")
			if stack == "org" {
				assert.False(t, ok, "the org stack has no DR provider")
				return
			}
			require.True(t, ok)
			assert.Equal(t, "us-west-2", dr.Str("region"), "default DR region")
			assert.Equal(t, []any{account}, dr.Get("allowedAccountIds"))
		})
	}
}

// RDS's default max_connections (memory / 9531392) bounds Temporal's pools:
// staging's four split services on a db.t4g.micro (112) fit at 3 per store:
// 2 x (4 x 2 x 3 + 1) = 50, with 30 reserved; not at the image's default of
// 20: 2 x (4 x 2 x 20 + 1) = 322.
func TestTemporalPoolsFitTheDatabase(t *testing.T) {
	n, ok := components.MaxConnections("db.t4g.micro")
	require.True(t, ok)
	assert.Equal(t, 112, n, "1 GiB / 9531392")
	cfg := stackConfig(t, "staging")
	_, err := platform.ParseConfig("staging", cfg)
	require.NoError(t, err)
	var tc map[string]any
	require.NoError(t, json.Unmarshal([]byte(cfg[ns(platform.KeyTemporal)]), &tc))
	tc["maxConnsPerStore"] = 20
	b, _ := json.Marshal(tc)
	cfg[ns(platform.KeyTemporal)] = string(b)
	_, err = platform.ParseConfig("staging", cfg)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `docustack:temporal.maxConnsPerStore: got 322, want Temporal's pools (tasks x 2 stores x maxConnsPerStore, plus each frontend's schema step, x2 while a rolling deploy overlaps old and new tasks) plus 30 for the applications within db.t4g.micro's max_connections 112 (database.instanceClass)`)
}

// The scheduler and autoscaling cannot both own a service's task count.
func TestSchedulerRefusesAutoscaledServices(t *testing.T) {
	cfg := stackConfig(t, "dev")
	var w map[string]any
	require.NoError(t, json.Unmarshal([]byte(cfg[ns(platform.KeyWorkers)]), &w))
	w["minCount"], w["maxCount"] = 1, 4
	b, _ := json.Marshal(w)
	cfg[ns(platform.KeyWorkers)] = string(b)
	_, err := platform.ParseConfig("dev", cfg)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `docustack:workers.maxCount: got 4, want no autoscaling while scheduler.enabled is true (both would own the task count): unset one of them`)
}
