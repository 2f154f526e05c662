// Command bootstrap is layer 0: the per-account Pulumi state bucket and
// secrets-provider key (see platform.Bootstrap and the README).
package main

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/docustack/infrastructure/platform"
)

func main() { pulumi.Run(platform.Bootstrap) }
