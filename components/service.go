package components

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/appautoscaling"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ecs"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Service defaults.
const (
	// DefaultCPUArchitecture runs every task on Graviton. The ECS API
	// reference (CapacityProviderStrategyItem) says FARGATE_SPOT runs Linux
	// ARM64 tasks on platform version 1.4.0 or later; older user-guide pages
	// still say X86_64 only, and the API reference is what we rely on. Our
	// services run on FargatePlatformVersion, which resolves to 1.4.0 or later.
	// https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_CapacityProviderStrategyItem.html
	DefaultCPUArchitecture = "ARM64"
	// FargatePlatformVersion is the services' platform version: LATEST is
	// 1.4.0 for Linux, the first that runs ARM64 on Fargate Spot.
	// https://docs.aws.amazon.com/AmazonECS/latest/developerguide/platform-linux-fargate.html
	FargatePlatformVersion = "LATEST"
	// DeploymentMaximumPercent is how many tasks, in percent of the desired
	// count, a rolling deployment may run at once (old and new together).
	DeploymentMaximumPercent = 200
	DefaultTaskCPU           = 256
	DefaultTaskMemory        = 512
	DefaultServiceLogDays    = 90
	DefaultHealthCheckGrace  = 60
)

// fargateMemory lists the memory sizes (MiB) Fargate accepts per CPU size.
var fargateMemory = map[int]func(mem int) bool{
	256:   func(m int) bool { return m == 512 || m == 1024 || m == 2048 },
	512:   func(m int) bool { return m >= 1024 && m <= 4096 && m%1024 == 0 },
	1024:  func(m int) bool { return m >= 2048 && m <= 8192 && m%1024 == 0 },
	2048:  func(m int) bool { return m >= 4096 && m <= 16384 && m%1024 == 0 },
	4096:  func(m int) bool { return m >= 8192 && m <= 30720 && m%1024 == 0 },
	8192:  func(m int) bool { return m >= 16384 && m <= 61440 && m%4096 == 0 },
	16384: func(m int) bool { return m >= 32768 && m <= 122880 && m%8192 == 0 },
}

var envNamePattern = regexp.MustCompile(`^[A-Z_][A-Z0-9_]*$`)

// ServiceArgs configures one ECS Fargate service.
type ServiceArgs struct {
	// ServiceName names the service, task family and log group. Required.
	ServiceName string
	// Image is "<repository url>:<tag>". Required.
	Image pulumi.StringInput
	// RepositoryArn scopes the execution role's image pulls. Optional: nil
	// for public images (pulled through the NAT gateway).
	RepositoryArn pulumi.StringInput
	// SidecarRepositoryArns are the repositories of the sidecars' images,
	// which the execution role may also pull from. Optional.
	SidecarRepositoryArns []pulumi.StringInput
	// EntryPoint overrides the image's entry point.
	EntryPoint []string
	// ClusterArn runs the service. Required.
	ClusterArn pulumi.StringInput
	// ClusterName is needed with Autoscaling (its resource ID names the cluster).
	ClusterName string
	// CPU units. Default: 256. One of 256, 512, 1024, 2048, 4096, 8192, 16384.
	CPU int
	// Memory in MiB. Default: 512. A size Fargate accepts for CPU.
	Memory int
	// CPUArchitecture is "ARM64" (Graviton, about 20% cheaper per vCPU and
	// GB) or "X86_64". Default: DefaultCPUArchitecture, "ARM64": Fargate and
	// Fargate Spot both run Linux ARM64 tasks (see DefaultCPUArchitecture).
	CPUArchitecture string
	// DesiredCount of tasks. Default: 0. Range 0..100.
	DesiredCount int
	// ContainerPort the task listens on; 0 for services without inbound traffic.
	ContainerPort int
	// Command overrides the image's command.
	Command []string
	// Sidecars run beside the main container in every task: not essential,
	// started after it, logging to the same group. Optional.
	Sidecars []Sidecar
	// Environment holds plain settings (never secrets).
	Environment map[string]string
	// DynamicEnvironment holds plain settings known only at deployment
	// (endpoints of other resources).
	DynamicEnvironment map[string]pulumi.StringInput
	// Secrets maps environment variables to Secrets Manager secret ARNs,
	// injected by ECS at start; the execution role may read only these.
	Secrets map[string]pulumi.StringInput
	// Strategy places tasks on Fargate and Fargate Spot. Default: the cluster's.
	Strategy CapacityStrategy
	// SubnetIDs (private tier). Required.
	SubnetIDs pulumi.StringArrayInput
	// SecurityGroupIDs the tasks use. Required unless OwnGroup is set.
	SecurityGroupIDs pulumi.StringArrayInput
	// OwnGroup gives the service a security group of its own in this VPC,
	// with no ingress at all and egress only to HTTPS (NAT, endpoints).
	OwnGroup pulumi.StringInput
	// DatabaseSecurityGroupID, with OwnGroup, lets the service reach the
	// database on 5432: an egress rule on the service's group and the
	// matching ingress rule on the database's. Optional.
	DatabaseSecurityGroupID pulumi.StringInput
	// TemporalSecurityGroupID, with OwnGroup, lets the service dial the
	// Temporal frontend on 7233, both sides, like DatabaseSecurityGroupID.
	// The pair lives here, not in Temporal, so that the service can be
	// created after the frontend it waits for. Optional.
	TemporalSecurityGroupID pulumi.StringInput
	// Redeploy are facts whose change must roll the service (with
	// forceNewDeployment): its images' digests and its secrets' versions,
	// so that a push or a new secret value after a failed deployment is
	// rolled out by the next `pulumi up`, with no manual redeploy. Optional.
	// Values may be outputs (an image digest asked once its repository
	// exists).
	Redeploy map[string]pulumi.StringInput
	// WritablePaths are the directories the main container writes (its
	// root filesystem is read-only): each becomes an empty task volume
	// (Fargate ephemeral storage) mounted there. /tmp is always one.
	// Optional.
	WritablePaths []string
	// TaskOnly creates the task definition without a service: a one-off task
	// run on demand (schema migrations). Default: false.
	TaskOnly bool
	// TargetGroupArn registers tasks with a load balancer. Optional.
	TargetGroupArn pulumi.StringInput
	// TLSProxyImage puts the tls-proxy container (cmd/tlsproxy) in front of
	// the application: the load balancer's target, it serves HTTPS on
	// ContainerPort with a certificate it generates at start and forwards
	// to the application on localhost:AppPort. Optional, with TargetGroupArn
	// and TLSProxyRepositoryArn (its image's repository, to pull from).
	TLSProxyImage, TLSProxyRepositoryArn pulumi.StringInput
	// AppPort is where the application listens behind the proxy (its PORT).
	// Default: DefaultAppPortBehindProxy.
	AppPort int
	// tlsProxyImage is TLSProxyImage resolved.
	tlsProxyImage string
	// HealthCheckGraceSeconds before load balancer health counts. Default: 60.
	HealthCheckGraceSeconds int
	// ServiceConnectNamespace joins the cluster's Service Connect namespace
	// as a client (so "frontend:7233" resolves). Optional.
	ServiceConnectNamespace pulumi.StringInput
	// ServiceConnectAlias also publishes ContainerPort under this name
	// ("frontend" → frontend:<port>). Requires ServiceConnectNamespace.
	ServiceConnectAlias string
	// ServiceConnectIdleSeconds is the idle timeout of published TCP
	// connections. Default: 0 (Service Connect's). Temporal's long polls need
	// more than 60 s; TCP has no per-request timeout.
	ServiceConnectIdleSeconds int
	// Autoscaling tracks average CPU between MinCount and MaxCount. Optional.
	Autoscaling *Autoscaling
	// TaskPolicy is the task role's permissions as a JSON policy document. Optional.
	TaskPolicy pulumi.StringInput
	// After are what the ECS service waits for before its first tasks start:
	// the database roles DB-init creates, the Temporal frontend that Service
	// Connect clients must find (ECS: a task started before an endpoint
	// exists does not resolve it until redeployed). Optional.
	After []pulumi.Resource
	// EnableExec allows ECS Exec (SSM) into tasks. Default: false.
	EnableExec bool
	// ExecLogGroupArn is the cluster's ECS Exec session log group, which
	// the task role writes (the cluster's exec logging configuration).
	// Required with EnableExec.
	ExecLogGroupArn pulumi.StringInput
	// IgnoreDesiredCount leaves desiredCount to a scheduler (ignoreChanges),
	// so `pulumi up` does not restart what the scheduler stopped. Default: false.
	IgnoreDesiredCount bool
	// LogRetentionDays of the service's log group. Default: 90. Range 90..3653.
	LogRetentionDays int
	// LogsKMSKeyArn encrypts the log group. Required.
	LogsKMSKeyArn pulumi.StringInput
	// AccountID and Region of the service. Required.
	AccountID, Region string
	// Tags are the stack tags. Required: every key of StackTagKeys.
	Tags Tags
}

func (a *ServiceArgs) setDefaults() {
	if a.CPU == 0 {
		a.CPU = DefaultTaskCPU
	}
	if a.Memory == 0 {
		a.Memory = DefaultTaskMemory
	}
	if a.TLSProxyImage != nil && a.AppPort == 0 {
		a.AppPort = DefaultAppPortBehindProxy
	}
	if a.CPUArchitecture == "" {
		a.CPUArchitecture = DefaultCPUArchitecture
	}
	if a.HealthCheckGraceSeconds == 0 {
		a.HealthCheckGraceSeconds = DefaultHealthCheckGrace
	}
	if a.LogRetentionDays == 0 {
		a.LogRetentionDays = DefaultServiceLogDays
	}
}

// Validate reports every invalid field at once.
func (a ServiceArgs) Validate() error {
	a.setDefaults()
	var errs []error
	add := func(e error) { errs = append(errs, e) }
	if !dbIdentifierPattern.MatchString(a.ServiceName) {
		add(fieldErr("serviceName", a.ServiceName, "2-52 characters of [a-z0-9-]"))
	}
	if ok, known := fargateMemory[a.CPU]; !known {
		add(fieldErr("cpu", a.CPU, "one of 256, 512, 1024, 2048, 4096, 8192, 16384"))
	} else if !ok(a.Memory) {
		add(fieldErr("memory", a.Memory, "a memory size Fargate accepts with %d CPU units", a.CPU))
	}
	if a.CPUArchitecture != "X86_64" && a.CPUArchitecture != "ARM64" {
		add(fieldErr("cpuArchitecture", a.CPUArchitecture, "X86_64 or ARM64"))
	}
	if a.DesiredCount < 0 || a.DesiredCount > 100 {
		add(fieldErr("desiredCount", a.DesiredCount, "0..100"))
	}
	if a.ContainerPort < 0 || a.ContainerPort > 65535 {
		add(fieldErr("containerPort", a.ContainerPort, "0 (no inbound traffic) or a TCP port"))
	}
	if a.TLSProxyImage != nil && (a.TargetGroupArn == nil || a.TLSProxyRepositoryArn == nil) {
		add(fieldErr("tlsProxyImage", "set", "a load balancer's target group and the proxy's repository with it"))
	}
	if _, set := a.Environment["PORT"]; set && a.TLSProxyImage != nil {
		add(fieldErr("environment.PORT", a.Environment["PORT"], "unset: behind the tls-proxy the service sets PORT to appPort"))
	}
	if _, set := a.Environment["HOSTNAME"]; set && a.TLSProxyImage != nil {
		add(fieldErr("environment.HOSTNAME", a.Environment["HOSTNAME"], "unset: behind the tls-proxy the app binds %s, where the proxy dials", appLoopback))
	}
	if a.TLSProxyImage != nil && (a.AppPort == a.ContainerPort || a.AppPort < 1 || a.AppPort > 65535) {
		add(fieldErr("appPort", a.AppPort, "a TCP port other than containerPort %d", a.ContainerPort))
	}
	if a.TargetGroupArn != nil && a.ContainerPort == 0 {
		add(fieldErr("containerPort", a.ContainerPort, "the port the load balancer's target group reaches"))
	}
	for _, k := range sortedKeys(a.Environment) {
		if !envNamePattern.MatchString(k) {
			add(fieldErr("environment."+k, k, "an environment variable name [A-Z_][A-Z0-9_]*"))
		}
	}
	for _, k := range sortedKeys(a.DynamicEnvironment) {
		if !envNamePattern.MatchString(k) {
			add(fieldErr("dynamicEnvironment."+k, k, "an environment variable name [A-Z_][A-Z0-9_]*"))
		}
	}
	for _, k := range sortedKeys(a.Secrets) {
		if !envNamePattern.MatchString(k) {
			add(fieldErr("secrets."+k, k, "an environment variable name [A-Z_][A-Z0-9_]*"))
		}
		if _, dup := a.Environment[k]; dup {
			add(fieldErr("secrets."+k, k, "a name not also in environment"))
		}
	}
	if !a.Strategy.IsZero() {
		add(a.Strategy.Validate("strategy"))
	}
	if a.ServiceConnectAlias != "" && (a.ServiceConnectNamespace == nil || a.ContainerPort == 0) {
		add(fieldErr("serviceConnectAlias", a.ServiceConnectAlias, "a namespace and a containerPort to publish"))
	}
	if a.ServiceConnectAlias != "" && !dbIdentifierPattern.MatchString(a.ServiceConnectAlias) {
		add(fieldErr("serviceConnectAlias", a.ServiceConnectAlias, "a DNS label such as frontend"))
	}
	if as := a.Autoscaling; as != nil {
		if a.ClusterName == "" {
			add(fieldErr("clusterName", a.ClusterName, "the cluster's name, for the autoscaling resource ID"))
		}
		if as.MinCount < 0 || as.MaxCount > 100 || as.MinCount > as.MaxCount {
			add(fieldErr("autoscaling", fmt.Sprintf("%d..%d", as.MinCount, as.MaxCount), "0 <= minCount <= maxCount <= 100"))
		}
		if as.TargetCPUPercent != 0 && (as.TargetCPUPercent < 10 || as.TargetCPUPercent > 90) {
			add(fieldErr("autoscaling.targetCpuPercent", as.TargetCPUPercent, "10..90"))
		}
		if a.DesiredCount < as.MinCount || a.DesiredCount > as.MaxCount {
			add(fieldErr("desiredCount", a.DesiredCount, "%d..%d (within autoscaling)", as.MinCount, as.MaxCount))
		}
	}
	for i, p := range a.WritablePaths {
		if !strings.HasPrefix(p, "/") || p == "/" || strings.Contains(p, "..") {
			add(fieldErr(fmt.Sprintf("writablePaths[%d]", i), p, "an absolute directory other than /"))
		}
	}
	if a.LogRetentionDays < DefaultServiceLogDays || a.LogRetentionDays > MaxRetentionDays {
		add(fieldErr("logRetentionDays", a.LogRetentionDays, "%d..%d days (seed: CloudWatch Logs 90 days)", DefaultServiceLogDays, MaxRetentionDays))
	}
	if !accountIDPattern.MatchString(a.AccountID) {
		add(fieldErr("accountId", a.AccountID, "a 12-digit AWS account ID"))
	}
	if a.Region == "" {
		add(fieldErr("region", a.Region, "an AWS region"))
	}
	add(validateStackTags("tags", a.Tags))
	return errors.Join(errs...)
}

// Autoscaling scales a service on its average CPU.
type Autoscaling struct {
	// MinCount and MaxCount bound the task count. Range 0..100, Min <= Max.
	MinCount, MaxCount int
	// TargetCPUPercent is the average CPU to hold. Default: 60. Range 10..90.
	TargetCPUPercent int
}

// DefaultTargetCPU is what autoscaled services aim for.
const DefaultTargetCPU = 60

// Service is one ECS Fargate service with its roles, task definition and logs.
type Service struct {
	pulumi.ResourceState

	Service        *ecs.Service
	TaskDefinition *ecs.TaskDefinition
	// SecurityGroupID is the service's own group (with OwnGroup).
	SecurityGroupID pulumi.StringOutput
	TaskRole        *iam.Role
	ExecutionRole   *iam.Role
	LogGroup        *cloudwatch.LogGroup
}

// NewService creates a Fargate service in private subnets without public IPs:
// a log group (90 days, logs CMK), an execution role that may pull only its
// image, write only its log group and read only its secrets, a task role,
// and a deployment circuit breaker that rolls back failed deployments.
func NewService(ctx *pulumi.Context, name string, args ServiceArgs, opts ...pulumi.ResourceOption) (*Service, error) {
	args.setDefaults()
	err := args.Validate()
	for f, missing := range InOrder(map[string]bool{"image": args.Image == nil,
		"clusterArn": args.ClusterArn == nil, "subnetIds": args.SubnetIDs == nil,
		"securityGroupIds": args.SecurityGroupIDs == nil && args.OwnGroup == nil,
		"logsKmsKeyArn":    args.LogsKMSKeyArn == nil,
		"execLogGroupArn":  args.EnableExec && args.ExecLogGroupArn == nil}) {
		if missing {
			err = errors.Join(err, fieldErr(f, "", "a value from another component"))
		}
	}
	if err != nil {
		return nil, err
	}
	s := &Service{}
	if err := ctx.RegisterComponentResource(TypeService, name, s, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(s)
	tags := func(child string) pulumi.StringMap { return MergeTags(args.Tags, child, Tags{TagComponent: name}) }

	logName := childName(name, "log")
	s.LogGroup, err = cloudwatch.NewLogGroup(ctx, logName, &cloudwatch.LogGroupArgs{
		Name: pulumi.Sprintf("/ecs/%s", args.ServiceName), RetentionInDays: pulumi.Int(args.LogRetentionDays),
		KmsKeyId: args.LogsKMSKeyArn, Tags: tags(logName),
	}, parent)
	if err != nil {
		return nil, err
	}

	trust := PolicyJSON(PolicyStatement{
		Effect: "Allow", Principal: map[string]any{"Service": servicePrincipal("ecs-tasks")}, Action: "sts:AssumeRole",
		Condition: map[string]map[string]any{
			"StringEquals": {"aws:SourceAccount": args.AccountID},
			"ArnLike":      {"aws:SourceArn": fmt.Sprintf("arn:%s:ecs:%s:%s:*", awsPartition, args.Region, args.AccountID)},
		},
	})
	secretNames := sortedKeys(args.Secrets)
	secretArns := pulumi.StringArray{}
	for _, k := range secretNames {
		secretArns = append(secretArns, args.Secrets[k])
	}
	repos := pulumi.StringArray{}
	for _, r := range append([]pulumi.StringInput{args.RepositoryArn, args.TLSProxyRepositoryArn}, args.SidecarRepositoryArns...) {
		if r != nil {
			repos = append(repos, r)
		}
	}
	execPolicy := pulumi.All(repos, s.LogGroup.Arn, secretArns).ApplyT(func(v []any) string {
		return ExecutionPolicy(args.Region, stringsOf(v[0]), v[1].(string), stringsOf(v[2]))
	}).(pulumi.StringOutput)
	execName := childName(name, "execution-role")
	s.ExecutionRole, err = iam.NewRole(ctx, execName, &iam.RoleArgs{
		Description:      pulumi.Sprintf("ECS execution role of %s: pull its image, write its logs, read its secrets", args.ServiceName),
		AssumeRolePolicy: pulumi.String(trust),
		InlinePolicies:   iam.RoleInlinePolicyArray{iam.RoleInlinePolicyArgs{Name: pulumi.String("execution"), Policy: execPolicy}},
		Tags:             tags(execName),
	}, parent)
	if err != nil {
		return nil, err
	}
	taskPolicies := iam.RoleInlinePolicyArray{}
	if args.EnableExec {
		taskPolicies = append(taskPolicies, iam.RoleInlinePolicyArgs{Name: pulumi.String("ecs-exec"),
			Policy: pulumi.All(args.LogsKMSKeyArn, args.ExecLogGroupArn).ApplyT(func(v []any) string {
				return ExecPolicy(v[0].(string), v[1].(string))
			}).(pulumi.StringOutput)})
	}
	if args.TaskPolicy != nil {
		taskPolicies = append(taskPolicies, iam.RoleInlinePolicyArgs{Name: pulumi.String("task"), Policy: args.TaskPolicy})
	}
	taskName := childName(name, "task-role")
	s.TaskRole, err = iam.NewRole(ctx, taskName, &iam.RoleArgs{
		Description:      pulumi.Sprintf("ECS task role of %s", args.ServiceName),
		AssumeRolePolicy: pulumi.String(trust),
		InlinePolicies:   taskPolicies,
		Tags:             tags(taskName),
	}, parent)
	if err != nil {
		return nil, err
	}

	dynNames := sortedKeys(args.DynamicEnvironment)
	dynValues := pulumi.StringArray{}
	for _, k := range dynNames {
		dynValues = append(dynValues, args.DynamicEnvironment[k])
	}
	proxyImage := pulumi.StringInput(pulumi.String(""))
	if args.TLSProxyImage != nil {
		proxyImage = args.TLSProxyImage
	}
	containers := pulumi.All(args.Image, s.LogGroup.Name, secretArns, dynValues, proxyImage).ApplyT(func(v []any) (string, error) {
		secrets := map[string]string{}
		for i, arn := range stringsOf(v[2]) {
			secrets[secretNames[i]] = arn
		}
		withDyn := args
		withDyn.Environment = map[string]string{}
		for k, val := range args.Environment {
			withDyn.Environment[k] = val
		}
		for i, val := range stringsOf(v[3]) {
			withDyn.Environment[dynNames[i]] = val
		}
		withDyn.tlsProxyImage = v[4].(string)
		return ContainerDefinitions(withDyn, v[0].(string), v[1].(string), secrets)
	}).(pulumi.StringOutput)
	tdName := childName(name, "task")
	s.TaskDefinition, err = ecs.NewTaskDefinition(ctx, tdName, &ecs.TaskDefinitionArgs{
		Family:                  pulumi.String(args.ServiceName),
		Cpu:                     pulumi.String(fmt.Sprint(args.CPU)),
		Memory:                  pulumi.String(fmt.Sprint(args.Memory)),
		NetworkMode:             pulumi.String("awsvpc"),
		RequiresCompatibilities: pulumi.StringArray{pulumi.String("FARGATE")},
		RuntimePlatform: &ecs.TaskDefinitionRuntimePlatformArgs{
			CpuArchitecture: pulumi.String(args.CPUArchitecture), OperatingSystemFamily: pulumi.String("LINUX"),
		},
		Volumes:              taskVolumeArgs(args.taskVolumes()),
		ExecutionRoleArn:     s.ExecutionRole.Arn,
		TaskRoleArn:          s.TaskRole.Arn,
		ContainerDefinitions: containers,
		Tags:                 tags(tdName),
	}, parent)
	if err != nil {
		return nil, err
	}

	if args.TaskOnly {
		if err := ctx.RegisterResourceOutputs(s, pulumi.Map{"taskDefinitionArn": s.TaskDefinition.Arn}); err != nil {
			return nil, err
		}
		return s, nil
	}
	groups := args.SecurityGroupIDs
	if args.OwnGroup != nil {
		sgName := childName(name, "sg")
		sg, err := newSecurityGroup(ctx, sgName, args.OwnGroup, args.ServiceName+": no inbound traffic; HTTPS out", tags(sgName), parent)
		if err != nil {
			return nil, err
		}
		rules := []sgRule{tcp(HTTPSPort, HTTPSPort).out().fromCIDR(anywhere).because("HTTPS via the NAT gateway and VPC endpoints")}
		peers := []struct {
			suffix string
			group  pulumi.StringInput
			port   int
			what   string
		}{
			{"-db", args.DatabaseSecurityGroupID, DefaultDatabasePort, "PostgreSQL"},
			{"-temporal", args.TemporalSecurityGroupID, TemporalFrontendPort, "the Temporal frontend"},
		}
		for _, p := range peers {
			if p.group != nil {
				rules = append(rules, tcp(p.port, p.port).out().withPeer(p.group).because(p.what))
			}
		}
		if err := addRules(ctx, name, sg.ID(), rules, tags, parent); err != nil {
			return nil, err
		}
		for _, p := range peers {
			if p.group == nil {
				continue
			}
			// The other side: the peer admits this service.
			if err := addRules(ctx, name+p.suffix, p.group, []sgRule{
				tcp(p.port, p.port).withPeer(sg.ID()).because(args.ServiceName + " to " + p.what),
			}, tags, parent); err != nil {
				return nil, err
			}
		}
		s.SecurityGroupID = sg.ID().ToStringOutput()
		groups = pulumi.StringArray{s.SecurityGroupID}
	}
	svcArgs := &ecs.ServiceArgs{
		Name:            pulumi.String(args.ServiceName),
		Cluster:         args.ClusterArn,
		TaskDefinition:  s.TaskDefinition.Arn,
		DesiredCount:    pulumi.Int(args.DesiredCount),
		PlatformVersion: pulumi.String(FargatePlatformVersion),
		// ECS's own default, set so that the connection budget
		// (TemporalArgs.DatabaseConnections) reads the same number.
		DeploymentMaximumPercent: pulumi.Int(DeploymentMaximumPercent),
		NetworkConfiguration: &ecs.ServiceNetworkConfigurationArgs{
			Subnets: args.SubnetIDs, SecurityGroups: groups, AssignPublicIp: pulumi.Bool(false),
		},
		DeploymentCircuitBreaker: &ecs.ServiceDeploymentCircuitBreakerArgs{Enable: pulumi.Bool(true), Rollback: pulumi.Bool(true)},
		EnableExecuteCommand:     pulumi.Bool(args.EnableExec),
		EnableEcsManagedTags:     pulumi.Bool(true),
		// `pulumi up` waits until the deployment has settled (its tasks
		// running and, where they have one, healthy), so that what depends
		// on this service (After) starts only then; deployedCheck below
		// turns a rollback into a failure.
		WaitForSteadyState: pulumi.Bool(true),
		PropagateTags:      pulumi.String("SERVICE"),
		Tags:               tags(childName(name, "service")),
	}
	if !args.Strategy.IsZero() {
		svcArgs.CapacityProviderStrategies = serviceStrategy(args.Strategy)
	}
	// A capacity provider strategy can change in place only with a forced new
	// deployment; without it the provider replaces the service, whose fixed
	// name then conflicts (aws_ecs_service: "capacity_provider_strategy ...
	// requires force_new_deployment = true"). The trigger redeploys when, and
	// only when, the strategy changes, so a re-preview stays clean.
	svcArgs.ForceNewDeployment = pulumi.Bool(true)
	triggers := pulumi.StringMap{"capacityProviderStrategy": pulumi.String(strategyKey(args.Strategy))}
	for k, v := range args.Redeploy {
		triggers[k] = v
	}
	svcArgs.Triggers = triggers
	if args.TargetGroupArn != nil {
		svcArgs.LoadBalancers = ecs.ServiceLoadBalancerArray{ecs.ServiceLoadBalancerArgs{
			TargetGroupArn: args.TargetGroupArn, ContainerName: pulumi.String(args.targetContainer()), ContainerPort: pulumi.Int(args.ContainerPort),
		}}
		svcArgs.HealthCheckGracePeriodSeconds = pulumi.Int(args.HealthCheckGraceSeconds)
	}
	if args.ServiceConnectNamespace != nil {
		sc := &ecs.ServiceServiceConnectConfigurationArgs{Enabled: pulumi.Bool(true), Namespace: args.ServiceConnectNamespace}
		if args.ServiceConnectAlias != "" {
			svc := ecs.ServiceServiceConnectConfigurationServiceArgs{
				PortName:      pulumi.String(portName),
				DiscoveryName: pulumi.String(args.ServiceConnectAlias),
				ClientAlias: ecs.ServiceServiceConnectConfigurationServiceClientAliasArray{ecs.ServiceServiceConnectConfigurationServiceClientAliasArgs{
					DnsName: pulumi.String(args.ServiceConnectAlias), Port: pulumi.Int(args.ContainerPort),
				}},
			}
			if args.ServiceConnectIdleSeconds > 0 {
				svc.Timeout = &ecs.ServiceServiceConnectConfigurationServiceTimeoutArgs{IdleTimeoutSeconds: pulumi.Int(args.ServiceConnectIdleSeconds)}
			}
			sc.Services = ecs.ServiceServiceConnectConfigurationServiceArray{svc}
		}
		svcArgs.ServiceConnectConfiguration = sc
	}
	svcOpts := []pulumi.ResourceOption{parent, pulumi.DependsOn(args.After)}
	if args.IgnoreDesiredCount || args.Autoscaling != nil {
		svcOpts = append(svcOpts, pulumi.IgnoreChanges([]string{"desiredCount"}))
	}
	s.Service, err = ecs.NewService(ctx, childName(name, "service"), svcArgs, svcOpts...)
	if err != nil {
		return nil, err
	}
	if args.Autoscaling != nil {
		if err := s.autoscale(ctx, name, args); err != nil {
			return nil, err
		}
	}
	if err := ctx.RegisterResourceOutputs(s, pulumi.Map{"serviceName": s.Service.Name, "taskRoleArn": s.TaskRole.Arn,
		"deployedTaskDefinition": deployedCheck(args.ServiceName, s.Service.TaskDefinition, s.TaskDefinition.Arn)}); err != nil {
		return nil, err
	}
	return s, nil
}

// deployedCheck fails `pulumi up` when a service settled on another task
// definition than the one the program registered: with the circuit
// breaker's rollback, a failed deployment also reaches a steady state (on the
// previous revision), which waitForSteadyState reports as success
// (hashicorp/terraform-provider-aws#20858, open); the provider reads the
// service back after the wait, so its taskDefinition is then the old one.
func deployedCheck(service string, running pulumi.StringPtrOutput, registered pulumi.StringOutput) pulumi.StringOutput {
	return pulumi.All(running, registered).ApplyT(func(v []any) (string, error) {
		got, want := "", v[1].(string)
		if p, ok := v[0].(*string); ok && p != nil {
			got = *p
		}
		return got, CheckDeployed(service, got, want)
	}).(pulumi.StringOutput)
}

// CheckDeployed is deployedCheck's rule: the service runs the registered task
// definition, or the up fails naming the service.
func CheckDeployed(service, running, registered string) error {
	if running != registered {
		return fmt.Errorf("service %s did not reach a steady state on task definition %s: ECS rolled back to %s "+
			"(deployment circuit breaker). Its stopped tasks say why (aws ecs describe-tasks; docs/deployment.md, \"A failed deploy\")", service, registered, running)
	}
	return nil
}

// ScalableResourceID is the Application Auto Scaling ID of an ECS service.
func ScalableResourceID(clusterName, serviceName string) string {
	return fmt.Sprintf("service/%s/%s", clusterName, serviceName)
}

// autoscale tracks average CPU between the configured bounds.
func (s *Service) autoscale(ctx *pulumi.Context, name string, args ServiceArgs) error {
	as := *args.Autoscaling
	if as.TargetCPUPercent == 0 {
		as.TargetCPUPercent = DefaultTargetCPU
	}
	resourceID := pulumi.String(ScalableResourceID(args.ClusterName, args.ServiceName))
	target, err := appautoscaling.NewTarget(ctx, childName(name, "scaling-target"), &appautoscaling.TargetArgs{
		ServiceNamespace: pulumi.String("ecs"), ScalableDimension: pulumi.String("ecs:service:DesiredCount"),
		ResourceId: resourceID, MinCapacity: pulumi.Int(as.MinCount), MaxCapacity: pulumi.Int(as.MaxCount),
		Tags: MergeTags(args.Tags, childName(name, "scaling-target"), Tags{TagComponent: name}),
	}, pulumi.Parent(s), pulumi.DependsOn([]pulumi.Resource{s.Service}))
	if err != nil {
		return err
	}
	_, err = appautoscaling.NewPolicy(ctx, childName(name, "scaling-cpu"), &appautoscaling.PolicyArgs{
		PolicyType: pulumi.String("TargetTrackingScaling"), ServiceNamespace: target.ServiceNamespace,
		ScalableDimension: target.ScalableDimension, ResourceId: target.ResourceId,
		TargetTrackingScalingPolicyConfiguration: &appautoscaling.PolicyTargetTrackingScalingPolicyConfigurationArgs{
			TargetValue: pulumi.Float64(float64(as.TargetCPUPercent)),
			PredefinedMetricSpecification: &appautoscaling.PolicyTargetTrackingScalingPolicyConfigurationPredefinedMetricSpecificationArgs{
				PredefinedMetricType: pulumi.String("ECSServiceAverageCPUUtilization"),
			},
			ScaleInCooldown: pulumi.Int(120), ScaleOutCooldown: pulumi.Int(60),
		},
	}, pulumi.Parent(s))
	return err
}

// GuardDutyAgentRepositories host the GuardDuty Runtime Monitoring agent
// that ECS adds to every Fargate task once runtime monitoring is on; the
// task's execution role pulls it.
// https://docs.aws.amazon.com/guardduty/latest/ug/ecs-runtime-agent-ecr-image-uri.html
var GuardDutyAgentRepositories = map[string]string{
	"us-east-1": "arn:aws:ecr:us-east-1:593207742271:repository/aws-guardduty-agent-fargate",
	"us-west-2": "arn:aws:ecr:us-west-2:733349766148:repository/aws-guardduty-agent-fargate",
}

// ExecutionPolicy lets ECS pull one repository's images (none for public
// images) and the GuardDuty agent of the region, write one log group and
// read only the listed secrets.
// https://docs.aws.amazon.com/guardduty/latest/ug/prereq-runtime-monitoring-ecs-support.html
func ExecutionPolicy(region string, repositoryArns []string, logGroupArn string, secretArns []string) string {
	statements := []PolicyStatement{
		{Sid: "WriteLogs", Effect: "Allow", Action: []string{"logs:CreateLogStream", "logs:PutLogEvents"}, Resource: logGroupArn + ":*"},
		// GetAuthorizationToken has no resource-level permissions.
		{Sid: "ECRAuth", Effect: "Allow", Action: "ecr:GetAuthorizationToken", Resource: "*"},
	}
	if len(repositoryArns) > 0 {
		var res any = repositoryArns
		if len(repositoryArns) == 1 {
			res = repositoryArns[0]
		}
		statements = append(statements,
			PolicyStatement{Sid: "PullImage", Effect: "Allow", Action: []string{"ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage"}, Resource: res})
	}
	if agent, ok := GuardDutyAgentRepositories[region]; ok {
		statements = append(statements, PolicyStatement{Sid: "PullGuardDutyAgent", Effect: "Allow",
			Action: []string{"ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage"}, Resource: agent})
	}
	if len(secretArns) > 0 {
		statements = append(statements, PolicyStatement{Sid: "ReadSecrets", Effect: "Allow", Action: "secretsmanager:GetSecretValue", Resource: secretArns})
	}
	return PolicyJSON(statements...)
}

// ExecPolicy is what ECS Exec needs in the task: the SSM message channels,
// the logs CMK that encrypts sessions, and the cluster's session log group
// (logging OVERRIDE to an encrypted CloudWatch group).
// https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs-exec.html#ecs-exec-required-iam-permissions
func ExecPolicy(logsKeyArn, execLogGroupArn string) string {
	return PolicyJSON(
		PolicyStatement{Sid: "SSMChannels", Effect: "Allow", Action: []string{
			"ssmmessages:CreateControlChannel", "ssmmessages:CreateDataChannel",
			"ssmmessages:OpenControlChannel", "ssmmessages:OpenDataChannel",
		}, Resource: "*"},
		PolicyStatement{Sid: "SessionKey", Effect: "Allow", Action: []string{"kms:Decrypt", "kms:GenerateDataKey"}, Resource: logsKeyArn},
		// DescribeLogGroups has no resource-level permissions.
		PolicyStatement{Sid: "FindSessionLogGroup", Effect: "Allow", Action: "logs:DescribeLogGroups", Resource: "*"},
		PolicyStatement{Sid: "WriteSessionLogs", Effect: "Allow", Action: []string{"logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"},
			Resource: execLogGroupArn + ":*"},
	)
}

// portName names the container port for Service Connect.
const portName = "main"

// ContainerDefinitions renders the task's single container as ECS JSON.
func ContainerDefinitions(a ServiceArgs, image, logGroup string, secrets map[string]string) (string, error) {
	type kv struct {
		Name  string `json:"name"`
		Value string `json:"value,omitempty"`
		From  string `json:"valueFrom,omitempty"`
	}
	c := map[string]any{
		"name":      a.ServiceName,
		"image":     image,
		"essential": true,
		"logConfiguration": map[string]any{"logDriver": "awslogs", "options": map[string]string{
			"awslogs-group": logGroup, "awslogs-region": a.Region, "awslogs-stream-prefix": a.ServiceName,
		}},
		// An init process reaps zombies and is what ECS Exec needs.
		"linuxParameters": map[string]any{"initProcessEnabled": true},
		// Nothing writes into the image: the paths the image writes are
		// volumes (WritablePaths), everything else is read-only.
		"readonlyRootFilesystem": true,
		"mountPoints":            mountPoints(a.ServiceName, a.writablePaths()),
	}
	if a.ContainerPort > 0 && a.tlsProxyImage == "" {
		c["portMappings"] = []map[string]any{{"containerPort": a.ContainerPort, "protocol": "tcp", "name": portName}}
	}
	if a.tlsProxyImage != "" {
		// The application serves plain HTTP on localhost:AppPort only to the
		// proxy beside it; nothing outside the task can reach that port
		// (the security group admits ContainerPort alone).
		// HOSTNAME: a Next.js standalone server binds process.env.HOSTNAME,
		// which the container runtime sets to the task's own host name (its
		// ENI address under awsvpc), not the loopback the proxy dials; set
		// explicitly, the task definition's value wins.
		// https://nextjs.org/docs/app/api-reference/config/next-config-js/output#automatically-copying-traced-files
		env := map[string]string{"PORT": fmt.Sprint(a.AppPort), "HOSTNAME": appLoopback}
		for k, v := range a.Environment {
			env[k] = v
		}
		a.Environment = env
	}
	if len(a.EntryPoint) > 0 {
		c["entryPoint"] = a.EntryPoint
	}
	if len(a.Command) > 0 {
		c["command"] = a.Command
	}
	var env, sec []kv
	for _, k := range sortedKeys(a.Environment) {
		env = append(env, kv{Name: k, Value: a.Environment[k]})
	}
	names := make([]string, 0, len(secrets))
	for k := range secrets {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		sec = append(sec, kv{Name: k, From: secrets[k]})
	}
	if env != nil {
		c["environment"] = env
	}
	if sec != nil {
		c["secrets"] = sec
	}
	containers := []any{c}
	var inits []map[string]string
	for _, sc := range a.Sidecars {
		side := map[string]any{
			"name": sc.Name, "image": sc.Image, "essential": sc.Essential,
			"readonlyRootFilesystem": true, "mountPoints": mountPoints(sc.Name, sc.writablePaths()),
			"logConfiguration": map[string]any{"logDriver": "awslogs", "options": map[string]string{
				"awslogs-group": logGroup, "awslogs-region": a.Region, "awslogs-stream-prefix": a.ServiceName + "-" + sc.Name,
			}},
		}
		if sc.Init {
			// The main container starts only once this one has exited 0
			// (ECS container dependency condition SUCCESS); it sees what the
			// main container sees.
			inits = append(inits, map[string]string{"containerName": sc.Name, "condition": "SUCCESS"})
			if env != nil {
				side["environment"] = env
			}
			if sec != nil {
				side["secrets"] = sec
			}
		} else {
			side["dependsOn"] = []map[string]string{{"containerName": a.ServiceName, "condition": "START"}}
			var own []kv
			for _, k := range sortedKeys(sc.Environment) {
				own = append(own, kv{Name: k, Value: sc.Environment[k]})
			}
			if own != nil {
				side["environment"] = own
			}
		}
		if len(sc.EntryPoint) > 0 {
			side["entryPoint"] = sc.EntryPoint
		}
		if len(sc.Command) > 0 {
			side["command"] = sc.Command
		}
		if len(sc.HealthCheck) > 0 {
			side["healthCheck"] = map[string]any{"command": append([]string{"CMD-SHELL"}, sc.HealthCheck...),
				"interval": 30, "timeout": 10, "retries": 3, "startPeriod": healthStartPeriodSeconds}
		}
		containers = append(containers, side)
	}
	if inits != nil {
		c["dependsOn"] = inits
	}
	if a.tlsProxyImage != "" {
		containers = append(containers, map[string]any{
			"name": TLSProxyContainer, "image": a.tlsProxyImage, "essential": true,
			"portMappings": []map[string]any{{"containerPort": a.ContainerPort, "protocol": "tcp", "name": portName}},
			"environment": []kv{
				{Name: "LISTEN_PORT", Value: fmt.Sprint(a.ContainerPort)},
				{Name: "UPSTREAM", Value: fmt.Sprintf("http://%s:%d", appLoopback, a.AppPort)},
			},
			"readonlyRootFilesystem": true,
			"mountPoints":            []map[string]any{},
			"dependsOn":              []map[string]string{{"containerName": a.ServiceName, "condition": "START"}},
			"logConfiguration": map[string]any{"logDriver": "awslogs", "options": map[string]string{
				"awslogs-group": logGroup, "awslogs-region": a.Region, "awslogs-stream-prefix": a.ServiceName + "-" + TLSProxyContainer,
			}},
		})
	}
	b, err := json.Marshal(containers)
	return string(b), err
}

// TLSProxyContainer names the tls-proxy container, the load balancer's
// target in a task with TLSProxyImage.
const TLSProxyContainer = "tls-proxy"

// DefaultAppPortBehindProxy is where an application listens behind the
// tls-proxy (its PORT).
const DefaultAppPortBehindProxy = 3000

// appLoopback is where the application listens behind the proxy and where
// the proxy dials it: one address for both sides of the task.
const appLoopback = "127.0.0.1"

// targetContainer is the container the load balancer sends to.
func (a ServiceArgs) targetContainer() string {
	if a.TLSProxyImage != nil {
		return TLSProxyContainer
	}
	return a.ServiceName
}

// Sidecar is a helper container of a task: it shares the task's network
// (localhost reaches the main container) and may exit when done. An Init
// sidecar runs first, with the main container's environment and secrets,
// and the main container starts only if it succeeds.
type Sidecar struct {
	Name, Image         string
	EntryPoint, Command []string
	Init                bool
	// Essential stops the task when the sidecar stops; with a HealthCheck,
	// the task is healthy only while the check passes, and a service's
	// steady state waits for that.
	Essential bool
	// HealthCheck is a shell command (CMD-SHELL) that exits 0 when healthy.
	HealthCheck []string
	// WritablePaths are the directories it writes (besides /tmp).
	WritablePaths []string
	// Environment is a non-init sidecar's own settings (never secrets).
	Environment map[string]string
}

// healthStartPeriodSeconds is the grace before a failing health check
// counts: the most ECS allows (300 s), for a first schema setup.
const healthStartPeriodSeconds = 300

// tmpPath is writable in every container (runtimes put temporary files there).
const tmpPath = "/tmp"

func (sc Sidecar) writablePaths() []string { return withTmp(sc.WritablePaths) }

func (a ServiceArgs) writablePaths() []string { return withTmp(a.WritablePaths) }

func withTmp(paths []string) []string {
	out := []string{tmpPath}
	for _, p := range paths {
		if p != tmpPath {
			out = append(out, p)
		}
	}
	return out
}

// volumeName names a container's task volume mounted at a path ("schema",
// "/tmp" -> "schema-tmp"): one volume per container and path, so no
// container sees what another writes (the server's rendered configuration
// holds its database password).
func volumeName(container, path string) string {
	return container + "-" + strings.ReplaceAll(strings.Trim(path, "/"), "/", "-")
}

func mountPoints(container string, paths []string) []map[string]any {
	out := []map[string]any{}
	for _, p := range paths {
		out = append(out, map[string]any{"sourceVolume": volumeName(container, p), "containerPath": p, "readOnly": false})
	}
	return out
}

// taskVolumes are the task's volumes: one empty bind mount (Fargate
// ephemeral storage) per writable path of each container. An image that
// declares VOLUME at the same path has its content there copied into it
// ("Use bind mounts with Amazon ECS").
// https://docs.aws.amazon.com/AmazonECS/latest/developerguide/bind-mounts.html
func (a ServiceArgs) taskVolumes() []string {
	seen := map[string]bool{}
	var out []string
	add := func(container string, paths []string) {
		for _, p := range paths {
			if n := volumeName(container, p); !seen[n] {
				seen[n] = true
				out = append(out, n)
			}
		}
	}
	add(a.ServiceName, a.writablePaths())
	for _, sc := range a.Sidecars {
		add(sc.Name, sc.writablePaths())
	}
	sort.Strings(out)
	return out
}

func taskVolumeArgs(names []string) ecs.TaskDefinitionVolumeArray {
	out := ecs.TaskDefinitionVolumeArray{}
	for _, n := range names {
		out = append(out, ecs.TaskDefinitionVolumeArgs{Name: pulumi.String(n)})
	}
	return out
}

// stringsOf reads a resolved string array (nil when empty).
func stringsOf(v any) []string {
	s, _ := v.([]string)
	return s
}

// strategyKey is a stable text form of a capacity strategy ("cluster
// default" when unset).
func strategyKey(c CapacityStrategy) string {
	if c.IsZero() {
		return "cluster-default"
	}
	return fmt.Sprintf("FARGATE base=%d weight=%d; FARGATE_SPOT weight=%d", c.OnDemandBase, c.OnDemandWeight, c.SpotWeight)
}
