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
		ReaderRoleArns:      c.readerRoles(),
		Tags:                c.StackTags(),
	}
}

// readerRoles are the read-only roles in other accounts the stack's preview
// and drift roles assume: the Log Archive reader, for the org stack.
func (c *Config) readerRoles() []string {
	if c.Environment != Org {
		return nil
	}
	return []string{c.logArchiveReaderRole()}
}

// AdoptedPrincipalsOutput is the stack output listing the principals the
// program's policies name but does not create, each with the configuration
// key that says it already exists: `docustack verify` accepts exactly these
// as pre-existing (KMS and IAM refuse a policy naming a missing principal).
const AdoptedPrincipalsOutput = "adoptedPrincipals"

func (c *Config) adoptedPrincipals() map[string]string {
	out := map[string]string{}
	if c.GitHub.OIDCProviderArn != "" {
		out[c.GitHub.OIDCProviderArn] = Namespace + ":github.oidcProviderArn"
	}
	if c.Compliance.AdoptAutoScalingRole && c.Environment.IsWorkload() {
		out[components.AutoScalingRoleArn(c.AccountID)] = Namespace + ":compliance.adoptAutoScalingRole"
	}
	return out
}
