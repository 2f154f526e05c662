// Package platform composes DocuStack's components into one Pulumi program.
// Program is the entry point for `pulumi up`, the tests and the offline CLI.
package platform

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/docustack/infrastructure/components"
)

// Namespace is the project's configuration namespace (the Pulumi project name).
const Namespace = "docustack"

// AllowedRegion is the only region DocuStack runs in (seed SCP: Region Restriction).
const AllowedRegion = "us-east-1"

// AppDatabase is the application's database and role (created by DB-init).
const AppDatabase = "docustack"

// Secure defaults applied when a stack file leaves a key out.
const (
	// DefaultDRRegion holds replicas and backup copies (seed: region failure).
	DefaultDRRegion = "us-west-2"
	// ProdBackupRetentionDays is the seed's prod RDS retention.
	ProdBackupRetentionDays = 35
	// The web app's task size (Fargate CPU units, MiB).
	DefaultWebCPU             = 512
	DefaultWebMemory          = 1024
	DefaultDataClassification = "PHI"
	ProjectTag                = "DocuStack"
	ManagedByTag              = "pulumi"
)

// Environment is a stack's role.
type Environment string

// Environments: three workload accounts and the management account.
const (
	Dev     Environment = "dev"
	Staging Environment = "staging"
	Prod    Environment = "prod"
	Org     Environment = "org"
)

// Environments lists every environment.
var Environments = []Environment{Dev, Staging, Prod, Org}

// Valid reports whether e is one of Environments.
func (e Environment) Valid() bool {
	for _, v := range Environments {
		if e == v {
			return true
		}
	}
	return false
}

// IsWorkload reports whether the stack runs the platform (not the org stack).
func (e Environment) IsWorkload() bool { return e != Org }

// Configuration keys, without the namespace. Pulumi.yaml declares exactly
// these (a test keeps them in step).
const (
	KeyEnvironment           = "environment"
	KeyAccountID             = "accountId"
	KeyOwner                 = "owner"
	KeyCostCenter            = "costCenter"
	KeyDataClassification    = "dataClassification"
	KeyProtectStateful       = "protectStatefulResources"
	KeyDeletionProtection    = "deletionProtection"
	KeyKMSDeletionWindowDays = "kmsDeletionWindowDays"
	KeyNetwork               = "network"
	KeyLogArchive            = "logArchive"
	KeyDRRegion              = "drRegion"
	KeyDatabase              = "database"
	KeyECS                   = "ecs"
	KeyIngress               = "ingress"
	KeyWeb                   = "web"
	KeyTemporal              = "temporal"
	KeyWorkers               = "workers"
	KeySlackBot              = "slackBot"
	KeyDBInit                = "dbInit"
	KeyScheduler             = "scheduler"
	KeyBastion               = "bastion"
	KeyGitHub                = "github"
	KeyCompliance            = "compliance"
	KeyOrg                   = "org"
	KeyCost                  = "cost"
	KeyAlarms                = "alarms"
	// KeyRegion is the aws provider's region, outside our namespace.
	KeyRegion = "aws:region"
)

// ConfigKeys lists every key of the docustack namespace.
var ConfigKeys = []string{
	KeyEnvironment, KeyAccountID, KeyOwner, KeyCostCenter, KeyDataClassification,
	KeyProtectStateful, KeyDeletionProtection, KeyKMSDeletionWindowDays, KeyNetwork, KeyLogArchive,
	KeyDRRegion, KeyDatabase, KeyECS, KeyIngress, KeyWeb,
	KeyTemporal, KeyWorkers, KeySlackBot, KeyDBInit, KeyScheduler, KeyBastion, KeyGitHub,
	KeyCompliance, KeyOrg, KeyCost, KeyAlarms,
}

// workloadObjects are the object keys only workload stacks carry.
var workloadObjects = []string{KeyNetwork, KeyDatabase, KeyECS, KeyIngress, KeyWeb,
	KeyTemporal, KeyWorkers, KeySlackBot, KeyDBInit, KeyScheduler, KeyBastion, KeyAlarms}

// orgObjects are the object keys only the org stack carries.
var orgObjects = []string{KeyOrg}

// NetworkConfig is the `docustack:network` object.
type NetworkConfig struct {
	VpcCidr           string   `json:"vpcCidr"`
	AvailabilityZones []string `json:"availabilityZones"`
	PublicSubnets     []string `json:"publicSubnets"`
	PrivateSubnets    []string `json:"privateSubnets"`
	DatabaseSubnets   []string `json:"databaseSubnets"`
	NATStrategy       string   `json:"natStrategy"`
	EndpointAZCount   int      `json:"endpointAzCount"`
	// SessionManagerEndpoints keeps the ssmmessages endpoint. Default: true. Off only where a NAT gateway carries the
	// bastion's sessions (they are used only while the bastion runs).
	SessionManagerEndpoints *bool `json:"sessionManagerEndpoints"`
}

// LogArchiveConfig is the `docustack:logArchive` object. With BucketName,
// AccessLogsBucketName and KMSKeyArn (the org stack's outputs) a workload
// stack delivers to the organization's Log Archive account; without them it
// creates an account-local archive.
type LogArchiveConfig struct {
	// Standalone keeps a private archive in this account instead of the
	// organization's Log Archive (an account outside the organization).
	Standalone bool `json:"standalone"`
	// AccountID is the Log Archive account (the org stack's org.logArchiveAccountId).
	AccountID            string `json:"accountId"`
	ObjectLockMode       string `json:"objectLockMode"`
	ObjectLockDays       int    `json:"objectLockDays"`
	FlowLogRetentionDays int    `json:"flowLogRetentionDays"`
	BucketName           string `json:"bucketName"`
	AccessLogsBucketName string `json:"accessLogsBucketName"`
	ConfigBucketName     string `json:"configBucketName"`
	WAFLogsBucketName    string `json:"wafLogsBucketName"`
	KMSKeyArn            string `json:"kmsKeyArn"`
}

// ComplianceConfig is the `docustack:compliance` object.
type ComplianceConfig struct {
	AdoptConfigRecorder bool `json:"adoptConfigRecorder"`
	AdoptGuardDuty      bool `json:"adoptGuardDuty"`
	AdoptSecurityHub    bool `json:"adoptSecurityHub"`
	// AdoptAutoScalingRole: the account already has AWSServiceRoleForAutoScaling.
	AdoptAutoScalingRole bool     `json:"adoptAutoScalingRole"`
	RecordingFrequency   string   `json:"recordingFrequency"`
	AlertEmails          []string `json:"alertEmails"`
	// SecurityContact is the account's security alternate contact; required
	// in a workload stack, whose Security Hub judges it (Account.1).
	SecurityContact *components.SecurityContact `json:"securityContact"`
}

// OrgConfig is the `docustack:org` object of the org stack.
type OrgConfig struct {
	// OrganizationID (o-...) is what aws:PrincipalOrgID and aws:SourceOrgID
	// carry for the organization's principals. Required.
	OrganizationID      string   `json:"organizationId"`
	RootID              string   `json:"rootId"`
	WorkloadsOUID       string   `json:"workloadsOuId"`
	LogArchiveAccountID string   `json:"logArchiveAccountId"`
	LogArchiveRoleName  string   `json:"logArchiveRoleName"`
	MemberAccountIDs    []string `json:"memberAccountIds"`
}

// DatabaseConfig is the `docustack:database` object.
type DatabaseConfig struct {
	Engine                string `json:"engine"`
	EngineVersion         string `json:"engineVersion"`
	InstanceClass         string `json:"instanceClass"`
	AllocatedStorageGB    int    `json:"allocatedStorageGb"`
	MaxAllocatedStorageGB int    `json:"maxAllocatedStorageGb"`
	Instances             int    `json:"instances"`
	MultiAZ               bool   `json:"multiAz"`
	BackupRetentionDays   int    `json:"backupRetentionDays"`
}

// ECSConfig is the `docustack:ecs` object.
type ECSConfig struct {
	DefaultStrategy   components.CapacityStrategy `json:"defaultStrategy"`
	ContainerInsights string                      `json:"containerInsights"`
}

// IngressConfig is the `docustack:ingress` object.
type IngressConfig struct {
	CertificateArn string   `json:"certificateArn"`
	DomainName     string   `json:"domainName"`
	HostedZoneID   string   `json:"hostedZoneId"`
	AllowedCIDRs   []string `json:"allowedCidrs"`
	// ManagedRuleGroups (nil: all of components.ManagedRuleGroups).
	ManagedRuleGroups []string `json:"managedRuleGroups"`
}

// WebConfig is the `docustack:web` object (the Next.js app).
type WebConfig struct {
	ImageTag        string                      `json:"imageTag"`
	CPU             int                         `json:"cpu"`
	Memory          int                         `json:"memory"`
	CPUArchitecture string                      `json:"cpuArchitecture"`
	DesiredCount    *int                        `json:"desiredCount"`
	Strategy        components.CapacityStrategy `json:"strategy"`
	// Secrets are environment variables whose values live in Secrets
	// Manager; the program creates each secret empty.
	Secrets []string `json:"secrets"`
	// TLSProxyImageTag is the tls-proxy image (cmd/tlsproxy) in front of
	// the app. Default: DefaultTLSProxyImageTag.
	TLSProxyImageTag string `json:"tlsProxyImageTag"`
}

// TemporalConfig is the `docustack:temporal` object.
type TemporalConfig struct {
	Mode             string `json:"mode"`
	NumHistoryShards int    `json:"numHistoryShards"`
	Version          string `json:"version"`
	UIVersion        string `json:"uiVersion"`
	CPU              int    `json:"cpu"`
	Memory           int    `json:"memory"`
	DesiredCount     int    `json:"desiredCount"`
	// Strategy of the server tasks. Default: on-demand only.
	Strategy components.CapacityStrategy `json:"strategy"`
	// MaxConnsPerStore caps each server's pool per database. Default: 5.
	MaxConnsPerStore int `json:"maxConnsPerStore"`
	// CollectorVersion is the ADOT collector release that carries Temporal's
	// metrics to CloudWatch. Default: components.DefaultCollectorVersion.
	CollectorVersion string `json:"collectorVersion"`
	// Metrics carries Temporal's signals to CloudWatch, with their alarms.
	// Default: true.
	Metrics *bool `json:"metrics"`
}

// metricsOn tells whether Temporal's metrics are on (the default).
func (t TemporalConfig) metricsOn() bool { return t.Metrics == nil || *t.Metrics }

// AppConfig is an ECS application's object (`docustack:workers`, `docustack:slackBot`).
type AppConfig struct {
	ImageTag        string                      `json:"imageTag"`
	CPU             int                         `json:"cpu"`
	Memory          int                         `json:"memory"`
	CPUArchitecture string                      `json:"cpuArchitecture"`
	DesiredCount    *int                        `json:"desiredCount"`
	MinCount        int                         `json:"minCount"`
	MaxCount        int                         `json:"maxCount"`
	Strategy        components.CapacityStrategy `json:"strategy"`
}

// DBInitConfig is the `docustack:dbInit` object.
type DBInitConfig struct {
	ImageTag string `json:"imageTag"`
}

// SchedulerConfig is the `docustack:scheduler` object.
type SchedulerConfig struct {
	Enabled  bool   `json:"enabled"`
	Timezone string `json:"timezone"`
	StopAt   string `json:"stopAt"`
	StartAt  string `json:"startAt"`
	Days     string `json:"days"`
}

// BastionConfig is the `docustack:bastion` object.
type BastionConfig struct {
	InstanceType string `json:"instanceType"`
}

// GitHubConfig is the `docustack:github` object.
type GitHubConfig struct {
	Org             string `json:"org"`
	Repo            string `json:"repo"`
	OIDCProviderArn string `json:"oidcProviderArn"`
}

// Config is a stack's typed, validated configuration.
type Config struct {
	Stack                    string
	Region                   string
	Environment              Environment
	AccountID                string
	Owner                    string
	CostCenter               string
	DataClassification       string
	ProtectStatefulResources bool
	DeletionProtection       bool
	KMSDeletionWindowDays    int
	// Network is nil in the org stack, which runs no VPC.
	Network    *NetworkConfig
	LogArchive LogArchiveConfig
	// DRRegion holds replicas and backup copies only.
	DRRegion string
	// Layer 2-5 settings of workload stacks.
	Database  DatabaseConfig
	ECS       ECSConfig
	Ingress   IngressConfig
	Web       WebConfig
	Temporal  TemporalConfig
	Workers   AppConfig
	SlackBot  AppConfig
	DBInit    DBInitConfig
	Scheduler SchedulerConfig
	Bastion   BastionConfig
	// Alarms are the operational alarms' thresholds.
	Alarms components.AlarmThresholds
	// GitHub is CI access; every stack has it.
	GitHub GitHubConfig
	// Compliance is AWS Config, detection and alerting (every stack).
	Compliance ComplianceConfig
	// Org is the organization's layout (org stack only).
	Org OrgConfig
	// Cost holds the usage assumptions of `docustack cost` (no resources).
	Cost CostAssumptions

	// present records which object keys the stack file set.
	present map[string]bool
}

// configSource is what LoadConfig reads; *pulumi.Context satisfies it.
type configSource interface {
	GetConfig(key string) (string, bool)
	Stack() string
}

// ParseConfig reads and validates a stack's configuration from the flat map a
// stack file becomes (synth.LoadStackConfig), as LoadConfig does for a program.
func ParseConfig(stack string, values map[string]string) (*Config, error) {
	return loadConfig(mapSource{stack: stack, values: values})
}

type mapSource struct {
	stack  string
	values map[string]string
}

func (m mapSource) GetConfig(key string) (string, bool) { v, ok := m.values[key]; return v, ok }
func (m mapSource) Stack() string                       { return m.stack }

// LoadConfig reads and validates the stack configuration once. It returns
// every problem at once, each naming the key, the value and what is allowed,
// before any resource is registered.
func LoadConfig(ctx *pulumi.Context) (*Config, error) { return loadConfig(ctx) }

func loadConfig(src configSource) (*Config, error) {
	r := &reader{src: src}
	c := &Config{
		Stack:                    src.Stack(),
		Region:                   r.raw(KeyRegion),
		Environment:              Environment(r.str(KeyEnvironment)),
		AccountID:                r.str(KeyAccountID),
		Owner:                    r.str(KeyOwner),
		CostCenter:               r.str(KeyCostCenter),
		DataClassification:       r.str(KeyDataClassification),
		ProtectStatefulResources: r.boolean(KeyProtectStateful),
		DeletionProtection:       r.boolean(KeyDeletionProtection),
		KMSDeletionWindowDays:    r.integer(KeyKMSDeletionWindowDays),
	}
	if r.has(KeyNetwork) {
		c.Network = &NetworkConfig{}
		r.object(KeyNetwork, c.Network)
	}
	r.object(KeyLogArchive, &c.LogArchive)
	c.DRRegion = r.str(KeyDRRegion)
	r.object(KeyDatabase, &c.Database)
	r.object(KeyECS, &c.ECS)
	r.object(KeyIngress, &c.Ingress)
	r.object(KeyWeb, &c.Web)
	r.object(KeyTemporal, &c.Temporal)
	r.object(KeyWorkers, &c.Workers)
	r.object(KeySlackBot, &c.SlackBot)
	r.object(KeyDBInit, &c.DBInit)
	r.object(KeyScheduler, &c.Scheduler)
	r.object(KeyBastion, &c.Bastion)
	r.object(KeyAlarms, &c.Alarms)
	r.object(KeyGitHub, &c.GitHub)
	r.object(KeyCompliance, &c.Compliance)
	r.object(KeyOrg, &c.Org)
	r.object(KeyCost, &c.Cost)
	c.present = map[string]bool{}
	for _, k := range append(append([]string{}, workloadObjects...), orgObjects...) {
		c.present[k] = r.has(k)
	}
	c.setDefaults()
	return c, errors.Join(append(r.errs, c.validate()...)...)
}

func (c *Config) setDefaults() {
	if c.DataClassification == "" {
		c.DataClassification = DefaultDataClassification
	}
	if c.KMSDeletionWindowDays == 0 {
		c.KMSDeletionWindowDays = components.DefaultKeyDeletionWindowDays
	}
	if c.DRRegion == "" {
		c.DRRegion = DefaultDRRegion
	}
	if c.Database.BackupRetentionDays == 0 {
		c.Database.BackupRetentionDays = components.DefaultBackupRetentionDays
		if c.Environment == Prod {
			c.Database.BackupRetentionDays = ProdBackupRetentionDays
		}
	}
	if c.Web.CPU == 0 {
		c.Web.CPU = DefaultWebCPU
	}
	if c.Web.Memory == 0 {
		c.Web.Memory = DefaultWebMemory
	}
	if c.Web.DesiredCount == nil {
		n := 1
		if c.Environment == Prod {
			n = 2 // one task per AZ
		}
		c.Web.DesiredCount = &n
	}
	if c.Web.Strategy.IsZero() {
		c.Web.Strategy = DefaultWebStrategy
	}
	if c.Web.TLSProxyImageTag == "" {
		c.Web.TLSProxyImageTag = DefaultTLSProxyImageTag
	}
	c.Workers.setDefaults(DefaultWorkerStrategy, 1)
	c.SlackBot.setDefaults(DefaultWebStrategy, 1)
}

func (a *AppConfig) setDefaults(strategy components.CapacityStrategy, count int) {
	if a.Strategy.IsZero() {
		a.Strategy = strategy
	}
	if a.DesiredCount == nil {
		a.DesiredCount = &count
	}
}

// key is the namespaced configuration key.
func key(k string) string {
	if strings.Contains(k, ":") {
		return k
	}
	return Namespace + ":" + k
}

func bad(k string, got any, want string, args ...any) error {
	return &components.FieldError{Field: key(k), Got: got, Want: fmt.Sprintf(want, args...)}
}

func (c *Config) validate() []error {
	var errs []error
	if c.Region != AllowedRegion {
		errs = append(errs, bad(KeyRegion, c.Region, "%q (seed SCP: only us-east-1 is allowed)", AllowedRegion))
	}
	if !c.Environment.Valid() {
		errs = append(errs, bad(KeyEnvironment, string(c.Environment), "one of %q", Environments))
	}
	if c.Environment == Prod {
		if !c.ProtectStatefulResources {
			errs = append(errs, bad(KeyProtectStateful, c.ProtectStatefulResources, "true in prod (keys, buckets and databases must survive a destroy)"))
		}
		if !c.DeletionProtection {
			errs = append(errs, bad(KeyDeletionProtection, c.DeletionProtection, "true in prod"))
		}
		if c.KMSDeletionWindowDays != components.MaxKeyDeletionWindowDays {
			errs = append(errs, bad(KeyKMSDeletionWindowDays, c.KMSDeletionWindowDays, "%d in prod (the longest window AWS allows)", components.MaxKeyDeletionWindowDays))
		}
		if mode := components.ObjectLockMode(c.LogArchive.ObjectLockMode); c.LogArchive.Standalone && mode != components.ObjectLockCompliance {
			errs = append(errs, bad(KeyLogArchive+".objectLockMode", c.LogArchive.ObjectLockMode, "%q in prod (logs nobody can delete early)", components.ObjectLockCompliance))
		}
	}
	if c.Environment.IsWorkload() && c.Network == nil {
		errs = append(errs, bad(KeyNetwork, nil, "a network object (vpcCidr, availabilityZones, publicSubnets, privateSubnets, databaseSubnets) in workload stacks"))
	}
	if c.Environment == Org {
		for _, k := range workloadObjects {
			if c.present[k] {
				errs = append(errs, bad(k, "set", "no %s in the org stack (the management account runs no workloads)", k))
			}
		}
	}
	if c.Environment.IsWorkload() {
		for _, k := range orgObjects {
			if c.present[k] {
				errs = append(errs, bad(k, "set", "no %s in a workload stack (the org stack holds the organization)", k))
			}
		}
		errs = append(errs, c.validateWorkload()...)
		// Security Hub's Account.1 judges the account's security contact.
		if c.Compliance.SecurityContact == nil {
			errs = append(errs, bad(KeyCompliance+".securityContact", nil, "the account's security contact {name, title, email, phone} in a workload stack (Security Hub Account.1)"))
		}
	}
	if c.Environment == Org {
		errs = append(errs, c.validateOrg()...)
	}
	if sc := c.Compliance.SecurityContact; sc != nil {
		errs = append(errs, sc.Validate(key(KeyCompliance)+".securityContact")...)
	}

	// Component arguments are validated here too, so that a bad stack file
	// fails before the provider or any resource is registered. Their field
	// names are mapped back to the configuration keys that set them.
	errs = append(errs, components.RenameFields(c.KeysArgs().Validate(), c.configKeyOf("")))
	errs = append(errs, components.RenameFields(c.githubArgs().Validate(), c.configKeyOf(KeyGitHub)))
	if c.Environment.IsWorkload() {
		errs = append(errs, components.RenameFields(c.logArchiveArgs(nil).Validate(), c.configKeyOf(KeyLogArchive)))
		if c.Network != nil {
			errs = append(errs, components.RenameFields(c.networkArgs(nil).Validate(), c.configKeyOf(KeyNetwork)))
		}
	}
	return dedupe(errs)
}

// configKeyOf maps a component Args field to the configuration key that sets
// it: shared fields to their top-level keys, the rest under object.
func (c *Config) configKeyOf(object string) func(string) string {
	shared := map[string]string{
		"accountId":          key(KeyAccountID),
		"deletionWindowDays": key(KeyKMSDeletionWindowDays),
		"region":             "", // reported by validate against AllowedRegion
		"drRegion":           "", // reported by validateWorkload
		"sourceAccounts[0]":  "", // derived from accountId
		// Names derived from the environment and account.
		"bucketName":                       key(KeyAccountID),
		"accessLogsBucketName":             key(KeyAccountID),
		"configBucketName":                 key(KeyAccountID),
		"replicaBucketName":                key(KeyAccountID),
		"deliveryBucket":                   key(KeyAccountID),
		"retentionDays":                    key(KeyDatabase) + ".backupRetentionDays",
		"accessLogsBucket":                 key(KeyAccountID),
		"aliasPrefix":                      key(KeyEnvironment),
		"identifier":                       key(KeyEnvironment),
		"clusterName":                      key(KeyEnvironment),
		"serviceName":                      key(KeyEnvironment),
		"name":                             key(KeyEnvironment),
		"prefix":                           key(KeyEnvironment),
		"availabilityZones":                key(KeyNetwork) + ".availabilityZones",
		"tags." + components.TagOwner:      key(KeyOwner),
		"tags." + components.TagCostCenter: key(KeyCostCenter),
		"tags." + components.TagDataClassification: key(KeyDataClassification),
		"tags." + components.TagEnvironment:        "", // reported as environment
	}
	return func(field string) string {
		if k, ok := shared[field]; ok {
			return k
		}
		if object == "" {
			return key("keys") + "." + field
		}
		return key(object) + "." + field
	}
}

// dedupe drops repeated messages (several components check the same key).
func dedupe(errs []error) []error {
	seen := map[string]bool{}
	var out []error
	for _, e := range errs {
		for _, leaf := range components.Unjoin(e) {
			if msg := leaf.Error(); !seen[msg] {
				seen[msg] = true
				out = append(out, leaf)
			}
		}
	}
	return out
}

// StackTags are the tags every taggable resource carries.
func (c *Config) StackTags() components.Tags {
	return components.Tags{
		components.TagProject:            ProjectTag,
		components.TagEnvironment:        string(c.Environment),
		components.TagDataClassification: c.DataClassification,
		components.TagOwner:              c.Owner,
		components.TagCostCenter:         c.CostCenter,
		components.TagManagedBy:          ManagedByTag,
	}
}

// prefix is the name prefix of account-wide names (aliases, buckets).
func (c *Config) prefix() string { return fmt.Sprintf("docustack-%s", c.Environment) }

// KeysArgs derives the keys component's arguments.
func (c *Config) KeysArgs() components.KeysArgs {
	purposes := components.KeyPurposes
	if !c.Environment.IsWorkload() {
		purposes = []components.KeyPurpose{components.KeyLogs}
	}
	return components.KeysArgs{
		AccountID:            c.AccountID,
		Region:               c.Region,
		AliasPrefix:          c.prefix(),
		Purposes:             purposes,
		DeletionWindowDays:   c.KMSDeletionWindowDays,
		AdoptAutoScalingRole: c.Compliance.AdoptAutoScalingRole,
		Protect:              c.ProtectStatefulResources,
		Tags:                 c.StackTags(),
	}
}

// LogArchiveBucketName is the account-local archive's deterministic name.
func (c *Config) LogArchiveBucketName() string {
	return fmt.Sprintf("%s-log-archive-%s", c.prefix(), c.AccountID)
}

// ConfigBucketName is AWS Config's delivery bucket's deterministic name.
func (c *Config) ConfigBucketName() string {
	return fmt.Sprintf("%s-config-%s", c.prefix(), c.AccountID)
}

// AccessLogsBucketName is the SSE-S3 access-logs bucket's deterministic name.
func (c *Config) AccessLogsBucketName() string {
	return fmt.Sprintf("%s-access-logs-%s", c.prefix(), c.AccountID)
}

func (c *Config) logArchiveArgs(kmsKeyArn pulumi.StringInput) components.LogArchiveArgs {
	return components.LogArchiveArgs{
		BucketName:           c.LogArchiveBucketName(),
		AccessLogsBucketName: c.AccessLogsBucketName(),
		ConfigBucketName:     c.ConfigBucketName(),
		AccountID:            c.AccountID,
		Region:               c.Region,
		KMSKeyArn:            kmsKeyArn,
		FlowLogRetentionDays: c.LogArchive.FlowLogRetentionDays,
		ObjectLockMode:       components.ObjectLockMode(c.LogArchive.ObjectLockMode),
		ObjectLockDays:       c.LogArchive.ObjectLockDays,
		Protect:              c.ProtectStatefulResources,
		Tags:                 c.StackTags(),
	}
}

func (c *Config) networkArgs(flowLogDestination pulumi.StringInput) components.NetworkArgs {
	n := c.Network
	return components.NetworkArgs{
		Region:             c.Region,
		AccountID:          c.AccountID,
		VpcCidr:            n.VpcCidr,
		AvailabilityZones:  n.AvailabilityZones,
		PublicSubnets:      n.PublicSubnets,
		PrivateSubnets:     n.PrivateSubnets,
		DatabaseSubnets:    n.DatabaseSubnets,
		NATStrategy:        components.NATStrategy(n.NATStrategy),
		EndpointAZCount:    n.EndpointAZCount,
		InterfaceEndpoints: n.interfaceEndpoints(),
		FlowLogDestination: flowLogDestination,
		Tags:               c.StackTags(),
	}
}

// reader collects typed values and every parse error.
type reader struct {
	src  configSource
	errs []error
}

func (r *reader) raw(k string) string {
	v, _ := r.src.GetConfig(key(k))
	return v
}

// has reports whether the stack sets k. An empty object ({}, the default
// Pulumi.yaml declares for every optional object) is the same as an absent
// key: the CLI merges that default into every stack that leaves k out.
func (r *reader) has(k string) bool {
	v, ok := r.src.GetConfig(key(k))
	if !ok {
		return false
	}
	switch strings.TrimSpace(v) {
	case "{}", "null", "":
		return false
	}
	return true
}

func (r *reader) str(k string) string { return r.raw(k) }

func (r *reader) boolean(k string) bool {
	v := r.raw(k)
	if v == "" {
		return false
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		r.errs = append(r.errs, bad(k, v, "true or false"))
	}
	return b
}

func (r *reader) integer(k string) int {
	v := r.raw(k)
	if v == "" {
		return 0
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		r.errs = append(r.errs, bad(k, v, "a whole number"))
	}
	return n
}

// object decodes a JSON object, rejecting fields it does not know so that a
// typo ("vpcCIDR") is an error instead of a silently ignored setting.
func (r *reader) object(k string, into any) {
	v := r.raw(k)
	if v == "" {
		return
	}
	dec := json.NewDecoder(strings.NewReader(v))
	dec.DisallowUnknownFields()
	if err := dec.Decode(into); err != nil {
		r.errs = append(r.errs, bad(k, v, "an object with the documented fields (%v)", err))
	}
}

// interfaceEndpoints are the stack's PrivateLink services: the seed's, plus
// Session Manager's unless the stack turns them off.
func (n *NetworkConfig) interfaceEndpoints() []string {
	if n.SessionManagerEndpoints != nil && !*n.SessionManagerEndpoints {
		return components.SeedInterfaceEndpoints
	}
	return components.DefaultInterfaceEndpoints
}
