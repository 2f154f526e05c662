package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"
)

type workflow struct {
	On   map[string]any `yaml:"on"`
	Jobs map[string]struct {
		Needs       any               `yaml:"needs"`
		Uses        string            `yaml:"uses"`
		With        map[string]any    `yaml:"with"`
		Environment string            `yaml:"environment"`
		Permissions map[string]string `yaml:"permissions"`
		Concurrency map[string]any    `yaml:"concurrency"`
		Strategy    struct {
			Matrix struct {
				Include []map[string]string `yaml:"include"`
			} `yaml:"matrix"`
		} `yaml:"strategy"`
		Steps []struct {
			Uses string         `yaml:"uses"`
			Run  string         `yaml:"run"`
			With map[string]any `yaml:"with"`
		} `yaml:"steps"`
	} `yaml:"jobs"`
}

func loadWorkflow(t *testing.T, name string) (workflow, string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("../../.github/workflows", name))
	require.NoError(t, err)
	var w workflow
	require.NoError(t, yaml.Unmarshal(b, &w))
	return w, string(b)
}

func TestWorkflows(t *testing.T) {
	files, err := filepath.Glob("../../.github/workflows/*.yml")
	require.NoError(t, err)
	for _, f := range files {
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		assert.NotContains(t, string(b), "aws-access-key-id", "%s: OIDC only, no long-lived keys", f)
		assert.NotContains(t, string(b), "AWS_SECRET_ACCESS_KEY", f)
	}

	pr, _ := loadWorkflow(t, "pull-request.yml")
	assert.Contains(t, pr.Jobs["test"].Steps[2].Run, "bash .ci/run")
	assert.Equal(t, "make check", pr.Jobs["test"].Steps[3].Run, "the policy pack over every stack")
	preview := pr.Jobs["preview"]
	assert.Equal(t, "write", preview.Permissions["id-token"])
	var stacks []string
	for _, m := range preview.Strategy.Matrix.Include {
		stacks = append(stacks, m["stack"])
	}
	assert.Equal(t, []string{"dev", "staging", "prod", "org"}, stacks)
	for _, s := range preview.Steps {
		if s.Uses == "aws-actions/configure-aws-credentials@v4" {
			assert.Contains(t, s.With["role-to-assume"], "-ci-preview", "previews use the preview role")
		}
		if s.Uses == "pulumi/actions@v6" {
			assert.Equal(t, "preview", s.With["command"])
			assert.Equal(t, "policies", s.With["policyPacks"])
			assert.Equal(t, true, s.With["comment-on-pr"])
		}
	}

	deploy, _ := loadWorkflow(t, "deploy.yml")
	assert.Contains(t, deploy.On, "push")
	assert.Nil(t, deploy.Jobs["dev"].Needs)
	assert.Equal(t, "dev", deploy.Jobs["staging"].Needs, "dev, then staging")
	assert.Equal(t, "staging", deploy.Jobs["prod"].Needs, "then prod")
	stack, raw := loadWorkflow(t, "deploy-stack.yml")
	up := stack.Jobs["up"]
	assert.Equal(t, "${{ inputs.stack }}", up.Environment, "GitHub environments with required reviewers")
	assert.Equal(t, "stack-${{ inputs.stack }}", up.Concurrency["group"], "one concurrency group per stack")
	assert.Contains(t, raw, "-ci-deploy")
	assert.Contains(t, raw, "policyPacks: policies")

	drift, raw := loadWorkflow(t, "drift.yml")
	assert.Contains(t, drift.On, "schedule")
	assert.Contains(t, raw, "expect-no-changes: true")
	assert.True(t, strings.Contains(raw, "-ci-preview"), "drift detection is read-only")
}
