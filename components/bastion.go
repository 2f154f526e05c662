package components

import (
	"errors"
	"regexp"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/autoscaling"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Bastion defaults: the smallest Graviton instance and the current Amazon
// Linux 2023 arm64 AMI, resolved by EC2 at launch from its public SSM parameter.
const (
	DefaultBastionType   = "t4g.nano"
	DefaultBastionAMI    = "resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64"
	DefaultBastionDiskGB = 8
	// ssmManagedPolicy is what the SSM agent needs.
	ssmManagedPolicy = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"
)

// gravitonType matches Graviton instance types (t4g, m7g, c7gn, ...).
var gravitonType = regexp.MustCompile(`^[a-z]+[0-9]+g[a-z]*\.[a-z0-9]+$`)

// BastionArgs configures the on-demand bastion.
type BastionArgs struct {
	// Name of the Auto Scaling group and launch template. Required.
	Name string
	// InstanceType is a Graviton type. Default: t4g.nano.
	InstanceType string
	// ImageID is an AMI ID or "resolve:ssm:<parameter>". Default: Amazon Linux 2023 arm64.
	ImageID string
	// DiskGB of the encrypted root volume. Default: 8. Range 8..64.
	DiskGB int
	// EBSKMSKeyArn encrypts the root volume. Required.
	EBSKMSKeyArn pulumi.StringInput
	// VpcID and SubnetIDs (private tier). Required.
	VpcID     pulumi.StringInput
	SubnetIDs pulumi.StringArrayInput
	// DatabaseSecurityGroupID admits the bastion on 5432 (port forwarding). Required.
	DatabaseSecurityGroupID pulumi.StringInput
	// Tags are the stack tags. Required: every key of StackTagKeys.
	Tags Tags
}

func (a *BastionArgs) setDefaults() {
	if a.InstanceType == "" {
		a.InstanceType = DefaultBastionType
	}
	if a.ImageID == "" {
		a.ImageID = DefaultBastionAMI
	}
	if a.DiskGB == 0 {
		a.DiskGB = DefaultBastionDiskGB
	}
}

// Validate reports every invalid field at once.
func (a BastionArgs) Validate() error {
	a.setDefaults()
	var errs []error
	if !dbIdentifierPattern.MatchString(a.Name) {
		errs = append(errs, fieldErr("name", a.Name, "[a-z0-9-]"))
	}
	if !gravitonType.MatchString(a.InstanceType) {
		errs = append(errs, fieldErr("instanceType", a.InstanceType, "a Graviton (arm64) type such as %s", DefaultBastionType))
	}
	if a.DiskGB < 8 || a.DiskGB > 64 {
		errs = append(errs, fieldErr("diskGb", a.DiskGB, "8..64"))
	}
	errs = append(errs, validateStackTags("tags", a.Tags))
	return errors.Join(errs...)
}

// Bastion is an Auto Scaling group that runs nothing until an engineer
// scales it to 1, for Session Manager port forwarding into the VPC.
type Bastion struct {
	pulumi.ResourceState

	Group           *autoscaling.Group
	SecurityGroupID pulumi.StringOutput
	// GroupName is the Auto Scaling group's name.
	GroupName string
}

// NewBastion creates the launch template (Graviton, IMDSv2 required, root
// volume encrypted with the CMK, SSM instance profile, a security group with
// no ingress) and an Auto Scaling group at 0 whose desired capacity is left
// to engineers (and the nightly scale-down).
func NewBastion(ctx *pulumi.Context, name string, args BastionArgs, opts ...pulumi.ResourceOption) (*Bastion, error) {
	args.setDefaults()
	err := args.Validate()
	for f, missing := range InOrder(map[string]bool{"ebsKmsKeyArn": args.EBSKMSKeyArn == nil, "vpcId": args.VpcID == nil,
		"subnetIds": args.SubnetIDs == nil, "databaseSecurityGroupId": args.DatabaseSecurityGroupID == nil}) {
		if missing {
			err = errors.Join(err, fieldErr(f, "", "a value from another component"))
		}
	}
	if err != nil {
		return nil, err
	}
	b := &Bastion{GroupName: args.Name}
	if err := ctx.RegisterComponentResource(TypeBastion, name, b, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(b)
	tags := func(child string) pulumi.StringMap { return MergeTags(args.Tags, child, Tags{TagComponent: name}) }

	sgName := childName(name, "sg")
	sg, err := newSecurityGroup(ctx, sgName, args.VpcID, "Bastion: no inbound (Session Manager only); database and HTTPS out", tags(sgName), parent)
	if err != nil {
		return nil, err
	}
	b.SecurityGroupID = sg.ID().ToStringOutput()
	if err := addRules(ctx, name, sg.ID(), []sgRule{
		tcp(HTTPSPort, HTTPSPort).out().fromCIDR(anywhere).because("SSM through its VPC endpoints"),
		tcp(DefaultDatabasePort, DefaultDatabasePort).out().withPeer(args.DatabaseSecurityGroupID).because("port forwarding to the database"),
	}, tags, parent); err != nil {
		return nil, err
	}
	if err := addRules(ctx, name+"-db", args.DatabaseSecurityGroupID, []sgRule{
		tcp(DefaultDatabasePort, DefaultDatabasePort).withPeer(sg.ID()).because("bastion port forwarding"),
	}, tags, parent); err != nil {
		return nil, err
	}

	roleName := childName(name, "role")
	role, err := iam.NewRole(ctx, roleName, &iam.RoleArgs{
		Description: pulumi.String("Bastion: Session Manager only"),
		AssumeRolePolicy: pulumi.String(PolicyJSON(PolicyStatement{
			Effect: "Allow", Principal: map[string]any{"Service": servicePrincipal("ec2")}, Action: "sts:AssumeRole",
		})),
		Tags: tags(roleName),
	}, parent)
	if err != nil {
		return nil, err
	}
	if _, err := iam.NewRolePolicyAttachment(ctx, childName(name, "ssm"), &iam.RolePolicyAttachmentArgs{
		Role: role.Name, PolicyArn: pulumi.String(ssmManagedPolicy),
	}, parent); err != nil {
		return nil, err
	}
	profileName := childName(name, "profile")
	profile, err := iam.NewInstanceProfile(ctx, profileName, &iam.InstanceProfileArgs{Role: role.Name, Tags: tags(profileName)}, parent)
	if err != nil {
		return nil, err
	}
	ltName := childName(name, "launch-template")
	instanceTags := MergeTags(args.Tags, args.Name, Tags{TagComponent: name})
	lt, err := ec2.NewLaunchTemplate(ctx, ltName, &ec2.LaunchTemplateArgs{
		Name:                pulumi.String(args.Name),
		ImageId:             pulumi.String(args.ImageID),
		InstanceType:        pulumi.String(args.InstanceType),
		IamInstanceProfile:  &ec2.LaunchTemplateIamInstanceProfileArgs{Arn: profile.Arn},
		VpcSecurityGroupIds: pulumi.StringArray{sg.ID()},
		MetadataOptions: &ec2.LaunchTemplateMetadataOptionsArgs{
			HttpEndpoint: pulumi.String("enabled"), HttpTokens: pulumi.String("required"), HttpPutResponseHopLimit: pulumi.Int(1),
		},
		BlockDeviceMappings: ec2.LaunchTemplateBlockDeviceMappingArray{ec2.LaunchTemplateBlockDeviceMappingArgs{
			DeviceName: pulumi.String("/dev/xvda"),
			Ebs: &ec2.LaunchTemplateBlockDeviceMappingEbsArgs{
				VolumeSize: pulumi.Int(args.DiskGB), VolumeType: pulumi.String("gp3"),
				Encrypted: pulumi.String("true"), KmsKeyId: args.EBSKMSKeyArn, DeleteOnTermination: pulumi.String("true"),
			},
		}},
		TagSpecifications: ec2.LaunchTemplateTagSpecificationArray{
			ec2.LaunchTemplateTagSpecificationArgs{ResourceType: pulumi.String("instance"), Tags: instanceTags},
			ec2.LaunchTemplateTagSpecificationArgs{ResourceType: pulumi.String("volume"), Tags: instanceTags},
		},
		Tags: tags(ltName),
	}, parent)
	if err != nil {
		return nil, err
	}
	var groupTags autoscaling.GroupTagArray
	for _, k := range sortedKeys(args.Tags) {
		groupTags = append(groupTags, autoscaling.GroupTagArgs{Key: pulumi.String(k), Value: pulumi.String(args.Tags[k]), PropagateAtLaunch: pulumi.Bool(false)})
	}
	groupTags = append(groupTags,
		autoscaling.GroupTagArgs{Key: pulumi.String(TagName), Value: pulumi.String(childName(name, "group")), PropagateAtLaunch: pulumi.Bool(false)},
		autoscaling.GroupTagArgs{Key: pulumi.String(TagComponent), Value: pulumi.String(name), PropagateAtLaunch: pulumi.Bool(false)})
	b.Group, err = autoscaling.NewGroup(ctx, childName(name, "group"), &autoscaling.GroupArgs{
		Name:               pulumi.String(args.Name),
		MinSize:            pulumi.Int(0),
		MaxSize:            pulumi.Int(1),
		DesiredCapacity:    pulumi.Int(0),
		VpcZoneIdentifiers: args.SubnetIDs,
		HealthCheckType:    pulumi.String("EC2"),
		LaunchTemplate:     &autoscaling.GroupLaunchTemplateArgs{Id: lt.ID(), Version: pulumi.String("$Latest")},
		Tags:               groupTags,
	}, parent, pulumi.IgnoreChanges([]string{"desiredCapacity"}))
	if err != nil {
		return nil, err
	}
	if err := ctx.RegisterResourceOutputs(b, pulumi.Map{"groupName": b.Group.Name, "securityGroupId": b.SecurityGroupID}); err != nil {
		return nil, err
	}
	return b, nil
}
