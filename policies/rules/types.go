package rules

// Resource type tokens the rules read (pulumi-aws v6).
const (
	tKMSKey = "aws:kms/key:Key"

	tBucketV2           = "aws:s3/bucketV2:BucketV2"
	tBucketLegacy       = "aws:s3/bucket:Bucket"
	tBucketSSE          = "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2"
	tBucketVersioning   = "aws:s3/bucketVersioningV2:BucketVersioningV2"
	tBucketPAB          = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
	tBucketPolicy       = "aws:s3/bucketPolicy:BucketPolicy"
	tBucketReplication  = "aws:s3/bucketReplicationConfig:BucketReplicationConfig"
	tBucketLogging      = "aws:s3/bucketLoggingV2:BucketLoggingV2"
	tRDSInstance        = "aws:rds/instance:Instance"
	tRDSCluster         = "aws:rds/cluster:Cluster"
	tRDSClusterInstance = "aws:rds/clusterInstance:ClusterInstance"
	tRDSParamGroup      = "aws:rds/parameterGroup:ParameterGroup"
	tRDSClusterParams   = "aws:rds/clusterParameterGroup:ClusterParameterGroup"

	tVpc             = "aws:ec2/vpc:Vpc"
	tSubnet          = "aws:ec2/subnet:Subnet"
	tRoute           = "aws:ec2/route:Route"
	tRouteTable      = "aws:ec2/routeTable:RouteTable"
	tSG              = "aws:ec2/securityGroup:SecurityGroup"
	tSGRule          = "aws:ec2/securityGroupRule:SecurityGroupRule"
	tSGIngress       = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
	tSGEgress        = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
	tFlowLog         = "aws:ec2/flowLog:FlowLog"
	tECSService      = "aws:ecs/service:Service"
	tListener        = "aws:lb/listener:Listener"
	tLoadBalancer    = "aws:lb/loadBalancer:LoadBalancer"
	tLoadBalancerALB = "aws:alb/loadBalancer:LoadBalancer"
	tListenerALB     = "aws:alb/listener:Listener"
	tTargetGroup     = "aws:lb/targetGroup:TargetGroup"
	tTargetGrpALB    = "aws:alb/targetGroup:TargetGroup"
	tECRRepo         = "aws:ecr/repository:Repository"
	tLambdaFunction  = "aws:lambda/function:Function"

	tLogGroup    = "aws:cloudwatch/logGroup:LogGroup"
	tTrail       = "aws:cloudtrail/trail:Trail"
	tConfigRule  = "aws:cfg/rule:Rule"
	tRemediation = "aws:cfg/remediationConfiguration:RemediationConfiguration"

	tIAMPolicy      = "aws:iam/policy:Policy"
	tIAMRole        = "aws:iam/role:Role"
	tIAMRolePolicy  = "aws:iam/rolePolicy:RolePolicy"
	tIAMUserPolicy  = "aws:iam/userPolicy:UserPolicy"
	tIAMGroupPol    = "aws:iam/groupPolicy:GroupPolicy"
	tSNSTopicPolicy = "aws:sns/topicPolicy:TopicPolicy"

	tBackupVault   = "aws:backup/vault:Vault"
	tKMSReplicaKey = "aws:kms/replicaKey:ReplicaKey"
	tKMSAlias      = "aws:kms/alias:Alias"
	tAWSProvider   = "pulumi:providers:aws"
)

// Tags the platform's components set and rules read.
const (
	tagTier = "Tier"
	tagRole = "Role"
	// tagLogDelivery marks a bucket that receives AWS log deliveries that only
	// support SSE-S3 (ALB access logs, S3 server access logs).
	tagLogDelivery = "LogDelivery"
	// tagPurpose "documents" marks buckets holding customer documents (PHI).
	tagPurpose = "Purpose"
)

// HIPAA Security Rule sections.
const (
	hipaaEncryption   = "§164.312(a)(2)(iv)"
	hipaaAudit        = "§164.312(b)"
	hipaaTransmission = "§164.312(e)(1)"
	hipaaAccess       = "§164.312(a)(1)"
	hipaaIntegrity    = "§164.312(c)(1)"
	hipaaContingency  = "§164.308(a)(7)(ii)(A)"
	hipaaAuth         = "§164.312(d)"
)
