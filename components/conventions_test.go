package components_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/docustack/infrastructure/components"
)

// untaggable are the resource types AWS (or the provider) cannot tag. Any
// other type must carry every stack tag, so a new resource without tags fails
// here instead of in a cost report.
var untaggable = map[string]bool{}

func init() {
	for _, t := range []string{
		"aws:acm/certificateValidation:CertificateValidation",
		"aws:backup/selection:Selection",
		"aws:backup/vaultLockConfiguration:VaultLockConfiguration",
		"aws:cfg/conformancePack:ConformancePack",
		"aws:cfg/deliveryChannel:DeliveryChannel",
		"aws:cfg/recorder:Recorder",
		"aws:cfg/recorderStatus:RecorderStatus",
		"aws:cfg/remediationConfiguration:RemediationConfiguration",
		"aws:cloudwatch/eventTarget:EventTarget",
		"aws:cloudwatch/logMetricFilter:LogMetricFilter",
		"aws:guardduty/detectorFeature:DetectorFeature",
		"aws:organizations/policyAttachment:PolicyAttachment",
		"aws:securityhub/account:Account",
		"aws:securityhub/standardsSubscription:StandardsSubscription",
		"aws:sns/topicPolicy:TopicPolicy",
		"aws:sns/topicSubscription:TopicSubscription",
		"aws:appautoscaling/policy:Policy",
		"aws:ec2/route:Route",
		"aws:ec2/routeTableAssociation:RouteTableAssociation",
		"aws:ecr/lifecyclePolicy:LifecyclePolicy",
		"aws:ecs/clusterCapacityProviders:ClusterCapacityProviders",
		"aws:iam/rolePolicyAttachment:RolePolicyAttachment",
		"aws:kms/alias:Alias",
		"aws:lambda/invocation:Invocation",
		"aws:route53/record:Record",
		"aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2",
		"aws:s3/bucketLoggingV2:BucketLoggingV2",
		"aws:s3/bucketObjectLockConfigurationV2:BucketObjectLockConfigurationV2",
		"aws:s3/bucketOwnershipControls:BucketOwnershipControls",
		"aws:s3/bucketPolicy:BucketPolicy",
		"aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
		"aws:s3/bucketReplicationConfig:BucketReplicationConfig",
		"aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
		"aws:s3/bucketVersioningV2:BucketVersioningV2",
		"aws:scheduler/schedule:Schedule",
		"aws:wafv2/webAclAssociation:WebAclAssociation",
		"aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration", // PutLoggingConfiguration takes no tags
		// Account-wide settings: the API takes no tags.
		"aws:iam/accountPasswordPolicy:AccountPasswordPolicy",
		"aws:account/alternativeContact:AlternativeContact",
		"aws:ebs/encryptionByDefault:EncryptionByDefault",
		"aws:s3/accountPublicAccessBlock:AccountPublicAccessBlock",
		"pulumi:providers:aws",
	} {
		untaggable[t] = true
	}
}

func TestEveryTaggableResourceHasStackTags(t *testing.T) {
	for _, stack := range []string{"dev", "staging", "prod", "org"} {
		t.Run(stack, func(t *testing.T) {
			p := stackPlan(t, stack)
			for _, r := range p.Resources {
				if !r.Custom || untaggable[r.Type] {
					continue
				}
				tags := r.Tags()
				for _, k := range components.StackTagKeys {
					assert.NotEmpty(t, tags[k], "%s (%s) lacks tag %s", r.Name, r.Type, k)
				}
				assert.Equal(t, stack, tags[components.TagEnvironment], r.Name)
				assert.Equal(t, r.Name, tags[components.TagName], "%s: Name tag", r.Name)
			}
		})
	}
}

func TestChildrenParentedAndNamed(t *testing.T) {
	for _, stack := range []string{"dev", "prod", "org"} {
		t.Run(stack, func(t *testing.T) {
			p := stackPlan(t, stack)
			for _, r := range p.Resources {
				if !r.Custom || strings.HasPrefix(r.Type, "pulumi:providers:") {
					continue
				}
				parent, ok := p.ByURN(r.Parent)
				if !assert.True(t, ok, "%s has no component parent", r.Name) {
					continue
				}
				assert.False(t, parent.Custom, "%s: parent %s is not a component", r.Name, parent.Name)
				assert.True(t, strings.HasPrefix(r.Name, parent.Name+"-"), "%s is not named after its component %s", r.Name, parent.Name)
				provider := expectedProvider(stack, r.Name)
				assert.Equal(t, "urn:pulumi:"+stack+"::docustack::pulumi:providers:aws::"+provider, r.Provider, "%s uses the explicit provider", r.Name)
			}
		})
	}
}

// expectedProvider is the provider a resource must use: replicas and backup
// copies in the DR region, the org stack's archive in the Log Archive account.
func expectedProvider(stack, name string) string {
	for _, p := range []string{"keys-dr-", "documents-replica-", "backup-dr-"} {
		if strings.HasPrefix(name, p) {
			return "aws-dr"
		}
	}
	if stack == "org" && strings.HasPrefix(name, "log-archive") {
		return "aws-log-archive"
	}
	return "aws"
}
