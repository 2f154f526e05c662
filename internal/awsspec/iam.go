package awsspec

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"sync"
)

//go:embed data/iam.json
var iamJSON []byte

// Catalogue is the pinned extract of the Service Authorization Reference
// ("Actions, resources, and condition keys for AWS services",
// https://docs.aws.amazon.com/service-authorization/latest/reference/),
// limited to the services the stacks' policies name. Keys are lower case, as
// IAM compares action names and condition keys case-insensitively.
type Catalogue struct {
	Source    string             `json:"source"`
	Version   string             `json:"version"`
	UpdatedAt string             `json:"updatedAt"`
	Global    map[string]CondKey `json:"global"`
	// AllServices is every service prefix AWS defines, sorted, so a prefix
	// outside the extract is told apart from one that does not exist.
	AllServices []string           `json:"allServices"`
	Services    map[string]Service `json:"services"`

	keys []keyPattern // every service's condition keys, patterns compiled
}

// Service is one service prefix's actions, resource types and condition keys.
type Service struct {
	Name       string                  `json:"name"`
	Actions    map[string]Action       `json:"actions"`
	Resources  map[string]ResourceType `json:"resources"`
	Conditions map[string]CondKey      `json:"conditions"`
}

// Action is one IAM action.
type Action struct {
	Name       string         `json:"name"`
	Access     string         `json:"access"`
	Resources  []ActionResRef `json:"resources"`
	Conditions []string       `json:"conditions"`
}

// ActionResRef is a resource type an action applies to.
type ActionResRef struct {
	Type       string   `json:"type"`
	Required   bool     `json:"required"`
	Conditions []string `json:"conditions"`
}

// ResourceType is a service's resource type and its ARN format.
type ResourceType struct {
	ARN        string   `json:"arn"`
	Conditions []string `json:"conditions"`

	re *regexp.Regexp
}

// CondKey is a condition key and its type (String, ARN, Bool, Numeric,
// Date, IPAddress, ArrayOfString, ...).
type CondKey struct {
	Key  string `json:"key"`
	Type string `json:"type"`
}

type keyPattern struct {
	re  *regexp.Regexp
	key CondKey
}

var (
	iamOnce sync.Once
	iamCat  *Catalogue
)

// IAM returns the catalogue (parsed once).
func IAM() *Catalogue {
	iamOnce.Do(func() {
		var c Catalogue
		if err := json.Unmarshal(iamJSON, &c); err != nil {
			panic(fmt.Sprintf("awsspec: data/iam.json: %v", err))
		}
		for svc, s := range c.Services {
			for k, r := range s.Resources {
				r.re = templateRegexp(r.ARN)
				s.Resources[k] = r
			}
			for k, ck := range s.Conditions {
				c.keys = append(c.keys, keyPattern{templateRegexp(k), ck})
			}
			c.Services[svc] = s
		}
		for k, ck := range c.Global {
			// The global list spells placeholders "tag-key" (aws:PrincipalTag/tag-key).
			c.keys = append(c.keys, keyPattern{templateRegexp(strings.ReplaceAll(k, "/tag-key", "/${tagkey}")), ck})
		}
		sort.Slice(c.keys, func(i, j int) bool { return c.keys[i].key.Key < c.keys[j].key.Key })
		iamCat = &c
	})
	return iamCat
}

// templateRegexp turns a reference template ("arn:${Partition}:s3:::${BucketName}",
// "kms:EncryptionContext:${EncryptionContextKey}") into an anchored,
// case-insensitive regular expression where each ${...} is one or more characters.
func templateRegexp(t string) *regexp.Regexp {
	var b strings.Builder
	b.WriteString("(?i)^")
	for len(t) > 0 {
		i := strings.Index(t, "${")
		if i < 0 {
			b.WriteString(regexp.QuoteMeta(t))
			break
		}
		b.WriteString(regexp.QuoteMeta(t[:i]))
		j := strings.Index(t[i:], "}")
		if j < 0 {
			b.WriteString(regexp.QuoteMeta(t[i:]))
			break
		}
		b.WriteString(".+")
		t = t[i+j+1:]
	}
	b.WriteString("$")
	return regexp.MustCompile(b.String())
}

// HasService reports whether the extract covers a service prefix.
func (c *Catalogue) HasService(prefix string) bool {
	_, ok := c.Services[strings.ToLower(prefix)]
	return ok
}

// Actions returns the actions an action pattern ("s3:Get*", "kms:Decrypt",
// "logs:*") matches, with their service. ok is false when the service is not
// in the extract (the caller reports "no model", not a verdict).
func (c *Catalogue) Actions(pattern string) (svc string, matched []Action, ok bool) {
	svc, name, found := strings.Cut(strings.ToLower(pattern), ":")
	if !found {
		return "", nil, false
	}
	s, ok := c.Services[svc]
	if !ok {
		return svc, nil, false
	}
	if !strings.ContainsAny(name, "*?") {
		if a, hit := s.Actions[name]; hit {
			return svc, []Action{a}, true
		}
		return svc, nil, true
	}
	re := wildcardRegexp(name)
	for k, a := range s.Actions {
		if re.MatchString(k) {
			matched = append(matched, a)
		}
	}
	sort.Slice(matched, func(i, j int) bool { return matched[i].Name < matched[j].Name })
	return svc, matched, true
}

// wildcardRegexp is IAM's glob: * any run, ? one character, case-insensitive.
func wildcardRegexp(g string) *regexp.Regexp {
	q := regexp.QuoteMeta(g)
	q = strings.ReplaceAll(q, `\*`, ".*")
	q = strings.ReplaceAll(q, `\?`, ".")
	return regexp.MustCompile("(?i)^" + q + "$")
}

// ConditionKey finds a condition key: a global key or a key of any service
// in the extract, placeholders included (kms:EncryptionContext:${Key}).
func (c *Catalogue) ConditionKey(key string) (CondKey, bool) {
	for _, p := range c.keys {
		if p.re.MatchString(key) {
			return p.key, true
		}
	}
	return CondKey{}, false
}

// ResourceTypes returns the resource types of a service whose ARN format
// an ARN (possibly with IAM wildcards) can name: some concrete ARN matches
// both the pattern and the type's template.
func (c *Catalogue) ResourceTypes(svc, arn string) []string {
	s, ok := c.Services[strings.ToLower(svc)]
	if !ok {
		return nil
	}
	var out []string
	for k, r := range s.Resources {
		if arnIntersects(arn, r.ARN) {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

// arnIntersects compares an ARN pattern with a reference template field by
// field: partition, service, Region and account hold no colon, so a
// placeholder or wildcard there cannot swallow the next field; the resource
// part may contain colons and slashes.
func arnIntersects(arn, template string) bool {
	a, t := strings.SplitN(arn, ":", 6), strings.SplitN(template, ":", 6)
	if len(a) < 6 || len(t) < 6 {
		return intersects(globTokens(arn, false), globTokens(template, true))
	}
	for i := range a {
		if !intersects(globTokens(a[i], false), globTokens(t[i], true)) {
			return false
		}
	}
	return true
}

// A token of a pattern: a literal byte, one any character, or any run.
type token struct {
	kind byte // 'c' literal, '?' one character, '*' any run (possibly empty)
	c    byte
}

// globTokens reads an IAM pattern (* and ?) or, when template, a reference
// template whose ${...} placeholders stand for one or more characters.
func globTokens(p string, template bool) []token {
	var out []token
	for i := 0; i < len(p); i++ {
		switch {
		case template && strings.HasPrefix(p[i:], "${"):
			j := strings.IndexByte(p[i:], '}')
			if j < 0 {
				j = len(p) - i - 1
			}
			out = append(out, token{kind: '?'}, token{kind: '*'})
			i += j
		case !template && p[i] == '*':
			out = append(out, token{kind: '*'})
		case !template && p[i] == '?':
			out = append(out, token{kind: '?'})
		default:
			out = append(out, token{kind: 'c', c: lower(p[i])})
		}
	}
	return out
}

func lower(b byte) byte {
	if 'A' <= b && b <= 'Z' {
		return b + 'a' - 'A'
	}
	return b
}

// intersects reports whether some string matches both patterns.
func intersects(a, b []token) bool {
	memo := map[[2]int]bool{}
	var f func(i, j int) bool
	f = func(i, j int) bool {
		if v, ok := memo[[2]int{i, j}]; ok {
			return v
		}
		memo[[2]int{i, j}] = false // cycles cannot add strings
		r := false
		switch {
		case i == len(a) && j == len(b):
			r = true
		case i < len(a) && a[i].kind == '*' && f(i+1, j):
			r = true
		case j < len(b) && b[j].kind == '*' && f(i, j+1):
			r = true
		case i < len(a) && j < len(b):
			switch {
			case a[i].kind == '*':
				r = f(i, j+1) // the run takes what b[j] matches
			case b[j].kind == '*':
				r = f(i+1, j)
			default:
				r = (a[i].kind == '?' || b[j].kind == '?' || a[i].c == b[j].c) && f(i+1, j+1)
			}
		}
		memo[[2]int{i, j}] = r
		return r
	}
	return f(0, 0)
}
