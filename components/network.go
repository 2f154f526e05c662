package components

import (
	"errors"
	"fmt"
	"net/netip"
	"regexp"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Tier is a subnet tier (seed, Network Security: Architecture).
type Tier string

// Subnet tiers.
const (
	// TierPublic holds load balancers and NAT gateways only.
	TierPublic Tier = "public"
	// TierPrivate holds ECS tasks and Lambdas; no public IPs; egress via NAT.
	TierPrivate Tier = "private"
	// TierDatabase is isolated: no route to a NAT or internet gateway.
	TierDatabase Tier = "database"
)

// Tiers lists the tiers in registration order.
var Tiers = []Tier{TierPublic, TierPrivate, TierDatabase}

// TagTier is set on subnets, route tables and NACLs; policy checks read it.
const TagTier = "Tier"

// NATStrategy decides how many NAT gateways the private tier egresses through.
type NATStrategy string

// NAT strategies.
const (
	// NATSingle shares one NAT gateway (cheaper; an AZ failure cuts egress).
	NATSingle NATStrategy = "single"
	// NATPerAZ gives each AZ its own NAT gateway (survives an AZ failure).
	NATPerAZ NATStrategy = "per-az"
	// NATInstance routes egress through one small Graviton instance: a tenth
	// of a NAT gateway's price, for dev; it is a single instance we patch.
	NATInstance NATStrategy = "instance"
)

// Valid reports whether s is a known strategy.
func (s NATStrategy) Valid() bool { return s == NATSingle || s == NATPerAZ || s == NATInstance }

// Network defaults.
const (
	// DefaultNATStrategy survives the loss of an AZ (seed RTO: Multi-AZ).
	DefaultNATStrategy = NATPerAZ
	// MinAvailabilityZones: every tier spans at least two AZs (Multi-AZ RDS needs it).
	MinAvailabilityZones = 2
	// DefaultApplicationPort is where ECS tasks listen (seed: ECS 8080 from ALB SG).
	DefaultApplicationPort = 8080
	// DefaultDatabasePort is PostgreSQL (seed: RDS 5432 from ECS SG).
	DefaultDatabasePort = 5432
	// HTTPSPort is the only port open to the internet (seed: ALB 443 from 0.0.0.0/0).
	HTTPSPort = 443
	// flowLogAggregationSeconds is the cheaper of the two intervals AWS offers.
	flowLogAggregationSeconds = 600
)

// anywhere is the IPv4 internet.
const anywhere = "0.0.0.0/0"

var azPattern = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9][a-z]$`)

// NetworkArgs configures the VPC, its tiers, endpoints, security groups and
// flow logs.
type NetworkArgs struct {
	// Region the VPC lives in; endpoint service names and AZ names derive from it. Required.
	Region string
	// AccountID is the account whose principals the VPC endpoint policies
	// admit, and whose resources the S3 gateway admits besides the AWS-owned
	// buckets the platform needs (the data perimeter). Required: 12 digits.
	AccountID string
	// VpcCidr is the VPC block. Required: a private (RFC 1918) /16, e.g. "10.0.0.0/16".
	VpcCidr string
	// AvailabilityZones are pinned AZ names, one subnet per tier in each.
	// Required: at least 2, unique, in Region.
	AvailabilityZones []string
	// PublicSubnets are the public tier's blocks, index i in AvailabilityZones[i].
	// Required: one per AZ, inside VpcCidr, no overlap.
	PublicSubnets []string
	// PrivateSubnets are the private tier's blocks. Required as PublicSubnets.
	PrivateSubnets []string
	// DatabaseSubnets are the isolated tier's blocks. Required as PublicSubnets.
	DatabaseSubnets []string
	// NATStrategy is "single", "per-az" or "instance". Default: "per-az".
	NATStrategy NATStrategy
	// InterfaceEndpoints are the PrivateLink services reached without internet.
	// Default: DefaultInterfaceEndpoints.
	InterfaceEndpoints []string
	// EndpointAZCount places interface endpoints in the first N private subnets.
	// Each AZ costs about $7/month per endpoint. Default: all AZs. Range 1..len(AvailabilityZones).
	EndpointAZCount int
	// ApplicationPort is the port ECS tasks listen on. Default: 8080. Range 1..65535.
	ApplicationPort int
	// DatabasePort is the database listener. Default: 5432. Range 1..65535.
	DatabasePort int
	// NATInstanceType is the NAT instance's (Graviton) type. Default: t4g.nano.
	NATInstanceType string
	// NATInstanceKMSKeyArn encrypts the NAT instance's root volume. Required with NATInstance.
	NATInstanceKMSKeyArn pulumi.StringInput
	// FlowLogDestination is the S3 ARN (with prefix) for VPC flow logs. Required (checked by NewNetwork).
	FlowLogDestination pulumi.StringInput
	// FlowLogAfter are what the flow log waits for (the archive's bucket
	// policy: log delivery checks it when the flow log is created).
	FlowLogAfter []pulumi.Resource
	// Tags are the stack tags. Required: every key of StackTagKeys.
	Tags Tags
}

func (a *NetworkArgs) setDefaults() {
	if a.NATStrategy == "" {
		a.NATStrategy = DefaultNATStrategy
	}
	if len(a.InterfaceEndpoints) == 0 {
		a.InterfaceEndpoints = DefaultInterfaceEndpoints
	}
	if a.EndpointAZCount == 0 {
		a.EndpointAZCount = len(a.AvailabilityZones)
	}
	if a.ApplicationPort == 0 {
		a.ApplicationPort = DefaultApplicationPort
	}
	if a.DatabasePort == 0 {
		a.DatabasePort = DefaultDatabasePort
	}
}

// subnets returns the tier's configured blocks.
func (a NetworkArgs) subnets(t Tier) []string {
	switch t {
	case TierPublic:
		return a.PublicSubnets
	case TierPrivate:
		return a.PrivateSubnets
	default:
		return a.DatabaseSubnets
	}
}

// tierField is the Args field (and config key) that holds a tier's blocks.
func tierField(t Tier) string { return string(t) + "Subnets" }

// Validate reports every invalid field at once.
func (a NetworkArgs) Validate() error {
	a.setDefaults()
	var errs []error
	add := func(err error) { errs = append(errs, err) }

	if a.Region == "" {
		add(fieldErr("region", a.Region, "an AWS region such as us-east-1"))
	}
	if !accountIDPattern.MatchString(a.AccountID) {
		add(fieldErr("accountId", a.AccountID, "a 12-digit AWS account ID"))
	}
	vpc, err := parseCanonical(a.VpcCidr)
	vpcOK := err == nil && isPrivate(vpc) && vpc.Bits() == VPCPrefixLength
	if !vpcOK {
		add(fieldErr("vpcCidr", a.VpcCidr, "a private /%d (inside 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16)", VPCPrefixLength))
	}

	if len(a.AvailabilityZones) < MinAvailabilityZones {
		add(fieldErr("availabilityZones", a.AvailabilityZones, "at least %d availability zones", MinAvailabilityZones))
	}
	seenAZ := map[string]bool{}
	for i, az := range a.AvailabilityZones {
		field := fmt.Sprintf("availabilityZones[%d]", i)
		switch {
		case !azPattern.MatchString(az) || a.Region != "" && !strings.HasPrefix(az, a.Region):
			add(fieldErr(field, az, "an availability zone of %s such as %sa", a.Region, a.Region))
		case seenAZ[az]:
			add(fieldErr(field, az, "each availability zone once"))
		}
		seenAZ[az] = true
	}

	type block struct {
		field  string
		prefix netip.Prefix
	}
	var blocks []block
	for _, t := range Tiers {
		cidrs := a.subnets(t)
		if len(cidrs) != len(a.AvailabilityZones) {
			add(fieldErr(tierField(t), cidrs, "%d blocks, one per availability zone %q", len(a.AvailabilityZones), a.AvailabilityZones))
		}
		for i, s := range cidrs {
			field := fmt.Sprintf("%s[%d]", tierField(t), i)
			p, err := parseCanonical(s)
			if err != nil {
				add(fieldErr(field, s, "an IPv4 CIDR block (%v)", err))
				continue
			}
			if vpcOK && !contains(vpc, p) {
				add(fieldErr(field, s, "a block inside the VPC %s", a.VpcCidr))
				continue
			}
			if p.Bits() > maxSubnetPrefix || p.Bits() < minSubnetPrefix {
				add(fieldErr(field, s, "a /%d to /%d block", minSubnetPrefix, maxSubnetPrefix))
				continue
			}
			for _, b := range blocks {
				if b.prefix.Overlaps(p) {
					add(fieldErr(field, s, "a block that does not overlap %s (%s)", b.field, b.prefix))
				}
			}
			blocks = append(blocks, block{field, p})
		}
	}

	if !a.NATStrategy.Valid() {
		add(fieldErr("natStrategy", string(a.NATStrategy), "%q, %q or %q", NATSingle, NATPerAZ, NATInstance))
	}
	if a.NATStrategy == NATInstance && a.NATInstanceType != "" && !gravitonType.MatchString(a.NATInstanceType) {
		add(fieldErr("natInstanceType", a.NATInstanceType, "a Graviton (arm64) type such as %s", DefaultBastionType))
	}
	if a.EndpointAZCount < 1 || a.EndpointAZCount > len(a.AvailabilityZones) {
		add(fieldErr("endpointAzCount", a.EndpointAZCount, "1..%d (the number of availability zones)", len(a.AvailabilityZones)))
	}
	seenEndpoint := map[string]bool{}
	for i, e := range a.InterfaceEndpoints {
		if !endpointPattern.MatchString(e) || seenEndpoint[e] {
			add(fieldErr(fmt.Sprintf("interfaceEndpoints[%d]", i), e, "a distinct AWS service suffix such as \"ecr.api\""))
		}
		seenEndpoint[e] = true
	}
	for field, port := range InOrder(map[string]int{"applicationPort": a.ApplicationPort, "databasePort": a.DatabasePort}) {
		if port < 1 || port > 65535 {
			add(fieldErr(field, port, "a TCP port 1..65535"))
		}
	}
	add(validateStackTags("tags", a.Tags))
	return errors.Join(errs...)
}

// Network is the VPC with its three tiers and everything that guards them.
type Network struct {
	pulumi.ResourceState

	// Vpc is the VPC.
	Vpc *ec2.Vpc
	// Subnets by tier, index i in AvailabilityZones[i].
	Subnets map[Tier][]*ec2.Subnet
	// SecurityGroups by role (seed, Security Groups).
	SecurityGroups SecurityGroups
	// NatGateways, one or one per AZ (none with NATInstance).
	NatGateways []*ec2.NatGateway
	// NatInstance is set with NATInstance.
	NatInstance *ec2.Instance
}

// SubnetIDs returns a tier's subnet IDs as one output.
func (n *Network) SubnetIDs(t Tier) pulumi.StringArrayOutput {
	ids := pulumi.StringArray{}
	for _, s := range n.Subnets[t] {
		ids = append(ids, s.ID().ToStringOutput())
	}
	return ids.ToStringArrayOutput()
}

// NewNetwork creates the VPC (seed, Network Security): public, private and
// isolated database tiers over the given AZs, an internet gateway, NAT per
// the strategy, route tables and NACLs per tier, the default security group
// stripped, VPC endpoints, the security-group matrix and flow logs to S3.
func NewNetwork(ctx *pulumi.Context, name string, args NetworkArgs, opts ...pulumi.ResourceOption) (*Network, error) {
	args.setDefaults()
	err := args.Validate()
	if args.FlowLogDestination == nil {
		err = errors.Join(err, fieldErr("flowLogDestination", "", "the S3 ARN of the log archive"))
	}
	if args.NATStrategy == NATInstance && args.NATInstanceKMSKeyArn == nil {
		err = errors.Join(err, fieldErr("natInstanceKmsKeyArn", "", "the EBS key for the NAT instance's root volume"))
	}
	if err != nil {
		return nil, err
	}
	n := &Network{Subnets: map[Tier][]*ec2.Subnet{}}
	if err := ctx.RegisterComponentResource(TypeNetwork, name, n, opts...); err != nil {
		return nil, err
	}
	b := &networkBuilder{ctx: ctx, name: name, args: args, n: n, parent: pulumi.Parent(n)}
	for _, step := range []func() error{
		b.vpc, b.subnets, b.internetEgress, b.routeTables, b.acls, b.securityGroups, b.endpoints, b.flowLogs,
	} {
		if err := step(); err != nil {
			return nil, err
		}
	}
	outputs := pulumi.Map{"vpcId": n.Vpc.ID()}
	for _, t := range Tiers {
		outputs[string(t)+"SubnetIds"] = n.SubnetIDs(t)
	}
	for role, sg := range n.SecurityGroups.byRole() {
		outputs[role+"SecurityGroupId"] = sg.ID()
	}
	if err := ctx.RegisterResourceOutputs(n, outputs); err != nil {
		return nil, err
	}
	return n, nil
}

// networkBuilder carries what the construction steps share.
type networkBuilder struct {
	ctx    *pulumi.Context
	name   string
	args   NetworkArgs
	n      *Network
	parent pulumi.ResourceOption

	igw           *ec2.InternetGateway
	privateTables []*ec2.RouteTable
}

func (b *networkBuilder) tags(child string, extra ...Tags) pulumi.StringMap {
	return MergeTags(b.args.Tags, child, append([]Tags{{TagComponent: b.name}}, extra...)...)
}

func (b *networkBuilder) vpc() error {
	name := childName(b.name, "vpc")
	vpc, err := ec2.NewVpc(b.ctx, name, &ec2.VpcArgs{
		CidrBlock:          pulumi.String(b.args.VpcCidr),
		EnableDnsHostnames: pulumi.Bool(true), // required by interface endpoints' private DNS
		EnableDnsSupport:   pulumi.Bool(true),
		Tags:               b.tags(name),
	}, b.parent)
	if err != nil {
		return err
	}
	b.n.Vpc = vpc
	// Adopting the default security group with no rules strips AWS's
	// allow-all defaults, so nothing can silently fall back on it.
	_, err = ec2.NewDefaultSecurityGroup(b.ctx, childName(b.name, "default-sg"), &ec2.DefaultSecurityGroupArgs{
		VpcId: vpc.ID(),
		Tags:  b.tags(childName(b.name, "default-sg"), Tags{"Purpose": "unused: all rules removed"}),
	}, b.parent)
	return err
}

func (b *networkBuilder) subnets() error {
	for _, t := range Tiers {
		for i, cidr := range b.args.subnets(t) {
			name := childName(b.name, string(t), i)
			s, err := ec2.NewSubnet(b.ctx, name, &ec2.SubnetArgs{
				VpcId:            b.n.Vpc.ID(),
				CidrBlock:        pulumi.String(cidr),
				AvailabilityZone: pulumi.String(b.args.AvailabilityZones[i]),
				// No tier hands out public IPs: the ALB and NAT use their own addresses.
				MapPublicIpOnLaunch: pulumi.Bool(false),
				Tags:                b.tags(name, Tags{TagTier: string(t)}),
			}, b.parent)
			if err != nil {
				return err
			}
			b.n.Subnets[t] = append(b.n.Subnets[t], s)
		}
	}
	return nil
}

// natCount is how many NAT gateways the strategy needs.
func (a NetworkArgs) natCount() int {
	if a.NATStrategy == NATSingle {
		return 1
	}
	return len(a.AvailabilityZones)
}

func (b *networkBuilder) internetEgress() error {
	igwName := childName(b.name, "igw")
	igw, err := ec2.NewInternetGateway(b.ctx, igwName, &ec2.InternetGatewayArgs{
		VpcId: b.n.Vpc.ID(),
		Tags:  b.tags(igwName),
	}, b.parent)
	if err != nil {
		return err
	}
	b.igw = igw
	if b.args.NATStrategy == NATInstance {
		return b.natInstance()
	}
	for i := 0; i < b.args.natCount(); i++ {
		eipName := childName(b.name, "nat-eip", i)
		eip, err := ec2.NewEip(b.ctx, eipName, &ec2.EipArgs{
			Domain: pulumi.String("vpc"),
			Tags:   b.tags(eipName),
		}, b.parent, pulumi.DependsOn([]pulumi.Resource{igw}))
		if err != nil {
			return err
		}
		natName := childName(b.name, "nat", i)
		nat, err := ec2.NewNatGateway(b.ctx, natName, &ec2.NatGatewayArgs{
			AllocationId:     eip.ID(),
			SubnetId:         b.n.Subnets[TierPublic][i].ID(),
			ConnectivityType: pulumi.String("public"),
			Tags:             b.tags(natName),
		}, b.parent)
		if err != nil {
			return err
		}
		b.n.NatGateways = append(b.n.NatGateways, nat)
	}
	return nil
}

// routeTables: one public table routed to the internet gateway, one private
// table per AZ routed to its NAT (or the single NAT), and one database table
// with only the implicit local route.
func (b *networkBuilder) routeTables() error {
	table := func(name string, t Tier) (*ec2.RouteTable, error) {
		return ec2.NewRouteTable(b.ctx, name, &ec2.RouteTableArgs{
			VpcId: b.n.Vpc.ID(),
			Tags:  b.tags(name, Tags{TagTier: string(t)}),
		}, b.parent)
	}
	associate := func(t Tier, i int, rt *ec2.RouteTable) error {
		_, err := ec2.NewRouteTableAssociation(b.ctx, childName(b.name, string(t)+"-rta", i), &ec2.RouteTableAssociationArgs{
			SubnetId:     b.n.Subnets[t][i].ID(),
			RouteTableId: rt.ID(),
		}, b.parent)
		return err
	}

	public, err := table(childName(b.name, "public-rt"), TierPublic)
	if err != nil {
		return err
	}
	if _, err := ec2.NewRoute(b.ctx, childName(b.name, "public-internet"), &ec2.RouteArgs{
		RouteTableId:         public.ID(),
		DestinationCidrBlock: pulumi.String(anywhere),
		GatewayId:            b.igw.ID(),
	}, b.parent); err != nil {
		return err
	}
	for i := range b.n.Subnets[TierPublic] {
		if err := associate(TierPublic, i, public); err != nil {
			return err
		}
	}

	for i := range b.n.Subnets[TierPrivate] {
		rt, err := table(childName(b.name, "private-rt", i), TierPrivate)
		if err != nil {
			return err
		}
		route := &ec2.RouteArgs{RouteTableId: rt.ID(), DestinationCidrBlock: pulumi.String(anywhere)}
		if b.n.NatInstance != nil {
			route.NetworkInterfaceId = b.n.NatInstance.PrimaryNetworkInterfaceId
		} else {
			route.NatGatewayId = b.n.NatGateways[min(i, len(b.n.NatGateways)-1)].ID()
		}
		if _, err := ec2.NewRoute(b.ctx, childName(b.name, "private-nat", i), route, b.parent); err != nil {
			return err
		}
		if err := associate(TierPrivate, i, rt); err != nil {
			return err
		}
		b.privateTables = append(b.privateTables, rt)
	}

	database, err := table(childName(b.name, "database-rt"), TierDatabase)
	if err != nil {
		return err
	}
	for i := range b.n.Subnets[TierDatabase] {
		if err := associate(TierDatabase, i, database); err != nil {
			return err
		}
	}
	return nil
}

func (b *networkBuilder) flowLogs() error {
	name := childName(b.name, "flow-log")
	_, err := ec2.NewFlowLog(b.ctx, name, &ec2.FlowLogArgs{
		VpcId:                  b.n.Vpc.ID(),
		TrafficType:            pulumi.String("ALL"),
		LogDestinationType:     pulumi.String("s3"),
		LogDestination:         b.args.FlowLogDestination,
		MaxAggregationInterval: pulumi.Int(flowLogAggregationSeconds),
		DestinationOptions: &ec2.FlowLogDestinationOptionsArgs{
			FileFormat:               pulumi.String("parquet"),
			HiveCompatiblePartitions: pulumi.Bool(true),
			PerHourPartition:         pulumi.Bool(true),
		},
		Tags: b.tags(name),
	}, b.parent, pulumi.DependsOn(b.args.FlowLogAfter))
	return err
}
