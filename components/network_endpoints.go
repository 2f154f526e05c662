package components

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// GatewayEndpoints are free and routed from the private tier (seed, VPC Endpoints).
var GatewayEndpoints = []string{"s3", "dynamodb"}

// SeedInterfaceEndpoints are the seed's PrivateLink services (VPC Endpoints table).
var SeedInterfaceEndpoints = []string{"ecr.api", "ecr.dkr", "logs", "secretsmanager", "ssm", "kms"}

// SessionManagerEndpoints are what SSM Session Manager needs besides ssm
// when the private tier has no internet path; with a NAT gateway the bastion's
// sessions reach them through it.
var SessionManagerEndpoints = []string{"ssmmessages", "ec2messages"}

// DefaultInterfaceEndpoints are the seed's services plus Session Manager's.
var DefaultInterfaceEndpoints = append(append([]string{}, SeedInterfaceEndpoints...), SessionManagerEndpoints...)

var endpointPattern = regexp.MustCompile(`^[a-z0-9]+([.-][a-z0-9]+)*$`)

// endpointServiceName is the PrivateLink service name of an AWS service.
func endpointServiceName(region, service string) string {
	return fmt.Sprintf("com.amazonaws.%s.%s", region, service)
}

// endpointChild turns "ecr.api" into a child-name-safe "ecr-api".
func endpointChild(service string) string { return strings.ReplaceAll(service, ".", "-") }

func (b *networkBuilder) endpoints() error {
	tables := pulumi.StringArray{}
	for _, rt := range b.privateTables {
		tables = append(tables, rt.ID().ToStringOutput())
	}
	for _, svc := range GatewayEndpoints {
		name := childName(b.name, "endpoint-"+endpointChild(svc))
		if _, err := ec2.NewVpcEndpoint(b.ctx, name, &ec2.VpcEndpointArgs{
			VpcId:           b.n.Vpc.ID(),
			ServiceName:     pulumi.String(endpointServiceName(b.args.Region, svc)),
			VpcEndpointType: pulumi.String("Gateway"),
			// Only the private tier: the database tier stays without any route out.
			RouteTableIds: tables,
			Tags:          b.tags(name),
		}, b.parent); err != nil {
			return err
		}
	}

	subnets := pulumi.StringArray{}
	for _, s := range b.n.Subnets[TierPrivate][:b.args.EndpointAZCount] {
		subnets = append(subnets, s.ID().ToStringOutput())
	}
	for _, svc := range b.args.InterfaceEndpoints {
		name := childName(b.name, "endpoint-"+endpointChild(svc))
		if _, err := ec2.NewVpcEndpoint(b.ctx, name, &ec2.VpcEndpointArgs{
			VpcId:             b.n.Vpc.ID(),
			ServiceName:       pulumi.String(endpointServiceName(b.args.Region, svc)),
			VpcEndpointType:   pulumi.String("Interface"),
			PrivateDnsEnabled: pulumi.Bool(true),
			SubnetIds:         subnets,
			SecurityGroupIds:  pulumi.StringArray{b.n.SecurityGroups.Endpoints.ID().ToStringOutput()},
			Tags:              b.tags(name),
		}, b.parent); err != nil {
			return err
		}
	}
	return nil
}
