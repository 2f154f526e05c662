package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/docustack/infrastructure/internal/cost"
)

func TestCostCommand(t *testing.T) {
	code, out, stderr := runCLI("cost", "--stack", "dev", "--dir", "../..")
	require.Equal(t, exitOK, code, stderr)
	for _, want := range []string{"Total:", "Without the nightly scheduler:", "Without Fargate Spot:", "Without either:", "network-nat-0", "public IPv4 addresses (2 AZs)"} {
		assert.Contains(t, out, want)
	}
	assert.NotContains(t, out, "Not priced", "every resource of dev is in the cost model")

	code, out, stderr = runCLI("cost", "--stack", "prod", "--json", "--dir", "../..")
	require.Equal(t, exitOK, code, stderr)
	var rep cost.Report
	require.NoError(t, json.Unmarshal([]byte(out), &rep))
	assert.Equal(t, "prod", rep.Stack)
	assert.Greater(t, rep.Estimate.TotalUSD, 0.0)

	code, _, stderr = runCLI("cost", "--stack", "nope", "--dir", "../..")
	assert.Equal(t, exitFail, code)
	assert.Contains(t, stderr, "nope")
}

// The README's cost table states measured figures; it must follow the model
// and the stack files, and the targets must hold.
func TestREADMECostTableIsMeasured(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	require.NoError(t, err)
	targets := map[string]float64{"dev": 150, "prod": 1000}
	for _, stack := range []string{"dev", "staging", "prod"} {
		rep, err := cost.ForStack("../..", stack)
		require.NoError(t, err)
		row := fmt.Sprintf("$%.2f |", rep.Estimate.TotalUSD)
		line := readmeRow(string(readme), "| "+stack)
		require.NotEmpty(t, line, "README has no cost row for %s", stack)
		assert.Contains(t, line, row, "README cost row of %s", stack)
		assert.Contains(t, line, fmt.Sprintf("$%.2f", rep.WithoutSpot), "README cost row of %s", stack)
		assert.Contains(t, line, fmt.Sprintf("$%.2f", rep.WithoutBoth), "README cost row of %s", stack)
		if rep.SchedulerSavings > 0 {
			assert.Contains(t, line, fmt.Sprintf("$%.2f", rep.WithoutScheduler), "README cost row of %s", stack)
		}
		if max, ok := targets[stack]; ok {
			assert.LessOrEqual(t, rep.Estimate.TotalUSD, max, "%s exceeds its monthly target", stack)
		}
	}
}

func readmeRow(readme, prefix string) string {
	for _, l := range strings.Split(readme, "\n") {
		if strings.HasPrefix(l, prefix+" ") && strings.Contains(l, "$") {
			return l
		}
	}
	return ""
}
