package components

import (
	"errors"
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ecs"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/servicediscovery"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Fargate capacity providers.
const (
	CapacityFargate     = "FARGATE"
	CapacityFargateSpot = "FARGATE_SPOT"
)

// CapacityStrategy splits tasks between on-demand Fargate and Fargate Spot
// (seed: Fargate Spot, 70% cheaper, for non-critical workloads). The first
// OnDemandBase tasks run on-demand; the rest are spread by weight.
type CapacityStrategy struct {
	// OnDemandBase tasks always run on FARGATE. Range 0..100000.
	OnDemandBase int `json:"onDemandBase"`
	// OnDemandWeight is FARGATE's share beyond the base. Range 0..1000.
	OnDemandWeight int `json:"onDemandWeight"`
	// SpotWeight is FARGATE_SPOT's share beyond the base. Range 0..1000.
	SpotWeight int `json:"spotWeight"`
}

// SpotOnly runs everything on Fargate Spot (non-critical work).
var SpotOnly = CapacityStrategy{SpotWeight: 1}

// OnDemandOnly runs everything on on-demand Fargate (critical work).
var OnDemandOnly = CapacityStrategy{OnDemandWeight: 1}

// IsZero reports whether no strategy was given.
func (s CapacityStrategy) IsZero() bool { return s == CapacityStrategy{} }

// Validate reports invalid fields under field.
func (s CapacityStrategy) Validate(field string) error {
	var errs []error
	if s.OnDemandBase < 0 || s.OnDemandBase > 100000 {
		errs = append(errs, fieldErr(field+".onDemandBase", s.OnDemandBase, "0..100000"))
	}
	for k, w := range InOrder(map[string]int{"onDemandWeight": s.OnDemandWeight, "spotWeight": s.SpotWeight}) {
		if w < 0 || w > 1000 {
			errs = append(errs, fieldErr(field+"."+k, w, "0..1000"))
		}
	}
	if s.OnDemandWeight+s.SpotWeight == 0 {
		errs = append(errs, fieldErr(field, fmt.Sprintf("%+v", s), "onDemandWeight or spotWeight above 0"))
	}
	return errors.Join(errs...)
}

// SpotShare is the fraction of tasks beyond the base that run on Spot.
func (s CapacityStrategy) SpotShare() float64 {
	if s.OnDemandWeight+s.SpotWeight == 0 {
		return 0
	}
	return float64(s.SpotWeight) / float64(s.OnDemandWeight+s.SpotWeight)
}

// strategyItem is one capacity provider of a strategy.
type strategyItem struct {
	provider     string
	base, weight int
}

// items lists the providers a strategy uses (the base always on-demand).
func (s CapacityStrategy) items() []strategyItem {
	var out []strategyItem
	if s.OnDemandBase > 0 || s.OnDemandWeight > 0 {
		out = append(out, strategyItem{CapacityFargate, s.OnDemandBase, s.OnDemandWeight})
	}
	if s.SpotWeight > 0 {
		out = append(out, strategyItem{CapacityFargateSpot, 0, s.SpotWeight})
	}
	return out
}

// ContainerInsights is the cluster's Container Insights mode.
type ContainerInsights string

// Container Insights modes.
const (
	InsightsEnabled  ContainerInsights = "enabled"
	InsightsEnhanced ContainerInsights = "enhanced"
	InsightsDisabled ContainerInsights = "disabled"
)

// ClusterArgs configures the ECS cluster.
type ClusterArgs struct {
	// ClusterName is the ECS cluster's name. Required.
	ClusterName string
	// Protect marks the exec session (audit) log group pulumi.Protect and
	// RetainOnDelete. Default: false.
	Protect bool
	// DefaultStrategy applies to services that set none. Default: SpotOnly.
	DefaultStrategy CapacityStrategy
	// ContainerInsights mode. Default: "enabled".
	ContainerInsights ContainerInsights
	// ExecLogRetentionDays keeps ECS Exec session logs. Default: 90. Range 90..3653.
	ExecLogRetentionDays int
	// KMSKeyArn encrypts ECS Exec sessions and their log group (logs CMK). Required.
	KMSKeyArn pulumi.StringInput
	// Tags are the stack tags. Required: every key of StackTagKeys.
	Tags Tags
}

func (a *ClusterArgs) setDefaults() {
	if a.DefaultStrategy.IsZero() {
		a.DefaultStrategy = SpotOnly
	}
	if a.ContainerInsights == "" {
		a.ContainerInsights = InsightsEnabled
	}
	if a.ExecLogRetentionDays == 0 {
		a.ExecLogRetentionDays = DefaultDatabaseLogDays
	}
}

// Validate reports every invalid field at once.
func (a ClusterArgs) Validate() error {
	a.setDefaults()
	var errs []error
	if !dbIdentifierPattern.MatchString(a.ClusterName) {
		errs = append(errs, fieldErr("clusterName", a.ClusterName, "2-52 characters of [a-z0-9-]"))
	}
	errs = append(errs, a.DefaultStrategy.Validate("defaultStrategy"))
	switch a.ContainerInsights {
	case InsightsEnabled, InsightsEnhanced, InsightsDisabled:
	default:
		errs = append(errs, fieldErr("containerInsights", string(a.ContainerInsights), "enabled, enhanced or disabled"))
	}
	if a.ExecLogRetentionDays < DefaultDatabaseLogDays || a.ExecLogRetentionDays > MaxRetentionDays {
		errs = append(errs, fieldErr("execLogRetentionDays", a.ExecLogRetentionDays, "%d..%d days", DefaultDatabaseLogDays, MaxRetentionDays))
	}
	errs = append(errs, validateStackTags("tags", a.Tags))
	return errors.Join(errs...)
}

// Cluster is the ECS cluster every service runs in.
type Cluster struct {
	pulumi.ResourceState

	// Cluster is the ECS cluster.
	Cluster *ecs.Cluster
	// Name and Arn of the cluster.
	Name pulumi.StringOutput
	Arn  pulumi.StringOutput
	// NamespaceArn is the Service Connect namespace ("frontend:7233" lives there).
	NamespaceArn pulumi.StringOutput
	// ClusterName is the cluster's name, known before deployment.
	ClusterName string
	// ExecLogGroup receives ECS Exec session logs.
	ExecLogGroup *cloudwatch.LogGroup
	// DefaultStrategy is what services without their own strategy get.
	DefaultStrategy CapacityStrategy
}

// NewCluster creates the ECS cluster with FARGATE and FARGATE_SPOT capacity
// providers and a default strategy, Container Insights, and ECS Exec whose
// sessions and logs are encrypted with the logs CMK.
func NewCluster(ctx *pulumi.Context, name string, args ClusterArgs, opts ...pulumi.ResourceOption) (*Cluster, error) {
	args.setDefaults()
	err := args.Validate()
	if args.KMSKeyArn == nil {
		err = errors.Join(err, fieldErr("kmsKeyArn", "", "the ARN of the logs CMK"))
	}
	if err != nil {
		return nil, err
	}
	c := &Cluster{DefaultStrategy: args.DefaultStrategy, ClusterName: args.ClusterName}
	if err := ctx.RegisterComponentResource(TypeCluster, name, c, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(c)
	tags := func(child string) pulumi.StringMap { return MergeTags(args.Tags, child, Tags{TagComponent: name}) }

	logName := childName(name, "exec-log")
	logGroup, err := cloudwatch.NewLogGroup(ctx, logName, &cloudwatch.LogGroupArgs{
		Name:            pulumi.Sprintf("/ecs/%s/exec", args.ClusterName),
		RetentionInDays: pulumi.Int(args.ExecLogRetentionDays),
		KmsKeyId:        args.KMSKeyArn,
		Tags:            tags(logName),
	}, auditLogOptions(parent, args.Protect)...)
	if err != nil {
		return nil, err
	}
	nsName := childName(name, "namespace")
	ns, err := servicediscovery.NewHttpNamespace(ctx, nsName, &servicediscovery.HttpNamespaceArgs{
		Name:        pulumi.String(args.ClusterName),
		Description: pulumi.String("Service Connect namespace of the platform's ECS services"),
		Tags:        tags(nsName),
	}, parent)
	if err != nil {
		return nil, err
	}
	c.NamespaceArn = ns.Arn
	clusterName := childName(name, "cluster")
	cluster, err := ecs.NewCluster(ctx, clusterName, &ecs.ClusterArgs{
		Name:                   pulumi.String(args.ClusterName),
		ServiceConnectDefaults: &ecs.ClusterServiceConnectDefaultsArgs{Namespace: ns.Arn},
		Settings: ecs.ClusterSettingArray{ecs.ClusterSettingArgs{
			Name: pulumi.String("containerInsights"), Value: pulumi.String(string(args.ContainerInsights)),
		}},
		Configuration: &ecs.ClusterConfigurationArgs{
			ExecuteCommandConfiguration: &ecs.ClusterConfigurationExecuteCommandConfigurationArgs{
				KmsKeyId: args.KMSKeyArn,
				Logging:  pulumi.String("OVERRIDE"),
				LogConfiguration: &ecs.ClusterConfigurationExecuteCommandConfigurationLogConfigurationArgs{
					CloudWatchEncryptionEnabled: pulumi.Bool(true),
					CloudWatchLogGroupName:      logGroup.Name,
				},
			},
		},
		Tags: tags(clusterName),
	}, parent)
	if err != nil {
		return nil, err
	}
	var strategy ecs.ClusterCapacityProvidersDefaultCapacityProviderStrategyArray
	for _, it := range args.DefaultStrategy.items() {
		strategy = append(strategy, ecs.ClusterCapacityProvidersDefaultCapacityProviderStrategyArgs{
			CapacityProvider: pulumi.String(it.provider),
			Base:             pulumi.Int(it.base),
			Weight:           pulumi.Int(it.weight),
		})
	}
	if _, err := ecs.NewClusterCapacityProviders(ctx, childName(name, "capacity"), &ecs.ClusterCapacityProvidersArgs{
		ClusterName:                       cluster.Name,
		CapacityProviders:                 pulumi.StringArray{pulumi.String(CapacityFargate), pulumi.String(CapacityFargateSpot)},
		DefaultCapacityProviderStrategies: strategy,
	}, parent); err != nil {
		return nil, err
	}
	c.Cluster, c.Name, c.Arn, c.ExecLogGroup = cluster, cluster.Name, cluster.Arn, logGroup
	if err := ctx.RegisterResourceOutputs(c, pulumi.Map{"name": cluster.Name, "arn": cluster.Arn}); err != nil {
		return nil, err
	}
	return c, nil
}

// serviceStrategy renders a strategy for an ECS service.
func serviceStrategy(s CapacityStrategy) ecs.ServiceCapacityProviderStrategyArray {
	var out ecs.ServiceCapacityProviderStrategyArray
	for _, it := range s.items() {
		out = append(out, ecs.ServiceCapacityProviderStrategyArgs{
			CapacityProvider: pulumi.String(it.provider),
			Base:             pulumi.Int(it.base),
			Weight:           pulumi.Int(it.weight),
		})
	}
	return out
}
