package awsspec

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"unicode"
)

//go:embed data/cfn.json
var cfnJSON []byte

//go:embed cfn_types.json
var cfnTypesJSON []byte

// CFNSpec is the pinned extract of the CloudFormation registry.
type CFNSpec struct {
	Source  string             `json:"source"`
	Version string             `json:"version"`
	Types   map[string]CFNType `json:"types"`
}

// CFNType is one CloudFormation type: its ARN template and, per top-level
// property, causesReplacement ("yes", "maybe", "no").
type CFNType struct {
	ARNTemplate string            `json:"arnTemplate"`
	Properties  map[string]string `json:"properties"`
}

// cfnMapping is a pulumi-aws type's CloudFormation counterpart.
type cfnMapping struct {
	CFN   string            `json:"cfn"`
	Props map[string]string `json:"props"`
}

var (
	cfnOnce sync.Once
	cfnSpec *CFNSpec
	cfnMap  map[string]*cfnMapping
)

func loadCFN() {
	cfnOnce.Do(func() {
		var s CFNSpec
		if err := json.Unmarshal(cfnJSON, &s); err != nil {
			panic(fmt.Sprintf("awsspec: data/cfn.json: %v", err))
		}
		raw := map[string]json.RawMessage{}
		if err := json.Unmarshal(cfnTypesJSON, &raw); err != nil {
			panic(fmt.Sprintf("awsspec: cfn_types.json: %v", err))
		}
		m := map[string]*cfnMapping{}
		for k, v := range raw {
			if strings.HasPrefix(k, "_") {
				continue
			}
			var c *cfnMapping
			if err := json.Unmarshal(v, &c); err != nil {
				panic(fmt.Sprintf("awsspec: cfn_types.json %s: %v", k, err))
			}
			m[k] = c
		}
		cfnSpec, cfnMap = &s, m
	})
}

// CFN returns the CloudFormation extract.
func CFN() *CFNSpec { loadCFN(); return cfnSpec }

// CFNTypeOf returns a pulumi-aws type's CloudFormation type; mapped is false
// when cfn_types.json does not know the type, cfn is "" when it has no
// counterpart.
func CFNTypeOf(pulumiType string) (cfn string, mapped bool) {
	loadCFN()
	m, ok := cfnMap[pulumiType]
	if !ok {
		return "", false
	}
	if m == nil {
		return "", true
	}
	return m.CFN, true
}

// CFNProperty returns the CloudFormation property a pulumi-aws input maps to
// and its causesReplacement, or "" when the input has no counterpart.
func CFNProperty(pulumiType, input string) (prop, causesReplacement string) {
	loadCFN()
	m := cfnMap[pulumiType]
	if m == nil {
		return "", ""
	}
	t, ok := cfnSpec.Types[m.CFN]
	if !ok {
		return "", ""
	}
	if p, ok := m.Props[input]; ok {
		return p, t.Properties[p]
	}
	pascal := string(unicode.ToUpper(rune(input[0]))) + input[1:]
	for k, v := range t.Properties {
		if strings.EqualFold(k, pascal) {
			return k, v
		}
	}
	return "", ""
}

// ARNTemplate is the CloudFormation template of a pulumi-aws type's ARN
// ("arn:${Partition}:iam::${Account}:oidc-provider/${OidcProviderName}"), or "".
func ARNTemplate(pulumiType string) string {
	cfn, _ := CFNTypeOf(pulumiType)
	return CFN().Types[cfn].ARNTemplate
}

// MatchesTemplate reports whether a concrete ARN fits a template.
func MatchesTemplate(template, arn string) bool {
	return templateRegexp(template).MatchString(arn)
}
