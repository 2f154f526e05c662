package verify

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
)

// Key obligations derived from the plan: the key behind every encrypted log
// group and every secret a role may read must let the service (or the
// reader, through the service) use it, with the encryption context the
// service sends.

// logsKeyActions are what CloudWatch Logs calls on a log group's key
// ("Encrypt log data in CloudWatch Logs using AWS KMS"): it encrypts new
// events and decrypts them for readers, with the log group's ARN as context.
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html
var logsKeyActions = []string{"kms:GenerateDataKey", "kms:Decrypt"}

func (w *world) keyUseIntents() []AccessIntent {
	var out []AccessIntent
	for _, lg := range w.plan.ByType("aws:cloudwatch/logGroup:LogGroup") {
		key := lg.Str("kmsKeyId")
		if key == "" {
			continue
		}
		arn := fmt.Sprintf("arn:aws:logs:%s:%s:log-group:%s", w.region, w.account, lg.Str("name"))
		for _, a := range logsKeyActions {
			out = append(out, AccessIntent{Name: fmt.Sprintf("CloudWatch Logs uses the key of log group %s (%s)", lg.Str("name"), a), Want: true,
				pol: w.key(key),
				Request: Request{Principal: svc("logs." + w.region + ".amazonaws.com"), Action: a, Resource: key,
					Context: map[string][]string{"kms:EncryptionContext:aws:logs:arn": {arn}}}})
		}
	}
	secretKeys := w.secretKeys()
	for _, roleArn := range slices.Sorted(maps.Keys(w.roles)) {
		for _, secret := range w.grantedSecrets(roleArn) {
			key, ok := secretKeys[secret]
			if !ok {
				continue // the AWS managed key: Secrets Manager needs no grant for it
			}
			p, pol := w.asRole(roleArn)
			pol = w.withKey(pol, key)
			// Secrets Manager decrypts on the caller's behalf, through the
			// service, with the secret's ARN as context.
			// https://docs.aws.amazon.com/secretsmanager/latest/userguide/security-encryption.html
			out = append(out, AccessIntent{Name: fmt.Sprintf("%s decrypts secret %s with its key", w.roles[roleArn].name, secret[strings.Index(secret, ":secret:")+len(":secret:"):]), Want: true, pol: pol,
				Request: Request{Principal: p, Action: "kms:Decrypt", Resource: key, Context: map[string][]string{
					"kms:ViaService": {"secretsmanager." + w.region + ".amazonaws.com"}, "kms:CallerAccount": {w.account},
					"kms:EncryptionContext:SecretARN": {secret}, "aws:CalledVia": {"secretsmanager.amazonaws.com"}}}})
		}
	}
	out = append(out, w.bucketKeyIntents()...)
	return out
}

// objectKeyActions: what S3 asks KMS for on a caller's behalf for an object
// in an SSE-KMS bucket: a data key to write, a decrypt to read, with the
// bucket's (or object's) ARN as encryption context ("Protecting data with
// server-side encryption using AWS KMS keys": permissions).
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html
var objectKeyActions = map[string]string{"s3:PutObject": "kms:GenerateDataKey", "s3:GetObject": "kms:Decrypt"}

// bucketKeyIntents: every role granted to write or read objects of an
// SSE-KMS bucket of the plan can use the bucket's key through S3.
func (w *world) bucketKeyIntents() []AccessIntent {
	var out []AccessIntent
	for _, roleArn := range slices.Sorted(maps.Keys(w.roles)) {
		for _, g := range w.grantedObjects(roleArn) {
			key, ok := w.bucketKey[g.bucket]
			if !ok {
				continue
			}
			p, pol := w.asRole(roleArn)
			pol = w.withKey(pol, key)
			out = append(out, AccessIntent{Name: fmt.Sprintf("%s uses the key of %s through S3 (%s)", w.roleName(roleArn), g.bucket, g.action), Want: true, pol: pol,
				Request: Request{Principal: p, Action: objectKeyActions[g.action], Resource: key, Context: map[string][]string{
					"kms:ViaService": {"s3." + w.region + ".amazonaws.com"}, "kms:CallerAccount": {w.account},
					"kms:EncryptionContext:aws:s3:arn": {"arn:aws:s3:::" + g.bucket}, "aws:CalledVia": {"s3.amazonaws.com"}}}})
		}
	}
	return out
}

type objectGrant struct{ bucket, action string }

// grantedObjects are the (bucket, object action) pairs a role's identity
// policies allow on buckets of the plan.
func (w *world) grantedObjects(roleArn string) []objectGrant {
	seen := map[objectGrant]bool{}
	for _, d := range w.rolePolicies(roleArn) {
		for _, s := range d.Statement {
			if !strings.EqualFold(s.Effect, "Allow") {
				continue
			}
			for action := range objectKeyActions {
				if !anyMatch(list(s.Action), action, true) {
					continue
				}
				for _, r := range list(s.Resource) {
					b, _, isObject := strings.Cut(strings.TrimPrefix(r, "arn:aws:s3:::"), "/")
					if !strings.HasPrefix(r, "arn:aws:s3:::") || !isObject || strings.ContainsAny(b, "*?") {
						continue
					}
					if _, ours := w.bucketKey[b]; ours {
						seen[objectGrant{b, action}] = true
					}
				}
			}
		}
	}
	var out []objectGrant
	for g := range seen {
		out = append(out, g)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].bucket+out[i].action < out[j].bucket+out[j].action })
	return out
}

// secretKeys maps every secret of the plan encrypted with a customer key to
// that key: Secrets Manager secrets with kmsKeyId, and the master user
// secrets RDS manages under masterUserSecretKmsKeyId.
func (w *world) secretKeys() map[string]string {
	out := map[string]string{}
	for _, s := range w.plan.ByType("aws:secretsmanager/secret:Secret") {
		if arn, _ := s.Outputs["arn"].(string); arn != "" && s.Str("kmsKeyId") != "" {
			out[arn] = s.Str("kmsKeyId")
		}
	}
	for _, typ := range []string{tRDSInstance, tRDSCluster} {
		for _, db := range w.plan.ByType(typ) {
			key := db.Str("masterUserSecretKmsKeyId")
			if key == "" {
				continue
			}
			for _, m := range asList(db.Outputs["masterUserSecrets"]) {
				if arn := str(m["secretArn"]); arn != "" {
					out[arn] = key
				}
			}
		}
	}
	return out
}

// grantedSecrets are the concrete secret ARNs a role's identity policies
// allow it to read.
func (w *world) grantedSecrets(roleArn string) []string {
	seen := map[string]bool{}
	for _, d := range w.rolePolicies(roleArn) {
		for _, s := range d.Statement {
			if !strings.EqualFold(s.Effect, "Allow") || !anyMatch(list(s.Action), "secretsmanager:GetSecretValue", true) {
				continue
			}
			for _, r := range list(s.Resource) {
				if strings.HasPrefix(r, "arn:aws:secretsmanager:") && !strings.Contains(r, "*") {
					seen[r] = true
				}
			}
		}
	}
	return slices.Sorted(maps.Keys(seen))
}
