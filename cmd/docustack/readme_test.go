package main

import (
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/docustack/infrastructure/internal/synth"
)

// The README's "Stack outputs" table lists exactly the outputs each stack's
// plan exports (and `make e2e` checks a deployed stack exports the plan's).
func TestREADMEDocumentsEveryOutput(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	require.NoError(t, err)
	text := string(readme)
	start := strings.Index(text, "## Stack outputs")
	require.GreaterOrEqual(t, start, 0, "README has no Stack outputs section")
	section := text[start:]
	section = section[:strings.Index(section[3:], "\n## ")+3]
	documented := map[string][]string{}
	for _, line := range strings.Split(section, "\n") {
		cells := strings.Split(line, "|")
		if len(cells) < 4 || !strings.Contains(cells[1], "`") {
			continue
		}
		var stacks []string
		switch strings.TrimSpace(cells[2]) {
		case "all":
			stacks = []string{"dev", "staging", "prod", "org"}
		case "workload":
			stacks = []string{"dev", "staging", "prod"}
		default:
			stacks = strings.Split(strings.ReplaceAll(strings.TrimSpace(cells[2]), " ", ""), ",")
		}
		for _, name := range strings.Split(cells[1], ",") {
			name = strings.Trim(strings.TrimSpace(name), "`")
			for _, s := range stacks {
				documented[s] = append(documented[s], name)
			}
		}
	}
	for _, stack := range []string{"dev", "staging", "prod", "org"} {
		plan, err := synth.Stack("../..", stack)
		require.NoError(t, err)
		var exported []string
		for k := range plan.Outputs {
			exported = append(exported, k)
		}
		sort.Strings(exported)
		sort.Strings(documented[stack])
		assert.Equal(t, exported, documented[stack], "README Stack outputs vs the %s plan", stack)
	}
}
