package rules

import (
	"encoding/json"
	"strconv"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/property"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"
)

// Res is a resource as a rule sees it: policyx's view plus helpers that
// navigate properties by dotted path ("rules.0.applyServerSideEncryptionByDefault.sseAlgorithm").
//
// During a real `pulumi preview` any input that comes from another resource
// may be unknown (computed). Helpers report whether a value is known, and
// rules skip unknown values instead of reporting them. An absent property
// means the provider default (absent enableKeyRotation is off).
type Res struct {
	policyx.AnalyzerResource
}

// value returns the property at path, following maps and array indexes.
// Secrets are unwrapped: a rule judges the shape, never prints the value.
func (r Res) value(path string) (property.Value, bool) {
	cur := property.New(r.Properties)
	for _, seg := range strings.Split(path, ".") {
		switch {
		case cur.IsMap():
			v, ok := cur.AsMap().GetOk(seg)
			if !ok {
				return property.Value{}, false
			}
			cur = v
		case cur.IsArray():
			i, err := strconv.Atoi(seg)
			if err != nil || i < 0 || i >= cur.AsArray().Len() {
				return property.Value{}, false
			}
			cur = cur.AsArray().Get(i)
		default:
			return property.Value{}, false
		}
	}
	return cur, true
}

// Has reports whether path is present and not null.
func (r Res) Has(path string) bool {
	v, ok := r.value(path)
	return ok && !v.IsNull()
}

// Unknown reports whether path is computed (not known until apply).
func (r Res) Unknown(path string) bool {
	v, ok := r.value(path)
	return ok && v.IsComputed()
}

// Str returns the string at path and whether it is a known string.
func (r Res) Str(path string) (string, bool) {
	v, ok := r.value(path)
	if !ok || !v.IsString() {
		return "", false
	}
	return v.AsString(), true
}

// S returns the string at path, or "".
func (r Res) S(path string) string {
	s, _ := r.Str(path)
	return s
}

// Bool returns the boolean at path; absent or unknown is false, with known
// telling which. Booleans written as strings (provider inputs) are accepted.
func (r Res) Bool(path string) (b bool, known bool) {
	v, ok := r.value(path)
	switch {
	case !ok || v.IsNull():
		return false, true
	case v.IsBool():
		return v.AsBool(), true
	case v.IsString():
		parsed, err := strconv.ParseBool(v.AsString())
		return parsed, err == nil
	}
	return false, !v.IsComputed()
}

// Num returns the number at path and whether it is present and known.
func (r Res) Num(path string) (float64, bool) {
	v, ok := r.value(path)
	if !ok {
		return 0, false
	}
	switch {
	case v.IsNumber():
		return v.AsNumber(), true
	case v.IsString():
		f, err := strconv.ParseFloat(v.AsString(), 64)
		return f, err == nil
	}
	return 0, false
}

// Len returns the length of the array at path (0 when absent).
func (r Res) Len(path string) int {
	v, ok := r.value(path)
	if !ok || !v.IsArray() {
		return 0
	}
	return v.AsArray().Len()
}

// Strings returns the known strings of the array (or single string) at path.
func (r Res) Strings(path string) []string {
	v, ok := r.value(path)
	if !ok {
		return nil
	}
	if v.IsString() {
		return []string{v.AsString()}
	}
	if !v.IsArray() {
		return nil
	}
	var out []string
	for _, e := range v.AsArray().AsSlice() {
		if e.IsString() {
			out = append(out, e.AsString())
		}
	}
	return out
}

// Tag returns a tag value.
func (r Res) Tag(key string) string { return r.S("tags." + key) }

// Env is the resource's Environment tag (dev, staging, prod, org).
func (r Res) Env() string { return r.Tag("Environment") }

// Label is how findings name the resource.
func (r Res) Label() string {
	if r.Name != "" {
		return r.Name
	}
	return r.URN
}

// JSONDoc decodes a policy document held as a JSON string at path; ok is
// false when the value is absent, unknown or not JSON.
func (r Res) JSONDoc(path string) (PolicyDoc, bool) {
	s, ok := r.Str(path)
	if !ok || s == "" {
		return PolicyDoc{}, false
	}
	var doc PolicyDoc
	if err := json.Unmarshal([]byte(s), &doc); err != nil {
		return PolicyDoc{}, false
	}
	return doc, true
}

// PolicyDoc is an IAM or resource policy document. Statement may be one
// object or a list in IAM; UnmarshalJSON accepts both.
type PolicyDoc struct {
	Statement []Statement `json:"Statement"`
}

// UnmarshalJSON accepts a single statement object as well as a list.
func (d *PolicyDoc) UnmarshalJSON(b []byte) error {
	var raw struct {
		Statement json.RawMessage `json:"Statement"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	if len(raw.Statement) == 0 {
		return nil
	}
	if raw.Statement[0] == '{' {
		var s Statement
		if err := json.Unmarshal(raw.Statement, &s); err != nil {
			return err
		}
		d.Statement = []Statement{s}
		return nil
	}
	return json.Unmarshal(raw.Statement, &d.Statement)
}

// Statement is one policy statement; string-or-list fields are normalized.
type Statement struct {
	Sid       string                    `json:"Sid"`
	Effect    string                    `json:"Effect"`
	Principal any                       `json:"Principal"`
	Action    stringList                `json:"Action"`
	NotAction stringList                `json:"NotAction"`
	Resource  stringList                `json:"Resource"`
	Condition map[string]map[string]any `json:"Condition"`
}

// stringList is an IAM field that may be a string or a list of strings.
type stringList []string

// UnmarshalJSON accepts "x" and ["x", "y"].
func (l *stringList) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*l = []string{s}
		return nil
	}
	var s []string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	*l = s
	return nil
}

// principals returns the principal values of a kind ("AWS", "Service",
// "Federated"); "*" as the whole principal counts for AWS.
func (s Statement) principals(kind string) []string {
	switch p := s.Principal.(type) {
	case string:
		if kind == "AWS" {
			return []string{p}
		}
	case map[string]any:
		return anyStrings(p[kind])
	}
	return nil
}

// conditionValues returns the values of a condition key under an operator.
func (s Statement) conditionValues(op, key string) []string {
	return anyStrings(s.Condition[op][key])
}

// anyStrings reads a JSON value that IAM allows as one string (or boolean)
// or a list of them.
func anyStrings(v any) []string {
	switch t := v.(type) {
	case string:
		return []string{t}
	case bool:
		return []string{strconv.FormatBool(t)}
	case []any:
		var out []string
		for _, e := range t {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}
