package components

import (
	"errors"
	"fmt"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// TemporalMode runs Temporal's four services apart or in one task.
type TemporalMode string

// Temporal modes.
const (
	// TemporalSplit runs frontend, history, matching and worker as services.
	TemporalSplit TemporalMode = "split"
	// TemporalCombined runs all four in one task (dev).
	TemporalCombined TemporalMode = "combined"
)

// Temporal defaults and ports (gRPC 7233-7239, ringpop membership 6933-6939,
// which peers dial directly on task IPs).
const (
	DefaultTemporalVersion   = "1.27.2"
	DefaultTemporalUIVersion = "2.37.2"
	DefaultHistoryShards     = 512
	// DefaultTemporalMaxConnsPerStore is each server process's pool per database.
	DefaultTemporalMaxConnsPerStore = 5
	TemporalFrontendPort            = 7233
	temporalGRPCLast                = 7239
	temporalMembershipFirst         = 6933
	temporalMembershipLast          = 6939
	temporalUIPort                  = 8080
	// temporalIdleSeconds keeps Service Connect from cutting long polls
	// (Temporal holds them up to 60 s; Service Connect's default is 15 s per
	// request for HTTP; frontend is published as TCP with this idle timeout).
	temporalIdleSeconds = 300
	// TemporalDatabase and TemporalVisibilityDatabase are created by DB-init.
	TemporalDatabase           = "temporal"
	TemporalVisibilityDatabase = "temporal_visibility"
	TemporalDatabaseUser       = "temporal"
)

// AdminToolsTags pin temporalio/admin-tools for each server version: since
// Temporal 1.24 admin-tools images are tagged with the tctl and CLI versions
// they bundle (temporalio/temporal#6052), so "<server version>" alone does
// not exist. One place; a server version without an entry is refused.
var AdminToolsTags = map[string]string{
	"1.27.2": "1.27.2-tctl-1.18.2-cli-1.3.0",
}

// Temporal's images in the account's registry ("<prefix>/<repository>"),
// built from Docker Hub's by the image workflow (images/): the server, the
// admin tools (schema and namespace containers) and the UI.
const (
	TemporalServerRepository     = "temporal-server"
	TemporalAdminToolsRepository = "temporal-admin-tools"
	TemporalUIRepository         = "temporal-ui"
)

// RDSCABundlePath is where every database client's image carries AWS's RDS
// CA bundle (images/README.md), to verify the server's certificate.
const RDSCABundlePath = "/etc/ssl/certs/rds-global-bundle.pem"

// TemporalNamespaces are the namespaces the workers and the web app use,
// with their workflow retention; every frontend task registers them.
var TemporalNamespaces = map[string]string{AppTemporalNamespace: "720h"}

// AppTemporalNamespace is the namespace the applications use (TEMPORAL_NAMESPACE).
const AppTemporalNamespace = "docustack"

// TemporalFrontendAddress is what clients dial, through Service Connect.
var TemporalFrontendAddress = fmt.Sprintf("frontend:%d", TemporalFrontendPort)

// temporalServices are the server roles and their gRPC ports.
var temporalServices = []struct {
	role string
	port int
}{{"frontend", 7233}, {"history", 7234}, {"matching", 7235}, {"worker", 7239}}

// TemporalArgs configures the Temporal server, its UI and its schema task.
type TemporalArgs struct {
	// Prefix names the services "<Prefix>-temporal-<role>". Required.
	Prefix string
	// Mode is "split" or "combined". Default: "split".
	Mode TemporalMode
	// Version of temporalio/server and temporalio/admin-tools. Default: 1.27.2.
	Version string
	// UIVersion of temporalio/ui. Default: 2.37.2.
	UIVersion string
	// NumHistoryShards is fixed for the life of the cluster: it can never
	// change after the first start. Default: 512. Range 1..16384, a power of two.
	NumHistoryShards int
	// CPU and Memory of each server task. Default: 512 and 1024.
	CPU, Memory int
	// DesiredCount of each server service and the UI. Default: 1.
	DesiredCount int
	// Strategy of the server tasks. Default: on-demand only (a Spot
	// interruption moves shard ownership; see README).
	Strategy CapacityStrategy
	// WorkerRoleStrategy places the worker role's tasks (split mode).
	// Default: Spot only. The worker role runs Temporal's system workflows
	// (scanner, batch, archival) as a client of the frontend and owns no
	// history shard or task-queue partition, so a Spot interruption delays
	// those workflows and moves nothing.
	// (go.temporal.io/server v1.27.2, service/worker README: "a role ... for
	// hosting any components responsible for performing background processing").
	WorkerRoleStrategy CapacityStrategy
	// IgnoreDesiredCount leaves task counts to the nightly scheduler.
	IgnoreDesiredCount bool
	// MaxConnsPerStore caps each server process's pool to each of its two
	// databases (persistence and visibility; SQL_MAX_CONNS of the server
	// image, whose own default, 20, overruns a small instance). Default: 5.
	// Range 1..100.
	MaxConnsPerStore int
	// After are what the servers wait for (DB-init's roles and databases). Optional.
	After []pulumi.Resource
	// Images are the server, admin-tools and UI images in the account's
	// registry, with their repositories (to pull from) and digests (a new
	// digest rolls the services that run it). Required.
	Images TemporalImages
	// NoMetrics leaves out the metrics collector (and so Temporal's
	// CloudWatch metrics). Default: false, metrics on.
	NoMetrics bool
	// PasswordVersion is the current version of the temporal role's
	// password secret: a rotated password rolls every server. Optional
	// (unknown before DB-init first writes it).
	PasswordVersion string
	// DatabaseHost is the PostgreSQL endpoint; persistence and visibility
	// live there (over TLS). Required.
	DatabaseHost pulumi.StringInput
	// DatabasePasswordSecretArn holds the temporal role's password (written
	// by DB-init). Required.
	DatabasePasswordSecretArn pulumi.StringInput
	// DatabaseSecurityGroupID admits Temporal on 5432. Required.
	DatabaseSecurityGroupID pulumi.StringInput
	// ClientSecurityGroupIDs may call frontend:7233 (workers, web, Slack bot).
	ClientSecurityGroupIDs []pulumi.StringInput
	// UIClientSecurityGroupIDs may open the UI (the bastion). Default: none.
	UIClientSecurityGroupIDs []pulumi.StringInput
	// VpcID, SubnetIDs (private), ClusterArn, NamespaceArn. Required.
	VpcID        pulumi.StringInput
	SubnetIDs    pulumi.StringArrayInput
	ClusterArn   pulumi.StringInput
	NamespaceArn pulumi.StringInput
	// LogsKMSKeyArn encrypts the log groups. Required.
	LogsKMSKeyArn pulumi.StringInput
	// AccountID and Region. Required.
	AccountID, Region string
	// Tags are the stack tags. Required: every key of StackTagKeys.
	Tags Tags
}

func (a *TemporalArgs) setDefaults() {
	if a.Mode == "" {
		a.Mode = TemporalSplit
	}
	if a.Version == "" {
		a.Version = DefaultTemporalVersion
	}
	if a.UIVersion == "" {
		a.UIVersion = DefaultTemporalUIVersion
	}
	if a.NumHistoryShards == 0 {
		a.NumHistoryShards = DefaultHistoryShards
	}
	if a.MaxConnsPerStore == 0 {
		a.MaxConnsPerStore = DefaultTemporalMaxConnsPerStore
	}
	if a.CPU == 0 {
		a.CPU = 512
	}
	if a.Memory == 0 {
		a.Memory = 1024
	}
	if a.DesiredCount == 0 {
		a.DesiredCount = 1
	}
	if a.Strategy.IsZero() {
		a.Strategy = OnDemandOnly
	}
	if a.WorkerRoleStrategy.IsZero() {
		a.WorkerRoleStrategy = SpotOnly
	}
}

// mibPerHistoryShard is what each shard a history host owns costs it in
// memory (its mutable-state cache, task queues and their goroutines), a
// sizing rule of ours: Temporal's own development default is 4 shards, its
// production guidance 512 across several history hosts.
const mibPerHistoryShard = 2

// shardsPerHistoryTask is how many shards each history task owns.
func (a TemporalArgs) shardsPerHistoryTask() int {
	return (a.NumHistoryShards + a.DesiredCount - 1) / a.DesiredCount
}

// historyMemoryMiB is the memory the history service has in its task.
func (a TemporalArgs) historyMemoryMiB() int {
	if a.Mode == TemporalCombined {
		return a.Memory / 2
	}
	return a.Memory
}

// TemporalImage is one of Temporal's images in the account's registry.
type TemporalImage struct {
	// Ref is "<repository url>:<tag>".
	Ref string
	// RepositoryArn is its repository, which the execution role pulls from.
	RepositoryArn pulumi.StringInput
	// Digest is the tag's digest in the registry (the preflight's), nil
	// when unknown.
	Digest pulumi.StringInput
}

// TemporalImages are Temporal's three images and the metrics collector's.
type TemporalImages struct{ Server, AdminTools, UI, Collector TemporalImage }

// Validate reports every invalid field at once.
func (a TemporalArgs) Validate() error {
	a.setDefaults()
	var errs []error
	if !dbIdentifierPattern.MatchString(a.Prefix) {
		errs = append(errs, fieldErr("prefix", a.Prefix, "[a-z0-9-]"))
	}
	if a.Mode != TemporalSplit && a.Mode != TemporalCombined {
		errs = append(errs, fieldErr("mode", string(a.Mode), "%q or %q", TemporalSplit, TemporalCombined))
	}
	if n := a.NumHistoryShards; n < 1 || n > 16384 || n&(n-1) != 0 {
		errs = append(errs, fieldErr("numHistoryShards", n, "a power of two in 1..16384 (permanent after the first start)"))
	}
	if owned, budget := a.shardsPerHistoryTask(), a.historyMemoryMiB()/mibPerHistoryShard; owned > budget && a.NumHistoryShards&(a.NumHistoryShards-1) == 0 {
		errs = append(errs, fmt.Errorf("numHistoryShards: got %d with memory %d MiB (%s mode, desiredCount %d), want at most %d shards per history task "+
			"(%d MiB each; in combined mode half the task's memory is left to frontend, matching and worker): "+
			"lower numHistoryShards before the first start, or raise memory or desiredCount",
			a.NumHistoryShards, a.Memory, a.Mode, a.DesiredCount, budget, mibPerHistoryShard))
	}
	for f, v := range InOrder(map[string]string{"version": a.Version, "uiVersion": a.UIVersion}) {
		if !imageTagRegexp.MatchString(v) {
			errs = append(errs, fieldErr(f, v, "a release such as %s", DefaultTemporalVersion))
		}
	}
	if a.MaxConnsPerStore < 1 || a.MaxConnsPerStore > 100 {
		errs = append(errs, fieldErr("maxConnsPerStore", a.MaxConnsPerStore, "1..100 connections per database"))
	}
	if _, ok := AdminToolsTags[a.Version]; !ok && imageTagRegexp.MatchString(a.Version) {
		errs = append(errs, fieldErr("version", a.Version, "a version with a pinned admin-tools tag (%v); add it to AdminToolsTags", sortedKeys(AdminToolsTags)))
	}
	if ok, known := fargateMemory[a.CPU]; !known || !ok(a.Memory) {
		errs = append(errs, fieldErr("memory", fmt.Sprintf("%d/%d", a.CPU, a.Memory), "a Fargate cpu/memory pair"))
	}
	if a.DesiredCount < 1 || a.DesiredCount > 20 {
		errs = append(errs, fieldErr("desiredCount", a.DesiredCount, "1..20"))
	}
	errs = append(errs, a.Strategy.Validate("strategy"), a.WorkerRoleStrategy.Validate("workerRoleStrategy"))
	if !accountIDPattern.MatchString(a.AccountID) {
		errs = append(errs, fieldErr("accountId", a.AccountID, "a 12-digit AWS account ID"))
	}
	errs = append(errs, validateStackTags("tags", a.Tags))
	return errors.Join(errs...)
}

// Temporal is the private Temporal cluster.
type Temporal struct {
	pulumi.ResourceState

	// SecurityGroupID is the servers' group.
	SecurityGroupID pulumi.StringOutput
	// Services by role ("frontend", ..., "combined", "ui").
	Services map[string]*Service
	// FrontendAddress is what clients dial (through Service Connect).
	FrontendAddress string

	desired int
}

// DesiredCount is the task count of a role's service (the UI runs one).
func (t *Temporal) DesiredCount(role string) int {
	if role == "ui" {
		return 1
	}
	return t.desired
}

// NewTemporal runs temporalio/server on Fargate, private only: frontend,
// history, matching and worker (or one combined task), the UI reachable only
// from UI clients (the bastion), persistence and visibility on the
// platform's PostgreSQL over TLS, clients at frontend:7233 through Service
// Connect with an idle timeout longer than Temporal's long polls, and a
// self-referencing security group for the gRPC and ringpop ports.
func NewTemporal(ctx *pulumi.Context, name string, args TemporalArgs, opts ...pulumi.ResourceOption) (*Temporal, error) {
	args.setDefaults()
	err := args.Validate()
	for f, missing := range InOrder(map[string]bool{"databaseHost": args.DatabaseHost == nil, "databasePasswordSecretArn": args.DatabasePasswordSecretArn == nil,
		"databaseSecurityGroupId": args.DatabaseSecurityGroupID == nil, "vpcId": args.VpcID == nil, "subnetIds": args.SubnetIDs == nil,
		"clusterArn": args.ClusterArn == nil, "namespaceArn": args.NamespaceArn == nil, "logsKmsKeyArn": args.LogsKMSKeyArn == nil,
		"images.server":     args.Images.Server.Ref == "" || args.Images.Server.RepositoryArn == nil,
		"images.adminTools": args.Images.AdminTools.Ref == "" || args.Images.AdminTools.RepositoryArn == nil,
		"images.ui":         args.Images.UI.Ref == "" || args.Images.UI.RepositoryArn == nil,
		"images.collector":  !args.NoMetrics && (args.Images.Collector.Ref == "" || args.Images.Collector.RepositoryArn == nil)}) {
		if missing {
			err = errors.Join(err, fieldErr(f, "", "a value from another component"))
		}
	}
	if err != nil {
		return nil, err
	}
	t := &Temporal{Services: map[string]*Service{}, FrontendAddress: TemporalFrontendAddress, desired: args.DesiredCount}
	if err := ctx.RegisterComponentResource(TypeTemporal, name, t, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(t)
	tags := func(child string) pulumi.StringMap { return MergeTags(args.Tags, child, Tags{TagComponent: name}) }

	sgName := childName(name, "sg")
	sg, err := newSecurityGroup(ctx, sgName, args.VpcID, "Temporal servers: gRPC and ringpop among themselves, frontend from clients", tags(sgName), parent)
	if err != nil {
		return nil, err
	}
	t.SecurityGroupID = sg.ID().ToStringOutput()
	rules := []sgRule{
		tcp(TemporalFrontendPort, temporalGRPCLast).withPeer(sg.ID()).because("Temporal gRPC among servers"),
		tcp(temporalMembershipFirst, temporalMembershipLast).withPeer(sg.ID()).because("ringpop membership among servers (task IPs)"),
		tcp(TemporalFrontendPort, temporalGRPCLast).out().withPeer(sg.ID()).because("Temporal gRPC among servers"),
		tcp(temporalMembershipFirst, temporalMembershipLast).out().withPeer(sg.ID()).because("ringpop membership among servers"),
		tcp(DefaultDatabasePort, DefaultDatabasePort).out().withPeer(args.DatabaseSecurityGroupID).because("persistence and visibility databases"),
		tcp(HTTPSPort, HTTPSPort).out().fromCIDR(anywhere).because("images and AWS APIs via NAT and endpoints"),
	}
	for _, c := range args.ClientSecurityGroupIDs {
		rules = append(rules, tcp(TemporalFrontendPort, TemporalFrontendPort).withPeer(c).because("Temporal clients to the frontend"))
	}
	if err := addRules(ctx, name, sg.ID(), rules, tags, parent); err != nil {
		return nil, err
	}
	// The other side of each pairing: the database admits Temporal, clients may dial the frontend.
	if err := addRules(ctx, name+"-db", args.DatabaseSecurityGroupID, []sgRule{
		tcp(DefaultDatabasePort, DefaultDatabasePort).withPeer(sg.ID()).because("Temporal persistence"),
	}, tags, parent); err != nil {
		return nil, err
	}
	for i, c := range args.ClientSecurityGroupIDs {
		if err := addRules(ctx, fmt.Sprintf("%s-client-%d", name, i), c, []sgRule{
			tcp(TemporalFrontendPort, TemporalFrontendPort).out().withPeer(sg.ID()).because("to the Temporal frontend"),
		}, tags, parent); err != nil {
			return nil, err
		}
	}

	// A server rolls on a new server or admin-tools digest and on a new
	// password version; a configuration change is a new task definition.
	serverRedeploy := redeployOn(map[string]pulumi.StringInput{"image:" + TemporalServerRepository: args.Images.Server.Digest,
		"image:" + TemporalAdminToolsRepository: args.Images.AdminTools.Digest, "secret:password": nonEmpty(args.PasswordVersion)})
	server := func(role, services string, port int, alias string, after []pulumi.Resource) error {
		strategy := args.Strategy
		if role == "worker" {
			strategy = args.WorkerRoleStrategy
		}
		frontend := alias != ""
		serviceName := fmt.Sprintf("%s-temporal-%s", args.Prefix, role)
		sidecars := frontendSidecars(frontend, args.Images.AdminTools.Ref)
		var taskPolicy pulumi.StringInput
		env := serverEnvironment(args, services)
		if !args.NoMetrics && collects(role) {
			logGroup := "/ecs/" + serviceName
			sidecars = append(sidecars, collectorSidecar(role, args.Images.Collector.Ref, logGroup, args.Region))
			taskPolicy = pulumi.String(CollectorPolicy(args.Region, args.AccountID, logGroup))
			// Prometheus on the task's loopback, timers as summaries
			// (EMF carries them as statistic sets).
			env["PROMETHEUS_ENDPOINT"], env["PROMETHEUS_TIMER_TYPE"] = temporalMetricsAddress, "summary"
		}
		svc, err := NewService(ctx, childName(name, role), ServiceArgs{
			After:                 after,
			ServiceName:           serviceName,
			Image:                 pulumi.String(args.Images.Server.Ref),
			RepositoryArn:         args.Images.Server.RepositoryArn,
			SidecarRepositoryArns: sidecarRepositories(args),
			TaskPolicy:            taskPolicy,
			Redeploy:              serverRedeploy,
			// The entry point renders the configuration here (images/README.md).
			WritablePaths: []string{temporalConfigPath},
			// Ringpop advertises the task's own IP; awsvpc gives each task one.
			EntryPoint: []string{"sh", "-c", "export TEMPORAL_BROADCAST_ADDRESS=$(hostname -i) && exec /etc/temporal/entrypoint.sh"},
			ClusterArn: args.ClusterArn,
			CPU:        args.CPU, Memory: args.Memory,
			DesiredCount:              args.DesiredCount,
			IgnoreDesiredCount:        args.IgnoreDesiredCount,
			ContainerPort:             port,
			Environment:               env,
			DynamicEnvironment:        map[string]pulumi.StringInput{"POSTGRES_SEEDS": args.DatabaseHost},
			Secrets:                   map[string]pulumi.StringInput{"POSTGRES_PWD": args.DatabasePasswordSecretArn},
			Strategy:                  strategy,
			SubnetIDs:                 args.SubnetIDs,
			SecurityGroupIDs:          pulumi.StringArray{sg.ID()},
			ServiceConnectNamespace:   args.NamespaceArn,
			ServiceConnectAlias:       alias,
			ServiceConnectIdleSeconds: idleIf(alias != ""),
			LogsKMSKeyArn:             args.LogsKMSKeyArn,
			AccountID:                 args.AccountID, Region: args.Region,
			Sidecars: sidecars,
			Tags:     args.Tags,
		}, parent)
		if err != nil {
			return err
		}
		t.Services[role] = svc
		return nil
	}
	if args.Mode == TemporalCombined {
		if err := server("combined", "frontend:history:matching:worker", TemporalFrontendPort, "frontend", args.After); err != nil {
			return nil, err
		}
	} else {
		// The frontend first: its tasks apply the schema and register the
		// namespaces, and it is steady only once they have; the other
		// roles start after it, on a current schema.
		for _, s := range temporalServices {
			alias, after := "frontend", args.After
			if s.role != "frontend" {
				alias, after = "", append(append([]pulumi.Resource{}, args.After...), t.frontendService())
			}
			if err := server(s.role, s.role, s.port, alias, after); err != nil {
				return nil, err
			}
		}
	}

	if err := t.ui(ctx, name, args, sg, tags); err != nil {
		return nil, err
	}
	if err := ctx.RegisterResourceOutputs(t, pulumi.Map{
		"securityGroupId": t.SecurityGroupID, "frontendAddress": pulumi.String(t.FrontendAddress),
	}); err != nil {
		return nil, err
	}
	return t, nil
}

// serverEnvironment is a server task's configuration (the server image's
// template variables).
func serverEnvironment(args TemporalArgs, services string) map[string]string {
	return map[string]string{
		"SERVICES":          services,
		"DB":                "postgres12",
		"DB_PORT":           fmt.Sprint(DefaultDatabasePort),
		"POSTGRES_USER":     TemporalDatabaseUser,
		"DBNAME":            TemporalDatabase,
		"VISIBILITY_DBNAME": TemporalVisibilityDatabase,
		// TLS with the RDS CA and host verification: the
		// server's certificate names the endpoint dialled.
		"SQL_TLS_ENABLED":       "true",
		"SQL_HOST_VERIFICATION": "true",
		"SQL_CA":                RDSCABundlePath,
		"NUM_HISTORY_SHARDS":    fmt.Sprint(args.NumHistoryShards),
		// Both stores' pools are bounded (the visibility store's
		// own default is 10, SQL_VIS_MAX_CONNS; Temporal's
		// config_template_embedded.yaml), which DatabaseConnections counts.
		"SQL_MAX_CONNS":          fmt.Sprint(args.MaxConnsPerStore),
		"SQL_MAX_IDLE_CONNS":     fmt.Sprint(args.MaxConnsPerStore),
		"SQL_VIS_MAX_CONNS":      fmt.Sprint(args.MaxConnsPerStore),
		"SQL_VIS_MAX_IDLE_CONNS": fmt.Sprint(args.MaxConnsPerStore),
		"BIND_ON_IP":             "0.0.0.0",
	}
}

// sidecarRepositories are the sidecars' images' repositories.
func sidecarRepositories(args TemporalArgs) []pulumi.StringInput {
	out := []pulumi.StringInput{args.Images.AdminTools.RepositoryArn}
	if !args.NoMetrics {
		out = append(out, args.Images.Collector.RepositoryArn)
	}
	return out
}

// collects tells whether a role's tasks (or the combined task) emit one of
// the TemporalSignals, and so carry a collector.
func collects(role string) bool { return role == "combined" || signalRoles()[role] }

// frontendService is the frontend's ECS service, once created.
func (t *Temporal) frontendService() pulumi.Resource { return t.Frontend().Service }

// temporalConfigPath is where the server's entry point renders its configuration.
const temporalConfigPath = "/etc/temporal/config"

// temporalUIConfigPath is where the UI's start script renders its configuration.
const temporalUIConfigPath = "/home/ui-server/config"

// redeployOn keeps the facts that are set (a digest, a version) as triggers.
func redeployOn(facts map[string]pulumi.StringInput) map[string]pulumi.StringInput {
	out := map[string]pulumi.StringInput{}
	for k, v := range facts {
		if v != nil {
			out[k] = v
		}
	}
	return out
}

// nonEmpty is s as an input, or nil when empty.
func nonEmpty(s string) pulumi.StringInput {
	if s == "" {
		return nil
	}
	return pulumi.String(s)
}

func idleIf(on bool) int {
	if on {
		return temporalIdleSeconds
	}
	return 0
}

// ui runs the Temporal Web UI, reachable only from UI clients (the bastion):
// it has no authentication of its own and shows payloads.
func (t *Temporal) ui(ctx *pulumi.Context, name string, args TemporalArgs, server interface{ ID() pulumi.IDOutput }, tags func(string) pulumi.StringMap) error {
	parent := pulumi.Parent(t)
	sgName := childName(name, "ui-sg")
	sg, err := newSecurityGroup(ctx, sgName, args.VpcID, "Temporal UI: only from the bastion; no authentication of its own", tags(sgName), parent)
	if err != nil {
		return err
	}
	rules := []sgRule{
		tcp(TemporalFrontendPort, TemporalFrontendPort).out().withPeer(server.ID()).because("to the Temporal frontend"),
		tcp(HTTPSPort, HTTPSPort).out().fromCIDR(anywhere).because("images and AWS APIs via NAT and endpoints"),
	}
	for _, c := range args.UIClientSecurityGroupIDs {
		rules = append(rules, tcp(temporalUIPort, temporalUIPort).withPeer(c).because("UI through the bastion"))
	}
	if err := addRules(ctx, name+"-ui", sg.ID(), rules, tags, parent); err != nil {
		return err
	}
	// The other side of each UI pairing: the client may send to the UI.
	for i, c := range args.UIClientSecurityGroupIDs {
		if err := addRules(ctx, fmt.Sprintf("%s-ui-client-%d", name, i), c, []sgRule{
			tcp(temporalUIPort, temporalUIPort).out().withPeer(sg.ID()).because("to the Temporal UI"),
		}, tags, parent); err != nil {
			return err
		}
	}
	if err := addRules(ctx, name+"-from-ui", server.ID().ToStringOutput(), []sgRule{
		tcp(TemporalFrontendPort, TemporalFrontendPort).withPeer(sg.ID()).because("UI to the frontend"),
	}, tags, parent); err != nil {
		return err
	}
	svc, err := NewService(ctx, childName(name, "ui"), ServiceArgs{
		After:              []pulumi.Resource{t.Frontend().Service},
		ServiceName:        args.Prefix + "-temporal-ui",
		Image:              pulumi.String(args.Images.UI.Ref),
		RepositoryArn:      args.Images.UI.RepositoryArn,
		Redeploy:           redeployOn(map[string]pulumi.StringInput{"image:" + TemporalUIRepository: args.Images.UI.Digest}),
		WritablePaths:      []string{temporalUIConfigPath},
		ClusterArn:         args.ClusterArn,
		DesiredCount:       1,
		IgnoreDesiredCount: args.IgnoreDesiredCount,
		ContainerPort:      temporalUIPort,
		// It opens on the applications' namespace (its own default,
		// "default", is never registered here).
		Environment: map[string]string{"TEMPORAL_ADDRESS": t.FrontendAddress, "TEMPORAL_UI_PORT": fmt.Sprint(temporalUIPort),
			"TEMPORAL_DEFAULT_NAMESPACE": AppTemporalNamespace},
		Strategy:                SpotOnly, // an operator tool; an interruption costs nothing
		SubnetIDs:               args.SubnetIDs,
		SecurityGroupIDs:        pulumi.StringArray{sg.ID()},
		ServiceConnectNamespace: args.NamespaceArn,
		LogsKMSKeyArn:           args.LogsKMSKeyArn,
		AccountID:               args.AccountID, Region: args.Region,
		Tags: args.Tags,
	}, parent)
	if err != nil {
		return err
	}
	t.Services["ui"] = svc
	return nil
}

// schemaAttempts and schemaBackoffSeconds bound the schema step's retries:
// two frontend tasks starting together may race on one migration, and the
// loser's next attempt finds the schema current.
const (
	schemaAttempts       = 5
	schemaBackoffSeconds = 15
)

// SchemaScript sets up or upgrades both schemas with temporal-sql-tool,
// over TLS verified against the RDS CA bundle with host verification. It
// is idempotent: setup-schema -v 0.0 skips a database whose version is
// already higher, and update-schema applies only the newer versions. It
// retries the whole step, and reads the servers' own variables
// (POSTGRES_SEEDS, POSTGRES_PWD).
func SchemaScript() string {
	tool := `temporal-sql-tool --plugin postgres12 --ep "$POSTGRES_SEEDS" -p 5432 -u ` + TemporalDatabaseUser +
		` --pw "$POSTGRES_PWD" --tls --tls-ca-file ` + RDSCABundlePath
	step := func(db, dir string) string {
		return fmt.Sprintf(`%[1]s --db %[2]s setup-schema -v 0.0 && %[1]s --db %[2]s update-schema -d /etc/temporal/schema/postgresql/v12/%[3]s/versioned`, tool, db, dir)
	}
	return fmt.Sprintf("for i in $(seq 1 %d); do (set -e; %s && %s) && exit 0; echo \"schema attempt $i failed\" >&2; sleep $((i * %d)); done; exit 1",
		schemaAttempts, step(TemporalDatabase, "temporal"), step(TemporalVisibilityDatabase, "visibility"), schemaBackoffSeconds)
}

// schemaInit applies the schemas before the frontend starts (an init
// container the frontend waits for): the first deploy into an empty database
// and every upgrade need nothing run by hand. Only frontend tasks run it,
// and the other roles start once the frontend is steady (NewTemporal).
func schemaInit(adminTools string) Sidecar {
	return Sidecar{
		Name: "schema", Image: adminTools, Init: true,
		// The image's entry point is "tini -- sleep infinity".
		EntryPoint: []string{"/bin/sh", "-c"}, Command: []string{SchemaScript()},
	}
}

// Frontend is the service that publishes frontend:7233 through Service
// Connect (the combined one in combined mode); clients started before it
// exists cannot resolve it.
func (t *Temporal) Frontend() *Service {
	if s, ok := t.Services["frontend"]; ok {
		return s
	}
	return t.Services["combined"]
}

// localFrontend is the frontend as its own task's sidecars reach it.
var localFrontend = fmt.Sprintf("127.0.0.1:%d", TemporalFrontendPort)

// NamespaceScript registers each namespace until `describe` finds it (the
// frontend on localhost: the sidecar shares the task's network; a create
// that fails, because the frontend is not serving yet or another task won,
// is retried), then stays up so that its health check keeps answering.
// Idempotent: every frontend task runs it.
func NamespaceScript() string {
	var steps []string
	for _, ns := range sortedKeys(TemporalNamespaces) {
		steps = append(steps, fmt.Sprintf(`until temporal operator namespace describe --namespace %[1]s >/dev/null 2>&1; do `+
			`temporal operator namespace create --namespace %[1]s --retention %[2]s >/dev/null 2>&1 || sleep 5; done`, ns, TemporalNamespaces[ns]))
	}
	return "export TEMPORAL_ADDRESS=" + localFrontend + "; " + strings.Join(steps, "; ") + "; exec sleep infinity"
}

// NamespaceHealthCheck passes once every namespace exists: the frontend's
// task is healthy only then, so the frontend's service reaches its steady
// state, and its clients start, only then.
func NamespaceHealthCheck() []string {
	var checks []string
	for _, ns := range sortedKeys(TemporalNamespaces) {
		checks = append(checks, fmt.Sprintf("temporal operator namespace describe --address %s --namespace %s >/dev/null", localFrontend, ns))
	}
	return []string{strings.Join(checks, " && ")}
}

// namespaceSidecar registers the namespaces from inside a frontend task;
// essential, with the health check that gates the frontend's steady state.
func namespaceSidecar(adminTools string) Sidecar {
	return Sidecar{Name: "namespace-init", Image: adminTools, Essential: true, HealthCheck: NamespaceHealthCheck(),
		EntryPoint: []string{"/bin/sh", "-c"}, Command: []string{NamespaceScript()}}
}

// frontendSidecars: a task that serves the frontend applies the schema
// first and registers the namespaces.
func frontendSidecars(frontend bool, adminTools string) []Sidecar {
	if !frontend {
		return nil
	}
	return []Sidecar{schemaInit(adminTools), namespaceSidecar(adminTools)}
}

// DatabaseConnections is the most connections Temporal opens: every server
// task holds a pool to each of the two stores (persistence and visibility,
// both bounded by MaxConnsPerStore), a rolling deployment runs up to
// DeploymentMaximumPercent of the tasks at once (old and new), and each
// frontend task's schema step holds one connection while it runs.
func (a TemporalArgs) DatabaseConnections() int {
	a.setDefaults()
	tasks, frontends := len(temporalServices)*a.DesiredCount, a.DesiredCount
	if a.Mode == TemporalCombined {
		tasks = a.DesiredCount
	}
	overlap := DeploymentMaximumPercent / 100
	return overlap * (tasks*2*a.MaxConnsPerStore + frontends)
}
