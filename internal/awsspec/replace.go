package awsspec

import (
	"sort"
	"strings"
)

// The replace table: which inputs of each pulumi-aws type the engine
// answers with a replacement (delete and create) rather than an update.
//
// Two sources decide it:
//   - The provider. pulumi-aws v6.83.2 is bridged from the Terraform AWS
//     provider; the bridge plans a replacement exactly where the Terraform
//     schema marks an attribute ForceNew, so providerForceNew is what the
//     engine does. Each entry is the type's ForceNew arguments, read from its
//     schema in terraform-provider-aws (internal/service/<service>/<file>.go,
//     the "Forces new resource" of the provider's documentation); the files
//     read through the search tool for the reconciliation below are at commit
//     ProviderCommit.
//   - AWS. The CloudFormation registry's causesReplacement (data/cfn.json)
//     says which properties AWS's own API cannot change in place.
//
// Where the two disagree on an input the plans use, reconciled says which wins
// and why; TestReplaceTableCoversThePlans fails for any (type, input) of the
// four plans where they disagree without a reconciliation, and for any type
// neither source decides. The provider wins for what the engine does (it is
// the engine's own plan); AWS's verdict is kept in the note.

// ProviderCommit is the terraform-provider-aws commit whose files were read
// for the reconciliations below.
const ProviderCommit = "2bf0eb1701b4d963203b07b619337250fb1c6845"

// "*" means every input: the resource is immutable.
var providerForceNew = map[string][]string{
	"aws:account/alternativeContact:AlternativeContact":                      {"accountId", "alternateContactType"},
	"aws:acm/certificate:Certificate":                                        {"domainName", "subjectAlternativeNames", "keyAlgorithm", "certificateAuthorityArn", "validationMethod"},
	"aws:acm/certificateValidation:CertificateValidation":                    {"certificateArn", "validationRecordFqdns"},
	"aws:appautoscaling/target:Target":                                       {"resourceId", "scalableDimension", "serviceNamespace"},
	"aws:appautoscaling/policy:Policy":                                       {"name", "resourceId", "scalableDimension", "serviceNamespace"},
	"aws:autoscaling/group:Group":                                            {"name", "namePrefix"},
	"aws:backup/plan:Plan":                                                   {"name"},
	"aws:backup/selection:Selection":                                         {"*"},
	"aws:backup/vault:Vault":                                                 {"name", "kmsKeyArn"},
	"aws:backup/vaultLockConfiguration:VaultLockConfiguration":               {"*"},
	"aws:cfg/conformancePack:ConformancePack":                                {"name"},
	"aws:cfg/deliveryChannel:DeliveryChannel":                                {"name"},
	"aws:cfg/recorder:Recorder":                                              {"name"},
	"aws:cfg/recorderStatus:RecorderStatus":                                  {"name"},
	"aws:cfg/remediationConfiguration:RemediationConfiguration":              {"configRuleName"},
	"aws:cfg/rule:Rule":                                                      {"name"},
	"aws:cloudtrail/trail:Trail":                                             {"name"},
	"aws:cloudwatch/eventRule:EventRule":                                     {"name", "namePrefix", "eventBusName"},
	"aws:cloudwatch/eventTarget:EventTarget":                                 {"rule", "targetId", "eventBusName"},
	"aws:cloudwatch/logGroup:LogGroup":                                       {"name", "namePrefix", "logGroupClass"},
	"aws:cloudwatch/logMetricFilter:LogMetricFilter":                         {"name", "logGroupName"},
	"aws:cloudwatch/metricAlarm:MetricAlarm":                                 {"name"},
	"aws:ec2/defaultSecurityGroup:DefaultSecurityGroup":                      {"vpcId"},
	"aws:ec2/eip:Eip":                                                        {"address", "customerOwnedIpv4Pool", "domain", "networkBorderGroup", "publicIpv4Pool"},
	"aws:ec2/flowLog:FlowLog":                                                {"*"},
	"aws:ec2/instance:Instance":                                              {"ami", "availabilityZone", "subnetId", "privateIp", "keyName", "tenancy", "hostId", "placementGroup", "launchTemplate"},
	"aws:ec2/internetGateway:InternetGateway":                                {},
	"aws:ec2/launchTemplate:LaunchTemplate":                                  {"name", "namePrefix"},
	"aws:ec2/natGateway:NatGateway":                                          {"allocationId", "connectivityType", "privateIp", "subnetId"},
	"aws:ec2/networkAcl:NetworkAcl":                                          {"vpcId"},
	"aws:ec2/networkAclRule:NetworkAclRule":                                  {"*"},
	"aws:ec2/route:Route":                                                    {"routeTableId", "destinationCidrBlock", "destinationIpv6CidrBlock", "destinationPrefixListId"},
	"aws:ec2/routeTable:RouteTable":                                          {"vpcId"},
	"aws:ec2/routeTableAssociation:RouteTableAssociation":                    {"subnetId", "gatewayId"},
	"aws:ec2/securityGroup:SecurityGroup":                                    {"name", "namePrefix", "description", "vpcId"},
	"aws:ec2/subnet:Subnet":                                                  {"availabilityZone", "availabilityZoneId", "cidrBlock", "vpcId", "outpostArn"},
	"aws:ec2/vpc:Vpc":                                                        {"cidrBlock", "ipv4IpamPoolId", "ipv4NetmaskLength"},
	"aws:ec2/vpcEndpoint:VpcEndpoint":                                        {"serviceName", "vpcEndpointType", "vpcId"},
	"aws:ecr/lifecyclePolicy:LifecyclePolicy":                                {"repository"},
	"aws:ecr/pullThroughCacheRule:PullThroughCacheRule":                      {"ecrRepositoryPrefix", "upstreamRegistryUrl"},
	"aws:ecr/repository:Repository":                                          {"name", "encryptionConfigurations"},
	"aws:ecs/cluster:Cluster":                                                {"name"},
	"aws:ecs/clusterCapacityProviders:ClusterCapacityProviders":              {"clusterName"},
	"aws:ecs/service:Service":                                                {"name", "cluster", "launchType", "schedulingStrategy", "iamRole", "deploymentController"},
	"aws:ecs/taskDefinition:TaskDefinition":                                  {"*"},
	"aws:ebs/encryptionByDefault:EncryptionByDefault":                        {},
	"aws:guardduty/detector:Detector":                                        {},
	"aws:guardduty/detectorFeature:DetectorFeature":                          {"detectorId", "name"},
	"aws:iam/instanceProfile:InstanceProfile":                                {"name", "namePrefix", "path"},
	"aws:iam/accountPasswordPolicy:AccountPasswordPolicy":                    {},
	"aws:iam/openIdConnectProvider:OpenIdConnectProvider":                    {"url"},
	"aws:iam/policy:Policy":                                                  {"name", "namePrefix", "path"},
	"aws:iam/role:Role":                                                      {"name", "namePrefix", "path"},
	"aws:iam/rolePolicyAttachment:RolePolicyAttachment":                      {"role", "policyArn"},
	"aws:iam/serviceLinkedRole:ServiceLinkedRole":                            {"awsServiceName", "customSuffix"},
	"aws:kms/alias:Alias":                                                    {"name", "namePrefix"},
	"aws:kms/key:Key":                                                        {"customerMasterKeySpec", "keyUsage", "multiRegion", "customKeyStoreId", "xksKeyId"},
	"aws:lambda/function:Function":                                           {"name", "packageType"},
	"aws:lambda/invocation:Invocation":                                       {"functionName", "qualifier", "triggers"},
	"aws:lb/listener:Listener":                                               {"loadBalancerArn"},
	"aws:lb/loadBalancer:LoadBalancer":                                       {"name", "namePrefix", "internal", "loadBalancerType"},
	"aws:lb/targetGroup:TargetGroup":                                         {"name", "namePrefix", "port", "protocol", "protocolVersion", "targetType", "vpcId"},
	"aws:organizations/policy:Policy":                                        {"type"},
	"aws:organizations/policyAttachment:PolicyAttachment":                    {"policyId", "targetId"},
	"aws:rds/cluster:Cluster":                                                {"availabilityZones", "clusterIdentifier", "clusterIdentifierPrefix", "databaseName", "dbSubnetGroupName", "engine", "kmsKeyId", "masterUsername", "snapshotIdentifier", "storageEncrypted"},
	"aws:rds/clusterInstance:ClusterInstance":                                {"availabilityZone", "clusterIdentifier", "dbSubnetGroupName", "engine", "identifier", "identifierPrefix"},
	"aws:rds/clusterParameterGroup:ClusterParameterGroup":                    {"name", "namePrefix", "family", "description"},
	"aws:rds/instance:Instance":                                              {"availabilityZone", "characterSetName", "dbName", "engine", "kmsKeyId", "storageEncrypted", "timezone", "username"},
	"aws:rds/parameterGroup:ParameterGroup":                                  {"name", "namePrefix", "family", "description"},
	"aws:rds/subnetGroup:SubnetGroup":                                        {"name", "namePrefix"},
	"aws:route53/record:Record":                                              {"name", "type", "zoneId", "setIdentifier"},
	"aws:s3/accountPublicAccessBlock:AccountPublicAccessBlock":               {"accountId"},
	"aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2":   {"bucket", "expectedBucketOwner"},
	"aws:s3/bucketLoggingV2:BucketLoggingV2":                                 {"bucket", "expectedBucketOwner"},
	"aws:s3/bucketObjectLockConfigurationV2:BucketObjectLockConfigurationV2": {"bucket", "expectedBucketOwner"},
	"aws:s3/bucketOwnershipControls:BucketOwnershipControls":                 {"bucket"},
	"aws:s3/bucketPolicy:BucketPolicy":                                       {"bucket"},
	"aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock":                 {"bucket"},
	"aws:s3/bucketReplicationConfig:BucketReplicationConfig":                 {"bucket"},
	"aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2": {"bucket", "expectedBucketOwner"},
	"aws:s3/bucketV2:BucketV2":                                    {"bucket", "bucketPrefix", "objectLockEnabled"},
	"aws:s3/bucketVersioningV2:BucketVersioningV2":                {"bucket", "expectedBucketOwner"},
	"aws:scheduler/schedule:Schedule":                             {"name", "namePrefix", "groupName"},
	"aws:scheduler/scheduleGroup:ScheduleGroup":                   {"name", "namePrefix"},
	"aws:secretsmanager/secret:Secret":                            {"name", "namePrefix"},
	"aws:securityhub/account:Account":                             {},
	"aws:securityhub/standardsSubscription:StandardsSubscription": {"standardsArn"},
	"aws:servicediscovery/httpNamespace:HttpNamespace":            {"name"},
	"aws:sns/topic:Topic":                                         {"name", "namePrefix", "fifoTopic"},
	// internal/service/ssm/document.go (read at 0105d2191ae7e43ba37ba011b916843eddf361ed): only name.
	"aws:ssm/document:Document":                                       {"name"},
	"aws:sns/topicPolicy:TopicPolicy":                                 {"arn"},
	"aws:sns/topicSubscription:TopicSubscription":                     {"endpoint", "protocol", "topic"},
	"aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule":         {"securityGroupId"},
	"aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule":       {"securityGroupId"},
	"aws:wafv2/ipSet:IpSet":                                           {"name", "namePrefix", "scope", "ipAddressVersion"},
	"aws:wafv2/webAcl:WebAcl":                                         {"name", "namePrefix", "scope"},
	"aws:wafv2/webAclAssociation:WebAclAssociation":                   {"resourceArn", "webAclArn"},
	"aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration": {"resourceArn"},
}

// reconciled: where CloudFormation and the provider disagree on an input the
// plans use, which wins and why ("type.input": note). The provider decides
// what the engine does; a note says why AWS's verdict differs.
var reconciled = map[string]string{
	"aws:backup/plan:Plan.name": "provider: ForceNew on name; CloudFormation maps the name into the BackupPlan object, " +
		"which UpdateBackupPlan replaces in place. The engine replaces the plan (and, through planId, its selections).",
	"aws:ec2/routeTableAssociation:RouteTableAssociation.routeTableId": "provider: updates in place with " +
		"ReplaceRouteTableAssociation; CloudFormation's SubnetRouteTableAssociation recreates the association.",
	"aws:kms/key:Key.customerMasterKeySpec": "provider: ForceNew. KMS has no API that changes a key's spec after CreateKey; " +
		"CloudFormation's schema marks KeySpec updatable because its handler creates a new key and swaps it, which is a replacement all the same.",
	"aws:kms/key:Key.keyUsage": "provider: ForceNew, as for the key spec: KMS cannot change a key's usage after CreateKey.",
	"aws:rds/instance:Instance.dbSubnetGroupName": "provider: updates in place (ModifyDBInstance DBSubnetGroupName " +
		"moves the instance between subnet groups); CloudFormation replaces.",
	"aws:rds/instance:Instance.identifier": "provider: renames in place since v5 (ModifyDBInstance NewDBInstanceIdentifier); " +
		"CloudFormation replaces. The endpoint's host name changes with it.",
	"aws:route53/record:Record.type": "provider: ForceNew (a record set is keyed by name and type); CloudFormation " +
		"deletes and creates the record set inside one ChangeResourceRecordSets and calls it an update.",
	"aws:scheduler/schedule:Schedule.groupName": "provider: ForceNew (a schedule is keyed by group and name; " +
		"UpdateSchedule cannot move it); CloudFormation's schema marks it updatable.",
	"aws:sns/topicPolicy:TopicPolicy.arn": "provider: ForceNew (the policy is the topic's Policy attribute, one per topic); " +
		"CloudFormation's TopicPolicy holds a list of topics it updates in place.",
	"aws:ssm/document:Document.documentType": "provider: not ForceNew, an update calls UpdateDocument, which takes no " +
		"DocumentType, so a changed type never reaches AWS; CloudFormation replaces. Change the name with the type.",
	"aws:wafv2/ipSet:IpSet.ipAddressVersion": "provider: ForceNew (UpdateIPSet takes no IPAddressVersion); " +
		"CloudFormation's schema marks it updatable.",
}

func init() {
	// The standalone security-group rule resources (vpc/securityGroup*Rule)
	// change ports, protocol and peer in place with ModifySecurityGroupRules;
	// CloudFormation's SecurityGroupIngress/Egress replace the rule.
	for _, t := range []string{"aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule", "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"} {
		for _, in := range []string{"cidrIpv4", "cidrIpv6", "fromPort", "toPort", "ipProtocol", "referencedSecurityGroupId", "prefixListId"} {
			reconciled[t+"."+in] = "provider: updates the rule in place with ModifySecurityGroupRules; CloudFormation replaces it."
		}
	}
}

// Replaces reports whether a change at an input path (dotted, from the top of
// the inputs) makes the engine replace a resource of the type; known is false
// for a type the table has not decided.
func Replaces(typ, path string) (replace, known bool) {
	props, ok := providerForceNew[typ]
	if !ok {
		return false, false
	}
	top, _, _ := strings.Cut(path, ".")
	for _, p := range props {
		if p == "*" || p == top {
			return true, true
		}
	}
	return false, true
}

// ForceNew returns a copy of a type's replace-causing inputs ("*" for all).
func ForceNew(typ string) ([]string, bool) {
	p, ok := providerForceNew[typ]
	return append([]string(nil), p...), ok
}

// ReplaceTypes lists the types the table decides.
func ReplaceTypes() []string {
	out := make([]string, 0, len(providerForceNew))
	for t := range providerForceNew {
		out = append(out, t)
	}
	sort.Strings(out)
	return out
}

// Verdict is the two sources' answers for one input and the table's decision.
type Verdict struct {
	Type, Input string
	Provider    bool   // the provider forces a new resource
	CFNProperty string // the CloudFormation property, "" when none maps
	CFN         string // "yes", "maybe", "no", or "" when no property maps
	Agree       bool   // the sources agree, or CloudFormation has no counterpart
	Note        string // the reconciliation, where they disagree
}

// Decide returns the verdict for one (type, input).
func Decide(typ, input string) Verdict {
	rep, _ := Replaces(typ, input)
	prop, cfn := CFNProperty(typ, input)
	v := Verdict{Type: typ, Input: input, Provider: rep, CFNProperty: prop, CFN: cfn, Note: reconciled[typ+"."+input]}
	switch cfn {
	case "":
		v.Agree = true // provider-only input: the provider alone decides
	case "yes":
		v.Agree = rep
	case "no":
		v.Agree = !rep
	case "maybe":
		v.Agree = true // AWS replaces only for some changes; the provider's verdict stands
	}
	return v
}
