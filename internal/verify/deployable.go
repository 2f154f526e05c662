package verify

import (
	"fmt"
	"sort"
	"strings"

	"github.com/docustack/infrastructure/internal/awsspec"
	"github.com/docustack/infrastructure/internal/synth"
)

// KindDeploy marks the findings of the deployable section: what AWS's APIs
// would refuse when the plan is applied, decided offline from AWS's own
// machine-readable sources (internal/awsspec).
const KindDeploy = "deploy"

// adoptedOutput is the stack output in which the program lists the
// principals it names but does not create (platform.AdoptedPrincipalsOutput).
const adoptedOutput = "adoptedPrincipals"

// DeployStats counts what the deployable section checked.
type DeployStats struct {
	Documents  int `json:"documents"`
	Principals int `json:"principals"`
}

// Deployable checks every policy document of the plan against IAM's
// grammar, the Service Authorization Reference and the quota of its kind,
// every role's inline policies against the per-role quota, and every ARN
// principal of a trust or resource policy for existence when the policy is
// set: created by the plan and ordered before the policy, an account root,
// adopted (the plan's adoptedPrincipals output) or created by AWS. A policy
// at an input the analysis has no model for is a finding, not silence.
func Deployable(p *synth.Plan) ([]Finding, DeployStats) {
	var out []Finding
	var st DeployStats
	created := map[string]synth.Resource{} // ARN -> the resource that creates it
	for _, r := range p.Resources {
		if arn, ok := r.Outputs["arn"].(string); ok && arn != "" && r.Custom {
			created[arn] = r
		}
	}
	adopted := map[string]string{}
	if m, ok := p.Outputs[adoptedOutput].(map[string]any); ok {
		for k, v := range m {
			adopted[k], _ = v.(string)
		}
	}
	deps := dependencyIndex(p)
	for _, r := range p.Resources {
		if !r.Custom || !strings.HasPrefix(r.Type, "aws:") {
			continue
		}
		inline := 0
		for _, d := range awsspec.PolicyDocs(r.Type, r.Inputs) {
			st.Documents++
			intent := fmt.Sprintf("%s %s", r.Name, d.Path)
			if d.Kind == "" {
				out = append(out, Finding{Kind: KindDeploy, Intent: intent, Detail: fmt.Sprintf(
					"no model for a policy document at %s.%s: name its kind in internal/awsspec (policySites)", r.Type, d.Path)})
				continue
			}
			problems := awsspec.Validate(d.Kind, d.Text)
			f := Finding{Kind: KindDeploy, Intent: intent + " (" + string(d.Kind) + ")", OK: len(problems) == 0}
			if f.OK {
				spec := awsspec.Kinds[d.Kind]
				f.Detail = fmt.Sprintf("valid %s", d.Kind)
				if spec.Quota > 0 {
					f.Detail += fmt.Sprintf(", %d of %d characters", awsspec.Size(d.Kind, d.Text), spec.Quota)
				}
			} else {
				msgs := make([]string, len(problems))
				for i, pr := range problems {
					msgs[i] = pr.String()
				}
				f.Detail = fmt.Sprintf("AWS would refuse it (%s): %s", awsspec.Kinds[d.Kind].ErrorCode, strings.Join(msgs, "; "))
			}
			out = append(out, f)
			if d.Kind == awsspec.KindIdentity {
				inline += awsspec.Size(d.Kind, d.Text)
			}
			if d.Kind == awsspec.KindIdentity || d.Kind == awsspec.KindManaged || d.Kind == awsspec.KindSCP {
				continue // these name no principals
			}
			for _, arn := range awsspec.Principals(d.Text) {
				st.Principals++
				out = append(out, principalFinding(r, d, arn, created, adopted, deps))
			}
		}
		if inline > 0 {
			quota := awsspec.Kinds[awsspec.KindIdentity].Quota
			out = append(out, Finding{Kind: KindDeploy, Intent: r.Name + " inline policies (per-role aggregate)", OK: inline <= quota,
				Detail: fmt.Sprintf("%d of %d characters in aggregate (IAM quota; %s)", inline, quota, awsspec.Kinds[awsspec.KindIdentity].Source)})
			if inline > quota {
				out[len(out)-1].Detail = fmt.Sprintf("%s %s: %d characters over the %d per role", awsspec.Kinds[awsspec.KindIdentity].QuotaError, r.Name, inline, quota)
			}
		}
	}
	return out, st
}

// principalFinding decides whether one ARN principal exists when r's policy is set.
func principalFinding(r synth.Resource, d awsspec.PolicyDoc, arn string, created map[string]synth.Resource,
	adopted map[string]string, deps func(from, to string) bool) Finding {
	f := Finding{Kind: KindDeploy, Intent: fmt.Sprintf("principal %s exists when %s (%s) is set", arn, r.Name, d.Kind)}
	refuse := func(why string) Finding {
		f.Detail = fmt.Sprintf("%s; AWS answers: %s", why, fmt.Sprintf(awsspec.Kinds[d.Kind].PrincipalError, arn))
		return f
	}
	if isAccountRoot(arn) {
		f.OK, f.Detail = true, "an account's root principal"
		return f
	}
	if c, ok := created[arn]; ok {
		if c.URN == r.URN {
			return refuse("the resource names itself as a principal")
		}
		if !deps(r.URN, c.URN) {
			return refuse(fmt.Sprintf("created by the plan (%s) but %s does not depend on it, so the engine may set the policy first", c.Name, r.Name))
		}
		f.OK, f.Detail = true, fmt.Sprintf("created by the plan (%s) before the policy", c.Name)
		return f
	}
	if src, ok := adopted[arn]; ok {
		f.OK, f.Detail = true, "pre-existing, adopted by "+src
		return f
	}
	if src, ok := awsspec.CreatedByAWS(arn); ok {
		f.OK, f.Detail = true, "pre-existing: "+src
		return f
	}
	return refuse("neither created by the plan, nor an account root, nor adopted (adoptedPrincipals), nor created by AWS")
}

// isAccountRoot: arn:aws:iam::<12 digits>:root.
func isAccountRoot(arn string) bool {
	f := strings.Split(arn, ":")
	return len(f) == 6 && f[0] == "arn" && f[2] == "iam" && len(f[4]) == 12 && f[5] == "root"
}

// dependencyIndex returns whether resource from waits for resource to: to is
// among from's dependencies (explicit or through an input), transitively,
// where a dependency on a component is one on every resource under it.
func dependencyIndex(p *synth.Plan) func(from, to string) bool {
	children := map[string][]string{}
	direct := map[string][]string{}
	for _, r := range p.Resources {
		if r.Parent != "" {
			children[r.Parent] = append(children[r.Parent], r.URN)
		}
		ds := append([]string(nil), r.Dependencies...)
		for _, v := range r.PropertyDependencies {
			ds = append(ds, v...)
		}
		direct[r.URN] = ds
	}
	var expand func(urn string, into map[string]bool)
	expand = func(urn string, into map[string]bool) {
		if into[urn] {
			return
		}
		into[urn] = true
		for _, c := range children[urn] {
			expand(c, into)
		}
	}
	memo := map[string]map[string]bool{}
	var closure func(urn string) map[string]bool
	closure = func(urn string) map[string]bool {
		if m, ok := memo[urn]; ok {
			return m
		}
		m := map[string]bool{}
		memo[urn] = m
		for _, d := range direct[urn] {
			targets := map[string]bool{}
			expand(d, targets)
			for t := range targets {
				if !m[t] {
					m[t] = true
					for u := range closure(t) {
						m[u] = true
					}
				}
			}
		}
		return m
	}
	return func(from, to string) bool { return closure(from)[to] }
}

// deployLines summarizes the section for the report.
func deployLines(fs []Finding, st DeployStats) string {
	failed := 0
	for _, f := range fs {
		if f.Kind == KindDeploy && !f.OK {
			failed++
		}
	}
	kinds := map[string]int{}
	for _, f := range fs {
		if i := strings.LastIndex(f.Intent, " ("); f.Kind == KindDeploy && i > 0 && strings.HasSuffix(f.Intent, " policy)") && !strings.HasPrefix(f.Intent, "principal ") {
			kinds[strings.TrimSuffix(f.Intent[i+2:], ")")]++
		}
	}
	names := make([]string, 0, len(kinds))
	for k := range kinds {
		names = append(names, fmt.Sprintf("%d %s", kinds[k], k))
	}
	sort.Strings(names)
	return fmt.Sprintf("deployable: %d policy documents (%s), %d principals, %d refused", st.Documents, strings.Join(names, ", "), st.Principals, failed)
}
