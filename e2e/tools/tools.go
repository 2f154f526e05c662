//go:build tools

// Package tools pins the real Pulumi CLI and engine that the end-to-end tier builds.
package tools

import (
	_ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"
)
