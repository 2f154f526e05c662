package main

import (
	"fmt"
	"io"
	"sort"

	"github.com/docustack/infrastructure/components"
	"github.com/docustack/infrastructure/internal/synth"
	"github.com/docustack/infrastructure/platform"
)

// awsProfileCmd prints the AWS shared-config profiles a stack's
// profile-configured providers use, each assuming the role the stack names
// for the use (preview, drift or deploy) with the caller's environment
// credentials (credential_source = Environment: what configure-aws-credentials
// exports). The org stack has one, for the Log Archive account; a workload
// stack none. CI appends the output to ~/.aws/config.
// https://docs.aws.amazon.com/sdkref/latest/guide/feature-assume-role-credentials.html
func awsProfileCmd(root, stack, use string, stdout, stderr io.Writer) int {
	roleFor := map[string]string{"preview": "preview", "drift": "preview", "deploy": "deploy"}[use]
	if roleFor == "" {
		fmt.Fprintf(stderr, "docustack aws-profile: --for %q: want preview, drift or deploy\n", use)
		return exitUsage
	}
	plan, err := synth.Stack(root, stack)
	if err != nil {
		fmt.Fprintf(stderr, "docustack aws-profile: stack %q:\n%s", stack, components.ErrorLines(err))
		return exitFail
	}
	roles, _ := plan.Outputs[platform.LogArchiveRolesOutput].(map[string]any)
	var profiles []string
	for _, p := range plan.ByType("pulumi:providers:aws") {
		if name := p.Str("profile"); name != "" {
			profiles = append(profiles, name)
		}
	}
	sort.Strings(profiles)
	for _, name := range profiles {
		role, _ := roles[roleFor].(string)
		if role == "" {
			fmt.Fprintf(stderr, "docustack aws-profile: stack %q has no %s role for profile %s (output %s)\n", stack, roleFor, name, platform.LogArchiveRolesOutput)
			return exitFail
		}
		fmt.Fprintf(stdout, "[profile %s]\nrole_arn = %s\ncredential_source = Environment\nrole_session_name = docustack-%s-%s\n\n", name, role, stack, use)
	}
	return exitOK
}
