package cost

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/docustack/infrastructure/internal/synth"
	"github.com/docustack/infrastructure/platform"
)

// HoursPerMonth is an average month (8,760 / 12).
const HoursPerMonth = 730

// weeksPerMonth is an average month in weeks (52.143 / 12).
const weeksPerMonth = 4.345

// Line is one priced (or unpriced) item of the estimate.
type Line struct {
	Component string  `json:"component"`
	Resource  string  `json:"resource"`
	Type      string  `json:"type"`
	Item      string  `json:"item"`
	Quantity  float64 `json:"quantity"`
	Unit      string  `json:"unit"`
	UnitUSD   float64 `json:"unitUsd"`
	USD       float64 `json:"usd"`
	Note      string  `json:"note,omitempty"`
}

// Variant switches the cost optimizations off, to price what they save.
type Variant struct {
	NoScheduler bool
	NoSpot      bool
}

// Estimate is a stack's monthly estimate.
type Estimate struct {
	Stack     string             `json:"stack"`
	Lines     []Line             `json:"lines"`
	Unpriced  []string           `json:"unpriced"`
	TotalUSD  float64            `json:"totalUsd"`
	Variant   Variant            `json:"-"`
	Hours     Hours              `json:"hours"`
	Component map[string]float64 `json:"byComponent"`
}

// Hours are the running hours per month the estimate uses.
type Hours struct {
	// Services and Database run these hours (730, or the scheduler's on-hours).
	Services, Database float64
}

// free are resource types that cost nothing by themselves.
var free = map[string]string{}

func init() {
	for _, t := range []string{
		"aws:ec2/vpc:Vpc", "aws:ec2/subnet:Subnet", "aws:ec2/routeTable:RouteTable", "aws:ec2/route:Route",
		"aws:ec2/routeTableAssociation:RouteTableAssociation", "aws:ec2/internetGateway:InternetGateway",
		"aws:ec2/networkAcl:NetworkAcl", "aws:ec2/securityGroup:SecurityGroup", "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup",
		"aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
		"aws:kms/alias:Alias", "aws:iam/role:Role", "aws:iam/rolePolicyAttachment:RolePolicyAttachment", "aws:iam/instanceProfile:InstanceProfile", "aws:iam/serviceLinkedRole:ServiceLinkedRole",
		"aws:iam/openIdConnectProvider:OpenIdConnectProvider", "aws:ecs/clusterCapacityProviders:ClusterCapacityProviders",
		"aws:ecs/taskDefinition:TaskDefinition", "aws:ecr/lifecyclePolicy:LifecyclePolicy", "aws:lb/targetGroup:TargetGroup",
		"aws:lb/listener:Listener", "aws:acm/certificate:Certificate", "aws:acm/certificateValidation:CertificateValidation",
		"aws:route53/record:Record", "aws:wafv2/webAclAssociation:WebAclAssociation", "aws:wafv2/ipSet:IpSet",
		"aws:rds/subnetGroup:SubnetGroup", "aws:rds/parameterGroup:ParameterGroup", "aws:rds/clusterParameterGroup:ClusterParameterGroup",
		"aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
		"aws:s3/bucketVersioningV2:BucketVersioningV2", "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
		"aws:s3/bucketObjectLockConfigurationV2:BucketObjectLockConfigurationV2", "aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2",
		"aws:s3/bucketPolicy:BucketPolicy", "aws:s3/bucketLoggingV2:BucketLoggingV2", "aws:s3/bucketReplicationConfig:BucketReplicationConfig",
		"aws:s3/bucketObjectv2:BucketObjectv2", "aws:ec2/launchTemplate:LaunchTemplate", "aws:appautoscaling/target:Target",
		"aws:appautoscaling/policy:Policy", "aws:scheduler/scheduleGroup:ScheduleGroup", "aws:cfg/deliveryChannel:DeliveryChannel",
		"aws:cfg/recorderStatus:RecorderStatus", "aws:cfg/remediationConfiguration:RemediationConfiguration",
		"aws:cloudwatch/logMetricFilter:LogMetricFilter", "aws:cloudwatch/eventRule:EventRule", "aws:cloudwatch/eventTarget:EventTarget",
		"aws:sns/topic:Topic", "aws:sns/topicPolicy:TopicPolicy", "aws:sns/topicSubscription:TopicSubscription",
		"aws:guardduty/detectorFeature:DetectorFeature", "aws:securityhub/standardsSubscription:StandardsSubscription",
		"aws:backup/vaultLockConfiguration:VaultLockConfiguration", "aws:backup/selection:Selection", "aws:backup/vault:Vault",
		"aws:organizations/policy:Policy", "aws:organizations/policyAttachment:PolicyAttachment",
		"aws:scheduler/scheduleGroup:ScheduleGroup", "aws:cfg/rule:Rule",
		"aws:iam/accountPasswordPolicy:AccountPasswordPolicy", "aws:ebs/encryptionByDefault:EncryptionByDefault", "aws:account/alternativeContact:AlternativeContact",
		"aws:s3/accountPublicAccessBlock:AccountPublicAccessBlock",
	} {
		free[t] = "no charge of its own"
	}
	free["aws:lambda/function:Function"] = "runs only on deploy: within the Lambda free tier"
	free["aws:lambda/invocation:Invocation"] = "runs only on deploy: within the Lambda free tier"
	free["aws:scheduler/schedule:Schedule"] = "a few hundred invocations a month: within the 14M free"
	free["aws:secretsmanager/secretVersion:SecretVersion"] = "priced with its secret"
	// Custom Automation runbooks are free to store; Automation's steps are
	// free within 100,000 a month, and the remediation runs only when a
	// trail is missing. https://aws.amazon.com/systems-manager/pricing/
	free["aws:ssm/document:Document"] = "storing a runbook is free; its rare remediation runs are within Automation's free steps"
}

// estimator accumulates lines.
type estimator struct {
	plan   *synth.Plan
	cfg    *platform.Config
	prices *Prices
	a      platform.CostAssumptions
	v      Variant
	h      Hours
	out    *Estimate
}

// Run prices a plan.
func Run(plan *synth.Plan, cfg *platform.Config, prices *Prices, v Variant) *Estimate {
	e := &estimator{plan: plan, cfg: cfg, prices: prices, a: cfg.Assumptions(), v: v,
		out: &Estimate{Stack: plan.Stack, Variant: v, Component: map[string]float64{}}}
	e.h = e.hours()
	e.out.Hours = e.h
	for _, r := range plan.Resources {
		if !r.Custom || strings.HasPrefix(r.Type, "pulumi:providers:") {
			continue
		}
		e.resource(r)
	}
	sort.SliceStable(e.out.Lines, func(i, j int) bool {
		if e.out.Lines[i].Component != e.out.Lines[j].Component {
			return e.out.Lines[i].Component < e.out.Lines[j].Component
		}
		return e.out.Lines[i].Resource < e.out.Lines[j].Resource
	})
	for _, l := range e.out.Lines {
		e.out.TotalUSD += l.USD
		e.out.Component[l.Component] += l.USD
	}
	sort.Strings(e.out.Unpriced)
	return e.out
}

// hours are the services' and database's monthly running hours.
func (e *estimator) hours() Hours {
	s := e.cfg.Scheduler
	if e.v.NoScheduler || !s.Enabled || !e.cfg.Environment.IsWorkload() {
		return Hours{HoursPerMonth, HoursPerMonth}
	}
	stop, start := clock(orDefault(s.StopAt, "20:00")), clock(orDefault(s.StartAt, "07:00"))
	days := weekDays(orDefault(s.Days, "MON-FRI")) * weeksPerMonth
	// Services start 15 minutes after the database and stop 15 minutes before it.
	return Hours{Services: (stop - start - 0.25) * days, Database: (stop - start + 0.25) * days}
}

func orDefault(v, d string) string {
	if v == "" {
		return d
	}
	return v
}

func clock(s string) float64 {
	h, _ := strconv.Atoi(s[:2])
	m, _ := strconv.Atoi(s[3:])
	return float64(h) + float64(m)/60
}

var dayIndex = map[string]int{"MON": 0, "TUE": 1, "WED": 2, "THU": 3, "FRI": 4, "SAT": 5, "SUN": 6}

// weekDays counts the days of a cron day-of-week field ("MON-FRI" = 5).
func weekDays(expr string) float64 {
	n := 0
	for _, part := range strings.Split(expr, ",") {
		if a, b, ok := strings.Cut(part, "-"); ok {
			n += dayIndex[b] - dayIndex[a] + 1
		} else {
			n++
		}
	}
	return float64(n)
}

// component is the name of a resource's component.
func (e *estimator) component(r synth.Resource) string {
	if p, ok := e.plan.ByURN(r.Parent); ok {
		return p.Name
	}
	return "(stack)"
}

// add prices quantity × price key.
func (e *estimator) add(r synth.Resource, item string, qty float64, key, note string) {
	price, ok := e.prices.usd(key)
	if !ok {
		e.out.Unpriced = append(e.out.Unpriced, fmt.Sprintf("%s (%s): no price %q in the table", r.Name, r.Type, key))
		return
	}
	e.out.Lines = append(e.out.Lines, Line{Component: e.component(r), Resource: r.Name, Type: r.Type, Item: item,
		Quantity: round(qty), Unit: e.prices.Prices[key].Unit, UnitUSD: price, USD: round(qty * price), Note: note})
}

// addUSD adds a line already in dollars (a discount or a derived figure).
func (e *estimator) addUSD(r synth.Resource, item string, usd float64, note string) {
	e.out.Lines = append(e.out.Lines, Line{Component: e.component(r), Resource: r.Name, Type: r.Type, Item: item, Quantity: 1,
		Unit: "month", UnitUSD: round(usd), USD: round(usd), Note: note})
}

func round(v float64) float64 { return math.Round(v*100) / 100 }
