package platform

import (
	"fmt"

	"github.com/docustack/infrastructure/components"
)

// StateBucketName is the account's Pulumi state bucket, created by bootstrap/.
func StateBucketName(env Environment, accountID string) string {
	return fmt.Sprintf("docustack-%s-pulumi-state-%s", env, accountID)
}

// StateKeyAlias is the alias of the account's secrets-provider key (bootstrap/).
func StateKeyAlias(env Environment) string {
	return fmt.Sprintf("alias/docustack-%s-pulumi-secrets", env)
}

func (c *Config) githubArgs() components.GitHubOIDCArgs {
	return components.GitHubOIDCArgs{
		Org:                 c.GitHub.Org,
		Repo:                c.GitHub.Repo,
		Environment:         string(c.Environment),
		ExistingProviderArn: c.GitHub.OIDCProviderArn,
		StateBucket:         StateBucketName(c.Environment, c.AccountID),
		StateKeyAlias:       StateKeyAlias(c.Environment),
		AccountID:           c.AccountID,
		Tags:                c.StackTags(),
	}
}
