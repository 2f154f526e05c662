// Command docustack is the DocuStack infrastructure Pulumi program.
package main

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/docustack/infrastructure/platform"
)

func main() {
	pulumi.Run(platform.Program)
}
