package verify

import (
	"fmt"
	"strings"

	"github.com/docustack/infrastructure/internal/synth"
)

// Requests through VPC endpoints: a request a private workload makes to a
// service with an endpoint in the VPC travels through it (private DNS, or
// the gateway's route), and the endpoint policy must allow it too ("An
// endpoint policy does not override or replace identity-based policies or
// resource-based policies"; AWS PrivateLink guide, endpoint policies).
// https://docs.aws.amazon.com/vpc/latest/privatelink/vpc-endpoints-access.html

// readEndpoints records every endpoint's policy by service ("s3", "ecr.dkr").
func (w *world) readEndpoints(p *synth.Plan) {
	w.endpointPolicy = map[string]*Document{}
	for _, e := range p.ByType(tVpcEndpoint) {
		svc := e.Str("serviceName")
		svc = strings.TrimPrefix(svc, "com.amazonaws."+regionOf(svc)+".")
		if s := e.Str("policy"); s != "" {
			if d, ok := w.parse(e.Name+" policy", s); ok {
				w.endpointPolicy[svc] = &d
			}
			continue
		}
		// No policy: the endpoint's default policy allows everything.
		w.endpointPolicy[svc] = nil
	}
	// The roles that run inside the VPC: ECS tasks, VPC Lambda functions,
	// instances (through their profiles).
	w.inVPC = map[string]bool{}
	for _, td := range p.ByType("aws:ecs/taskDefinition:TaskDefinition") {
		w.inVPC[td.Str("taskRoleArn")], w.inVPC[td.Str("executionRoleArn")] = true, true
	}
	for _, f := range p.ByType(tLambda) {
		if len(strs(f.Get("vpcConfig.subnetIds"))) > 0 {
			w.inVPC[f.Str("role")] = true
		}
	}
	for _, ip := range p.ByType("aws:iam/instanceProfile:InstanceProfile") {
		w.inVPC[fmt.Sprintf("arn:aws:iam::%s:role/%s", w.account, ip.Str("role"))] = true
	}
}

// endpointFor is the endpoint a request to an action travels through: the
// registry API (ecr.api) issues tokens, the Docker registry endpoint
// (ecr.dkr) serves manifests and layer locations; every other service's
// endpoint carries its own prefix.
func endpointFor(action string) string {
	svc, op, _ := strings.Cut(action, ":")
	switch {
	case svc == "ecr" && strings.EqualFold(op, "GetAuthorizationToken"):
		return "ecr.api"
	case svc == "ecr" && (strings.EqualFold(op, "BatchGetImage") || strings.EqualFold(op, "GetDownloadUrlForLayer") || strings.EqualFold(op, "BatchCheckLayerAvailability")):
		return "ecr.dkr"
	}
	return svc
}

// throughEndpoint decides the endpoint leg of a request from inside the
// VPC: ok when no endpoint of the plan carries it or its policy allows it.
func (w *world) throughEndpoint(req Request) (bool, string) {
	if !w.inVPC[req.Principal.ARN] {
		return true, ""
	}
	// A service calling on the principal's behalf (Secrets Manager asking
	// KMS) makes its call from AWS's side, not through the VPC.
	if len(req.Context["kms:ViaService"]) > 0 || len(req.Context["aws:CalledVia"]) > 0 {
		return true, ""
	}
	ep := endpointFor(req.Action)
	d, has := w.endpointPolicy[ep]
	if !has || d == nil {
		return true, ""
	}
	switch e := d.Evaluate(req, true); e.Effect {
	case EffectAllow:
		return true, "through the " + ep + " endpoint (" + e.Sid + ")"
	case EffectDeny:
		return false, fmt.Sprintf("denied by the %s endpoint's policy (%s)", ep, e.Sid)
	}
	return false, fmt.Sprintf("no statement of the %s endpoint's policy allows it", ep)
}

// ecrLayerIntents: ECR hands out image layers as downloads from its
// AWS-owned bucket, made with ECR's credentials, through the S3 gateway
// endpoint of the VPC the task runs in; the gateway's policy alone decides
// (the bucket and its policy are AWS's).
// https://docs.aws.amazon.com/AmazonECR/latest/userguide/vpc-endpoints.html#ecr-minimum-s3-perms
func (w *world) ecrLayerIntents() []Finding {
	d, has := w.endpointPolicy["s3"]
	if !has {
		return nil
	}
	var out []Finding
	seen := map[string]bool{}
	for _, td := range w.plan.ByType("aws:ecs/taskDefinition:TaskDefinition") {
		var containers []map[string]any
		if jsonUnmarshal(td.Str("containerDefinitions"), &containers) != nil {
			continue
		}
		for _, c := range containers {
			repo, ok := w.ecrRepo(str(c["image"]))
			if !ok || seen[repo] {
				continue
			}
			seen[repo] = true
			req := Request{Principal: Principal{ARN: "arn:aws:sts::" + otherAccount + ":assumed-role/ecr-layer-download/ecr", Account: otherAccount},
				Action: "s3:GetObject", Resource: fmt.Sprintf("arn:aws:s3:::prod-%s-starport-layer-bucket/%s/layer", w.region, w.account),
				Context: tls(map[string][]string{"aws:ResourceAccount": {"aws"}, "aws:PrincipalAccount": {otherAccount}})}
			f := Finding{Intent: "ECR downloads the layers of " + repo + " through the S3 gateway endpoint", Kind: "access"}
			if d == nil {
				f.OK, f.Detail = true, "the gateway has the default policy (allows everything)"
			} else if e := d.Evaluate(req, true); e.Effect == EffectAllow {
				f.OK, f.Detail = true, "allowed by the S3 gateway endpoint's policy "+e.Sid
			} else {
				f.Detail = "s3:GetObject on " + req.Resource + " with ECR's credentials: no statement of the S3 gateway endpoint's policy allows it (image layers come from an AWS-owned bucket)"
			}
			out = append(out, f)
		}
	}
	return out
}
