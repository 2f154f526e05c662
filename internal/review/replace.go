package review

import "strings"

// The properties AWS cannot change in place, per resource type: a change to
// any of them makes the provider delete the resource and create a new one
// (Terraform's "Forces new resource"; pulumi-aws v6 is bridged from the
// Terraform AWS provider v5, whose schema decides). Source for each type: its
// page in the provider's documentation, DocURL(type), where every such
// argument is marked "Forces new resource". "*" means every input: the
// resource is immutable (a task definition revision, a backup selection).
//
// Properties not listed are updated in place. Two the reader may expect here
// are deliberately absent: an RDS instance's `identifier` is renamed in place
// since provider v5 (ModifyDBInstance NewDBInstanceIdentifier), and a log
// group's `kmsKeyId` is associated in place (AssociateKmsKey).
var replaceOnChange = map[string][]string{
	"aws:acm/certificate:Certificate":                                        {"domainName", "subjectAlternativeNames", "keyAlgorithm", "certificateAuthorityArn"},
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
	"aws:ec2/launchTemplate:LaunchTemplate":                                  {"name", "namePrefix"},
	"aws:ec2/natGateway:NatGateway":                                          {"allocationId", "connectivityType", "privateIp", "subnetId"},
	"aws:ec2/networkAcl:NetworkAcl":                                          {"vpcId"},
	"aws:ec2/route:Route":                                                    {"routeTableId", "destinationCidrBlock", "destinationIpv6CidrBlock", "destinationPrefixListId"},
	"aws:ec2/routeTable:RouteTable":                                          {"vpcId"},
	"aws:ec2/routeTableAssociation:RouteTableAssociation":                    {"subnetId", "gatewayId"},
	"aws:ec2/securityGroup:SecurityGroup":                                    {"name", "namePrefix", "description", "vpcId"},
	"aws:ec2/subnet:Subnet":                                                  {"availabilityZone", "availabilityZoneId", "cidrBlock", "vpcId", "outpostArn"},
	"aws:ec2/vpc:Vpc":                                                        {"cidrBlock", "ipv4IpamPoolId", "ipv4NetmaskLength"},
	"aws:ec2/vpcEndpoint:VpcEndpoint":                                        {"serviceName", "vpcEndpointType", "vpcId"},
	"aws:ecr/lifecyclePolicy:LifecyclePolicy":                                {"repository"},
	"aws:ecr/repository:Repository":                                          {"name", "encryptionConfigurations"},
	"aws:ecs/cluster:Cluster":                                                {"name"},
	"aws:ecs/clusterCapacityProviders:ClusterCapacityProviders":              {"clusterName"},
	"aws:ecs/service:Service":                                                {"name", "cluster", "launchType", "schedulingStrategy", "iamRole"},
	"aws:ecs/taskDefinition:TaskDefinition":                                  {"*"},
	"aws:guardduty/detectorFeature:DetectorFeature":                          {"detectorId", "name"},
	"aws:iam/instanceProfile:InstanceProfile":                                {"name", "namePrefix", "path"},
	"aws:iam/openIdConnectProvider:OpenIdConnectProvider":                    {"url"},
	"aws:iam/role:Role":                                                      {"name", "namePrefix", "path"},
	"aws:iam/rolePolicyAttachment:RolePolicyAttachment":                      {"role", "policyArn"},
	"aws:kms/alias:Alias":                                                    {"name", "namePrefix"},
	"aws:kms/key:Key":                                                        {"customerMasterKeySpec", "keyUsage", "multiRegion", "customKeyStoreId", "xksKeyId"},
	"aws:lambda/function:Function":                                           {"name", "packageType"},
	"aws:lambda/invocation:Invocation":                                       {"functionName", "qualifier"},
	"aws:lb/listener:Listener":                                               {"loadBalancerArn"},
	"aws:lb/loadBalancer:LoadBalancer":                                       {"name", "namePrefix", "internal", "loadBalancerType"},
	"aws:lb/targetGroup:TargetGroup":                                         {"name", "namePrefix", "port", "protocol", "protocolVersion", "targetType", "vpcId"},
	"aws:organizations/policy:Policy":                                        {"type"},
	"aws:organizations/policyAttachment:PolicyAttachment":                    {"policyId", "targetId"},
	"aws:rds/instance:Instance":                                              {"availabilityZone", "characterSetName", "dbName", "engine", "kmsKeyId", "storageEncrypted", "timezone", "username"},
	"aws:rds/parameterGroup:ParameterGroup":                                  {"name", "namePrefix", "family"},
	"aws:rds/subnetGroup:SubnetGroup":                                        {"name", "namePrefix"},
	"aws:route53/record:Record":                                              {"name", "type", "zoneId", "setIdentifier"},
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
	"aws:securityhub/standardsSubscription:StandardsSubscription": {"standardsArn"},
	"aws:servicediscovery/httpNamespace:HttpNamespace":            {"name"},
	"aws:sns/topic:Topic":                                         {"name", "namePrefix", "fifoTopic"},
	"aws:sns/topicPolicy:TopicPolicy":                             {"arn"},
	"aws:sns/topicSubscription:TopicSubscription":                 {"endpoint", "protocol", "topic"},
	"aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule":     {"securityGroupId"},
	"aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule":   {"securityGroupId"},
	"aws:wafv2/ipSet:IpSet":                                       {"name", "namePrefix", "scope", "ipAddressVersion"},
	"aws:wafv2/webAcl:WebAcl":                                     {"name", "namePrefix", "scope"},
	"aws:wafv2/webAclAssociation:WebAclAssociation":               {"resourceArn", "webAclArn"},
}

// noReplaceProperties are the types the stacks use whose inputs all update
// in place (or that have none a change could reach), so the table's test
// can tell a decision from an omission.
var noReplaceProperties = map[string]bool{
	"aws:ec2/internetGateway:InternetGateway": true, // vpcId: detach and attach in place
	"aws:guardduty/detector:Detector":         true,
	"aws:securityhub/account:Account":         true,
}

// stateful are the types whose replacement or deletion loses data or
// cryptographic material that no `pulumi up` brings back: a stop sign.
var stateful = map[string]string{
	"aws:rds/instance:Instance":                                "database",
	"aws:rds/cluster:Cluster":                                  "database",
	"aws:s3/bucketV2:BucketV2":                                 "bucket",
	"aws:s3/bucket:Bucket":                                     "bucket",
	"aws:kms/key:Key":                                          "KMS key",
	"aws:backup/vault:Vault":                                   "backup vault",
	"aws:cloudwatch/logGroup:LogGroup":                         "log group",
	"aws:ecr/repository:Repository":                            "image repository",
	"aws:secretsmanager/secret:Secret":                         "secret",
	"aws:dynamodb/table:Table":                                 "table",
	"aws:cloudtrail/trail:Trail":                               "audit trail",
	"aws:backup/vaultLockConfiguration:VaultLockConfiguration": "vault lock",
}

// ReplaceProperties returns the replace-causing properties of a type (a
// copy), and whether the table knows the type.
func ReplaceProperties(typ string) ([]string, bool) {
	p, ok := replaceOnChange[typ]
	return append([]string(nil), p...), ok
}

// replaces reports whether a change at property path (dotted, from the top
// of the inputs) makes the provider replace a resource of type typ.
func replaces(typ, path string) bool {
	top, _, _ := strings.Cut(path, ".")
	for _, p := range replaceOnChange[typ] {
		if p == "*" || p == top {
			return true
		}
	}
	return false
}

// DocURL is the provider documentation page of a resource type, where its
// "Forces new resource" arguments are listed.
func DocURL(typ string) string {
	// aws:ec2/subnet:Subnet -> ec2/subnet
	mod := strings.TrimPrefix(typ, "aws:")
	mod, _, _ = strings.Cut(mod, ":")
	return "https://www.pulumi.com/registry/packages/aws/api-docs/" + strings.ToLower(mod) + "/"
}
