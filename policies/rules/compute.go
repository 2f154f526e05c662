package rules

import (
	"fmt"
	"strings"
)

// tlsPolicies are the ELB security policies that allow nothing below TLS 1.2
// (seed, In Transit: Client to ALB TLS 1.2).
func tls12Policy(name string) bool {
	return strings.HasPrefix(name, "ELBSecurityPolicy-TLS13-1-2-") ||
		strings.HasPrefix(name, "ELBSecurityPolicy-TLS13-1-3-") ||
		strings.HasPrefix(name, "ELBSecurityPolicy-FS-1-2-") ||
		strings.HasPrefix(name, "ELBSecurityPolicy-TLS-1-2-")
}

var computeRules = []Rule{
	{
		ID:          "DS-ECS-001",
		Title:       "ECS services assign no public IPs",
		HIPAA:       hipaaAccess,
		Control:     "Network Security: ECS Fargate tasks (NO public IPs)",
		Level:       Mandatory,
		Remediation: "set networkConfiguration.assignPublicIp: false and run the service in private subnets",
		Types:       []string{tECSService},
		Resource: func(r Res) []string {
			if on, _ := r.Bool("networkConfiguration.assignPublicIp"); on {
				return []string{r.Label() + " gives its tasks public IPs"}
			}
			return nil
		},
	},
	{
		ID:          "DS-ALB-001",
		Title:       "Listeners serve HTTPS with a TLS 1.2+ policy; plain HTTP only redirects to HTTPS",
		HIPAA:       hipaaTransmission,
		Control:     "Encryption in transit: Client to ALB HTTPS, TLS 1.2",
		Level:       Mandatory,
		Remediation: "use protocol HTTPS with sslPolicy ELBSecurityPolicy-TLS13-1-2-2021-06; make HTTP listeners a redirect to HTTPS",
		Types:       []string{tListener, tListenerALB},
		Resource: func(r Res) []string {
			switch proto := r.S("protocol"); proto {
			case "HTTPS", "TLS":
				if p, ok := r.Str("sslPolicy"); ok && !tls12Policy(p) || !r.Has("sslPolicy") {
					return []string{fmt.Sprintf("%s uses TLS policy %q, which allows versions below TLS 1.2", r.Label(), r.S("sslPolicy"))}
				}
			case "HTTP", "":
				if r.Unknown("protocol") {
					return nil
				}
				if !redirectsToHTTPS(r) {
					return []string{r.Label() + " serves plain HTTP instead of only redirecting to HTTPS"}
				}
			default:
				return []string{fmt.Sprintf("%s uses protocol %s, want HTTPS", r.Label(), proto)}
			}
			return nil
		},
	},
	{
		ID:          "DS-ALB-002",
		Title:       "Load balancers reach their targets over HTTPS",
		HIPAA:       hipaaTransmission,
		Control:     "Encryption in transit: ALB to ECS HTTPS, TLS 1.2",
		Level:       Mandatory,
		Remediation: "set the target group's protocol to HTTPS and serve TLS in the task",
		Types:       []string{tTargetGroup, tTargetGrpALB},
		Resource: func(r Res) []string {
			if r.S("targetType") == "lambda" || r.Unknown("protocol") {
				return nil
			}
			if p := r.S("protocol"); p != "HTTPS" && p != "TLS" {
				return []string{fmt.Sprintf("%s forwards over %q, want HTTPS", r.Label(), p)}
			}
			return nil
		},
	},
	{
		ID:          "DS-ECR-001",
		Title:       "ECR repositories scan on push, keep tags immutable and encrypt with KMS",
		HIPAA:       hipaaIntegrity,
		Control:     "Infrastructure Layers: ECR (layer 2); Encryption at rest",
		Level:       Mandatory,
		Remediation: "set imageScanningConfiguration.scanOnPush: true, imageTagMutability: IMMUTABLE and encryptionConfigurations [{encryptionType: KMS, kmsKey}]",
		Types:       []string{tECRRepo},
		Resource: func(r Res) []string {
			var out []string
			if on, _ := r.Bool("imageScanningConfiguration.scanOnPush"); !on {
				out = append(out, r.Label()+" does not scan images on push")
			}
			if m := r.S("imageTagMutability"); m != "IMMUTABLE" && !r.Unknown("imageTagMutability") {
				out = append(out, r.Label()+" has mutable tags")
			}
			if r.S("encryptionConfigurations.0.encryptionType") != "KMS" {
				out = append(out, r.Label()+" is not encrypted with KMS")
			}
			return out
		},
	},
	{
		// Trivy AWS-0066 and Checkov CKV_AWS_50 ask the same; the seed's
		// functions (DB-init) hold database credentials, so each run leaves a
		// trace of the calls it made.
		ID:          "DS-LMB-001",
		Title:       "Lambda functions trace with X-Ray (active tracing)",
		HIPAA:       hipaaAudit,
		Control:     "Audit Logging; beyond the seed's table: the one function that holds the database master password",
		Level:       Mandatory,
		Remediation: "set tracingConfig.mode: Active and grant the role xray:PutTraceSegments and xray:PutTelemetryRecords",
		Types:       []string{tLambdaFunction},
		Resource: func(r Res) []string {
			if r.Unknown("tracingConfig.mode") {
				return nil
			}
			switch m := r.S("tracingConfig.mode"); m {
			case "Active":
			case "":
				return []string{r.Label() + " sets no tracing mode (Lambda's default is PassThrough), want Active"}
			default:
				return []string{fmt.Sprintf("%s traces in mode %q, want Active", r.Label(), m)}
			}
			return nil
		},
	},
}

// redirectsToHTTPS reports whether every default action of a listener is a
// redirect to HTTPS.
func redirectsToHTTPS(l Res) bool {
	n := l.Len("defaultActions")
	for i := 0; i < n; i++ {
		p := fmt.Sprintf("defaultActions.%d.", i)
		if l.S(p+"type") != "redirect" || l.S(p+"redirect.protocol") != "HTTPS" {
			return false
		}
	}
	return n > 0
}
