// Package fakeaws is the one table of what AWS (through pulumi-aws) would
// compute for a resource: its ID, its ARN, the outputs the program reads and
// the names the provider generates. The mock monitor (internal/synth) and the
// end-to-end test provider (e2e/provider) both answer from it, so the offline
// plan and the real engine's plan see the same values.
//
// Everything is deterministic: a function of the resource's type, URN and
// inputs and of its provider's account and region. That is what lets the real
// engine re-preview a deployed stack with no changes.
package fakeaws

import (
	"encoding/binary"
	"encoding/json"
	"github.com/docustack/infrastructure/internal/awsspec"

	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// Placeholders for values only AWS knows, used when neither the stack file
// nor the provider says (component tests).
const (
	DefaultAccountID = "123456789012"
	DefaultRegion    = "us-east-1"
)

// ProviderType is the type token of an explicit aws provider.
const ProviderType = "pulumi:providers:aws"

// Placement is the account and region an aws provider creates resources in:
// its allowedAccountIds[0] and region, else the defaults given.
func Placement(inputs resource.PropertyMap, account, region string) (string, string) {
	if v, ok := inputs["region"]; ok && v.IsString() && v.StringValue() != "" {
		region = v.StringValue()
	}
	if v, ok := inputs["allowedAccountIds"]; ok && v.IsArray() && len(v.ArrayValue()) > 0 && v.ArrayValue()[0].IsString() {
		account = v.ArrayValue()[0].StringValue()
	}
	return account, region
}

// ID is the physical ID AWS would return. Where pulumi-aws uses the physical
// name as the ID (a bucket's name, an IAM role's name, a log group's name)
// it is that name, from inputs after autonaming; "<name>-id" for the rest.
func ID(typ, name string, inputs resource.PropertyMap) string {
	if typ == "aws:ecs/service:Service" {
		// pulumi-aws uses the service's ARN as its ID; Computed uses the same.
		if arn := ecsServiceArn(inputs); arn != "" {
			return arn
		}
	}
	if key, ok := idIsName[typ]; ok {
		if v, ok := inputs[key]; ok && v.IsString() && v.StringValue() != "" {
			return v.StringValue()
		}
	}
	if typ == "aws:kms/key:Key" || typ == "aws:kms/replicaKey:ReplicaKey" {
		return keyID(name)
	}
	return name + "-id"
}

// keyID is a KMS key ID in AWS's form (a UUID, "Key ID" in the KMS
// Developer Guide's key identifiers), derived from the logical name so the
// offline plan, the test provider and a stack file naming another stack's
// key agree. https://docs.aws.amazon.com/kms/latest/developerguide/concepts.html#key-id-key-id
func keyID(name string) string {
	h := sha256.Sum256([]byte("kms-key/" + name))
	x := hex.EncodeToString(h[:16])
	return x[0:8] + "-" + x[8:12] + "-4" + x[13:16] + "-8" + x[17:20] + "-" + x[20:32]
}

// idIsName maps the types whose ID is a physical name to the input holding it.
var idIsName = map[string]resource.PropertyKey{
	"aws:s3/bucketV2:BucketV2":         "bucket",
	"aws:iam/role:Role":                "name",
	"aws:cloudwatch/logGroup:LogGroup": "name",
}

// AutoName fills in `name` the way pulumi-aws autonames a resource that was
// given neither a name nor a namePrefix: "<logical name>-<7 hex>". The real
// provider draws the suffix at random and keeps it in state; here it is a
// hash of the URN, so a preview and an update agree. A namePrefix gets a
// 26-character suffix, as the provider's prefix form does.
func AutoName(typ, urn, name string, inputs resource.PropertyMap) {
	if typ == ProviderType || strings.HasPrefix(typ, "pulumi:") {
		return
	}
	if _, ok := inputs["name"]; ok {
		return
	}
	sum := sha256.Sum256([]byte(urn))
	suffix := hex.EncodeToString(sum[:])
	if p, ok := inputs["namePrefix"]; ok {
		if p.IsString() {
			inputs["name"] = resource.NewProperty(p.StringValue() + suffix[:26])
		}
		return
	}
	inputs["name"] = resource.NewProperty(name + "-" + suffix[:7])
}

// Computed adds to state the outputs AWS would compute that programs read:
// the ARN of every resource and the type-specific outputs of the table below.
// state holds the resource's inputs on entry.
func Computed(typ, name, id, account, region string, state resource.PropertyMap) {
	module := typ
	if parts := strings.Split(typ, ":"); len(parts) == 3 {
		module = strings.Split(parts[1], "/")[0]
	}
	arn := fmt.Sprintf("arn:aws:%s:%s:%s:%s", module, region, account, id)
	if t := awsspec.ARNTemplate(typ); t != "" {
		// The form CloudFormation's registry gives the type's ARN; its
		// last, identifying placeholder is the name where the template
		// names one, else the ID.
		arn = fromTemplate(t, account, region, inputString(state, "name"), id)
	}
	switch typ {
	case "aws:kms/key:Key":
		state["keyId"] = resource.NewProperty(id)
		arn = fmt.Sprintf("arn:aws:kms:%s:%s:key/%s", region, account, id)
	case "aws:s3/bucketV2:BucketV2":
		state["bucket"] = resource.NewProperty(id)
		arn = "arn:aws:s3:::" + id
	case "aws:ec2/vpcEndpoint:VpcEndpoint":
		state["prefixListId"] = resource.NewProperty("pl-" + name)
	case "aws:ec2/instance:Instance":
		state["primaryNetworkInterfaceId"] = resource.NewProperty("eni-" + name)
	case "aws:rds/instance:Instance", "aws:rds/cluster:Cluster":
		host := name + ".mock." + region + ".rds.amazonaws.com"
		state["address"] = resource.NewProperty(host)
		state["endpoint"] = resource.NewProperty(host)
		state["port"] = resource.NewProperty(5432.0)
		state["masterUserSecrets"] = resource.NewProperty([]resource.PropertyValue{resource.NewProperty(resource.PropertyMap{
			"secretArn":    resource.NewProperty(fmt.Sprintf("arn:aws:secretsmanager:%s:%s:secret:rds!%s", region, account, id)),
			"secretStatus": resource.NewProperty("active"),
		})})
		// The resource ID IAM database authentication names (DbiResourceId).
		resID := "DB" + strings.ToUpper(strings.ReplaceAll(id, "-", ""))
		if typ == "aws:rds/instance:Instance" {
			state["resourceId"] = resource.NewProperty("db-" + resID)
			arn = fmt.Sprintf("arn:aws:rds:%s:%s:db:%s", region, account, inputString(state, "identifier"))
		} else {
			state["clusterResourceId"] = resource.NewProperty("cluster-" + resID)
			arn = fmt.Sprintf("arn:aws:rds:%s:%s:cluster:%s", region, account, inputString(state, "clusterIdentifier"))
		}
	case "aws:acm/certificate:Certificate":
		domain := inputString(state, "domainName")
		state["domainValidationOptions"] = resource.NewProperty([]resource.PropertyValue{resource.NewProperty(resource.PropertyMap{
			"domainName":          resource.NewProperty(domain),
			"resourceRecordName":  resource.NewProperty("_validation." + domain + "."),
			"resourceRecordType":  resource.NewProperty("CNAME"),
			"resourceRecordValue": resource.NewProperty("_token.acm-validations.aws."),
		})})
		arn = fmt.Sprintf("arn:aws:acm:%s:%s:certificate/%s", region, account, id)
	case "aws:lb/loadBalancer:LoadBalancer":
		state["dnsName"] = resource.NewProperty(inputString(state, "name") + ".mock." + region + ".elb.amazonaws.com")
		state["zoneId"] = resource.NewProperty("Z35SXDOTRQ7X7K")
		// AWS's form, the dimension of the ALB's CloudWatch metrics.
		state["arnSuffix"] = resource.NewProperty("app/" + inputString(state, "name") + "/" + id)
		arn = fmt.Sprintf("arn:aws:elasticloadbalancing:%s:%s:loadbalancer/app/%s/%s", region, account, inputString(state, "name"), id)
	case "aws:lb/targetGroup:TargetGroup":
		state["arnSuffix"] = resource.NewProperty("targetgroup/" + inputString(state, "name") + "/" + id)
		arn = fmt.Sprintf("arn:aws:elasticloadbalancing:%s:%s:targetgroup/%s/%s", region, account, inputString(state, "name"), id)
	case "aws:ecr/repository:Repository":
		state["repositoryUrl"] = resource.NewProperty(fmt.Sprintf("%s.dkr.ecr.%s.amazonaws.com/%s", account, region, inputString(state, "name")))
		arn = fmt.Sprintf("arn:aws:ecr:%s:%s:repository/%s", region, account, inputString(state, "name"))
	case "aws:secretsmanager/secret:Secret":
		// Secrets Manager appends six random characters to the name.
		arn = fmt.Sprintf("arn:aws:secretsmanager:%s:%s:secret:%s-%s", region, account, inputString(state, "name"), suffix6(id))
	case "aws:sns/topic:Topic":
		arn = fmt.Sprintf("arn:aws:sns:%s:%s:%s", region, account, inputString(state, "name"))
	case "aws:lambda/function:Function":
		arn = fmt.Sprintf("arn:aws:lambda:%s:%s:function:%s", region, account, inputString(state, "name"))
	case "aws:cloudtrail/trail:Trail":
		arn = fmt.Sprintf("arn:aws:cloudtrail:%s:%s:trail/%s", region, account, inputString(state, "name"))
	case "aws:ecs/cluster:Cluster":
		arn = fmt.Sprintf("arn:aws:ecs:%s:%s:cluster/%s", region, account, inputString(state, "name"))
	case "aws:ecs/service:Service":
		if a := ecsServiceArn(state); a != "" {
			arn = a
		}
	case "aws:ecs/taskDefinition:TaskDefinition":
		// AWS registers each new content as a new revision of the family,
		// under a new ARN (task-definition/<family>:<revision>); here the
		// revision is derived from the content, so a changed definition,
		// which the provider replaces, gets a new ARN and its service an
		// update, and an unchanged one keeps its ARN.
		// https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_definitions.html
		arn = fmt.Sprintf("arn:aws:ecs:%s:%s:task-definition/%s:%d", region, account, inputString(state, "family"), revision(state))
	case "aws:autoscaling/group:Group":
		sum := sha256.Sum256([]byte(id))
		h := hex.EncodeToString(sum[:])
		uuid := h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
		arn = fmt.Sprintf("arn:aws:autoscaling:%s:%s:autoScalingGroup:%s:autoScalingGroupName/%s", region, account, uuid, inputString(state, "name"))
	case "aws:backup/vault:Vault":
		arn = fmt.Sprintf("arn:aws:backup:%s:%s:backup-vault:%s", region, account, inputString(state, "name"))
	case "aws:route53/record:Record":
		state["fqdn"] = resource.NewProperty(inputString(state, "name"))
	case "aws:cloudwatch/logGroup:LogGroup":
		arn = fmt.Sprintf("arn:aws:logs:%s:%s:log-group:%s", region, account, id)
	case "aws:iam/openIdConnectProvider:OpenIdConnectProvider":
		// IAM names a provider by its URL without the scheme.
		arn = fmt.Sprintf("arn:aws:iam::%s:oidc-provider/%s", account, strings.TrimPrefix(inputString(state, "url"), "https://"))
	case "aws:iam/serviceLinkedRole:ServiceLinkedRole":
		// AWSServiceRoleFor<Service>, under aws-service-role/<service principal>/;
		// the name table covers the services the program creates roles for.
		svc := inputString(state, "awsServiceName")
		roleName := map[string]string{"autoscaling.amazonaws.com": "AWSServiceRoleForAutoScaling"}[svc]
		state["name"] = resource.NewProperty(roleName)
		arn = fmt.Sprintf("arn:aws:iam::%s:role/aws-service-role/%s/%s", account, svc, roleName)
	case "aws:iam/role:Role", "aws:iam/policy:Policy":
		arn = fmt.Sprintf("arn:aws:iam::%s:%s/%s", account, strings.ToLower(typ[strings.LastIndex(typ, ":")+1:]), id)
	}
	if _, ok := state["arn"]; !ok {
		state["arn"] = resource.NewProperty(arn)
	}
}

// fromTemplate fills a CloudFormation ARN template.
func fromTemplate(t, account, region, name, id string) string {
	var b strings.Builder
	for {
		i := strings.Index(t, "${")
		if i < 0 {
			b.WriteString(t)
			return b.String()
		}
		j := strings.Index(t[i:], "}")
		if j < 0 {
			b.WriteString(t)
			return b.String()
		}
		b.WriteString(t[:i])
		v := id
		switch ph := t[i+2 : i+j]; {
		case ph == "Partition":
			v = "aws"
		case ph == "Region":
			v = region
		case ph == "Account":
			v = account
		case (strings.HasSuffix(ph, "Name") || strings.HasSuffix(ph, "NameWithPath")) && name != "":
			v = name
		case ph == "Alias" && name != "":
			v = strings.TrimPrefix(name, "alias/")
		}
		b.WriteString(v)
		t = t[i+j+1:]
	}
}

// Invoke answers the data-source calls a program may make. ok is false for a
// token the table does not know.
func Invoke(token, account, region string, azs []string) (resource.PropertyMap, bool) {
	out, err, ok := World{}.Invoke(token, account, region, azs, nil)
	return out, ok && err == nil
}

// World is what already exists in the account when the program runs, as the
// preflight invokes see it. The zero World is a deployed account: every
// repository and pushed image, every secret with a current value.
type World struct {
	// Fresh: nothing of the platform exists yet (a first deploy).
	Fresh bool
	// MissingRepositories do not exist (while others do).
	MissingRepositories map[string]bool
	// NewRepositories do not exist when first asked about (the preflight)
	// and exist, empty, after: the deploy creates them. The map records the
	// creation (true: not yet created).
	NewRepositories map[string]bool
	// MissingImages are "repository:tag" pairs not pushed.
	MissingImages map[string]bool
	// EmptySecrets exist without a current value; NewSecrets do not exist.
	EmptySecrets, NewSecrets map[string]bool
	// Pushed are "repository:tag" pairs pushed again under a new digest
	// (the value distinguishes pushes); Rotated are secrets whose current
	// version is a new one (a rotation), the value naming it.
	Pushed, Rotated map[string]string
}

// Invoke answers an invoke in this world: a result, or the error AWS would
// return (with AWS's error code, which the program recognizes), or !ok for a
// token the table does not know.
func (w World) Invoke(token, account, region string, azs []string, args resource.PropertyMap) (resource.PropertyMap, error, bool) {
	arg := func(k string) string {
		if v, ok := args[resource.PropertyKey(k)]; ok && v.IsString() {
			return v.StringValue()
		}
		return ""
	}
	switch token {
	case "aws:ecr/getImage:getImage":
		repo, tag := arg("repositoryName"), arg("imageTag")
		if created, isNew := w.NewRepositories[repo]; isNew {
			w.NewRepositories[repo] = false
			if created {
				return nil, fmt.Errorf("reading ECR Image: RepositoryNotFoundException: The repository with name '%s' does not exist in the registry with id '%s'", repo, account), true
			}
			return nil, fmt.Errorf("reading ECR Image: ImageNotFoundException: The image with imageId {imageTag:'%s'} does not exist within the repository with name '%s' in the registry with id '%s'", tag, repo, account), true
		}
		if w.Fresh || w.MissingRepositories[repo] {
			return nil, fmt.Errorf("reading ECR Image: RepositoryNotFoundException: The repository with name '%s' does not exist in the registry with id '%s'", repo, account), true
		}
		if w.MissingImages[repo+":"+tag] {
			return nil, fmt.Errorf("reading ECR Image: ImageNotFoundException: The image with imageId {imageTag:'%s'} does not exist within the repository with name '%s' in the registry with id '%s'", tag, repo, account), true
		}
		digest := "sha256:" + hash64(repo+":"+tag+w.Pushed[repo+":"+tag])
		return resource.NewPropertyMapFromMap(map[string]any{
			"id": digest, "imageDigest": digest, "imageTag": tag, "imageTags": []any{tag}, "repositoryName": repo, "registryId": account,
			"imageUri": fmt.Sprintf("%s.dkr.ecr.%s.amazonaws.com/%s@%s", account, region, repo, digest),
		}), nil, true
	case "aws:secretsmanager/getSecretVersions:getSecretVersions":
		id := arg("secretId")
		if w.Fresh || w.NewSecrets[id] {
			return nil, fmt.Errorf("reading Secrets Manager Secret Versions (%s): ResourceNotFoundException: Secrets Manager can't find the specified secret.", id), true
		}
		var versions []any
		if !w.EmptySecrets[id] {
			versions = []any{map[string]any{"versionId": hash64(id + w.Rotated[id])[:32], "versionStages": []any{"AWSCURRENT"}, "createdTime": "2026-12-01T00:00:00Z", "lastAccessedDate": ""}}
		}
		return resource.NewPropertyMapFromMap(map[string]any{
			"id": id, "secretId": id, "name": id, "arn": fmt.Sprintf("arn:aws:secretsmanager:%s:%s:secret:%s-%s", region, account, id, suffix6(id)), "versions": versions,
		}), nil, true
	}
	switch token {
	case "aws:index/getCallerIdentity:getCallerIdentity":
		return resource.NewPropertyMapFromMap(map[string]any{
			"accountId": account, "arn": fmt.Sprintf("arn:aws:iam::%s:user/synth", account),
			"userId": "SYNTH", "id": account,
		}), nil, true
	case "aws:index/getRegion:getRegion":
		return resource.NewPropertyMapFromMap(map[string]any{"name": region, "id": region}), nil, true
	case "aws:index/getPartition:getPartition":
		return resource.NewPropertyMapFromMap(map[string]any{"partition": "aws", "dnsSuffix": "amazonaws.com", "id": "aws"}), nil, true
	case "aws:ec2/getAmi:getAmi":
		// A well-formed AMI ID: what the program passes on is the point.
		return resource.NewPropertyMapFromMap(map[string]any{
			"id": "ami-0a1b2c3d4e5f60718", "imageId": "ami-0a1b2c3d4e5f60718", "architecture": "arm64",
			"name": "al2023-ami-2023.9.20261120.0-kernel-6.12-arm64", "ownerId": "137112412989",
		}), nil, true
	case "aws:index/getAvailabilityZones:getAvailabilityZones":
		names := make([]any, len(azs))
		for i, az := range azs {
			names[i] = az
		}
		return resource.NewPropertyMapFromMap(map[string]any{"names": names, "id": region}), nil, true
	}
	return nil, nil, false
}

// revision is a task definition's revision number, from its content.
func revision(state resource.PropertyMap) uint32 {
	b, _ := json.Marshal(state.Mappable())
	sum := sha256.Sum256(b)
	return 1 + binary.BigEndian.Uint32(sum[:4])%100000
}

// ecsServiceArn is a service's ARN in its cluster (the long ARN format):
// arn:aws:ecs:<region>:<account>:service/<cluster>/<service>.
func ecsServiceArn(inputs resource.PropertyMap) string {
	cluster, name := inputString(inputs, "cluster"), inputString(inputs, "name")
	if cluster == "" || name == "" || !strings.Contains(cluster, ":cluster/") {
		return ""
	}
	prefix := cluster[:strings.Index(cluster, ":cluster/")]
	return prefix + ":service/" + cluster[strings.LastIndex(cluster, "/")+1:] + "/" + name
}

// suffix6 is the six characters AWS appends to a secret's name, derived
// from its ID so that it is stable.
func suffix6(id string) string { return hash64(id)[:6] }

// hash64 is a stable 64-hex-digit digest of s (image digests, version IDs).
func hash64(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

func inputString(m resource.PropertyMap, key resource.PropertyKey) string {
	if v, ok := m[key]; ok && v.IsString() {
		return v.StringValue()
	}
	return ""
}
