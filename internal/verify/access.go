package verify

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/docustack/infrastructure/internal/synth"
)

// Access analysis: the exact requests AWS makes for each service integration
// the plan sets up, authorized through the identity policies, the resource
// policies (bucket, key, topic) and the organization's SCPs, as AWS
// documents it ("Policy evaluation logic", "Cross-account policy
// evaluation logic", "Key policies in AWS KMS"):
//   - an explicit deny anywhere wins;
//   - SCPs bound every IAM principal of a member account (not service
//     principals, not the management account);
//   - within an account an allow in the identity or the resource policy
//     suffices, except KMS, where the key policy must allow the principal, or
//     the account (delegation) and then the identity policy too;
//   - across accounts both the resource policy and the caller's own account
//     must allow.

// role is an IAM role of the plan.
type role struct {
	name, arn string
	trust     Document
	identity  []Document
	unread    []string // attached managed policies without a vendored document
	excerpts  []string // attached managed policies vendored as an excerpt
}

// world is what the access analysis reads from a plan.
type world struct {
	plan            *synth.Plan
	account, region string
	roles           map[string]*role    // by ARN
	bucketPolicy    map[string]Document // by bucket name
	bucketKey       map[string]string   // bucket name -> KMS key ARN (SSE-KMS)
	bucketKeyOn     map[string]bool     // bucket name -> S3 Bucket Keys enabled
	bucketAccount   map[string]string   // bucket name -> owner, for buckets of another account
	unknownBuckets  map[string]bool     // delivery targets in neither plan
	keyAlias        map[string]string   // key ARN -> alias name, for keys of another plan
	objectLock      map[string]bool     // bucket name -> default retention set
	keyPolicy       map[string]Document // by key ARN
	topicPolicy     map[string]Document // by topic ARN
	topicKey        map[string]string   // topic ARN -> key ARN
	scps            []namedDoc          // the organization's SCPs (from the org plan)
	orgManagementID string              // the management account (SCPs do not apply)
	orgID           string              // the organization's ID, when the org plan is read
	orgAccounts     map[string]bool     // the organization's accounts
	ownOU           map[string]bool     // accounts with an SCP attached to them directly
	problems        []string
	endpointPolicy  map[string]*Document // by endpoint service; nil: the default policy
	inVPC           map[string]bool      // roles that run inside the VPC
}

type namedDoc struct {
	name    string
	doc     Document
	targets []string // root (r-...), OU (ou-...) or account IDs it is attached to
}

// scpApplies reports whether an SCP attached to targets bounds account: an
// attachment to the root bounds every member account, one to an account that
// account, and one to an OU every member account that is not attached to
// on its own (the Log Archive account lives in an OU of its own, as AWS's
// multi-account guidance has it). The management account is never bound.
func (w *world) scpApplies(s namedDoc, account string) bool {
	// Only the organization's own member accounts are bound: this plan's
	// account and those the org stack attaches to (AWS's ELB log-delivery
	// account, for one, is not ours).
	if account == w.orgManagementID || (account != w.account && !w.ownOU[account]) {
		return false
	}
	for _, t := range s.targets {
		switch {
		case strings.HasPrefix(t, "r-"), t == account:
			return true
		case strings.HasPrefix(t, "ou-") && !w.ownOU[account]:
			return true
		}
	}
	return false
}

func (w *world) parse(where, s string) (Document, bool) {
	d, err := ParseDocument(s)
	if err != nil {
		w.problems = append(w.problems, fmt.Sprintf("%s: %v", where, err))
		return Document{}, false
	}
	return d, true
}

// readWorld reads roles, policies and keys. org is the org stack's plan
// (its SCPs), or nil.
func readWorld(p *synth.Plan, org *synth.Plan) *world {
	w := &world{plan: p, roles: map[string]*role{}, bucketPolicy: map[string]Document{}, bucketKey: map[string]string{}, bucketKeyOn: map[string]bool{},
		objectLock: map[string]bool{}, keyPolicy: map[string]Document{}, topicPolicy: map[string]Document{}, topicKey: map[string]string{},
		bucketAccount: map[string]string{}, unknownBuckets: map[string]bool{}, keyAlias: map[string]string{}}
	w.account, _ = p.Outputs["accountId"].(string)
	w.region, _ = p.Outputs["region"].(string)
	for _, r := range p.ByType("aws:iam/role:Role") {
		ro := &role{name: r.ID, arn: fmt.Sprintf("arn:aws:iam::%s:role/%s", ownerOf(p, r), r.ID)}
		ro.trust, _ = w.parse(r.Name+" trust policy", r.Str("assumeRolePolicy"))
		for i, ip := range asList(r.Get("inlinePolicies")) {
			if d, ok := w.parse(fmt.Sprintf("%s inline policy %d", r.Name, i), str(ip["policy"])); ok {
				ro.identity = append(ro.identity, d)
			}
		}
		for _, arn := range strs(r.Get("managedPolicyArns")) {
			w.attach(ro, arn)
		}
		w.roles[ro.arn] = ro
	}
	byID := map[string]*role{}
	for _, ro := range w.roles {
		byID[ro.name] = ro
	}
	for _, a := range p.ByType("aws:iam/rolePolicyAttachment:RolePolicyAttachment") {
		if ro, ok := byID[a.Str("role")]; ok {
			w.attach(ro, a.Str("policyArn"))
		}
	}
	for _, a := range p.ByType("aws:iam/rolePolicy:RolePolicy") {
		if ro, ok := byID[a.Str("role")]; ok {
			if d, ok := w.parse(a.Name, a.Str("policy")); ok {
				ro.identity = append(ro.identity, d)
			}
		}
	}
	w.readStorage(p)
	for _, t := range p.ByType("aws:sns/topic:Topic") {
		arn := fmt.Sprintf("arn:aws:sns:%s:%s:%s", w.region, w.account, t.Str("name"))
		w.topicKey[arn] = t.Str("kmsMasterKeyId")
	}
	for _, t := range p.ByType("aws:sns/topicPolicy:TopicPolicy") {
		if d, ok := w.parse(t.Name, t.Str("policy")); ok {
			w.topicPolicy[t.Str("arn")] = d
		}
	}
	w.readEndpoints(p)
	if org != nil {
		w.orgManagementID, _ = org.Outputs["accountId"].(string)
		w.orgID, _ = org.Outputs[organizationIDOutput].(string)
		w.orgAccounts = map[string]bool{w.orgManagementID: true, w.account: true}
		members, _ := org.Outputs[memberAccountsOutput].([]any)
		for _, m := range members {
			w.orgAccounts[str(m)] = true
		}
		w.ownOU = map[string]bool{}
		targets := map[string][]string{}
		for _, a := range org.ByType("aws:organizations/policyAttachment:PolicyAttachment") {
			targets[a.Str("policyId")] = append(targets[a.Str("policyId")], a.Str("targetId"))
			if t := a.Str("targetId"); !strings.HasPrefix(t, "r-") && !strings.HasPrefix(t, "ou-") {
				w.ownOU[t] = true
			}
		}
		// The organization's Log Archive lives in the org stack's plan: its
		// bucket and key policies decide every workload account's deliveries.
		if org != p {
			w.readStorage(org)
		}
		for _, s := range org.ByType("aws:organizations/policy:Policy") {
			if d, ok := w.parse(s.Name, s.Str("content")); ok {
				w.scps = append(w.scps, namedDoc{name: s.Name, doc: d, targets: targets[s.ID]})
			}
		}
	}
	return w
}

// readStorage reads a plan's bucket policies, bucket encryption, Object
// Lock and key policies, each under the account that owns it (a resource
// created through a provider pinned to another account is that account's).
func (w *world) readStorage(p *synth.Plan) {
	for _, b := range p.ByType("aws:s3/bucketPolicy:BucketPolicy") {
		if d, ok := w.parse(b.Name, b.Str("policy")); ok {
			w.bucketPolicy[b.Str("bucket")] = d
			if a := ownerOf(p, b); a != w.account {
				w.bucketAccount[b.Str("bucket")] = a
			}
		}
	}
	for _, e := range p.ByType("aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2") {
		if k := e.Str("rules.0.applyServerSideEncryptionByDefault.kmsMasterKeyId"); k != "" {
			w.bucketKey[e.Str("bucket")] = k
			w.bucketKeyOn[e.Str("bucket")] = e.Bool("rules.0.bucketKeyEnabled")
		}
	}
	for _, l := range p.ByType("aws:s3/bucketObjectLockConfigurationV2:BucketObjectLockConfigurationV2") {
		w.objectLock[l.Str("bucket")] = l.Str("rule.defaultRetention.mode") != ""
	}
	for _, k := range p.ByType("aws:kms/key:Key") {
		region, _ := p.Outputs["region"].(string)
		if prov, ok := p.ByURN(k.Provider); ok && prov.Str("region") != "" {
			region = prov.Str("region")
		}
		arn := fmt.Sprintf("arn:aws:kms:%s:%s:key/%s", region, ownerOf(p, k), k.ID)
		if d, ok := w.parse(k.Name, k.Str("policy")); ok {
			w.keyPolicy[arn] = d
		}
		if p != w.plan {
			for _, a := range p.ByType("aws:kms/alias:Alias") {
				if a.Str("targetKeyId") == arn || a.Str("targetKeyId") == k.ID {
					w.keyAlias[arn] = strings.TrimPrefix(a.Str("name"), "alias/")
				}
			}
		}
	}
}

// ownerOf is the account a resource of a plan is created in: its explicit
// provider's pinned account, or the plan's.
func ownerOf(p *synth.Plan, r synth.Resource) string {
	if prov, ok := p.ByURN(r.Provider); ok {
		if ids := strs(prov.Get("allowedAccountIds")); len(ids) == 1 {
			return ids[0]
		}
	}
	a, _ := p.Outputs["accountId"].(string)
	return a
}

func (w *world) attach(ro *role, arn string) {
	if mp, ok := managedPolicies[arn]; ok {
		ro.identity = append(ro.identity, mustDoc(mp.Document))
		if mp.Excerpt {
			ro.excerpts = appendUnique(ro.excerpts, arn)
		}
		return
	}
	ro.unread = appendUnique(ro.unread, arn)
}

// Policies are what applies to one request.
type policies struct {
	identity []Document // nil for a service principal
	resource *Document
	resName  string
	isKey    bool
	// resourceAccount owns the resource.
	resourceAccount string
}

// authorize decides a request and explains the decision.
func (w *world) authorize(req Request, pol policies) (bool, string) {
	iamPrincipal := req.Principal.Service == "" && !req.Principal.Anonymous && !req.Principal.Federated
	// Every request names the region it is made in.
	if _, ok := req.Context["aws:RequestedRegion"]; !ok {
		c := map[string][]string{"aws:RequestedRegion": {w.region}}
		for k, v := range req.Context {
			c[k] = v
		}
		req.Context = c
	}
	req = w.withOrgKeys(req, iamPrincipal)
	// SCPs: member accounts' IAM principals only.
	if iamPrincipal {
		for _, s := range w.scps {
			if !w.scpApplies(s, req.Principal.Account) {
				continue
			}
			if d := s.doc.Evaluate(req, false); d.Effect == EffectDeny {
				return false, fmt.Sprintf("denied by SCP %s (%s)", s.name, d.Sid)
			}
		}
	}
	var idAllow string
	for _, d := range pol.identity {
		switch e := d.Evaluate(req, false); e.Effect {
		case EffectDeny:
			return false, "denied by the identity policy (" + e.Sid + ")"
		case EffectAllow:
			if idAllow == "" {
				idAllow = "identity policy " + e.Sid
			}
		}
	}
	var resAllow, resViaAccount string
	if pol.resource != nil {
		e := pol.resource.Evaluate(req, true)
		switch e.Effect {
		case EffectDeny:
			return false, fmt.Sprintf("denied by the %s policy (%s)", pol.resName, e.Sid)
		case EffectAllow:
			if direct, ok := w.directAllow(*pol.resource, req); ok {
				resAllow = pol.resName + " policy " + direct
			} else {
				resViaAccount = pol.resName + " policy " + e.Sid
			}
		}
	}
	crossAccount := iamPrincipal && pol.resourceAccount != "" && req.Principal.Account != pol.resourceAccount
	switch {
	case !iamPrincipal:
		if resAllow != "" {
			return true, "allowed by the " + resAllow
		}
		return false, fmt.Sprintf("no statement of the %s policy allows %s", pol.resName, req.Principal)
	case pol.isKey && crossAccount:
		// Across accounts the key policy must admit the caller (by ARN or
		// through its account) and the caller's identity policy must allow.
		// https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-modifying-external-accounts.html
		if (resAllow != "" || resViaAccount != "") && idAllow != "" {
			return true, "allowed by both accounts: the " + resAllow + resViaAccount + " and the " + idAllow
		}
		return false, "across accounts both the key policy and the caller's identity policy must allow"
	case pol.isKey:
		if resAllow != "" {
			return true, "allowed by the " + resAllow
		}
		if resViaAccount != "" && idAllow != "" {
			return true, fmt.Sprintf("the %s delegates to the account and the %s allows", resViaAccount, idAllow)
		}
		if resViaAccount == "" {
			return false, "the key policy neither allows the principal nor delegates to its account"
		}
		return false, "the key policy delegates to the account, but no identity policy allows it"
	case crossAccount:
		if (resAllow != "" || resViaAccount != "") && idAllow != "" {
			return true, "allowed by both accounts"
		}
		return false, "across accounts both the resource policy and the caller's identity policy must allow"
	default:
		if idAllow != "" {
			return true, "allowed by the " + idAllow
		}
		if resAllow != "" {
			return true, "allowed by the " + resAllow
		}
		// Naming the account (its root) in a resource policy delegates to the
		// account's identity policies; it grants nothing by itself.
		if resViaAccount != "" {
			return false, "the " + resViaAccount + " names the account, but no identity policy allows it"
		}
		return false, "no identity or resource policy allows it"
	}
}

// The org stack's outputs naming the organization (platform.OrganizationIDOutput,
// platform.MemberAccountsOutput; a test pins them equal).
const (
	organizationIDOutput = "organizationId"
	memberAccountsOutput = "memberAccountIds"
)

// withOrgKeys adds the organization keys AWS sends: aws:PrincipalOrgID for
// an IAM principal of an account in the organization, and aws:SourceOrgID
// for a service acting for one (with aws:SourceAccount).
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalorgid
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-sourceorgid
func (w *world) withOrgKeys(req Request, iamPrincipal bool) Request {
	if w.orgID == "" {
		return req
	}
	key, account := "", ""
	switch {
	case iamPrincipal:
		key, account = "aws:PrincipalOrgID", req.Principal.Account
	case req.Principal.Service != "" && len(req.Context["aws:SourceAccount"]) == 1:
		key, account = "aws:SourceOrgID", req.Context["aws:SourceAccount"][0]
	}
	if key == "" || !w.orgAccounts[account] {
		return req
	}
	if _, set := req.Context[key]; set {
		return req
	}
	c := map[string][]string{key: {w.orgID}}
	for k, v := range req.Context {
		c[k] = v
	}
	req.Context = c
	return req
}

// directAllow finds the statement of a resource policy that admits the
// request itself, not only through a statement naming the caller's account
// (root or ID), which delegates to the account's identity policies.
func (w *world) directAllow(d Document, req Request) (string, bool) {
	for _, s := range d.Statement {
		if !strings.EqualFold(s.Effect, "Allow") || !s.matches(req, req.ctx(), true) {
			continue
		}
		if m, ok := s.Principal.(map[string]any); ok {
			for _, v := range list(m["AWS"]) {
				if v == req.Principal.ARN {
					return s.Sid, true
				}
			}
		}
		if s.Principal == "*" {
			return s.Sid, true
		}
		if m, ok := s.Principal.(map[string]any); ok && (m["Service"] != nil || m["Federated"] != nil) {
			return s.Sid, true
		}
	}
	return "", false
}

// AccessIntent is one simulated request and what it must come to.
type AccessIntent struct {
	Name    string
	Request Request
	Want    bool
	pol     policies
}

// Access runs the access analysis. org is the org stack's plan (its SCPs
// bound the member accounts), or nil.
func Access(p *synth.Plan, org *synth.Plan) []Finding {
	w := readWorld(p, org)
	if w.account == "" {
		return nil
	}
	var out []Finding
	for _, in := range w.intents() {
		out = append(out, w.judge(in))
	}
	roleUses, unmodelled := w.roleUseIntents()
	_, unmodelledTopics := w.topicUseIntents()
	uses, unmodelledUses := w.useIntents()
	unmodelled = append(append(unmodelled, unmodelledTopics...), unmodelledUses...)
	for _, in := range append(append(roleUses, w.keyUseIntents()...), uses...) {
		out = append(out, w.judge(in))
	}
	out = append(out, unmodelled...)
	for _, b := range slices.Sorted(maps.Keys(w.unknownBuckets)) {
		out = append(out, Finding{Kind: "model", Intent: "deliveries to " + b,
			Detail: "the bucket is in neither this plan nor the org stack's: its policy cannot be judged (verify reads the org stack's plan; pass it, or give the stack a standalone archive)"})
	}
	_, who := w.whoCan()
	out = append(out, who...)
	out = append(out, w.ecrLayerIntents()...)
	out = append(out, w.structural()...)
	for _, prob := range w.problems {
		out = append(out, Finding{Intent: "every policy document parses", Kind: "model", Detail: prob})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Intent < out[j].Intent })
	return out
}

// WhoCan answers, for every sensitive action on every resource of the
// plan, which of its roles and which external callers can perform it.
func WhoCan(p *synth.Plan, org *synth.Plan) []WhoCanRow {
	w := readWorld(p, org)
	if w.account == "" {
		return nil
	}
	rows, _ := w.whoCan()
	return rows
}

// rolePolicies are the identity policies of a role of the plan.
func (w *world) rolePolicies(arn string) []Document {
	if ro, ok := w.roles[arn]; ok {
		return ro.identity
	}
	return nil
}

// asRole is a request principal for a role of this account, with the role's
// identity policies and no resource policy.
func (w *world) asRole(arn string) (Principal, policies) {
	return Principal{ARN: arn, Account: w.account}, policies{identity: w.rolePolicies(arn), resName: "none", resourceAccount: w.account}
}

func (w *world) bucket(name string) policies {
	d, ok := w.bucketPolicy[name]
	owner := w.account
	if a, ok := w.bucketAccount[name]; ok {
		owner = a
	}
	pol := policies{resName: "bucket " + name, resourceAccount: owner}
	if ok {
		pol.resource = &d
	}
	return pol
}

func (w *world) key(arn string) policies {
	d, ok := w.keyPolicy[arn]
	owner := w.account
	if f := strings.SplitN(arn, ":", 6); len(f) == 6 && f[4] != "" {
		owner = f[4]
	}
	pol := policies{resName: "key", isKey: true, resourceAccount: owner}
	if ok {
		pol.resource = &d
	}
	return pol
}

// withKey is a caller's policies for a request on a key: its identity
// policies, with the key's policy and owner as the resource side.
func (w *world) withKey(p policies, key string) policies {
	kp := w.key(key)
	kp.identity = p.identity
	return kp
}

func svc(name string) Principal { return Principal{Service: name} }

// tls is the context of an HTTPS request with TLS 1.2.
func tls(extra map[string][]string) map[string][]string {
	out := map[string][]string{"aws:SecureTransport": {"true"}, "s3:TlsVersion": {"1.2"}}
	for k, v := range extra {
		out[k] = v
	}
	return out
}

func mustDoc(s string) Document {
	d, err := ParseDocument(s)
	if err != nil {
		panic(err)
	}
	return d
}

func jsonUnmarshal(s string, v any) error { return json.Unmarshal([]byte(s), v) }

// judge decides one intent and explains the decision.
func (w *world) judge(in AccessIntent) Finding {
	// An S3 ARN names no account; S3 sets aws:ResourceAccount to the
	// bucket owner's.
	// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-resourceaccount
	if strings.HasPrefix(in.Request.Resource, "arn:aws:s3:::") && in.pol.resourceAccount != "" {
		if _, set := in.Request.Context["aws:ResourceAccount"]; !set {
			c := map[string][]string{"aws:ResourceAccount": {in.pol.resourceAccount}}
			for k, v := range in.Request.Context {
				c[k] = v
			}
			in.Request.Context = c
		}
	}
	ok, why := w.authorize(in.Request, in.pol)
	if ok {
		if through, how := w.throughEndpoint(in.Request); !through {
			ok, why = false, how
		} else if how != "" {
			why += ", " + how
		}
	}
	kind := map[bool]string{true: "access", false: "access-deny"}[in.Want]
	proven := ok == in.Want
	if ro, isRole := w.roles[in.Request.Principal.ARN]; isRole {
		if !ok && len(ro.unread) > 0 {
			why += fmt.Sprintf(" (not read: the attached managed policies %s, whose documents are not vendored)", strings.Join(ro.unread, ", "))
		}
		// A refusal found through an excerpt may be granted by the
		// statements left out: it proves nothing.
		if !in.Want && !ok && len(ro.excerpts) > 0 {
			proven = false
			why += fmt.Sprintf(" (unprovable: %s is vendored as an excerpt)", strings.Join(ro.excerpts, ", "))
		}
	}
	return Finding{Intent: in.Name, Kind: kind, OK: proven,
		Detail: fmt.Sprintf("%s %s on %s: %s", in.Request.Principal, in.Request.Action, in.Request.Resource, why)}
}

// MemberDeliveries judges, for the org stack's report, a member stack's
// requests into the accounts the org stack builds (the Log Archive): its
// trail, flow logs, ALB logs, Config and access-log replication, each named
// after the member's stack. Verifying the org stack so shows every member's
// delivery, as verifying a member shows its own.
func MemberDeliveries(member, org *synth.Plan) []Finding {
	w := readWorld(member, org)
	if w.account == "" {
		return nil
	}
	uses, _ := w.useIntents()
	all := append(append(w.intents(), w.keyUseIntents()...), uses...)
	var out []Finding
	for _, in := range all {
		// Only requests into the organization's other accounts (an AWS
		// account's repository, the GuardDuty agent's, is not the org's).
		if owner := w.resourceOwner(in.Request.Resource); owner == w.account || !w.orgAccounts[owner] {
			continue
		}
		f := w.judge(in)
		f.Intent = member.Stack + ": " + f.Intent
		out = append(out, f)
	}
	for _, b := range slices.Sorted(maps.Keys(w.unknownBuckets)) {
		out = append(out, Finding{Kind: "model", Intent: member.Stack + ": deliveries to " + b,
			Detail: "the member delivers to a bucket the org stack does not create"})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Intent < out[j].Intent })
	return out
}

// resourceOwner is the account owning a request's resource: a bucket's (or
// its object's) owner, or the account field of an ARN.
func (w *world) resourceOwner(resource string) string {
	if rest, ok := strings.CutPrefix(resource, "arn:aws:s3:::"); ok {
		b, _, _ := strings.Cut(rest, "/")
		if a, ok := w.bucketAccount[b]; ok {
			return a
		}
		return w.account
	}
	if f := strings.SplitN(resource, ":", 6); len(f) == 6 {
		return f[4]
	}
	return ""
}
