// Command noncompliant is a test-only Pulumi program (see Pulumi.yaml): the
// end-to-end tier previews it with the HIPAA pack and expects the preview to
// fail on DS-KMS-001 (rotation off) and DS-NET-003 (5432 open to the world).
package main

import (
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/kms"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

func main() {
	pulumi.Run(func(ctx *pulumi.Context) error {
		if _, err := kms.NewKey(ctx, "no-rotation", &kms.KeyArgs{
			Description:       pulumi.String("deliberately non-compliant: rotation off"),
			EnableKeyRotation: pulumi.Bool(false),
		}); err != nil {
			return err
		}
		_, err := ec2.NewSecurityGroup(ctx, "postgres-open", &ec2.SecurityGroupArgs{
			Description: pulumi.String("deliberately non-compliant: 5432 from anywhere"),
			Ingress: ec2.SecurityGroupIngressArray{&ec2.SecurityGroupIngressArgs{
				Protocol: pulumi.String("tcp"), FromPort: pulumi.Int(5432), ToPort: pulumi.Int(5432),
				CidrBlocks: pulumi.StringArray{pulumi.String("0.0.0.0/0")},
			}},
		})
		return err
	})
}
