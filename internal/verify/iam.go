package verify

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// The IAM policy language, evaluated as AWS documents it ("Policy evaluation
// logic", IAM User Guide): an explicit deny in any applicable policy wins;
// otherwise an allow is needed. Only the constructs the plan's policies use
// are implemented, and each is pinned by a test from AWS's examples.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html

// Document is an IAM policy document.
type Document struct {
	Version   string      `json:"Version"`
	Statement []Statement `json:"Statement"`
}

// Statement is one statement; the string-or-list fields stay raw.
type Statement struct {
	Sid          string                    `json:"Sid,omitempty"`
	Effect       string                    `json:"Effect"`
	Principal    any                       `json:"Principal,omitempty"`
	NotPrincipal any                       `json:"NotPrincipal,omitempty"`
	Action       any                       `json:"Action,omitempty"`
	NotAction    any                       `json:"NotAction,omitempty"`
	Resource     any                       `json:"Resource,omitempty"`
	NotResource  any                       `json:"NotResource,omitempty"`
	Condition    map[string]map[string]any `json:"Condition,omitempty"`
}

// ParseDocument reads a policy document; a single statement object is
// accepted where AWS accepts it.
func ParseDocument(s string) (Document, error) {
	var d Document
	if err := json.Unmarshal([]byte(s), &d); err == nil {
		return d, nil
	}
	var raw struct {
		Version   string    `json:"Version"`
		Statement Statement `json:"Statement"`
	}
	if err := json.Unmarshal([]byte(s), &raw); err != nil {
		return Document{}, err
	}
	return Document{Version: raw.Version, Statement: []Statement{raw.Statement}}, nil
}

// Principal is who makes a request.
type Principal struct {
	// Service is a service principal ("cloudtrail.amazonaws.com"); empty for
	// an IAM principal.
	Service string
	// ARN is an IAM principal's ARN (a role's ARN for its sessions).
	ARN string
	// Account is the IAM principal's account.
	Account string
	// Anonymous is an unauthenticated caller.
	Anonymous bool
	// Federated: ARN is an identity provider's (a web identity session
	// presented through sts:AssumeRoleWithWebIdentity).
	Federated bool
}

func (p Principal) String() string {
	switch {
	case p.Service != "":
		return p.Service
	case p.Anonymous:
		return "anonymous"
	}
	return p.ARN
}

// Request is what AWS authorizes: principal, action, resource and the
// request context (condition keys; a key may have several values).
type Request struct {
	Principal Principal
	Action    string
	Resource  string
	Context   map[string][]string
}

// ctx returns the request context with the global keys AWS always sets.
func (r Request) ctx() map[string][]string {
	out := map[string][]string{}
	for k, v := range r.Context {
		out[strings.ToLower(k)] = v
	}
	if r.Principal.ARN != "" {
		if _, ok := out["aws:principalarn"]; !ok {
			out["aws:principalarn"] = []string{r.Principal.ARN}
		}
		if _, ok := out["aws:principalaccount"]; !ok {
			out["aws:principalaccount"] = []string{r.Principal.Account}
		}
	}
	// The resource's owner, where its ARN names one (an S3 bucket's does
	// not: a request about one sets aws:ResourceAccount itself).
	if f := strings.SplitN(r.Resource, ":", 6); len(f) == 6 && f[4] != "" {
		if _, ok := out["aws:resourceaccount"]; !ok {
			out["aws:resourceaccount"] = []string{f[4]}
		}
	}
	if r.Principal.Service != "" {
		if _, ok := out["aws:principalservicename"]; !ok {
			out["aws:principalservicename"] = []string{r.Principal.Service}
		}
	}
	// aws:PrincipalIsAWSService is in every request: true for a service
	// principal, false otherwise.
	// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalisawsservice
	if _, ok := out["aws:principalisawsservice"]; !ok {
		out["aws:principalisawsservice"] = []string{strconv.FormatBool(r.Principal.Service != "")}
	}
	return out
}

// Effect is the outcome of one policy for one request.
type Effect int

// Outcomes.
const (
	EffectNone Effect = iota
	EffectAllow
	EffectDeny
)

// Decision is a policy's effect and the statement that decided it.
type Decision struct {
	Effect Effect
	Sid    string
	// Whole is true when a resource policy's allow names the principal
	// itself (or its account root for a same-account caller).
	Whole bool
}

// Evaluate applies one policy. resourcePolicy says whether Principal
// elements apply (resource policies, trust policies, key policies).
func (d Document) Evaluate(r Request, resourcePolicy bool) Decision {
	var allow *Decision
	c := r.ctx()
	for i, s := range d.Statement {
		sid := s.Sid
		if sid == "" {
			sid = fmt.Sprintf("statement %d", i)
		}
		if !s.matches(r, c, resourcePolicy) {
			continue
		}
		if strings.EqualFold(s.Effect, "Deny") {
			return Decision{Effect: EffectDeny, Sid: sid}
		}
		if allow == nil {
			allow = &Decision{Effect: EffectAllow, Sid: sid}
		}
	}
	if allow != nil {
		return *allow
	}
	return Decision{}
}

func (s Statement) matches(r Request, c map[string][]string, resourcePolicy bool) bool {
	if resourcePolicy {
		switch {
		case s.Principal != nil:
			if !principalMatches(s.Principal, r.Principal) {
				return false
			}
		case s.NotPrincipal != nil:
			if principalMatches(s.NotPrincipal, r.Principal) {
				return false
			}
		default:
			return false
		}
	}
	switch {
	case s.Action != nil:
		if !anyMatch(list(s.Action), r.Action, true) {
			return false
		}
	case s.NotAction != nil:
		if anyMatch(list(s.NotAction), r.Action, true) {
			return false
		}
	default:
		return false
	}
	switch {
	case s.Resource != nil:
		if !anyMatch(substituteAll(list(s.Resource), c), r.Resource, false) {
			return false
		}
	case s.NotResource != nil:
		if anyMatch(substituteAll(list(s.NotResource), c), r.Resource, false) {
			return false
		}
	default:
		// Trust policies have no Resource.
		if !strings.HasPrefix(r.Action, "sts:") {
			return false
		}
	}
	for op, keys := range s.Condition {
		for key, want := range keys {
			if !conditionHolds(op, c[strings.ToLower(key)], substituteAll(list(want), c)) {
				return false
			}
		}
	}
	return true
}

// substituteAll replaces policy variables in Resource and condition values
// with the request's context: ${key} is the key's value, ${key, 'default'}
// its value or the default, and ${*}, ${?}, ${$} stand for the literal
// characters. A value naming a key the request lacks (and no default)
// matches nothing, as AWS documents it.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html
func substituteAll(vals []string, c map[string][]string) []string {
	var out []string
	for _, v := range vals {
		if s, ok := substitute(v, c); ok {
			out = append(out, s)
		}
	}
	return out
}

func substitute(v string, c map[string][]string) (string, bool) {
	var b strings.Builder
	for {
		i := strings.Index(v, "${")
		if i < 0 {
			b.WriteString(v)
			return b.String(), true
		}
		j := strings.Index(v[i:], "}")
		if j < 0 {
			b.WriteString(v)
			return b.String(), true
		}
		b.WriteString(v[:i])
		name := strings.TrimSpace(v[i+2 : i+j])
		v = v[i+j+1:]
		switch name {
		case "*", "?", "$":
			b.WriteString(name)
			continue
		}
		def, hasDef := "", false
		if k := strings.Index(name, ","); k > 0 {
			def = strings.Trim(strings.TrimSpace(name[k+1:]), "'")
			name, hasDef = strings.TrimSpace(name[:k]), true
		}
		switch have := c[strings.ToLower(name)]; {
		case len(have) == 1:
			b.WriteString(have[0])
		case hasDef:
			b.WriteString(def)
		default:
			return "", false
		}
	}
}

// Values turns an IAM string-or-list value (Action, Resource, ...) into a
// list.
func Values(v any) []string { return list(v) }

// list turns an IAM string-or-list value into a list.
func list(v any) []string {
	switch t := v.(type) {
	case string:
		return []string{t}
	case []string:
		return t
	case []any:
		var out []string
		for _, e := range t {
			out = append(out, fmt.Sprint(e))
		}
		return out
	case bool, float64:
		return []string{fmt.Sprint(t)}
	}
	return nil
}

// globMatch is IAM's wildcard match: * any run of characters (slashes and
// colons included), ? any one; actions compare case-insensitively.
func globMatch(pattern, s string, fold bool) bool {
	if fold {
		pattern, s = strings.ToLower(pattern), strings.ToLower(s)
	}
	return wildcard(pattern, s)
}

func wildcard(p, s string) bool {
	for len(p) > 0 {
		switch p[0] {
		case '*':
			for len(p) > 0 && p[0] == '*' {
				p = p[1:]
			}
			if p == "" {
				return true
			}
			for i := 0; i <= len(s); i++ {
				if wildcard(p, s[i:]) {
					return true
				}
			}
			return false
		case '?':
			if s == "" {
				return false
			}
			p, s = p[1:], s[1:]
		default:
			if s == "" || p[0] != s[0] {
				return false
			}
			p, s = p[1:], s[1:]
		}
	}
	return s == ""
}

func anyMatch(patterns []string, s string, fold bool) bool {
	for _, p := range patterns {
		if globMatch(p, s, fold) {
			return true
		}
	}
	return false
}

// principalMatches implements the Principal element: "*" (everyone,
// including anonymous), {"AWS": ARN, account ID or account root},
// {"Service": name}.
func principalMatches(v any, p Principal) bool {
	if s, ok := v.(string); ok {
		return s == "*"
	}
	m, ok := v.(map[string]any)
	if !ok {
		return false
	}
	for kind, vals := range m {
		for _, want := range list(vals) {
			switch kind {
			case "Service":
				if p.Service != "" && want == p.Service {
					return true
				}
			case "Federated":
				if p.Federated && want == p.ARN {
					return true
				}
			case "AWS":
				if want == "*" {
					return true
				}
				if p.Service != "" || p.Anonymous || p.Federated {
					continue
				}
				// An account ID or its root ARN stands for every principal of
				// that account (the account's own policies then decide).
				if want == p.Account || want == "arn:aws:iam::"+p.Account+":root" {
					return true
				}
				if want == p.ARN {
					return true
				}
			}
		}
	}
	return false
}

// conditionHolds evaluates one condition operator over one key. AWS:
// a key absent from the context makes the condition false, except for
// ...IfExists operators (true) and negated operators (true); Null tests
// presence. ForAnyValue/ForAllValues compare each context value.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
func conditionHolds(op string, have, want []string) bool {
	set := ""
	if i := strings.Index(op, ":"); i > 0 {
		set, op = op[:i], op[i+1:]
	}
	ifExists := strings.HasSuffix(op, "IfExists")
	op = strings.TrimSuffix(op, "IfExists")
	if op == "Null" {
		absent := len(have) == 0
		for _, w := range want {
			if (w == "true") == absent {
				return true
			}
		}
		return false
	}
	negated := strings.Contains(op, "Not")
	if len(have) == 0 {
		switch {
		case ifExists:
			return true
		case set == "ForAllValues":
			return true
		case negated:
			return true
		}
		return false
	}
	match := func(h string) bool {
		for _, w := range want {
			if compare(op, h, w) {
				return true
			}
		}
		return false
	}
	hit := func(h string) bool { return match(h) != negated }
	switch set {
	case "ForAllValues":
		for _, h := range have {
			if !hit(h) {
				return false
			}
		}
		return true
	case "ForAnyValue":
		for _, h := range have {
			if hit(h) {
				return true
			}
		}
		return false
	}
	any := false
	for _, h := range have {
		any = any || match(h)
	}
	return any != negated
}

// compare applies a positive operator (negated ones are compared positively
// and inverted by conditionHolds).
func compare(op, have, want string) bool {
	switch op {
	case "StringEquals", "StringNotEquals", "ArnEquals", "ArnNotEquals":
		return have == want
	case "StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase":
		return strings.EqualFold(have, want)
	case "StringLike", "StringNotLike", "ArnLike", "ArnNotLike":
		return wildcard(want, have)
	case "Bool":
		return strings.EqualFold(have, want)
	case "NumericEquals", "NumericNotEquals", "NumericLessThan", "NumericLessThanEquals", "NumericGreaterThan", "NumericGreaterThanEquals":
		h, err1 := strconv.ParseFloat(have, 64)
		w, err2 := strconv.ParseFloat(want, 64)
		if err1 != nil || err2 != nil {
			return false
		}
		switch op {
		case "NumericEquals", "NumericNotEquals":
			return h == w
		case "NumericLessThan":
			return h < w
		case "NumericLessThanEquals":
			return h <= w
		case "NumericGreaterThan":
			return h > w
		case "NumericGreaterThanEquals":
			return h >= w
		}
	}
	return false
}
