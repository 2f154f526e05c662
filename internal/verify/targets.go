package verify

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/docustack/infrastructure/internal/synth"
)

// Load-balancer flows derived from the plan's wiring, not the intent table:
// every ECS service attached to a target group must be reachable from each
// load balancer whose listener forwards to that group, on the container
// port (traffic) and on the health check's port, which is the traffic port
// unless the group names another ("Health checks for Application Load
// Balancer target groups": HealthCheckPort, default traffic-port). A target
// the load balancer cannot reach on its health-check port never turns
// healthy, and the service never serves.
// https://docs.aws.amazon.com/elasticloadbalancing/latest/application/target-group-health-checks.html
func (m *model) targetFlows(p *synth.Plan, eps map[string][]*endpoint) []Finding {
	groups := map[string]synth.Resource{} // target group ARN -> group
	for _, tg := range p.ByType("aws:lb/targetGroup:TargetGroup") {
		if arn, _ := tg.Outputs["arn"].(string); arn != "" {
			groups[arn] = tg
		}
	}
	// Which load balancers forward to which group.
	forwarders := map[string][]string{} // group ARN -> load balancer endpoint names
	lbName := map[string]string{}       // load balancer ARN -> endpoint name
	for _, lb := range p.ByType(tLB) {
		if arn, _ := lb.Outputs["arn"].(string); arn != "" && !lb.Bool("internal") {
			lbName[arn] = "alb"
		}
	}
	for _, l := range p.ByType("aws:lb/listener:Listener") {
		name, ok := lbName[l.Str("loadBalancerArn")]
		if !ok {
			continue
		}
		for _, a := range asList(l.Get("defaultActions")) {
			if tg := str(a["targetGroupArn"]); tg != "" {
				forwarders[tg] = appendUnique(forwarders[tg], name)
			}
		}
	}
	var out []Finding
	for _, s := range p.ByType(tECSService) {
		target := strings.TrimSuffix(s.Name, "-service")
		for _, lbc := range asList(s.Get("loadBalancers")) {
			tgArn := str(lbc["targetGroupArn"])
			tg, ok := groups[tgArn]
			if !ok {
				out = append(out, Finding{Intent: fmt.Sprintf("%s is attached to target group %s", s.Name, tgArn), Kind: "model",
					Detail: "no target group of the plan has this ARN"})
				continue
			}
			port := num(lbc["containerPort"])
			ports := []int{port}
			what := map[int]string{port: "traffic"}
			if hp := tg.Str("healthCheck.port"); hp != "" && hp != "traffic-port" {
				h, err := strconv.Atoi(hp)
				if err != nil {
					out = append(out, Finding{Intent: tg.Name + " health check", Kind: "model", Detail: fmt.Sprintf("health check port %q is neither traffic-port nor a number", hp)})
					continue
				}
				if h != port {
					ports = append(ports, h)
				}
				what[h] = "health check"
			} else {
				what[port] = "traffic and health check"
			}
			if len(forwarders[tgArn]) == 0 {
				out = append(out, Finding{Intent: fmt.Sprintf("a load balancer forwards to %s", tg.Name), Kind: "allow",
					Detail: fmt.Sprintf("%s serves target group %s, but no listener forwards to it", s.Name, tg.Name)})
			}
			for _, lb := range forwarders[tgArn] {
				for _, pt := range ports {
					f := Flow{From: lb, To: target, Ports: []int{pt}, Seed: fmt.Sprintf("derived: %s of target group %s (%s)", what[pt], tg.Name, tg.Str("healthCheck.protocol"))}
					for _, fd := range m.evaluate(eps, f, true) {
						fd.Intent += " (" + what[pt] + " of " + tg.Name + ")"
						out = append(out, fd)
					}
				}
			}
		}
	}
	return out
}
