package awsspec

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/netip"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// PolicyKind is where a policy document is attached; it decides which
// elements are required or prohibited and which size quota applies.
type PolicyKind string

// The policy kinds the stacks use or may use.
const (
	KindTrust      PolicyKind = "trust policy"
	KindIdentity   PolicyKind = "inline identity policy"
	KindManaged    PolicyKind = "managed identity policy"
	KindBucket     PolicyKind = "S3 bucket policy"
	KindKey        PolicyKind = "KMS key policy"
	KindTopic      PolicyKind = "SNS topic policy"
	KindRepository PolicyKind = "ECR repository policy"
	KindSecret     PolicyKind = "Secrets Manager resource policy"
	KindLogs       PolicyKind = "CloudWatch Logs resource policy"
	KindEndpoint   PolicyKind = "VPC endpoint policy"
	KindSCP        PolicyKind = "service control policy"
)

// element says whether a statement element is required, prohibited or optional.
type element int

const (
	optional element = iota
	required
	prohibited
)

// KindSpec is the grammar and quota of one policy kind.
type KindSpec struct {
	Principal element
	Resource  element
	// Quota is the size limit; 0 when AWS documents none we rely on.
	Quota int
	// IgnoresWhitespace: IAM does not count white space towards its quotas.
	IgnoresWhitespace bool
	// AlnumSid: IAM policies allow only ASCII letters and digits in a Sid.
	AlnumSid bool
	// ErrorCode is the code the service's API answers a malformed document with.
	ErrorCode string
	// QuotaError is what the API answers a document over the quota with.
	QuotaError string
	// PrincipalError is what the API answers a document naming a principal
	// that does not exist with (IAM and KMS resolve ARN principals when the
	// policy is set).
	PrincipalError string
	// Source is the AWS page of the quota and element rules.
	Source string
}

// Kinds is the grammar of every policy kind. Element rules: IAM JSON policy
// element reference (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements.html)
// and IAM Access Analyzer's policy checks "Missing principal", "Unsupported
// principal", "Missing resource" (https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-reference-policy-checks.html);
// a trust policy has no Resource (IAM answers "Has prohibited field Resource").
var Kinds = map[PolicyKind]KindSpec{
	// IAM and AWS STS quotas (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html):
	// role trust policy length 2,048 characters by default, inline policies
	// 10,240 characters per role in aggregate, managed policy 6,144
	// characters; "IAM does not count white space".
	KindTrust: {PrincipalError: `MalformedPolicyDocument: Invalid principal in policy: "AWS":"%s"`, Principal: required, Resource: prohibited, Quota: 2048, IgnoresWhitespace: true, AlnumSid: true,
		ErrorCode: "MalformedPolicyDocument", QuotaError: "LimitExceeded: Cannot exceed quota for ACLSizePerRole: 2048",
		Source: "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html"},
	KindIdentity: {Principal: prohibited, Resource: required, Quota: 10240, IgnoresWhitespace: true, AlnumSid: true,
		ErrorCode: "MalformedPolicyDocument", QuotaError: "LimitExceeded: Maximum policy size of 10240 bytes exceeded for role",
		Source: "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html"},
	KindManaged: {Principal: prohibited, Resource: required, Quota: 6144, IgnoresWhitespace: true, AlnumSid: true,
		ErrorCode: "MalformedPolicyDocument", QuotaError: "LimitExceeded: Cannot exceed quota for PolicySize: 6144",
		Source: "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html"},
	// "Bucket policies are limited to 20 KB in size" (S3 User Guide, Bucket policies).
	KindBucket: {PrincipalError: "MalformedPolicy: Invalid principal in policy (%s)", Principal: required, Resource: required, Quota: 20 * 1024,
		ErrorCode: "MalformedPolicy", QuotaError: "PolicyTooLarge",
		Source: "https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucket-policies.html"},
	// Key policy document size: 32 KB (AWS KMS quotas, Resource quotas).
	KindKey: {PrincipalError: "MalformedPolicyDocumentException: Policy contains a statement with one or more invalid principals (%s)", Principal: required, Resource: required, Quota: 32 * 1024,
		ErrorCode: "MalformedPolicyDocumentException", QuotaError: "LimitExceededException",
		Source: "https://docs.aws.amazon.com/kms/latest/developerguide/resource-limits.html"},
	KindTopic: {PrincipalError: "InvalidParameter: Invalid parameter: Policy Error: PrincipalNotFound (%s)", Principal: required, Resource: required, ErrorCode: "InvalidParameter",
		Source: "https://docs.aws.amazon.com/sns/latest/dg/sns-access-policy-language-api-permissions-reference.html"},
	// An ECR repository policy's statements name no Resource: the repository is implied.
	KindRepository: {PrincipalError: "InvalidParameterException: Invalid parameter at 'PolicyText': invalid principal (%s)", Principal: required, Resource: optional, ErrorCode: "InvalidParameterException",
		Source: "https://docs.aws.amazon.com/AmazonECR/latest/userguide/repository-policies.html"},
	// Resource-based policy: 20,480 characters (Secrets Manager quotas).
	KindSecret: {PrincipalError: "MalformedPolicyDocumentException: This resource policy contains an unsupported principal (%s)", Principal: required, Resource: required, Quota: 20480, ErrorCode: "MalformedPolicyDocumentException",
		QuotaError: "LimitExceededException", Source: "https://docs.aws.amazon.com/secretsmanager/latest/userguide/reference_limits.html"},
	// Resource policies: 5,120 characters each (CloudWatch Logs quotas).
	KindLogs: {PrincipalError: "InvalidParameterException: invalid principal (%s)", Principal: required, Resource: required, Quota: 5120, ErrorCode: "InvalidParameterException",
		QuotaError: "LimitExceededException", Source: "https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/cloudwatch_limits_cwl.html"},
	// VPC endpoint policy: 20,480 characters (AWS PrivateLink quotas).
	KindEndpoint: {PrincipalError: "InvalidPolicyDocument: invalid principal (%s)", Principal: required, Resource: required, Quota: 20480, ErrorCode: "InvalidPolicyDocument",
		QuotaError: "InvalidPolicyDocument", Source: "https://docs.aws.amazon.com/vpc/latest/privatelink/vpc-limits-endpoints.html"},
	// Maximum size of a service control policy: 5,120 characters
	// (AWS Organizations quotas); an SCP names no principal.
	KindSCP: {Principal: prohibited, Resource: optional, Quota: 5120, AlnumSid: true,
		ErrorCode: "MalformedPolicyDocumentException", QuotaError: "ConstraintViolationException: POLICY_CONTENT_LIMIT_EXCEEDED",
		Source: "https://docs.aws.amazon.com/organizations/latest/userguide/orgs_reference_limits.html"},
}

// trustActions are the only actions IAM accepts in a role's trust policy
// ("AssumeRolePolicy policy may only specify STS AssumeRole actions";
// IAM User Guide, Granting a user permissions to pass a role / role trust policy).
var trustActions = map[string]bool{
	"sts:assumerole": true, "sts:assumerolewithwebidentity": true, "sts:assumerolewithsaml": true,
	"sts:tagsession": true, "sts:setsourceidentity": true, "sts:setcontext": true,
}

// Problem is one reason AWS would refuse (Severity "error") or mis-read
// ("warning") a document. Check is the name of IAM Access Analyzer's policy
// check (https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-reference-policy-checks.html)
// or of the quota.
type Problem struct {
	Check     string `json:"check"`
	Severity  string `json:"severity"`
	Statement int    `json:"statement"` // 0-based; -1 for the document
	Detail    string `json:"detail"`
	// NoModel marks a problem that is the analysis's own limit (a service
	// outside the pinned extract), not a verdict on the document.
	NoModel bool `json:"noModel,omitempty"`
}

// APIError is how the service's API words the refusal.
func (p Problem) APIError(kind PolicyKind) string {
	return fmt.Sprintf("%s: %s", Kinds[kind].ErrorCode, p.Detail)
}

func (p Problem) String() string {
	where := "document"
	if p.Statement >= 0 {
		where = fmt.Sprintf("statement %d", p.Statement)
	}
	return fmt.Sprintf("%s (%s): %s", p.Check, where, p.Detail)
}

// Size is how AWS measures a document against its kind's quota.
func Size(kind PolicyKind, doc string) int {
	if !Kinds[kind].IgnoresWhitespace {
		return len(doc)
	}
	n := 0
	inString := false
	for i := 0; i < len(doc); i++ {
		c := doc[i]
		if c == '"' && (i == 0 || doc[i-1] != '\\') {
			inString = !inString
		}
		if !inString && unicode.IsSpace(rune(c)) {
			continue
		}
		n++
	}
	return n
}

// statementElements are the elements a statement may have.
var statementElements = map[string]bool{"Sid": true, "Effect": true, "Principal": true, "NotPrincipal": true,
	"Action": true, "NotAction": true, "Resource": true, "NotResource": true, "Condition": true}

// Validate checks one policy document of a kind against IAM's grammar, the
// Service Authorization Reference and the kind's quota. It returns every
// problem found.
func Validate(kind PolicyKind, doc string) []Problem {
	spec, ok := Kinds[kind]
	if !ok {
		return []Problem{{Check: "Unknown policy kind", Severity: "error", Statement: -1, Detail: string(kind), NoModel: true}}
	}
	var ps []Problem
	add := func(check string, st int, format string, args ...any) {
		ps = append(ps, Problem{Check: check, Severity: "error", Statement: st, Detail: fmt.Sprintf(format, args...)})
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal([]byte(doc), &top); err != nil {
		add("Json syntax error", -1, "%v", err)
		return ps
	}
	for k := range top {
		if k != "Version" && k != "Statement" && k != "Id" {
			add("Invalid policy element", -1, "the element %s is not a policy element", k)
		}
	}
	if v, ok := top["Version"]; ok {
		var s string
		if json.Unmarshal(v, &s) != nil || (s != "2012-10-17" && s != "2008-10-17") {
			add("Invalid version", -1, "Version %s is not 2012-10-17 or 2008-10-17", v)
		}
	}
	raw, ok := top["Statement"]
	if !ok {
		add("Missing statement", -1, "the policy has no Statement")
		return ps
	}
	var stmts []map[string]json.RawMessage
	if json.Unmarshal(raw, &stmts) != nil {
		var one map[string]json.RawMessage
		if err := json.Unmarshal(raw, &one); err != nil {
			add("Data type mismatch", -1, "Statement is neither an object nor a list of objects")
			return ps
		}
		stmts = []map[string]json.RawMessage{one}
	}
	if len(stmts) == 0 {
		add("Missing statement", -1, "the policy's Statement list is empty")
	}
	sids := map[string]int{}
	for i, st := range stmts {
		ps = append(ps, validateStatement(kind, spec, i, st, sids)...)
	}
	if spec.Quota > 0 {
		if n := Size(kind, doc); n > spec.Quota {
			add("Quota", -1, "%s: %d characters, over the %s quota of %d (%s)", spec.QuotaError, n, kind, spec.Quota, spec.Source)
		}
	}
	return ps
}

func validateStatement(kind PolicyKind, spec KindSpec, i int, st map[string]json.RawMessage, sids map[string]int) []Problem {
	var ps []Problem
	add := func(check, format string, args ...any) {
		ps = append(ps, Problem{Check: check, Severity: "error", Statement: i, Detail: fmt.Sprintf(format, args...)})
	}
	for k, v := range st {
		if !statementElements[k] {
			add("Invalid policy element", "the element %s is not a statement element", k)
		}
		if string(v) == "null" {
			// encoding/json writes a nil field as null; IAM reads the
			// element as present ("Has prohibited field Resource").
			add("Data type mismatch", "%s is null: remove the element rather than sending null", k)
		}
	}
	has := func(k string) bool { _, ok := st[k]; return ok }
	str := func(k string) string {
		var s string
		_ = json.Unmarshal(st[k], &s)
		return s
	}
	if sid := str("Sid"); has("Sid") {
		if j, dup := sids[sid]; dup && sid != "" {
			add("Unique Sids required", "Sid %q is also statement %d's", sid, j)
		}
		sids[sid] = i
		if spec.AlnumSid && strings.IndexFunc(sid, func(r rune) bool { return r > unicode.MaxASCII || !(unicode.IsLetter(r) || unicode.IsDigit(r)) }) >= 0 {
			add("Unsupported Sid", "Sid %q: an IAM policy's Sid allows only ASCII letters and digits", sid)
		}
	}
	switch eff := str("Effect"); {
	case !has("Effect"):
		add("Missing effect", "the statement has no Effect")
	case eff != "Allow" && eff != "Deny":
		add("Invalid effect", "Effect %q is not Allow or Deny", eff)
	}
	for _, pair := range [][2]string{{"Action", "NotAction"}, {"Resource", "NotResource"}, {"Principal", "NotPrincipal"}} {
		if has(pair[0]) && has(pair[1]) {
			add("Unsupported element combination", "the statement has both %s and %s", pair[0], pair[1])
		}
	}
	if !has("Action") && !has("NotAction") {
		add("Missing action", "the statement has neither Action nor NotAction")
	}
	hasPrincipal := has("Principal") || has("NotPrincipal")
	switch {
	case spec.Principal == required && !hasPrincipal:
		add("Missing principal", "a %s needs a Principal in every statement", kind)
	case spec.Principal == prohibited && hasPrincipal:
		check := "Unsupported principal"
		if kind == KindSCP {
			check = "SCP syntax error principal"
		}
		add(check, "a %s has no Principal element", kind)
	}
	hasResource := has("Resource") || has("NotResource")
	switch {
	case spec.Resource == required && !hasResource:
		add("Missing resource", "a %s needs a Resource in every statement", kind)
	case spec.Resource == prohibited && hasResource:
		add("Invalid policy element", "Has prohibited field Resource: a %s names no Resource", kind)
	}

	actions := stringList(st["Action"])
	for _, a := range append(actions, stringList(st["NotAction"])...) {
		ps = append(ps, checkAction(kind, i, a)...)
	}
	if kind == KindTrust {
		for _, a := range actions {
			if !trustActions[strings.ToLower(a)] {
				add("Invalid action", "AssumeRolePolicy policy may only specify STS AssumeRole actions, not %s", a)
			}
		}
	}
	var resources []string
	for _, k := range []string{"Resource", "NotResource"} {
		for _, r := range stringList(st[k]) {
			resources = append(resources, r)
			ps = append(ps, checkARN(i, r)...)
		}
	}
	if has("Resource") && str("Effect") == "Allow" {
		ps = append(ps, checkResourceTypes(i, actions, resources)...)
	}
	if has("Principal") {
		ps = append(ps, checkPrincipal(kind, i, st["Principal"])...)
	}
	if has("NotPrincipal") {
		ps = append(ps, checkPrincipal(kind, i, st["NotPrincipal"])...)
	}
	if c, ok := st["Condition"]; ok {
		ps = append(ps, checkCondition(i, c)...)
	}
	return ps
}

// Principals returns the ARN principals (AWS and Federated) a document
// names, by statement, without "*" and bare account IDs.
func Principals(doc string) []string {
	var top struct {
		Statement json.RawMessage
	}
	if json.Unmarshal([]byte(doc), &top) != nil {
		return nil
	}
	var stmts []map[string]json.RawMessage
	if json.Unmarshal(top.Statement, &stmts) != nil {
		var one map[string]json.RawMessage
		if json.Unmarshal(top.Statement, &one) != nil {
			return nil
		}
		stmts = []map[string]json.RawMessage{one}
	}
	seen := map[string]bool{}
	var out []string
	for _, st := range stmts {
		for _, el := range []string{"Principal", "NotPrincipal"} {
			var m map[string]json.RawMessage
			if json.Unmarshal(st[el], &m) != nil {
				continue
			}
			for _, k := range []string{"AWS", "Federated"} {
				for _, v := range stringList(m[k]) {
					if strings.HasPrefix(v, "arn:") && !seen[v] {
						seen[v] = true
						out = append(out, v)
					}
				}
			}
		}
	}
	return out
}

// stringList reads a string-or-list element.
func stringList(raw json.RawMessage) []string {
	if raw == nil || string(raw) == "null" {
		return nil
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return []string{s}
	}
	var l []string
	_ = json.Unmarshal(raw, &l)
	return l
}

func checkAction(kind PolicyKind, i int, a string) []Problem {
	p := func(check, detail string, noModel bool) []Problem {
		return []Problem{{Check: check, Severity: "error", Statement: i, Detail: detail, NoModel: noModel}}
	}
	if a == "*" {
		return nil
	}
	svc, name, ok := strings.Cut(a, ":")
	if !ok || svc == "" || name == "" {
		return p("Invalid action", fmt.Sprintf("%q is not <service>:<action>", a), false)
	}
	if kind == KindSCP && strings.Contains(strings.TrimSuffix(name, "*"), "*") {
		return p("SCP syntax error action wildcard", fmt.Sprintf("%q: an SCP allows a wildcard only at the end of an action", a), false)
	}
	c := IAM()
	_, matched, known := c.Actions(a)
	if !known {
		if !c.IsService(svc) {
			return p("Invalid service in action", fmt.Sprintf("%q: no AWS service has the prefix %q", a, svc), false)
		}
		return p("No model", fmt.Sprintf("%q: service %q is outside the pinned Service Authorization Reference extract (run make awsspec)", a, svc), true)
	}
	if len(matched) == 0 {
		return p("Invalid action", fmt.Sprintf("the action %s does not exist in %s (Service Authorization Reference %s)", a, c.Services[strings.ToLower(svc)].Name, c.Version), false)
	}
	return nil
}

// IsService reports whether a prefix is any AWS service's, in the extract or not.
func (c *Catalogue) IsService(prefix string) bool {
	p := strings.ToLower(prefix)
	i := sort.SearchStrings(c.AllServices, p)
	return i < len(c.AllServices) && c.AllServices[i] == p
}

var (
	regionRe  = regexp.MustCompile(`^([a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d+|\*)$`)
	accountRe = regexp.MustCompile(`^(\d{12}|\*|\$\{[^}]+\})$`)
)

func checkARN(i int, r string) []Problem {
	var ps []Problem
	add := func(check, format string, args ...any) {
		ps = append(ps, Problem{Check: check, Severity: "error", Statement: i, Detail: fmt.Sprintf(format, args...)})
	}
	if r == "*" || strings.HasPrefix(r, "${") {
		return nil
	}
	f := strings.SplitN(r, ":", 6)
	if len(f) < 6 || f[0] != "arn" {
		if !strings.HasPrefix(r, "arn:") {
			add("Invalid ARN prefix", "%q does not start with arn:", r)
		} else {
			add("Missing ARN field", "%q has fewer than six fields (arn:partition:service:region:account:resource)", r)
		}
		return ps
	}
	part, svc, region, account := f[1], f[2], f[3], f[4]
	if part != "aws" && part != "aws-cn" && part != "aws-us-gov" && part != "*" && !strings.HasPrefix(part, "${") {
		add("Invalid partition", "%q: partition %q", r, part)
	}
	if svc != strings.ToLower(svc) {
		add("Invalid ARN service case", "%q: service %q must be lower case", r, svc)
	}
	if region != "" && !regionRe.MatchString(region) && !strings.HasPrefix(region, "${") {
		add("Invalid Region", "%q: Region %q", r, region)
	}
	if account != "" && !accountRe.MatchString(account) {
		add("Invalid ARN account", "%q: account %q is not 12 digits", r, account)
	}
	if len(ps) > 0 || strings.ContainsAny(svc, "*?") {
		return ps
	}
	c := IAM()
	s, ok := c.Services[svc]
	if !ok {
		if !c.IsService(svc) {
			add("Invalid service", "%q: no AWS service has the prefix %q", r, svc)
		}
		return ps // outside the extract: the action check reports the missing model
	}
	if len(c.ResourceTypes(svc, r)) > 0 {
		return nil
	}
	// Say why no resource type matches, in Access Analyzer's words: among
	// the types whose resource part fits, what the Region and account
	// fields must be.
	var fits []string
	for _, t := range s.Resources {
		tf := strings.SplitN(t.ARN, ":", 6)
		if len(tf) == 6 && arnIntersects(strings.Join([]string{f[0], f[1], f[2], "*", "*", f[5]}, ":"), strings.Join([]string{tf[0], tf[1], tf[2], "x", "x", tf[5]}, ":")) {
			fits = append(fits, t.ARN)
		}
	}
	field := func(i int, empty bool) bool { // every fitting template has field i empty (or not)
		for _, t := range fits {
			if (strings.SplitN(t, ":", 6)[i] == "") != empty {
				return false
			}
		}
		return len(fits) > 0
	}
	switch {
	case len(fits) == 0:
		add("Invalid ARN resource", "%q matches no resource type of %s (Service Authorization Reference %s)", r, s.Name, c.Version)
	case region != "" && field(3, true):
		add("ARN Region not allowed", "%q: %s resource ARNs of this type have no Region (%s)", r, s.Name, fits[0])
	case region == "" && field(3, false):
		add("Missing ARN Region", "%q: %s resource ARNs of this type need a Region (%s)", r, s.Name, fits[0])
	case account != "" && field(4, true):
		add("ARN account not allowed", "%q: %s resource ARNs of this type have no account (%s)", r, s.Name, fits[0])
	case account == "" && field(4, false):
		add("Missing ARN field", "%q: %s resource ARNs of this type need an account (%s)", r, s.Name, fits[0])
	default:
		add("Invalid ARN resource", "%q fits no resource type of %s (Service Authorization Reference %s)", r, s.Name, c.Version)
	}
	return ps
}

// checkResourceTypes: in an Allow statement whose actions all name resource
// types, at least one resource must be of a type one of the actions applies to.
func checkResourceTypes(i int, actions, resources []string) []Problem {
	c := IAM()
	want := map[string]bool{} // "svc/type"
	services := map[string]bool{}
	for _, a := range actions {
		svc, matched, ok := c.Actions(a)
		if !ok || a == "*" {
			return nil
		}
		for _, m := range matched {
			if len(m.Resources) == 0 {
				return nil // applies to "*": any resource
			}
			for _, r := range m.Resources {
				want[svc+"/"+strings.ToLower(r.Type)] = true
			}
			services[svc] = true
		}
	}
	if len(want) == 0 || len(resources) == 0 {
		return nil
	}
	for _, r := range resources {
		f := strings.SplitN(r, ":", 6)
		if r == "*" || len(f) < 6 || strings.ContainsAny(f[2], "*?") || strings.HasPrefix(r, "${") {
			return nil
		}
		// A service's resource types may live under another service's ARN
		// (sts:AssumeRole's "role" is arn:aws:iam::<account>:role/<name>).
		for svc := range services {
			for _, t := range c.ResourceTypes(svc, r) {
				if want[svc+"/"+strings.ToLower(t)] {
					return nil
				}
			}
		}
	}
	return []Problem{{Check: "Unsupported resource ARN in policy", Severity: "error", Statement: i,
		Detail: fmt.Sprintf("no resource of %v is of a type the actions %v apply to", resources, actions)}}
}

var (
	servicePrincipalRe = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]*\.amazonaws\.com(\.cn)?$`)
	iamPrincipalRe     = regexp.MustCompile(`^arn:aws(-cn|-us-gov)?:(iam::\d{12}:(root|role/.+|user/.+|federated-user/.+)|sts::\d{12}:(assumed-role|federated-user)/.+)$`)
	federatedRe        = regexp.MustCompile(`^(arn:aws(-cn|-us-gov)?:iam::\d{12}:(oidc-provider|saml-provider)/.+|cognito-identity\.amazonaws\.com|accounts\.google\.com|graph\.facebook\.com|www\.amazon\.com)$`)
)

func checkPrincipal(kind PolicyKind, i int, raw json.RawMessage) []Problem {
	var ps []Problem
	add := func(check, format string, args ...any) {
		ps = append(ps, Problem{Check: check, Severity: "error", Statement: i, Detail: fmt.Sprintf(format, args...)})
	}
	var star string
	if json.Unmarshal(raw, &star) == nil {
		if star != "*" {
			add("Invalid principal format", "Principal %q: a string principal can only be *", star)
		}
		return ps
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		add("Data type mismatch", "Principal is neither * nor an object")
		return ps
	}
	for _, k := range slices.Sorted(maps.Keys(m)) {
		vals := stringList(m[k])
		switch k {
		case "AWS":
			for _, v := range vals {
				switch {
				case v == "*" || regexp.MustCompile(`^\d{12}$`).MatchString(v):
				case strings.Contains(v, "*"):
					add("Unsupported wildcard in principal", "AWS principal %q: wildcards are not allowed in a principal ARN", v)
				case !iamPrincipalRe.MatchString(v):
					add("Invalid principal format", "AWS principal %q is not an account ID or an IAM user, role or root ARN", v)
				}
			}
		case "Service":
			for _, v := range vals {
				if !servicePrincipalRe.MatchString(v) {
					add("Invalid service principal format", "Service principal %q is not <service>.amazonaws.com", v)
				}
			}
		case "Federated":
			for _, v := range vals {
				if !federatedRe.MatchString(v) {
					add("Invalid principal format", "Federated principal %q is not an OIDC or SAML provider ARN of IAM (arn:aws:iam::<account>:oidc-provider/<url>)", v)
				}
			}
		case "CanonicalUser":
		default:
			add("Invalid principal key", "Principal key %q is not AWS, Service, Federated or CanonicalUser", k)
		}
	}
	return ps
}

// operator families and the condition key types they read.
var operatorFamily = map[string]string{
	"stringequals": "String", "stringnotequals": "String", "stringequalsignorecase": "String",
	"stringnotequalsignorecase": "String", "stringlike": "String", "stringnotlike": "String",
	"numericequals": "Numeric", "numericnotequals": "Numeric", "numericlessthan": "Numeric",
	"numericlessthanequals": "Numeric", "numericgreaterthan": "Numeric", "numericgreaterthanequals": "Numeric",
	"dateequals": "Date", "datenotequals": "Date", "datelessthan": "Date", "datelessthanequals": "Date",
	"dategreaterthan": "Date", "dategreaterthanequals": "Date",
	"bool": "Bool", "binaryequals": "Binary", "ipaddress": "IPAddress", "notipaddress": "IPAddress",
	"arnequals": "ARN", "arnlike": "ARN", "arnnotequals": "ARN", "arnnotlike": "ARN",
	"null": "Null",
}

// keyFamily maps a reference key type to the operator family that reads it;
// String and ARN keys read each other's operators (AWS's own examples use
// ArnLike on kms:EncryptionContext:aws:logs:arn, a String key).
func keyFamily(t string) string {
	t = strings.TrimPrefix(t, "ArrayOf")
	switch t {
	case "String", "ARN", "Arn":
		return "String"
	case "Numeric", "Integer", "Long":
		return "Numeric"
	case "IPAddress", "IpAddress":
		return "IPAddress"
	}
	return t
}

func checkCondition(i int, raw json.RawMessage) []Problem {
	var ps []Problem
	add := func(check, format string, args ...any) {
		ps = append(ps, Problem{Check: check, Severity: "error", Statement: i, Detail: fmt.Sprintf(format, args...)})
	}
	var cond map[string]map[string]json.RawMessage
	if err := json.Unmarshal(raw, &cond); err != nil {
		add("Data type mismatch", "Condition is not an object of operators to objects of keys")
		return ps
	}
	c := IAM()
	for _, op := range slices.Sorted(maps.Keys(cond)) {
		base := op
		if q, rest, ok := strings.Cut(op, ":"); ok {
			if q != "ForAnyValue" && q != "ForAllValues" {
				add("Invalid condition operator", "%q: the only set qualifiers are ForAnyValue and ForAllValues", op)
				continue
			}
			base = rest
		}
		ifExists := strings.HasSuffix(base, "IfExists")
		base = strings.TrimSuffix(base, "IfExists")
		fam, ok := operatorFamily[strings.ToLower(base)]
		if !ok {
			add("Invalid condition operator", "%q is not a condition operator", op)
			continue
		}
		if fam == "Null" && ifExists {
			add("Null with if exists", "%q: the Null operator has no IfExists form", op)
		}
		for _, k := range slices.Sorted(maps.Keys(cond[op])) {
			vals := stringOrScalarList(cond[op][k])
			if !strings.Contains(k, ":") {
				add("Invalid condition key format", "%q is not <prefix>:<key>", k)
				continue
			}
			prefix, _, _ := strings.Cut(k, ":")
			ck, found := c.ConditionKey(k)
			switch {
			case found:
			case webIdentityKey(k):
				ck = CondKey{Key: k, Type: "String"}
			case strings.EqualFold(prefix, "aws"):
				add("Invalid global condition key", "%q is not a global condition key", k)
				continue
			case c.IsService(prefix) && !c.HasService(prefix):
				ps = append(ps, Problem{Check: "No model", Severity: "error", Statement: i, NoModel: true,
					Detail: fmt.Sprintf("%q: service %q is outside the pinned extract (run make awsspec)", k, prefix)})
				continue
			default:
				add("Invalid service condition key", "%q is not a condition key of any service (Service Authorization Reference %s)", k, c.Version)
				continue
			}
			if fam == "Bool" && len(vals) > 1 {
				add("Invalid condition multiple Boolean", "%s %s has %d values; a Boolean condition takes one", op, k, len(vals))
			}
			for _, v := range vals {
				if msg := valueFormat(fam, v); msg != "" {
					add("Invalid condition data type", "%s %s: %q %s", op, k, v, msg)
				}
			}
			want := fam
			if fam == "ARN" {
				want = "String" // String and ARN keys read both families
			}
			if kf := keyFamily(ck.Type); fam != "Null" && kf != "" && kf != want {
				add("Type mismatch", "%s compares %s values, but %s is of type %s: the condition never matches as written", op, fam, ck.Key, ck.Type)
			}
		}
	}
	return ps
}

// webIdentityKey: an OIDC provider's own keys, "<provider URL>:aud" and the
// like, which the Service Authorization Reference lists only in part (it has
// no token.actions.githubusercontent.com:sub). IAM documents them in
// "Available keys for AWS OIDC federation":
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_iam-condition-keys.html#condition-keys-wif
func webIdentityKey(k string) bool {
	i := strings.LastIndex(k, ":")
	host, claim := k[:i], k[i+1:]
	if !strings.Contains(host, ".") || IAM().IsService(host) {
		return false
	}
	switch claim {
	case "aud", "sub", "amr", "azp", "oaud", "email":
		return true
	}
	return false
}

// stringOrScalarList reads a condition value: a string, number, bool or a list of them.
func stringOrScalarList(raw json.RawMessage) []string {
	var l []any
	if json.Unmarshal(raw, &l) != nil {
		var one any
		_ = json.Unmarshal(raw, &one)
		l = []any{one}
	}
	out := make([]string, 0, len(l))
	for _, v := range l {
		out = append(out, fmt.Sprint(v))
	}
	return out
}

// valueFormat says what is wrong with a value for an operator family; "" when fine.
func valueFormat(fam, v string) string {
	if strings.Contains(v, "${") {
		return "" // a policy variable, resolved at request time
	}
	switch fam {
	case "Numeric":
		if _, err := strconv.ParseFloat(v, 64); err != nil {
			return "is not a number"
		}
	case "Bool", "Null":
		if !strings.EqualFold(v, "true") && !strings.EqualFold(v, "false") {
			return "is not true or false"
		}
	case "Date":
		if _, err := time.Parse(time.RFC3339, v); err != nil {
			if _, err := time.Parse("2006-01-02", v); err != nil {
				if _, err := strconv.ParseInt(v, 10, 64); err != nil {
					return "is not an ISO 8601 date or epoch time"
				}
			}
		}
	case "IPAddress":
		if _, err := netip.ParsePrefix(v); err != nil {
			if _, err := netip.ParseAddr(v); err != nil {
				return "is not an IP address or CIDR block"
			}
		}
	case "ARN":
		if v != "*" && !strings.HasPrefix(v, "arn:") {
			return "is not an ARN"
		}
	}
	return ""
}
