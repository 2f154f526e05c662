package components

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/mail"
	"regexp"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/account"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/guardduty"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/securityhub"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/sns"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// SecurityHubStandards are the standards subscribed in us-east-1.
var SecurityHubStandards = map[string]string{
	"aws-foundational": "arn:aws:securityhub:%s::standards/aws-foundational-security-best-practices/v/1.0.0",
	"cis":              "arn:aws:securityhub:%s::standards/cis-aws-foundations-benchmark/v/1.4.0",
	"nist-800-53":      "arn:aws:securityhub:%s::standards/nist-800-53/v/5.0.0",
}

// GuardDutyFeatures are the protection plans turned on (S3, RDS, ECS runtime).
var GuardDutyFeatures = []string{"S3_DATA_EVENTS", "RDS_LOGIN_EVENTS", "RUNTIME_MONITORING"}

// AlertRules route findings to the alerts topic (seed, Continuous Monitoring:
// Security Hub medium and above, GuardDuty all findings, Config any
// non-compliant resource).
var AlertRules = map[string]map[string]any{
	"securityhub-medium-plus": {
		"source": []string{"aws.securityhub"}, "detail-type": []string{"Security Hub Findings - Imported"},
		"detail": map[string]any{"findings": map[string]any{
			"Severity":    map[string]any{"Label": []string{"MEDIUM", "HIGH", "CRITICAL"}},
			"Workflow":    map[string]any{"Status": []string{"NEW"}},
			"RecordState": []string{"ACTIVE"},
		}},
	},
	"guardduty-all": {"source": []string{"aws.guardduty"}, "detail-type": []string{"GuardDuty Finding"}},
	"config-noncompliant": {
		"source": []string{"aws.config"}, "detail-type": []string{"Config Rules Compliance Change"},
		"detail": map[string]any{"newEvaluationResult": map[string]any{"complianceType": []string{"NON_COMPLIANT"}}},
	},
	// What metrics cannot see: a service with no running task emits none.
	// A deployment the circuit breaker fails (and rolls back), and a
	// service that cannot start, place or configure its tasks.
	// https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs_service_deployment_events.html
	// https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs_service_events.html
	"ecs-deployment-failed": {
		"source": []string{"aws.ecs"}, "detail-type": []string{"ECS Deployment State Change"},
		"detail": map[string]any{"eventName": []string{"SERVICE_DEPLOYMENT_FAILED"}},
	},
	"ecs-service-impaired": {
		"source": []string{"aws.ecs"}, "detail-type": []string{"ECS Service Action"},
		"detail": map[string]any{"eventType": []string{"WARN", "ERROR"}},
	},
	// A task that never started (an image it cannot pull, a secret it
	// cannot read): the failures the circuit breaker counts, each one, not
	// the stops that are normal (scale-in, Spot, the scheduler, a deploy).
	// https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs_task_events.html
	"ecs-task-failed-to-start": {
		"source": []string{"aws.ecs"}, "detail-type": []string{"ECS Task State Change"},
		"detail": map[string]any{"lastStatus": []string{"STOPPED"}, "stopCode": []string{"TaskFailedToStart"}},
	},
}

// DetectionArgs configures threat detection and alerting.
type DetectionArgs struct {
	// Prefix names the topic and rules. Required.
	Prefix string
	// AdoptGuardDuty and AdoptSecurityHub leave them to a landing zone that
	// already enabled them (a second detector or hub would fail). Default: false.
	AdoptGuardDuty, AdoptSecurityHub bool
	// AlertEmails subscribe to the alerts topic. Optional.
	AlertEmails []string
	// SecurityContact is the account's SECURITY alternate contact, whom AWS
	// tells about security issues of the account (Security Hub Account.1).
	// Default: none set.
	SecurityContact *SecurityContact
	// KMSKeyArn encrypts the topic (logs CMK). Required.
	KMSKeyArn pulumi.StringInput
	// AccountID and Region. Required.
	AccountID, Region string
	// Tags are the stack tags. Required: every key of StackTagKeys.
	Tags Tags
}

// SecurityContact is an AWS account alternate contact. The limits are
// PutAlternateContact's (AWS Account Management API Reference).
type SecurityContact struct {
	Name  string `json:"name"`
	Title string `json:"title"`
	Email string `json:"email"`
	Phone string `json:"phone"`
}

var contactPhonePattern = regexp.MustCompile(`^[\s0-9()+-]{1,25}$`)

// Validate reports every invalid field of the contact at once.
func (c SecurityContact) Validate(field string) []error {
	var errs []error
	if c.Name == "" || len(c.Name) > 64 {
		errs = append(errs, fieldErr(field+".name", c.Name, "1-64 characters"))
	}
	if c.Title == "" || len(c.Title) > 50 {
		errs = append(errs, fieldErr(field+".title", c.Title, "1-50 characters"))
	}
	if addr, err := mail.ParseAddress(c.Email); err != nil || addr.Address != c.Email || len(c.Email) > 254 {
		errs = append(errs, fieldErr(field+".email", c.Email, "an e-mail address"))
	}
	if !contactPhonePattern.MatchString(c.Phone) {
		errs = append(errs, fieldErr(field+".phone", c.Phone, "digits, spaces, ( ) + - (at most 25)"))
	}
	return errs
}

// Validate reports every invalid field at once.
func (a DetectionArgs) Validate() error {
	var errs []error
	if a.SecurityContact != nil {
		errs = append(errs, a.SecurityContact.Validate("securityContact")...)
	}
	if !dbIdentifierPattern.MatchString(a.Prefix) {
		errs = append(errs, fieldErr("prefix", a.Prefix, "[a-z0-9-]"))
	}
	for i, e := range a.AlertEmails {
		if addr, err := mail.ParseAddress(e); err != nil || addr.Address != e {
			errs = append(errs, fieldErr(fmt.Sprintf("alertEmails[%d]", i), e, "an e-mail address"))
		}
	}
	if !accountIDPattern.MatchString(a.AccountID) {
		errs = append(errs, fieldErr("accountId", a.AccountID, "a 12-digit AWS account ID"))
	}
	errs = append(errs, validateStackTags("tags", a.Tags))
	return errors.Join(errs...)
}

// Detection is GuardDuty, Security Hub and the alerts topic.
type Detection struct {
	pulumi.ResourceState

	// TopicArn receives findings and alarms.
	TopicArn pulumi.StringOutput
}

// NewDetection enables GuardDuty (S3, RDS and ECS runtime protection) and
// Security Hub (AWS Foundational, CIS, NIST 800-53), each unless adopted, and
// routes Security Hub findings of MEDIUM and above, all GuardDuty findings
// and Config non-compliance to an SNS topic encrypted with the CMK.
func NewDetection(ctx *pulumi.Context, name string, args DetectionArgs, opts ...pulumi.ResourceOption) (*Detection, error) {
	err := args.Validate()
	if args.KMSKeyArn == nil {
		err = errors.Join(err, fieldErr("kmsKeyArn", "", "the logs CMK"))
	}
	if err != nil {
		return nil, err
	}
	d := &Detection{}
	if err := ctx.RegisterComponentResource(TypeDetection, name, d, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(d)
	tags := func(child string) pulumi.StringMap { return MergeTags(args.Tags, child, Tags{TagComponent: name}) }

	topicName := childName(name, "alerts")
	topic, err := sns.NewTopic(ctx, topicName, &sns.TopicArgs{
		Name: pulumi.String(args.Prefix + "-alerts"), KmsMasterKeyId: args.KMSKeyArn, Tags: tags(topicName),
	}, parent)
	if err != nil {
		return nil, err
	}
	d.TopicArn = topic.Arn
	if _, err := sns.NewTopicPolicy(ctx, childName(name, "alerts-policy"), &sns.TopicPolicyArgs{
		Arn: topic.Arn,
		Policy: topic.Arn.ApplyT(func(arn string) string {
			return PolicyJSON(
				PolicyStatement{Sid: "AlertPublishers", Effect: "Allow",
					Principal: map[string]any{"Service": []string{servicePrincipal("events"), servicePrincipal("cloudwatch")}},
					Action:    "sns:Publish", Resource: arn,
					Condition: map[string]map[string]any{"StringEquals": {"aws:SourceAccount": args.AccountID}}},
				PolicyStatement{Sid: "DenyInsecureTransport", Effect: "Deny", Principal: map[string]any{"AWS": "*"},
					Action: "sns:Publish", Resource: arn, Condition: map[string]map[string]any{"Bool": {"aws:SecureTransport": "false"}}},
			)
		}).(pulumi.StringOutput),
	}, parent); err != nil {
		return nil, err
	}
	for i, e := range args.AlertEmails {
		if _, err := sns.NewTopicSubscription(ctx, childName(name, "subscriber", i), &sns.TopicSubscriptionArgs{
			Topic: topic.Arn, Protocol: pulumi.String("email"), Endpoint: pulumi.String(e),
		}, parent); err != nil {
			return nil, err
		}
	}
	if c := args.SecurityContact; c != nil {
		if _, err := account.NewAlternativeContact(ctx, childName(name, "security-contact"), &account.AlternativeContactArgs{
			AlternateContactType: pulumi.String("SECURITY"), Name: pulumi.String(c.Name), Title: pulumi.String(c.Title),
			EmailAddress: pulumi.String(c.Email), PhoneNumber: pulumi.String(c.Phone),
		}, parent); err != nil {
			return nil, err
		}
	}

	if !args.AdoptGuardDuty {
		detName := childName(name, "guardduty")
		det, err := guardduty.NewDetector(ctx, detName, &guardduty.DetectorArgs{
			Enable: pulumi.Bool(true), FindingPublishingFrequency: pulumi.String("FIFTEEN_MINUTES"), Tags: tags(detName),
		}, parent)
		if err != nil {
			return nil, err
		}
		for _, f := range GuardDutyFeatures {
			feature := &guardduty.DetectorFeatureArgs{DetectorId: det.ID(), Name: pulumi.String(f), Status: pulumi.String("ENABLED")}
			if f == "RUNTIME_MONITORING" {
				feature.AdditionalConfigurations = guardduty.DetectorFeatureAdditionalConfigurationArray{
					guardduty.DetectorFeatureAdditionalConfigurationArgs{Name: pulumi.String("ECS_FARGATE_AGENT_MANAGEMENT"), Status: pulumi.String("ENABLED")},
				}
			}
			if _, err := guardduty.NewDetectorFeature(ctx, childName(name, "guardduty-"+f), feature, parent); err != nil {
				return nil, err
			}
		}
	}
	if !args.AdoptSecurityHub {
		hub, err := securityhub.NewAccount(ctx, childName(name, "securityhub"), &securityhub.AccountArgs{
			EnableDefaultStandards: pulumi.Bool(false), AutoEnableControls: pulumi.Bool(true),
		}, parent)
		if err != nil {
			return nil, err
		}
		for key, arn := range InOrder(SecurityHubStandards) {
			if _, err := securityhub.NewStandardsSubscription(ctx, childName(name, "standard-"+key), &securityhub.StandardsSubscriptionArgs{
				StandardsArn: pulumi.Sprintf(arn, args.Region),
			}, parent, pulumi.DependsOn([]pulumi.Resource{hub})); err != nil {
				return nil, err
			}
		}
	}

	for rule, pattern := range InOrder(AlertRules) {
		b, err := json.Marshal(pattern)
		if err != nil {
			return nil, err
		}
		ruleName := childName(name, rule)
		r, err := cloudwatch.NewEventRule(ctx, ruleName, &cloudwatch.EventRuleArgs{
			Name: pulumi.Sprintf("%s-%s", args.Prefix, rule), EventPattern: pulumi.String(string(b)), Tags: tags(ruleName),
		}, parent)
		if err != nil {
			return nil, err
		}
		if _, err := cloudwatch.NewEventTarget(ctx, ruleName+"-target", &cloudwatch.EventTargetArgs{
			Rule: r.Name, Arn: topic.Arn,
		}, parent); err != nil {
			return nil, err
		}
	}
	if err := ctx.RegisterResourceOutputs(d, pulumi.Map{"topicArn": topic.Arn}); err != nil {
		return nil, err
	}
	return d, nil
}
