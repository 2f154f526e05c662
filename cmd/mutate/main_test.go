package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A small module of its own: a port constant, a test that pins it, and a
// function no test reads.
func fixtureModule(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"go.mod":      "module fixture\n\ngo 1.21\n",
		"net.go":      "package fixture\n\n// DatabasePort is PostgreSQL.\nconst DatabasePort = 5432\n\nfunc Unpinned() int {\n\treturn 7\n}\n",
		"net_test.go": "package fixture\n\nimport \"testing\"\n\nfunc TestDatabasePort(t *testing.T) {\n\tif DatabasePort != 5432 {\n\t\tt.Fatal(\"seed: RDS 5432\")\n\t}\n}\n\nfunc TestGolden(t *testing.T) { t.Fatal(\"golden files are skipped\") }\n",
	}
	for name, body := range files {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644))
	}
	return dir
}

func TestLoadRejectsStaleAndMalformedEntries(t *testing.T) {
	dir := fixtureModule(t)
	cat := filepath.Join(dir, "mutants.tsv")
	require.NoError(t, os.WriteFile(cat, []byte(strings.Join([]string{
		"# comment",
		"net.go\tDatabasePort = 5432\tDatabasePort = 5433\tRDS port\tci",
		"net.go\tDatabasePort = 9999\tDatabasePort = 1\tstale entry",
		"net.go\tonly three\tfields",
		"go.mod\tgo 1.21\tgo 1.22\tnot Go source",
		"net.go\treturn 7\treturn 7\tno-op",
		"net.go\tfunc Unpinned() int {\\n\\treturn 7\tfunc Unpinned() int {\\n\\treturn 8\tescapes",
	}, "\n")+"\n"), 0o644))
	ms, err := Load(cat, dir)
	require.Error(t, err)
	msg := err.Error()
	assert.Contains(t, msg, `mutants.tsv:3: net.go holds "DatabasePort = 9999" 0 times, want exactly once: update the entry`)
	assert.Contains(t, msg, "mutants.tsv:4: want file<TAB>text<TAB>replacement<TAB>control[<TAB>ci], got 3 field(s)")
	assert.Contains(t, msg, "mutants.tsv:5: go.mod: only Go files can be mutated")
	assert.Contains(t, msg, "mutants.tsv:6: the replacement equals the text")
	assert.NotContains(t, msg, "mutants.tsv:7", "\\n and \\t escapes match across lines")
	require.Len(t, ms, 5)
	assert.True(t, ms[0].CI)
	assert.Equal(t, "RDS port", ms[0].Control)
}

// The harness tells a caught mutant from a survivor, names the catching
// test, and skips the golden comparison.
func TestRunCatchesAndReportsSurvivors(t *testing.T) {
	dir := fixtureModule(t)
	base := Run(dir, nil)
	require.NoError(t, base.Err)
	assert.Empty(t, base.CaughtBy, "TestGolden is skipped")

	caught := Run(dir, &Mutant{File: "net.go", Text: "DatabasePort = 5432", Replacement: "DatabasePort = 5433", Control: "RDS port"})
	require.NoError(t, caught.Err)
	assert.Equal(t, []string{"fixture.TestDatabasePort"}, caught.CaughtBy)

	survived := Run(dir, &Mutant{File: "net.go", Text: "return 7", Replacement: "return 8", Control: "unpinned"})
	require.NoError(t, survived.Err)
	assert.Empty(t, survived.CaughtBy)

	broken := Run(dir, &Mutant{File: "net.go", Text: "return 7", Replacement: "return \"x\"", Control: "does not compile"})
	assert.ErrorContains(t, broken.Err, "did not build")

	b, err := os.ReadFile(filepath.Join(dir, "net.go"))
	require.NoError(t, err)
	assert.Contains(t, string(b), "DatabasePort = 5432", "the working tree is never touched")

	var out bytes.Buffer
	report(&out, survived, false)
	assert.Contains(t, out.String(), "SURVIVED net.go:0 unpinned")
}

func TestTopLevel(t *testing.T) {
	assert.Equal(t, []string{"internal/synth.TestGolden", "components.TestBackup"},
		topLevel([]string{"internal/synth.TestGolden/dev", "internal/synth.TestGolden/prod", "components.TestBackup"}))
}
