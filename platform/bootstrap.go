package platform

import (
	"errors"
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/docustack/infrastructure/components"
)

// BootstrapNamespace is the bootstrap project's configuration namespace.
const BootstrapNamespace = "docustack-bootstrap"

// Bootstrap is the program of the separate `bootstrap/` project (layer 0):
// per account, the Pulumi state bucket and the awskms:// secrets-provider key
// the main program's stacks are stored and encrypted with. It runs with a
// local backend (its own state is tiny and rebuilt by import if lost).
func Bootstrap(ctx *pulumi.Context) error {
	env, _ := ctx.GetConfig(BootstrapNamespace + ":environment")
	account, _ := ctx.GetConfig(BootstrapNamespace + ":accountId")
	region, _ := ctx.GetConfig("aws:region")
	var errs []error
	if !Environment(env).Valid() {
		errs = append(errs, bad(BootstrapNamespace+":environment", env, "one of %q", Environments))
	}
	if !accountIDRegexp.MatchString(account) {
		errs = append(errs, bad(BootstrapNamespace+":accountId", account, "a 12-digit AWS account ID"))
	}
	if region != AllowedRegion {
		errs = append(errs, bad("aws:region", region, "%q", AllowedRegion))
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	provider, err := newProvider(ctx, "aws", region, account)
	if err != nil {
		return err
	}
	cfg := &Config{Environment: Environment(env), AccountID: account, Owner: "platform-team", CostCenter: "docustack-" + env,
		DataClassification: "Internal"}
	backend, err := components.NewStateBackend(ctx, "state", components.StateBackendArgs{
		BucketName:     StateBucketName(Environment(env), account),
		KeyAliasPrefix: fmt.Sprintf("docustack-%s", env),
		AccountID:      account, Region: region, Tags: cfg.StackTags(),
	}, pulumi.Providers(provider))
	if err != nil {
		return err
	}
	ctx.Export("loginUrl", pulumi.String(backend.LoginURL))
	ctx.Export("secretsProvider", pulumi.String(backend.SecretsProvider))
	ctx.Export("keyArn", backend.KeyArn)
	return nil
}
