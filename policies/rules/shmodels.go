package rules

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"
)

// Offline models of the rules the enabled Security Hub controls run, beyond
// those the deployed Config rules already need (managedrules.go). Managed
// rules cite their AWS Config page; Security Hub's own logic cites its
// control's page in the Security Hub User Guide.

const shDoc = "https://docs.aws.amazon.com/securityhub/latest/userguide/"

// Further resource types these models read.
const (
	tASG              = "aws:autoscaling/group:Group"
	tAlternateContact = "aws:account/alternativeContact:AlternativeContact"
	tACMCert          = "aws:acm/certificate:Certificate"
	tACMValidation    = "aws:acm/certificateValidation:CertificateValidation"
	tAlarm            = "aws:cloudwatch/metricAlarm:MetricAlarm"
	tMetricFilter     = "aws:cloudwatch/logMetricFilter:LogMetricFilter"
	tSNSTopic         = "aws:sns/topic:Topic"
	tSNSSubscription  = "aws:sns/topicSubscription:TopicSubscription"
	tSnapshotPerm     = "aws:ec2/snapshotCreateVolumePermission:SnapshotCreateVolumePermission"
	tVPCEndpoint      = "aws:ec2/vpcEndpoint:VpcEndpoint"
	tEIP              = "aws:ec2/eip:Eip"
	tNATGateway       = "aws:ec2/natGateway:NatGateway"
	tNACL             = "aws:ec2/networkAcl:NetworkAcl"
	tNACLRule         = "aws:ec2/networkAclRule:NetworkAclRule"
	tNACLAssoc        = "aws:ec2/networkAclAssociation:NetworkAclAssociation"
	tECRLifecycle     = "aws:ecr/lifecyclePolicy:LifecyclePolicy"
	tECSCluster       = "aws:ecs/cluster:Cluster"
	tTaskDef          = "aws:ecs/taskDefinition:TaskDefinition"
	tRolePolicyAttach = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
	tInstanceProfile  = "aws:iam/instanceProfile:InstanceProfile"
	tLambda           = "aws:lambda/function:Function"
	tLambdaPermission = "aws:lambda/permission:Permission"
	tBucketLifecycle  = "aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2"
	tBucketNotify     = "aws:s3/bucketNotification:BucketNotification"
	tBucketOwnership  = "aws:s3/bucketOwnershipControls:BucketOwnershipControls"
	tBucketACL        = "aws:s3/bucketAclV2:BucketAclV2"
	tSecret           = "aws:secretsmanager/secret:Secret"
	tSecretRotation   = "aws:secretsmanager/secretRotation:SecretRotation"
	tSSMDocument      = "aws:ssm/document:Document"
	tConfigRecorder   = "aws:cfg/recorder:Recorder"
	tRecorderStatus   = "aws:cfg/recorderStatus:RecorderStatus"
)

func init() {
	for k, m := range securityHubManagedRules {
		if _, dup := managedRules[k]; dup {
			panic("rules: " + k + " is modelled twice")
		}
		managedRules[k] = m
	}
}

// instanceSources are what launches the EC2 instances and volumes the
// controls judge: instances, and the launch templates Auto Scaling groups
// start them from at run time.
var instanceSources = []string{tEC2Instance, tLaunchTemplate}

var securityHubManagedRules = map[string]managedRule{
	"SECURITY_ACCOUNT_INFORMATION_PROVIDED": {Doc: cfgDoc + "security-account-information-provided.html",
		Eval: account(func(s *Stack, _ map[string]string) string {
			for _, c := range s.OfType(tAlternateContact) {
				if c.S("alternateContactType") == "SECURITY" {
					return ""
				}
			}
			return "the account has no SECURITY alternate contact in the plan"
		})},
	// Membership is the organization's: the management account invites or
	// creates the account; no resource of a member account's plan sets it.
	"ACCOUNT_PART_OF_ORGANIZATIONS": {Doc: cfgDoc + "account-part-of-organizations.html",
		OutsidePlan: "the organization's management account holds the membership (the org stack's SCP attachments name this account's OU); see docs/runbooks/account-root.md"},
	// ACM renews an issued certificate it can validate (DNS validation with
	// its record in place); it never renews an imported one.
	// https://docs.aws.amazon.com/acm/latest/userguide/managed-renewal.html
	"ACM_CERTIFICATE_EXPIRATION_CHECK": {Doc: cfgDoc + "acm-certificate-expiration-check.html", Defaults: map[string]string{"daysToExpiration": "14"},
		Eval: each([]string{tACMCert}, func(s *Stack, c Res, p map[string]string) string {
			switch {
			case c.Has("privateKey") || c.Has("certificateBody"):
				return c.Label() + " is imported; ACM does not renew it before it comes within " + p["daysToExpiration"] + " days of expiry"
			case c.S("validationMethod") != "DNS":
				return c.Label() + " is validated by email; its renewal waits on a person answering ACM's email"
			case len(s.Children(c, "certificateArn", tACMValidation)) == 0:
				return c.Label() + " has no DNS validation in the plan, so ACM cannot renew it"
			}
			return ""
		})},
	"AUTOSCALING_GROUP_ELB_HEALTHCHECK_REQUIRED": {Doc: cfgDoc + "autoscaling-group-elb-healthcheck-required.html",
		Eval: each([]string{tASG}, func(_ *Stack, g Res, _ map[string]string) string {
			if g.Len("loadBalancers") > 0 && g.S("healthCheckType") != "ELB" {
				return g.Label() + " serves a Classic Load Balancer without ELB health checks"
			}
			return ""
		})},
	"AUTOSCALING_MULTIPLE_AZ": {Doc: cfgDoc + "autoscaling-multiple-az.html",
		Eval: each([]string{tASG}, func(s *Stack, g Res, _ map[string]string) string {
			azs := append(g.Strings("availabilityZones"), subnetAZs(s, g, "vpcZoneIdentifiers")...)
			if n := len(uniq(azs)); n < 2 {
				return fmt.Sprintf("%s spans %d Availability Zone(s)", g.Label(), n)
			}
			return ""
		})},
	"AUTOSCALING_MULTIPLE_INSTANCE_TYPES": {Doc: cfgDoc + "autoscaling-multiple-instance-types.html",
		Eval: each([]string{tASG}, func(_ *Stack, g Res, _ map[string]string) string {
			var types []string
			for i := 0; i < g.Len("mixedInstancesPolicy.launchTemplate.overrides"); i++ {
				types = append(types, g.S(fmt.Sprintf("mixedInstancesPolicy.launchTemplate.overrides.%d.instanceType", i)))
			}
			if len(uniq(types)) < 2 {
				return g.Label() + " launches one instance type"
			}
			return ""
		})},
	"AUTOSCALING_LAUNCH_TEMPLATE": {Doc: cfgDoc + "autoscaling-launch-template.html",
		Eval: each([]string{tASG}, func(_ *Stack, g Res, _ map[string]string) string {
			if g.Has("launchTemplate") || g.Has("mixedInstancesPolicy.launchTemplate") {
				return ""
			}
			return g.Label() + " launches from a launch configuration, not a launch template"
		})},
	"CLOUDWATCH_ALARM_ACTION_CHECK": {Doc: cfgDoc + "cloudwatch-alarm-action-check.html",
		Defaults: map[string]string{"alarmActionRequired": "true", "insufficientDataActionRequired": "true", "okActionRequired": "false"},
		Eval: each([]string{tAlarm}, func(_ *Stack, a Res, p map[string]string) string {
			for param, prop := range map[string]string{"alarmActionRequired": "alarmActions", "insufficientDataActionRequired": "insufficientDataActions", "okActionRequired": "okActions"} {
				if p[param] == "true" && a.Len(prop) == 0 && !a.Unknown(prop) {
					return fmt.Sprintf("%s has no %s (%s)", a.Label(), prop, param)
				}
			}
			return ""
		})},
	"CLOUDWATCH_ALARM_ACTION_ENABLED_CHECK": {Doc: cfgDoc + "cloudwatch-alarm-action-enabled-check.html",
		Eval: each([]string{tAlarm}, func(_ *Stack, a Res, _ map[string]string) string {
			if boolOr(a, "actionsEnabled", true) {
				return ""
			}
			return a.Label() + " has its actions deactivated"
		})},
	"EBS_SNAPSHOT_PUBLIC_RESTORABLE_CHECK": {Doc: cfgDoc + "ebs-snapshot-public-restorable-check.html",
		Eval: account(func(s *Stack, _ map[string]string) string {
			for _, p := range s.OfType(tSnapshotPerm) {
				if strings.EqualFold(p.S("accountId"), "all") {
					return p.Label() + " makes a snapshot restorable by anyone"
				}
			}
			return ""
		})},
	"SERVICE_VPC_ENDPOINT_ENABLED": {Doc: cfgDoc + "service-vpc-endpoint-enabled.html",
		Eval: each([]string{tVpc}, func(s *Stack, v Res, p map[string]string) string {
			for _, e := range s.Children(v, "vpcId", tVPCEndpoint) {
				if strings.HasSuffix(e.S("serviceName"), "."+p["serviceName"]) {
					return ""
				}
			}
			return fmt.Sprintf("%s has no VPC endpoint for %s", v.Label(), p["serviceName"])
		})},
	"EIP_ATTACHED": {Doc: cfgDoc + "eip-attached.html",
		Eval: each([]string{tEIP}, func(s *Stack, e Res, _ map[string]string) string {
			if e.Has("instance") || e.Has("networkInterface") || len(s.Children(e, "allocationId", tNATGateway)) > 0 {
				return ""
			}
			return e.Label() + " is attached to no instance or network interface"
		})},
	"INCOMING_SSH_DISABLED": {Doc: cfgDoc + "restricted-ssh.html",
		Eval: openPorts("SSH", 22)},
	"VPC_NETWORK_ACL_UNUSED_CHECK": {Doc: cfgDoc + "vpc-network-acl-unused-check.html",
		Eval: each([]string{tNACL}, func(s *Stack, n Res, _ map[string]string) string {
			if n.Has("subnetIds") || len(s.Children(n, "networkAclId", tNACLAssoc)) > 0 {
				return ""
			}
			return n.Label() + " is associated with no subnet"
		})},
	"EC2_INSTANCE_MULTIPLE_ENI_CHECK": {Doc: cfgDoc + "ec2-instance-multiple-eni-check.html",
		Eval: each(instanceSources, func(_ *Stack, r Res, _ map[string]string) string {
			if n := r.Len("networkInterfaces"); n > 1 {
				return fmt.Sprintf("%s gives its instances %d network interfaces", r.Label(), n)
			}
			return ""
		})},
	"NACL_NO_UNRESTRICTED_SSH_RDP": {Doc: cfgDoc + "nacl-no-unrestricted-ssh-rdp.html",
		Eval: each([]string{tNACL}, func(s *Stack, n Res, _ map[string]string) string {
			type entry struct {
				action, protocol, cidr string
				from, to               float64
			}
			var entries []entry
			for i := 0; i < n.Len("ingress"); i++ {
				p := fmt.Sprintf("ingress.%d.", i)
				from, _ := n.Num(p + "fromPort")
				to, _ := n.Num(p + "toPort")
				entries = append(entries, entry{n.S(p + "action"), n.S(p + "protocol"), n.S(p+"cidrBlock") + n.S(p+"ipv6CidrBlock"), from, to})
			}
			for _, r := range s.Children(n, "networkAclId", tNACLRule) {
				if isTrue(r, "egress") {
					continue
				}
				from, _ := r.Num("fromPort")
				to, _ := r.Num("toPort")
				entries = append(entries, entry{r.S("ruleAction"), r.S("protocol"), r.S("cidrBlock") + r.S("ipv6CidrBlock"), from, to})
			}
			for _, e := range entries {
				if !strings.EqualFold(e.action, "allow") || (e.cidr != internetV4 && e.cidr != internetV6) {
					continue
				}
				all := e.protocol == "-1" || e.protocol == "all"
				tcp := e.protocol == "tcp" || e.protocol == "6"
				for _, port := range []float64{22, 3389} {
					if all || tcp && e.from <= port && port <= e.to {
						return fmt.Sprintf("%s admits %s on port %.0f", n.Label(), e.cidr, port)
					}
				}
			}
			return ""
		})},
	// Attached means to a network interface at evaluation time: a group only
	// a stopped bastion's template or a service scaled to zero names has
	// none, and the periodic rule finds it unused.
	"EC2_SECURITY_GROUP_ATTACHED_TO_ENI_PERIODIC": {Doc: cfgDoc + "ec2-security-group-attached-to-eni-periodic.html",
		Eval: each([]string{tSG}, func(s *Stack, sg Res, _ map[string]string) string {
			if users := sgUsers(s, sg); len(users) == 0 {
				return sg.Label() + " is named by no resource that runs a network interface"
			}
			return ""
		})},
	// Paravirtual guests exist only on previous-generation families; current
	// instance types run HVM.
	// https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/virtualization_types.html
	"EC2_PARAVIRTUAL_INSTANCE_CHECK": {Doc: cfgDoc + "ec2-paravirtual-instance-check.html",
		Eval: each(instanceSources, func(_ *Stack, r Res, _ map[string]string) string {
			family, _, _ := strings.Cut(r.S("instanceType"), ".")
			if containsAny([]string{"c1", "c3", "hs1", "m1", "m2", "m3", "t1"}, family) {
				return r.Label() + " uses " + r.S("instanceType") + ", a family that runs paravirtual AMIs"
			}
			return ""
		})},
	"EC2_LAUNCH_TEMPLATE_PUBLIC_IP_DISABLED": {Doc: cfgDoc + "ec2-launch-template-public-ip-disabled.html",
		Eval: each([]string{tLaunchTemplate}, func(_ *Stack, t Res, _ map[string]string) string {
			for i := 0; i < t.Len("networkInterfaces"); i++ {
				if t.S(fmt.Sprintf("networkInterfaces.%d.associatePublicIpAddress", i)) == "true" {
					return t.Label() + " assigns a public IP to its network interfaces"
				}
			}
			return ""
		})},
	"EBS_RESOURCES_PROTECTED_BY_BACKUP_PLAN": {Doc: cfgDoc + "ebs-resources-protected-by-backup-plan.html",
		Eval: each(append([]string{tEBSVolume}, instanceSources...), func(s *Stack, r Res, _ map[string]string) string {
			if backupSelects(s, "volume") {
				return ""
			}
			return r.Label() + "'s volumes are in no backup selection"
		})},
	"EC2_INSTANCES_IN_VPC": {Doc: cfgDoc + "ec2-instances-in-vpc.html",
		Eval: each(instanceSources, func(s *Stack, r Res, _ map[string]string) string {
			if r.Has("subnetId") || r.Has("networkInterfaces") || len(launchingGroups(s, r)) > 0 && allInVPC(launchingGroups(s, r)) {
				return ""
			}
			return r.Label() + " is launched outside a VPC"
		})},
	// An Auto Scaling group replaces instances; it never leaves one stopped.
	"EC2_STOPPED_INSTANCE": {Doc: cfgDoc + "ec2-stopped-instance.html", Defaults: map[string]string{"AllowedDays": "30"},
		Eval: each(instanceSources, func(s *Stack, r Res, _ map[string]string) string {
			if r.Type == tEC2Instance && r.S("instanceState") == "stopped" {
				return r.Label() + " is kept stopped"
			}
			return ""
		})},
	"ECR_PRIVATE_TAG_IMMUTABILITY_ENABLED": {Doc: cfgDoc + "ecr-private-tag-immutability-enabled.html",
		Eval: each([]string{tECRRepo}, func(_ *Stack, r Res, _ map[string]string) string {
			if r.S("imageTagMutability") == "IMMUTABLE" {
				return ""
			}
			return r.Label() + " has mutable tags"
		})},
	"ECR_PRIVATE_LIFECYCLE_POLICY_CONFIGURED": {Doc: cfgDoc + "ecr-private-lifecycle-policy-configured.html",
		Eval: each([]string{tECRRepo}, func(s *Stack, r Res, _ map[string]string) string {
			if len(s.Children(r, "repository", tECRLifecycle)) > 0 {
				return ""
			}
			return r.Label() + " has no lifecycle policy"
		})},
	// "LATEST" (the provider's default) is what the rule compares with.
	"ECS_FARGATE_LATEST_PLATFORM_VERSION": {Doc: cfgDoc + "ecs-fargate-latest-platform-version.html",
		Eval: each([]string{tECSService}, func(_ *Stack, svc Res, _ map[string]string) string {
			if v := svc.S("platformVersion"); onFargate(svc) && v != "" && v != "LATEST" {
				return svc.Label() + " pins Fargate platform version " + v
			}
			return ""
		})},
	"ECS_CONTAINER_INSIGHTS_ENABLED": {Doc: cfgDoc + "ecs-container-insights-enabled.html",
		Eval: each([]string{tECSCluster}, func(_ *Stack, c Res, _ map[string]string) string {
			for i := 0; i < c.Len("settings"); i++ {
				p := fmt.Sprintf("settings.%d.", i)
				if c.S(p+"name") == "containerInsights" && (c.S(p+"value") == "enabled" || c.S(p+"value") == "enhanced") {
					return ""
				}
			}
			return c.Label() + " does not use Container Insights"
		})},
	"ECS_TASK_DEFINITION_USER_FOR_HOST_MODE_CHECK": {Doc: cfgDoc + "ecs-task-definition-user-for-host-mode-check.html",
		Eval: each([]string{tTaskDef}, func(_ *Stack, td Res, _ map[string]string) string {
			if td.S("networkMode") != "host" {
				return ""
			}
			for _, c := range containerDefs(td) {
				if c["privileged"] != true && (c["user"] == nil || c["user"] == "root" || c["user"] == "") {
					return fmt.Sprintf("%s runs container %v on the host network as root", td.Label(), c["name"])
				}
			}
			return ""
		})},
	"ECS_TASK_DEFINITION_PID_MODE_CHECK": {Doc: cfgDoc + "ecs-task-definition-pid-mode-check.html",
		Eval: each([]string{tTaskDef}, func(_ *Stack, td Res, _ map[string]string) string {
			if td.S("pidMode") == "host" {
				return td.Label() + " shares the host's process namespace"
			}
			return ""
		})},
	"ECS_CONTAINERS_NONPRIVILEGED": {Doc: cfgDoc + "ecs-containers-nonprivileged.html",
		Eval: each([]string{tTaskDef}, func(_ *Stack, td Res, _ map[string]string) string {
			for _, c := range containerDefs(td) {
				if c["privileged"] == true {
					return fmt.Sprintf("%s runs container %v privileged", td.Label(), c["name"])
				}
			}
			return ""
		})},
	"ECS_CONTAINERS_READONLY_ACCESS": {Doc: cfgDoc + "ecs-containers-readonly-access.html",
		Eval: each([]string{tTaskDef}, func(_ *Stack, td Res, _ map[string]string) string {
			for _, c := range containerDefs(td) {
				if c["readonlyRootFilesystem"] != true {
					return fmt.Sprintf("%s gives container %v a writable root filesystem", td.Label(), c["name"])
				}
			}
			return ""
		})},
	"ECS_NO_ENVIRONMENT_SECRETS": {Doc: cfgDoc + "ecs-no-environment-secrets.html",
		Eval: each([]string{tTaskDef}, func(_ *Stack, td Res, p map[string]string) string {
			keys := strings.Split(p["secretKeys"], ",")
			for i := range keys {
				keys[i] = strings.TrimSpace(keys[i])
			}
			for _, c := range containerDefs(td) {
				env, _ := c["environment"].([]any)
				for _, e := range env {
					if m, ok := e.(map[string]any); ok && containsAny(keys, fmt.Sprint(m["name"])) {
						return fmt.Sprintf("%s passes %v to container %v in plain environment", td.Label(), m["name"], c["name"])
					}
				}
			}
			return ""
		})},
	// "defensive" is the load balancer's default mode.
	// https://docs.aws.amazon.com/elasticloadbalancing/latest/application/application-load-balancers.html#desync-mitigation-mode
	"ALB_DESYNC_MODE_CHECK": {Doc: cfgDoc + "alb-desync-mode-check.html",
		Eval: onlyALBs(func(_ *Stack, lb Res, p map[string]string) string {
			mode := lb.S("desyncMitigationMode")
			if mode == "" {
				mode = "defensive"
			}
			for _, ok := range strings.Split(p["desyncMode"], ",") {
				if strings.TrimSpace(ok) == mode {
					return ""
				}
			}
			return lb.Label() + " runs desync mitigation mode " + mode
		})},
	"ELBV2_MULTIPLE_AZ": {Doc: cfgDoc + "elbv2-multiple-az.html", Defaults: map[string]string{"minAvailabilityZones": "2"},
		Eval: each([]string{tLoadBalancer, tLoadBalancerALB}, func(s *Stack, lb Res, p map[string]string) string {
			min, _ := ruleParamInt(p, "minAvailabilityZones")
			azs := subnetAZs(s, lb, "subnets")
			for i := 0; i < lb.Len("subnetMappings"); i++ {
				azs = append(azs, subnetAZs(s, lb, "subnetMappings")...)
			}
			if n := len(uniq(azs)); n < min {
				return fmt.Sprintf("%s spans %d Availability Zone(s), fewer than %d", lb.Label(), n, min)
			}
			return ""
		})},
	"IAM_POLICY_IN_USE": {Doc: cfgDoc + "iam-policy-in-use.html",
		Eval: account(func(s *Stack, p map[string]string) string {
			for _, a := range s.OfType(tRolePolicyAttach) {
				if a.S("policyArn") == p["policyARN"] {
					return ""
				}
			}
			for _, r := range s.OfType(tIAMRole) {
				if containsAny(r.Strings("managedPolicyArns"), p["policyARN"]) {
					return ""
				}
			}
			return "no role of the plan has " + p["policyARN"] + " attached"
		})},
	// Only the Resource element counts; conditions are not read.
	"IAM_INLINE_POLICY_BLOCKED_KMS_ACTIONS": {Doc: cfgDoc + "iam-inline-policy-blocked-kms-actions.html",
		Eval: each([]string{tIAMRole}, func(s *Stack, r Res, p map[string]string) string {
			if a := blockedOnAnyKey(inlinePolicies(s, r), p["blockedActionsPatterns"]); a != "" {
				return fmt.Sprintf("%s allows %s on every KMS key (Resource \"*\")", r.Label(), a)
			}
			return ""
		})},
	// Customer managed policies only; a permissions boundary is excluded with
	// excludePermissionBoundaryPolicy (the plan's policies are none).
	"IAM_POLICY_NO_STATEMENTS_WITH_FULL_ACCESS": {Doc: cfgDoc + "iam-policy-no-statements-with-full-access.html",
		Eval: each([]string{tIAMPolicy}, func(_ *Stack, p Res, _ map[string]string) string {
			doc, _ := p.JSONDoc("policy")
			for _, st := range doc.Statement {
				if st.Effect == "Allow" && (wildcardAction(st.Action) || len(st.NotAction) > 0) {
					return fmt.Sprintf("%s allows every action of a service (%s)", p.Label(), quoteList(append(st.Action, st.NotAction...)))
				}
			}
			return ""
		})},
	"IAM_CUSTOMER_POLICY_BLOCKED_KMS_ACTIONS": {Doc: cfgDoc + "iam-customer-policy-blocked-kms-actions.html",
		Eval: each([]string{tIAMPolicy}, func(_ *Stack, p Res, params map[string]string) string {
			doc, _ := p.JSONDoc("policy")
			if a := blockedOnAnyKey([]PolicyDoc{doc}, params["blockedActionsPatterns"]); a != "" {
				return fmt.Sprintf("%s allows %s on every KMS key (Resource \"*\")", p.Label(), a)
			}
			return ""
		})},
	"CMK_BACKING_KEY_ROTATION_ENABLED": {Doc: cfgDoc + "cmk-backing-key-rotation-enabled.html",
		Eval: each([]string{tKMSKey}, func(_ *Stack, k Res, _ map[string]string) string {
			if spec := k.S("customerMasterKeySpec") + k.S("keySpec"); spec != "" && spec != "SYMMETRIC_DEFAULT" {
				return "" // only symmetric keys rotate
			}
			if isTrue(k, "enableKeyRotation") {
				return ""
			}
			return k.Label() + " does not rotate its key material"
		})},
	"LAMBDA_FUNCTION_PUBLIC_ACCESS_PROHIBITED": {Doc: cfgDoc + "lambda-function-public-access-prohibited.html",
		Eval: each([]string{tLambda}, func(s *Stack, f Res, _ map[string]string) string {
			for _, perm := range s.Children(f, "function", tLambdaPermission) {
				principal := perm.S("principal")
				if principal == "*" || principal == "s3.amazonaws.com" && !perm.Has("sourceAccount") {
					return fmt.Sprintf("%s lets %s invoke it from any account", f.Label(), principal)
				}
			}
			return ""
		})},
	// The rule ignores functions packaged as container images.
	"LAMBDA_FUNCTION_SETTINGS_CHECK": {Doc: cfgDoc + "lambda-function-settings-check.html",
		Eval: each([]string{tLambda}, func(_ *Stack, f Res, p map[string]string) string {
			if f.S("packageType") == "Image" || p["runtime"] == "" {
				return ""
			}
			for _, rt := range strings.Split(p["runtime"], ",") {
				if strings.TrimSpace(rt) == f.S("runtime") {
					return ""
				}
			}
			return f.Label() + " runs " + f.S("runtime") + ", not a runtime of the rule's list"
		})},
	"LAMBDA_INSIDE_VPC": {Doc: cfgDoc + "lambda-inside-vpc.html",
		Eval: each([]string{tLambda}, func(_ *Stack, f Res, _ map[string]string) string {
			// Subnets from other resources are unknown during a preview.
			if f.Has("vpcConfig.subnetIds") || f.Unknown("vpcConfig") {
				return ""
			}
			return f.Label() + " runs outside a VPC"
		})},
	"LAMBDA_VPC_MULTI_AZ_CHECK": {Doc: cfgDoc + "lambda-vpc-multi-az-check.html",
		Eval: each([]string{tLambda}, func(s *Stack, f Res, _ map[string]string) string {
			if f.Len("vpcConfig.subnetIds") == 0 {
				return ""
			}
			if n := len(uniq(subnetAZs(s, f, "vpcConfig"))); n < 2 {
				return fmt.Sprintf("%s runs in %d Availability Zone(s)", f.Label(), n)
			}
			return ""
		})},
	"RDS_INSTANCE_IAM_AUTHENTICATION_ENABLED": {Doc: cfgDoc + "rds-instance-iam-authentication-enabled.html",
		Eval: each([]string{tRDSInstance}, func(_ *Stack, db Res, _ map[string]string) string {
			if isAuroraInstance(db) || isTrue(db, "iamDatabaseAuthenticationEnabled") {
				return ""
			}
			return db.Label() + " does not enable IAM database authentication"
		})},
	"RDS_INSTANCE_DEFAULT_ADMIN_CHECK": {Doc: cfgDoc + "rds-instance-default-admin-check.html",
		Eval: each([]string{tRDSInstance}, func(_ *Stack, db Res, _ map[string]string) string {
			if u := db.S("username"); u == "postgres" || u == "admin" {
				return db.Label() + " keeps the default administrator name " + u
			}
			return ""
		})},
	"RDS_RESOURCES_PROTECTED_BY_BACKUP_PLAN": {Doc: cfgDoc + "rds-resources-protected-by-backup-plan.html",
		Eval: func(s *Stack, p map[string]string) []Evaluation { return managedRules["RDS_IN_BACKUP_PLAN"].Eval(s, p) }},
	"RDS_ENHANCED_MONITORING_ENABLED": {Doc: cfgDoc + "rds-enhanced-monitoring-enabled.html",
		Eval: each([]string{tRDSInstance, tRDSClusterInstance}, func(_ *Stack, db Res, _ map[string]string) string {
			if n, _ := db.Num("monitoringInterval"); n > 0 {
				return ""
			}
			return db.Label() + " has Enhanced Monitoring off"
		})},
	"RDS_CLUSTER_DELETION_PROTECTION_ENABLED": {Doc: cfgDoc + "rds-cluster-deletion-protection-enabled.html",
		Eval: each([]string{tRDSCluster}, func(_ *Stack, c Res, _ map[string]string) string {
			if isTrue(c, "deletionProtection") {
				return ""
			}
			return c.Label() + " has deletion protection off"
		})},
	"RDS_CLUSTER_IAM_AUTHENTICATION_ENABLED": {Doc: cfgDoc + "rds-cluster-iam-authentication-enabled.html",
		Eval: each([]string{tRDSCluster}, func(_ *Stack, c Res, _ map[string]string) string {
			if isTrue(c, "iamDatabaseAuthenticationEnabled") {
				return ""
			}
			return c.Label() + " does not enable IAM database authentication"
		})},
	// Backtracking exists only for Aurora MySQL; other engines pass.
	"AURORA_MYSQL_BACKTRACKING_ENABLED": {Doc: cfgDoc + "aurora-mysql-backtracking-enabled.html",
		Eval: each([]string{tRDSCluster}, func(_ *Stack, c Res, _ map[string]string) string {
			if n, _ := c.Num("backtrackWindow"); c.S("engine") != "aurora-mysql" || n > 0 {
				return ""
			}
			return c.Label() + " has no backtrack window"
		})},
	// A cluster is Multi-AZ when it has a reader to fail over to.
	"RDS_CLUSTER_MULTI_AZ_ENABLED": {Doc: cfgDoc + "rds-cluster-multi-az-enabled.html",
		Eval: each([]string{tRDSCluster}, func(s *Stack, c Res, _ map[string]string) string {
			if n := len(s.Children(c, "clusterIdentifier", tRDSClusterInstance)); n < 2 {
				return fmt.Sprintf("%s has %d instance(s), no reader in another Availability Zone", c.Label(), n)
			}
			return ""
		})},
	"RDS_CLUSTER_DEFAULT_ADMIN_CHECK": {Doc: cfgDoc + "rds-cluster-default-admin-check.html",
		Eval: each([]string{tRDSCluster}, func(_ *Stack, c Res, _ map[string]string) string {
			if u := c.S("masterUsername"); u == "postgres" || u == "admin" {
				return c.Label() + " keeps the default administrator name " + u
			}
			return ""
		})},
	"S3_BUCKET_BLACKLISTED_ACTIONS_PROHIBITED": {Doc: cfgDoc + "s3-bucket-blacklisted-actions-prohibited.html",
		Eval: each(bucketTypes, func(s *Stack, b Res, p map[string]string) string {
			owner := s.accountOf(b)
			for _, pol := range s.Children(b, "bucket", tBucketPolicy) {
				doc, _ := pol.JSONDoc("policy")
				for _, st := range doc.Statement {
					if st.Effect != "Allow" {
						continue
					}
					for _, who := range st.principals("AWS") {
						if acct := principalAccount(who); acct == owner {
							continue
						}
						for _, a := range st.Action {
							for _, b := range strings.Split(p["blacklistedactionpatterns"], ",") {
								if iamGlob(a, strings.TrimSpace(b)) {
									return fmt.Sprintf("%s lets %s (another account) %s", pol.Label(), who, strings.TrimSpace(b))
								}
							}
						}
					}
				}
			}
			return ""
		})},
	"S3_BUCKET_LEVEL_PUBLIC_ACCESS_PROHIBITED": {Doc: cfgDoc + "s3-bucket-level-public-access-prohibited.html",
		Eval: each(bucketTypes, func(s *Stack, b Res, _ map[string]string) string {
			if publicAccessBlocked(s, b) {
				return ""
			}
			return b.Label() + " does not block all four kinds of public access"
		})},
	"S3_VERSION_LIFECYCLE_POLICY_CHECK": {Doc: cfgDoc + "s3-version-lifecycle-policy-check.html",
		Eval: each(bucketTypes, func(s *Stack, b Res, _ map[string]string) string {
			if !bucketVersioned(s, b) || len(s.Children(b, "bucket", tBucketLifecycle)) > 0 || b.Has("lifecycleRules") {
				return ""
			}
			return b.Label() + " is versioned without a lifecycle configuration"
		})},
	// The rule reads the notification configurations to SNS, SQS and Lambda
	// in the bucket's configuration item.
	"S3_EVENT_NOTIFICATIONS_ENABLED": {Doc: cfgDoc + "s3-event-notifications-enabled.html",
		Eval: each(bucketTypes, func(s *Stack, b Res, _ map[string]string) string {
			for _, n := range s.Children(b, "bucket", tBucketNotify) {
				if n.Len("topics")+n.Len("queues")+n.Len("lambdaFunctions") > 0 {
					return ""
				}
			}
			return b.Label() + " sends no event notifications"
		})},
	"S3_BUCKET_ACL_PROHIBITED": {Doc: cfgDoc + "s3-bucket-acl-prohibited.html",
		Eval: each(bucketTypes, func(s *Stack, b Res, _ map[string]string) string {
			for _, o := range s.Children(b, "bucket", tBucketOwnership) {
				if o.S("rule.objectOwnership") == "BucketOwnerEnforced" {
					return ""
				}
			}
			if len(s.Children(b, "bucket", tBucketACL)) > 0 || b.Has("acl") || b.Has("grants") {
				return b.Label() + " manages access with ACLs"
			}
			return ""
		})},
	"S3_LIFECYCLE_POLICY_CHECK": {Doc: cfgDoc + "s3-lifecycle-policy-check.html",
		Eval: each(bucketTypes, func(s *Stack, b Res, _ map[string]string) string {
			if len(s.Children(b, "bucket", tBucketLifecycle)) > 0 || b.Has("lifecycleRules") {
				return ""
			}
			return b.Label() + " has no lifecycle configuration"
		})},
	"SNS_ENCRYPTED_KMS": {Doc: cfgDoc + "sns-encrypted-kms.html",
		Eval: each([]string{tSNSTopic}, func(_ *Stack, t Res, _ map[string]string) string {
			if t.Has("kmsMasterKeyId") {
				return ""
			}
			return t.Label() + " is not encrypted with a KMS key"
		})},
	"SNS_TOPIC_MESSAGE_DELIVERY_NOTIFICATION_ENABLED": {Doc: cfgDoc + "sns-topic-message-delivery-notification-enabled.html",
		Eval: each([]string{tSNSTopic}, func(_ *Stack, t Res, _ map[string]string) string {
			for _, k := range []string{"applicationFailureFeedbackRoleArn", "firehoseFailureFeedbackRoleArn", "httpFailureFeedbackRoleArn", "lambdaFailureFeedbackRoleArn", "sqsFailureFeedbackRoleArn"} {
				if t.Has(k) {
					return ""
				}
			}
			return t.Label() + " logs no delivery status"
		})},
	"EC2_INSTANCE_MANAGED_BY_SSM": {Doc: cfgDoc + "ec2-instance-managed-by-systems-manager.html",
		Eval: each(instanceSources, func(s *Stack, r Res, _ map[string]string) string {
			for _, role := range instanceRoles(s, r) {
				for _, a := range s.Children(role, "role", tRolePolicyAttach) {
					if strings.HasSuffix(a.S("policyArn"), ":policy/AmazonSSMManagedInstanceCore") {
						return ""
					}
				}
			}
			return r.Label() + "'s instance role lacks AmazonSSMManagedInstanceCore, so Systems Manager cannot manage its instances"
		})},
	"SSM_DOCUMENT_NOT_PUBLIC": {Doc: cfgDoc + "ssm-document-not-public.html",
		Eval: each([]string{tSSMDocument}, func(_ *Stack, d Res, _ map[string]string) string {
			if strings.EqualFold(d.S("permissions.accountIds"), "all") {
				return d.Label() + " is shared with everyone"
			}
			return ""
		})},
	"SECRETSMANAGER_ROTATION_ENABLED_CHECK": {Doc: cfgDoc + "secretsmanager-rotation-enabled-check.html",
		Eval: each([]string{tSecret}, func(s *Stack, sec Res, _ map[string]string) string {
			if len(s.Children(sec, "secretId", tSecretRotation)) > 0 {
				return ""
			}
			return sec.Label() + " has no automatic rotation"
		})},
	// The rule judges only secrets that rotate; the plan cannot tell a
	// rotation's outcome, so a rotating secret is judged by its schedule.
	"SECRETSMANAGER_SCHEDULED_ROTATION_SUCCESS_CHECK": {Doc: cfgDoc + "secretsmanager-scheduled-rotation-success-check.html",
		Eval: func(s *Stack, _ map[string]string) []Evaluation {
			var out []Evaluation
			for _, sec := range s.OfType(tSecret) {
				if len(s.Children(sec, "secretId", tSecretRotation)) > 0 {
					out = append(out, Evaluation{URN: sec.URN, Compliant: true})
				}
			}
			return out
		}},
	"SECRETSMANAGER_SECRET_UNUSED": {Doc: cfgDoc + "secretsmanager-secret-unused.html",
		Eval: each([]string{tSecret}, func(s *Stack, sec Res, _ map[string]string) string {
			if len(readersOf(s, sec)) > 0 {
				return ""
			}
			return sec.Label() + " is read by nothing in the plan"
		})},
	"SECRETSMANAGER_SECRET_PERIODIC_ROTATION": {Doc: cfgDoc + "secretsmanager-secret-periodic-rotation.html", Defaults: map[string]string{"maxDaysSinceRotation": "90"},
		Eval: each([]string{tSecret}, func(s *Stack, sec Res, p map[string]string) string {
			if len(s.Children(sec, "secretId", tSecretRotation)) > 0 {
				return ""
			}
			return fmt.Sprintf("%s never rotates, so it is older than %s days after its first %s", sec.Label(), p["maxDaysSinceRotation"], p["maxDaysSinceRotation"])
		})},
	"WAFV2_WEBACL_NOT_EMPTY": {Doc: cfgDoc + "wafv2-webacl-not-empty.html",
		Eval: each([]string{tWebACL}, func(_ *Stack, a Res, _ map[string]string) string {
			if a.Len("rules") > 0 || a.Has("ruleJson") {
				return ""
			}
			return a.Label() + " has no rules"
		})},
	"WAFV2_LOGGING_ENABLED": {Doc: cfgDoc + "wafv2-logging-enabled.html",
		Eval: each([]string{tWebACL}, func(s *Stack, a Res, _ map[string]string) string {
			if len(s.Children(a, "resourceArn", tWebACLLogging)) > 0 {
				return ""
			}
			return a.Label() + " does not log"
		})},
}

// securityHubRules are the offline models of the controls Security Hub
// runs with its own logic, each from its control's page.
var securityHubRules = map[string]managedRule{
	"SH:ECS_SERVICE_ASSIGN_PUBLIC_IP_DISABLED": {Doc: shDoc + "ecs-controls.html#ecs-2",
		Eval: each([]string{tECSService}, func(_ *Stack, svc Res, _ map[string]string) string {
			if isTrue(svc, "networkConfiguration.assignPublicIp") {
				return svc.Label() + " assigns its tasks public IPs"
			}
			return ""
		})},
	"SH:VPC_SG_RESTRICTED_COMMON_PORTS": {Doc: shDoc + "ec2-controls.html#ec2-19",
		Eval: openPorts("a high-risk port", 20, 21, 22, 23, 25, 110, 135, 143, 445, 1433, 1434, 3000, 3306, 3389, 4333, 5000, 5432, 5500, 5601, 8080, 8088, 8888, 9200, 9300)},
	"SH:RDS_INSTANCE_COPY_TAGS_TO_SNAPSHOTS_ENABLED": {Doc: shDoc + "rds-controls.html#rds-17",
		Eval: each([]string{tRDSInstance}, func(_ *Stack, db Res, _ map[string]string) string {
			if isAuroraInstance(db) || isTrue(db, "copyTagsToSnapshot") {
				return ""
			}
			return db.Label() + " does not copy its tags to snapshots"
		})},
	"SH:RDS_CLUSTER_COPY_TAGS_TO_SNAPSHOTS_ENABLED": {Doc: shDoc + "rds-controls.html#rds-16",
		Eval: each([]string{tRDSCluster}, func(_ *Stack, c Res, _ map[string]string) string {
			if isTrue(c, "copyTagsToSnapshot") {
				return ""
			}
			return c.Label() + " does not copy its tags to snapshots"
		})},
	"SH:RDS_DEPLOYED_IN_VPC": {Doc: shDoc + "rds-controls.html#rds-18",
		Eval: each([]string{tRDSInstance}, func(_ *Stack, db Res, _ map[string]string) string {
			if db.Has("dbSubnetGroupName") || isAuroraInstance(db) {
				return ""
			}
			return db.Label() + " has no DB subnet group, so it is outside a VPC"
		})},
	// The engines' default ports, from the RDS User Guide's connection pages.
	"SH:RDS_NO_DEFAULT_PORTS": {Doc: shDoc + "rds-controls.html#rds-23",
		Eval: each([]string{tRDSInstance}, func(_ *Stack, db Res, _ map[string]string) string {
			if isAuroraInstance(db) {
				return ""
			}
			def := map[string]float64{"postgres": 5432, "mysql": 3306, "mariadb": 3306, "oracle-ee": 1521, "oracle-se2": 1521, "sqlserver-ee": 1433, "sqlserver-se": 1433, "sqlserver-ex": 1433, "sqlserver-web": 1433}[db.S("engine")]
			port, set := db.Num("port")
			if !set || port == def {
				return fmt.Sprintf("%s listens on %s's default port %.0f", db.Label(), db.S("engine"), def)
			}
			return ""
		})},
	// Security Hub looks for the exact CIS pattern on the log group of a
	// multi-Region trail of the account, an alarm on the filter's metric, and
	// a subscriber to the alarm's topic.
	"SH:CIS_METRIC_FILTER_ALARM": {Doc: shDoc + "cloudwatch-controls.html",
		Eval: account(func(s *Stack, p map[string]string) string { return cisMetricFilter(s, p["pattern"]) })},
	// Evaluated where the trail's bucket lives; elsewhere the control has no
	// data, so a trail delivering to another account's bucket is not judged.
	"SH:CLOUDTRAIL_BUCKET_NOT_PUBLIC": {Doc: shDoc + "cloudtrail-controls.html#cloudtrail-6",
		Eval: trailBuckets(func(s *Stack, b Res) string {
			if publicAccessBlocked(s, b) && len(publicAllows(s, b, "s3:GetObject", "s3:ListBucket")) == 0 {
				return ""
			}
			return b.Label() + ", the trail's bucket, is not closed to the public"
		})},
	"SH:CLOUDTRAIL_BUCKET_ACCESS_LOGGING": {Doc: shDoc + "cloudtrail-controls.html#cloudtrail-7",
		Eval: trailBuckets(func(s *Stack, b Res) string {
			if len(s.Children(b, "bucket", tBucketLogging)) > 0 || b.Has("loggings") {
				return ""
			}
			return b.Label() + ", the trail's bucket, has no server access logging"
		})},
	"SH:CONFIG_ENABLED_ALL_RESOURCES": {Doc: shDoc + "config-controls.html#config-1",
		Eval: account(func(s *Stack, _ map[string]string) string {
			for _, r := range s.OfType(tConfigRecorder) {
				if !isTrue(r, "recordingGroup.allSupported") || !isTrue(r, "recordingGroup.includeGlobalResourceTypes") {
					return r.Label() + " does not record all resources, global ones included"
				}
				for _, st := range s.OfType(tRecorderStatus) {
					if isTrue(st, "isEnabled") {
						return ""
					}
				}
				return r.Label() + " is never started"
			}
			return "no configuration recorder in the plan"
		})},
}

// openPorts judges each security group's ingress from anywhere on ports.
func openPorts(what string, ports ...int) func(*Stack, map[string]string) []Evaluation {
	return func(s *Stack, _ map[string]string) []Evaluation {
		var out []Evaluation
		rules := sgRules(s)
		for _, sg := range s.OfType(tSG) {
			note := ""
			for _, r := range rules {
				if r.egress || !r.open() || !s.belongsTo(r, sg) {
					continue
				}
				for _, port := range ports {
					if r.protocol == "-1" || (r.protocol == "tcp" || r.protocol == "6") && r.from <= port && port <= r.to {
						note = fmt.Sprintf("%s admits the internet on %s (%d)", sg.Label(), what, port)
					}
				}
			}
			out = append(out, Evaluation{URN: sg.URN, Compliant: note == "", Note: note})
		}
		return out
	}
}

// subnetAZs are the Availability Zones of the plan's subnets a property
// refers to.
func subnetAZs(s *Stack, r Res, prop string) []string {
	var out []string
	for _, sub := range s.OfType(tSubnet) {
		if s.Refers(r, prop, sub) {
			out = append(out, sub.S("availabilityZone")+sub.S("availabilityZoneId"))
		}
	}
	return out
}

func uniq(v []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, x := range v {
		if x != "" && !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	sort.Strings(out)
	return out
}

// containerDefs decodes a task definition's container definitions.
func containerDefs(td Res) []map[string]any {
	var out []map[string]any
	_ = json.Unmarshal([]byte(td.S("containerDefinitions")), &out)
	return out
}

func onFargate(svc Res) bool {
	if svc.S("launchType") == "FARGATE" {
		return true
	}
	for i := 0; i < svc.Len("capacityProviderStrategies"); i++ {
		if strings.HasPrefix(svc.S(fmt.Sprintf("capacityProviderStrategies.%d.capacityProvider", i)), "FARGATE") {
			return true
		}
	}
	return false
}

// launchingGroups are the Auto Scaling groups that launch from a template.
func launchingGroups(s *Stack, lt Res) []Res {
	if lt.Type != tLaunchTemplate {
		return nil
	}
	var out []Res
	for _, g := range s.OfType(tASG) {
		if s.Refers(g, "launchTemplate", lt) || s.Refers(g, "mixedInstancesPolicy", lt) {
			out = append(out, g)
		}
	}
	return out
}

func allInVPC(groups []Res) bool {
	for _, g := range groups {
		if !g.Has("vpcZoneIdentifiers") { // subnet IDs may be unknown in a preview
			return false
		}
	}
	return true
}

// sgUsers are the resources that put a security group on a network
// interface while they run: anything that depends on the group except its
// own rules, with launch templates counted through groups that keep an
// instance running and services through a running task.
func sgUsers(s *Stack, sg Res) []Res {
	var out []Res
	for _, r := range s.Resources {
		if r.URN == sg.URN || r.Type == tSGIngress || r.Type == tSGEgress || r.Type == tSGRule || r.Type == tSG {
			continue
		}
		uses := false
		for _, deps := range r.PropertyDependencies {
			for _, d := range deps {
				if d == sg.URN {
					uses = true
				}
			}
		}
		if !uses {
			continue
		}
		switch r.Type {
		case tLaunchTemplate:
			running := false
			for _, g := range launchingGroups(s, r) {
				if n, _ := g.Num("minSize"); n > 0 {
					running = true
				}
				if n, _ := g.Num("desiredCapacity"); n > 0 {
					running = true
				}
			}
			if !running {
				continue
			}
		case tECSService:
			if n, ok := r.Num("desiredCount"); ok && n == 0 {
				continue
			}
		}
		out = append(out, r)
	}
	return out
}

// backupSelects reports whether a backup selection of the plan takes the
// resources of a kind ("volume", "db"): by an ARN pattern naming them, or
// by every resource ("*").
func backupSelects(s *Stack, kind string) bool {
	for _, sel := range s.OfType(tBackupSelection) {
		for _, arn := range sel.Strings("resources") {
			if arn == "*" || strings.Contains(arn, ":"+kind+"/") || strings.Contains(arn, ":"+kind+":") {
				return true
			}
		}
	}
	return false
}

func bucketVersioned(s *Stack, b Res) bool {
	for _, v := range s.Children(b, "bucket", tBucketVersioning) {
		if v.S("versioningConfiguration.status") == "Enabled" {
			return true
		}
	}
	return isTrue(b, "versioning.enabled")
}

// accountOf is the account a resource is created in: its provider's one
// allowed account.
func (s *Stack) accountOf(r Res) string {
	prov := Res{policyx.AnalyzerResource{Type: r.Provider.Type, Properties: r.Provider.Properties}}
	if ids := prov.Strings("allowedAccountIds"); len(ids) == 1 {
		return ids[0]
	}
	for _, p := range s.OfType(tAWSProvider) {
		if ids := p.Strings("allowedAccountIds"); len(ids) == 1 {
			return ids[0]
		}
	}
	return ""
}

var arnAccount = regexp.MustCompile(`^arn:aws[a-z-]*:iam::(\d{12}):`)

// principalAccount is the account of an AWS principal ("*" for anyone).
func principalAccount(p string) string {
	if m := arnAccount.FindStringSubmatch(p); m != nil {
		return m[1]
	}
	return p
}

// iamGlob matches an IAM action pattern ("kms:*", "kms:ReEncrypt*") against
// an action, case-insensitively, either way round.
func iamGlob(pattern, action string) bool {
	match := func(p, a string) bool {
		re := "^" + strings.ReplaceAll(strings.ReplaceAll(regexp.QuoteMeta(strings.ToLower(p)), `\*`, ".*"), `\?`, ".") + "$"
		ok, _ := regexp.MatchString(re, strings.ToLower(a))
		return ok
	}
	return match(pattern, action) || match(action, pattern)
}

// inlinePolicies are a role's inline policy documents.
func inlinePolicies(s *Stack, role Res) []PolicyDoc {
	var out []PolicyDoc
	for i := 0; i < role.Len("inlinePolicies"); i++ {
		if d, ok := role.JSONDoc(fmt.Sprintf("inlinePolicies.%d.policy", i)); ok {
			out = append(out, d)
		}
	}
	for _, p := range s.Children(role, "role", tIAMRolePolicy) {
		if d, ok := p.JSONDoc("policy"); ok {
			out = append(out, d)
		}
	}
	return out
}

// instanceRoles are the roles an instance source's instance profile holds.
func instanceRoles(s *Stack, r Res) []Res {
	var out []Res
	for _, prof := range s.OfType(tInstanceProfile) {
		if !s.Refers(r, "iamInstanceProfile", prof) && !s.Refers(r, "iamInstanceProfile.arn", prof) && !dependsOn(r, prof) {
			continue
		}
		for _, role := range s.OfType(tIAMRole) {
			if s.Refers(prof, "role", role) {
				out = append(out, role)
			}
		}
	}
	return out
}

func dependsOn(r, target Res) bool {
	for _, deps := range r.PropertyDependencies {
		for _, d := range deps {
			if d == target.URN {
				return true
			}
		}
	}
	return false
}

// readersOf are the resources that name a secret: a task definition's
// secrets, a function's environment, a policy granting it.
func readersOf(s *Stack, sec Res) []Res {
	var out []Res
	for _, r := range s.Resources {
		if r.URN != sec.URN && dependsOn(r, sec) {
			out = append(out, r)
		}
	}
	return out
}

// trailBuckets judges the buckets of the plan a trail delivers to.
func trailBuckets(check func(s *Stack, b Res) string) func(*Stack, map[string]string) []Evaluation {
	return func(s *Stack, _ map[string]string) []Evaluation {
		var out []Evaluation
		for _, t := range s.OfType(tTrail) {
			for _, b := range s.OfType(bucketTypes...) {
				if b.S("bucket") == t.S("s3BucketName") || s.Refers(t, "s3BucketName", b) {
					note := check(s, b)
					out = append(out, Evaluation{URN: b.URN, Compliant: note == "", Note: note})
				}
			}
		}
		return out
	}
}

// cisPattern normalizes a metric filter pattern for comparison: Security
// Hub wants CIS's exact terms, not its spacing.
func cisPattern(p string) string { return strings.Join(strings.Fields(p), "") }

func cisMetricFilter(s *Stack, pattern string) string {
	var groups []string
	for _, t := range s.OfType(tTrail) {
		if !isTrue(t, "isMultiRegionTrail") || !t.Has("cloudWatchLogsGroupArn") {
			continue
		}
		arn := strings.TrimSuffix(t.S("cloudWatchLogsGroupArn"), ":*")
		if i := strings.Index(arn, ":log-group:"); i >= 0 {
			groups = append(groups, arn[i+len(":log-group:"):])
		}
	}
	if len(groups) == 0 {
		return "no multi-Region trail of the account sends its events to CloudWatch Logs"
	}
	for _, f := range s.OfType(tMetricFilter) {
		if !containsAny(groups, f.S("logGroupName")) || cisPattern(f.S("pattern")) != cisPattern(pattern) {
			continue
		}
		for _, a := range s.OfType(tAlarm) {
			if a.S("metricName") != f.S("metricTransformation.name") || a.S("namespace") != f.S("metricTransformation.namespace") {
				continue
			}
			for _, sub := range s.OfType(tSNSSubscription) {
				if sameTarget(a, "alarmActions", sub, "topic") {
					return ""
				}
			}
			return a.Label() + " alarms on the filter but notifies no topic with a subscriber"
		}
		return f.Label() + " has the CIS pattern but no alarm on its metric"
	}
	return "no metric filter on the trail's log group has the CIS pattern " + pattern
}

// blockedOnAnyKey is the first blocked action pattern ("kms:Decrypt, ...")
// an Allow statement grants on Resource "*"; conditions are not read.
func blockedOnAnyKey(docs []PolicyDoc, patterns string) string {
	for _, doc := range docs {
		for _, st := range doc.Statement {
			if st.Effect != "Allow" || !containsAny(st.Resource, "*") {
				continue
			}
			for _, a := range st.Action {
				for _, b := range strings.Split(patterns, ",") {
					if iamGlob(a, strings.TrimSpace(b)) {
						return strings.TrimSpace(b)
					}
				}
			}
		}
	}
	return ""
}

// sameTarget reports whether two resources' properties name the same
// resource: through a common property dependency (during a preview the
// values are unknown), or by an equal known value.
func sameTarget(a Res, aProp string, b Res, bProp string) bool {
	for _, x := range a.PropertyDependencies[aProp] {
		for _, y := range b.PropertyDependencies[bProp] {
			if x == y {
				return true
			}
		}
	}
	for _, x := range a.Strings(aProp) {
		for _, y := range b.Strings(bProp) {
			if x != "" && x == y {
				return true
			}
		}
	}
	return false
}
