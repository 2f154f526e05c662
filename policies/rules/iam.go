package rules

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// githubOIDC is GitHub Actions' OIDC issuer.
const githubOIDC = "token.actions.githubusercontent.com"

// githubSubject is a subject pinned to one repository: no wildcard anywhere.
var githubSubject = regexp.MustCompile(`^repo:[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+:(pull_request|environment:[A-Za-z0-9_.-]+|ref:refs/(heads|tags)/[A-Za-z0-9_./-]+)$`)

// policyDocs returns the (path, document) pairs a resource carries.
func policyDocs(r Res) map[string]PolicyDoc {
	out := map[string]PolicyDoc{}
	paths := []string{"policy"}
	if r.Type == tIAMRole {
		paths = nil
		for i := 0; i < r.Len("inlinePolicies"); i++ {
			paths = append(paths, fmt.Sprintf("inlinePolicies.%d.policy", i))
		}
	}
	for _, p := range paths {
		if doc, ok := r.JSONDoc(p); ok {
			out[p] = doc
		}
	}
	return out
}

// serviceWide reports an action that grants a whole service or everything.
func serviceWide(a string) bool { return a == "*" || strings.HasSuffix(a, ":*") }

// wildcardAction reports whether any action is service-wide.
func wildcardAction(actions []string) bool {
	for _, a := range actions {
		if serviceWide(a) {
			return true
		}
	}
	return false
}

// kmsRootStatement is the statement every key policy needs: the account root
// may administer the key, which delegates access to IAM.
func kmsRootStatement(st Statement) bool {
	for _, p := range st.principals("AWS") {
		if !strings.HasPrefix(p, "arn:aws:iam::") || !strings.HasSuffix(p, ":root") {
			return false
		}
	}
	return len(st.principals("AWS")) > 0 && len(st.principals("Service")) == 0
}

var iamRules = []Rule{
	{
		ID:          "DS-IAM-001",
		Title:       "No policy allows every action on every resource (KMS key policy root statements excepted)",
		HIPAA:       hipaaAccess,
		Control:     "Multi-Account Strategy; Security Groups: least privilege, explicit allow rules",
		Level:       Mandatory,
		Remediation: "name the actions and resources the principal needs",
		Types:       []string{tIAMPolicy, tIAMRole, tIAMRolePolicy, tIAMUserPolicy, tIAMGroupPol, tKMSKey},
		Resource: func(r Res) []string {
			var out []string
			for path, doc := range policyDocs(r) {
				for i, st := range doc.Statement {
					if st.Effect != "Allow" || !containsAny(st.Resource, "*") {
						continue
					}
					broad := wildcardAction(st.Action) || len(st.NotAction) > 0
					if broad && r.Type == tKMSKey && kmsRootStatement(st) {
						continue
					}
					if broad {
						out = append(out, fmt.Sprintf("%s %s statement %d allows %s on *", r.Label(), path, i, quoteList(append(st.Action, st.NotAction...))))
					}
				}
			}
			return out
		},
	},
	{
		ID:          "DS-IAM-003",
		Title:       "Allow statements name actions, never a whole service (s3:*, kms:*) or *, whatever the resource (KMS key policy account delegation excepted)",
		HIPAA:       hipaaAccess,
		Control:     "Multi-Account Strategy; Security Groups: least privilege, explicit allow rules",
		Level:       Mandatory,
		Remediation: "list the actions the principal needs (s3:GetObject, s3:PutObject, ...); only a key policy's statement for the account root may allow kms:*",
		Types:       []string{tIAMPolicy, tIAMRole, tIAMRolePolicy, tIAMUserPolicy, tIAMGroupPol, tKMSKey, tBucketPolicy, tSNSTopicPolicy},
		Resource: func(r Res) []string {
			var out []string
			docs := policyDocs(r)
			paths := make([]string, 0, len(docs))
			for p := range docs {
				paths = append(paths, p)
			}
			sort.Strings(paths)
			for _, path := range paths {
				doc := docs[path]
				for i, st := range doc.Statement {
					if st.Effect != "Allow" {
						continue
					}
					// AWS KMS's default key policy: the root statement
					// delegates the key to IAM; it grants nothing by itself.
					if r.Type == tKMSKey && kmsRootStatement(st) {
						continue
					}
					var wide []string
					for _, a := range st.Action {
						if serviceWide(a) {
							wide = append(wide, a)
						}
					}
					if len(st.NotAction) > 0 {
						wide = append(wide, "NotAction "+quoteList(st.NotAction))
					}
					if len(wide) > 0 {
						out = append(out, fmt.Sprintf("%s %s statement %d (%s) allows %s", r.Label(), path, i, st.Sid, quoteList(wide)))
					}
				}
			}
			return out
		},
	},
	{
		ID:          "DS-IAM-002",
		Title:       "GitHub OIDC roles trust one repository's pull requests or environments, never repo:ORG/*",
		HIPAA:       hipaaAuth,
		Control:     "Infrastructure Layers: GitHub OIDC (layer 1)",
		Level:       Mandatory,
		Remediation: "condition the trust on token.actions.githubusercontent.com:sub = repo:<org>/<repo>:pull_request or repo:<org>/<repo>:environment:<env>, and :aud = sts.amazonaws.com",
		Types:       []string{tIAMRole},
		Resource: func(r Res) []string {
			doc, ok := r.JSONDoc("assumeRolePolicy")
			if !ok {
				return nil
			}
			var out []string
			for i, st := range doc.Statement {
				github := false
				for _, p := range st.principals("Federated") {
					if strings.Contains(p, githubOIDC) {
						github = true
					}
				}
				if !github || st.Effect != "Allow" {
					continue
				}
				subs := append(st.conditionValues("StringEquals", githubOIDC+":sub"), st.conditionValues("StringLike", githubOIDC+":sub")...)
				if len(subs) == 0 {
					out = append(out, fmt.Sprintf("%s trust statement %d has no %s:sub condition: any repository could assume it", r.Label(), i, githubOIDC))
				}
				for _, sub := range subs {
					if !githubSubject.MatchString(sub) {
						out = append(out, fmt.Sprintf("%s trusts subject %q; want one repository's pull_request or environment, no wildcards", r.Label(), sub))
					}
				}
				if !containsAny(st.conditionValues("StringEquals", githubOIDC+":aud"), "sts.amazonaws.com") {
					out = append(out, fmt.Sprintf("%s trust statement %d does not require audience sts.amazonaws.com", r.Label(), i))
				}
			}
			return out
		},
	},
}
