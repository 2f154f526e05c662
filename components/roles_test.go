package components_test

import (
	"encoding/json"
	"sort"
	"testing"

	"github.com/stretchr/testify/assert"
)

// roleGrant is what a role may do: the actions its inline policies allow
// and the AWS managed policies attached to it.
type roleGrant struct {
	actions []string
	managed []string
}

// TestEveryRoleHasExactlyItsActions pins, per role, the exact actions it is
// allowed (least privilege, seed: Multi-Account Strategy) and the managed
// policies it carries. A new role, a new action or a wider one fails here by
// name; the resources and conditions of each statement are the components'
// own tests' and docustack verify's business.
func TestEveryRoleHasExactlyItsActions(t *testing.T) {
	want := map[string]map[string]roleGrant{
		"prod": {
			"trail-logs-role":                   {[]string{"logs:CreateLogStream", "logs:PutLogEvents"}, nil},
			"access-log-relay-replication-role": {[]string{"s3:GetObjectVersionAcl", "s3:GetObjectVersionForReplication", "s3:GetObjectVersionTagging", "s3:GetReplicationConfiguration", "s3:ListBucket", "s3:ObjectOwnerOverrideToBucketOwner", "s3:ReplicateObject", "s3:ReplicateTags"}, nil},
			"github-deploy":                     {[]string{"kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey", "s3:DeleteObject", "s3:GetBucketVersioning", "s3:GetObject", "s3:ListBucket", "s3:PutObject"}, []string{"arn:aws:iam::aws:policy/AdministratorAccess"}},
			"github-preview":                    {[]string{"kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey", "s3:DeleteObject", "s3:GetBucketVersioning", "s3:GetObject", "s3:ListBucket", "s3:PutObject"}, []string{"arn:aws:iam::aws:policy/ReadOnlyAccess"}},
			"github-drift":                      {[]string{"kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey", "s3:DeleteObject", "s3:GetBucketVersioning", "s3:GetObject", "s3:ListBucket", "s3:PutObject"}, []string{"arn:aws:iam::aws:policy/ReadOnlyAccess"}},
			"config-recorder-role":              {[]string{"kms:Decrypt", "kms:GenerateDataKey", "s3:GetBucketAcl", "s3:ListBucket", "s3:PutObject"}, []string{"arn:aws:iam::aws:policy/service-role/AWS_ConfigRole"}},
			"config-remediation-role":           {[]string{"cloudtrail:CreateTrail", "cloudtrail:GetTrailStatus", "cloudtrail:StartLogging", "ec2:CreateFlowLogs", "ec2:DescribeFlowLogs", "iam:GetAccountPasswordPolicy", "iam:UpdateAccountPasswordPolicy", "logs:CreateLogDelivery", "logs:DeleteLogDelivery", "s3:GetEncryptionConfiguration", "s3:PutEncryptionConfiguration"}, nil},
			"slack-bot-execution-role":          {[]string{"ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetAuthorizationToken", "ecr:GetDownloadUrlForLayer", "logs:CreateLogStream", "logs:PutLogEvents", "secretsmanager:GetSecretValue"}, nil},
			"slack-bot-task-role":               {nil, nil},
			"web-execution-role":                {[]string{"ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetAuthorizationToken", "ecr:GetDownloadUrlForLayer", "logs:CreateLogStream", "logs:PutLogEvents", "secretsmanager:GetSecretValue"}, nil},
			// Documents, and signing in to the database with IAM (ADR 0006).
			"web-task-role": {[]string{"kms:Decrypt", "kms:GenerateDataKey", "rds-db:connect", "s3:GetObject", "s3:GetObjectVersion", "s3:ListBucket", "s3:PutObject"}, nil},
			// No secret left to read: the database password is gone.
			"workers-execution-role": {[]string{"ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetAuthorizationToken", "ecr:GetDownloadUrlForLayer", "logs:CreateLogStream", "logs:PutLogEvents"}, nil},
			"workers-task-role":      {[]string{"kms:Decrypt", "kms:GenerateDataKey", "rds-db:connect", "s3:GetObject", "s3:GetObjectVersion", "s3:ListBucket", "s3:PutObject"}, nil},
			"waf-logs-replication-role": {[]string{"kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "s3:GetObjectVersionAcl", "s3:GetObjectVersionForReplication", "s3:GetObjectVersionTagging",
				"s3:GetReplicationConfiguration", "s3:ListBucket", "s3:ObjectOwnerOverrideToBucketOwner", "s3:ReplicateObject", "s3:ReplicateTags"}, nil},
			"database-monitoring-role":   {nil, []string{"arn:aws:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole"}},
			"db-init-role":               {[]string{"ec2:AssignPrivateIpAddresses", "ec2:CreateNetworkInterface", "ec2:DeleteNetworkInterface", "ec2:DescribeNetworkInterfaces", "ec2:UnassignPrivateIpAddresses", "kms:Decrypt", "logs:CreateLogStream", "logs:PutLogEvents", "secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue", "secretsmanager:PutSecretValue", "xray:PutTelemetryRecords", "xray:PutTraceSegments"}, nil},
			"documents-replication-role": {[]string{"kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "s3:GetObjectVersionAcl", "s3:GetObjectVersionForReplication", "s3:GetObjectVersionTagging", "s3:GetReplicationConfiguration", "s3:ListBucket", "s3:ReplicateDelete", "s3:ReplicateObject", "s3:ReplicateTags"}, nil},
			"backup-role":                {nil, []string{"arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup", "arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForRestores"}},
			"bastion-role":               {nil, []string{"arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"}},
			// AWS Support cases (CIS 1.17, Security Hub IAM.18).
			"config-support-role":              {nil, []string{"arn:aws:iam::aws:policy/AWSSupportAccess"}},
			"scheduler-role":                   {[]string{"autoscaling:UpdateAutoScalingGroup"}, nil},
			"temporal-frontend-execution-role": {[]string{"ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetAuthorizationToken", "ecr:GetDownloadUrlForLayer", "logs:CreateLogStream", "logs:PutLogEvents", "secretsmanager:GetSecretValue"}, nil},
			// The metrics collector writes EMF events to its own log group.
			"temporal-frontend-task-role":      {[]string{"logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"}, nil},
			"temporal-history-execution-role":  {[]string{"ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetAuthorizationToken", "ecr:GetDownloadUrlForLayer", "logs:CreateLogStream", "logs:PutLogEvents", "secretsmanager:GetSecretValue"}, nil},
			"temporal-history-task-role":       {[]string{"logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"}, nil},
			"temporal-matching-execution-role": {[]string{"ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetAuthorizationToken", "ecr:GetDownloadUrlForLayer", "logs:CreateLogStream", "logs:PutLogEvents", "secretsmanager:GetSecretValue"}, nil},
			"temporal-matching-task-role":      {nil, nil},
			"temporal-ui-execution-role":       {[]string{"ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetAuthorizationToken", "ecr:GetDownloadUrlForLayer", "logs:CreateLogStream", "logs:PutLogEvents"}, nil},
			"temporal-ui-task-role":            {nil, nil},
			"temporal-worker-execution-role":   {[]string{"ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetAuthorizationToken", "ecr:GetDownloadUrlForLayer", "logs:CreateLogStream", "logs:PutLogEvents", "secretsmanager:GetSecretValue"}, nil},
			"temporal-worker-task-role":        {nil, nil},
		},
		"org": {
			"trail-logs-role": {[]string{"logs:CreateLogStream", "logs:PutLogEvents"}, nil},
			"github-deploy":   {[]string{"kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey", "s3:DeleteObject", "s3:GetBucketVersioning", "s3:GetObject", "s3:ListBucket", "s3:PutObject"}, []string{"arn:aws:iam::aws:policy/AdministratorAccess"}},
			// The org stack's preview and drift roles also assume the Log Archive reader.
			"github-preview": {[]string{"kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey", "s3:DeleteObject", "s3:GetBucketVersioning", "s3:GetObject", "s3:ListBucket", "s3:PutObject", "sts:AssumeRole"}, []string{"arn:aws:iam::aws:policy/ReadOnlyAccess"}},
			"github-drift":   {[]string{"kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey", "s3:DeleteObject", "s3:GetBucketVersioning", "s3:GetObject", "s3:ListBucket", "s3:PutObject", "sts:AssumeRole"}, []string{"arn:aws:iam::aws:policy/ReadOnlyAccess"}},
			"log-archive-reader-role": {[]string{"iam:GetRole", "iam:GetRolePolicy", "iam:ListAttachedRolePolicies", "iam:ListRolePolicies", "iam:ListRoleTags",
				"kms:DescribeKey", "kms:GetKeyPolicy", "kms:GetKeyRotationStatus", "kms:ListAliases", "kms:ListResourceTags",
				"s3:GetAccelerateConfiguration", "s3:GetAnalyticsConfiguration", "s3:GetBucket*", "s3:GetEncryptionConfiguration", "s3:GetIntelligentTieringConfiguration",
				"s3:GetInventoryConfiguration", "s3:GetLifecycleConfiguration", "s3:GetMetricsConfiguration", "s3:GetReplicationConfiguration", "s3:ListAllMyBuckets", "s3:ListBucket"}, nil},
		},
	}
	for stack, roles := range want {
		p := stackPlan(t, stack)
		managed := map[string][]string{}
		for _, a := range p.ByType("aws:iam/rolePolicyAttachment:RolePolicyAttachment") {
			managed[a.Str("role")] = append(managed[a.Str("role")], a.Str("policyArn"))
		}
		seen := map[string]bool{}
		for _, r := range p.ByType("aws:iam/role:Role") {
			seen[r.Name] = true
			w, ok := roles[r.Name]
			if !assert.True(t, ok, "%s: role %s is new: add its exact grants to this table", stack, r.Name) {
				continue
			}
			got := roleGrant{actions: allowedActions(t, r.Get("inlinePolicies")), managed: sortedOrNil(append(managed[r.ID], managed[r.Str("name")]...))}
			assert.Equal(t, w, got, "%s: %s", stack, r.Name)
		}
		for name := range roles {
			assert.True(t, seen[name], "%s: role %s is gone: remove it from this table", stack, name)
		}
	}
}

func allowedActions(t *testing.T, inline any) []string {
	t.Helper()
	set := map[string]bool{}
	list, _ := inline.([]any)
	for _, ip := range list {
		m, _ := ip.(map[string]any)
		src, _ := m["policy"].(string)
		if src == "" {
			continue
		}
		var doc struct {
			Statement []struct {
				Effect string
				Action any
			}
		}
		if err := json.Unmarshal([]byte(src), &doc); err != nil {
			t.Fatalf("policy: %v", err)
		}
		for _, st := range doc.Statement {
			if st.Effect != "Allow" {
				continue
			}
			for _, a := range strs(toAny(st.Action)) {
				set[a] = true
			}
		}
	}
	out := make([]string, 0, len(set))
	for a := range set {
		out = append(out, a)
	}
	return sortedOrNil(out)
}

func sortedOrNil(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	s = append([]string(nil), s...)
	sort.Strings(s)
	out := s[:1]
	for _, x := range s[1:] {
		if x != out[len(out)-1] {
			out = append(out, x)
		}
	}
	return out
}
