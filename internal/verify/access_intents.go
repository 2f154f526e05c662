package verify

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/docustack/infrastructure/internal/synth"
)

// The date every simulated delivery happens on (key paths carry a date).
const (
	year, month, day = "2026", "12", "02"
	// elbAccountUSEast1 writes ALB access logs in us-east-1 (a Region available
	// before August 2022): https://docs.aws.amazon.com/elasticloadbalancing/latest/application/enable-access-logging.html
	elbAccountUSEast1 = "127311923021"
	// otherAccount is an account that is none of ours.
	otherAccount = "999999999999"
)

// intents derives, from what the plan sets up, the requests AWS will make
// and the ones that must be refused.
func (w *world) intents() []AccessIntent {
	var out []AccessIntent
	out = append(out, w.trailIntents()...)
	out = append(out, w.flowLogIntents()...)
	out = append(out, w.albLogIntents()...)
	out = append(out, w.wafLogIntents()...)
	out = append(out, w.s3AccessLogIntents()...)
	out = append(out, w.configIntents()...)
	out = append(out, w.topicIntents()...)
	out = append(out, w.taskIntents()...)
	out = append(out, w.negativeIntents()...)
	out = append(out, w.scpIntents()...)
	out = append(out, w.assumedRoleIntents()...)
	out = append(out, w.execIntents()...)
	out = append(out, w.schedulerIntents()...)
	out = append(out, w.replicationIntents()...)
	out = append(out, w.functionIntents()...)
	out = append(out, w.monitoringIntents()...)
	out = append(out, w.remediationIntents()...)
	out = append(out, w.backupIntents()...)
	return out
}

// remediationActions are the API calls each automatic remediation's SSM
// Automation document makes with its AutomationAssumeRole, from the
// documents' "Required IAM permissions" (AWS Systems Manager Automation
// runbook reference).
// https://docs.aws.amazon.com/systems-manager-automation-runbooks/latest/userguide/automation-aws-enables3bucketencryption.html
// https://docs.aws.amazon.com/systems-manager-automation-runbooks/latest/userguide/automation-awssupport-enablevpcflowlogs.html
// https://docs.aws.amazon.com/systems-manager-automation-runbooks/latest/userguide/automation-aws-enablecloudtrail.html
// https://docs.aws.amazon.com/systems-manager-automation-runbooks/latest/userguide/automation-aws-setiampasswordpolicy.html
var remediationActions = map[string][]string{
	"AWS-EnableS3BucketEncryption":              {"s3:PutEncryptionConfiguration"},
	"AWSSupport-EnableVPCFlowLogs":              {"ec2:CreateFlowLogs", "logs:CreateLogDelivery"},
	"AWS-EnableCloudTrail":                      {"cloudtrail:CreateTrail", "cloudtrail:StartLogging"},
	"AWSConfigRemediation-SetIAMPasswordPolicy": {"iam:UpdateAccountPasswordPolicy", "iam:GetAccountPasswordPolicy"},
}

// automationStep is one aws:executeAwsApi step of an Automation runbook:
// the IAM action it calls and its inputs with the runbook's parameters
// filled in.
type automationStep struct {
	action string
	inputs map[string]string
}

// automationSteps reads a runbook the plan creates (aws:ssm/document) and
// derives the calls it makes from its content; false when the plan does
// not create it (an AWS-owned runbook).
// https://docs.aws.amazon.com/systems-manager/latest/userguide/automation-action-executeAwsApi.html
func (w *world) automationSteps(name string, params map[string]string) ([]automationStep, bool) {
	for _, d := range w.plan.ByType("aws:ssm/document:Document") {
		if d.Str("name") != name {
			continue
		}
		var content struct {
			MainSteps []struct {
				Action string         `json:"action"`
				Inputs map[string]any `json:"inputs"`
			} `json:"mainSteps"`
		}
		if err := jsonUnmarshal(d.Str("content"), &content); err != nil {
			w.problems = append(w.problems, d.Name+": "+err.Error())
			return nil, true
		}
		var out []automationStep
		for _, st := range content.MainSteps {
			if st.Action != "aws:executeAwsApi" {
				w.problems = append(w.problems, fmt.Sprintf("%s: no model for an Automation step of action %s", d.Name, st.Action))
				continue
			}
			in := map[string]string{}
			for k, v := range st.Inputs {
				val := fmt.Sprint(v)
				for p, pv := range params {
					val = strings.ReplaceAll(val, "{{ "+p+" }}", pv)
				}
				in[k] = val
			}
			out = append(out, automationStep{action: strings.ToLower(in["Service"]) + ":" + in["Api"], inputs: in})
		}
		return out, true
	}
	return nil, false
}

// remediationIntents: SSM Automation assumes each remediation's role and
// makes its document's calls under the account's SCPs.
func (w *world) remediationIntents() []AccessIntent {
	var out []AccessIntent
	for _, rc := range w.plan.ByType("aws:cfg/remediationConfiguration:RemediationConfiguration") {
		params := map[string]string{}
		for _, p := range asList(rc.Get("parameters")) {
			params[str(p["name"])] = str(p["staticValue"])
		}
		role := params["AutomationAssumeRole"]
		ro, ok := w.roles[role]
		doc := rc.Str("targetId")
		if !ok {
			out = append(out, AccessIntent{Name: "remediation " + doc + " has a role of this plan", Want: true, pol: policies{resName: "none"},
				Request: Request{Principal: Principal{ARN: role, Account: w.account}, Action: "sts:AssumeRole", Resource: role}})
			continue
		}
		trust := ro.trust
		out = append(out, AccessIntent{Name: "SSM Automation assumes the role of " + doc, Want: true,
			pol: policies{resource: &trust, resName: "trust", resourceAccount: w.account},
			Request: Request{Principal: svc("ssm.amazonaws.com"), Action: "sts:AssumeRole", Resource: role,
				Context: map[string][]string{"aws:SourceAccount": {w.account}}}})
		resource := "*"
		actions, known := remediationActions[doc]
		custom, inPlan := w.automationSteps(doc, params)
		switch {
		case inPlan:
			actions, known = nil, true
			for _, st := range custom {
				actions = append(actions, st.action)
			}
		case doc == "AWS-EnableCloudTrail":
			// It takes TrailName and S3BucketName only: a single-Region
			// trail with no key prefix and no KMS key.
			custom = []automationStep{{action: "cloudtrail:CreateTrail", inputs: map[string]string{"Name": params["TrailName"], "S3BucketName": params["S3BucketName"]}}}
		case doc == "AWS-EnableS3BucketEncryption":
			resource = "arn:aws:s3:::docustack-unencrypted-example"
		}
		for _, st := range custom {
			if st.action == "cloudtrail:CreateTrail" {
				resource = fmt.Sprintf("arn:aws:cloudtrail:%s:%s:trail/%s", w.region, w.account, st.inputs["Name"])
				// What the remediation creates must itself work.
				out = append(out, w.trailDelivery("remediation "+doc+"'s trail: ", trailSpec{name: st.inputs["Name"], bucket: st.inputs["S3BucketName"],
					prefix: st.inputs["S3KeyPrefix"], key: st.inputs["KmsKeyId"]})...)
			}
		}
		for _, action := range actions {
			out = append(out, AccessIntent{Name: "remediation " + doc + " may " + action, Want: true,
				pol:     policies{identity: ro.identity, resName: "none", resourceAccount: w.account},
				Request: Request{Principal: Principal{ARN: role, Account: w.account}, Action: action, Resource: resource, Context: tls(nil)}})
		}
		if !known {
			out = append(out, AccessIntent{Name: "remediation " + doc + " has a known permission list", Want: true, pol: policies{resName: "none"},
				Request: Request{Principal: Principal{ARN: role, Account: w.account}, Action: "unknown:" + doc, Resource: "*"}})
		}
	}
	return out
}

// runtimeMonitoring reports whether GuardDuty Runtime Monitoring is on (ECS
// then adds its agent to every Fargate task).
func (w *world) runtimeMonitoring() bool {
	for _, f := range w.plan.ByType("aws:guardduty/detectorFeature:DetectorFeature") {
		if f.Str("name") == "RUNTIME_MONITORING" && f.Str("status") == "ENABLED" {
			return true
		}
	}
	return false
}

// guardDutyAgent is the agent's repository in us-east-1.
// https://docs.aws.amazon.com/guardduty/latest/ug/ecs-runtime-agent-ecr-image-uri.html
const guardDutyAgent = "arn:aws:ecr:us-east-1:593207742271:repository/aws-guardduty-agent-fargate"

// execIntents: with runtime monitoring every execution role pulls the
// GuardDuty agent; with ECS Exec the task role opens SSM channels and writes
// the cluster's session log group.
// https://docs.aws.amazon.com/guardduty/latest/ug/prereq-runtime-monitoring-ecs-support.html
// https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs-exec.html
func (w *world) execIntents() []AccessIntent {
	var out []AccessIntent
	execGroup, execKey := "", ""
	for _, c := range w.plan.ByType("aws:ecs/cluster:Cluster") {
		if g := c.Str("configuration.executeCommandConfiguration.logConfiguration.cloudWatchLogGroupName"); g != "" {
			execGroup = g
		}
		execKey = c.Str("configuration.executeCommandConfiguration.kmsKeyId")
	}
	tasks := map[string]string{} // task definition family -> task role
	for _, td := range w.plan.ByType("aws:ecs/taskDefinition:TaskDefinition") {
		tasks[td.Name] = td.Str("taskRoleArn")
		if !w.runtimeMonitoring() || w.region != "us-east-1" {
			continue
		}
		exec := td.Str("executionRoleArn")
		p, pol := w.asRole(exec)
		for _, a := range []struct{ action, res string }{{"ecr:GetAuthorizationToken", "*"}, {"ecr:BatchGetImage", guardDutyAgent}, {"ecr:GetDownloadUrlForLayer", guardDutyAgent}} {
			out = append(out, AccessIntent{Name: td.Name + ": pulls the GuardDuty runtime agent (" + a.action + ")", Want: true, pol: pol,
				Request: Request{Principal: p, Action: a.action, Resource: a.res, Context: tls(nil)}})
		}
	}
	if execGroup == "" {
		return out
	}
	for _, svc := range w.plan.ByType("aws:ecs/service:Service") {
		if !svc.Bool("enableExecuteCommand") {
			continue
		}
		taskRole := tasks[strings.TrimSuffix(svc.Name, "-service")+"-task"]
		p, pol := w.asRole(taskRole)
		stream := fmt.Sprintf("arn:aws:logs:%s:%s:log-group:%s:log-stream:ecs-execute-command-x", w.region, w.account, execGroup)
		for _, a := range []struct{ action, res string }{
			{"ssmmessages:CreateControlChannel", "*"}, {"ssmmessages:OpenDataChannel", "*"},
			{"logs:DescribeLogGroups", "*"}, {"logs:CreateLogStream", stream}, {"logs:DescribeLogStreams", stream}, {"logs:PutLogEvents", stream},
		} {
			out = append(out, AccessIntent{Name: svc.Name + ": ECS Exec session " + a.action, Want: true, pol: pol,
				Request: Request{Principal: p, Action: a.action, Resource: a.res, Context: tls(nil)}})
		}
		// A session encrypted with the cluster's key: the task role decrypts
		// the data key ("Using ECS Exec": KMS permissions of the task role).
		// https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs-exec.html
		if execKey != "" {
			out = append(out, AccessIntent{Name: svc.Name + ": ECS Exec session decrypts with the cluster's key", Want: true, pol: w.withKey(pol, execKey),
				Request: Request{Principal: p, Action: "kms:Decrypt", Resource: execKey, Context: map[string][]string{"kms:CallerAccount": {w.account}}}})
		}
	}
	return out
}

// schedulerIntents: each EventBridge Scheduler universal target calls one
// API with the schedule's role ("arn:aws:scheduler:::aws-sdk:<service>:<api>").
// https://docs.aws.amazon.com/scheduler/latest/UserGuide/managing-targets-universal.html
func (w *world) schedulerIntents() []AccessIntent {
	var out []AccessIntent
	for _, s := range w.plan.ByType("aws:scheduler/schedule:Schedule") {
		target := strings.TrimPrefix(s.Str("target.arn"), "arn:aws:scheduler:::aws-sdk:")
		service, api, ok := strings.Cut(target, ":")
		if !ok {
			continue
		}
		var input map[string]any
		_ = jsonUnmarshal(s.Str("target.input"), &input)
		resource := "*"
		switch service {
		case "ecs":
			resource = w.ecsServiceArn(str(input["Cluster"]), str(input["Service"]))
		case "rds":
			resource = fmt.Sprintf("arn:aws:rds:%s:%s:db:%s", w.region, w.account, str(input["DbInstanceIdentifier"]))
		case "autoscaling":
			resource = w.asgArn(str(input["AutoScalingGroupName"]))
		}
		role := s.Str("target.roleArn")
		identity := w.rolePolicies(role)
		action := service + ":" + strings.ToUpper(api[:1]) + api[1:]
		out = append(out, AccessIntent{Name: "schedule " + s.Name + " may " + action, Want: true,
			pol:     policies{identity: identity, resName: "none", resourceAccount: w.account},
			Request: Request{Principal: Principal{ARN: role, Account: w.account}, Action: action, Resource: resource, Context: tls(nil)}})
	}
	return out
}

// ecsServiceArn is the ARN of a service of the plan by cluster and name.
func (w *world) ecsServiceArn(cluster, name string) string {
	if i := strings.LastIndex(cluster, "/"); i >= 0 {
		cluster = cluster[i+1:]
	}
	return fmt.Sprintf("arn:aws:ecs:%s:%s:service/%s/%s", w.region, w.account, cluster, name)
}

// asgArn is an Auto Scaling group's ARN: AWS puts a UUID in it, so a policy
// must name the plan's ARN (the program passes the group's arn output).
func (w *world) asgArn(name string) string {
	for _, g := range w.plan.ByType("aws:autoscaling/group:Group") {
		if arn, ok := g.Outputs["arn"].(string); ok && g.Str("name") == name {
			return arn
		}
	}
	return "*"
}

// replicationIntents: S3 replicates with the configuration's role, reading
// source versions and writing the replica, decrypting and encrypting through
// S3 (kms:ViaService).
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/setting-repl-config-perm-overview.html
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-config-for-kms-objects.html
func (w *world) replicationIntents() []AccessIntent {
	var out []AccessIntent
	for _, r := range w.plan.ByType("aws:s3/bucketReplicationConfig:BucketReplicationConfig") {
		role := r.Str("role")
		identity := w.rolePolicies(role)
		p := Principal{ARN: role, Account: w.account}
		src := "arn:aws:s3:::" + r.Str("bucket")
		for i, rule := range asList(r.Get("rules")) {
			dst := str(mapGet(rule, "destination", "bucket"))
			replicaKey := str(mapGet(rule, "destination", "encryptionConfiguration", "replicaKmsKeyId"))
			add := func(name, action, resource string, pol policies, ctx map[string][]string) {
				pol.identity = identity
				out = append(out, AccessIntent{Name: fmt.Sprintf("replication rule %d of %s: %s", i, r.Str("bucket"), name), Want: true, pol: pol,
					Request: Request{Principal: p, Action: action, Resource: resource, Context: tls(ctx)}})
			}
			add("reads the source's configuration", "s3:GetReplicationConfiguration", src, w.bucket(r.Str("bucket")), nil)
			// An object the rule replicates: under its filter's prefix.
			object := "patients/1.pdf"
			if prefix := str(mapGet(rule, "filter", "prefix")); prefix != "" {
				object = prefix + "x.log"
			}
			dstBucket := strings.TrimPrefix(dst, "arn:aws:s3:::")
			if !w.onBucket(dstBucket) {
				continue
			}
			add("reads source versions", "s3:GetObjectVersionForReplication", src+"/"+object, w.bucket(r.Str("bucket")), nil)
			add("writes the replica", "s3:ReplicateObject", dst+"/"+object, w.bucket(dstBucket), nil)
			if str(mapGet(rule, "deleteMarkerReplication", "status")) == "Enabled" {
				add("replicates deletes", "s3:ReplicateDelete", dst+"/"+object, w.bucket(dstBucket), nil)
			}
			// Owner override: the destination account owns the replicas.
			// https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-change-owner.html
			if str(mapGet(rule, "destination", "accessControlTranslation", "owner")) == "Destination" {
				add("hands the replicas to the destination account", "s3:ObjectOwnerOverrideToBucketOwner", dst+"/"+object, w.bucket(dstBucket), nil)
			}
			if k, ok := w.bucketKey[r.Str("bucket")]; ok {
				add("decrypts source objects", "kms:Decrypt", k, w.key(k), w.s3KeyContext(r.Str("bucket"), object, w.region))
			}
			if replicaKey != "" {
				region := strings.Split(replicaKey, ":")[3]
				add("encrypts the replica", "kms:Encrypt", replicaKey, w.key(replicaKey), w.s3KeyContext(dstBucket, object, region))
			}
		}
	}
	return out
}

// s3KeyContext is what S3 sends KMS for an object of a bucket: the call
// comes through S3 in the bucket's region, and the encryption context names
// the bucket when S3 Bucket Keys are on, else the object.
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html#encryption-context
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucket-key.html
func (w *world) s3KeyContext(bucket, object, region string) map[string][]string {
	arn := "arn:aws:s3:::" + bucket
	if !w.bucketKeyOn[bucket] {
		arn += "/" + object
	}
	return map[string][]string{"kms:ViaService": {"s3." + region + ".amazonaws.com"}, "kms:EncryptionContext:aws:s3:arn": {arn}}
}

func mapGet(m map[string]any, path ...string) any {
	var cur any = m
	for _, k := range path {
		mm, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = mm[k]
	}
	return cur
}

// functionIntents: a Lambda function in a VPC creates its network interfaces,
// writes its logs and, when actively traced, its traces with its role;
// DB-init reads the master secret and writes the roles' secrets named in its
// environment.
// https://docs.aws.amazon.com/lambda/latest/dg/configuration-vpc.html#configuration-vpc-permissions
func (w *world) functionIntents() []AccessIntent {
	var out []AccessIntent
	for _, f := range w.plan.ByType("aws:lambda/function:Function") {
		role := f.Str("role")
		p, pol := w.asRole(role)
		add := func(name, action, resource string) {
			out = append(out, AccessIntent{Name: f.Str("name") + ": " + name, Want: true, pol: pol,
				Request: Request{Principal: p, Action: action, Resource: resource, Context: tls(nil)}})
		}
		group := f.Str("loggingConfig.logGroup")
		if group == "" {
			group = "/aws/lambda/" + f.Str("name")
		}
		add("writes its logs", "logs:PutLogEvents", fmt.Sprintf("arn:aws:logs:%s:%s:log-group:%s:log-stream:x", w.region, w.account, group))
		if f.Get("vpcConfig.subnetIds") != nil {
			add("creates its network interfaces", "ec2:CreateNetworkInterface", "*")
		}
		// Active tracing uploads segments with the execution role.
		// https://docs.aws.amazon.com/lambda/latest/dg/services-xray.html
		if f.Str("tracingConfig.mode") == "Active" {
			add("sends its traces", "xray:PutTraceSegments", "*")
			add("sends its tracing telemetry", "xray:PutTelemetryRecords", "*")
		}
		vars, _ := f.Get("environment.variables").(map[string]any)
		if arn := str(vars["MASTER_SECRET_ARN"]); arn != "" {
			add("reads the master secret", "secretsmanager:GetSecretValue", arn)
		}
		var roles []map[string]any
		_ = jsonUnmarshal(str(vars["ROLES"]), &roles)
		for _, r := range roles {
			if str(r["auth"]) == "iam" {
				continue // no password: the role's clients sign in with IAM (taskIntents)
			}
			add("writes the password of role "+str(r["name"]), "secretsmanager:PutSecretValue", str(r["secretArn"]))
		}
	}
	return out
}

// monitoringIntents: RDS Enhanced Monitoring publishes each instance's OS
// metrics with the instance's monitoring role, one stream per instance
// (its resource ID) in the RDSOSMetrics log group, which must be the plan's
// (encrypted, with retention) rather than one RDS creates.
// https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_Monitoring.OS.CloudWatchLogs.html
func (w *world) monitoringIntents() []AccessIntent {
	var out []AccessIntent
	groups := map[string]bool{}
	for _, g := range w.plan.ByType("aws:cloudwatch/logGroup:LogGroup") {
		groups[g.Str("name")] = g.Str("kmsKeyId") != "" && g.Int("retentionInDays") > 0
	}
	for _, db := range append(w.plan.ByType("aws:rds/instance:Instance"), w.plan.ByType("aws:rds/clusterInstance:ClusterInstance")...) {
		if db.Int("monitoringInterval") == 0 {
			continue
		}
		p, pol := w.asRole(db.Str("monitoringRoleArn"))
		id, _ := db.Outputs["resourceId"].(string)
		stream := fmt.Sprintf("arn:aws:logs:%s:%s:log-group:RDSOSMetrics:log-stream:%s", w.region, w.account, id)
		out = append(out, AccessIntent{Name: db.Name + ": Enhanced Monitoring writes its OS metrics", Want: true, pol: pol,
			Request: Request{Principal: p, Action: "logs:PutLogEvents", Resource: stream, Context: tls(nil)}})
		if !groups["RDSOSMetrics"] {
			out = append(out, AccessIntent{Name: db.Name + ": the plan creates RDSOSMetrics, encrypted and kept (else RDS creates it unencrypted, 30 days)",
				Want: true, pol: policies{resName: "none"}, Request: Request{Principal: p, Action: "logs:PutLogEvents", Resource: stream}})
		}
	}
	return out
}

// assumedRoleIntents: a provider that assumes a role in another account (the
// org stack's Log Archive provider) must be able to configure what it
// creates there under that account's SCPs, and must not be able to delete
// the logs. AWS Organizations creates OrganizationAccountAccessRole with
// AdministratorAccess:
// https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_accounts_create-cross-account-role.html
func (w *world) assumedRoleIntents() []AccessIntent {
	var out []AccessIntent
	for _, prov := range w.plan.ByType("pulumi:providers:aws") {
		roleArn := prov.Str("assumeRole.roleArn")
		if prov.Str("profile") != "" {
			roles, _ := w.plan.Outputs[logArchiveRolesOutput].(map[string]any)
			roleArn = str(roles["deploy"])
			out = append(out, w.readerIntents(str(roles["preview"]))...)
			out = append(out, w.adminReachIntents(str(roles["deploy"]))...)
		}
		if roleArn == "" {
			continue
		}
		account := strings.Split(strings.TrimPrefix(roleArn, "arn:aws:iam::"), ":")[0]
		p := Principal{ARN: roleArn, Account: account}
		pol := policies{identity: []Document{adminAccess()}, resName: "none", resourceAccount: account}
		ctx := tls(map[string][]string{"aws:RequestedRegion": {w.region}})
		for _, b := range w.plan.ByType("aws:s3/bucketV2:BucketV2") {
			if b.Provider != prov.URN {
				continue
			}
			arn := "arn:aws:s3:::" + b.ID
			for _, action := range []string{"s3:PutLifecycleConfiguration", "s3:PutBucketObjectLockConfiguration", "s3:PutBucketPolicy", "s3:PutEncryptionConfiguration", "s3:PutBucketVersioning"} {
				out = append(out, AccessIntent{Name: fmt.Sprintf("the %s provider may %s on %s under its account's SCPs", prov.Name, action, b.ID), Want: true, pol: pol,
					Request: Request{Principal: p, Action: action, Resource: arn, Context: ctx}})
			}
			if w.objectLock[b.ID] {
				for _, action := range []string{"s3:DeleteObjectVersion", "s3:BypassGovernanceRetention"} {
					out = append(out, AccessIntent{Name: fmt.Sprintf("nobody, not even the %s provider's role, may %s in %s", prov.Name, action, b.ID), Want: false, pol: pol,
						Request: Request{Principal: p, Action: action, Resource: arn + "/cloudtrail/AWSLogs/x", Context: ctx}})
				}
			}
		}
	}
	return out
}

// logArchiveRolesOutput names the roles a profile-configured provider
// assumes, by use (platform.LogArchiveRolesOutput; a test pins them equal).
const logArchiveRolesOutput = "logArchiveRoles"

// readerIntents: the org stack's previews and drift checks reach the Log
// Archive account through its reader: the management account's preview and
// drift roles may assume it (both accounts' policies), it reads the
// archive's configuration, and it can neither change it nor read a log.
func (w *world) readerIntents(reader string) []AccessIntent {
	ro, ok := w.roles[reader]
	if !ok {
		return []AccessIntent{{Name: "the Log Archive reader " + reader + " is a role of this plan", Want: true, pol: policies{resName: "none"},
			Request: Request{Principal: Principal{ARN: reader}, Action: "sts:AssumeRole", Resource: reader}}}
	}
	account := strings.Split(strings.TrimPrefix(reader, "arn:aws:iam::"), ":")[0]
	out := w.ciAssume(reader, ro.trust, func(kind string) (string, bool) {
		return fmt.Sprintf("the %s role assumes the Log Archive reader", kind), kind != "deploy"
	})
	p := Principal{ARN: reader, Account: account}
	for _, b := range slices.Sorted(maps.Keys(w.bucketAccount)) {
		if w.bucketAccount[b] != account {
			continue
		}
		pol := w.bucket(b)
		pol.identity = ro.identity
		for action, want := range map[string]bool{"s3:GetBucketPolicy": true, "s3:GetLifecycleConfiguration": true, "s3:GetBucketObjectLockConfiguration": true,
			"s3:PutBucketPolicy": false, "s3:PutLifecycleConfiguration": false} {
			out = append(out, AccessIntent{Name: fmt.Sprintf("the Log Archive reader %s %s on %s", map[bool]string{true: "may", false: "may not"}[want], action, b),
				Want: want, pol: pol, Request: Request{Principal: p, Action: action, Resource: "arn:aws:s3:::" + b, Context: tls(nil)}})
		}
		out = append(out, AccessIntent{Name: "the Log Archive reader may not read a log in " + b, Want: false, pol: pol,
			Request: Request{Principal: p, Action: "s3:GetObject", Resource: "arn:aws:s3:::" + b + "/cloudtrail/AWSLogs/x.json.gz", Context: tls(nil)}})
	}
	return out
}

// adminReachIntents: no pull request or drift check administers the Log
// Archive account. Its administrative role (OrganizationAccountAccessRole)
// trusts the whole management account, as Organizations creates it, so the
// management account's preview and drift roles must not be allowed to
// assume it by their own policies; only the deploy role may.
// https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_accounts_access-cross-account-role.html
func (w *world) adminReachIntents(admin string) []AccessIntent {
	if admin == "" {
		return nil
	}
	trust := mustDoc(fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::%s:root"},"Action":"sts:AssumeRole"}]}`, w.account))
	return w.ciAssume(admin, trust, func(kind string) (string, bool) {
		return fmt.Sprintf("the %s role %s the Log Archive's administrative role", kind, map[bool]string{true: "assumes", false: "cannot assume"}[kind == "deploy"]), kind == "deploy"
	})
}

// ciAssume: every CI role of the plan (each role GitHub's OIDC provider
// may assume, its kind the suffix after "-ci-") tries to assume target,
// whose trust policy is trust; name says what each kind's request is
// called and whether it must succeed.
func (w *world) ciAssume(target string, trust Document, name func(kind string) (string, bool)) []AccessIntent {
	account := strings.Split(strings.TrimPrefix(target, "arn:aws:iam::"), ":")[0]
	var out []AccessIntent
	for _, arn := range slices.Sorted(maps.Keys(w.roles)) {
		ro := w.roles[arn]
		_, kind, isCI := strings.Cut(ro.name, "-ci-")
		if !isCI || len(principalsOf(ro.trust, "Federated")) == 0 {
			continue
		}
		p, pol := w.asRole(arn)
		tr := trust
		pol.resource, pol.resName, pol.resourceAccount = &tr, "trust", account
		label, want := name(kind)
		out = append(out, AccessIntent{Name: label, Want: want, pol: pol,
			Request: Request{Principal: p, Action: "sts:AssumeRole", Resource: target, Context: tls(nil)}})
	}
	return out
}

// onBucket reports whether the bucket's policy is in this plan; a bucket of
// another stack (the organization's archive) is judged in that stack.
func (w *world) onBucket(bucket string) bool {
	_, ok := w.bucketPolicy[bucket]
	if !ok {
		w.unknownBuckets[bucket] = true
	}
	return ok
}

// CloudTrail: "Amazon S3 bucket policy for CloudTrail" and "Configure AWS KMS
// key policies for CloudTrail". Objects go to
// <prefix>/AWSLogs/<account>/CloudTrail/<region>/<yyyy>/<mm>/<dd>/ (an
// organization trail inserts the organization ID before the account).
// https://docs.aws.amazon.com/awscloudtrail/latest/userguide/create-s3-bucket-policy-for-cloudtrail.html
// https://docs.aws.amazon.com/awscloudtrail/latest/userguide/create-kms-key-policy-for-cloudtrail.html
func (w *world) trailIntents() []AccessIntent {
	var out []AccessIntent
	for _, t := range w.plan.ByType("aws:cloudtrail/trail:Trail") {
		out = append(out, w.trailDelivery("", trailSpec{name: t.Str("name"), bucket: t.Str("s3BucketName"), prefix: t.Str("s3KeyPrefix"),
			key: t.Str("kmsKeyId"), org: t.Bool("isOrganizationTrail")})...)
	}
	return out
}

// trailSpec is what decides where a trail delivers.
type trailSpec struct {
	name, bucket, prefix, key string
	org                       bool
}

// trailDelivery: the requests CloudTrail makes for a trail; label prefixes
// the intents of a trail the plan does not create itself.
func (w *world) trailDelivery(label string, t trailSpec) []AccessIntent {
	if !w.onBucket(t.bucket) {
		return nil
	}
	arn := fmt.Sprintf("arn:aws:cloudtrail:%s:%s:trail/%s", w.region, w.account, t.name)
	logs := "AWSLogs/" + w.account
	if t.org {
		org := w.orgID
		if org == "" {
			org = "o-exampleorgid"
		}
		logs = "AWSLogs/" + org + "/" + w.account
	}
	if t.prefix != "" {
		logs = t.prefix + "/" + logs
	}
	object := fmt.Sprintf("arn:aws:s3:::%s/%s/CloudTrail/%s/%s/%s/%s/%s_CloudTrail_%s_%s%s%sT0000Z_x.json.gz",
		t.bucket, logs, w.region, year, month, day, w.account, w.region, year, month, day)
	// Without a KMS key CloudTrail writes SSE-S3 objects.
	// https://docs.aws.amazon.com/awscloudtrail/latest/userguide/encrypting-cloudtrail-log-files-with-aws-kms.html
	sse := "AES256"
	if t.key != "" {
		sse = "aws:kms"
	}
	ctx := tls(map[string][]string{"aws:SourceArn": {arn}, "aws:SourceAccount": {w.account},
		"s3:x-amz-acl": {"bucket-owner-full-control"}, "s3:x-amz-server-side-encryption": {sse}})
	out := []AccessIntent{
		{Name: label + "CloudTrail checks the archive bucket's ACL", Want: true, pol: w.bucket(t.bucket),
			Request: Request{Principal: svc("cloudtrail.amazonaws.com"), Action: "s3:GetBucketAcl", Resource: "arn:aws:s3:::" + t.bucket, Context: ctx}},
		{Name: label + "CloudTrail writes log files to the archive", Want: true, pol: w.bucket(t.bucket),
			Request: Request{Principal: svc("cloudtrail.amazonaws.com"), Action: "s3:PutObject", Resource: object, Context: ctx}},
	}
	if _, ok := w.keyPolicy[t.key]; ok {
		kctx := tls(map[string][]string{"aws:SourceArn": {arn}, "aws:SourceAccount": {w.account}, "kms:EncryptionContext:aws:cloudtrail:arn": {arn}})
		out = append(out, AccessIntent{Name: label + "CloudTrail encrypts log files with the logs key", Want: true, pol: w.key(t.key),
			Request: Request{Principal: svc("cloudtrail.amazonaws.com"), Action: "kms:GenerateDataKey", Resource: t.key, Context: kctx}})
	}
	// The archive holds only encrypted trails: a trail without the key is
	// one the archive's policies were not written for.
	if w.bucketKey[t.bucket] != "" && t.key == "" {
		out = append(out, AccessIntent{Name: label + "the trail encrypts with the archive's key", Want: true, pol: policies{resName: "none"},
			Request: Request{Principal: svc("cloudtrail.amazonaws.com"), Action: "kms:GenerateDataKey", Resource: "(no KmsKeyId)"}})
	}
	return out
}

// VPC flow logs to S3: delivery.logs.amazonaws.com writes
// <prefix>AWSLogs/<account>/vpcflowlogs/<region>/<yyyy>/<mm>/<dd>/, or with
// Hive-compatible prefixes
// <prefix>AWSLogs/aws-account-id=<account>/aws-service=vpcflowlogs/aws-region=<region>/year=<yyyy>/month=<mm>/day=<dd>/.
// https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs-s3-path.html
// https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs-s3-permissions.html
func (w *world) flowLogIntents() []AccessIntent {
	var out []AccessIntent
	for _, f := range w.plan.ByType("aws:ec2/flowLog:FlowLog") {
		if f.Str("logDestinationType") != "s3" {
			continue
		}
		dest := strings.TrimPrefix(f.Str("logDestination"), "arn:aws:s3:::")
		bucket, prefix, _ := strings.Cut(dest, "/")
		if !w.onBucket(bucket) {
			continue
		}
		path := fmt.Sprintf("%sAWSLogs/%s/vpcflowlogs/%s/%s/%s/%s/", prefix, w.account, w.region, year, month, day)
		if f.Bool("destinationOptions.hiveCompatiblePartitions") {
			path = fmt.Sprintf("%sAWSLogs/aws-account-id=%s/aws-service=vpcflowlogs/aws-region=%s/year=%s/month=%s/day=%s/", prefix, w.account, w.region, year, month, day)
			if f.Bool("destinationOptions.perHourPartition") {
				path += "hour=00/"
			}
		} else if f.Bool("destinationOptions.perHourPartition") {
			path += "00/"
		}
		ctx := tls(map[string][]string{"aws:SourceAccount": {w.account}, "aws:SourceArn": {fmt.Sprintf("arn:aws:logs:%s:%s:*", w.region, w.account)},
			"s3:x-amz-acl": {"bucket-owner-full-control"}})
		p := svc("delivery.logs.amazonaws.com")
		out = append(out,
			AccessIntent{Name: "VPC flow logs check the archive bucket's ACL", Want: true, pol: w.bucket(bucket),
				Request: Request{Principal: p, Action: "s3:GetBucketAcl", Resource: "arn:aws:s3:::" + bucket, Context: ctx}},
			AccessIntent{Name: "VPC flow logs write to the archive", Want: true, pol: w.bucket(bucket),
				Request: Request{Principal: p, Action: "s3:PutObject", Resource: "arn:aws:s3:::" + bucket + "/" + path + w.account + "_vpcflowlogs_x.log.parquet", Context: ctx}})
		if k, ok := w.bucketKey[bucket]; ok {
			out = append(out, AccessIntent{Name: "VPC flow logs encrypt with the bucket's key", Want: true, pol: w.key(k),
				Request: Request{Principal: p, Action: "kms:GenerateDataKey", Resource: k, Context: ctx}})
		}
	}
	return out
}

// ALB access logs: <prefix>/AWSLogs/<account>/elasticloadbalancing/<region>/<yyyy>/<mm>/<dd>/,
// written in us-east-1 by the Elastic Load Balancing account. That account's
// own permissions are AWS's; the bucket policy is ours.
func (w *world) albLogIntents() []AccessIntent {
	var out []AccessIntent
	for _, lb := range w.plan.ByType("aws:lb/loadBalancer:LoadBalancer") {
		if !lb.Bool("accessLogs.enabled") || !w.onBucket(lb.Str("accessLogs.bucket")) {
			continue
		}
		bucket := lb.Str("accessLogs.bucket")
		key := fmt.Sprintf("arn:aws:s3:::%s/%s/AWSLogs/%s/elasticloadbalancing/%s/%s/%s/%s/%s_elasticloadbalancing_%s_app.%s.x.log.gz",
			bucket, lb.Str("accessLogs.prefix"), w.account, w.region, year, month, day, w.account, w.region, lb.Str("name"))
		pol := w.bucket(bucket)
		pol.identity = []Document{mustDoc(`{"Statement":[{"Effect":"Allow","Action":"s3:PutObject","Resource":"*"}]}`)}
		out = append(out, AccessIntent{Name: "the ALB writes access logs", Want: true, pol: pol,
			Request: Request{Principal: Principal{ARN: "arn:aws:iam::" + elbAccountUSEast1 + ":root", Account: elbAccountUSEast1}, Action: "s3:PutObject", Resource: key, Context: tls(nil)}})
	}
	return out
}

// AWS WAF logs to S3 through the log delivery service, into a bucket of the
// web ACL's own account whose name starts with aws-waf-logs-, under
// AWSLogs/<account>/WAFLogs/<region>/<web-acl-name>/<yyyy>/<mm>/<dd>/<HH>/<mm>/.
// https://docs.aws.amazon.com/waf/latest/developerguide/logging-s3.html
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/AWS-logs-infrastructure-S3.html
func (w *world) wafLogIntents() []AccessIntent {
	var out []AccessIntent
	for _, l := range w.plan.ByType("aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration") {
		aclName := ""
		for _, a := range w.plan.ByType("aws:wafv2/webAcl:WebAcl") {
			for _, urn := range l.PropertyDependencies["resourceArn"] {
				if urn == a.URN {
					aclName = a.Str("name")
				}
			}
		}
		for _, d := range l.Get("logDestinationConfigs").([]any) {
			dest := str(d)
			bucket, ok := strings.CutPrefix(dest, "arn:aws:s3:::")
			if !ok {
				out = append(out, AccessIntent{Name: "WAF logs go to S3 (the only destination modelled)", Want: true, pol: policies{resName: "none"},
					Request: Request{Principal: svc("delivery.logs.amazonaws.com"), Action: "s3:PutObject", Resource: dest}})
				continue
			}
			if !strings.HasPrefix(bucket, "aws-waf-logs-") || w.bucketAccount[bucket] != "" {
				// WAF refuses PutLoggingConfiguration for any other bucket.
				out = append(out, AccessIntent{Name: "WAF logs to a bucket of its own account named aws-waf-logs-*", Want: true, pol: policies{resName: "none"},
					Request: Request{Principal: svc("delivery.logs.amazonaws.com"), Action: "s3:PutObject", Resource: dest}})
				continue
			}
			if !w.onBucket(bucket) {
				continue
			}
			ctx := tls(map[string][]string{"aws:SourceAccount": {w.account}, "aws:SourceArn": {fmt.Sprintf("arn:aws:logs:%s:%s:*", w.region, w.account)},
				"s3:x-amz-acl": {"bucket-owner-full-control"}})
			object := fmt.Sprintf("AWSLogs/%s/WAFLogs/%s/%s/%s/%s/%s/00/00/%s_waflogs_%s_%s_%s%s%sT0000Z_x.log.gz",
				w.account, w.region, aclName, year, month, day, w.account, w.region, aclName, year, month, day)
			p := svc("delivery.logs.amazonaws.com")
			out = append(out,
				AccessIntent{Name: "WAF logs check the log bucket's ACL", Want: true, pol: w.bucket(bucket),
					Request: Request{Principal: p, Action: "s3:GetBucketAcl", Resource: "arn:aws:s3:::" + bucket, Context: ctx}},
				AccessIntent{Name: "WAF writes its log files", Want: true, pol: w.bucket(bucket),
					Request: Request{Principal: p, Action: "s3:PutObject", Resource: "arn:aws:s3:::" + bucket + "/" + object, Context: ctx}})
			if k, ok := w.bucketKey[bucket]; ok {
				out = append(out, AccessIntent{Name: "WAF log files are encrypted with the bucket's key", Want: true, pol: w.key(k),
					Request: Request{Principal: p, Action: "kms:GenerateDataKey", Resource: k, Context: ctx}})
			}
		}
	}
	return out
}

// S3 server access logs: logging.s3.amazonaws.com writes <targetPrefix><date-time-id>.
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/enable-server-access-logging.html
func (w *world) s3AccessLogIntents() []AccessIntent {
	var out []AccessIntent
	for _, l := range w.plan.ByType("aws:s3/bucketLoggingV2:BucketLoggingV2") {
		target := l.Str("targetBucket")
		if !w.onBucket(target) {
			continue
		}
		ctx := tls(map[string][]string{"aws:SourceArn": {"arn:aws:s3:::" + l.Str("bucket")}, "aws:SourceAccount": {w.account}})
		out = append(out, AccessIntent{Name: "S3 server access logs of " + l.Str("bucket") + " are delivered", Want: true, pol: w.bucket(target),
			Request: Request{Principal: svc("logging.s3.amazonaws.com"), Action: "s3:PutObject",
				Resource: fmt.Sprintf("arn:aws:s3:::%s/%s%s-%s-%s-00-00-00-EXAMPLE", target, l.Str("targetPrefix"), year, month, day), Context: ctx}})
	}
	return out
}

// AWS Config with a custom recorder role delivers with that role:
// <prefix>/AWSLogs/<account>/Config/<region>/<yyyy>/<m>/<d>/.
// https://docs.aws.amazon.com/config/latest/developerguide/s3-bucket-policy.html
func (w *world) configIntents() []AccessIntent {
	var out []AccessIntent
	roleArn := ""
	for _, r := range w.plan.ByType("aws:cfg/recorder:Recorder") {
		roleArn = r.Str("roleArn")
	}
	for _, c := range w.plan.ByType("aws:cfg/deliveryChannel:DeliveryChannel") {
		bucket := c.Str("s3BucketName")
		if roleArn == "" || !w.onBucket(bucket) {
			continue
		}
		identity := w.rolePolicies(roleArn)
		p := Principal{ARN: roleArn, Account: w.account}
		sse := "AES256"
		if c.Str("s3KmsKeyArn") != "" {
			sse = "aws:kms"
		}
		ctx := tls(map[string][]string{"s3:x-amz-acl": {"bucket-owner-full-control"}, "s3:x-amz-server-side-encryption": {sse}})
		pol := w.bucket(bucket)
		pol.identity = identity
		key := fmt.Sprintf("arn:aws:s3:::%s/%s/AWSLogs/%s/Config/%s/%s/12/2/ConfigSnapshot/%s_Config_%s_ConfigSnapshot_x.json.gz",
			bucket, c.Str("s3KeyPrefix"), w.account, w.region, year, w.account, w.region)
		out = append(out,
			AccessIntent{Name: "AWS Config checks the delivery bucket's ACL", Want: true, pol: pol,
				Request: Request{Principal: p, Action: "s3:GetBucketAcl", Resource: "arn:aws:s3:::" + bucket, Context: ctx}},
			AccessIntent{Name: "AWS Config delivers snapshots and history", Want: true, pol: pol,
				Request: Request{Principal: p, Action: "s3:PutObject", Resource: key, Context: ctx}})
		if k := c.Str("s3KmsKeyArn"); k != "" {
			// The recorder role's PutObject makes S3 call KMS for it.
			out = append(out, AccessIntent{Name: "AWS Config encrypts deliveries with the logs key", Want: true, pol: w.withKey(policies{identity: identity}, k),
				Request: Request{Principal: p, Action: "kms:GenerateDataKey", Resource: k, Context: tls(map[string][]string{
					"kms:ViaService": {"s3." + w.region + ".amazonaws.com"}, "kms:CallerAccount": {w.account}})}})
		}
	}
	return out
}

// SNS: EventBridge and CloudWatch alarms publish to the alerts topic, whose
// KMS key must let them encrypt.
// https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html
func (w *world) topicIntents() []AccessIntent {
	intents, _ := w.topicUseIntents()
	return intents
}

// publisherSites: pulumi-aws inputs that name a topic a service publishes
// to, the service, and the ARN it sends as aws:SourceArn (with
// aws:SourceAccount), from each service's page on confused-deputy keys.
var publisherSites = map[string]map[string]struct {
	service string
	source  func(w *world, r synth.Resource) string
}{
	// EventBridge publishes a rule's matches to its SNS target.
	// https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-resource-based.html#eb-sns-permissions
	"aws:cloudwatch/eventTarget:EventTarget": {"arn": {"events.amazonaws.com", func(w *world, r synth.Resource) string {
		return fmt.Sprintf("arn:aws:events:%s:%s:rule/%s", w.region, w.account, r.Str("rule"))
	}}},
	// CloudWatch publishes an alarm's state changes to its actions.
	// https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html
	"aws:cloudwatch/metricAlarm:MetricAlarm": {
		"alarmActions[]": {"cloudwatch.amazonaws.com", alarmArn}, "okActions[]": {"cloudwatch.amazonaws.com", alarmArn},
		"insufficientDataActions[]": {"cloudwatch.amazonaws.com", alarmArn},
	},
	// Subscriptions and the topic policy name the topic without publishing.
	"aws:sns/topicSubscription:TopicSubscription": {"topic": {}},
	"aws:sns/topicPolicy:TopicPolicy":             {"arn": {}},
}

func alarmArn(w *world, r synth.Resource) string {
	return fmt.Sprintf("arn:aws:cloudwatch:%s:%s:alarm:%s", w.region, w.account, r.Str("name"))
}

// topicUseIntents: every input that names a topic of the plan is a
// publisher, and the topic policy (and the topic's key) must admit it with
// the context keys it sends.
func (w *world) topicUseIntents() ([]AccessIntent, []Finding) {
	var out []AccessIntent
	var unmodelled []Finding
	seen := map[string]bool{}
	for _, r := range w.plan.Resources {
		if !r.Custom || !strings.HasPrefix(r.Type, "aws:") {
			continue
		}
		for _, ref := range stringsIn(r.Inputs, "") {
			doc, isTopic := w.topicPolicy[ref.value]
			if !isTopic {
				continue
			}
			site, known := publisherSites[r.Type][sitePattern(ref.path)]
			if !known {
				unmodelled = append(unmodelled, Finding{Kind: "model", Intent: fmt.Sprintf("%s %s names topic %s", r.Name, ref.path, ref.value),
					Detail: fmt.Sprintf("no model for a topic named at %s.%s: say which service publishes to it (internal/verify/access_intents.go publisherSites)", r.Type, sitePattern(ref.path))})
				continue
			}
			if site.service == "" {
				continue
			}
			ctx := tls(map[string][]string{"aws:SourceAccount": {w.account}, "aws:SourceArn": {site.source(w, r)}})
			name := fmt.Sprintf("%s publishes to %s for %s", site.service, lastArnPart(ref.value), r.Name)
			if seen[name] {
				continue
			}
			seen[name] = true
			d := doc
			out = append(out, AccessIntent{Name: name, Want: true,
				pol:     policies{resource: &d, resName: "topic", resourceAccount: w.account},
				Request: Request{Principal: svc(site.service), Action: "sns:Publish", Resource: ref.value, Context: ctx}})
			if k := w.topicKey[ref.value]; k != "" {
				out = append(out, AccessIntent{Name: name + ": encrypts with the topic's key", Want: true, pol: w.key(k),
					Request: Request{Principal: svc(site.service), Action: "kms:GenerateDataKey", Resource: k, Context: ctx}})
			}
		}
	}
	return out, unmodelled
}

func lastArnPart(arn string) string { return arn[strings.LastIndex(arn, ":")+1:] }

// ECS task execution: the agent pulls the image, writes the logs and reads
// the secrets with the execution role.
// https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_execution_IAM_role.html
func (w *world) taskIntents() []AccessIntent {
	var out []AccessIntent
	for _, td := range w.plan.ByType("aws:ecs/taskDefinition:TaskDefinition") {
		exec := td.Str("executionRoleArn")
		p, pol := w.asRole(exec)
		var containers []map[string]any
		if err := jsonUnmarshal(td.Str("containerDefinitions"), &containers); err != nil {
			w.problems = append(w.problems, td.Name+": "+err.Error())
			continue
		}
		add := func(name, action, resource string) {
			out = append(out, AccessIntent{Name: td.Name + ": " + name, Want: true, pol: pol,
				Request: Request{Principal: p, Action: action, Resource: resource, Context: tls(nil)}})
		}
		for _, c := range containers {
			image := str(c["image"])
			if repo, ok := w.ecrRepo(image); ok {
				add("gets an ECR token", "ecr:GetAuthorizationToken", "*")
				add("pulls "+repo, "ecr:BatchGetImage", fmt.Sprintf("arn:aws:ecr:%s:%s:repository/%s", w.region, w.account, repo))
				add("downloads the layers of "+repo, "ecr:GetDownloadUrlForLayer", fmt.Sprintf("arn:aws:ecr:%s:%s:repository/%s", w.region, w.account, repo))
			}
			if lc, ok := c["logConfiguration"].(map[string]any); ok && str(lc["logDriver"]) == "awslogs" {
				opts, _ := lc["options"].(map[string]any)
				stream := fmt.Sprintf("arn:aws:logs:%s:%s:log-group:%s:log-stream:%s/%s/0123456789abcdef", w.region, w.account, str(opts["awslogs-group"]), str(opts["awslogs-stream-prefix"]), str(c["name"]))
				add("creates its log stream", "logs:CreateLogStream", stream)
				add("writes its logs", "logs:PutLogEvents", stream)
			}
			for _, s := range asList(c["secrets"]) {
				add("reads secret "+str(s["name"]), "secretsmanager:GetSecretValue", str(s["valueFrom"]))
			}
			out = append(out, w.databaseSignIn(td, c)...)
		}
	}
	return out
}

// databaseSignIn: a container told to sign in with IAM (DB_AUTH=iam) asks
// RDS for a token with its task role, which must be allowed rds-db:connect on
// DB_USER of the database at DB_HOST (its DbiResourceId, or the cluster's).
// https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/UsingWithRDS.IAMDBAuth.IAMPolicy.html
func (w *world) databaseSignIn(td synth.Resource, c map[string]any) []AccessIntent {
	env := map[string]string{}
	for _, e := range asList(c["environment"]) {
		env[str(e["name"])] = str(e["value"])
	}
	if env["DB_AUTH"] != "iam" {
		return nil
	}
	p, pol := w.asRole(td.Str("taskRoleArn"))
	name := fmt.Sprintf("%s: signs in to the database as %s with its task role", td.Name, env["DB_USER"])
	for _, db := range append(w.plan.ByType("aws:rds/instance:Instance"), w.plan.ByType("aws:rds/cluster:Cluster")...) {
		host, _ := db.Outputs["address"].(string)
		if e, _ := db.Outputs["endpoint"].(string); host == "" {
			host = e
		}
		if host == "" || host != env["DB_HOST"] {
			continue
		}
		id, _ := db.Outputs["resourceId"].(string)
		if db.Type == "aws:rds/cluster:Cluster" {
			id, _ = db.Outputs["clusterResourceId"].(string)
		}
		return []AccessIntent{{Name: name, Want: true, pol: pol, Request: Request{Principal: p, Action: "rds-db:connect",
			Resource: fmt.Sprintf("arn:aws:rds-db:%s:%s:dbuser:%s/%s", w.region, w.account, id, env["DB_USER"]), Context: tls(nil)}}}
	}
	return []AccessIntent{{Name: name + " (no database of the plan at DB_HOST " + env["DB_HOST"] + ")", Want: true, pol: policies{resName: "none"},
		Request: Request{Principal: p, Action: "rds-db:connect", Resource: "(unknown database)"}}}
}

// ecrRepo returns the repository of an image in this account's registry.
func (w *world) ecrRepo(image string) (string, bool) {
	host := fmt.Sprintf("%s.dkr.ecr.%s.amazonaws.com/", w.account, w.region)
	if !strings.HasPrefix(image, host) {
		return "", false
	}
	repo := strings.TrimPrefix(image, host)
	if i := strings.LastIndexAny(repo, ":@"); i > 0 {
		repo = repo[:i]
	}
	return repo, true
}

// What must be refused: plain HTTP, anonymous callers, other accounts.
func (w *world) negativeIntents() []AccessIntent {
	out := w.deputyIntents()
	for bucket := range w.bucketPolicy {
		if !strings.Contains(bucket, "-documents-") || strings.Contains(bucket, "replica") {
			continue
		}
		obj := "arn:aws:s3:::" + bucket + "/patients/1.pdf"
		admin := Principal{ARN: fmt.Sprintf("arn:aws:iam::%s:role/admin", w.account), Account: w.account}
		pol := w.bucket(bucket)
		pol.identity = []Document{adminAccess()}
		out = append(out,
			AccessIntent{Name: "documents: a request without TLS is refused, even for an administrator", Want: false, pol: pol,
				Request: Request{Principal: admin, Action: "s3:GetObject", Resource: obj, Context: map[string][]string{"aws:SecureTransport": {"false"}}}},
			AccessIntent{Name: "documents: TLS below 1.2 is refused", Want: false, pol: pol,
				Request: Request{Principal: admin, Action: "s3:GetObject", Resource: obj, Context: map[string][]string{"aws:SecureTransport": {"true"}, "s3:TlsVersion": {"1.1"}}}},
			AccessIntent{Name: "documents: anonymous access is refused", Want: false, pol: w.bucket(bucket),
				Request: Request{Principal: Principal{Anonymous: true}, Action: "s3:GetObject", Resource: obj, Context: tls(nil)}},
			AccessIntent{Name: "documents: another account is refused", Want: false, pol: func() policies {
				p := w.bucket(bucket)
				p.identity = []Document{adminAccess()}
				return p
			}(),
				Request: Request{Principal: Principal{ARN: "arn:aws:iam::" + otherAccount + ":role/intruder", Account: otherAccount}, Action: "s3:GetObject", Resource: obj, Context: tls(nil)}},
		)
	}
	return out
}

// deputyIntents: every service a log bucket's policy admits delivers only
// for the accounts it names: the same service acting for an account outside
// the organization (aws:SourceAccount and aws:SourceArn of that account) is
// refused, on every object pattern the statement grants.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html
func (w *world) deputyIntents() []AccessIntent {
	var out []AccessIntent
	for _, bucket := range slices.Sorted(maps.Keys(w.bucketPolicy)) {
		d := w.bucketPolicy[bucket]
		for _, s := range d.Statement {
			if !strings.EqualFold(s.Effect, "Allow") {
				continue
			}
			for _, service := range principalsOf(Document{Statement: []Statement{s}}, "Service") {
				for _, r := range list(s.Resource) {
					for _, a := range list(s.Action) {
						// The same request, made for an outside account.
						// (the bucket's own name keeps its account).
						base := "arn:aws:s3:::" + bucket
						key := strings.NewReplacer("*", "x", "?", "x").Replace(strings.TrimPrefix(r, base))
						for _, acct := range append(slices.Sorted(maps.Keys(w.orgAccounts)), w.account) {
							key = strings.ReplaceAll(key, acct, otherAccount)
						}
						object := base + key
						name := strings.TrimSuffix(service, ".amazonaws.com")
						out = append(out, AccessIntent{Name: fmt.Sprintf("%s: %s acting for another account cannot %s (%s)", bucket, service, a, s.Sid), Want: false, pol: w.bucket(bucket),
							Request: Request{Principal: svc(service), Action: a, Resource: object, Context: tls(map[string][]string{
								"aws:SourceAccount": {otherAccount}, "aws:SourceArn": {fmt.Sprintf("arn:aws:%s:%s:%s:x", name, w.region, otherAccount)},
								"s3:x-amz-acl": {"bucket-owner-full-control"}})}})
					}
				}
			}
		}
	}
	return out
}

// The SCPs let the stack's own deploy role run `pulumi up`, and refuse an
// upload without server-side encryption.
func (w *world) scpIntents() []AccessIntent {
	if len(w.scps) == 0 || w.account == w.orgManagementID {
		return nil
	}
	deploy := ""
	for arn := range w.roles {
		if strings.HasSuffix(arn, "-ci-deploy") {
			deploy = arn
		}
	}
	if deploy == "" {
		return nil
	}
	p, pol := w.asRole(deploy)
	region := map[string][]string{"aws:RequestedRegion": {w.region}}
	bucket := fmt.Sprintf("arn:aws:s3:::docustack-%s-documents-%s", w.plan.Outputs["environment"], w.account)
	var out []AccessIntent
	for _, a := range []struct{ action, resource string }{
		{"s3:PutBucketPublicAccessBlock", bucket},
		{"s3:PutLifecycleConfiguration", bucket},
		{"cloudtrail:PutEventSelectors", fmt.Sprintf("arn:aws:cloudtrail:%s:%s:trail/docustack", w.region, w.account)},
		{"kms:CreateKey", "*"},
		{"ecs:UpdateService", "*"},
	} {
		out = append(out, AccessIntent{Name: "the deploy role may " + a.action + " under the SCPs", Want: true, pol: pol,
			Request: Request{Principal: p, Action: a.action, Resource: a.resource, Context: tls(region)}})
	}
	out = append(out,
		AccessIntent{Name: "the SCPs refuse an upload asking for SSE-S3", Want: false, pol: pol,
			Request: Request{Principal: p, Action: "s3:PutObject", Resource: bucket + "/x", Context: tls(map[string][]string{
				"aws:RequestedRegion": {w.region}, "s3:x-amz-server-side-encryption": {"AES256"}})}},
		AccessIntent{Name: "the SCPs refuse an upload with a customer-provided key", Want: false, pol: pol,
			Request: Request{Principal: p, Action: "s3:PutObject", Resource: bucket + "/x", Context: tls(map[string][]string{
				"aws:RequestedRegion": {w.region}, "s3:x-amz-server-side-encryption-customer-algorithm": {"AES256"}})}},
		AccessIntent{Name: "the SCPs allow an upload with SSE-KMS", Want: true, pol: pol,
			Request: Request{Principal: p, Action: "s3:PutObject", Resource: bucket + "/x", Context: tls(map[string][]string{
				"aws:RequestedRegion": {w.region}, "s3:x-amz-server-side-encryption": {"aws:kms"}})}},
		AccessIntent{Name: "the SCPs refuse work outside the allowed regions", Want: false, pol: pol,
			Request: Request{Principal: p, Action: "ec2:RunInstances", Resource: "*", Context: tls(map[string][]string{"aws:RequestedRegion": {"eu-west-1"}})}},
	)
	return append(out, w.multipartIntents()...)
}

// grantedObject is an object of the bucket under a prefix the role's
// identity policies name (their first object pattern, its wildcards filled).
func (w *world) grantedObject(roleArn, bucket, name string) string {
	for _, d := range w.rolePolicies(roleArn) {
		for _, s := range d.Statement {
			for _, r := range list(s.Resource) {
				if rest, ok := strings.CutPrefix(r, "arn:aws:s3:::"+bucket+"/"); ok && strings.EqualFold(s.Effect, "Allow") {
					return "arn:aws:s3:::" + bucket + "/" + strings.NewReplacer("*", name, "?", "x").Replace(rest)
				}
			}
		}
	}
	return "arn:aws:s3:::" + bucket + "/" + name
}

// multipartIntents: every role granted to write objects of an SSE-KMS bucket
// uploads large objects in parts. S3 authorizes UploadPart and
// CompleteMultipartUpload as s3:PutObject, and neither request carries the
// encryption header (only CreateMultipartUpload may), so the SCPs must let
// a PutObject without it through; the bucket's default SSE-KMS encrypts it.
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/mpuoverview.html#mpuAndPermissions
func (w *world) multipartIntents() []AccessIntent {
	var out []AccessIntent
	for _, roleArn := range slices.Sorted(maps.Keys(w.roles)) {
		for _, g := range w.grantedObjects(roleArn) {
			// The SCPs bind this account's roles; an upload to another
			// account's bucket (AWS Config's to the archive) is the
			// service's own single PUT.
			if _, elsewhere := w.bucketAccount[g.bucket]; g.action != "s3:PutObject" || elsewhere {
				continue
			}
			p, pol := w.asRole(roleArn)
			b := w.bucket(g.bucket)
			pol.resource, pol.resName = b.resource, b.resName
			obj := w.grantedObject(roleArn, g.bucket, "large.pdf")
			ctx := tls(map[string][]string{"aws:RequestedRegion": {w.region}})
			out = append(out,
				AccessIntent{Name: fmt.Sprintf("%s uploads parts of a multipart upload to %s under the SCPs (UploadPart, CompleteMultipartUpload)", w.roleName(roleArn), g.bucket),
					Want: true, pol: pol, Request: Request{Principal: p, Action: "s3:PutObject", Resource: obj, Context: ctx}},
				AccessIntent{Name: fmt.Sprintf("%s cannot upload to %s asking for SSE-S3", w.roleName(roleArn), g.bucket),
					Want: false, pol: pol, Request: Request{Principal: p, Action: "s3:PutObject", Resource: obj,
						Context: tls(map[string][]string{"aws:RequestedRegion": {w.region}, "s3:x-amz-server-side-encryption": {"AES256"}})}})
		}
	}
	return out
}

// structural checks what no policy decides: Config cannot deliver to an
// Object Lock bucket; archive objects cannot be deleted early.
func (w *world) structural() []Finding {
	var out []Finding
	for _, c := range w.plan.ByType("aws:cfg/deliveryChannel:DeliveryChannel") {
		b := c.Str("s3BucketName")
		out = append(out, Finding{Intent: "AWS Config delivers to a bucket without Object Lock", Kind: "access", OK: !w.objectLock[b],
			Detail: detail(map[bool][]string{true: {b + " has Object Lock, which AWS Config does not support as a delivery channel"}}[w.objectLock[b]],
				b+" has no Object Lock (AWS::Config::DeliveryChannel: Object Lock buckets are not supported)")})
	}
	for b, locked := range w.objectLock {
		out = append(out, Finding{Intent: "archive objects cannot be deleted before their retention ends", Kind: "access-deny", OK: locked,
			Detail: b + ": Object Lock default retention refuses s3:DeleteObjectVersion until the retention date, whatever the policies say"})
	}
	return out
}
