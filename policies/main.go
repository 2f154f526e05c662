// Command policies is DocuStack's HIPAA policy pack for
// `pulumi preview --policy-pack policies`. The rules live in policies/rules,
// which `go test` and `docustack check` run too.
package main

import (
	_ "embed"
	"fmt"
	"os"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"

	"github.com/docustack/infrastructure/policies/rules"
)

//go:embed waivers.yaml
var waivers []byte

func main() {
	err := policyx.Main(func(ctx *pulumi.Context) (policyx.PolicyPack, error) {
		return rules.Pack(waivers, ctx.Stack(), time.Now())
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
