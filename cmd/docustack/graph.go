package main

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/docustack/infrastructure/components"
	"github.com/docustack/infrastructure/internal/synth"
)

func graphCmd(root, stack string, stdout, stderr io.Writer) int {
	plan, err := synth.Stack(root, stack)
	if err != nil {
		fmt.Fprintf(stderr, "docustack graph: stack %q:\n%s", stack, components.ErrorLines(err))
		return exitFail
	}
	fmt.Fprint(stdout, Mermaid(plan))
	return exitOK
}

// mermaidID makes a resource name a Mermaid node ID.
func mermaidID(name string) string { return strings.NewReplacer("-", "_", ".", "_").Replace(name) }

// Mermaid renders the architecture of a plan: the VPC's tiers with what runs
// in them, the data stores, the account-level controls, and the main flows.
func Mermaid(p *synth.Plan) string {
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	w("flowchart TB")
	if vpcs := p.ByType("aws:ec2/vpc:Vpc"); len(vpcs) > 0 {
		graphNetwork(p, w, vpcs[0])
	}
	graphData(p, w)
	graphAccount(p, w)
	graphEdges(p, w)
	return b.String()
}

// tierCIDRs lists a tier's subnet blocks.
func tierCIDRs(p *synth.Plan, tier string) string {
	var out []string
	for _, s := range p.ByType("aws:ec2/subnet:Subnet") {
		if s.Tags()["Tier"] == tier {
			out = append(out, s.Str("cidrBlock"))
		}
	}
	sort.Strings(out)
	return strings.Join(out, ", ")
}

// services returns the ECS services, by name.
func services(p *synth.Plan) []synth.Resource {
	out := p.ByType("aws:ecs/service:Service")
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func graphNetwork(p *synth.Plan, w func(string, ...any), vpc synth.Resource) {
	w("  internet((Internet))")
	w("  subgraph vpc[\"VPC %s\"]", vpc.Str("cidrBlock"))
	w("    subgraph public[\"public subnets %s\"]", tierCIDRs(p, "public"))
	for _, lb := range p.ByType("aws:lb/loadBalancer:LoadBalancer") {
		w("      %s[\"ALB %s<br/>HTTPS 443, WAF\"]", mermaidID(lb.Name), lb.Str("name"))
	}
	for _, n := range p.ByType("aws:ec2/natGateway:NatGateway") {
		w("      %s[\"NAT gateway %s\"]", mermaidID(n.Name), n.Name)
	}
	for _, n := range p.ByType("aws:ec2/instance:Instance") {
		w("      %s[\"NAT instance %s\"]", mermaidID(n.Name), n.Str("instanceType"))
	}
	w("    end")
	w("    subgraph private[\"private subnets %s\"]", tierCIDRs(p, "private"))
	for _, s := range services(p) {
		spot := ""
		if strings.Contains(fmt.Sprint(s.Get("capacityProviderStrategies")), "FARGATE_SPOT") {
			spot = ", Spot"
		}
		w("      %s[\"ECS %s<br/>%d task(s)%s\"]", mermaidID(s.Name), s.Str("name"), s.Int("desiredCount"), spot)
	}
	for _, f := range p.ByType("aws:lambda/function:Function") {
		w("      %s[\"Lambda %s\"]", mermaidID(f.Name), f.Str("name"))
	}
	for _, g := range p.ByType("aws:autoscaling/group:Group") {
		w("      %s[\"bastion ASG %s<br/>desired %d\"]", mermaidID(g.Name), g.Str("name"), g.Int("desiredCapacity"))
	}
	var iface []string
	for _, e := range p.ByType("aws:ec2/vpcEndpoint:VpcEndpoint") {
		if e.Str("vpcEndpointType") == "Interface" {
			iface = append(iface, strings.TrimPrefix(e.Str("serviceName"), "com.amazonaws.us-east-1."))
		}
	}
	sort.Strings(iface)
	w("      endpoints[\"interface endpoints<br/>%s\"]", strings.Join(iface, ", "))
	w("    end")
	w("    subgraph database_tier[\"database subnets %s (no internet route)\"]", tierCIDRs(p, "database"))
	for _, db := range p.ByType("aws:rds/instance:Instance") {
		multi := ""
		if db.Bool("multiAz") {
			multi = " Multi-AZ"
		}
		w("      %s[(\"PostgreSQL %s<br/>%s%s\")]", mermaidID(db.Name), db.Str("identifier"), db.Str("instanceClass"), multi)
	}
	for _, c := range p.ByType("aws:rds/cluster:Cluster") {
		w("      %s[(\"Aurora %s\")]", mermaidID(c.Name), c.Str("clusterIdentifier"))
	}
	w("    end")
	w("  end")
}

func graphData(p *synth.Plan, w func(string, ...any)) {
	buckets := p.ByType("aws:s3/bucketV2:BucketV2")
	if len(buckets) == 0 {
		return
	}
	w("  subgraph storage[\"S3 (encrypted, versioned, TLS-only, public access blocked)\"]")
	for _, b := range buckets {
		w("    %s[(\"%s\")]", mermaidID(b.Name), b.Str("bucket"))
	}
	w("  end")
}

func graphAccount(p *synth.Plan, w func(string, ...any)) {
	var controls []string
	add := func(typ, label string) {
		if len(p.ByType(typ)) > 0 {
			controls = append(controls, label)
		}
	}
	add("aws:cloudtrail/trail:Trail", "CloudTrail")
	add("aws:cfg/rule:Rule", "AWS Config + HIPAA pack")
	add("aws:guardduty/detector:Detector", "GuardDuty")
	add("aws:securityhub/account:Account", "Security Hub")
	add("aws:backup/plan:Plan", "AWS Backup (hourly, DR copies)")
	add("aws:organizations/policy:Policy", fmt.Sprintf("%d SCPs", len(p.ByType("aws:organizations/policy:Policy"))))
	add("aws:iam/openIdConnectProvider:OpenIdConnectProvider", "GitHub OIDC")
	if len(controls) > 0 {
		w("  controls[\"%s\"]", strings.Join(controls, "<br/>"))
	}
}

// graphEdges draws the main flows: internet → ALB → web, services → database,
// Temporal clients → frontend, private tier → NAT → internet, documents → replica.
func graphEdges(p *synth.Plan, w func(string, ...any)) {
	for _, lb := range p.ByType("aws:lb/loadBalancer:LoadBalancer") {
		w("  internet -->|HTTPS| %s", mermaidID(lb.Name))
		for _, s := range services(p) {
			if s.Get("loadBalancers") != nil {
				w("  %s -->|HTTPS 8080| %s", mermaidID(lb.Name), mermaidID(s.Name))
			}
		}
	}
	dbs := append(p.ByType("aws:rds/instance:Instance"), p.ByType("aws:rds/cluster:Cluster")...)
	var frontend string
	for _, s := range services(p) {
		if s.Str("serviceConnectConfiguration.services.0.discoveryName") == "frontend" {
			frontend = s.Name
		}
	}
	for _, s := range services(p) {
		name := s.Name
		temporalServer := strings.HasPrefix(name, "temporal-") && name != "temporal-ui-service"
		if temporalServer || name == "web-service" || name == "workers-service" {
			for _, db := range dbs {
				w("  %s -->|TLS 5432| %s", mermaidID(name), mermaidID(db.Name))
			}
		}
		if frontend != "" && !temporalServer {
			w("  %s -->|frontend:7233| %s", mermaidID(name), mermaidID(frontend))
		}
	}
	for _, f := range p.ByType("aws:lambda/function:Function") {
		for _, db := range dbs {
			w("  %s -->|TLS 5432| %s", mermaidID(f.Name), mermaidID(db.Name))
		}
	}
	egress := ""
	if n := p.ByType("aws:ec2/natGateway:NatGateway"); len(n) > 0 {
		egress = n[0].Name
	} else if n := p.ByType("aws:ec2/instance:Instance"); len(n) > 0 {
		egress = n[0].Name
	}
	if egress != "" {
		w("  private -->|egress| %s --> internet", mermaidID(egress))
		w("  private -->|AWS APIs| endpoints")
	}
	if _, ok := p.Named("documents-bucket"); ok {
		w("  documents_bucket -.->|replication| documents_replica_bucket")
	}
}
