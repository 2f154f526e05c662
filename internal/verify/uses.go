package verify

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/docustack/infrastructure/internal/synth"
)

// Every input that names a key, bucket, log group, secret, repository or
// function of the plan is a use of it by some service. useSites says, per
// pulumi-aws input, which derivation of this package proves that use (or
// why the input makes no request), and derives the obligations no other
// family covers. A resource named at an input this table does not know is
// a finding ("no model for ..."), never silence. Roles and topics have
// their own sites (roleSites, publisherSites); policy documents are judged
// as documents (Deployable, who can).

// use is what one input naming a resource commits the plan to.
type use struct {
	// by names the derivation that proves the use, or says why the input
	// makes no request of the resource.
	by string
	// derive builds the requests this input implies that no other family
	// derives; nil when by covers it.
	derive func(w *world, r synth.Resource, target string) []AccessIntent
}

// useKinds: the pulumi-aws types of each kind and the outputs that name one.
var useKinds = map[string]struct {
	types   []string
	outputs []string
}{
	"key":        {[]string{"aws:kms/key:Key", "aws:kms/replicaKey:ReplicaKey"}, []string{"arn", "keyId", "id"}},
	"bucket":     {[]string{"aws:s3/bucketV2:BucketV2", "aws:s3/bucket:Bucket"}, []string{"bucket", "arn", "id"}},
	"log group":  {[]string{"aws:cloudwatch/logGroup:LogGroup"}, []string{"name", "arn"}},
	"secret":     {[]string{"aws:secretsmanager/secret:Secret"}, []string{"arn", "name", "id"}},
	"repository": {[]string{"aws:ecr/repository:Repository"}, []string{"name", "arn", "repositoryUrl"}},
	"function":   {[]string{"aws:lambda/function:Function"}, []string{"name", "arn"}},
}

const configures = "configures the resource itself: no service request follows"

// useSites: kind -> pulumi-aws type -> input path ("[]" for list indexes).
var useSites = map[string]map[string]map[string]use{
	"key": {
		"aws:cloudwatch/logGroup:LogGroup":        {"kmsKeyId": {by: "keyUseIntents: CloudWatch Logs uses the key of each log group"}},
		"aws:cloudtrail/trail:Trail":              {"kmsKeyId": {by: "trailIntents: CloudTrail encrypts log files"}},
		"aws:cfg/deliveryChannel:DeliveryChannel": {"s3KmsKeyArn": {by: "configIntents: AWS Config encrypts deliveries"}},
		"aws:sns/topic:Topic":                     {"kmsMasterKeyId": {by: "topicUseIntents: each publisher encrypts with the topic's key"}},
		"aws:ecs/cluster:Cluster":                 {"configuration.executeCommandConfiguration.kmsKeyId": {by: "execIntents: ECS Exec sessions decrypt with it"}},
		"aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2": {
			"rules[].applyServerSideEncryptionByDefault.kmsMasterKeyId": {by: "bucketKeyIntents: every role granted the objects uses the key through S3"}},
		"aws:s3/bucketReplicationConfig:BucketReplicationConfig": {
			"rules[].destination.encryptionConfiguration.replicaKmsKeyId": {by: "replicationIntents: the replication role encrypts the replica"}},
		"aws:backup/vault:Vault": {"kmsKeyArn": {by: "the deployer's grant through AWS Backup", derive: grantThrough("backup")}},
		"aws:kms/alias:Alias":    {"targetKeyId": {by: "names the key: no request"}},
		"aws:cfg/remediationConfiguration:RemediationConfiguration": {"parameters[].staticValue": {by: "remediationIntents: the trail the remediation creates encrypts with it"}},
		// RDS encrypts storage and Performance Insights through grants it
		// creates with the caller's permissions when the instance is made.
		// https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/Overview.Encryption.Keys.html
		"aws:rds/instance:Instance": {
			"kmsKeyId":                    {by: "the deployer's grant through RDS", derive: grantThrough("rds")},
			"performanceInsightsKmsKeyId": {by: "the deployer's grant through RDS", derive: grantThrough("rds")},
			// RDS keeps the master password in Secrets Manager under this key;
			// the caller needs kms:GenerateDataKey and kms:Decrypt on it.
			// https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/rds-secrets-manager.html#rds-secrets-manager-permissions
			"masterUserSecretKmsKeyId": {by: "the deployer's use through Secrets Manager", derive: useThrough("secretsmanager", "kms:GenerateDataKey", "kms:Decrypt")},
		},
		"aws:rds/cluster:Cluster": {
			"kmsKeyId":                 {by: "the deployer's grant through RDS", derive: grantThrough("rds")},
			"masterUserSecretKmsKeyId": {by: "the deployer's use through Secrets Manager", derive: useThrough("secretsmanager", "kms:GenerateDataKey", "kms:Decrypt")},
		},
		"aws:rds/clusterInstance:ClusterInstance": {"performanceInsightsKmsKeyId": {by: "the deployer's grant through RDS", derive: grantThrough("rds")}},
		// ECR creates a grant for the repository when it is made.
		// https://docs.aws.amazon.com/AmazonECR/latest/userguide/encryption-at-rest.html
		"aws:ecr/repository:Repository":         {"encryptionConfigurations[].kmsKey": {by: "the deployer's grant through ECR", derive: grantThrough("ecr")}},
		"aws:secretsmanager/secret:Secret":      {"kmsKeyId": {by: "keyUseIntents: every role granted the secret decrypts it through Secrets Manager"}},
		"aws:ec2/launchTemplate:LaunchTemplate": {"blockDeviceMappings[].ebs.kmsKeyId": {by: "Auto Scaling's service-linked role uses the key", derive: autoScalingUsesKey}},
	},
	"bucket": {
		"aws:cloudtrail/trail:Trail": {
			"s3BucketName": {by: "trailIntents: CloudTrail writes log files"},
			"eventSelectors[].dataResources[].values[]": {by: "selects data events to log: CloudTrail reads nothing from the bucket"},
		},
		"aws:cfg/deliveryChannel:DeliveryChannel":                         {"s3BucketName": {by: "configIntents: AWS Config delivers snapshots and history"}},
		"aws:cfg/remediationConfiguration:RemediationConfiguration":       {"parameters[].staticValue": {by: "remediationIntents: the remediation's own calls"}},
		"aws:ec2/flowLog:FlowLog":                                         {"logDestination": {by: "flowLogIntents: the log delivery service writes flow logs"}},
		"aws:lb/loadBalancer:LoadBalancer":                                {"accessLogs.bucket": {by: "albLogIntents: Elastic Load Balancing writes access logs"}},
		"aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration": {"logDestinationConfigs[]": {by: "wafLogIntents: the log delivery service writes WAF logs"}},
		"aws:s3/bucketLoggingV2:BucketLoggingV2":                          {"bucket": {by: configures}, "targetBucket": {by: "s3AccessLogIntents: the logging service writes access logs"}},
		"aws:s3/bucketReplicationConfig:BucketReplicationConfig": {"bucket": {by: configures},
			"rules[].destination.bucket": {by: "replicationIntents: the replication role writes the replica"}},
		"aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2":                       {"bucket": {by: configures}},
		"aws:s3/bucketObjectLockConfigurationV2:BucketObjectLockConfigurationV2":                     {"bucket": {by: configures}},
		"aws:s3/bucketOwnershipControls:BucketOwnershipControls":                                     {"bucket": {by: configures}},
		"aws:s3/bucketPolicy:BucketPolicy":                                                           {"bucket": {by: configures}},
		"aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock":                                     {"bucket": {by: configures}},
		"aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2": {"bucket": {by: configures}},
		"aws:s3/bucketVersioningV2:BucketVersioningV2":                                               {"bucket": {by: configures}},
	},
	"log group": {
		"aws:cloudwatch/logMetricFilter:LogMetricFilter": {"logGroupName": {by: "CloudWatch Logs evaluates its own filters: no request"}},
		"aws:ecs/cluster:Cluster":                        {"configuration.executeCommandConfiguration.logConfiguration.cloudWatchLogGroupName": {by: "execIntents: ECS Exec sessions write their logs"}},
		"aws:lambda/function:Function":                   {"loggingConfig.logGroup": {by: "functionIntents: the function writes its logs"}},
	},
	"secret": {},
	"repository": {
		"aws:ecr/lifecyclePolicy:LifecyclePolicy": {"repository": {by: configures}},
	},
	"function": {
		// The engine invokes the function with the deployer's credentials.
		// https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html
		"aws:lambda/invocation:Invocation": {"functionName": {by: "the deployer invokes it", derive: deployerInvokes}},
	},
}

// useIntents walks every input of every resource for the plan's keys,
// buckets, log groups, secrets, repositories and functions.
func (w *world) useIntents() ([]AccessIntent, []Finding) {
	type target struct{ kind, name, canonical string }
	named := map[string]target{}
	owner := map[string]string{} // value -> URN of the resource it names
	for _, kind := range slices.Sorted(maps.Keys(useKinds)) {
		k := useKinds[kind]
		for _, typ := range k.types {
			for _, r := range w.plan.ByType(typ) {
				canonical, _ := r.Outputs[k.outputs[0]].(string)
				for _, o := range k.outputs {
					if s, ok := r.Outputs[o].(string); ok && s != "" {
						named[s] = target{kind, r.Name, canonical}
						owner[s] = r.URN
						if kind == "bucket" {
							named["arn:aws:s3:::"+s] = target{kind, r.Name, canonical}
							owner["arn:aws:s3:::"+s] = r.URN
						}
					}
				}
			}
		}
	}
	var intents []AccessIntent
	var findings []Finding
	for _, r := range w.plan.Resources {
		if !r.Custom || !strings.HasPrefix(r.Type, "aws:") {
			continue
		}
		for _, ref := range stringsIn(r.Inputs, "") {
			t, ok := named[ref.value]
			if !ok || owner[ref.value] == r.URN {
				continue
			}
			pattern := sitePattern(ref.path)
			u, known := useSites[t.kind][r.Type][pattern]
			if !known {
				findings = append(findings, Finding{Kind: "model", Intent: fmt.Sprintf("%s %s names %s %s", r.Name, ref.path, t.kind, t.name),
					Detail: fmt.Sprintf("no model for a %s named at %s.%s: say what uses it (internal/verify/uses.go useSites)", t.kind, r.Type, pattern)})
				continue
			}
			if u.derive != nil {
				intents = append(intents, u.derive(w, r, t.canonical)...)
			}
		}
	}
	return intents, findings
}

// deployer is the role the stack's deploy workflow applies it with.
func (w *world) deployer() (string, bool) {
	for _, arn := range slices.Sorted(maps.Keys(w.roles)) {
		if w.roleName(arn) == "github-deploy" {
			return arn, true
		}
	}
	return "", false
}

// asDeployer is a request of the deployer, or an intent that fails naming
// the missing role.
func (w *world) asDeployer(name string, req Request, pol func(p policies) policies) AccessIntent {
	arn, ok := w.deployer()
	if !ok {
		return AccessIntent{Name: name + " (no github-deploy role in this plan)", Want: true, pol: policies{resName: "none"},
			Request: Request{Principal: Principal{ARN: "arn:aws:iam::" + w.account + ":role/github-deploy", Account: w.account}, Action: req.Action, Resource: req.Resource}}
	}
	p, identity := w.asRole(arn)
	req.Principal = p
	return AccessIntent{Name: name, Want: true, pol: pol(identity), Request: req}
}

// grantThrough: the service encrypts the resource through a grant it
// creates with the deployer's permissions when the resource is made
// (kms:CreateGrant with kms:ViaService and kms:GrantIsForAWSResource, after
// kms:DescribeKey).
func grantThrough(service string) func(w *world, r synth.Resource, key string) []AccessIntent {
	return func(w *world, r synth.Resource, key string) []AccessIntent {
		via := service + "." + w.region + ".amazonaws.com"
		withKey := func(id policies) policies { return w.withKey(id, key) }
		var out []AccessIntent
		for _, a := range []string{"kms:DescribeKey", "kms:CreateGrant"} {
			ctx := tls(map[string][]string{"kms:ViaService": {via}, "kms:CallerAccount": {w.account}})
			if a == "kms:CreateGrant" {
				ctx["kms:GrantIsForAWSResource"] = []string{"true"}
			}
			out = append(out, w.asDeployer(fmt.Sprintf("%s: the deployer lets %s use %s (%s)", r.Name, service, w.keyName(key), a),
				Request{Action: a, Resource: key, Context: ctx}, withKey))
		}
		return out
	}
}

// useThrough: the deployer uses the key through a service directly.
func useThrough(service string, actions ...string) func(w *world, r synth.Resource, key string) []AccessIntent {
	return func(w *world, r synth.Resource, key string) []AccessIntent {
		var out []AccessIntent
		for _, a := range actions {
			ctx := tls(map[string][]string{"kms:ViaService": {service + "." + w.region + ".amazonaws.com"}, "kms:CallerAccount": {w.account}})
			out = append(out, w.asDeployer(fmt.Sprintf("%s: the deployer uses %s through %s (%s)", r.Name, w.keyName(key), service, a),
				Request{Action: a, Resource: key, Context: ctx}, func(id policies) policies { return w.withKey(id, key) }))
		}
		return out
	}
}

// ebsKeyActions: what Auto Scaling's service-linked role needs on a
// customer managed key that encrypts the volumes of the instances it
// launches ("Required AWS KMS key policy for use with encrypted volumes").
// https://docs.aws.amazon.com/autoscaling/ec2/userguide/key-policy-requirements-EBS-encryption.html
var ebsKeyActions = []string{"kms:Encrypt", "kms:Decrypt", "kms:ReEncryptFrom", "kms:GenerateDataKeyWithoutPlaintext", "kms:DescribeKey", "kms:CreateGrant"}

// autoScalingUsesKey: every Auto Scaling group launching from the template
// uses the volume key with its service-linked role (the group's own, or
// AWSServiceRoleForAutoScaling); the key policy alone must admit it, since
// the role's AWS managed policy grants no KMS action.
func autoScalingUsesKey(w *world, lt synth.Resource, key string) []AccessIntent {
	var out []AccessIntent
	for _, g := range w.plan.ByType("aws:autoscaling/group:Group") {
		if g.Str("launchTemplate.id") != lt.ID && g.Str("launchTemplate.name") != lt.Str("name") {
			continue
		}
		slr := g.Str("serviceLinkedRoleArn")
		if slr == "" {
			slr = fmt.Sprintf("arn:aws:iam::%s:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling", w.account)
		}
		for _, a := range ebsKeyActions {
			ctx := map[string][]string{"kms:CallerAccount": {w.account}}
			if a == "kms:CreateGrant" {
				ctx["kms:GrantIsForAWSResource"] = []string{"true"}
			}
			out = append(out, AccessIntent{Name: fmt.Sprintf("%s: Auto Scaling's service-linked role uses %s for the volumes it launches (%s)", g.Name, w.keyName(key), a),
				Want: true, pol: w.key(key), Request: Request{Principal: Principal{ARN: slr, Account: w.account}, Action: a, Resource: key, Context: ctx}})
		}
	}
	return out
}

// deployerInvokes: the engine invokes the function as the deployer.
func deployerInvokes(w *world, r synth.Resource, fn string) []AccessIntent {
	f, _ := w.plan.ByURN(fnURN(w, fn))
	arn, _ := f.Outputs["arn"].(string)
	if arn == "" {
		arn = fmt.Sprintf("arn:aws:lambda:%s:%s:function:%s", w.region, w.account, fn)
	}
	return []AccessIntent{w.asDeployer(fmt.Sprintf("%s: the deployer invokes %s", r.Name, fn),
		Request{Action: "lambda:InvokeFunction", Resource: arn, Context: tls(nil)}, func(id policies) policies { return id })}
}

func fnURN(w *world, name string) string {
	for _, f := range w.plan.ByType("aws:lambda/function:Function") {
		if n, _ := f.Outputs["name"].(string); n == name {
			return f.URN
		}
	}
	return ""
}
