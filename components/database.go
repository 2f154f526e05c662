package components

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/rds"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// DatabaseEngine selects RDS for PostgreSQL or Aurora PostgreSQL.
type DatabaseEngine string

// Database engines.
const (
	// EnginePostgres is one RDS instance (Multi-AZ standby in prod).
	EnginePostgres DatabaseEngine = "postgres"
	// EngineAurora is an Aurora cluster with instances spread over the AZs.
	EngineAurora DatabaseEngine = "aurora-postgresql"
)

// Valid reports whether e is a known engine.
func (e DatabaseEngine) Valid() bool { return e == EnginePostgres || e == EngineAurora }

// Database defaults. Backups follow the seed's Backup Strategy (7 days, 35 in
// prod) and the logs its Audit Logging table (RDS audit logs 90 days).
const (
	DefaultDatabaseEngine = EnginePostgres
	// DefaultEngineVersion is a major version: with automatic minor upgrades
	// AWS moves the minor version, and a pinned minor would then read as a
	// downgrade on the next `up` (and fail the nightly drift check). The
	// provider accepts a version prefix and compares it with the running one.
	DefaultEngineVersion         = "16"
	DefaultInstanceClass         = "db.t4g.medium"
	DefaultAllocatedStorageGB    = 20
	DefaultMaxAllocatedStorageGB = 100
	DefaultBackupRetentionDays   = 7
	MinBackupRetentionDays       = 7
	MaxBackupRetentionDays       = 35
	DefaultDatabaseLogDays       = 90
	DefaultAuditLogClasses       = "ddl,role,write"
	DefaultMasterUsername        = "docustack_admin"
	// backupWindow and maintenanceWindow are UTC and do not overlap.
	backupWindow      = "03:00-04:00"
	maintenanceWindow = "sun:05:00-sun:06:00"
	// caCertificate is the RSA 2048 CA that RDS clients verify against.
	caCertificate = "rds-ca-rsa2048-g1"
	// performanceInsightsDays is PI's free retention.
	performanceInsightsDays = 7
)

var (
	dbIdentifierPattern = regexp.MustCompile(`^[a-z][a-z0-9-]{0,50}[a-z0-9]$`)
	engineVersionRegexp = regexp.MustCompile(`^([0-9]+)(\.[0-9]+)?$`)
	instanceClassRegexp = regexp.MustCompile(`^db\.[a-z0-9]+\.[a-z0-9]+$`)
	auditClassPattern   = regexp.MustCompile(`^(all|none|(read|write|function|role|ddl|misc|misc_set)(,(read|write|function|role|ddl|misc|misc_set))*)$`)
)

// DatabaseArgs configures the platform's PostgreSQL database.
type DatabaseArgs struct {
	// Identifier names the instance or cluster (and its log group). Required: [a-z][a-z0-9-]*.
	Identifier string
	// Engine is "postgres" or "aurora-postgresql". Default: "postgres".
	Engine DatabaseEngine
	// EngineVersion is "<major>" (AWS picks and upgrades the minor) or
	// "<major>.<minor>". Default: "16".
	EngineVersion string
	// InstanceClass of the instance(s). Default: "db.t4g.medium".
	InstanceClass string
	// AllocatedStorageGB (postgres only). Default: 20. Range 20..65536.
	AllocatedStorageGB int
	// MaxAllocatedStorageGB is the storage autoscaling ceiling (postgres only).
	// Default: 100. Range AllocatedStorageGB..65536.
	MaxAllocatedStorageGB int
	// Instances is the number of Aurora instances. Default: 2 with MultiAZ, else 1. Range 1..15.
	Instances int
	// MultiAZ keeps a standby in another AZ (postgres) or spreads Aurora
	// instances over the AZs (then Instances >= 2). Default: false.
	MultiAZ bool
	// BackupRetentionDays of automated backups and point-in-time recovery. Default: 7. Range 7..35.
	BackupRetentionDays int
	// DeletionProtection turns on RDS deletion protection. Default: false.
	DeletionProtection bool
	// FinalSnapshot takes a snapshot when the database is deleted. Default: false.
	FinalSnapshot bool
	// PerformanceInsights turns on Performance Insights, encrypted with KMSKeyArn. Default: false.
	PerformanceInsights bool
	// AuditLogClasses is pgaudit.log. Default: "ddl,role,write".
	AuditLogClasses string
	// LogRetentionDays of the exported PostgreSQL log, and of the Enhanced
	// Monitoring metrics. Default: 90. Range 90..3653.
	LogRetentionDays int
	// AccountID owns the database; the monitoring role trusts RDS for it only. Required.
	AccountID string
	// MonitoringIntervalSeconds is Enhanced Monitoring's granularity (OS
	// metrics of every instance). Default: 60. One of 1, 5, 10, 15, 30, 60.
	MonitoringIntervalSeconds int
	// MasterUsername of the RDS-managed master user. Default: "docustack_admin".
	MasterUsername string
	// AvailabilityZones place Aurora instances round-robin. Required for aurora.
	AvailabilityZones []string
	// Protect marks the database pulumi.Protect and RetainOnDelete. Default: false.
	Protect bool
	// SubnetIDs are the database tier's subnets. Required.
	SubnetIDs pulumi.StringArrayInput
	// SecurityGroupID is the database security group. Required.
	SecurityGroupID pulumi.StringInput
	// KMSKeyArn is the database CMK (storage, master secret, Performance Insights). Required.
	KMSKeyArn pulumi.StringInput
	// LogsKMSKeyArn is the logs CMK for the exported log group. Required.
	LogsKMSKeyArn pulumi.StringInput
	// Tags are the stack tags. Required: every key of StackTagKeys.
	Tags Tags
}

func (a *DatabaseArgs) setDefaults() {
	if a.Engine == "" {
		a.Engine = DefaultDatabaseEngine
	}
	if a.EngineVersion == "" {
		a.EngineVersion = DefaultEngineVersion
	}
	if a.InstanceClass == "" {
		a.InstanceClass = DefaultInstanceClass
	}
	if a.AllocatedStorageGB == 0 {
		a.AllocatedStorageGB = DefaultAllocatedStorageGB
	}
	if a.MaxAllocatedStorageGB == 0 {
		a.MaxAllocatedStorageGB = max(DefaultMaxAllocatedStorageGB, a.AllocatedStorageGB)
	}
	if a.Instances == 0 {
		a.Instances = 1
		if a.MultiAZ {
			a.Instances = 2
		}
	}
	if a.BackupRetentionDays == 0 {
		a.BackupRetentionDays = DefaultBackupRetentionDays
	}
	if a.AuditLogClasses == "" {
		a.AuditLogClasses = DefaultAuditLogClasses
	}
	if a.LogRetentionDays == 0 {
		a.LogRetentionDays = DefaultDatabaseLogDays
	}
	if a.MonitoringIntervalSeconds == 0 {
		a.MonitoringIntervalSeconds = DefaultMonitoringIntervalSeconds
	}
	if a.MasterUsername == "" {
		a.MasterUsername = DefaultMasterUsername
	}
}

// Validate reports every invalid field at once.
func (a DatabaseArgs) Validate() error {
	a.setDefaults()
	var errs []error
	add := func(e error) { errs = append(errs, e) }
	if !dbIdentifierPattern.MatchString(a.Identifier) {
		add(fieldErr("identifier", a.Identifier, "2-52 characters of [a-z0-9-], starting with a letter"))
	}
	if !a.Engine.Valid() {
		add(fieldErr("engine", string(a.Engine), "%q or %q", EnginePostgres, EngineAurora))
	}
	if !engineVersionRegexp.MatchString(a.EngineVersion) {
		add(fieldErr("engineVersion", a.EngineVersion, "<major> or <major>.<minor>, e.g. %q or \"16.4\"", DefaultEngineVersion))
	}
	if !instanceClassRegexp.MatchString(a.InstanceClass) {
		add(fieldErr("instanceClass", a.InstanceClass, "an RDS instance class such as %q", DefaultInstanceClass))
	}
	if a.AllocatedStorageGB < 20 || a.AllocatedStorageGB > 65536 {
		add(fieldErr("allocatedStorageGb", a.AllocatedStorageGB, "20..65536 GiB"))
	}
	if a.MaxAllocatedStorageGB < a.AllocatedStorageGB || a.MaxAllocatedStorageGB > 65536 {
		add(fieldErr("maxAllocatedStorageGb", a.MaxAllocatedStorageGB, "%d..65536 GiB (at least allocatedStorageGb)", a.AllocatedStorageGB))
	}
	if a.Instances < 1 || a.Instances > 15 {
		add(fieldErr("instances", a.Instances, "1..15"))
	}
	if a.Engine == EngineAurora && a.MultiAZ && a.Instances < 2 {
		add(fieldErr("instances", a.Instances, "at least 2 for a Multi-AZ Aurora cluster"))
	}
	if a.Engine == EngineAurora && len(a.AvailabilityZones) == 0 {
		add(fieldErr("availabilityZones", a.AvailabilityZones, "the AZs to place Aurora instances in"))
	}
	if a.BackupRetentionDays < MinBackupRetentionDays || a.BackupRetentionDays > MaxBackupRetentionDays {
		add(fieldErr("backupRetentionDays", a.BackupRetentionDays, "%d..%d days (seed Backup Strategy)", MinBackupRetentionDays, MaxBackupRetentionDays))
	}
	if !auditClassPattern.MatchString(a.AuditLogClasses) {
		add(fieldErr("auditLogClasses", a.AuditLogClasses, "pgaudit.log classes, e.g. %q", DefaultAuditLogClasses))
	}
	if a.LogRetentionDays < DefaultDatabaseLogDays || a.LogRetentionDays > MaxRetentionDays {
		add(fieldErr("logRetentionDays", a.LogRetentionDays, "%d..%d days (seed: RDS audit logs 90 days)", DefaultDatabaseLogDays, MaxRetentionDays))
	}
	if !accountIDPattern.MatchString(a.AccountID) {
		add(fieldErr("accountId", a.AccountID, "a 12-digit AWS account ID"))
	}
	if !inInts(a.MonitoringIntervalSeconds, monitoringIntervals) {
		add(fieldErr("monitoringIntervalSeconds", a.MonitoringIntervalSeconds, "one of %v (RDS Enhanced Monitoring)", monitoringIntervals))
	}
	if !regexp.MustCompile(`^[a-z][a-z0-9_]{0,62}$`).MatchString(a.MasterUsername) || a.MasterUsername == "postgres" || a.MasterUsername == "rdsadmin" {
		add(fieldErr("masterUsername", a.MasterUsername, "[a-z][a-z0-9_]*, not a reserved name"))
	}
	add(validateStackTags("tags", a.Tags))
	return errors.Join(errs...)
}

// instanceClassGiB is the memory of the instance classes the stacks use.
var instanceClassGiB = map[string]int{
	"db.t4g.micro": 1, "db.t4g.small": 2, "db.t4g.medium": 4, "db.t4g.large": 8, "db.t4g.xlarge": 16,
	"db.m7g.large": 8, "db.m7g.xlarge": 16, "db.m7g.2xlarge": 32, "db.r7g.large": 16, "db.r7g.xlarge": 32,
}

// MaxConnections is RDS for PostgreSQL's default max_connections of an
// instance class, LEAST(DBInstanceClassMemory/9531392, 5000); ok is false for
// a class this table does not know.
// https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/CHAP_Limits.html#RDS_Limits.MaxConnections
func MaxConnections(instanceClass string) (int, bool) {
	gib, ok := instanceClassGiB[instanceClass]
	if !ok {
		return 0, false
	}
	n := gib * 1024 * 1024 * 1024 / 9531392
	if n > 5000 {
		n = 5000
	}
	return n, true
}

// family is the parameter group family, e.g. "postgres16".
func (a DatabaseArgs) family() string {
	m := engineVersionRegexp.FindStringSubmatch(a.EngineVersion)
	return string(a.Engine) + m[1]
}

// DatabaseParameters are the engine parameters DocuStack sets: TLS forced
// (seed: ECS to RDS TLS 1.2 via rds.force_ssl=1), pgaudit loaded and
// connection logging on (seed: RDS Audit Logs to CloudWatch).
func (a DatabaseArgs) DatabaseParameters() [][3]string {
	return [][3]string{ // name, value, apply method
		{"rds.force_ssl", "1", "immediate"},
		{"ssl_min_protocol_version", "TLSv1.2", "immediate"},
		{"shared_preload_libraries", "pgaudit", "pending-reboot"},
		{"pgaudit.log", a.AuditLogClasses, "immediate"},
		{"pgaudit.log_catalog", "0", "immediate"},
		{"log_connections", "1", "immediate"},
		{"log_disconnections", "1", "immediate"},
	}
}

// Database is the platform's PostgreSQL: one RDS instance or an Aurora cluster.
type Database struct {
	pulumi.ResourceState

	// Instance is set for engine postgres.
	Instance *rds.Instance
	// Cluster and ClusterInstances are set for engine aurora-postgresql.
	Cluster          *rds.Cluster
	ClusterInstances []*rds.ClusterInstance

	// Endpoint is the writer endpoint (host).
	Endpoint pulumi.StringOutput
	// Port is the listener port.
	Port pulumi.IntOutput
	// MasterSecretArn is the RDS-managed Secrets Manager secret of the master user.
	MasterSecretArn pulumi.StringOutput
	// Arn of the instance or cluster (the scheduler stops and starts it).
	Arn pulumi.StringOutput
	// ResourceID is what IAM database authentication names: the instance's
	// DbiResourceId or the cluster's resource ID.
	ResourceID pulumi.StringOutput
	// Engine is the engine in use.
	Engine DatabaseEngine
	// Identifier of the instance or cluster.
	Identifier string
}

// NewDatabase creates the database: encrypted with the database CMK, TLS
// forced, pgaudit logs exported to CloudWatch (90 days, logs CMK), automated
// backups with point-in-time recovery, master password managed by RDS in
// Secrets Manager (never in state), IAM authentication, not public, in the
// database subnets only.
func NewDatabase(ctx *pulumi.Context, name string, args DatabaseArgs, opts ...pulumi.ResourceOption) (*Database, error) {
	args.setDefaults()
	err := args.Validate()
	for field, v := range InOrder(map[string]bool{"subnetIds": args.SubnetIDs == nil, "securityGroupId": args.SecurityGroupID == nil,
		"kmsKeyArn": args.KMSKeyArn == nil, "logsKmsKeyArn": args.LogsKMSKeyArn == nil}) {
		if v {
			err = errors.Join(err, fieldErr(field, "", "a value from the network and keys components"))
		}
	}
	if err != nil {
		return nil, err
	}
	d := &Database{Engine: args.Engine, Identifier: args.Identifier}
	if err := ctx.RegisterComponentResource(TypeDatabase, name, d, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(d)
	stateful := []pulumi.ResourceOption{parent}
	if args.Protect {
		stateful = append(stateful, pulumi.Protect(true), pulumi.RetainOnDelete(true))
	}
	tags := func(child string) pulumi.StringMap { return MergeTags(args.Tags, child, Tags{TagComponent: name}) }

	subnetGroupName := childName(name, "subnet-group")
	subnets, err := rds.NewSubnetGroup(ctx, subnetGroupName, &rds.SubnetGroupArgs{
		Name:        pulumi.String(args.Identifier),
		Description: pulumi.String("DocuStack database tier (isolated subnets only)"),
		SubnetIds:   args.SubnetIDs,
		Tags:        tags(subnetGroupName),
	}, parent)
	if err != nil {
		return nil, err
	}

	// The log group exists before the database, so RDS exports into ours
	// (retention and KMS) instead of creating one that never expires.
	kind := "instance"
	if args.Engine == EngineAurora {
		kind = "cluster"
	}
	// Every log RDS exports goes to a group of ours, created first: an export
	// without one makes RDS create it unencrypted with no retention.
	var logGroups []pulumi.Resource
	for _, export := range args.logExports() {
		logName := childName(name, export+"-log")
		lg, err := cloudwatch.NewLogGroup(ctx, logName, &cloudwatch.LogGroupArgs{
			Name:            pulumi.Sprintf("/aws/rds/%s/%s/%s", kind, args.Identifier, export),
			RetentionInDays: pulumi.Int(args.LogRetentionDays),
			KmsKeyId:        args.LogsKMSKeyArn,
			Tags:            tags(logName),
		}, auditLogOptions(parent, args.Protect)...)
		if err != nil {
			return nil, err
		}
		logGroups = append(logGroups, lg)
	}

	monitoringRole, metricsLog, err := enhancedMonitoring(ctx, name, args, parent)
	if err != nil {
		return nil, err
	}
	logGroups = append(logGroups, metricsLog)
	deps := pulumi.DependsOn(logGroups)

	params := func() (out []map[string]string) {
		for _, p := range args.DatabaseParameters() {
			out = append(out, map[string]string{"name": p[0], "value": p[1], "applyMethod": p[2]})
		}
		return out
	}
	final := pulumi.StringPtrInput(nil)
	if args.FinalSnapshot {
		final = pulumi.String(args.Identifier + "-final")
	}

	if args.Engine == EnginePostgres {
		pgName := childName(name, "parameters")
		var pgParams rds.ParameterGroupParameterArray
		for _, p := range params() {
			pgParams = append(pgParams, rds.ParameterGroupParameterArgs{Name: pulumi.String(p["name"]), Value: pulumi.String(p["value"]), ApplyMethod: pulumi.String(p["applyMethod"])})
		}
		// A name prefix, not a fixed name: family and description force a
		// new group. Under a fixed name the provider would delete the old
		// group first, which RDS refuses while the instance is a member
		// (InvalidDBParameterGroupState); under a prefix the new group is
		// created first, the instance moves to it, then the old one goes.
		pg, err := rds.NewParameterGroup(ctx, pgName, &rds.ParameterGroupArgs{
			NamePrefix: pulumi.String(args.Identifier + "-"), Family: pulumi.String(args.family()),
			Description: pulumi.String("DocuStack: TLS forced, pgaudit"), Parameters: pgParams, Tags: tags(pgName),
		}, parent)
		if err != nil {
			return nil, err
		}
		instName := childName(name, "instance")
		inst, err := rds.NewInstance(ctx, instName, &rds.InstanceArgs{
			Identifier:                         pulumi.String(args.Identifier),
			Engine:                             pulumi.String(string(args.Engine)),
			EngineVersion:                      pulumi.String(args.EngineVersion),
			InstanceClass:                      pulumi.String(args.InstanceClass),
			AllocatedStorage:                   pulumi.Int(args.AllocatedStorageGB),
			MaxAllocatedStorage:                pulumi.Int(args.MaxAllocatedStorageGB),
			StorageType:                        pulumi.String("gp3"),
			StorageEncrypted:                   pulumi.Bool(true),
			KmsKeyId:                           args.KMSKeyArn,
			MultiAz:                            pulumi.Bool(args.MultiAZ),
			DbSubnetGroupName:                  subnets.Name,
			VpcSecurityGroupIds:                pulumi.StringArray{args.SecurityGroupID},
			PubliclyAccessible:                 pulumi.Bool(false),
			ParameterGroupName:                 pg.Name,
			Username:                           pulumi.String(args.MasterUsername),
			ManageMasterUserPassword:           pulumi.Bool(true),
			MasterUserSecretKmsKeyId:           args.KMSKeyArn,
			IamDatabaseAuthenticationEnabled:   pulumi.Bool(true),
			BackupRetentionPeriod:              pulumi.Int(args.BackupRetentionDays),
			BackupWindow:                       pulumi.String(backupWindow),
			MaintenanceWindow:                  pulumi.String(maintenanceWindow),
			CopyTagsToSnapshot:                 pulumi.Bool(true),
			DeleteAutomatedBackups:             pulumi.Bool(!args.Protect),
			DeletionProtection:                 pulumi.Bool(args.DeletionProtection),
			SkipFinalSnapshot:                  pulumi.Bool(!args.FinalSnapshot),
			FinalSnapshotIdentifier:            final,
			EnabledCloudwatchLogsExports:       pulumi.ToStringArray(args.logExports()),
			PerformanceInsightsEnabled:         pulumi.Bool(args.PerformanceInsights),
			PerformanceInsightsKmsKeyId:        kmsIf(args.PerformanceInsights, args.KMSKeyArn),
			PerformanceInsightsRetentionPeriod: intIf(args.PerformanceInsights, performanceInsightsDays),
			CaCertIdentifier:                   pulumi.String(caCertificate),
			AutoMinorVersionUpgrade:            pulumi.Bool(true),
			MonitoringInterval:                 pulumi.Int(args.MonitoringIntervalSeconds),
			MonitoringRoleArn:                  monitoringRole.Arn,
			Tags:                               tags(instName),
		}, append(stateful, deps)...)
		if err != nil {
			return nil, err
		}
		d.Instance = inst
		d.Endpoint = inst.Address
		d.Port = inst.Port
		d.Arn = inst.Arn
		d.ResourceID = inst.ResourceId
		d.MasterSecretArn = inst.MasterUserSecrets.Index(pulumi.Int(0)).SecretArn().Elem()
	} else {
		cpgName := childName(name, "cluster-parameters")
		var cParams rds.ClusterParameterGroupParameterArray
		for _, p := range params() {
			cParams = append(cParams, rds.ClusterParameterGroupParameterArgs{Name: pulumi.String(p["name"]), Value: pulumi.String(p["value"]), ApplyMethod: pulumi.String(p["applyMethod"])})
		}
		// A name prefix for the same reason as the instance's parameter group.
		cpg, err := rds.NewClusterParameterGroup(ctx, cpgName, &rds.ClusterParameterGroupArgs{
			NamePrefix: pulumi.String(args.Identifier + "-"), Family: pulumi.String(args.family()),
			Description: pulumi.String("DocuStack: TLS forced, pgaudit"), Parameters: cParams, Tags: tags(cpgName),
		}, parent)
		if err != nil {
			return nil, err
		}
		clusterName := childName(name, "cluster")
		cluster, err := rds.NewCluster(ctx, clusterName, &rds.ClusterArgs{
			ClusterIdentifier:                pulumi.String(args.Identifier),
			Engine:                           pulumi.String(string(args.Engine)),
			EngineVersion:                    pulumi.String(args.EngineVersion),
			StorageEncrypted:                 pulumi.Bool(true),
			KmsKeyId:                         args.KMSKeyArn,
			DbSubnetGroupName:                subnets.Name,
			VpcSecurityGroupIds:              pulumi.StringArray{args.SecurityGroupID},
			DbClusterParameterGroupName:      cpg.Name,
			MasterUsername:                   pulumi.String(args.MasterUsername),
			ManageMasterUserPassword:         pulumi.Bool(true),
			MasterUserSecretKmsKeyId:         args.KMSKeyArn,
			IamDatabaseAuthenticationEnabled: pulumi.Bool(true),
			BackupRetentionPeriod:            pulumi.Int(args.BackupRetentionDays),
			PreferredBackupWindow:            pulumi.String(backupWindow),
			PreferredMaintenanceWindow:       pulumi.String(maintenanceWindow),
			CopyTagsToSnapshot:               pulumi.Bool(true),
			DeleteAutomatedBackups:           pulumi.Bool(!args.Protect),
			DeletionProtection:               pulumi.Bool(args.DeletionProtection),
			SkipFinalSnapshot:                pulumi.Bool(!args.FinalSnapshot),
			FinalSnapshotIdentifier:          final,
			EnabledCloudwatchLogsExports:     pulumi.ToStringArray(args.logExports()),
			Tags:                             tags(clusterName),
		}, append(stateful, deps)...)
		if err != nil {
			return nil, err
		}
		for i := 0; i < args.Instances; i++ {
			instName := childName(name, "instance", i)
			ci, err := rds.NewClusterInstance(ctx, instName, &rds.ClusterInstanceArgs{
				Identifier:                         pulumi.Sprintf("%s-%d", args.Identifier, i),
				ClusterIdentifier:                  cluster.ID(),
				Engine:                             pulumi.String(string(args.Engine)),
				EngineVersion:                      pulumi.String(args.EngineVersion),
				InstanceClass:                      pulumi.String(args.InstanceClass),
				AvailabilityZone:                   pulumi.String(args.AvailabilityZones[i%len(args.AvailabilityZones)]),
				DbSubnetGroupName:                  subnets.Name,
				PubliclyAccessible:                 pulumi.Bool(false),
				PromotionTier:                      pulumi.Int(i),
				PerformanceInsightsEnabled:         pulumi.Bool(args.PerformanceInsights),
				PerformanceInsightsKmsKeyId:        kmsIf(args.PerformanceInsights, args.KMSKeyArn),
				PerformanceInsightsRetentionPeriod: intIf(args.PerformanceInsights, performanceInsightsDays),
				CaCertIdentifier:                   pulumi.String(caCertificate),
				AutoMinorVersionUpgrade:            pulumi.Bool(true),
				CopyTagsToSnapshot:                 pulumi.Bool(true),
				MonitoringInterval:                 pulumi.Int(args.MonitoringIntervalSeconds),
				MonitoringRoleArn:                  monitoringRole.Arn,
				Tags:                               tags(instName),
			}, append(stateful, deps)...)
			if err != nil {
				return nil, err
			}
			d.ClusterInstances = append(d.ClusterInstances, ci)
		}
		d.Cluster = cluster
		d.Endpoint = cluster.Endpoint
		d.Port = cluster.Port
		d.Arn = cluster.Arn
		d.ResourceID = cluster.ClusterResourceId
		d.MasterSecretArn = cluster.MasterUserSecrets.Index(pulumi.Int(0)).SecretArn().Elem()
	}
	if err := ctx.RegisterResourceOutputs(d, pulumi.Map{
		"endpoint": d.Endpoint, "port": d.Port, "arn": d.Arn, "masterSecretArn": d.MasterSecretArn,
	}); err != nil {
		return nil, err
	}
	return d, nil
}

// Ready are the resources that exist once the database accepts connections.
func (d *Database) Ready() []pulumi.Resource {
	if d.Instance != nil {
		return []pulumi.Resource{d.Instance}
	}
	out := []pulumi.Resource{d.Cluster}
	for _, i := range d.ClusterInstances {
		out = append(out, i)
	}
	return out
}

func kmsIf(on bool, arn pulumi.StringInput) pulumi.StringPtrInput {
	if !on {
		return nil
	}
	return arn
}

func intIf(on bool, v int) pulumi.IntPtrInput {
	if !on {
		return nil
	}
	return pulumi.Int(v)
}

// engineLabel is for messages.
func (e DatabaseEngine) String() string { return strings.ToLower(string(e)) }

var _ = fmt.Sprintf

// logExports are the logs RDS exports to CloudWatch: PostgreSQL's log
// (connections, pgaudit) and, for an instance, its upgrade log.
func (a DatabaseArgs) logExports() []string {
	if a.Engine == EngineAurora {
		return []string{"postgresql"}
	}
	return []string{"postgresql", "upgrade"}
}

// Enhanced Monitoring defaults.
const (
	DefaultMonitoringIntervalSeconds = 60
	// enhancedMonitoringPolicy is AWS's managed policy for the monitoring
	// role: it writes the RDSOSMetrics log group.
	enhancedMonitoringPolicy = "arn:aws:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole"
	// EnhancedMonitoringLogGroup is where RDS writes every instance's OS
	// metrics in the account and region.
	EnhancedMonitoringLogGroup = "RDSOSMetrics"
)

// monitoringIntervals are the granularities RDS accepts (0 turns it off).
var monitoringIntervals = []int{1, 5, 10, 15, 30, 60}

func inInts(v int, l []int) bool {
	for _, e := range l {
		if e == v {
			return true
		}
	}
	return false
}

// enhancedMonitoring creates the role RDS's monitoring agent publishes with
// (trusting monitoring.rds.amazonaws.com for this account, with AWS's
// managed policy) and the RDSOSMetrics log group, before the instances: RDS
// otherwise creates the group unencrypted and keeps 30 days, which the
// conformance pack's log-group rules fail.
// https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_Monitoring.OS.Enabling.html
// https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_Monitoring.OS.html#USER_Monitoring.OS.retention
func enhancedMonitoring(ctx *pulumi.Context, name string, args DatabaseArgs, parent pulumi.ResourceOption) (*iam.Role, *cloudwatch.LogGroup, error) {
	tags := func(child string) pulumi.StringMap { return MergeTags(args.Tags, child, Tags{TagComponent: name}) }
	roleName := childName(name, "monitoring-role")
	role, err := iam.NewRole(ctx, roleName, &iam.RoleArgs{
		Name:        pulumi.String(args.Identifier + "-rds-monitoring"),
		Description: pulumi.String("RDS Enhanced Monitoring: publishes OS metrics to RDSOSMetrics"),
		AssumeRolePolicy: pulumi.String(PolicyJSON(PolicyStatement{
			Effect: "Allow", Principal: map[string]any{"Service": servicePrincipal("monitoring.rds")}, Action: "sts:AssumeRole",
			Condition: map[string]map[string]any{"StringEquals": {"aws:SourceAccount": args.AccountID}},
		})),
		Tags: tags(roleName),
	}, parent)
	if err != nil {
		return nil, nil, err
	}
	attach, err := iam.NewRolePolicyAttachment(ctx, childName(name, "monitoring-policy"), &iam.RolePolicyAttachmentArgs{
		Role: role.Name, PolicyArn: pulumi.String(enhancedMonitoringPolicy),
	}, parent)
	if err != nil {
		return nil, nil, err
	}
	logName := childName(name, "os-metrics-log")
	lg, err := cloudwatch.NewLogGroup(ctx, logName, &cloudwatch.LogGroupArgs{
		Name:            pulumi.String(EnhancedMonitoringLogGroup),
		RetentionInDays: pulumi.Int(args.LogRetentionDays),
		KmsKeyId:        args.LogsKMSKeyArn,
		Tags:            tags(logName),
	}, parent, pulumi.DependsOn([]pulumi.Resource{attach}))
	if err != nil {
		return nil, nil, err
	}
	return role, lg, nil
}

// DatabaseConnectStatement lets a role sign in to the database as user with
// IAM database authentication: rds-db:connect on the user of the instance
// (or cluster) resource ID.
// https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/UsingWithRDS.IAMDBAuth.IAMPolicy.html
func DatabaseConnectStatement(region, account, resourceID, user string) PolicyStatement {
	return PolicyStatement{Sid: "ConnectToDatabase", Effect: "Allow", Action: "rds-db:connect",
		Resource: fmt.Sprintf("arn:%s:rds-db:%s:%s:dbuser:%s/%s", awsPartition, region, account, resourceID, user)}
}
