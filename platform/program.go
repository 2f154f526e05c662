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
	provider, err := newProvider(ctx, "aws", cfg.Region, cfg.AccountID)
	if err != nil {
		return err
	}
	opts := []pulumi.ResourceOption{pulumi.Providers(provider)}

	ctx.Export("environment", pulumi.String(string(cfg.Environment)))
	ctx.Export("accountId", pulumi.String(cfg.AccountID))
	ctx.Export("region", pulumi.String(cfg.Region))

	// Layer 1: keys.
	keys, err := components.NewKeys(ctx, "keys", cfg.KeysArgs(), opts...)
	if err != nil {
		return err
	}
	keyArns := pulumi.StringMap{}
	for p, arn := range keys.Arns {
		keyArns[string(p)] = arn
	}
	ctx.Export("kmsKeyArns", keyArns)

	// Layer 1: CI access through GitHub's OIDC provider.
	gh, err := components.NewGitHubOIDC(ctx, "github", cfg.githubArgs(), opts...)
	if err != nil {
		return err
	}
	ctx.Export("ciPreviewRoleArn", gh.PreviewRoleArn)
	ctx.Export("ciDriftRoleArn", gh.DriftRoleArn)
	ctx.Export("ciDeployRoleArn", gh.DeployRoleArn)
	ctx.Export(AdoptedPrincipalsOutput, pulumi.ToStringMap(cfg.adoptedPrincipals()))

	if !cfg.Environment.IsWorkload() {
		return organization(ctx, cfg, keys, gh, opts)
	}
	return workload(ctx, cfg, keys, provider, opts)
}

// newProvider is an aws provider for one region, refusing any other account.
func newProvider(ctx *pulumi.Context, name, region, accountID string) (*aws.Provider, error) {
	return aws.NewProvider(ctx, name, &aws.ProviderArgs{
		Region:            pulumi.String(region),
		AllowedAccountIds: pulumi.StringArray{pulumi.String(accountID)},
	})
}
