package awsspec

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"unicode"
)

//go:embed data/cfn.json
var cfnJSON []byte

//go:embed cfn_types.json
var cfnTypesJSON []byte

// CFNSpec is the pinned extract of the CloudFormation registry.
type CFNSpec struct {
	Source  string             `json:"source"`
	Version string             `json:"version"`
	Types   map[string]CFNType `json:"types"`
}

// CFNType is one CloudFormation type: its ARN template and, per top-level
// property, causesReplacement ("yes", "maybe", "no").
type CFNType struct {
	ARNTemplate       string            `json:"arnTemplate"`
	PrimaryIdentifier []string          `json:"primaryIdentifier"`
	Properties        map[string]string `json:"properties"`
}

// cfnMapping is a pulumi-aws type's CloudFormation counterpart.
type cfnMapping struct {
	CFN   string            `json:"cfn"`
	Props map[string]string `json:"props"`
}

var (
	cfnOnce sync.Once
	cfnSpec *CFNSpec
	cfnMap  map[string]*cfnMapping
)

func loadCFN() {
	cfnOnce.Do(func() {
		var s CFNSpec
		if err := json.Unmarshal(cfnJSON, &s); err != nil {
			panic(fmt.Sprintf("awsspec: data/cfn.json: %v", err))
		}
		raw := map[string]json.RawMessage{}
		if err := json.Unmarshal(cfnTypesJSON, &raw); err != nil {
			panic(fmt.Sprintf("awsspec: cfn_types.json: %v", err))
		}
		m := map[string]*cfnMapping{}
		for k, v := range raw {
			if strings.HasPrefix(k, "_") {
				continue
			}
			var c *cfnMapping
			if err := json.Unmarshal(v, &c); err != nil {
				panic(fmt.Sprintf("awsspec: cfn_types.json %s: %v", k, err))
			}
			m[k] = c
		}
		cfnSpec, cfnMap = &s, m
	})
}

// CFN returns the CloudFormation extract.
func CFN() *CFNSpec { loadCFN(); return cfnSpec }

// CFNTypeOf returns a pulumi-aws type's CloudFormation type; mapped is false
// when cfn_types.json does not know the type, cfn is "" when it has no
// counterpart.
func CFNTypeOf(pulumiType string) (cfn string, mapped bool) {
	loadCFN()
	m, ok := cfnMap[pulumiType]
	if !ok {
		return "", false
	}
	if m == nil {
		return "", true
	}
	return m.CFN, true
}

// CFNProperty returns the CloudFormation property a pulumi-aws input maps to
// and its causesReplacement, or "" when the input has no counterpart.
func CFNProperty(pulumiType, input string) (prop, causesReplacement string) {
	loadCFN()
	m := cfnMap[pulumiType]
	if m == nil {
		return "", ""
	}
	t, ok := cfnSpec.Types[m.CFN]
	if !ok {
		return "", ""
	}
	if p, ok := m.Props[input]; ok {
		return p, t.Properties[p]
	}
	pascal := string(unicode.ToUpper(rune(input[0]))) + input[1:]
	for k, v := range t.Properties {
		if strings.EqualFold(k, pascal) {
			return k, v
		}
	}
	return "", ""
}

// ARNTemplate is the CloudFormation template of a pulumi-aws type's ARN
// ("arn:${Partition}:iam::${Account}:oidc-provider/${OidcProviderName}"), or "".
func ARNTemplate(pulumiType string) string {
	cfn, _ := CFNTypeOf(pulumiType)
	return CFN().Types[cfn].ARNTemplate
}

// MatchesTemplate reports whether a concrete ARN fits a template.
func MatchesTemplate(template, arn string) bool {
	return templateRegexp(template).MatchString(arn)
}

// uniqueNames are the pulumi-aws types whose name input is a physical name
// AWS keeps unique (per account and Region, or per parent), so a second
// resource of that name cannot exist beside the first. The provider answers
// by deleting an explicitly named resource before creating its replacement
// (pulumi-terraform-bridge: nameRequiresDeleteBeforeReplace); a create under
// a taken name (a rename without an alias) fails with AWS's "already exists".
// TestUniqueNamesCoverCloudFormation derives the floor of this table from the
// registry (every type whose primary identifier is a settable name); the
// rest are named here with the API that refuses the duplicate.
var uniqueNames = map[string]string{
	"aws:autoscaling/group:Group":                         "name",
	"aws:backup/plan:Plan":                                "name", // CreateBackupPlan: AlreadyExistsException
	"aws:backup/vault:Vault":                              "name",
	"aws:cfg/conformancePack:ConformancePack":             "name",
	"aws:cfg/deliveryChannel:DeliveryChannel":             "name",
	"aws:cfg/recorder:Recorder":                           "name",
	"aws:cfg/rule:Rule":                                   "name",
	"aws:cloudtrail/trail:Trail":                          "name",
	"aws:cloudwatch/eventRule:EventRule":                  "name", // PutRule on an existing name overwrites it, and the old one's delete removes both
	"aws:cloudwatch/logGroup:LogGroup":                    "name",
	"aws:cloudwatch/logMetricFilter:LogMetricFilter":      "name",
	"aws:cloudwatch/metricAlarm:MetricAlarm":              "name", // PutMetricAlarm overwrites; the old one's delete removes both
	"aws:ec2/launchTemplate:LaunchTemplate":               "name", // InvalidLaunchTemplateName.AlreadyExistsException
	"aws:ec2/securityGroup:SecurityGroup":                 "name", // InvalidGroup.Duplicate (per VPC)
	"aws:ecr/pullThroughCacheRule:PullThroughCacheRule":   "ecrRepositoryPrefix",
	"aws:ecr/repository:Repository":                       "name",
	"aws:ecs/cluster:Cluster":                             "name",
	"aws:ecs/service:Service":                             "name", // InvalidParameterException: Creation of service was not idempotent (per cluster)
	"aws:iam/instanceProfile:InstanceProfile":             "name",
	"aws:iam/policy:Policy":                               "name", // EntityAlreadyExists
	"aws:iam/role:Role":                                   "name",
	"aws:kms/alias:Alias":                                 "name",
	"aws:lambda/function:Function":                        "name",
	"aws:lb/loadBalancer:LoadBalancer":                    "name", // DuplicateLoadBalancerName
	"aws:lb/targetGroup:TargetGroup":                      "name", // DuplicateTargetGroupName
	"aws:rds/cluster:Cluster":                             "clusterIdentifier",
	"aws:rds/clusterInstance:ClusterInstance":             "identifier",
	"aws:rds/clusterParameterGroup:ClusterParameterGroup": "name",
	"aws:rds/instance:Instance":                           "identifier",
	"aws:rds/parameterGroup:ParameterGroup":               "name",
	"aws:rds/subnetGroup:SubnetGroup":                     "name",
	"aws:s3/bucketV2:BucketV2":                            "bucket",
	"aws:scheduler/schedule:Schedule":                     "name",
	"aws:scheduler/scheduleGroup:ScheduleGroup":           "name",
	"aws:secretsmanager/secret:Secret":                    "name", // ResourceExistsException, also while the old secret waits out its recovery window
	"aws:servicediscovery/httpNamespace:HttpNamespace":    "name",
	"aws:sns/topic:Topic":                                 "name", // CreateTopic returns the existing topic; pulumi-aws refuses the duplicate instead
	"aws:ssm/document:Document":                           "name", // CreateDocument: DocumentAlreadyExists
	"aws:wafv2/ipSet:IpSet":                               "name",
	"aws:wafv2/webAcl:WebAcl":                             "name",
}

// FixedName returns the input that holds a type's unique physical name and
// its value in inputs, when the program set it (an autonamed resource gets a
// fresh name on replacement and never collides).
func FixedName(typ string, inputs map[string]any) (input, value string, ok bool) {
	in, known := uniqueNames[typ]
	if !known {
		return "", "", false
	}
	v, set := inputs[in].(string)
	return in, v, set && v != ""
}

// AlreadyExists is the error AWS answers a create with when the name is taken.
func AlreadyExists(typ, name string) string {
	svc := strings.Split(strings.TrimPrefix(typ, "aws:"), "/")[0]
	switch svc {
	case "iam":
		return fmt.Sprintf("EntityAlreadyExists: %s with name %s already exists.", typ[strings.LastIndex(typ, ":")+1:], name)
	case "rds":
		return fmt.Sprintf("AlreadyExists: %s %s already exists", typ[strings.LastIndex(typ, ":")+1:], name)
	case "s3":
		return fmt.Sprintf("BucketAlreadyOwnedByYou: Your previous request to create the named bucket succeeded and you already own it (%s).", name)
	case "cloudwatch":
		return fmt.Sprintf("ResourceAlreadyExistsException: The specified resource %s already exists.", name)
	case "secretsmanager":
		return fmt.Sprintf("ResourceExistsException: The operation failed because the secret %s already exists.", name)
	}
	return fmt.Sprintf("AlreadyExists: a %s named %s already exists", typ, name)
}
