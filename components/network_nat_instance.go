package components

import (
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// natInstanceUserData turns Amazon Linux 2023 into a NAT: forward and
// masquerade everything from the VPC out of the public interface.
const natInstanceUserData = `#!/bin/bash
set -euo pipefail
dnf install -y iptables-services
echo 'net.ipv4.ip_forward = 1' > /etc/sysctl.d/90-nat.conf
sysctl -p /etc/sysctl.d/90-nat.conf
iface=$(ip route show default | awk '{print $5; exit}')
iptables -t nat -A POSTROUTING -o "$iface" -j MASQUERADE
iptables -F FORWARD
service iptables save
systemctl enable --now iptables
`

// NATInstanceAMIName matches Amazon Linux 2023 standard (not minimal) AMIs,
// the family /aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64 names.
const NATInstanceAMIName = "al2023-ami-2023.*-kernel-*-arm64"

// natInstance creates the NAT instance in the first public subnet: IMDSv2
// only, encrypted root volume, source/destination check off, and a security
// group that admits only the VPC.
func (b *networkBuilder) natInstance() error {
	typ := b.args.NATInstanceType
	if typ == "" {
		typ = DefaultBastionType
	}
	sgName := childName(b.name, "nat-sg")
	sg, err := newSecurityGroup(b.ctx, sgName, b.n.Vpc.ID(), "NAT instance: traffic from the VPC only; out to the internet", b.tags(sgName), b.parent)
	if err != nil {
		return err
	}
	tags := func(n string) pulumi.StringMap { return b.tags(n) }
	if err := addRules(b.ctx, b.name+"-nat", sg.ID(), []sgRule{
		allTraffic().fromCIDR(b.args.VpcCidr).because("egress of the private tier"),
		allTraffic().out().fromCIDR(anywhere).because("to the internet"),
	}, tags, b.parent); err != nil {
		return err
	}
	// The AMI is resolved here: with a RootBlockDevice the provider calls
	// DescribeImages on the AMI it is given, which refuses the literal
	// "resolve:ssm:..." (InvalidAMIID.Malformed). The newest Amazon Linux
	// 2023 arm64 image of Amazon's account, as the SSM parameter would name it.
	ami := ec2.LookupAmiOutput(b.ctx, ec2.LookupAmiOutputArgs{
		Owners:     pulumi.StringArray{pulumi.String("amazon")},
		MostRecent: pulumi.Bool(true),
		Filters: ec2.GetAmiFilterArray{
			ec2.GetAmiFilterArgs{Name: pulumi.String("name"), Values: pulumi.StringArray{pulumi.String(NATInstanceAMIName)}},
			ec2.GetAmiFilterArgs{Name: pulumi.String("architecture"), Values: pulumi.StringArray{pulumi.String("arm64")}},
		},
	}, pulumi.Parent(b.n))
	// Session Manager patches and reaches it (no SSH, no key pair).
	roleName := childName(b.name, "nat-role")
	role, err := iam.NewRole(b.ctx, roleName, &iam.RoleArgs{
		Description: pulumi.String("NAT instance: Session Manager and patching only"),
		AssumeRolePolicy: pulumi.String(PolicyJSON(PolicyStatement{
			Effect: "Allow", Principal: map[string]any{"Service": servicePrincipal("ec2")}, Action: "sts:AssumeRole",
		})),
		Tags: b.tags(roleName),
	}, b.parent)
	if err != nil {
		return err
	}
	if _, err := iam.NewRolePolicyAttachment(b.ctx, childName(b.name, "nat-ssm"), &iam.RolePolicyAttachmentArgs{
		Role: role.Name, PolicyArn: pulumi.String(ssmManagedPolicy),
	}, b.parent); err != nil {
		return err
	}
	profileName := childName(b.name, "nat-profile")
	profile, err := iam.NewInstanceProfile(b.ctx, profileName, &iam.InstanceProfileArgs{Role: role.Name, Tags: b.tags(profileName)}, b.parent)
	if err != nil {
		return err
	}
	name := childName(b.name, "nat-instance")
	inst, err := ec2.NewInstance(b.ctx, name, &ec2.InstanceArgs{
		Ami:                      ami.Id(),
		IamInstanceProfile:       profile.Name,
		InstanceType:             pulumi.String(typ),
		SubnetId:                 b.n.Subnets[TierPublic][0].ID(),
		AssociatePublicIpAddress: pulumi.Bool(true),
		SourceDestCheck:          pulumi.Bool(false),
		VpcSecurityGroupIds:      pulumi.StringArray{sg.ID()},
		UserData:                 pulumi.String(natInstanceUserData),
		MetadataOptions: &ec2.InstanceMetadataOptionsArgs{
			HttpEndpoint: pulumi.String("enabled"), HttpTokens: pulumi.String("required"), HttpPutResponseHopLimit: pulumi.Int(1),
		},
		// EC2 moves the instance to healthy hardware when a system status
		// check fails; stated so a change of AWS's default cannot drop it.
		MaintenanceOptions: &ec2.InstanceMaintenanceOptionsArgs{AutoRecovery: pulumi.String("default")},
		RootBlockDevice: &ec2.InstanceRootBlockDeviceArgs{
			Encrypted: pulumi.Bool(true), KmsKeyId: b.args.NATInstanceKMSKeyArn, VolumeType: pulumi.String("gp3"), VolumeSize: pulumi.Int(8),
		},
		Tags:       b.tags(name),
		VolumeTags: b.tags(name),
	}, b.parent, pulumi.DependsOn([]pulumi.Resource{b.igw}),
		// EC2 returns the resolved AMI ID; a newer AMI must not replace a running NAT.
		pulumi.IgnoreChanges([]string{"ami"}))
	if err != nil {
		return err
	}
	b.n.NatInstance = inst
	return nil
}
