package components

import "github.com/pulumi/pulumi/sdk/v3/go/pulumi"

// awsResource is a pulumi-aws resource registered by its type token rather
// than through its generated Go package. The wafv2 package alone adds about
// 2.5 minutes and 4.5 GB to a cold build (DESIGN.md §4); the engine and the
// aws provider treat the registration exactly as the generated code would.
type awsResource struct {
	pulumi.CustomResourceState

	Arn pulumi.StringOutput `pulumi:"arn"`
}

func newAWSResource(ctx *pulumi.Context, typ, name string, props pulumi.Map, opts ...pulumi.ResourceOption) (*awsResource, error) {
	var r awsResource
	if err := ctx.RegisterResource(typ, name, props, &r, opts...); err != nil {
		return nil, err
	}
	return &r, nil
}
