package awsspec

import (
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestTFTypesCoverCFNTypes: the Terraform table names exactly the
// pulumi-aws types the CloudFormation table does (every type the program
// can create), each with a resource the pinned provider schema has, and
// every rename points at an argument of that resource.
func TestTFTypesCoverCFNTypes(t *testing.T) {
	loadCFN()
	var cfnTypes, tfKeys []string
	for k := range cfnMap {
		cfnTypes = append(cfnTypes, k)
	}
	for k := range TFTypes() {
		tfKeys = append(tfKeys, k)
	}
	sort.Strings(cfnTypes)
	sort.Strings(tfKeys)
	assert.Equal(t, cfnTypes, tfKeys)
	for p, tf := range TFTypes() {
		schema, ok := TF().Types[tf]
		if !assert.True(t, ok, "%s: %s is not in data/tf.json (run make awsspec)", p, tf) {
			continue
		}
		for in, arg := range TFRenamed(p) {
			_, ok := schema[arg]
			assert.True(t, ok, "%s: input %s is renamed to %s, which %s does not have", p, in, arg, tf)
		}
	}
}

// TestTFSchemaExtract pins the source and reads a few facts of the
// provider's schema that the export depends on, as the registry documents
// them: a single (MaxItems 1) block inside a repeatable one, an attribute,
// and wafv2's recursive statements left untyped.
func TestTFSchemaExtract(t *testing.T) {
	s := TF()
	assert.Equal(t, "19.65.1", s.Version)
	assert.True(t, strings.HasPrefix(s.Provider, "registry.terraform.io/hashicorp/aws 5."), s.Provider)
	sse := s.Types["aws_s3_bucket_server_side_encryption_configuration"]
	require.Contains(t, sse, "rule")
	assert.True(t, sse["rule"].Block && sse["rule"].List)
	def := sse["rule"].Args["apply_server_side_encryption_by_default"]
	assert.True(t, def.Block && !def.List, "MaxItems 1")
	assert.False(t, sse["bucket"].Block)
	st := s.Types["aws_wafv2_web_acl"]["rule"].Args["statement"]
	assert.True(t, st.Block && st.Untyped)
}
