package platform

import (
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/docustack/infrastructure/components"
)

// Program is the DocuStack Pulumi program. It loads and validates the stack
// configuration, then builds the layers in dependency order (seed,
// Infrastructure Layers); layer 0 (state bootstrap) is the separate project
// in bootstrap/.
func Program(ctx *pulumi.Context) error {
	cfg, err := LoadConfig(ctx)
	if err != nil {
		return err
	}
	// An explicit provider pinned to the stack's account: pointing dev's
	// configuration at the prod account fails before any change is made.
	provider, err := aws.NewProvider(ctx, "aws", &aws.ProviderArgs{
		Region:            pulumi.String(cfg.Region),
		AllowedAccountIds: pulumi.StringArray{pulumi.String(cfg.AccountID)},
	})
	if err != nil {
		return err
	}
	opts := []pulumi.ResourceOption{pulumi.Providers(provider)}

	ctx.Export("environment", pulumi.String(string(cfg.Environment)))
	ctx.Export("accountId", pulumi.String(cfg.AccountID))
	ctx.Export("region", pulumi.String(cfg.Region))

	// Layer 1: keys, log archive, network.
	keys, err := components.NewKeys(ctx, "keys", cfg.KeysArgs(), opts...)
	if err != nil {
		return err
	}
	keyArns := pulumi.StringMap{}
	for p, arn := range keys.Arns {
		keyArns[string(p)] = arn
	}
	ctx.Export("kmsKeyArns", keyArns)

	if !cfg.Environment.IsWorkload() {
		return nil
	}
	archive, err := components.NewLogArchive(ctx, "log-archive", cfg.logArchiveArgs(keys.Arn(components.KeyLogs)), opts...)
	if err != nil {
		return err
	}
	ctx.Export("logArchiveBucket", archive.Bucket.Bucket)

	network, err := components.NewNetwork(ctx, "network", cfg.networkArgs(pulumi.String(archive.FlowLogDestination)), opts...)
	if err != nil {
		return err
	}
	ctx.Export("vpcId", network.Vpc.ID())
	for _, t := range components.Tiers {
		ctx.Export(string(t)+"SubnetIds", network.SubnetIDs(t))
	}
	sgs := network.SecurityGroups
	ctx.Export("securityGroupIds", pulumi.StringMap{
		components.RoleALB:       sgs.ALB.ID().ToStringOutput(),
		components.RoleECS:       sgs.ECS.ID().ToStringOutput(),
		components.RoleRDS:       sgs.RDS.ID().ToStringOutput(),
		components.RoleEndpoints: sgs.Endpoints.ID().ToStringOutput(),
	})
	return nil
}
