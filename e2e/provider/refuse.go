package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/docustack/infrastructure/internal/awsspec"
)

// What AWS refuses when a resource is created or updated, decided from the
// same sources as `docustack verify`'s deployable section (internal/awsspec),
// answered with the service's error code and words.

// refuseDocuments: every policy document at a known site must pass the
// grammar of its kind and its quota.
func refuseDocuments(typ string, inputs map[string]any) error {
	var errs []error
	for _, d := range awsspec.PolicyDocs(typ, inputs) {
		if d.Kind == "" {
			continue // AWS has no opinion on what it does not read as a policy
		}
		for _, p := range awsspec.Validate(d.Kind, d.Text) {
			if p.NoModel {
				continue
			}
			errs = append(errs, fmt.Errorf("%s: %s", d.Path, p.APIError(d.Kind)))
		}
	}
	return errors.Join(errs...)
}

// refusePrincipals: IAM and KMS resolve every ARN principal when a trust or
// resource policy is set; one that does not exist is refused.
func refusePrincipals(w *world, typ string, inputs map[string]any) error {
	var errs []error
	for _, d := range awsspec.PolicyDocs(typ, inputs) {
		switch d.Kind {
		case "", awsspec.KindIdentity, awsspec.KindManaged, awsspec.KindSCP:
			continue
		}
		for _, arn := range awsspec.Principals(d.Text) {
			f := strings.Split(arn, ":")
			if _, byAWS := awsspec.CreatedByAWS(arn); byAWS || len(f) == 6 && f[2] == "iam" && f[5] == "root" || w.arnExists(arn) {
				continue
			}
			errs = append(errs, fmt.Errorf("%s: %s", d.Path, fmt.Sprintf(awsspec.Kinds[d.Kind].PrincipalError, arn)))
		}
	}
	return errors.Join(errs...)
}

// refuseName: a physical name AWS keeps unique cannot be taken twice.
func refuseName(a *account, typ, urn, id string, inputs map[string]any) error {
	_, name, fixed := awsspec.FixedName(typ, inputs)
	if !fixed {
		return nil
	}
	if l, taken := a.named(typ, name); taken && key(l.URN, l.ID) != key(urn, id) {
		return errors.New(awsspec.AlreadyExists(typ, name))
	}
	return nil
}

// refuseLogging: S3 delivers server access logs only to a bucket of the
// same account ("The owner for the bucket to be logged and the target
// bucket must be the same"; S3 User Guide, Enabling server access logging).
func refuseLogging(w *world, accountID, typ string, inputs map[string]any) error {
	if typ != "aws:s3/bucketLoggingV2:BucketLoggingV2" {
		return nil
	}
	target, _ := inputs["targetBucket"].(string)
	owner, ok := w.bucketAccount(target)
	switch {
	case !ok:
		return fmt.Errorf("InvalidTargetBucketForLogging: The target bucket for logging does not exist (%s)", target)
	case owner != accountID:
		return fmt.Errorf("InvalidTargetBucketForLogging: The owner for the bucket to be logged and the target bucket must be the same (%s is in %s, not %s)", target, owner, accountID)
	}
	return nil
}

// deliveryTargets are the inputs that name a bucket or key another
// service writes to or encrypts with, and the error the service answers
// when it does not exist (in any account: bucket names are global, a key
// ARN names its account). Across accounts this is what a workload stack
// deployed before the org stack's archive meets.
var deliveryTargets = map[string][]struct {
	path, kind, err string
}{
	// CloudTrail CreateTrail: S3BucketDoesNotExistException, KmsKeyNotFoundException.
	// https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_CreateTrail.html#API_CreateTrail_Errors
	"aws:cloudtrail/trail:Trail": {{"s3BucketName", "bucket", "S3BucketDoesNotExistException: This request was rejected because the specified S3 bucket does not exist (%s)"},
		{"kmsKeyId", "key", "KmsKeyNotFoundException: This exception is no longer in use (the KMS key %s does not exist)"}},
	// AWS Config PutDeliveryChannel: NoSuchBucketException.
	// https://docs.aws.amazon.com/config/latest/APIReference/API_PutDeliveryChannel.html#API_PutDeliveryChannel_Errors
	"aws:cfg/deliveryChannel:DeliveryChannel": {{"s3BucketName", "bucket", "NoSuchBucketException: The specified Amazon S3 bucket does not exist (%s)"}},
	// Elastic Load Balancing: access logs to a missing bucket.
	"aws:lb/loadBalancer:LoadBalancer": {{"accessLogs.bucket", "bucket", "InvalidConfigurationRequest: The specified bucket does not exist: %s"}},
	// S3 PutBucketReplication: the destination must exist.
	"aws:s3/bucketReplicationConfig:BucketReplicationConfig": {{"rules.0.destination.bucket", "bucket", "InvalidRequest: Destination bucket must exist (%s)"}},
	// EC2 CreateFlowLogs to S3.
	"aws:ec2/flowLog:FlowLog": {{"logDestination", "bucket", "LogDestinationNotFoundException: The specified log destination does not exist (%s)"}},
}

// refuseMissingTargets: a delivery to a bucket or key nobody created fails.
func refuseMissingTargets(w *world, typ string, inputs map[string]any) error {
	var errs []error
	for _, t := range deliveryTargets[typ] {
		v, _ := dig(inputs, t.path).(string)
		if v == "" {
			continue
		}
		switch t.kind {
		case "bucket":
			name := strings.TrimPrefix(v, "arn:aws:s3:::")
			name, _, _ = strings.Cut(name, "/")
			if _, ok := w.bucketAccount(name); !ok {
				errs = append(errs, fmt.Errorf(t.err, name))
			}
		case "key":
			if strings.HasPrefix(v, "arn:aws:kms:") && strings.Contains(v, ":key/") && !w.arnExists(v) {
				errs = append(errs, fmt.Errorf(t.err, v))
			}
		}
	}
	return errors.Join(errs...)
}

// dig reads a dotted path ("rules.0.destination.bucket") of decoded inputs.
func dig(v any, path string) any {
	for _, p := range strings.Split(path, ".") {
		switch x := v.(type) {
		case map[string]any:
			v = x[p]
		case []any:
			i := 0
			if _, err := fmt.Sscan(p, &i); err != nil || i >= len(x) {
				return nil
			}
			v = x[i]
		default:
			return nil
		}
	}
	return v
}

// record keeps a created or updated resource in its account.
func record(a *account, typ, urn, id string, state map[string]any) {
	l := live{URN: urn, ID: id, Type: typ}
	l.ARN, _ = state["arn"].(string)
	if _, name, fixed := awsspec.FixedName(typ, state); fixed {
		l.Name = name
	}
	if typ == "aws:s3/bucketV2:BucketV2" {
		l.Bucket, _ = state["bucket"].(string)
	}
	a.Live[key(urn, id)] = l
}
