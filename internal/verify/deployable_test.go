package verify

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/docustack/infrastructure/internal/synth"
	"github.com/docustack/infrastructure/platform"
)

// plant rewrites one input of the first resource matching typ and name
// (a name suffix) in a copy of the plan.
func plant(t *testing.T, p *synth.Plan, typ, nameSuffix string, edit func(r *synth.Resource)) *synth.Plan {
	t.Helper()
	b, err := json.Marshal(p)
	require.NoError(t, err)
	var c synth.Plan
	require.NoError(t, json.Unmarshal(b, &c))
	for i := range c.Resources {
		c.Resources[i].Outputs = p.Resources[i].Outputs
	}
	for i := range c.Resources {
		if c.Resources[i].Type == typ && strings.HasSuffix(c.Resources[i].Name, nameSuffix) {
			edit(&c.Resources[i])
			return &c
		}
	}
	t.Fatalf("no %s named *%s", typ, nameSuffix)
	return nil
}

func failures(fs []Finding) []string {
	var out []string
	for _, f := range fs {
		if f.Kind == KindDeploy && !f.OK {
			out = append(out, f.Intent+": "+f.Detail)
		}
	}
	return out
}

// Every stack's documents are valid, and the section counts what it read.
func TestDeployableStacks(t *testing.T) {
	for _, stack := range stacks {
		fs, st := Deployable(plan(t, stack))
		assert.Empty(t, failures(fs), stack)
		assert.GreaterOrEqual(t, st.Documents, 17, stack)
		assert.Greater(t, st.Principals, 0, stack)
	}
}

// The defects the issue names fail with AWS's own words, and so does a
// policy at an input the analysis has no model for.
func TestDeployablePlantedDefects(t *testing.T) {
	dev := plan(t, "dev")
	org := plan(t, "org")
	cases := []struct {
		name  string
		plan  *synth.Plan
		words string
	}{
		{"Resource in a trust policy", plant(t, dev, "aws:iam/role:Role", "web-task-role", func(r *synth.Resource) {
			r.Inputs["assumeRolePolicy"] = strings.Replace(r.Inputs["assumeRolePolicy"].(string), `"Action":"sts:AssumeRole"`, `"Action":"sts:AssumeRole","Resource":"*"`, 1)
		}), "Has prohibited field Resource"},
		{"oversized SCP", plant(t, org, "aws:organizations/policy:Policy", "", func(r *synth.Resource) {
			r.Inputs["content"] = strings.Replace(r.Inputs["content"].(string), `"Resource":"*"`, `"Resource":"*","Condition":{"StringNotEquals":{"aws:PrincipalAccount":"`+strings.Repeat("1", 5200)+`"}}`, 1)
		}), "POLICY_CONTENT_LIMIT_EXCEEDED"},
		{"unknown principal in a key policy", plant(t, dev, "aws:kms/key:Key", "keys-data", func(r *synth.Resource) {
			r.Inputs["policy"] = strings.Replace(r.Inputs["policy"].(string), `"Sid":"EnableIAMPolicies"`, `"Sid":"Ghost","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:role/ghost"},"Action":"kms:Decrypt","Resource":"*"},{"Sid":"EnableIAMPolicies"`, 1)
		}), "Policy contains a statement with one or more invalid principals"},
		{"the Auto Scaling role not ordered before the EBS key", plant(t, dev, "aws:kms/key:Key", "keys-ebs", func(r *synth.Resource) {
			r.Dependencies = nil
		}), "does not depend on it"},
		{"an unknown action", plant(t, dev, "aws:iam/role:Role", "web-task-role", func(r *synth.Resource) {
			pol := r.Inputs["inlinePolicies"].([]any)[0].(map[string]any)
			pol["policy"] = strings.Replace(pol["policy"].(string), "ssmmessages:OpenDataChannel", "ssmmessages:OpenDataChanel", 1)
		}), "Invalid action"},
		{"a policy at an input with no model", plant(t, dev, "aws:ecs/cluster:Cluster", "", func(r *synth.Resource) {
			r.Inputs["policy"] = `{"Version":"2012-10-17","Statement":[]}`
		}), "no model for a policy document"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fs, _ := Deployable(c.plan)
			got := failures(fs)
			require.NotEmpty(t, got)
			assert.Contains(t, strings.Join(got, "\n"), c.words)
		})
	}
}

// A principal the program adopts instead of creating is accepted only when
// the plan's adoptedPrincipals output names it.
func TestDeployableAdoptedPrincipals(t *testing.T) {
	dev := plan(t, "dev")
	var slr string
	without := plant(t, dev, "aws:iam/serviceLinkedRole:ServiceLinkedRole", "autoscaling-role", func(r *synth.Resource) {
		slr, _ = r.Outputs["arn"].(string)
		r.Outputs = map[string]any{}
	})
	require.NotEmpty(t, slr)
	assert.Equal(t, platform.AdoptedPrincipalsOutput, adoptedOutput, "verify reads the output the program writes")
	fs, _ := Deployable(without)
	assert.Contains(t, strings.Join(failures(fs), "\n"), slr)

	without.Outputs = map[string]any{adoptedOutput: map[string]any{slr: "docustack:compliance.adoptAutoScalingRole"}}
	fs, _ = Deployable(without)
	assert.Empty(t, failures(fs))
}

// Role obligations come from the wiring: a task role trusting the wrong
// service principal, a role at an input with no model, and a trust that
// requires a source account the service does not send each fail, named;
// the documented hardening (aws:SourceArn on the task role) passes.
func TestRoleObligationsFromTheWiring(t *testing.T) {
	dev := plan(t, "dev")
	require.Empty(t, failingAccess(dev))
	var hardened bool
	for _, f := range Access(dev, nil) {
		if strings.HasPrefix(f.Intent, "ecs-tasks.amazonaws.com assumes ") && strings.Contains(f.Intent, "web-task") {
			hardened = true
		}
	}
	assert.True(t, hardened, "the web task's roles are derived from its task definition")

	wrong := plant(t, dev, "aws:iam/role:Role", "web-task-role", func(r *synth.Resource) {
		r.Inputs["assumeRolePolicy"] = strings.Replace(r.Inputs["assumeRolePolicy"].(string), "ecs-tasks.amazonaws.com", "ecs.amazonaws.com", 1)
	})
	assert.Contains(t, failingAccess(wrong), "ecs-tasks.amazonaws.com assumes")

	lambdaCondition := plant(t, dev, "aws:iam/role:Role", "db-init-role", func(r *synth.Resource) {
		r.Inputs["assumeRolePolicy"] = strings.Replace(r.Inputs["assumeRolePolicy"].(string), `"Action":"sts:AssumeRole"`,
			`"Action":"sts:AssumeRole","Condition":{"StringEquals":{"aws:SourceAccount":"111111111111"}}`, 1)
	})
	assert.Contains(t, failingAccess(lambdaCondition), "lambda.amazonaws.com assumes",
		"Lambda sends no aws:SourceAccount when it assumes an execution role")

	unmodelled := plant(t, dev, "aws:ecs/cluster:Cluster", "", func(r *synth.Resource) {
		r.Inputs["someRoleArn"] = "arn:aws:iam::111111111111:role/" + mustRoleID(t, dev, "web-task-role")
	})
	assert.Contains(t, failingAccess(unmodelled), "no model for a role named at aws:ecs/cluster:Cluster.someRoleArn")
}

func mustRoleID(t *testing.T, p *synth.Plan, name string) string {
	t.Helper()
	r, ok := p.Named(name)
	require.True(t, ok, name)
	return r.ID
}

// Key obligations from the plan: the key behind every encrypted log group
// must admit CloudWatch Logs with the group's context, and a role granted a
// secret under a customer key must be able to decrypt it through Secrets
// Manager. Removing either grant fails, naming the request.
func TestKeyObligationsFromThePlan(t *testing.T) {
	dev := plan(t, "dev")
	require.Empty(t, failingAccess(dev))
	noLogsGrant := plant(t, dev, "aws:kms/key:Key", "keys-logs", func(r *synth.Resource) {
		r.Inputs["policy"] = strings.Replace(r.Inputs["policy"].(string), `"Sid":"AllowCloudWatchLogs","Effect":"Allow"`, `"Sid":"AllowCloudWatchLogs","Effect":"Deny"`, 1)
	})
	assert.Contains(t, failingAccess(noLogsGrant), "CloudWatch Logs uses the key of log group /ecs/docustack-dev-web")

	noDecrypt := plant(t, dev, "aws:iam/role:Role", "db-init-role", func(r *synth.Resource) {
		pol := r.Inputs["inlinePolicies"].([]any)[0].(map[string]any)
		pol["policy"] = strings.Replace(pol["policy"].(string), `"Sid":"DecryptMasterSecret","Effect":"Allow"`, `"Sid":"DecryptMasterSecret","Effect":"Deny"`, 1)
	})
	assert.Contains(t, failingAccess(noDecrypt), "decrypts secret rds!")

	// A role granted the documents but not their key cannot read or write them.
	noDataKey := plant(t, dev, "aws:iam/role:Role", "workers-task-role", func(r *synth.Resource) {
		for _, ip := range r.Inputs["inlinePolicies"].([]any) {
			pol := ip.(map[string]any)
			pol["policy"] = strings.Replace(pol["policy"].(string), `"Sid":"DataKeyViaS3","Effect":"Allow"`, `"Sid":"DataKeyViaS3","Effect":"Deny"`, 1)
		}
	})
	assert.Contains(t, failingAccess(noDataKey), "workers-task-role uses the key of docustack-dev-documents-111111111111 through S3 (s3:PutObject)")
}

// Health checks are flows: a target group whose health check names a port
// the tasks' security group does not open fails, named after the group.
func TestHealthChecksAreFlows(t *testing.T) {
	dev := plan(t, "dev")
	for _, f := range Network(dev) {
		assert.True(t, f.OK, "%s: %s", f.Intent, f.Detail)
	}
	moved := plant(t, dev, "aws:lb/targetGroup:TargetGroup", "web-tg", func(r *synth.Resource) {
		r.Inputs["healthCheck"].(map[string]any)["port"] = "9090"
	})
	var failed []string
	for _, f := range Network(moved) {
		if !f.OK {
			failed = append(failed, f.Intent+": "+f.Detail)
		}
	}
	assert.Contains(t, strings.Join(failed, "\n"), "alb -> web tcp/9090 (health check of ingress-web-tg)")
}

// Who can: widening a sensitive grant to a role that is not on the reviewed
// allow-list fails, naming the caller, the request and what allows it;
// external callers (another account, anonymous, a GitHub pull request) can
// do none of the sensitive actions; the stack's own deploy environment can
// assume its deploy role.
func TestWhoCan(t *testing.T) {
	dev := plan(t, "dev")
	rows := WhoCan(dev, plan(t, "org"))
	require.NotEmpty(t, rows)
	for _, r := range rows {
		for _, who := range r.Who {
			assert.NotContains(t, []string{classOther, classAnonymous, classGitHubElse, classGitHubPR, classGitHubMain}, who, r.What)
			assert.NotContains(t, who, classDeputy, r.What)
		}
		if strings.HasPrefix(r.What, "assume administrator role") {
			assert.Equal(t, []string{classGitHubEnv}, r.Who)
		}
	}
	widened := plant(t, dev, "aws:iam/role:Role", "web-task-role", func(r *synth.Resource) {
		pol := r.Inputs["inlinePolicies"].([]any)[0].(map[string]any)
		pol["policy"] = strings.Replace(pol["policy"].(string), `"Statement":[`,
			`"Statement":[{"Sid":"Oops","Effect":"Allow","Action":"s3:PutBucketPolicy","Resource":"arn:aws:s3:::docustack-dev-documents-111111111111"},`, 1)
	})
	all := failingAccess(widened)
	assert.Contains(t, all, "who can change the policy of bucket docustack-dev-documents-111111111111: web-task-role")
	assert.Contains(t, all, "s3:PutBucketPolicy")
	assert.Contains(t, all, "Oops")

	// Across stacks: the task role's own grant on the organization's archive
	// is refused there, until the archive's bucket policy admits its account.
	deleteLogs := plant(t, dev, "aws:iam/role:Role", "web-task-role", func(r *synth.Resource) {
		pol := r.Inputs["inlinePolicies"].([]any)[0].(map[string]any)
		pol["policy"] = strings.Replace(pol["policy"].(string), `"Statement":[`,
			`"Statement":[{"Sid":"Oops","Effect":"Allow","Action":"s3:DeleteObject","Resource":"arn:aws:s3:::docustack-org-log-archive-555555555555/*"},`, 1)
	})
	const row = "who can delete, overwrite or re-lock archived logs in docustack-org-log-archive-555555555555: web-task-role"
	assert.NotContains(t, failingAccess(deleteLogs), row, "the archive account's bucket policy does not admit the workload account")
	openArchive := plant(t, orgPlan, "aws:s3/bucketPolicy:BucketPolicy", "log-archive-policy", func(r *synth.Resource) {
		r.Inputs["policy"] = strings.Replace(r.Inputs["policy"].(string), `"Statement":[`,
			`"Statement":[{"Sid":"TooOpen","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:root"},"Action":"s3:DeleteObject","Resource":"arn:aws:s3:::docustack-org-log-archive-555555555555/*"},`, 1)
	})
	var across []string
	for _, f := range Access(deleteLogs, openArchive) {
		if !f.OK {
			across = append(across, f.Intent+": "+f.Detail)
		}
	}
	assert.Contains(t, strings.Join(across, "\n"), row)
}

// VPC endpoint policies are evaluated for every request a private workload
// makes through them: a gateway policy limited to this account's buckets
// breaks ECR's layer downloads, and an interface policy for another account
// refuses the tasks' image pulls.
func TestEndpointPolicies(t *testing.T) {
	dev := plan(t, "dev")
	require.Empty(t, failingAccess(dev))
	ownOnly := plant(t, dev, "aws:ec2/vpcEndpoint:VpcEndpoint", "endpoint-s3", func(r *synth.Resource) {
		pol := r.Inputs["policy"].(string)
		r.Inputs["policy"] = pol[:strings.Index(pol, `,{"Sid":"AWSOwnedBuckets"`)] + "]}"
	})
	assert.Contains(t, failingAccess(ownOnly), "ECR downloads the layers of docustack-dev/web through the S3 gateway endpoint")

	otherAccount := plant(t, dev, "aws:ec2/vpcEndpoint:VpcEndpoint", "endpoint-ecr-api", func(r *synth.Resource) {
		r.Inputs["policy"] = strings.Replace(r.Inputs["policy"].(string), "111111111111", "999999999999", 1)
	})
	assert.Contains(t, failingAccess(otherAccount), "no statement of the ecr.api endpoint's policy allows it")
}

// Requests as AWS sends them: the alerts topic's publishers are derived from
// the alarms and event targets that name it, and carry the source ARN, so
// the hardening AWS documents (aws:SourceArn on the topic policy) passes,
// while a policy that drops CloudWatch fails for every alarm.
func TestTopicPublishersFromTheWiring(t *testing.T) {
	dev := plan(t, "dev")
	hardened := plant(t, dev, "aws:sns/topicPolicy:TopicPolicy", "", func(r *synth.Resource) {
		r.Inputs["policy"] = strings.Replace(r.Inputs["policy"].(string), `"Condition":{"StringEquals":{"aws:SourceAccount":"111111111111"}}`,
			`"Condition":{"StringEquals":{"aws:SourceAccount":"111111111111"},"ArnLike":{"aws:SourceArn":["arn:aws:cloudwatch:us-east-1:111111111111:alarm:*","arn:aws:events:us-east-1:111111111111:rule/*"]}}`, 1)
	})
	tp := hardened.ByType("aws:sns/topicPolicy:TopicPolicy")
	require.NotEmpty(t, tp)
	require.Contains(t, tp[0].Str("policy"), "aws:SourceArn", "the hardening was planted")
	assert.Empty(t, failingAccess(hardened), "the documented SourceArn hardening passes")

	noAlarms := plant(t, dev, "aws:sns/topicPolicy:TopicPolicy", "", func(r *synth.Resource) {
		r.Inputs["policy"] = strings.Replace(r.Inputs["policy"].(string), `"events.amazonaws.com","cloudwatch.amazonaws.com"`, `"events.amazonaws.com"`, 1)
	})
	assert.Contains(t, failingAccess(noAlarms), "cloudwatch.amazonaws.com publishes to docustack-dev-alerts for alarms-web-cpu")
}

// ECS Exec: a task role that loses the cluster's session key fails.
func TestExecSessionKey(t *testing.T) {
	dev := plan(t, "dev")
	p := plant(t, dev, "aws:iam/role:Role", "web-task-role", func(r *synth.Resource) {
		pol := r.Inputs["inlinePolicies"].([]any)[0].(map[string]any)
		pol["policy"] = strings.Replace(pol["policy"].(string), `"Sid":"SessionKey","Effect":"Allow"`, `"Sid":"SessionKey","Effect":"Deny"`, 1)
	})
	assert.Contains(t, failingAccess(p), "web-service: ECS Exec session decrypts with the cluster's key")
}

// orgPlan is the org stack's plan, which a workload stack's deliveries to the
// Log Archive are judged against.
var orgPlan = func() *synth.Plan {
	p, err := synth.Stack("../..", "org")
	if err != nil {
		panic(err)
	}
	return p
}()

// accessFailures lists the access analysis's failing findings of a plan
// (judged with the org stack's plan).
func accessFailures(p *synth.Plan) []string {
	var out []string
	for _, f := range Access(p, orgPlan) {
		if !f.OK {
			out = append(out, f.Intent+": "+f.Detail)
		}
	}
	return out
}

// failingAccess is accessFailures as one text.
func failingAccess(p *synth.Plan) string { return strings.Join(accessFailures(p), "\n") }
