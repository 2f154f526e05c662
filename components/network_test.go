package components_test

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/docustack/infrastructure/components"
	"github.com/docustack/infrastructure/internal/synth"
	"github.com/docustack/infrastructure/platform"
)

// seedCIDRs is the seed's "CIDR Allocation" table (technical controls,
// Network Security), row by row.
var seedCIDRs = map[string]struct {
	vpc                       string
	public, private, database []string
}{
	"dev":     {"10.0.0.0/16", []string{"10.0.1.0/24", "10.0.2.0/24"}, []string{"10.0.10.0/24", "10.0.11.0/24"}, []string{"10.0.20.0/24", "10.0.21.0/24"}},
	"staging": {"10.1.0.0/16", []string{"10.1.1.0/24", "10.1.2.0/24"}, []string{"10.1.10.0/24", "10.1.11.0/24"}, []string{"10.1.20.0/24", "10.1.21.0/24"}},
	"prod":    {"10.2.0.0/16", []string{"10.2.1.0/24", "10.2.2.0/24"}, []string{"10.2.10.0/24", "10.2.11.0/24"}, []string{"10.2.20.0/24", "10.2.21.0/24"}},
}

var workloadStacks = []string{"dev", "staging", "prod"}

// tierSubnets returns a tier's subnets ordered by AZ index.
func tierSubnets(p *synth.Plan, tier string) []synth.Resource {
	var out []synth.Resource
	for _, s := range p.ByType("aws:ec2/subnet:Subnet") {
		if s.Tags()["Tier"] == tier {
			out = append(out, s)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func cidrs(rs []synth.Resource) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.Str("cidrBlock"))
	}
	return out
}

func TestNetworkCIDRTable(t *testing.T) {
	for _, stack := range workloadStacks {
		t.Run(stack, func(t *testing.T) {
			p := stackPlan(t, stack)
			want := seedCIDRs[stack]
			assert.Equal(t, want.vpc, mustNamed(t, p, "network-vpc").Str("cidrBlock"))
			assert.Equal(t, want.public, cidrs(tierSubnets(p, "public")))
			assert.Equal(t, want.private, cidrs(tierSubnets(p, "private")))
			assert.Equal(t, want.database, cidrs(tierSubnets(p, "database")))
			for _, tier := range []string{"public", "private", "database"} {
				for i, s := range tierSubnets(p, tier) {
					assert.Equal(t, fmt.Sprintf("us-east-1%c", 'a'+i), s.Str("availabilityZone"), s.Name)
					assert.Equal(t, false, s.Get("mapPublicIpOnLaunch"), "%s must not hand out public IPs", s.Name)
				}
			}
		})
	}
}

func TestNetworkDatabaseTierIsolated(t *testing.T) {
	for _, stack := range workloadStacks {
		t.Run(stack, func(t *testing.T) {
			p := stackPlan(t, stack)
			dbTables := map[string]bool{}
			for _, rt := range p.ByType("aws:ec2/routeTable:RouteTable") {
				if rt.Tags()["Tier"] == "database" {
					dbTables[rt.ID] = true
				}
			}
			require.Len(t, dbTables, 1)
			for _, route := range p.ByType("aws:ec2/route:Route") {
				assert.False(t, dbTables[route.Str("routeTableId")], "route %s leads out of the database tier", route.Name)
			}
			for _, ep := range p.ByType("aws:ec2/vpcEndpoint:VpcEndpoint") {
				for _, id := range strs(ep.Get("routeTableIds")) {
					assert.False(t, dbTables[id], "endpoint %s is routed from the database tier", ep.Name)
				}
			}
			for _, a := range p.ByType("aws:ec2/routeTableAssociation:RouteTableAssociation") {
				if strings.HasPrefix(nameOfID(t, p, a.Get("subnetId")), "network-database-") {
					assert.True(t, dbTables[a.Str("routeTableId")], "%s associates a database subnet with another table", a.Name)
				}
			}

			// The database NACL: the database port from private subnets only, replies only to them.
			nacl := mustNamed(t, p, "network-database-nacl")
			private := seedCIDRs[stack].private
			var in, out []string
			for _, r := range nacl.Get("ingress").([]any) {
				m := r.(map[string]any)
				in = append(in, fmt.Sprintf("%v %v %v-%v %v", m["action"], m["protocol"], m["fromPort"], m["toPort"], m["cidrBlock"]))
			}
			for _, r := range nacl.Get("egress").([]any) {
				m := r.(map[string]any)
				out = append(out, fmt.Sprintf("%v %v %v-%v %v", m["action"], m["protocol"], m["fromPort"], m["toPort"], m["cidrBlock"]))
			}
			assert.ElementsMatch(t, []string{"allow tcp 5432-5432 " + private[0], "allow tcp 5432-5432 " + private[1]}, in)
			assert.ElementsMatch(t, []string{"allow tcp 1024-65535 " + private[0], "allow tcp 1024-65535 " + private[1]}, out)
			var naclSubnets []string
			for _, id := range strs(nacl.Get("subnetIds")) {
				naclSubnets = append(naclSubnets, nameOfID(t, p, id))
			}
			assert.Equal(t, []string{"network-database-0", "network-database-1"}, naclSubnets)
		})
	}
}

// natInstancePlan is dev with the documented opt-in natStrategy: instance.
func natInstancePlan(t *testing.T) *synth.Plan {
	t.Helper()
	proj, err := synth.LoadProject("..")
	require.NoError(t, err)
	cfg, err := synth.LoadStackConfig("..", "dev", proj)
	require.NoError(t, err)
	cfg["docustack:network"] = strings.Replace(cfg["docustack:network"], `"natStrategy":"single"`, `"natStrategy":"instance"`, 1)
	require.Contains(t, cfg["docustack:network"], `"natStrategy":"instance"`)
	p, err := synth.Run(synth.Options{Stack: "dev", Config: cfg}, platform.Program)
	require.NoError(t, err)
	return p
}

// Seed: the public subnets hold a NAT Gateway; dev runs one (cost).
func TestNetworkDevUsesOneNATGateway(t *testing.T) {
	p := stackPlan(t, "dev")
	assert.Len(t, p.ByType("aws:ec2/natGateway:NatGateway"), 1)
	assert.Empty(t, p.ByType("aws:ec2/instance:Instance"), "no always-on host (seed)")
}

func TestNetworkNATInstanceOptIn(t *testing.T) {
	p := natInstancePlan(t)
	assert.Empty(t, p.ByType("aws:ec2/natGateway:NatGateway"), "the opt-in egresses through a NAT instance")
	inst := mustNamed(t, p, "network-nat-instance")
	assert.Equal(t, "network-public-0", nameOfID(t, p, inst.Get("subnetId")))
	assert.Equal(t, false, inst.Get("sourceDestCheck"))
	assert.Equal(t, "t4g.nano", inst.Str("instanceType"))
	assert.Equal(t, "required", inst.Str("metadataOptions.httpTokens"))
	assert.Equal(t, true, inst.Get("rootBlockDevice.encrypted"))
	assert.Equal(t, keyArn(p, "ebs"), inst.Str("rootBlockDevice.kmsKeyId"))
	assert.Contains(t, inst.Str("userData"), "MASQUERADE")
	assert.Equal(t, "default", inst.Str("maintenanceOptions.autoRecovery"), "recovered onto healthy hardware")
	assert.Equal(t, []string{"ami"}, inst.IgnoreChanges)
	// A resolved AMI ID: with a root block device the provider's
	// DescribeImages refuses "resolve:ssm:..." (InvalidAMIID.Malformed).
	assert.Regexp(t, `^ami-[0-9a-f]{8,17}$`, inst.Str("ami"))
	// Session Manager reaches and patches it.
	profile := mustNamed(t, p, "network-nat-profile")
	assert.Equal(t, profile.Outputs["name"], inst.Str("iamInstanceProfile"))
	role := mustNamed(t, p, "network-nat-role")
	assert.Contains(t, role.Str("assumeRolePolicy"), `"Service":"ec2.amazonaws.com"`)
	assert.Equal(t, "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore", mustNamed(t, p, "network-nat-ssm").Str("policyArn"))
	for i := 0; i < 2; i++ {
		route := mustNamed(t, p, fmt.Sprintf("network-private-nat-%d", i))
		assert.Equal(t, []string{inst.URN}, route.PropertyDependencies["networkInterfaceId"], "private egress through the instance")
		assert.Nil(t, route.Get("natGatewayId"))
	}
	rules := sgRules(t, p, "network-nat-")
	assert.ElementsMatch(t, []string{"network-nat-sg in -1 all 10.0.0.0/16", "network-nat-sg out -1 all 0.0.0.0/0"}, rules, "only the VPC gets in")
}

func TestNetworkNATStrategy(t *testing.T) {
	cases := []struct {
		stack string
		nats  int
		// natOfAZ[i] is the NAT gateway AZ i's private route uses.
		natOfAZ []string
	}{
		{"staging", 1, []string{"network-nat-0", "network-nat-0"}},
		{"prod", 2, []string{"network-nat-0", "network-nat-1"}},
	}
	for _, c := range cases {
		t.Run(c.stack, func(t *testing.T) {
			p := stackPlan(t, c.stack)
			require.Len(t, p.ByType("aws:ec2/natGateway:NatGateway"), c.nats)
			for i, want := range c.natOfAZ {
				route := mustNamed(t, p, fmt.Sprintf("network-private-nat-%d", i))
				assert.Equal(t, anywhere, route.Str("destinationCidrBlock"))
				assert.Equal(t, want, nameOfID(t, p, route.Get("natGatewayId")))
				assert.Equal(t, fmt.Sprintf("network-private-rt-%d", i), nameOfID(t, p, route.Get("routeTableId")))
			}
			for i, nat := range p.ByType("aws:ec2/natGateway:NatGateway") {
				assert.Equal(t, fmt.Sprintf("network-public-%d", i), nameOfID(t, p, nat.Get("subnetId")), "NAT gateways live in the public tier")
			}
			igwRoute := mustNamed(t, p, "network-public-internet")
			assert.Equal(t, "network-igw", nameOfID(t, p, igwRoute.Get("gatewayId")))
			assert.Equal(t, "network-public-rt", nameOfID(t, p, igwRoute.Get("routeTableId")))
			assert.Len(t, p.ByType("aws:ec2/route:Route"), 1+len(c.natOfAZ), "one internet route and one NAT route per private table, nothing else")
		})
	}
}

const anywhere = "0.0.0.0/0"

func TestNetworkEndpoints(t *testing.T) {
	// Seed "VPC Endpoints" table, plus what SSM Session Manager needs without internet.
	wantGateway := []string{"s3", "dynamodb"}
	wantInterface := []string{"ecr.api", "ecr.dkr", "logs", "secretsmanager", "ssm", "kms", "ssmmessages"}

	p := stackPlan(t, "prod")
	var gateway, iface []string
	for _, ep := range p.ByType("aws:ec2/vpcEndpoint:VpcEndpoint") {
		svc := strings.TrimPrefix(ep.Str("serviceName"), "com.amazonaws.us-east-1.")
		switch ep.Str("vpcEndpointType") {
		case "Gateway":
			gateway = append(gateway, svc)
			var tables []string
			for _, id := range strs(ep.Get("routeTableIds")) {
				tables = append(tables, nameOfID(t, p, id))
			}
			assert.Equal(t, []string{"network-private-rt-0", "network-private-rt-1"}, tables, "gateway %s is routed from the private tier only", svc)
		case "Interface":
			iface = append(iface, svc)
			assert.Equal(t, true, ep.Get("privateDnsEnabled"), svc)
			var subnets, groups []string
			for _, id := range strs(ep.Get("subnetIds")) {
				subnets = append(subnets, nameOfID(t, p, id))
			}
			for _, id := range strs(ep.Get("securityGroupIds")) {
				groups = append(groups, nameOfID(t, p, id))
			}
			assert.Equal(t, []string{"network-private-0", "network-private-1"}, subnets, svc)
			assert.Equal(t, []string{"network-endpoints-sg"}, groups, svc)
		default:
			t.Errorf("endpoint %s has type %q", ep.Name, ep.Str("vpcEndpointType"))
		}
	}
	assert.ElementsMatch(t, wantGateway, gateway)
	assert.ElementsMatch(t, wantInterface, iface)
}

func TestNetworkEndpointAZCount(t *testing.T) {
	args := validNetworkArgs()
	args.EndpointAZCount = 1
	p := synthesize(t, func(ctx *pulumi.Context) error {
		_, err := components.NewNetwork(ctx, "net", args)
		return err
	})
	ep := mustNamed(t, p, "net-endpoint-kms")
	assert.Equal(t, []string{"net-private-0-id"}, strs(ep.Get("subnetIds")))
}

// sgRules renders the security-group rules whose names start with prefix as
// "<group> <in|out> <proto> <ports> <peer>".
func sgRules(t *testing.T, p *synth.Plan, prefix string) []string {
	var out []string
	for _, typ := range []string{"aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"} {
		for _, r := range p.ByType(typ) {
			if !strings.HasPrefix(r.Name, prefix) {
				continue
			}
			dir := "in"
			if strings.Contains(typ, "Egress") {
				dir = "out"
			}
			port := "all"
			if r.Str("ipProtocol") != "-1" {
				port = fmt.Sprint(r.Get("fromPort"))
				if r.Get("fromPort") != r.Get("toPort") {
					port += "-" + fmt.Sprint(r.Get("toPort"))
				}
			}
			peer := r.Str("cidrIpv4")
			if id := r.Get("referencedSecurityGroupId"); id != nil {
				peer = nameOfID(t, p, id)
			}
			out = append(out, fmt.Sprintf("%s %s %s %s %s", nameOfID(t, p, r.Get("securityGroupId")), dir, r.Str("ipProtocol"), port, peer))
		}
	}
	return out
}

func TestNetworkSecurityGroupMatrix(t *testing.T) {
	// Seed "Security Groups" table:
	//   ALB        443 from 0.0.0.0/0        | All to ECS SG
	//   ECS        8080 from ALB SG          | All to VPC endpoints, NAT
	//   RDS        5432 from ECS SG          | None
	//   Endpoints  443 from private subnets  | None
	// ECS "NAT" egress is narrowed to HTTPS, and ECS may reach RDS on 5432.
	// Seed, Network Security: "ALB (HTTPS 443 only)": no port 80, not even a redirect.
	for _, stack := range workloadStacks {
		t.Run(stack, func(t *testing.T) {
			p := stackPlan(t, stack)
			private := seedCIDRs[stack].private
			want := []string{
				"network-alb-sg in tcp 443 0.0.0.0/0",
				"network-alb-sg out -1 all network-ecs-sg",
				"network-ecs-sg in tcp 8080 network-alb-sg",
				"network-ecs-sg out -1 all network-endpoints-sg",
				"network-ecs-sg out tcp 443 0.0.0.0/0",
				"network-ecs-sg out tcp 5432 network-rds-sg",
				"network-rds-sg in tcp 5432 network-ecs-sg",
				"network-endpoints-sg in tcp 443 " + private[0],
				"network-endpoints-sg in tcp 443 " + private[1],
			}
			var got []string
			for _, r := range sgRules(t, p, "network-") {
				if !strings.HasPrefix(r, "network-nat-sg ") {
					got = append(got, r)
				}
			}
			assert.ElementsMatch(t, want, got)

			for _, sg := range p.ByType("aws:ec2/securityGroup:SecurityGroup") {
				assert.Nil(t, sg.Get("ingress"), "%s: rules are separate resources, none inline", sg.Name)
				assert.Nil(t, sg.Get("egress"), "%s: no inline egress, so AWS's allow-all default is removed", sg.Name)
			}
			def := mustNamed(t, p, "network-default-sg")
			assert.Nil(t, def.Get("ingress"), "default security group keeps no ingress")
			assert.Nil(t, def.Get("egress"), "default security group keeps no egress")
		})
	}
}

func TestNetworkInternetExposure(t *testing.T) {
	p := stackPlan(t, "prod")
	for _, r := range sgRules(t, p, "") {
		if strings.Contains(r, " in ") && strings.HasSuffix(r, anywhere) {
			assert.Equal(t, "network-alb-sg in tcp 443 0.0.0.0/0", r, "only HTTPS to the ALB is open to the internet")
		}
	}
	public := mustNamed(t, p, "network-public-nacl")
	for _, e := range public.Get("ingress").([]any) {
		m := e.(map[string]any)
		if m["cidrBlock"] == anywhere {
			ok := (m["fromPort"] == 443.0 && m["toPort"] == 443.0) || (m["fromPort"] == 80.0 && m["toPort"] == 80.0) ||
				(m["fromPort"] == 1024.0 && m["toPort"] == 65535.0)
			assert.True(t, ok, "public NACL opens %v-%v to the internet", m["fromPort"], m["toPort"])
		}
	}
}

func TestNetworkFlowLogs(t *testing.T) {
	for _, stack := range workloadStacks {
		t.Run(stack, func(t *testing.T) {
			p := standalonePlan(t, stack)
			logs := p.ByType("aws:ec2/flowLog:FlowLog")
			require.Len(t, logs, 1)
			fl := logs[0]
			assert.Equal(t, "ALL", fl.Str("trafficType"))
			assert.Equal(t, "s3", fl.Str("logDestinationType"))
			assert.Equal(t, "network-vpc", nameOfID(t, p, fl.Get("vpcId")))
			bucket := mustNamed(t, p, "log-archive-bucket").Str("bucket")
			assert.Equal(t, "arn:aws:s3:::"+bucket+"/vpc-flow-logs/", fl.Str("logDestination"))
			assert.Contains(t, fl.Dependencies, mustNamed(t, p, "log-archive-policy").URN, "created after the archive lets log delivery write")
		})
	}
}

func validNetworkArgs() components.NetworkArgs {
	return components.NetworkArgs{
		Region:             "us-east-1",
		AccountID:          "111111111111",
		VpcCidr:            "10.9.0.0/16",
		AvailabilityZones:  []string{"us-east-1a", "us-east-1b"},
		PublicSubnets:      []string{"10.9.1.0/24", "10.9.2.0/24"},
		PrivateSubnets:     []string{"10.9.10.0/24", "10.9.11.0/24"},
		DatabaseSubnets:    []string{"10.9.20.0/24", "10.9.21.0/24"},
		NATStrategy:        components.NATSingle,
		FlowLogDestination: pulumi.String("arn:aws:s3:::logs/vpc-flow-logs/"),
		Tags:               stackTags,
	}
}

func TestNetworkArgsValidate(t *testing.T) {
	cases := []struct {
		name   string
		mutate func(*components.NetworkArgs)
		want   []string
	}{
		{"valid", func(*components.NetworkArgs) {}, nil},
		{"no account for the endpoint policies", func(a *components.NetworkArgs) { a.AccountID = "" },
			[]string{`accountId: got "", want a 12-digit AWS account ID`}},
		{"public vpc", func(a *components.NetworkArgs) { a.VpcCidr = "52.0.0.0/16" },
			[]string{`vpcCidr: got "52.0.0.0/16", want a private /16`}},
		{"vpc not /16", func(a *components.NetworkArgs) { a.VpcCidr = "10.0.0.0/8" },
			[]string{`vpcCidr: got "10.0.0.0/8", want a private /16`}},
		{"vpc host bits", func(a *components.NetworkArgs) { a.VpcCidr = "10.9.0.1/16" },
			[]string{`vpcCidr: got "10.9.0.1/16", want a private /16`}},
		{"one az", func(a *components.NetworkArgs) { a.AvailabilityZones = a.AvailabilityZones[:1] },
			[]string{`availabilityZones: got ["us-east-1a"], want at least 2 availability zones`,
				`publicSubnets: got ["10.9.1.0/24" "10.9.2.0/24"], want 1 blocks, one per availability zone ["us-east-1a"]`}},
		{"az of another region", func(a *components.NetworkArgs) { a.AvailabilityZones[1] = "eu-west-1b" },
			[]string{`availabilityZones[1]: got "eu-west-1b", want an availability zone of us-east-1`}},
		{"duplicate az", func(a *components.NetworkArgs) { a.AvailabilityZones[1] = "us-east-1a" },
			[]string{`availabilityZones[1]: got "us-east-1a", want each availability zone once`}},
		{"tier count", func(a *components.NetworkArgs) { a.DatabaseSubnets = a.DatabaseSubnets[:1] },
			[]string{`databaseSubnets: got ["10.9.20.0/24"], want 2 blocks, one per availability zone`}},
		{"subnet outside vpc", func(a *components.NetworkArgs) { a.PrivateSubnets[1] = "10.8.11.0/24" },
			[]string{`privateSubnets[1]: got "10.8.11.0/24", want a block inside the VPC 10.9.0.0/16`}},
		{"subnet overlap", func(a *components.NetworkArgs) { a.DatabaseSubnets[0] = "10.9.10.128/25" },
			[]string{`databaseSubnets[0]: got "10.9.10.128/25", want a block that does not overlap privateSubnets[0] (10.9.10.0/24)`}},
		{"subnet not a cidr", func(a *components.NetworkArgs) { a.PublicSubnets[0] = "10.9.1.0" },
			[]string{`publicSubnets[0]: got "10.9.1.0", want an IPv4 CIDR block`}},
		{"subnet too small", func(a *components.NetworkArgs) { a.PublicSubnets[0] = "10.9.1.0/29" },
			[]string{`publicSubnets[0]: got "10.9.1.0/29", want a /16 to /28 block`}},
		{"nat strategy", func(a *components.NetworkArgs) { a.NATStrategy = "none" },
			[]string{`natStrategy: got "none", want "single", "per-az" or "instance"`}},
		{"endpoint az count", func(a *components.NetworkArgs) { a.EndpointAZCount = 3 },
			[]string{`endpointAzCount: got 3, want 1..2`}},
		{"duplicate endpoint", func(a *components.NetworkArgs) { a.InterfaceEndpoints = []string{"kms", "kms"} },
			[]string{`interfaceEndpoints[1]: got "kms", want a distinct AWS service suffix`}},
		{"port", func(a *components.NetworkArgs) { a.ApplicationPort = 70000 },
			[]string{`applicationPort: got 70000, want a TCP port 1..65535`}},
		{"missing region", func(a *components.NetworkArgs) { a.Region = "" },
			[]string{`region: got "", want an AWS region`}},
		{"missing tag", func(a *components.NetworkArgs) { a.Tags = components.Tags{} },
			[]string{`tags.Project: got "", want a non-empty value`, `tags.ManagedBy: got "", want a non-empty value`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			args := validNetworkArgs()
			args.AvailabilityZones = slices.Clone(args.AvailabilityZones)
			args.PublicSubnets = slices.Clone(args.PublicSubnets)
			args.PrivateSubnets = slices.Clone(args.PrivateSubnets)
			args.DatabaseSubnets = slices.Clone(args.DatabaseSubnets)
			c.mutate(&args)
			assertErrors(t, args.Validate(), c.want)
		})
	}
}

// assertErrors checks that err holds exactly one message starting with each
// wanted prefix, and nothing when none is wanted.
func assertErrors(t *testing.T, err error, want []string) {
	t.Helper()
	got := errorMessages(err)
	if len(want) == 0 {
		assert.Empty(t, got)
		return
	}
	for _, w := range want {
		n := 0
		for _, g := range got {
			if strings.HasPrefix(g, w) {
				n++
			}
		}
		assert.Equal(t, 1, n, "want one error starting %q, got %q", w, got)
	}
}

func TestNetworkBadArgsRegisterNothing(t *testing.T) {
	args := validNetworkArgs()
	args.VpcCidr = "8.8.0.0/16"
	args.FlowLogDestination = nil
	plan, err := synth.Run(synth.Options{}, func(ctx *pulumi.Context) error {
		_, err := components.NewNetwork(ctx, "net", args)
		return err
	})
	require.Error(t, err)
	assert.Contains(t, err.Error(), `vpcCidr: got "8.8.0.0/16"`)
	assert.Contains(t, err.Error(), `flowLogDestination: got "", want the S3 ARN of the log archive`)
	assert.Empty(t, plan.Resources, "invalid args must register nothing, not even the component")
}
