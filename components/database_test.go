package components_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/docustack/infrastructure/components"
	"github.com/docustack/infrastructure/internal/synth"
)

// params returns a parameter group's parameters as name → value.
func params(r synth.Resource) map[string]string {
	out := map[string]string{}
	for _, p := range r.Get("parameters").([]any) {
		m := p.(map[string]any)
		out[m["name"].(string)] = m["value"].(string)
	}
	return out
}

func keyArn(p *synth.Plan, purpose string) string {
	return p.Outputs["kmsKeyArns"].(map[string]any)[purpose].(string)
}

func TestDatabasePostgresPerStack(t *testing.T) {
	cases := []struct {
		stack         string
		retention     int
		multiAZ, prod bool
		instanceClass string
	}{
		{"dev", 7, false, false, "db.t4g.micro"},
		{"staging", 7, false, false, "db.t4g.micro"},
		{"prod", 35, true, true, "db.m7g.large"},
	}
	for _, c := range cases {
		t.Run(c.stack, func(t *testing.T) {
			p := stackPlan(t, c.stack)
			db := mustNamed(t, p, "database-instance")
			id := "docustack-" + c.stack
			assert.Equal(t, id, db.Str("identifier"))
			assert.Equal(t, "postgres", db.Str("engine"))
			assert.Equal(t, c.instanceClass, db.Str("instanceClass"))
			// Encryption at rest with the database CMK.
			assert.Equal(t, true, db.Get("storageEncrypted"))
			assert.Equal(t, keyArn(p, "database"), db.Str("kmsKeyId"))
			// Backups (seed Backup Strategy) and point-in-time recovery.
			assert.Equal(t, c.retention, db.Int("backupRetentionPeriod"))
			assert.Equal(t, c.multiAZ, db.Get("multiAz"))
			// Prod: deletion protection, final snapshot, Performance Insights with KMS, protection.
			assert.Equal(t, c.prod, db.Get("deletionProtection"))
			assert.Equal(t, !c.prod, db.Get("skipFinalSnapshot"))
			if c.prod {
				assert.Equal(t, id+"-final", db.Str("finalSnapshotIdentifier"))
				assert.Equal(t, keyArn(p, "database"), db.Str("performanceInsightsKmsKeyId"))
			} else {
				assert.Nil(t, db.Get("finalSnapshotIdentifier"))
				assert.Nil(t, db.Get("performanceInsightsKmsKeyId"))
			}
			assert.Equal(t, c.prod, db.Get("performanceInsightsEnabled"))
			assert.Equal(t, c.prod, db.Protect)
			// Master password managed by RDS under the database CMK; never in state.
			assert.Equal(t, true, db.Get("manageMasterUserPassword"))
			assert.Equal(t, keyArn(p, "database"), db.Str("masterUserSecretKmsKeyId"))
			assert.Nil(t, db.Get("password"))
			assert.Equal(t, true, db.Get("iamDatabaseAuthenticationEnabled"))
			assert.Equal(t, false, db.Get("publiclyAccessible"))
			assert.Equal(t, []string{"network-rds-sg-id"}, strs(db.Get("vpcSecurityGroupIds")))
			assert.Equal(t, []string{"postgresql", "upgrade"}, strs(db.Get("enabledCloudwatchLogsExports")))

			// Subnet group of exactly the database subnets.
			sg := mustNamed(t, p, "database-subnet-group")
			assert.Equal(t, []string{"network-database-0-id", "network-database-1-id"}, strs(sg.Get("subnetIds")))
			assert.Equal(t, sg.Str("name"), db.Str("dbSubnetGroupName"))

			// TLS forced and pgaudit loaded (seed: rds.force_ssl=1; RDS audit logs).
			pg := mustNamed(t, p, "database-parameters")
			// Named by prefix: a replaced group is created before the old one is
			// deleted (a fixed name would make the provider delete it first,
			// which RDS refuses while the instance is a member).
			assert.Empty(t, pg.Str("name"))
			assert.Equal(t, id+"-", pg.Str("namePrefix"))
			assert.True(t, strings.HasPrefix(db.Str("parameterGroupName"), pg.Str("namePrefix")), "the instance uses the group it names by prefix")
			assert.Equal(t, "postgres16", pg.Str("family"))
			// Major only: AWS's minor upgrades never read as drift.
			assert.Equal(t, "16", db.Str("engineVersion"))
			assert.Equal(t, true, db.Get("autoMinorVersionUpgrade"))
			ps := params(pg)
			assert.Equal(t, "1", ps["rds.force_ssl"])
			assert.Equal(t, "TLSv1.2", ps["ssl_min_protocol_version"])
			assert.Equal(t, "pgaudit", ps["shared_preload_libraries"])
			assert.Equal(t, "ddl,role,write", ps["pgaudit.log"])

			// The log group RDS exports into: 90 days (seed), logs CMK.
			lg := mustNamed(t, p, "database-postgresql-log")
			assert.Equal(t, "/aws/rds/instance/"+id+"/postgresql", lg.Str("name"))
			assert.Equal(t, 90, lg.Int("retentionInDays"))
			assert.Equal(t, keyArn(p, "logs"), lg.Str("kmsKeyId"))
			assert.Contains(t, db.Dependencies, lg.URN, "the log group exists before RDS exports into it")
		})
	}
}

func validDatabaseArgs(engine components.DatabaseEngine) components.DatabaseArgs {
	return components.DatabaseArgs{
		Identifier: "docustack-test", AccountID: "123456789012", Engine: engine, MultiAZ: true, BackupRetentionDays: 35,
		DeletionProtection: true, FinalSnapshot: true, PerformanceInsights: true, Protect: true,
		AvailabilityZones: []string{"us-east-1a", "us-east-1b"},
		SubnetIDs:         pulumi.StringArray{pulumi.String("subnet-a"), pulumi.String("subnet-b")},
		SecurityGroupID:   pulumi.String("sg-rds"),
		KMSKeyArn:         pulumi.String("arn:aws:kms:us-east-1:123456789012:key/db"),
		LogsKMSKeyArn:     pulumi.String("arn:aws:kms:us-east-1:123456789012:key/logs"),
		Tags:              stackTags,
	}
}

func TestDatabaseAurora(t *testing.T) {
	p := synthesize(t, func(ctx *pulumi.Context) error {
		_, err := components.NewDatabase(ctx, "db", validDatabaseArgs(components.EngineAurora))
		return err
	})
	_, single := p.Named("db-instance")
	assert.False(t, single, "aurora creates a cluster, not an RDS instance")
	cluster := mustNamed(t, p, "db-cluster")
	assert.Equal(t, "aurora-postgresql", cluster.Str("engine"))
	assert.Equal(t, true, cluster.Get("storageEncrypted"))
	assert.Equal(t, "arn:aws:kms:us-east-1:123456789012:key/db", cluster.Str("kmsKeyId"))
	assert.Equal(t, 35, cluster.Int("backupRetentionPeriod"))
	assert.Equal(t, true, cluster.Get("deletionProtection"))
	assert.Equal(t, true, cluster.Get("manageMasterUserPassword"))
	assert.Nil(t, cluster.Get("masterPassword"))
	assert.Equal(t, true, cluster.Get("iamDatabaseAuthenticationEnabled"))
	assert.True(t, cluster.Protect)

	cpg := mustNamed(t, p, "db-cluster-parameters")
	assert.Equal(t, "aurora-postgresql16", cpg.Str("family"))
	assert.Equal(t, "1", params(cpg)["rds.force_ssl"])
	assert.True(t, strings.HasPrefix(cluster.Str("dbClusterParameterGroupName"), cpg.Str("namePrefix")))
	assert.Equal(t, "/aws/rds/cluster/docustack-test/postgresql", mustNamed(t, p, "db-postgresql-log").Str("name"))

	// Multi-AZ: two instances, one per AZ, never public.
	for i, az := range []string{"us-east-1a", "us-east-1b"} {
		inst := mustNamed(t, p, fmt.Sprintf("db-instance-%d", i))
		assert.Equal(t, az, inst.Str("availabilityZone"))
		assert.Equal(t, false, inst.Get("publiclyAccessible"))
		assert.Equal(t, "db-cluster-id", inst.Str("clusterIdentifier"))
		assert.Equal(t, true, inst.Get("performanceInsightsEnabled"))
	}
	_, third := p.Named("db-instance-2")
	assert.False(t, third)
}

func TestDatabaseArgsValidate(t *testing.T) {
	cases := []struct {
		name   string
		mutate func(*components.DatabaseArgs)
		want   []string
	}{
		{"valid", func(*components.DatabaseArgs) {}, nil},
		{"engine", func(a *components.DatabaseArgs) { a.Engine = "mysql" }, []string{`engine: got "mysql", want "postgres" or "aurora-postgresql"`}},
		{"retention too short", func(a *components.DatabaseArgs) { a.BackupRetentionDays = 3 }, []string{`backupRetentionDays: got 3, want 7..35 days`}},
		{"retention too long", func(a *components.DatabaseArgs) { a.BackupRetentionDays = 40 }, []string{`backupRetentionDays: got 40, want 7..35 days`}},
		{"aurora multi-az needs 2", func(a *components.DatabaseArgs) { a.Engine = components.EngineAurora; a.Instances = 1 },
			[]string{`instances: got 1, want at least 2 for a Multi-AZ Aurora cluster`}},
		{"storage", func(a *components.DatabaseArgs) { a.AllocatedStorageGB = 10 }, []string{`allocatedStorageGb: got 10, want 20..65536 GiB`}},
		{"max storage below allocated", func(a *components.DatabaseArgs) { a.AllocatedStorageGB = 200; a.MaxAllocatedStorageGB = 100 },
			[]string{`maxAllocatedStorageGb: got 100, want 200..65536 GiB`}},
		{"major.minor is allowed", func(a *components.DatabaseArgs) { a.EngineVersion = "16.4" }, nil},
		{"version", func(a *components.DatabaseArgs) { a.EngineVersion = "16.x" }, []string{`engineVersion: got "16.x", want <major> or <major>.<minor>`}},
		{"class", func(a *components.DatabaseArgs) { a.InstanceClass = "t3.micro" }, []string{`instanceClass: got "t3.micro"`}},
		{"audit classes", func(a *components.DatabaseArgs) { a.AuditLogClasses = "everything" }, []string{`auditLogClasses: got "everything"`}},
		{"log retention", func(a *components.DatabaseArgs) { a.LogRetentionDays = 30 }, []string{`logRetentionDays: got 30, want 90..3653 days`}},
		{"reserved user", func(a *components.DatabaseArgs) { a.MasterUsername = "rdsadmin" }, []string{`masterUsername: got "rdsadmin"`}},
		{"identifier", func(a *components.DatabaseArgs) { a.Identifier = "Docustack_Prod" }, []string{`identifier: got "Docustack_Prod"`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a := validDatabaseArgs(components.EnginePostgres)
			c.mutate(&a)
			assertErrors(t, a.Validate(), c.want)
		})
	}
}

func TestDatabaseNeedsItsInputs(t *testing.T) {
	a := validDatabaseArgs(components.EnginePostgres)
	a.KMSKeyArn, a.SubnetIDs = nil, nil
	plan, err := synth.Run(synth.Options{}, func(ctx *pulumi.Context) error {
		_, err := components.NewDatabase(ctx, "db", a)
		return err
	})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "kmsKeyArn")
	assert.Contains(t, err.Error(), "subnetIds")
	assert.Empty(t, plan.Resources)
}

// Enhanced Monitoring (issue 24): every stack's instance publishes OS metrics
// every 60 s with a role only RDS's monitoring service of this account may
// assume, into an RDSOSMetrics group the program creates first, encrypted and
// kept 90 days; RDS would otherwise create it unencrypted with 30 days, which
// the conformance pack's log-group rules fail.
func TestEnhancedMonitoring(t *testing.T) {
	for _, stack := range []string{"dev", "staging", "prod"} {
		p := stackPlan(t, stack)
		db := mustNamed(t, p, "database-instance")
		assert.Equal(t, 60, db.Int("monitoringInterval"), stack)
		role := mustNamed(t, p, "database-monitoring-role")
		assert.Contains(t, db.PropertyDependencies["monitoringRoleArn"], role.URN, stack)
		var trust components.PolicyDocument
		require.NoError(t, json.Unmarshal([]byte(role.Str("assumeRolePolicy")), &trust))
		require.Len(t, trust.Statement, 1)
		assert.Equal(t, map[string]any{"Service": "monitoring.rds.amazonaws.com"}, trust.Statement[0].Principal, stack)
		assert.NotEmpty(t, trust.Statement[0].Condition["StringEquals"]["aws:SourceAccount"], "confused deputy: this account only")
		attach := mustNamed(t, p, "database-monitoring-policy")
		assert.Equal(t, "arn:aws:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole", attach.Str("policyArn"))
		lg := mustNamed(t, p, "database-os-metrics-log")
		assert.Equal(t, components.EnhancedMonitoringLogGroup, lg.Str("name"))
		assert.Equal(t, 90, lg.Int("retentionInDays"), stack)
		assert.Equal(t, keyArn(p, "logs"), lg.Str("kmsKeyId"), stack)
		assert.Contains(t, db.Dependencies, lg.URN, "%s: the group exists before RDS would create it", stack)
	}
}
