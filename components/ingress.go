package components

import (
	"errors"
	"fmt"
	"net/netip"
	"regexp"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/acm"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/lb"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/route53"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Ingress defaults.
const (
	// DefaultSSLPolicy allows TLS 1.2 and 1.3 only (seed: Client to ALB TLS 1.2).
	DefaultSSLPolicy       = "ELBSecurityPolicy-TLS13-1-2-2021-06"
	DefaultHealthCheckPath = "/api/health"
	DefaultIdleTimeout     = 60
	// targetDeregistrationSeconds drains a task before it stops.
	targetDeregistrationSeconds = 30
)

// ManagedRuleGroups are the AWS managed WAF rule groups on the ALB, in priority order.
var ManagedRuleGroups = []string{
	"AWSManagedRulesAmazonIpReputationList",
	"AWSManagedRulesCommonRuleSet",
	"AWSManagedRulesKnownBadInputsRuleSet",
	"AWSManagedRulesSQLiRuleSet",
}

// countOnly are managed rules switched to count: the common rule set's 8 KB
// body limit would block every document upload.
var countOnly = map[string][]string{"AWSManagedRulesCommonRuleSet": {"SizeRestrictions_BODY"}}

var (
	domainPattern = regexp.MustCompile(`^([a-z0-9]([a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,}$`)
	zonePattern   = regexp.MustCompile(`^Z[A-Z0-9]{1,32}$`)
	acmArnPattern = regexp.MustCompile(`^arn:aws:acm:[a-z0-9-]+:[0-9]{12}:certificate/[0-9a-f-]+$`)
)

// IngressArgs configures the public entry: ALB, certificate, WAF.
type IngressArgs struct {
	// Name of the load balancer and target group (<= 28 characters). Required.
	Name string
	// After are what the load balancer waits for: the access-log bucket's
	// policy, which ELB checks when access logging is turned on. Optional.
	After []pulumi.Resource
	// CertificateArn is an existing ACM certificate. Exactly one of it and DomainName.
	CertificateArn string
	// DomainName gets a DNS-validated ACM certificate and an alias record in HostedZoneID.
	DomainName string
	// HostedZoneID is the Route 53 zone of DomainName. Required with DomainName.
	HostedZoneID string
	// AllowedCIDRs is the IP allow-list (layer 3): when set, WAF blocks every
	// other source. Default: empty, no restriction by IP.
	AllowedCIDRs []string
	// ManagedRuleGroups are the AWS managed rule groups the web ACL runs
	// (each of ManagedRuleGroups). Default (nil): all of them. An empty list
	// runs none, for an ALB that an IP allow-list already restricts to known
	// networks (dev); it requires AllowedCIDRs.
	ManagedRuleGroups []string
	// TargetPort is where tasks serve HTTPS. Default: 8080.
	TargetPort int
	// HealthCheckPath is probed over HTTPS. Default: "/api/health".
	HealthCheckPath string
	// SSLPolicy of the HTTPS listener. Default: ELBSecurityPolicy-TLS13-1-2-2021-06.
	SSLPolicy string
	// IdleTimeoutSeconds of connections. Default: 60. Range 1..4000.
	IdleTimeoutSeconds int
	// DeletionProtection of the load balancer. Default: false.
	DeletionProtection bool
	// AccessLogsBucket receives access logs under the "alb" prefix. Required.
	AccessLogsBucket string
	// WAFLogBucketArn is where the web ACL logs every request, with
	// WAFRedactedHeaders redacted (a bucket named aws-waf-logs-*, of this
	// account: NewWAFLogs). Required.
	WAFLogBucketArn string
	// WAFLogsAfter are what logging waits for: the bucket's policy and key.
	WAFLogsAfter []pulumi.Resource
	// VpcID, SubnetIDs (public tier) and SecurityGroupID (ALB group). Required.
	VpcID           pulumi.StringInput
	SubnetIDs       pulumi.StringArrayInput
	SecurityGroupID pulumi.StringInput
	// Tags are the stack tags. Required: every key of StackTagKeys.
	Tags Tags
}

func (a *IngressArgs) setDefaults() {
	if a.TargetPort == 0 {
		a.TargetPort = DefaultApplicationPort
	}
	if a.HealthCheckPath == "" {
		a.HealthCheckPath = DefaultHealthCheckPath
	}
	if a.SSLPolicy == "" {
		a.SSLPolicy = DefaultSSLPolicy
	}
	if a.IdleTimeoutSeconds == 0 {
		a.IdleTimeoutSeconds = DefaultIdleTimeout
	}
}

// Validate reports every invalid field at once.
func (a IngressArgs) Validate() error {
	a.setDefaults()
	var errs []error
	add := func(e error) { errs = append(errs, e) }
	if !dbIdentifierPattern.MatchString(a.Name) || len(a.Name) > 28 {
		add(fieldErr("name", a.Name, "1-28 characters of [a-z0-9-]"))
	}
	if !strings.HasPrefix(a.WAFLogBucketArn, "arn:"+awsPartition+":s3:::"+WAFLogBucketPrefix) {
		add(fieldErr("wafLogBucketArn", a.WAFLogBucketArn, "the ARN of an S3 bucket named %s... (AWS WAF logs to no other)", WAFLogBucketPrefix))
	}
	switch {
	case a.CertificateArn != "" && a.DomainName != "":
		add(fieldErr("certificateArn", a.CertificateArn, "either certificateArn or domainName, not both"))
	case a.CertificateArn != "":
		if !acmArnPattern.MatchString(a.CertificateArn) {
			add(fieldErr("certificateArn", a.CertificateArn, "an ACM certificate ARN"))
		}
	case a.DomainName != "":
		if !domainPattern.MatchString(a.DomainName) {
			add(fieldErr("domainName", a.DomainName, "a lower-case DNS name such as app.example.com"))
		}
		if !zonePattern.MatchString(a.HostedZoneID) {
			add(fieldErr("hostedZoneId", a.HostedZoneID, "the Route 53 hosted zone ID of domainName (Z...)"))
		}
	default:
		add(fieldErr("certificateArn", "", "an ACM certificate ARN, or domainName and hostedZoneId for a DNS-validated certificate"))
	}
	for i, g := range a.ManagedRuleGroups {
		if !inStrings(g, ManagedRuleGroups) {
			add(fieldErr(fmt.Sprintf("managedRuleGroups[%d]", i), g, "one of %v", ManagedRuleGroups))
		}
	}
	if a.ManagedRuleGroups != nil && len(a.ManagedRuleGroups) == 0 && len(a.AllowedCIDRs) == 0 {
		add(fieldErr("managedRuleGroups", "[]", "at least one group unless allowedCidrs restricts the ALB to known networks"))
	}
	for i, c := range a.AllowedCIDRs {
		if p, err := netip.ParsePrefix(c); err != nil || p.Masked() != p || !p.Addr().Is4() {
			add(fieldErr(fmt.Sprintf("allowedCidrs[%d]", i), c, "an IPv4 CIDR block such as 203.0.113.0/24"))
		}
	}
	if a.TargetPort < 1 || a.TargetPort > 65535 {
		add(fieldErr("targetPort", a.TargetPort, "a TCP port 1..65535"))
	}
	if !strings.HasPrefix(a.HealthCheckPath, "/") {
		add(fieldErr("healthCheckPath", a.HealthCheckPath, "a path starting with /"))
	}
	if !strings.HasPrefix(a.SSLPolicy, "ELBSecurityPolicy-TLS13-1-2-") && !strings.HasPrefix(a.SSLPolicy, "ELBSecurityPolicy-TLS13-1-3-") {
		add(fieldErr("sslPolicy", a.SSLPolicy, "a TLS 1.2+ policy such as %s", DefaultSSLPolicy))
	}
	if a.IdleTimeoutSeconds < 1 || a.IdleTimeoutSeconds > 4000 {
		add(fieldErr("idleTimeoutSeconds", a.IdleTimeoutSeconds, "1..4000"))
	}
	if !bucketNamePattern.MatchString(a.AccessLogsBucket) {
		add(fieldErr("accessLogsBucket", a.AccessLogsBucket, "the access-logs bucket's name"))
	}
	add(validateStackTags("tags", a.Tags))
	return errors.Join(errs...)
}

// Ingress is the public entry of the platform.
type Ingress struct {
	pulumi.ResourceState

	LoadBalancer *lb.LoadBalancer
	TargetGroup  *lb.TargetGroup
	HTTPS        *lb.Listener
	// DNSName is the load balancer's name (or the custom domain).
	DNSName pulumi.StringOutput
	// WebACLArn is the WAF web ACL on the load balancer.
	WebACLArn pulumi.StringOutput
}

// NewIngress creates the public ALB in the public subnets: HTTPS 443 with a
// TLS 1.2+ policy, HTTP 80 only redirecting, invalid headers dropped, access
// logs to the log archive, a target group reaching tasks over HTTPS, and a
// WAF web ACL with AWS managed rules and the optional IP allow-list.
func NewIngress(ctx *pulumi.Context, name string, args IngressArgs, opts ...pulumi.ResourceOption) (*Ingress, error) {
	args.setDefaults()
	err := args.Validate()
	for f, missing := range InOrder(map[string]bool{"vpcId": args.VpcID == nil, "subnetIds": args.SubnetIDs == nil, "securityGroupId": args.SecurityGroupID == nil}) {
		if missing {
			err = errors.Join(err, fieldErr(f, "", "a value from the network component"))
		}
	}
	if err != nil {
		return nil, err
	}
	in := &Ingress{}
	if err := ctx.RegisterComponentResource(TypeIngress, name, in, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(in)
	tags := func(child string) pulumi.StringMap { return MergeTags(args.Tags, child, Tags{TagComponent: name}) }

	albName := childName(name, "alb")
	alb, err := lb.NewLoadBalancer(ctx, albName, &lb.LoadBalancerArgs{
		Name:                     pulumi.String(args.Name),
		Internal:                 pulumi.Bool(false),
		LoadBalancerType:         pulumi.String("application"),
		SecurityGroups:           pulumi.StringArray{args.SecurityGroupID},
		Subnets:                  args.SubnetIDs,
		DropInvalidHeaderFields:  pulumi.Bool(true),
		EnableDeletionProtection: pulumi.Bool(args.DeletionProtection),
		EnableHttp2:              pulumi.Bool(true),
		IdleTimeout:              pulumi.Int(args.IdleTimeoutSeconds),
		AccessLogs: &lb.LoadBalancerAccessLogsArgs{
			Bucket: pulumi.String(args.AccessLogsBucket), Prefix: pulumi.String(AccessLogsALBPrefix), Enabled: pulumi.Bool(true),
		},
		Tags: tags(albName),
	}, parent, pulumi.DependsOn(args.After))
	if err != nil {
		return nil, err
	}
	in.LoadBalancer = alb
	in.DNSName = alb.DnsName

	tgName := childName(name, "web-tg")
	tg, err := lb.NewTargetGroup(ctx, tgName, &lb.TargetGroupArgs{
		Name:                pulumi.String(args.Name + "-web"),
		Port:                pulumi.Int(args.TargetPort),
		Protocol:            pulumi.String("HTTPS"),
		ProtocolVersion:     pulumi.String("HTTP1"),
		TargetType:          pulumi.String("ip"),
		VpcId:               args.VpcID,
		DeregistrationDelay: pulumi.Int(targetDeregistrationSeconds),
		HealthCheck: &lb.TargetGroupHealthCheckArgs{
			Enabled: pulumi.Bool(true), Protocol: pulumi.String("HTTPS"), Path: pulumi.String(args.HealthCheckPath),
			Matcher: pulumi.String("200-399"), Interval: pulumi.Int(30), HealthyThreshold: pulumi.Int(2), UnhealthyThreshold: pulumi.Int(3),
		},
		Tags: tags(tgName),
	}, parent)
	if err != nil {
		return nil, err
	}
	in.TargetGroup = tg

	certArn := pulumi.String(args.CertificateArn).ToStringOutput()
	if args.DomainName != "" {
		if certArn, err = in.certificate(ctx, name, args, tags); err != nil {
			return nil, err
		}
	}

	httpsName := childName(name, "https")
	in.HTTPS, err = lb.NewListener(ctx, httpsName, &lb.ListenerArgs{
		LoadBalancerArn: alb.Arn,
		Port:            pulumi.Int(HTTPSPort),
		Protocol:        pulumi.String("HTTPS"),
		SslPolicy:       pulumi.String(args.SSLPolicy),
		CertificateArn:  certArn,
		DefaultActions: lb.ListenerDefaultActionArray{lb.ListenerDefaultActionArgs{
			Type: pulumi.String("forward"), TargetGroupArn: tg.Arn,
		}},
		Tags: tags(httpsName),
	}, parent)
	if err != nil {
		return nil, err
	}
	// HTTPS only (seed, Network Security: "ALB (HTTPS 443 only)"): no port-80
	// listener, not even a redirect; HSTS in the application keeps browsers on 443.
	if err := in.waf(ctx, name, args, tags); err != nil {
		return nil, err
	}
	if err := ctx.RegisterResourceOutputs(in, pulumi.Map{
		"dnsName": in.DNSName, "targetGroupArn": tg.Arn, "webAclArn": in.WebACLArn,
	}); err != nil {
		return nil, err
	}
	return in, nil
}

// certificate requests a DNS-validated certificate for the domain, writes the
// validation record and an alias to the ALB, and waits for validation.
func (in *Ingress) certificate(ctx *pulumi.Context, name string, args IngressArgs, tags func(string) pulumi.StringMap) (pulumi.StringOutput, error) {
	parent := pulumi.Parent(in)
	certName := childName(name, "certificate")
	cert, err := acm.NewCertificate(ctx, certName, &acm.CertificateArgs{
		DomainName:       pulumi.String(args.DomainName),
		ValidationMethod: pulumi.String("DNS"),
		KeyAlgorithm:     pulumi.String("RSA_2048"),
		Tags:             tags(certName),
	}, parent)
	if err != nil {
		return pulumi.StringOutput{}, err
	}
	dvo := cert.DomainValidationOptions.Index(pulumi.Int(0))
	record, err := route53.NewRecord(ctx, childName(name, "certificate-validation-record"), &route53.RecordArgs{
		ZoneId:         pulumi.String(args.HostedZoneID),
		Name:           dvo.ResourceRecordName().Elem(),
		Type:           dvo.ResourceRecordType().Elem(),
		Records:        pulumi.StringArray{dvo.ResourceRecordValue().Elem()},
		Ttl:            pulumi.Int(60),
		AllowOverwrite: pulumi.Bool(true),
	}, parent)
	if err != nil {
		return pulumi.StringOutput{}, err
	}
	validation, err := acm.NewCertificateValidation(ctx, childName(name, "certificate-validation"), &acm.CertificateValidationArgs{
		CertificateArn:        cert.Arn,
		ValidationRecordFqdns: pulumi.StringArray{record.Fqdn},
	}, parent)
	if err != nil {
		return pulumi.StringOutput{}, err
	}
	if _, err := route53.NewRecord(ctx, childName(name, "alias"), &route53.RecordArgs{
		ZoneId: pulumi.String(args.HostedZoneID),
		Name:   pulumi.String(args.DomainName),
		Type:   pulumi.String("A"),
		Aliases: route53.RecordAliasArray{route53.RecordAliasArgs{
			Name: in.LoadBalancer.DnsName, ZoneId: in.LoadBalancer.ZoneId, EvaluateTargetHealth: pulumi.Bool(true),
		}},
	}, parent); err != nil {
		return pulumi.StringOutput{}, err
	}
	in.DNSName = pulumi.String(args.DomainName).ToStringOutput()
	return validation.CertificateArn, nil
}

// visibility is a WAF metrics configuration.
func visibility(metric string) pulumi.Map {
	return pulumi.Map{
		"cloudwatchMetricsEnabled": pulumi.Bool(true),
		"metricName":               pulumi.String(metric),
		"sampledRequestsEnabled":   pulumi.Bool(true),
	}
}

// waf attaches a regional web ACL: the IP allow-list first (when set), then
// the AWS managed rule groups.
func (in *Ingress) waf(ctx *pulumi.Context, name string, args IngressArgs, tags func(string) pulumi.StringMap) error {
	parent := pulumi.Parent(in)
	rules := pulumi.Array{}
	if len(args.AllowedCIDRs) > 0 {
		addrs := pulumi.StringArray{}
		for _, c := range args.AllowedCIDRs {
			addrs = append(addrs, pulumi.String(c))
		}
		ipsName := childName(name, "allow-list")
		ipSet, err := newAWSResource(ctx, "aws:wafv2/ipSet:IpSet", ipsName, pulumi.Map{
			"name": pulumi.String(args.Name + "-allow-list"), "scope": pulumi.String("REGIONAL"),
			"ipAddressVersion": pulumi.String("IPV4"), "addresses": addrs, "tags": tags(ipsName),
		}, parent)
		if err != nil {
			return err
		}
		rules = append(rules, pulumi.Map{
			"name": pulumi.String("ip-allow-list"), "priority": pulumi.Int(0),
			"action": pulumi.Map{"block": pulumi.Map{}},
			"statement": pulumi.Map{"notStatement": pulumi.Map{"statements": pulumi.Array{
				pulumi.Map{"ipSetReferenceStatement": pulumi.Map{"arn": ipSet.Arn}},
			}}},
			"visibilityConfig": visibility(args.Name + "-ip-allow-list"),
		})
	}
	groups := args.ManagedRuleGroups
	if groups == nil {
		groups = ManagedRuleGroups
	}
	for i, group := range groups {
		overrides := pulumi.Array{}
		for _, rule := range countOnly[group] {
			overrides = append(overrides, pulumi.Map{"name": pulumi.String(rule), "actionToUse": pulumi.Map{"count": pulumi.Map{}}})
		}
		managed := pulumi.Map{"name": pulumi.String(group), "vendorName": pulumi.String("AWS")}
		if len(overrides) > 0 {
			managed["ruleActionOverrides"] = overrides
		}
		rules = append(rules, pulumi.Map{
			"name": pulumi.String(group), "priority": pulumi.Int(10 * (i + 1)),
			"overrideAction":   pulumi.Map{"none": pulumi.Map{}},
			"statement":        pulumi.Map{"managedRuleGroupStatement": managed},
			"visibilityConfig": visibility(args.Name + "-" + group),
		})
	}
	aclName := childName(name, "web-acl")
	acl, err := newAWSResource(ctx, "aws:wafv2/webAcl:WebAcl", aclName, pulumi.Map{
		"name": pulumi.String(args.Name), "scope": pulumi.String("REGIONAL"),
		"defaultAction":    pulumi.Map{"allow": pulumi.Map{}},
		"rules":            rules,
		"visibilityConfig": visibility(args.Name),
		"tags":             tags(aclName),
	}, parent)
	if err != nil {
		return err
	}
	in.WebACLArn = acl.Arn
	if _, err = newAWSResource(ctx, "aws:wafv2/webAclAssociation:WebAclAssociation", childName(name, "web-acl-association"), pulumi.Map{
		"resourceArn": in.LoadBalancer.Arn, "webAclArn": acl.Arn,
	}, parent); err != nil {
		return err
	}
	// Every request the web ACL sees is logged, without the headers that
	// carry credentials.
	// https://docs.aws.amazon.com/waf/latest/developerguide/logging-management.html
	redacted := pulumi.Array{}
	for _, h := range WAFRedactedHeaders {
		redacted = append(redacted, pulumi.Map{"singleHeader": pulumi.Map{"name": pulumi.String(h)}})
	}
	_, err = newAWSResource(ctx, "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration", childName(name, "web-acl-logging"), pulumi.Map{
		"resourceArn":           acl.Arn,
		"logDestinationConfigs": pulumi.StringArray{pulumi.String(args.WAFLogBucketArn)},
		"redactedFields":        redacted,
	}, parent, pulumi.DependsOn(args.WAFLogsAfter))
	return err
}

func inStrings(s string, l []string) bool {
	for _, e := range l {
		if e == s {
			return true
		}
	}
	return false
}
