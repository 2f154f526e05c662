package verify

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/docustack/infrastructure/internal/synth"
)

// Who can: for every sensitive action on every resource of the plan that
// holds one (derived from the plan: Object Lock buckets, trails, detectors,
// keys, secrets, SCPs, administrator roles), every principal of the plan and
// every external class of caller is tried, and any that can must be on the
// reviewed allow-list (whoCanAllowed). The answer is generated into
// docs/controls.md, so a widened grant shows in the pull request.

// sensitive is one class of sensitive action on one resource.
type sensitive struct {
	class    string // the allow-list key
	what     string // human-readable, with the resource
	requests []Request
	pol      policies // the resource's own policy (identity filled per caller)
}

// caller is one principal tried against every sensitive action.
type caller struct {
	name     string // a role's logical name or an external class
	p        Principal
	identity []Document
	ctx      map[string][]string // extra context the caller's requests carry
}

// WhoCanRow is one sensitive action and who can perform it.
type WhoCanRow struct {
	Class string   `json:"class"`
	What  string   `json:"what"`
	Who   []string `json:"who"`
}

// allowed is one reviewed grant: a caller (a role's logical name in the
// plan, or an external class) on the sensitive actions of a class whose
// description contains On ("" for every resource of the class).
type allowed struct{ Caller, On string }

// everywhere are the callers that administer the whole stack by design: the
// account's administrators and the deploy role, which applies the stack and
// so must be able to change all of it. The SCPs, the archive's Object Lock
// and the vault lock bound them; the table shows what they leave.
var everywhere = []allowed{{classAdmin, ""}, {"github-deploy", ""}}

// whoCanAllowed is the reviewed allow-list, per class: who may besides
// everywhere. Reviewed with the generated table in docs/controls.md.
var whoCanAllowed = map[string][]allowed{
	"delete or overwrite archived logs":   nil,
	"stop or change a trail":              nil,
	"disable AWS Config":                  nil,
	"disable GuardDuty":                   nil,
	"disable Security Hub":                nil,
	"change a bucket policy":              nil,
	"change a key policy or delete a key": nil,
	"change or detach an SCP":             nil,
	// Each key's users, through the services its key policy names.
	"decrypt with a key": {
		{"web-task-role", "-data"}, {"workers-task-role", "-data"}, // documents, through S3
		{"documents-replication-role", "-data"}, // S3 replication reads the source objects
		{"db-init-role", "-database"},           // the RDS-managed master secret
		{"config-recorder-role", "-logs"},       // AWS Config's deliveries to the archive
		{"web-task-role", "-logs"},              // ECS Exec sessions of the web task
	},
	// Each secret's consumers: a task's execution role injects it, DB-init sets them.
	"read a secret": {
		{"web-execution-role", "/web/"},
		{"slack-bot-execution-role", "/slack-bot/"},
		{"temporal-combined-execution-role", "/database/TEMPORAL_PASSWORD"},
		{"temporal-frontend-execution-role", "/database/TEMPORAL_PASSWORD"}, {"temporal-history-execution-role", "/database/TEMPORAL_PASSWORD"},
		{"temporal-matching-execution-role", "/database/TEMPORAL_PASSWORD"}, {"temporal-worker-execution-role", "/database/TEMPORAL_PASSWORD"},
		{"db-init-role", "/database/"}, {"db-init-role", "rds!"},
	},
	// The application signs in as its database role with its task role.
	"sign in to a database": {{"web-task-role", " as docustack"}, {"workers-task-role", " as docustack"}},
	// Only the deploy workflow of the stack's own GitHub environment.
	"assume an administrator role": {{classGitHubEnv, ""}},
}

// mayDo reports whether the allow-list admits a caller on a sensitive action.
func mayDo(class, what, caller string) bool {
	for _, a := range append(append([]allowed{}, everywhere...), whoCanAllowed[class]...) {
		if a.Caller == caller && strings.Contains(what, a.On) {
			return true
		}
	}
	return false
}

// External classes of caller.
const (
	classAdmin      = "an administrator of this account"
	classOther      = "another AWS account"
	classAnonymous  = "anonymous"
	classDeputy     = "a service acting for another account"
	classGitHubElse = "a GitHub workflow of another repository"
	classGitHubPR   = "a pull request of this repository"
	classGitHubEnv  = "the deploy workflow of this stack's GitHub environment"
	classGitHubMain = "a workflow run on this repository's main branch (scheduled or pushed)"
)

func (w *world) sensitives() []sensitive {
	var out []sensitive
	add := func(class, what string, pol policies, actions []string, resources ...string) {
		s := sensitive{class: class, what: what, pol: pol}
		for _, a := range actions {
			for _, r := range resources {
				s.requests = append(s.requests, Request{Action: a, Resource: r, Context: tls(nil)})
			}
		}
		out = append(out, s)
	}
	for _, b := range slices.Sorted(maps.Keys(w.objectLock)) {
		add("delete or overwrite archived logs", "delete, overwrite or re-lock archived logs in "+b, w.bucket(b),
			[]string{"s3:DeleteObject", "s3:DeleteObjectVersion", "s3:PutObjectRetention", "s3:BypassGovernanceRetention"},
			"arn:aws:s3:::"+b+"/AWSLogs/"+w.account+"/CloudTrail/x.json.gz")
		add("delete or overwrite archived logs", "shorten the retention of "+b, w.bucket(b),
			[]string{"s3:PutBucketObjectLockConfiguration", "s3:PutLifecycleConfiguration"}, "arn:aws:s3:::"+b)
	}
	for _, t := range w.plan.ByType("aws:cloudtrail/trail:Trail") {
		arn, _ := t.Outputs["arn"].(string)
		add("stop or change a trail", "stop, delete or change trail "+t.Str("name"), policies{resName: "none", resourceAccount: w.account},
			[]string{"cloudtrail:StopLogging", "cloudtrail:DeleteTrail", "cloudtrail:UpdateTrail", "cloudtrail:PutEventSelectors"}, arn)
	}
	none := policies{resName: "none", resourceAccount: w.account}
	if len(w.plan.ByType("aws:cfg/recorder:Recorder")) > 0 {
		add("disable AWS Config", "stop or delete the Config recorder or its delivery channel", none,
			[]string{"config:StopConfigurationRecorder", "config:DeleteConfigurationRecorder", "config:DeleteDeliveryChannel"}, "*")
	}
	if len(w.plan.ByType("aws:guardduty/detector:Detector")) > 0 {
		add("disable GuardDuty", "delete or suspend the GuardDuty detector", none,
			[]string{"guardduty:DeleteDetector", "guardduty:UpdateDetector"}, fmt.Sprintf("arn:aws:guardduty:%s:%s:detector/x", w.region, w.account))
	}
	if len(w.plan.ByType("aws:securityhub/account:Account")) > 0 {
		add("disable Security Hub", "disable Security Hub", none, []string{"securityhub:DisableSecurityHub"}, fmt.Sprintf("arn:aws:securityhub:%s:%s:hub/default", w.region, w.account))
	}
	for _, b := range slices.Sorted(maps.Keys(w.bucketPolicy)) {
		add("change a bucket policy", "change the policy of bucket "+b, w.bucket(b), []string{"s3:PutBucketPolicy", "s3:DeleteBucketPolicy"}, "arn:aws:s3:::"+b)
	}
	for _, k := range slices.Sorted(maps.Keys(w.keyPolicy)) {
		name := w.keyName(k)
		add("change a key policy or delete a key", "change the policy of, or delete, key "+name, w.key(k),
			[]string{"kms:PutKeyPolicy", "kms:ScheduleKeyDeletion"}, k)
		s := sensitive{class: "decrypt with a key", what: "decrypt with key " + name, pol: w.key(k)}
		// Directly, and through each service the key policy names.
		s.requests = append(s.requests, Request{Action: "kms:Decrypt", Resource: k, Context: map[string][]string{"kms:CallerAccount": {w.account}}})
		for _, via := range viaServices(w.keyPolicy[k]) {
			s.requests = append(s.requests, Request{Action: "kms:Decrypt", Resource: k,
				Context: map[string][]string{"kms:CallerAccount": {w.account}, "kms:ViaService": {via}}})
		}
		out = append(out, s)
	}
	secrets := map[string]bool{}
	for _, s := range w.plan.ByType("aws:secretsmanager/secret:Secret") {
		if arn, _ := s.Outputs["arn"].(string); arn != "" {
			secrets[arn] = true
		}
	}
	for arn := range w.secretKeys() {
		secrets[arn] = true
	}
	for _, arn := range slices.Sorted(maps.Keys(secrets)) {
		add("read a secret", "read secret "+arn[strings.Index(arn, ":secret:")+len(":secret:"):], none, []string{"secretsmanager:GetSecretValue"}, arn)
	}
	// IAM database authentication: who can get a token for each user of each
	// database: its master user and every role DB-init creates.
	users := map[string]bool{}
	for _, f := range w.plan.ByType("aws:lambda/function:Function") {
		var roles []map[string]any
		vars, _ := f.Get("environment.variables").(map[string]any)
		_ = jsonUnmarshal(str(vars["ROLES"]), &roles)
		for _, r := range roles {
			users[str(r["name"])] = true
		}
	}
	for _, db := range append(w.plan.ByType("aws:rds/instance:Instance"), w.plan.ByType("aws:rds/cluster:Cluster")...) {
		if !db.Bool("iamDatabaseAuthenticationEnabled") {
			continue
		}
		id, _ := db.Outputs["resourceId"].(string)
		if db.Type == "aws:rds/cluster:Cluster" {
			id, _ = db.Outputs["clusterResourceId"].(string)
		}
		dbUsers := maps.Clone(users)
		dbUsers[db.Str("username")+db.Str("masterUsername")] = true
		for _, user := range slices.Sorted(maps.Keys(dbUsers)) {
			add("sign in to a database", fmt.Sprintf("sign in to database %s as %s", db.Name, user), none, []string{"rds-db:connect"},
				fmt.Sprintf("arn:aws:rds-db:%s:%s:dbuser:%s/%s", w.region, w.account, id, user))
		}
	}
	for _, p := range w.plan.ByType("aws:organizations/policy:Policy") {
		add("change or detach an SCP", "change, detach or delete SCP "+p.Str("name"), none,
			[]string{"organizations:UpdatePolicy", "organizations:DetachPolicy", "organizations:DeletePolicy"},
			fmt.Sprintf("arn:aws:organizations::%s:policy/o-x/service_control_policy/p-%s", w.account, p.ID))
	}
	for _, arn := range slices.Sorted(maps.Keys(w.roles)) {
		ro := w.roles[arn]
		if !isAdministrator(ro) {
			continue
		}
		trust := ro.trust
		out = append(out, sensitive{class: "assume an administrator role", what: "assume administrator role " + ro.name,
			// A trust policy decides like a key policy: it must allow the caller, or
			// name its account and leave it to the caller's own policies (IAM User
			// Guide, "How IAM roles differ from resource-based policies").
			pol:      policies{resource: &trust, resName: "trust", isKey: true, resourceAccount: w.account},
			requests: []Request{{Action: "sts:AssumeRole", Resource: arn}, {Action: "sts:AssumeRoleWithWebIdentity", Resource: arn}}})
	}
	return out
}

// isAdministrator: a role whose identity policies allow every action.
func isAdministrator(ro *role) bool {
	for _, d := range ro.identity {
		for _, s := range d.Statement {
			if strings.EqualFold(s.Effect, "Allow") && anyMatch(list(s.Action), "iam:CreateUser", true) && anyMatch(list(s.Action), "s3:DeleteBucket", true) {
				return true
			}
		}
	}
	return false
}

// viaServices are the kms:ViaService values a key policy names.
func viaServices(d Document) []string {
	seen := map[string]bool{}
	for _, s := range d.Statement {
		for op, kv := range s.Condition {
			if !strings.HasPrefix(strings.ToLower(op), "string") {
				continue
			}
			for k, v := range kv {
				if strings.EqualFold(k, "kms:ViaService") {
					for _, x := range list(v) {
						seen[x] = true
					}
				}
			}
		}
	}
	return slices.Sorted(maps.Keys(seen))
}

func (w *world) keyName(arn string) string {
	if n, ok := w.keyAlias[arn]; ok {
		return n
	}
	for _, a := range w.plan.ByType("aws:kms/alias:Alias") {
		if a.Str("targetKeyId") == arn || strings.HasSuffix(arn, "/"+a.Str("targetKeyId")) {
			return strings.TrimPrefix(a.Str("name"), "alias/")
		}
	}
	for _, k := range w.plan.ByType("aws:kms/key:Key") {
		if a, _ := k.Outputs["arn"].(string); a == arn {
			return k.Name
		}
	}
	return arn
}

// callers are every role of the plan and the external classes.
func (w *world) callers(s sensitive) []caller {
	var out []caller
	for _, arn := range slices.Sorted(maps.Keys(w.roles)) {
		ro := w.roles[arn]
		out = append(out, caller{name: w.roleName(arn), p: Principal{ARN: arn, Account: w.account}, identity: ro.identity})
	}
	out = append(out,
		caller{name: classAdmin, p: Principal{ARN: fmt.Sprintf("arn:aws:iam::%s:role/Admin", w.account), Account: w.account}, identity: []Document{adminAccess()}},
		caller{name: classOther, p: Principal{ARN: fmt.Sprintf("arn:aws:iam::%s:role/Admin", otherAccount), Account: otherAccount}, identity: []Document{adminAccess()}},
		caller{name: classAnonymous, p: Principal{Anonymous: true}})
	if s.pol.resource != nil {
		for _, svcName := range principalsOf(*s.pol.resource, "Service") {
			out = append(out, caller{name: classDeputy + " (" + svcName + ")", p: svc(svcName),
				ctx: map[string][]string{"aws:SourceAccount": {otherAccount}, "aws:SourceArn": {"arn:aws:s3:::someone-elses"}}})
		}
		env, _ := w.plan.Outputs["environment"].(string)
		for _, sub := range []struct{ name, sub string }{
			{classGitHubElse, "repo:someone/else:ref:refs/heads/main"},
			{classGitHubPR, "repo:" + w.githubRepo() + ":pull_request"},
			{classGitHubEnv, "repo:" + w.githubRepo() + ":environment:" + env},
			{classGitHubMain, "repo:" + w.githubRepo() + ":ref:refs/heads/main"},
		} {
			for _, fed := range principalsOf(*s.pol.resource, "Federated") {
				out = append(out, caller{name: sub.name, p: Principal{ARN: fed, Federated: true},
					ctx: map[string][]string{"token.actions.githubusercontent.com:sub": {sub.sub}, "token.actions.githubusercontent.com:aud": {"sts.amazonaws.com"}}})
			}
		}
	}
	return out
}

// GitHubMayAssume reports whether a GitHub Actions run presenting the OIDC
// subject sub may assume the plan's role named roleName (its AWS name),
// and why: the role's trust policy decides, as STS does for
// AssumeRoleWithWebIdentity.
func GitHubMayAssume(p *synth.Plan, roleName, sub string) (bool, string) {
	w := readWorld(p, nil)
	ro, ok := w.roles[fmt.Sprintf("arn:aws:iam::%s:role/%s", w.account, roleName)]
	if !ok {
		return false, "no role " + roleName + " in the plan"
	}
	for _, fed := range principalsOf(ro.trust, "Federated") {
		trust := ro.trust
		ok, why := w.authorize(Request{Principal: Principal{ARN: fed, Federated: true}, Action: "sts:AssumeRoleWithWebIdentity", Resource: ro.arn,
			Context: map[string][]string{"token.actions.githubusercontent.com:sub": {sub}, "token.actions.githubusercontent.com:aud": {"sts.amazonaws.com"}}},
			policies{resource: &trust, resName: "trust", resourceAccount: w.account})
		if ok {
			return true, why
		}
		return false, why
	}
	return false, "the role trusts no federated principal"
}

// roleName is a role's logical name in the plan (stable across stacks).
func (w *world) roleName(arn string) string {
	for _, r := range w.plan.ByType("aws:iam/role:Role") {
		if w.roles[arn] != nil && r.ID == w.roles[arn].name {
			return r.Name
		}
	}
	return arn
}

func (w *world) githubRepo() string {
	for _, r := range w.plan.ByType("aws:iam/role:Role") {
		if i := strings.Index(r.Str("assumeRolePolicy"), `"repo:`); i >= 0 {
			rest := r.Str("assumeRolePolicy")[i+len(`"repo:`):]
			if j := strings.Index(rest, ":"); j > 0 {
				return rest[:j]
			}
		}
	}
	return "org/repo"
}

// principalsOf lists the values of one principal key ("Service",
// "Federated") a document's statements name.
func principalsOf(d Document, kind string) []string {
	seen := map[string]bool{}
	for _, s := range d.Statement {
		if m, ok := s.Principal.(map[string]any); ok {
			for _, v := range list(m[kind]) {
				seen[v] = true
			}
		}
	}
	return slices.Sorted(maps.Keys(seen))
}

// whoCan answers every sensitive action for every caller.
func (w *world) whoCan() ([]WhoCanRow, []Finding) {
	var rows []WhoCanRow
	var findings []Finding
	for _, s := range w.sensitives() {
		row := WhoCanRow{Class: s.class, What: s.what}
		for _, c := range w.callers(s) {
			var why string
			can := false
			for _, r := range s.requests {
				req := r
				req.Principal = c.p
				ctx := map[string][]string{}
				for k, v := range r.Context {
					ctx[k] = v
				}
				for k, v := range c.ctx {
					ctx[k] = v
				}
				req.Context = ctx
				pol := s.pol
				pol.identity = c.identity
				if ok, how := w.authorize(req, pol); ok {
					can, why = true, fmt.Sprintf("%s on %s: %s", req.Action, req.Resource, how)
					break
				}
			}
			if !can {
				continue
			}
			row.Who = append(row.Who, c.name)
			allowed := mayDo(s.class, s.what, c.name)
			findings = append(findings, Finding{Kind: "whocan", Intent: fmt.Sprintf("who can %s: %s", s.what, c.name), OK: allowed,
				Detail: map[bool]string{true: "on the reviewed allow-list: ", false: "NOT on the reviewed allow-list (internal/verify/whocan.go): "}[allowed] + why})
		}
		rows = append(rows, row)
	}
	sort.SliceStable(rows, func(i, j int) bool { return rows[i].What < rows[j].What })
	return rows, findings
}
