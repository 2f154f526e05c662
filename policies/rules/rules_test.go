package rules_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/docustack/infrastructure/policies/rules"
)

const (
	tBucket = "aws:s3/bucketV2:BucketV2"
	keyArn  = "arn:aws:kms:us-east-1:111111111111:key/k"
)

func bucket(name string, kv ...string) *fx {
	return res(tBucket, name, map[string]any{"bucket": name, "tags": tags(kv...)})
}

func sse(b *fx, algo, key string) *fx {
	def := map[string]any{"sseAlgorithm": algo}
	if key != "" {
		def["kmsMasterKeyId"] = key
	}
	return res("aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2", b.r.Name+"-sse",
		map[string]any{"bucket": unknown, "rules": []any{map[string]any{"applyServerSideEncryptionByDefault": def}}}).refs("bucket", b)
}

func versioning(b *fx, status string) *fx {
	return res("aws:s3/bucketVersioningV2:BucketVersioningV2", b.r.Name+"-versioning",
		map[string]any{"bucket": unknown, "versioningConfiguration": map[string]any{"status": status}}).refs("bucket", b)
}

func pab(b *fx, off ...string) *fx {
	p := map[string]any{"bucket": unknown}
	for _, f := range []string{"blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"} {
		p[f] = !contains(off, f)
	}
	return res("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", b.r.Name+"-pab", p).refs("bucket", b)
}

func tlsPolicy(b *fx, secure bool) *fx {
	doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":{"AWS":"*"},"Action":"s3:*",` +
		`"Resource":["arn:aws:s3:::` + b.r.Name + `","arn:aws:s3:::` + b.r.Name + `/*"],"Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}`
	if !secure {
		doc = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"logging.s3.amazonaws.com"},"Action":"s3:PutObject","Resource":"arn:aws:s3:::` + b.r.Name + `/*"}]}`
	}
	// The bucket input is given by name (no dependency): correlation by value.
	return res("aws:s3/bucketPolicy:BucketPolicy", b.r.Name+"-policy", map[string]any{"bucket": b.r.Name, "policy": doc})
}

// goodBucket is a bucket with every split resource compliant.
func goodBucket(name string, kv ...string) []*fx {
	b := bucket(name, kv...)
	return []*fx{b, sse(b, "aws:kms", keyArn), versioning(b, "Enabled"), pab(b), tlsPolicy(b, true)}
}

func contains(l []string, s string) bool {
	for _, e := range l {
		if e == s {
			return true
		}
	}
	return false
}

func join(groups ...[]*fx) []*fx {
	var out []*fx
	for _, g := range groups {
		out = append(out, g...)
	}
	return out
}

func without(fs []*fx, suffix string) []*fx {
	var out []*fx
	for _, f := range fs {
		if !strings.HasSuffix(f.r.Name, suffix) {
			out = append(out, f)
		}
	}
	return out
}

func replace(fs []*fx, suffix string, with *fx) []*fx {
	return append(without(fs, suffix), with)
}

func ingress(name string, sg *fx, props map[string]any) *fx {
	props["securityGroupId"] = unknown
	return res("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", name, props).refs("securityGroupId", sg)
}

func pgWith(name, forceSSL string) *fx {
	return res("aws:rds/parameterGroup:ParameterGroup", name, map[string]any{
		"family": "postgres16", "parameters": []any{map[string]any{"name": "rds.force_ssl", "value": forceSSL}}})
}

// pgAudit is a parameter group with DocuStack's audit logging, some values
// overridden.
func pgAudit(name string, over map[string]string) *fx {
	vals := map[string]string{"rds.force_ssl": "1", "shared_preload_libraries": "pgaudit", "pgaudit.log": "ddl,role,write",
		"log_connections": "1", "log_disconnections": "1"}
	for k, v := range over {
		vals[k] = v
	}
	var params []any
	for _, k := range []string{"rds.force_ssl", "shared_preload_libraries", "pgaudit.log", "log_connections", "log_disconnections"} {
		params = append(params, map[string]any{"name": k, "value": vals[k]})
	}
	return res("aws:rds/parameterGroup:ParameterGroup", name, map[string]any{"family": "postgres16", "parameters": params})
}

func webACL(override map[string]any) *fx {
	return res("aws:wafv2/webAcl:WebAcl", "acl", map[string]any{"rules": []any{map[string]any{
		"name": "AWSManagedRulesCommonRuleSet", "priority": 10, "overrideAction": override,
		"statement": map[string]any{"managedRuleGroupStatement": map[string]any{"name": "AWSManagedRulesCommonRuleSet", "vendorName": "AWS"}},
	}}})
}

// wafLogging is a web ACL and its logging configuration to dest, redacting headers.
func wafLogging(dest string, headers ...string) []*fx {
	acl := webACL(map[string]any{"none": map[string]any{}})
	var redacted []any
	for _, h := range headers {
		redacted = append(redacted, map[string]any{"singleHeader": map[string]any{"name": h}})
	}
	return []*fx{acl, res("aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration", "acl-logging",
		map[string]any{"resourceArn": unknown, "logDestinationConfigs": []any{dest}, "redactedFields": redacted}).refs("resourceArn", acl)}
}

// passwordRule is the iam-password-policy rule with its parameters and a
// remediation that sets MinimumPasswordLength to minLength (the rest as the rule).
// retentionPack is a conformance pack deploying CW_LOGGROUP_RETENTION_PERIOD_CHECK,
// with MinRetentionTime when min is set (a YAML scalar).
func retentionPack(min string) *fx {
	return res("aws:cfg/conformancePack:ConformancePack", "pack", map[string]any{"name": "p", "templateBody": retentionTemplate(min)})
}

func retentionTemplate(min string) string {
	body := "Resources:\n  Retention:\n    Type: AWS::Config::ConfigRule\n    Properties:\n      ConfigRuleName: r\n" +
		"      Source:\n        Owner: AWS\n        SourceIdentifier: CW_LOGGROUP_RETENTION_PERIOD_CHECK\n"
	if min != "" {
		body += "      InputParameters:\n        MinRetentionTime: " + min + "\n"
	}
	return body
}

// s3Pack is retentionPack's template as an S3 object the pack names by an
// unknown URI, with a 90-day log group.
func s3Pack(min string) []*fx {
	body := retentionTemplate(min)
	obj := res("aws:s3/bucketObjectv2:BucketObjectv2", "pack-template", map[string]any{"key": "conformance-packs/p.yaml", "content": body})
	pack := res("aws:cfg/conformancePack:ConformancePack", "pack", map[string]any{"name": "p", "templateS3Uri": unknown}).refs("templateS3Uri", obj)
	return []*fx{obj, pack, logGroup(90)}
}

func logGroup(days int) *fx {
	props := map[string]any{"name": fmt.Sprintf("/x/%d", days)}
	if days > 0 {
		props["retentionInDays"] = days
	}
	return res("aws:cloudwatch/logGroup:LogGroup", fmt.Sprintf("log-%d", days), props)
}

func configRule(id string) *fx {
	return res("aws:cfg/rule:Rule", strings.ToLower(id), map[string]any{"name": strings.ToLower(id),
		"source": map[string]any{"owner": "AWS", "sourceIdentifier": id}})
}

func passwordRule(params, minLength string) []*fx {
	rule := res("aws:cfg/rule:Rule", "iam-password-policy", map[string]any{"name": "iam-password-policy",
		"source": map[string]any{"owner": "AWS", "sourceIdentifier": "IAM_PASSWORD_POLICY"}, "inputParameters": params})
	var set []any
	for k, v := range map[string]string{"MinimumPasswordLength": minLength, "RequireUppercaseCharacters": "true", "RequireLowercaseCharacters": "true",
		"RequireSymbols": "true", "RequireNumbers": "true", "PasswordReusePrevention": "24", "MaxPasswordAge": "90"} {
		set = append(set, map[string]any{"name": k, "staticValue": v})
	}
	rem := res("aws:cfg/remediationConfiguration:RemediationConfiguration", "iam-password-policy-remediation",
		map[string]any{"configRuleName": unknown, "parameters": set}).refs("configRuleName", rule)
	return []*fx{rule, rem}
}

func dbInstance(name, env string, over map[string]any) *fx {
	p := map[string]any{
		"storageEncrypted": true, "kmsKeyId": keyArn, "backupRetentionPeriod": 35, "publiclyAccessible": false,
		"manageMasterUserPassword": true, "deletionProtection": true, "parameterGroupName": unknown,
		"tags": tags("Environment", env),
	}
	for k, v := range over {
		if v == nil {
			delete(p, k)
			continue
		}
		p[k] = v
	}
	return res("aws:rds/instance:Instance", name, p)
}

func githubRole(sub string, aud bool) *fx {
	cond := `"StringEquals":{"token.actions.githubusercontent.com:sub":"` + sub + `"`
	if aud {
		cond += `,"token.actions.githubusercontent.com:aud":"sts.amazonaws.com"`
	}
	cond += `}`
	doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRoleWithWebIdentity",` +
		`"Principal":{"Federated":"arn:aws:iam::111111111111:oidc-provider/token.actions.githubusercontent.com"},"Condition":{` + cond + `}}]}`
	return res("aws:iam/role:Role", "gh-role", map[string]any{"assumeRolePolicy": doc})
}

func configRules(ids ...string) []*fx {
	var out []*fx
	for _, id := range ids {
		out = append(out, res("aws:cfg/rule:Rule", strings.ToLower(id), map[string]any{
			"name": strings.ToLower(id), "source": map[string]any{"owner": "AWS", "sourceIdentifier": id},
			"tags": tags("Environment", "dev")}))
	}
	return out
}

func allSeedConfigRules(automatic bool) []*fx {
	var ids []string
	for _, id := range rules.SeedConfigRules {
		ids = append(ids, id)
	}
	out := configRules(ids...)
	for _, name := range rules.SeedAutoRemediated {
		for _, r := range out {
			if r.r.Name == strings.ToLower(rules.SeedConfigRules[name]) {
				out = append(out, res("aws:cfg/remediationConfiguration:RemediationConfiguration", r.r.Name+"-fix",
					map[string]any{"configRuleName": unknown, "automatic": automatic, "targetType": "SSM_DOCUMENT"}).refs("configRuleName", r))
			}
		}
	}
	return out
}

func albSG() *fx {
	return res("aws:ec2/securityGroup:SecurityGroup", "alb-sg", map[string]any{"tags": tags("Role", "alb")})
}

// redirectLB is a load balancer on sg with an HTTP listener whose default
// action is action ("redirect" to HTTPS, or "forward").
func redirectLB(sg *fx, action string) []*fx {
	lb := res("aws:lb/loadBalancer:LoadBalancer", "alb", map[string]any{"securityGroups": []any{unknown}}).refs("securityGroups", sg)
	act := map[string]any{"type": action}
	if action == "redirect" {
		act["redirect"] = map[string]any{"protocol": "HTTPS", "port": "443", "statusCode": "HTTP_301"}
	}
	return []*fx{sg, lb,
		res("aws:lb/listener:Listener", "http", map[string]any{"loadBalancerArn": unknown, "port": 80, "protocol": "HTTP",
			"defaultActions": []any{act}}).refs("loadBalancerArn", lb),
		ingress("alb-http", sg, map[string]any{"ipProtocol": "tcp", "fromPort": 80, "toPort": 80, "cidrIpv4": "0.0.0.0/0"}),
		ingress("alb-https", sg, map[string]any{"ipProtocol": "tcp", "fromPort": 443, "toPort": 443, "cidrIpv4": "0.0.0.0/0"}),
	}
}

func workloadVPC() *fx {
	return res("aws:ec2/vpc:Vpc", "vpc", map[string]any{"tags": tags("Environment", "dev")})
}

type ruleCase struct {
	rule      string
	name      string
	compliant []*fx
	violating []*fx
}

func ruleCases() []ruleCase {
	vpc := res("aws:ec2/vpc:Vpc", "vpc", map[string]any{"cidrBlock": "10.0.0.0/16"})
	dbRT := res("aws:ec2/routeTable:RouteTable", "db-rt", map[string]any{"vpcId": unknown, "tags": tags("Tier", "database")})
	rdsSG := res("aws:ec2/securityGroup:SecurityGroup", "rds-sg", map[string]any{"tags": tags("Role", "rds")})
	ecsSG := res("aws:ec2/securityGroup:SecurityGroup", "ecs-sg", map[string]any{"tags": tags("Role", "ecs")})
	dbGood := dbInstance("db", "prod", nil).refs("parameterGroupName", pgWith("pg", "1"))
	useast := res("pulumi:providers:aws", "aws", map[string]any{"region": "us-east-1"})
	dr := res("pulumi:providers:aws", "aws-dr", map[string]any{"region": "us-west-2"})

	return []ruleCase{
		{rule: "DS-KMS-001", name: "rotation",
			compliant: []*fx{res("aws:kms/key:Key", "k", map[string]any{"enableKeyRotation": true}),
				res("aws:kms/key:Key", "k2", map[string]any{"enableKeyRotation": unknown})},
			violating: []*fx{res("aws:kms/key:Key", "k", map[string]any{})}},

		{rule: "DS-S3-001", name: "sse-kms with a CMK",
			compliant: join(goodBucket("docs"),
				replace(goodBucket("alb-logs", "LogDelivery", "alb"), "-sse", sse(bucket("alb-logs", "LogDelivery", "alb"), "AES256", ""))),
			violating: replace(goodBucket("docs"), "-sse", sse(bucket("docs"), "AES256", ""))},
		{rule: "DS-S3-001", name: "aws managed key",
			violating: replace(goodBucket("docs"), "-sse", sse(bucket("docs"), "aws:kms", ""))},
		{rule: "DS-S3-001", name: "no encryption",
			violating: without(goodBucket("docs"), "-sse")},
		{rule: "DS-S3-001", name: "log delivery bucket on KMS",
			violating: goodBucket("alb-logs", "LogDelivery", "alb")},
		{rule: "DS-S3-002", name: "versioning",
			compliant: goodBucket("docs"),
			violating: replace(goodBucket("docs"), "-versioning", versioning(bucket("docs"), "Suspended"))},
		{rule: "DS-S3-002", name: "no versioning resource",
			violating: without(goodBucket("docs"), "-versioning")},
		{rule: "DS-S3-003", name: "public access block",
			compliant: goodBucket("docs"),
			violating: replace(goodBucket("docs"), "-pab", pab(bucket("docs"), "restrictPublicBuckets"))},
		{rule: "DS-S3-003", name: "no public access block",
			violating: without(goodBucket("docs"), "-pab")},
		{rule: "DS-S3-004", name: "tls-only policy",
			compliant: goodBucket("docs"),
			violating: replace(goodBucket("docs"), "-policy", tlsPolicy(bucket("docs"), false))},
		{rule: "DS-S3-004", name: "a deny on the wrong condition value",
			// Deny when SecureTransport is "true" refuses TLS and admits plain HTTP.
			violating: replace(goodBucket("docs"), "-policy", res("aws:s3/bucketPolicy:BucketPolicy", "docs-policy", map[string]any{"bucket": "docs",
				"policy": `{"Statement":[{"Effect":"Deny","Principal":{"AWS":"*"},"Action":"s3:*","Resource":["arn:aws:s3:::docs","arn:aws:s3:::docs/*"],"Condition":{"Bool":{"aws:SecureTransport":"true"}}}]}`}))},
		{rule: "DS-S3-004", name: "no policy",
			violating: without(goodBucket("docs"), "-policy")},
		{rule: "DS-S3-005", name: "documents replicate",
			compliant: join(goodBucket("docs", "Purpose", "documents"), []*fx{
				res("aws:s3/bucketReplicationConfig:BucketReplicationConfig", "docs-replication",
					map[string]any{"bucket": "docs", "rules": []any{map[string]any{"status": "Enabled"}}}),
				res("aws:s3/bucketLoggingV2:BucketLoggingV2", "docs-logging", map[string]any{"bucket": "docs", "targetBucket": "logs"}),
			}),
			violating: goodBucket("docs", "Purpose", "documents")},
		{rule: "DS-S3-006", name: "documents access logs",
			compliant: join(goodBucket("docs", "Purpose", "documents"), []*fx{
				res("aws:s3/bucketLoggingV2:BucketLoggingV2", "docs-logging", map[string]any{"bucket": "docs", "targetBucket": "logs"}),
			}),
			violating: goodBucket("docs", "Purpose", "documents")},

		{rule: "DS-RDS-001", name: "storage encrypted with a CMK",
			compliant: []*fx{dbGood},
			violating: []*fx{dbInstance("db", "dev", map[string]any{"storageEncrypted": false, "kmsKeyId": nil})}},
		{rule: "DS-RDS-002", name: "force_ssl",
			compliant: []*fx{dbGood, pgWith("pg", "1")},
			violating: []*fx{dbInstance("db", "prod", nil).refs("parameterGroupName", pgWith("pg", "0")), pgWith("pg", "0")}},
		{rule: "DS-RDS-002", name: "default parameter group",
			violating: []*fx{dbInstance("db", "prod", map[string]any{"parameterGroupName": nil})}},
		{rule: "DS-RDS-003", name: "backup retention prod",
			compliant: []*fx{dbGood, dbInstance("dev-db", "dev", map[string]any{"backupRetentionPeriod": 7})},
			violating: []*fx{dbInstance("db", "prod", map[string]any{"backupRetentionPeriod": 7})}},
		{rule: "DS-RDS-003", name: "backup retention absent",
			violating: []*fx{dbInstance("db", "dev", map[string]any{"backupRetentionPeriod": nil})}},
		{rule: "DS-RDS-004", name: "not public",
			compliant: []*fx{dbGood},
			violating: []*fx{dbInstance("db", "prod", map[string]any{"publiclyAccessible": true})}},
		{rule: "DS-RDS-005", name: "no plaintext password",
			compliant: []*fx{dbGood},
			violating: []*fx{dbInstance("db", "prod", map[string]any{"manageMasterUserPassword": nil, "password": "hunter2hunter2"})}},
		{rule: "DS-RDS-005", name: "aurora cluster password",
			violating: []*fx{res("aws:rds/cluster:Cluster", "c", map[string]any{"masterPassword": "x", "storageEncrypted": true, "kmsKeyId": keyArn})}},
		{rule: "DS-RDS-006", name: "deletion protection in prod",
			compliant: []*fx{dbGood, dbInstance("dev-db", "dev", map[string]any{"deletionProtection": false, "backupRetentionPeriod": 7})},
			violating: []*fx{dbInstance("db", "prod", map[string]any{"deletionProtection": false})}},

		{rule: "DS-RDS-007", name: "connection and audit logging",
			compliant: []*fx{dbInstance("db", "prod", nil).refs("parameterGroupName", pgAudit("pg", nil)), pgAudit("pg", nil)},
			violating: []*fx{dbInstance("db", "prod", nil).refs("parameterGroupName", pgAudit("pg", map[string]string{"log_connections": "0"})),
				pgAudit("pg", map[string]string{"log_connections": "0"})}},
		{rule: "DS-RDS-007", name: "pgaudit not loaded",
			violating: []*fx{dbInstance("db", "prod", nil).refs("parameterGroupName", pgAudit("pg", map[string]string{"shared_preload_libraries": "pg_stat_statements"})),
				pgAudit("pg", map[string]string{"shared_preload_libraries": "pg_stat_statements"})}},
		{rule: "DS-WAF-001", name: "managed rule groups block",
			compliant: []*fx{webACL(map[string]any{"none": map[string]any{}})},
			violating: []*fx{webACL(map[string]any{"count": map[string]any{}})}},
		{rule: "DS-WAF-002", name: "request logs to an aws-waf-logs- bucket, authorization redacted",
			compliant: wafLogging("arn:aws:s3:::aws-waf-logs-docustack-dev-111111111111", "authorization", "cookie"),
			violating: wafLogging("arn:aws:s3:::aws-waf-logs-docustack-dev-111111111111", "cookie")},
		{rule: "DS-WAF-002", name: "no logging configuration",
			violating: []*fx{webACL(map[string]any{"none": map[string]any{}})}},
		{rule: "DS-WAF-002", name: "logs to a log group the archive never receives",
			violating: wafLogging("arn:aws:logs:us-east-1:111111111111:log-group:aws-waf-logs-x", "authorization")},
		{rule: "DS-CFG-002", name: "password policy and its remediation",
			compliant: passwordRule(`{"MinimumPasswordLength":"14","RequireUppercaseCharacters":"true","RequireLowercaseCharacters":"true","RequireSymbols":"true","RequireNumbers":"true","PasswordReusePrevention":"24","MaxPasswordAge":"90"}`, "14"),
			violating: passwordRule(`{"MinimumPasswordLength":"8","RequireUppercaseCharacters":"true","RequireLowercaseCharacters":"true","RequireSymbols":"true","RequireNumbers":"true","PasswordReusePrevention":"24","MaxPasswordAge":"90"}`, "8")},
		{rule: "DS-CFG-002", name: "remediation weaker than the rule",
			violating: passwordRule(`{"MinimumPasswordLength":"14","RequireUppercaseCharacters":"true","RequireLowercaseCharacters":"true","RequireSymbols":"true","RequireNumbers":"true","PasswordReusePrevention":"24","MaxPasswordAge":"90"}`, "8")},

		{rule: "DS-CFG-003", name: "a pack rule judged with the parameter the pack deploys",
			compliant: []*fx{retentionPack(`"90"`), logGroup(90), logGroup(0)},
			violating: []*fx{retentionPack(""), logGroup(90)}},
		{rule: "DS-CFG-003", name: "a pack parameter stricter than the resource",
			violating: []*fx{retentionPack(`"180"`), logGroup(90)}},
		{rule: "DS-CFG-003", name: "an account-level rule with nothing in the plan to satisfy it",
			compliant: []*fx{configRule("EC2_EBS_ENCRYPTION_BY_DEFAULT"), res("aws:ebs/encryptionByDefault:EncryptionByDefault", "ebs", map[string]any{"enabled": true})},
			violating: []*fx{configRule("EC2_EBS_ENCRYPTION_BY_DEFAULT")}},
		{rule: "DS-CFG-003", name: "a deployed rule the analysis has no model for",
			violating: []*fx{configRule("DYNAMODB_PITR_ENABLED")}},
		{rule: "DS-CFG-003", name: "a custom rule, whose logic no model reads",
			violating: []*fx{res("aws:cfg/rule:Rule", "custom", map[string]any{"name": "custom",
				"source": map[string]any{"owner": "CUSTOM_LAMBDA", "sourceIdentifier": "arn:aws:lambda:us-east-1:111111111111:function:check"}})}},
		{rule: "DS-CFG-003", name: "a pack template in S3, named by a dependency while its URI is unknown (preview)",
			compliant: s3Pack(`"90"`),
			violating: s3Pack("")},
		{rule: "DS-CFG-003", name: "a pack whose template cannot be read",
			violating: []*fx{res("aws:cfg/conformancePack:ConformancePack", "pack", map[string]any{"name": "p", "templateS3Uri": "s3://elsewhere/p.yaml"})}},

		{rule: "DS-NET-001", name: "no public IPs in private tiers",
			compliant: []*fx{res("aws:ec2/subnet:Subnet", "private-0", map[string]any{"mapPublicIpOnLaunch": false, "tags": tags("Tier", "private")})},
			violating: []*fx{res("aws:ec2/subnet:Subnet", "database-0", map[string]any{"mapPublicIpOnLaunch": true, "tags": tags("Tier", "database")})}},
		{rule: "DS-NET-002", name: "database tier isolated",
			compliant: []*fx{dbRT, res("aws:ec2/route:Route", "private-nat", map[string]any{"routeTableId": "private-rt", "natGatewayId": "nat"})},
			violating: []*fx{dbRT, res("aws:ec2/route:Route", "db-nat", map[string]any{"routeTableId": unknown, "natGatewayId": "nat"}).refs("routeTableId", dbRT)}},
		{rule: "DS-NET-002", name: "inline route",
			violating: []*fx{res("aws:ec2/routeTable:RouteTable", "db-rt", map[string]any{"tags": tags("Tier", "database"),
				"routes": []any{map[string]any{"cidrBlock": "0.0.0.0/0", "gatewayId": "igw"}}})}},
		{rule: "DS-NET-003", name: "only 443 from the internet",
			compliant: []*fx{ingress("alb-https", ecsSG, map[string]any{"ipProtocol": "tcp", "fromPort": 443, "toPort": 443, "cidrIpv4": "0.0.0.0/0"})},
			violating: []*fx{ingress("ssh", ecsSG, map[string]any{"ipProtocol": "tcp", "fromPort": 22, "toPort": 22, "cidrIpv4": "0.0.0.0/0"})}},
		{rule: "DS-NET-003", name: "no port 80, not even for a redirect (seed: ALB HTTPS 443 only)",
			compliant: []*fx{albSG(), ingress("alb-https", albSG(), map[string]any{"ipProtocol": "tcp", "fromPort": 443, "toPort": 443, "cidrIpv4": "0.0.0.0/0"})},
			violating: redirectLB(albSG(), "redirect")},
		{rule: "DS-NET-003", name: "port 80 without a load balancer",
			violating: []*fx{albSG(), ingress("alb-http", albSG(), map[string]any{"ipProtocol": "tcp", "fromPort": 80, "toPort": 80, "cidrIpv4": "0.0.0.0/0"})}},
		{rule: "DS-NET-003", name: "inline all-traffic ingress",
			violating: []*fx{res("aws:ec2/securityGroup:SecurityGroup", "open", map[string]any{"ingress": []any{
				map[string]any{"protocol": "-1", "fromPort": 0, "toPort": 0, "cidrBlocks": []string{"0.0.0.0/0"}}}})}},
		{rule: "DS-NET-004", name: "rds from security groups only",
			compliant: []*fx{rdsSG, ecsSG, ingress("rds-in", rdsSG, map[string]any{"ipProtocol": "tcp", "fromPort": 5432, "toPort": 5432, "referencedSecurityGroupId": unknown}).refs("referencedSecurityGroupId", ecsSG)},
			violating: []*fx{rdsSG, ingress("rds-cidr", rdsSG, map[string]any{"ipProtocol": "tcp", "fromPort": 5432, "toPort": 5432, "cidrIpv4": "10.0.10.0/24"})}},
		{rule: "DS-NET-004", name: "rds egress",
			violating: []*fx{rdsSG, res("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule", "rds-out",
				map[string]any{"securityGroupId": unknown, "ipProtocol": "-1", "cidrIpv4": "0.0.0.0/0"}).refs("securityGroupId", rdsSG)}},
		{rule: "DS-NET-005", name: "flow logs",
			compliant: []*fx{vpc, res("aws:ec2/flowLog:FlowLog", "fl", map[string]any{"vpcId": unknown, "trafficType": "ALL"}).refs("vpcId", vpc)},
			violating: []*fx{vpc, res("aws:ec2/flowLog:FlowLog", "fl", map[string]any{"vpcId": unknown, "trafficType": "REJECT"}).refs("vpcId", vpc)}},

		{rule: "DS-ECS-001", name: "no public IP",
			compliant: []*fx{res("aws:ecs/service:Service", "web", map[string]any{"networkConfiguration": map[string]any{"assignPublicIp": false}})},
			violating: []*fx{res("aws:ecs/service:Service", "web", map[string]any{"networkConfiguration": map[string]any{"assignPublicIp": true}})}},
		{rule: "DS-ALB-001", name: "https with tls 1.2 and redirect",
			compliant: []*fx{
				res("aws:lb/listener:Listener", "https", map[string]any{"protocol": "HTTPS", "sslPolicy": "ELBSecurityPolicy-TLS13-1-2-2021-06"}),
				res("aws:lb/listener:Listener", "http", map[string]any{"protocol": "HTTP", "defaultActions": []any{
					map[string]any{"type": "redirect", "redirect": map[string]any{"protocol": "HTTPS", "port": "443", "statusCode": "HTTP_301"}}}}),
			},
			violating: []*fx{res("aws:lb/listener:Listener", "https", map[string]any{"protocol": "HTTPS", "sslPolicy": "ELBSecurityPolicy-2016-08"})}},
		{rule: "DS-ALB-001", name: "http forwarding",
			violating: []*fx{res("aws:lb/listener:Listener", "http", map[string]any{"protocol": "HTTP", "defaultActions": []any{
				map[string]any{"type": "forward", "targetGroupArn": "tg"}}})}},
		{rule: "DS-ALB-002", name: "https to targets",
			compliant: []*fx{res("aws:lb/targetGroup:TargetGroup", "web", map[string]any{"protocol": "HTTPS", "port": 8080, "targetType": "ip"})},
			violating: []*fx{res("aws:lb/targetGroup:TargetGroup", "web", map[string]any{"protocol": "HTTP", "port": 8080, "targetType": "ip"})}},
		{rule: "DS-ECR-001", name: "scan, immutable, kms",
			compliant: []*fx{res("aws:ecr/repository:Repository", "web", map[string]any{"imageTagMutability": "IMMUTABLE",
				"imageScanningConfiguration": map[string]any{"scanOnPush": true},
				"encryptionConfigurations":   []any{map[string]any{"encryptionType": "KMS", "kmsKey": keyArn}}})},
			violating: []*fx{res("aws:ecr/repository:Repository", "web", map[string]any{"imageTagMutability": "MUTABLE"})}},
		{rule: "DS-LMB-001", name: "active tracing",
			compliant: []*fx{res("aws:lambda/function:Function", "init", map[string]any{"tracingConfig": map[string]any{"mode": "Active"}})},
			violating: []*fx{res("aws:lambda/function:Function", "init", map[string]any{"tracingConfig": map[string]any{"mode": "PassThrough"}})}},
		{rule: "DS-LMB-001", name: "no tracing config",
			violating: []*fx{res("aws:lambda/function:Function", "init", map[string]any{})}},

		{rule: "DS-LOG-001", name: "retention",
			compliant: []*fx{res("aws:cloudwatch/logGroup:LogGroup", "app", map[string]any{"retentionInDays": 90})},
			violating: []*fx{res("aws:cloudwatch/logGroup:LogGroup", "app", map[string]any{})}},
		{rule: "DS-LOG-001", name: "short retention",
			violating: []*fx{res("aws:cloudwatch/logGroup:LogGroup", "app", map[string]any{"retentionInDays": 30})}},
		{rule: "DS-LOG-002", name: "trail",
			compliant: []*fx{res("aws:cloudtrail/trail:Trail", "trail", map[string]any{"isMultiRegionTrail": true, "enableLogFileValidation": true, "kmsKeyId": keyArn})},
			violating: []*fx{res("aws:cloudtrail/trail:Trail", "trail", map[string]any{"isMultiRegionTrail": false, "enableLogFileValidation": true})}},
		{rule: "DS-CFG-001", name: "seed config rules",
			compliant: append(allSeedConfigRules(true), workloadVPC()),
			violating: append(configRules("ENCRYPTED_VOLUMES"), workloadVPC())},
		{rule: "DS-CFG-001", name: "manual remediation",
			violating: append(allSeedConfigRules(false), workloadVPC())},
		{rule: "DS-CFG-001", name: "not a workload stack",
			compliant: configRules("ENCRYPTED_VOLUMES"), // no VPC: a bootstrap or org stack
			violating: append(configRules(), workloadVPC())},

		{rule: "DS-IAM-001", name: "no star on star",
			compliant: []*fx{
				res("aws:iam/policy:Policy", "p", map[string]any{"policy": `{"Statement":[{"Effect":"Allow","Action":["s3:GetObject"],"Resource":"*"}]}`}),
				res("aws:kms/key:Key", "k", map[string]any{"enableKeyRotation": true, "policy": `{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:root"},"Action":"kms:*","Resource":"*"}]}`}),
			},
			violating: []*fx{res("aws:iam/policy:Policy", "p", map[string]any{"policy": `{"Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`})}},
		{rule: "DS-IAM-001", name: "key policy service with kms:*",
			violating: []*fx{res("aws:kms/key:Key", "k", map[string]any{"enableKeyRotation": true, "policy": `{"Statement":[{"Effect":"Allow","Principal":{"Service":"s3.amazonaws.com"},"Action":"kms:*","Resource":"*"}]}`})}},
		{rule: "DS-IAM-001", name: "role inline policy",
			violating: []*fx{res("aws:iam/role:Role", "r", map[string]any{"inlinePolicies": []any{map[string]any{"name": "x", "policy": `{"Statement":[{"Effect":"Allow","Action":"iam:*","Resource":"*"}]}`}}})}},
		{rule: "DS-IAM-003", name: "named actions only",
			compliant: []*fx{
				res("aws:iam/role:Role", "r", map[string]any{"inlinePolicies": []any{map[string]any{"name": "x", "policy": `{"Statement":[{"Sid":"Read","Effect":"Allow","Action":["s3:GetObject","s3:GetObjectVersion"],"Resource":"arn:aws:s3:::docs/*"},{"Effect":"Deny","Action":"s3:*","Resource":"*"}]}`}}}),
				res("aws:kms/key:Key", "k", map[string]any{"enableKeyRotation": true, "policy": `{"Statement":[{"Sid":"EnableIAMPolicies","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:root"},"Action":"kms:*","Resource":"*"}]}`}),
			},
			violating: []*fx{res("aws:iam/role:Role", "r", map[string]any{"inlinePolicies": []any{map[string]any{"name": "x", "policy": `{"Statement":[{"Sid":"Replicate","Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::replica/*"}]}`}}})}},
		{rule: "DS-IAM-003", name: "service principal in a key policy",
			violating: []*fx{res("aws:kms/key:Key", "k", map[string]any{"enableKeyRotation": true, "policy": `{"Statement":[{"Effect":"Allow","Principal":{"Service":"logs.amazonaws.com"},"Action":"kms:*","Resource":"*"}]}`})}},
		{rule: "DS-IAM-003", name: "bucket policy NotAction",
			violating: []*fx{res("aws:s3/bucketPolicy:BucketPolicy", "bp", map[string]any{"bucket": "b", "policy": `{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:role/x"},"NotAction":"s3:DeleteObject","Resource":"arn:aws:s3:::b/*"}]}`})}},
		{rule: "DS-IAM-002", name: "github subjects",
			compliant: []*fx{githubRole("repo:docustack/infrastructure:pull_request", true), githubRole("repo:docustack/infrastructure:environment:prod", true)},
			violating: []*fx{githubRole("repo:docustack/*", true)}},
		{rule: "DS-IAM-002", name: "github audience",
			violating: []*fx{githubRole("repo:docustack/infrastructure:pull_request", false)}},

		{rule: "DS-GEN-001", name: "region",
			compliant: []*fx{useast, dr, res(tBucket, "replica", map[string]any{"bucket": "replica"}).via(dr), res("aws:ec2/vpc:Vpc", "vpc", map[string]any{}).via(useast)},
			violating: []*fx{dr, res("aws:ec2/vpc:Vpc", "vpc", map[string]any{}).via(dr)}},
		{rule: "DS-GEN-002", name: "protect in prod",
			compliant: []*fx{res("aws:kms/key:Key", "k", map[string]any{"enableKeyRotation": true, "tags": tags("Environment", "prod")}).protect(),
				res("aws:kms/key:Key", "dev-k", map[string]any{"enableKeyRotation": true, "tags": tags("Environment", "dev")})},
			violating: []*fx{res("aws:kms/key:Key", "k", map[string]any{"enableKeyRotation": true, "tags": tags("Environment", "prod")})}},
	}
}

func findingsOf(t *testing.T, rs []policyx.AnalyzerResource, rule string) []rules.Finding {
	t.Helper()
	all, err := rules.Evaluate(rs, rules.Policies())
	require.NoError(t, err)
	var out []rules.Finding
	for _, f := range all {
		if f.Rule == rule {
			out = append(out, f)
		}
	}
	return out
}

// TestRules: every rule reports its non-compliant fixture, with its rule ID
// in the message, and stays quiet on its compliant fixture (cdk-nag style).
func TestRules(t *testing.T) {
	for _, c := range ruleCases() {
		t.Run(c.rule+"/"+c.name, func(t *testing.T) {
			if c.compliant != nil {
				assert.Empty(t, findingsOf(t, stack(c.compliant...), c.rule), "compliant fixture reported")
			}
			bad := findingsOf(t, stack(c.violating...), c.rule)
			require.NotEmpty(t, bad, "non-compliant fixture not reported")
			for _, f := range bad {
				assert.True(t, strings.HasPrefix(f.Message, c.rule+": "), f.Message)
				assert.Contains(t, f.Message, ". Fix: ", "messages carry a remediation hint")
			}
		})
	}
}

func TestEveryRuleHasFixtures(t *testing.T) {
	compliant, violating := map[string]bool{}, map[string]bool{}
	for _, c := range ruleCases() {
		if c.compliant != nil {
			compliant[c.rule] = true
		}
		violating[c.rule] = true
	}
	for _, r := range rules.Rules() {
		assert.True(t, compliant[r.ID], "%s has no compliant fixture", r.ID)
		assert.True(t, violating[r.ID], "%s has no non-compliant fixture", r.ID)
	}
}
