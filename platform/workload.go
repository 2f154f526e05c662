package platform

import (
	"fmt"
	"regexp"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/docustack/infrastructure/components"
)

// Repositories are the platform's images (seed layers 2-5), the web task's
// tls-proxy (cmd/tlsproxy) and Temporal's images (images/), the last two
// built from this repository. Every image a task runs comes from the
// account's own registry: none from Docker Hub at run time.
var Repositories = []string{"web", "slack-bot", "workers", "db-init", "tls-proxy",
	components.TemporalServerRepository, components.TemporalAdminToolsRepository, components.TemporalUIRepository, components.CollectorRepository}

// builtHere are the images this repository builds, by repository: the build
// context and Dockerfile (images/README.md).
var builtHere = map[string]struct{ context, dockerfile string }{
	"tls-proxy":                             {".", "cmd/tlsproxy/Dockerfile"},
	components.TemporalServerRepository:     {"images/temporal-server", "images/temporal-server/Dockerfile"},
	components.TemporalAdminToolsRepository: {"images/temporal-admin-tools", "images/temporal-admin-tools/Dockerfile"},
	components.TemporalUIRepository:         {"images/temporal-ui", "images/temporal-ui/Dockerfile"},
	components.CollectorRepository:          {"images/otel-collector", "images/otel-collector/Dockerfile"},
}

// ImagePlatforms are what every image is built for: Graviton first (the
// default, components.DefaultCPUArchitecture), x86 for a service that opts out.
var ImagePlatforms = []string{"linux/arm64", "linux/amd64"}

// BuiltImagesOutput is the stack output listing the images this repository
// builds for the stack (docustack images reads it).
const BuiltImagesOutput = "builtImages"

// builtImages are the images to build for this stack: each with its
// repository URL, tag, upstream base (build argument BASE, if any), context
// and Dockerfile. From the configuration only, so a first deploy has it.
func (c *Config) builtImages() pulumi.Array {
	bases := map[string]string{
		components.TemporalServerRepository:     "temporalio/server:" + c.temporalVersion(),
		components.TemporalAdminToolsRepository: "temporalio/admin-tools:" + components.AdminToolsTags[c.temporalVersion()],
		components.TemporalUIRepository:         "temporalio/ui:" + c.temporalUIVersion(),
		components.CollectorRepository:          "public.ecr.aws/aws-observability/aws-otel-collector:" + c.collectorVersion(),
	}
	out := pulumi.Array{}
	for _, n := range c.imageNeeds() {
		b, ok := builtHere[n.repo]
		if !ok {
			continue
		}
		out = append(out, pulumi.StringMap{
			"repository": pulumi.String(c.registryHost() + "/" + c.prefix() + "/" + n.repo), "tag": pulumi.String(n.tag),
			"base": pulumi.String(bases[n.repo]), "context": pulumi.String(b.context), "dockerfile": pulumi.String(b.dockerfile),
			"key": pulumi.String(n.key),
		})
	}
	return out
}

// WebCachePath is the web image's Next.js cache (its WORKDIR is /app).
const WebCachePath = "/app/.next/cache"

// DefaultTLSProxyImageTag is the tls-proxy release the web task runs.
const DefaultTLSProxyImageTag = "v1.0.0"

// DefaultWorkerStrategy runs Temporal workers on Fargate Spot with one task
// in five on on-demand Fargate, so work continues while Spot is reclaimed.
var DefaultWorkerStrategy = components.CapacityStrategy{OnDemandWeight: 1, SpotWeight: 4}

// DefaultWebStrategy keeps one web task on on-demand Fargate and runs the
// rest on Spot: the web app is customer-facing, extra capacity is not.
var DefaultWebStrategy = components.CapacityStrategy{OnDemandBase: 1, SpotWeight: 1}

var (
	regionPattern   = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]$`)
	imageTagPattern = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$`)
)

// validateWorkload checks the layer 2-5 settings and the components built
// from them, naming configuration keys.
func (c *Config) validateWorkload() []error {
	var errs []error
	errs = append(errs, c.validateArchive()...)
	errs = append(errs, c.validateConnections()...)
	// The nightly scheduler sets task counts to 0 and back; Application Auto
	// Scaling holds them within its scalable target's minimum, and a `pulumi
	// up` at night would restore that minimum against a stopped database.
	for k, a := range components.InOrder(map[string]AppConfig{KeyWorkers: c.Workers, KeySlackBot: c.SlackBot}) {
		if c.Scheduler.Enabled && a.MaxCount > 0 {
			errs = append(errs, bad(k+".maxCount", a.MaxCount, "no autoscaling while scheduler.enabled is true (both would own the task count): unset one of them"))
		}
	}
	if !regionPattern.MatchString(c.DRRegion) || c.DRRegion == AllowedRegion {
		errs = append(errs, bad(KeyDRRegion, c.DRRegion, "an AWS region other than %s for replicas and backup copies", AllowedRegion))
	}
	if c.Environment == Prod {
		if c.Network != nil && components.NATStrategy(c.Network.NATStrategy) != components.NATPerAZ {
			errs = append(errs, bad(KeyNetwork+".natStrategy", c.Network.NATStrategy, "%q in prod (egress must survive an AZ failure)", components.NATPerAZ))
		}
		if !c.Database.MultiAZ {
			errs = append(errs, bad(KeyDatabase+".multiAz", c.Database.MultiAZ, "true in prod (seed RTO: Multi-AZ, automatic failover)"))
		}
		if c.Database.BackupRetentionDays < ProdBackupRetentionDays {
			errs = append(errs, bad(KeyDatabase+".backupRetentionDays", c.Database.BackupRetentionDays, "at least %d in prod (seed Backup Strategy)", ProdBackupRetentionDays))
		}
	}
	for k, tag := range components.InOrder(map[string]string{KeyWeb + ".imageTag": c.Web.ImageTag, KeyWeb + ".tlsProxyImageTag": c.Web.TLSProxyImageTag,
		KeyWorkers + ".imageTag": c.Workers.ImageTag, KeySlackBot + ".imageTag": c.SlackBot.ImageTag,
		KeyTemporal + ".collectorVersion": c.collectorVersion()}) {
		if !imageTagPattern.MatchString(tag) || tag == "latest" {
			errs = append(errs, bad(k, tag, "an immutable image tag (not latest), e.g. a release or commit"))
		}
	}
	seen := map[string]bool{}
	for i, s := range c.Web.Secrets {
		if !regexp.MustCompile(`^[A-Z_][A-Z0-9_]*$`).MatchString(s) || seen[s] {
			errs = append(errs, bad(fmt.Sprintf("%s.secrets[%d]", KeyWeb, i), s, "a distinct environment variable name"))
		}
		seen[s] = true
	}
	for _, check := range []struct {
		object string
		err    error
	}{
		{KeyDatabase, c.databaseArgs(nil, nil, nil, nil).Validate()},
		{KeyECS, c.clusterArgs(nil).Validate()},
		{KeyECS, c.registryArgs(nil).Validate()},
		{KeyIngress, c.ingressArgs(nil, nil, nil).Validate()},
		{KeyWeb, c.webArgs(nil, nil, nil, nil, nil, nil, nil, nil, nil, nil).Validate()},
		{"documents", c.documentsArgs(nil, nil, nil).Validate()},
		{KeyTemporal, c.temporalArgs().Validate()},
		{KeyWorkers, c.appArgs("workers", c.Workers).Validate()},
		{KeySlackBot, c.appArgs("slack-bot", c.SlackBot).Validate()},
		{KeyDBInit, c.dbInitArgs().Validate()},
		{KeyScheduler, c.schedulerArgs().Validate()},
		{KeyBastion, c.bastionArgs(nil, nil, nil, nil).Validate()},
		{KeyAlarms, c.alarmsArgs(nil).Validate()},
		{KeyCompliance, c.complianceArgs(nil).Validate()},
		{KeyCompliance, c.detectionArgs(nil).Validate()},
		{KeyDatabase, c.backupArgs().Validate()},
	} {
		errs = append(errs, components.RenameFields(check.err, c.configKeyOf(check.object)))
	}
	return errs
}

func (c *Config) databaseArgs(subnets pulumi.StringArrayInput, sg, key, logsKey pulumi.StringInput) components.DatabaseArgs {
	d := c.Database
	var azs []string
	if c.Network != nil {
		azs = c.Network.AvailabilityZones
	}
	return components.DatabaseArgs{
		Identifier:            c.prefix(),
		AccountID:             c.AccountID,
		Engine:                components.DatabaseEngine(d.Engine),
		EngineVersion:         d.EngineVersion,
		InstanceClass:         d.InstanceClass,
		AllocatedStorageGB:    d.AllocatedStorageGB,
		MaxAllocatedStorageGB: d.MaxAllocatedStorageGB,
		Instances:             d.Instances,
		MultiAZ:               d.MultiAZ,
		BackupRetentionDays:   d.BackupRetentionDays,
		DeletionProtection:    c.DeletionProtection,
		FinalSnapshot:         c.ProtectStatefulResources,
		PerformanceInsights:   c.Environment == Prod,
		AvailabilityZones:     azs,
		Protect:               c.ProtectStatefulResources,
		SubnetIDs:             subnets,
		SecurityGroupID:       sg,
		KMSKeyArn:             key,
		LogsKMSKeyArn:         logsKey,
		Tags:                  c.StackTags(),
	}
}

func (c *Config) clusterArgs(logsKey pulumi.StringInput) components.ClusterArgs {
	return components.ClusterArgs{
		ClusterName:       c.prefix(),
		DefaultStrategy:   c.ECS.DefaultStrategy,
		ContainerInsights: components.ContainerInsights(c.ECS.ContainerInsights),
		KMSKeyArn:         logsKey,
		Protect:           c.ProtectStatefulResources,
		Tags:              c.StackTags(),
	}
}

func (c *Config) registryArgs(dataKey pulumi.StringInput) components.RegistryArgs {
	inUse := map[string][]string{}
	for _, n := range c.imageNeeds() {
		inUse[n.repo] = append(inUse[n.repo], n.tag)
	}
	return components.RegistryArgs{Prefix: c.prefix(), Repositories: Repositories, InUse: inUse, KMSKeyArn: dataKey, Tags: c.StackTags()}
}

func (c *Config) ingressArgs(vpc pulumi.StringInput, subnets pulumi.StringArrayInput, sg pulumi.StringInput) components.IngressArgs {
	in := c.Ingress
	return components.IngressArgs{
		Name:               c.prefix(),
		CertificateArn:     in.CertificateArn,
		DomainName:         in.DomainName,
		HostedZoneID:       in.HostedZoneID,
		AllowedCIDRs:       in.AllowedCIDRs,
		ManagedRuleGroups:  in.ManagedRuleGroups,
		DeletionProtection: c.DeletionProtection,
		AccessLogsBucket:   c.accessLogsBucket(),
		WAFLogBucketArn:    "arn:aws:s3:::" + components.WAFLogBucketName(c.prefix(), c.AccountID),
		VpcID:              vpc,
		SubnetIDs:          subnets,
		SecurityGroupID:    sg,
		Tags:               c.StackTags(),
	}
}

// DocumentsBucketName and DocumentsReplicaBucketName are deterministic.
func (c *Config) DocumentsBucketName() string {
	return fmt.Sprintf("%s-documents-%s", c.prefix(), c.AccountID)
}

// DocumentsReplicaBucketName is the documents bucket's DR-region replica.
func (c *Config) DocumentsReplicaBucketName() string {
	return fmt.Sprintf("%s-documents-replica-%s", c.prefix(), c.AccountID)
}

func (c *Config) documentsArgs(key, replicaKey pulumi.StringInput, dr pulumi.ProviderResource) components.DocumentsArgs {
	return components.DocumentsArgs{
		BucketName:        c.DocumentsBucketName(),
		ReplicaBucketName: c.DocumentsReplicaBucketName(),
		AccountID:         c.AccountID,
		Region:            c.Region,
		DRRegion:          c.DRRegion,
		KMSKeyArn:         key,
		ReplicaKMSKeyArn:  replicaKey,
		DRProvider:        dr,
		AccessLogsBucket:  c.s3AccessLogsBucket(),
		Protect:           c.ProtectStatefulResources,
		Tags:              c.StackTags(),
	}
}

func (c *Config) webArgs(image, repo, proxyImage, proxyRepo, cluster pulumi.StringInput, subnets, sgs pulumi.StringArrayInput,
	tg, logsKey pulumi.StringInput, taskPolicy pulumi.StringInput) components.ServiceArgs {
	w := c.Web
	return components.ServiceArgs{
		ServiceName:           c.prefix() + "-web",
		Image:                 image,
		RepositoryArn:         repo,
		ClusterArn:            cluster,
		CPU:                   w.CPU,
		Memory:                w.Memory,
		CPUArchitecture:       w.CPUArchitecture,
		DesiredCount:          *w.DesiredCount,
		ContainerPort:         components.DefaultApplicationPort,
		Environment:           map[string]string{"NODE_ENV": "production", "DOCUSTACK_ENV": string(c.Environment)}, // PORT is set by the service: the app's port behind the tls-proxy
		Strategy:              w.Strategy,
		SubnetIDs:             subnets,
		SecurityGroupIDs:      sgs,
		TargetGroupArn:        tg,
		TLSProxyImage:         proxyImage,
		TLSProxyRepositoryArn: proxyRepo,
		// Next.js writes its image-optimization and fetch cache under
		// .next/cache of the app's directory (/app in the image contract).
		WritablePaths: []string{WebCachePath},
		TaskPolicy:    taskPolicy,
		EnableExec:    c.Environment != Prod,
		LogsKMSKeyArn: logsKey,
		AccountID:     c.AccountID,
		Region:        c.Region,
		Tags:          c.StackTags(),
	}
}

func (c *Config) temporalArgs() components.TemporalArgs {
	t := c.Temporal
	return components.TemporalArgs{
		Prefix: c.prefix(), Mode: components.TemporalMode(t.Mode), Version: t.Version, UIVersion: t.UIVersion,
		NumHistoryShards: t.NumHistoryShards, CPU: t.CPU, Memory: t.Memory, DesiredCount: t.DesiredCount, Strategy: t.Strategy,
		IgnoreDesiredCount: c.Scheduler.Enabled, MaxConnsPerStore: t.MaxConnsPerStore, NoMetrics: !t.metricsOn(),
		AccountID: c.AccountID, Region: c.Region, Tags: c.StackTags(),
	}
}

// AppConnectionReserve is what the database keeps for everything but
// Temporal: the applications' pools, DB-init, the bastion, RDS's own
// superuser slots.
const AppConnectionReserve = 30

// validateConnections refuses a Temporal pool that cannot fit the instance
// class's max_connections beside the applications' reserve.
func (c *Config) validateConnections() []error {
	if components.DatabaseEngine(c.Database.Engine) == components.EngineAurora {
		return nil
	}
	class := c.Database.InstanceClass
	if class == "" {
		class = components.DefaultInstanceClass
	}
	limit, ok := components.MaxConnections(class)
	if !ok {
		return nil
	}
	need := c.temporalArgs().DatabaseConnections()
	if need+AppConnectionReserve <= limit {
		return nil
	}
	return []error{bad(KeyTemporal+".maxConnsPerStore", need,
		"Temporal's pools (tasks x 2 stores x maxConnsPerStore, plus each frontend's schema step, x2 while a rolling deploy overlaps old and new tasks) plus %d for the applications within %s's max_connections %d (database.instanceClass): lower temporal.maxConnsPerStore or raise database.instanceClass",
		AppConnectionReserve, class, limit)}
}

// appArgs are the settings an ECS application takes from its config object;
// the platform adds the wiring.
func (c *Config) appArgs(app string, a AppConfig) components.ServiceArgs {
	args := components.ServiceArgs{
		ServiceName:        c.prefix() + "-" + app,
		CPU:                a.CPU,
		Memory:             a.Memory,
		CPUArchitecture:    a.CPUArchitecture,
		DesiredCount:       *a.DesiredCount,
		Strategy:           a.Strategy,
		IgnoreDesiredCount: c.Scheduler.Enabled,
		ClusterName:        c.prefix(),
		AccountID:          c.AccountID,
		Region:             c.Region,
		Tags:               c.StackTags(),
	}
	if a.MaxCount > 0 {
		args.Autoscaling = &components.Autoscaling{MinCount: a.MinCount, MaxCount: a.MaxCount}
	}
	return args
}

func (c *Config) dbInitArgs() components.DBInitArgs {
	return components.DBInitArgs{
		FunctionName: c.prefix() + "-db-init",
		ImageTag:     c.DBInit.ImageTag,
		Roles: []components.DatabaseRole{
			// The application signs in with its task role (docs/adr/0006).
			{Name: AppDatabase, Databases: []string{AppDatabase}, IAMAuth: true},
			{Name: components.TemporalDatabaseUser, Databases: []string{components.TemporalDatabase, components.TemporalVisibilityDatabase}},
		},
		Tags: c.StackTags(),
	}
}

func (c *Config) schedulerArgs() components.SchedulerArgs {
	s := c.Scheduler
	return components.SchedulerArgs{
		GroupName: c.prefix(), Timezone: s.Timezone, StopAt: s.StopAt, StartAt: s.StartAt, Days: s.Days,
		AccountID: c.AccountID, Tags: c.StackTags(),
	}
}

func (c *Config) bastionArgs(ebsKey, vpc pulumi.StringInput, subnets pulumi.StringArrayInput, dbSG pulumi.StringInput) components.BastionArgs {
	return components.BastionArgs{
		Name: c.prefix() + "-bastion", InstanceType: c.Bastion.InstanceType,
		EBSKMSKeyArn: ebsKey, VpcID: vpc, SubnetIDs: subnets, DatabaseSecurityGroupID: dbSG, Tags: c.StackTags(),
	}
}

// alarmsArgs are the operational alarms' settings; db is nil when only
// validating.
func (c *Config) alarmsArgs(db *components.Database) components.AlarmsArgs {
	a := components.AlarmsArgs{Prefix: c.prefix(), Thresholds: c.Alarms, ClusterName: c.prefix(), Tags: c.StackTags()}
	if db != nil {
		a.DatabaseEngine, a.DatabaseIdentifier = db.Engine, db.Identifier
	}
	return a
}
