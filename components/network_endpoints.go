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
// sessions reach them through it. Not ec2messages: SSM Agent receives its
// commands through ssmmessages whenever it can connect to it, and uses
// ec2messages only when it cannot ("Reference: ec2messages, ssmmessages, and
// other API operations", Systems Manager user guide); the bastion's Amazon
// Linux 2023 agent does. One interface endpoint fewer is $14.60 a month.
// https://docs.aws.amazon.com/systems-manager/latest/userguide/systems-manager-setting-up-messageAPIs.html
var SessionManagerEndpoints = []string{"ssmmessages"}

// DefaultInterfaceEndpoints are the seed's services plus Session Manager's.
var DefaultInterfaceEndpoints = append(append([]string{}, SeedInterfaceEndpoints...), SessionManagerEndpoints...)

var endpointPattern = regexp.MustCompile(`^[a-z0-9]+([.-][a-z0-9]+)*$`)

// endpointServiceName is the PrivateLink service name of an AWS service.
func endpointServiceName(region, service string) string {
	return fmt.Sprintf("com.amazonaws.%s.%s", region, service)
}

// The data perimeter at the VPC's edge. Every endpoint carries a policy
// ("Control access to VPC endpoints using endpoint policies", AWS
// PrivateLink guide): requests through an interface endpoint must come from
// this account's principals; requests through the S3 gateway must also be on
// this account's buckets, except the AWS-owned buckets the platform reads.
// https://docs.aws.amazon.com/vpc/latest/privatelink/vpc-endpoints-access.html

// awsOwnedBuckets are the AWS-owned buckets private workloads read through
// the S3 gateway, by Region, each with AWS's page:
//   - ECR stores image layers in prod-<region>-starport-layer-bucket, and
//     the layer download is made with ECR's credentials, not the caller's
//     ("Minimum Amazon S3 bucket permissions for Amazon ECR",
//     https://docs.aws.amazon.com/AmazonECR/latest/userguide/vpc-endpoints.html#ecr-minimum-s3-perms);
//   - Amazon Linux 2023 packages for the bastion (al2023-repos-<region>-de612dc2,
//     "Amazon Linux 2023 repositories in S3",
//     https://docs.aws.amazon.com/linux/al2023/ug/s3-repository.html).
//
// The GuardDuty runtime agent's image comes from ECR (an AWS account's
// repository, through ecr.dkr), which the principal perimeter admits: the
// pull is made by this account's task execution role.
func awsOwnedBuckets(region string) []string {
	return []string{
		fmt.Sprintf("arn:aws:s3:::prod-%s-starport-layer-bucket/*", region),
		fmt.Sprintf("arn:aws:s3:::al2023-repos-%s-de612dc2/*", region),
	}
}

// interfaceEndpointPolicy admits the account's own principals only.
func interfaceEndpointPolicy(accountID string) string {
	return PolicyJSON(PolicyStatement{
		Sid: "OwnPrincipals", Effect: "Allow", Principal: map[string]any{"AWS": "*"}, Action: "*", Resource: "*",
		Condition: map[string]map[string]any{"StringEquals": {"aws:PrincipalAccount": accountID}},
	})
}

// s3GatewayPolicy admits the account's principals on the account's buckets,
// and anyone on the AWS-owned buckets the platform reads (ECR's layer
// download is made with ECR's own credentials).
func s3GatewayPolicy(accountID, region string) string {
	return PolicyJSON(
		PolicyStatement{Sid: "OwnPrincipalsOwnBuckets", Effect: "Allow", Principal: map[string]any{"AWS": "*"}, Action: "s3:*", Resource: "*",
			Condition: map[string]map[string]any{"StringEquals": {"aws:PrincipalAccount": accountID, "aws:ResourceAccount": accountID}}},
		PolicyStatement{Sid: "AWSOwnedBuckets", Effect: "Allow", Principal: map[string]any{"AWS": "*"}, Action: "s3:GetObject",
			Resource: awsOwnedBuckets(region)},
	)
}

// gatewayEndpointPolicy is S3's perimeter, or the principal perimeter.
func gatewayEndpointPolicy(svc, accountID, region string) string {
	if svc == "s3" {
		return s3GatewayPolicy(accountID, region)
	}
	return interfaceEndpointPolicy(accountID)
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
			Policy:        pulumi.String(gatewayEndpointPolicy(svc, b.args.AccountID, b.args.Region)),
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
			Policy:            pulumi.String(interfaceEndpointPolicy(b.args.AccountID)),
			Tags:              b.tags(name),
		}, b.parent); err != nil {
			return err
		}
	}
	return nil
}
