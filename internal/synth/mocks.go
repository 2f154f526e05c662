package synth

import (
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Placeholders for values only AWS knows, used when the stack file does not
// say (component tests). They are deterministic so golden files are stable.
const (
	mockAccountID = "123456789012"
	mockRegion    = "us-east-1"
)

// mocks answers the Pulumi mock monitor: every resource gets a deterministic
// ID and the computed outputs the program reads (ARNs, key IDs, prefix
// lists), and every registration is recorded.
type mocks struct {
	project, stack    string
	accountID, region string
	azs               []string

	mu        sync.Mutex
	resources []Resource
	// accounts and regions of explicit providers, by provider URN: resources
	// created through an assume-role or DR-region provider get ARNs there.
	providers map[string][2]string
}

func (m *mocks) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	rpc := args.RegisterRPC
	if rpc == nil {
		return "", nil, fmt.Errorf("synth: %s %q was read, not registered; reads are not supported offline", args.TypeToken, args.Name)
	}
	id := ""
	state := args.Inputs.Copy()
	urn := m.urn(rpc.GetParent(), args.TypeToken, args.Name)
	if args.TypeToken == "pulumi:providers:aws" {
		m.recordProvider(urn, args.Inputs)
	}
	if args.Custom {
		id = m.mockID(args.TypeToken, args.Name, args.Inputs)
		account, region := m.placement(providerURN(rpc.GetProvider()))
		m.addComputed(args.TypeToken, args.Name, id, account, region, state)
	}
	r := Resource{
		URN:                  urn,
		Type:                 args.TypeToken,
		Name:                 args.Name,
		Custom:               args.Custom,
		Parent:               rpc.GetParent(),
		Provider:             providerURN(rpc.GetProvider()),
		ID:                   id,
		Inputs:               plainMap(args.Inputs),
		Properties:           args.Inputs,
		Protect:              rpc.GetProtect(),
		RetainOnDelete:       rpc.GetRetainOnDelete(),
		IgnoreChanges:        rpc.GetIgnoreChanges(),
		Dependencies:         sortedCopy(rpc.GetDependencies()),
		PropertyDependencies: map[string][]string{},
	}
	for k, deps := range rpc.GetPropertyDependencies() {
		if urns := deps.GetUrns(); len(urns) > 0 {
			r.PropertyDependencies[k] = sortedCopy(urns)
		}
	}
	if len(r.PropertyDependencies) == 0 {
		r.PropertyDependencies = nil
	}
	m.mu.Lock()
	m.resources = append(m.resources, r)
	m.mu.Unlock()
	return id, state, nil
}

// Call answers the few invokes a program may make, from configuration.
func (m *mocks) Call(args pulumi.MockCallArgs) (resource.PropertyMap, error) {
	switch args.Token {
	case "aws:index/getCallerIdentity:getCallerIdentity":
		return resource.NewPropertyMapFromMap(map[string]any{
			"accountId": m.accountID, "arn": fmt.Sprintf("arn:aws:iam::%s:user/synth", m.accountID),
			"userId": "SYNTH", "id": m.accountID,
		}), nil
	case "aws:index/getRegion:getRegion":
		return resource.NewPropertyMapFromMap(map[string]any{"name": m.region, "id": m.region}), nil
	case "aws:index/getPartition:getPartition":
		return resource.NewPropertyMapFromMap(map[string]any{"partition": "aws", "dnsSuffix": "amazonaws.com", "id": "aws"}), nil
	case "aws:index/getAvailabilityZones:getAvailabilityZones":
		names := make([]any, len(m.azs))
		for i, az := range m.azs {
			names[i] = az
		}
		return resource.NewPropertyMapFromMap(map[string]any{"names": names, "id": m.region}), nil
	}
	return nil, fmt.Errorf("synth: no offline answer for invoke %s; add one to internal/synth/mocks.go", args.Token)
}

func (m *mocks) urn(parent, typ, name string) string {
	parentType := tokens.Type("")
	if p := resource.URN(parent); p != "" && p.QualifiedType() != resource.RootStackType {
		parentType = p.QualifiedType()
	}
	return string(resource.NewURN(tokens.QName(m.stack), tokens.PackageName(m.project), parentType, tokens.Type(typ), name))
}

// mockID is "<name>-id", or the physical name where AWS uses it as the ID.
func (m *mocks) mockID(typ, name string, inputs resource.PropertyMap) string {
	if typ == "aws:s3/bucketV2:BucketV2" {
		if b, ok := inputs["bucket"]; ok && b.IsString() {
			return b.StringValue()
		}
	}
	return name + "-id"
}

// recordProvider remembers an aws provider's account (allowedAccountIds) and region.
func (m *mocks) recordProvider(urn string, inputs resource.PropertyMap) {
	account, region := m.accountID, m.region
	if v, ok := inputs["region"]; ok && v.IsString() {
		region = v.StringValue()
	}
	if v, ok := inputs["allowedAccountIds"]; ok && v.IsArray() && len(v.ArrayValue()) > 0 && v.ArrayValue()[0].IsString() {
		account = v.ArrayValue()[0].StringValue()
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.providers == nil {
		m.providers = map[string][2]string{}
	}
	m.providers[urn] = [2]string{account, region}
}

// placement is the account and region a provider creates resources in.
func (m *mocks) placement(provider string) (string, string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if p, ok := m.providers[provider]; ok {
		return p[0], p[1]
	}
	return m.accountID, m.region
}

// addComputed fills in the outputs AWS would compute that programs read.
func (m *mocks) addComputed(typ, name, id, account, region string, state resource.PropertyMap) {
	module := typ
	if parts := strings.Split(typ, ":"); len(parts) == 3 {
		module = strings.Split(parts[1], "/")[0]
	}
	arn := fmt.Sprintf("arn:aws:%s:%s:%s:%s", module, region, account, id)
	switch typ {
	case "aws:kms/key:Key":
		state["keyId"] = resource.NewProperty(id)
		arn = fmt.Sprintf("arn:aws:kms:%s:%s:key/%s", region, account, id)
	case "aws:s3/bucketV2:BucketV2":
		state["bucket"] = resource.NewProperty(id)
		arn = "arn:aws:s3:::" + id
	case "aws:ec2/vpcEndpoint:VpcEndpoint":
		state["prefixListId"] = resource.NewProperty("pl-" + name)
	case "aws:rds/instance:Instance", "aws:rds/cluster:Cluster":
		host := name + ".mock." + region + ".rds.amazonaws.com"
		state["address"] = resource.NewProperty(host)
		state["endpoint"] = resource.NewProperty(host)
		state["port"] = resource.NewProperty(5432.0)
		state["masterUserSecrets"] = resource.NewProperty([]resource.PropertyValue{resource.NewProperty(resource.PropertyMap{
			"secretArn":    resource.NewProperty(fmt.Sprintf("arn:aws:secretsmanager:%s:%s:secret:rds!%s", region, account, id)),
			"secretStatus": resource.NewProperty("active"),
		})})
	case "aws:acm/certificate:Certificate":
		domain := inputString(state, "domainName")
		state["domainValidationOptions"] = resource.NewProperty([]resource.PropertyValue{resource.NewProperty(resource.PropertyMap{
			"domainName":          resource.NewProperty(domain),
			"resourceRecordName":  resource.NewProperty("_validation." + domain + "."),
			"resourceRecordType":  resource.NewProperty("CNAME"),
			"resourceRecordValue": resource.NewProperty("_token.acm-validations.aws."),
		})})
		arn = fmt.Sprintf("arn:aws:acm:%s:%s:certificate/%s", region, account, id)
	case "aws:acm/certificateValidation:CertificateValidation":
		state["certificateArn"] = state["certificateArn"]
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
	case "aws:route53/record:Record":
		state["fqdn"] = resource.NewProperty(inputString(state, "name"))
	case "aws:iam/role:Role", "aws:iam/policy:Policy":
		arn = fmt.Sprintf("arn:aws:iam::%s:%s/%s", account, strings.ToLower(typ[strings.LastIndex(typ, ":")+1:]), id)
	}
	if _, ok := state["arn"]; !ok {
		state["arn"] = resource.NewProperty(arn)
	}
}

// inputString returns a string input, or "" when absent or not a string.
func inputString(m resource.PropertyMap, key resource.PropertyKey) string {
	if v, ok := m[key]; ok && v.IsString() {
		return v.StringValue()
	}
	return ""
}

// plainMap converts property values to JSON-friendly Go values. Secrets are
// masked and unknowns marked, so nothing secret reaches a plan or golden file.
func plainMap(m resource.PropertyMap) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[string(k)] = plain(v)
	}
	return out
}

func plain(v resource.PropertyValue) any {
	switch {
	case v.IsNull():
		return nil
	case v.IsBool():
		return v.BoolValue()
	case v.IsNumber():
		return v.NumberValue()
	case v.IsString():
		return v.StringValue()
	case v.IsArray():
		arr := v.ArrayValue()
		out := make([]any, len(arr))
		for i, e := range arr {
			out[i] = plain(e)
		}
		return out
	case v.IsObject():
		return plainMap(v.ObjectValue())
	case v.IsSecret():
		return "[secret]"
	case v.IsComputed():
		return "[unknown]"
	case v.IsOutput():
		o := v.OutputValue()
		if o.Secret {
			return "[secret]"
		}
		if !o.Known {
			return "[unknown]"
		}
		return plain(o.Element)
	case v.IsResourceReference():
		return string(v.ResourceReferenceValue().URN)
	case v.IsAsset():
		return "[asset " + v.AssetValue().Hash + "]"
	case v.IsArchive():
		return "[archive " + v.ArchiveValue().Hash + "]"
	}
	return fmt.Sprintf("[%s]", v.TypeString())
}

// providerURN strips the "::<id>" suffix of a provider reference.
func providerURN(ref string) string {
	if i := strings.LastIndex(ref, "::"); i > 0 {
		return ref[:i]
	}
	return ref
}

func sortedCopy(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	out := append([]string(nil), s...)
	sort.Strings(out)
	return out
}
