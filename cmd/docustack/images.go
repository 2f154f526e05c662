package main

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/docustack/infrastructure/components"
	"github.com/docustack/infrastructure/internal/synth"
	"github.com/docustack/infrastructure/platform"
)

// imagesCmd prints, as a shell script, the `docker buildx build` of every
// image this repository builds for the stack (platform.BuiltImagesOutput:
// repository, tag and upstream base from the stack's configuration), each for
// every platform of platform.ImagePlatforms, pushed to the stack's registry.
// The images workflow pipes it to bash after logging in to ECR.
func imagesCmd(root, stack string, stdout, stderr io.Writer) int {
	plan, err := synth.Stack(root, stack)
	if err != nil {
		fmt.Fprintf(stderr, "docustack images: stack %q:\n%s", stack, components.ErrorLines(err))
		return exitFail
	}
	raw, _ := plan.Outputs[platform.BuiltImagesOutput].([]any)
	if len(raw) == 0 {
		fmt.Fprintf(stderr, "docustack images: stack %q builds no images (a workload stack does)\n", stack)
		return exitFail
	}
	var lines []string
	for _, r := range raw {
		m, _ := r.(map[string]any)
		str := func(k string) string { s, _ := m[k].(string); return s }
		args := []string{"docker buildx build", "--platform " + strings.Join(platform.ImagePlatforms, ","),
			"-f " + str("dockerfile"), "-t " + str("repository") + ":" + str("tag"), "--push"}
		if b := str("base"); b != "" {
			args = append(args, "--build-arg BASE="+b)
		}
		// Tags are immutable: an image already there is kept, not rebuilt.
		repo := str("repository")[strings.Index(str("repository"), "/")+1:]
		lines = append(lines, fmt.Sprintf("# %s:%s\naws ecr describe-images --repository-name %s --image-ids imageTag=%s >/dev/null 2>&1 ||\n  %s %s",
			platform.Namespace, str("key"), repo, str("tag"), strings.Join(args, " "), str("context")))
	}
	sort.Strings(lines)
	fmt.Fprintf(stdout, "set -euo pipefail\n%s\n", strings.Join(lines, "\n"))
	return exitOK
}
