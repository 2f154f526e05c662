package awsspec

import (
	"encoding/json"
	"sort"
	"strconv"
	"strings"
)

// policySites are the pulumi-aws inputs that carry an IAM policy document,
// and the kind each is. Paths are dotted; "[]" is every element of a list.
var policySites = map[string]map[string]PolicyKind{
	"aws:iam/role:Role":                                  {"assumeRolePolicy": KindTrust, "inlinePolicies[].policy": KindIdentity},
	"aws:iam/rolePolicy:RolePolicy":                      {"policy": KindIdentity},
	"aws:iam/policy:Policy":                              {"policy": KindManaged},
	"aws:s3/bucketPolicy:BucketPolicy":                   {"policy": KindBucket},
	"aws:kms/key:Key":                                    {"policy": KindKey},
	"aws:kms/keyPolicy:KeyPolicy":                        {"policy": KindKey},
	"aws:sns/topic:Topic":                                {"policy": KindTopic},
	"aws:sns/topicPolicy:TopicPolicy":                    {"policy": KindTopic},
	"aws:ecr/repositoryPolicy:RepositoryPolicy":          {"policy": KindRepository},
	"aws:secretsmanager/secretPolicy:SecretPolicy":       {"policy": KindSecret},
	"aws:cloudwatch/logResourcePolicy:LogResourcePolicy": {"policyDocument": KindLogs},
	"aws:ec2/vpcEndpoint:VpcEndpoint":                    {"policy": KindEndpoint},
	"aws:ec2/vpcEndpointPolicy:VpcEndpointPolicy":        {"policy": KindEndpoint},
	"aws:organizations/policy:Policy":                    {"content": KindSCP},
}

// PolicyDoc is one policy document found in a resource's inputs.
type PolicyDoc struct {
	Path string     // the input path ("inlinePolicies.2.policy")
	Kind PolicyKind // "" when the input is not a known policy site
	Text string
}

// PolicyDocs returns every policy document in a resource's inputs: those at
// a known site with their kind, and any other string that parses as a policy
// document (a JSON object with a Statement) with no kind, so a caller can
// report it as unmodelled rather than skip it.
func PolicyDocs(typ string, inputs map[string]any) []PolicyDoc {
	var out []PolicyDoc
	var walk func(v any, path, pattern string)
	walk = func(v any, path, pattern string) {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				walk(e, join(path, k), join(pattern, k))
			}
		case []any:
			for i, e := range x {
				walk(e, join(path, strconv.Itoa(i)), pattern+"[]")
			}
		case string:
			if !strings.HasPrefix(strings.TrimSpace(x), "{") {
				return
			}
			kind, known := policySites[typ][pattern]
			if typ == "aws:organizations/policy:Policy" && inputs["type"] != nil && inputs["type"] != "SERVICE_CONTROL_POLICY" {
				known = false // tag, backup and AI opt-out policies are not IAM documents
			}
			if known {
				out = append(out, PolicyDoc{Path: path, Kind: kind, Text: x})
				return
			}
			var probe map[string]json.RawMessage
			if json.Unmarshal([]byte(x), &probe) == nil {
				if _, ok := probe["Statement"]; ok {
					out = append(out, PolicyDoc{Path: path, Text: x})
				}
			}
		}
	}
	walk(inputs, "", "")
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out
}

func join(a, b string) string {
	if a == "" {
		return b
	}
	return a + "." + b
}

// AWSCreatedPrincipal is a principal AWS itself creates in an account, so a
// policy may name it without the plan creating it.
type AWSCreatedPrincipal struct {
	// Template is its ARN with ${Account} for the account.
	Template string
	Source   string
}

// AWSCreatedPrincipals are the principals the stacks' policies may name
// that AWS creates by itself.
var AWSCreatedPrincipals = []AWSCreatedPrincipal{
	{"arn:aws:iam::${Account}:role/OrganizationAccountAccessRole",
		"created by AWS Organizations in every account it creates (Organizations User Guide, \"Accessing member accounts\")"},
}

// CreatedByAWS returns where a principal comes from when AWS creates it.
func CreatedByAWS(arn string) (source string, ok bool) {
	for _, p := range AWSCreatedPrincipals {
		if MatchesTemplate(p.Template, arn) {
			return p.Source, true
		}
	}
	return "", false
}
