// Command refused is a test-only Pulumi program (see Pulumi.yaml): each
// stack plants one defect that AWS refuses at create time, and the
// end-to-end tier expects `pulumi up` to fail with AWS's words.
package main

import (
	"fmt"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudtrail"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/kms"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/organizations"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/s3"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

const trust = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole"%s}]}`

func main() {
	pulumi.Run(func(ctx *pulumi.Context) error {
		c, _ := ctx.GetConfig("docustack-refused:case")
		step, _ := ctx.GetConfig("docustack-refused:step")
		switch c {
		case "trust-resource":
			_, err := iam.NewRole(ctx, "task", &iam.RoleArgs{AssumeRolePolicy: pulumi.Sprintf(trust, `,"Resource":null`)})
			return err
		case "big-scp":
			actions := strings.Repeat(`"s3:GetObject",`, 400) + `"s3:PutObject"`
			_, err := organizations.NewPolicy(ctx, "scp", &organizations.PolicyArgs{
				Type:    pulumi.String("SERVICE_CONTROL_POLICY"),
				Content: pulumi.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":[` + actions + `],"Resource":"*"}]}`),
			})
			return err
		case "ghost-principal":
			_, err := kms.NewKey(ctx, "key", &kms.KeyArgs{EnableKeyRotation: pulumi.Bool(true), Policy: pulumi.String(
				`{"Version":"2012-10-17","Statement":[{"Sid":"Root","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"kms:*","Resource":"*"},` +
					`{"Sid":"Ghost","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling"},"Action":"kms:Decrypt","Resource":"*"}]}`)})
			return err
		case "rename-collision":
			// Step 2 renames the resource without an alias: a create of the
			// same role name before the delete of the old one.
			logical := "role-v1"
			if step == "2" {
				logical = "role-v2"
			}
			_, err := iam.NewRole(ctx, logical, &iam.RoleArgs{Name: pulumi.String("docustack-fixed-name"), AssumeRolePolicy: pulumi.Sprintf(trust, "")})
			return err
		case "archive-missing":
			// A trail delivering to a Log Archive nobody created (a workload
			// stack deployed before the org stack).
			_, err := cloudtrail.NewTrail(ctx, "trail", &cloudtrail.TrailArgs{
				Name: pulumi.String("docustack-refused"), S3BucketName: pulumi.String("docustack-nowhere-log-archive-999999999999"), S3KeyPrefix: pulumi.String("cloudtrail"),
			})
			return err
		case "logging-cross-account":
			b, err := s3.NewBucketV2(ctx, "logged", &s3.BucketV2Args{Bucket: pulumi.String("docustack-refused-logged")})
			if err != nil {
				return err
			}
			_, err = s3.NewBucketLoggingV2(ctx, "logging", &s3.BucketLoggingV2Args{
				Bucket: b.Bucket, TargetBucket: pulumi.String("docustack-org-access-logs-555555555555"), TargetPrefix: pulumi.String("s3/"),
			})
			return err
		}
		return fmt.Errorf("docustack-refused:case %q is none of the cases in Pulumi.yaml", c)
	})
}
