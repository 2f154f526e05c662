package verify

// AWS managed policies the plan attaches, vendored from the AWS Managed
// Policy Reference (https://docs.aws.amazon.com/aws-managed-policy/latest/reference/)
// and pinned to the version given. A role's attachment of a managed policy
// that is not here grants nothing in the analysis: an intent must be
// provable from documents the analysis can read, and its finding names the
// policies it could not read.
//
// An Excerpt holds only some of the policy's statements, quoted as AWS
// publishes them. These policies contain no Deny statement, so an excerpt
// can only grant less than the whole policy: an allow it proves holds, but a
// refusal it finds does not (Access reports a negative intent for such a
// role as unprovable).
type managedPolicy struct {
	Version  string
	Excerpt  bool
	Document string
}

var managedPolicies = map[string]managedPolicy{
	// https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AmazonRDSEnhancedMonitoringRole.html
	"arn:aws:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole": {Version: "v1", Document: `{"Version":"2012-10-17","Statement":[
		{"Sid":"EnableCreationAndManagementOfRDSCloudwatchLogGroups","Effect":"Allow","Action":["logs:CreateLogGroup","logs:PutRetentionPolicy"],"Resource":["arn:aws:logs:*:*:log-group:RDS*"]},
		{"Sid":"EnableCreationAndManagementOfRDSCloudwatchLogStreams","Effect":"Allow","Action":["logs:CreateLogStream","logs:PutLogEvents","logs:DescribeLogStreams","logs:GetLogEvents"],"Resource":["arn:aws:logs:*:*:log-group:RDS*:log-stream:*"]}]}`},

	// https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AdministratorAccess.html
	"arn:aws:iam::aws:policy/AdministratorAccess": {Version: "v1", Document: `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":"*","Resource":"*"}]}`},

	// https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AWSBackupServiceRolePolicyForBackup.html
	// The statements an RDS backup job and its cross-Region copy rely on
	// (of 50; the rest cover DynamoDB, EBS, EFS, FSx, Redshift, EKS, ...).
	"arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup": {Version: "v29", Excerpt: true, Document: `{"Version":"2012-10-17","Statement":[
		{"Sid":"DynamoDBBackupPermissions","Effect":"Allow","Resource":"*","Action":["rds:AddTagsToResource","rds:ListTagsForResource",
			"rds:DescribeDBSnapshots","rds:CreateDBSnapshot","rds:CopyDBSnapshot","rds:DescribeDBInstances","rds:CreateDBClusterSnapshot",
			"rds:DescribeDBClusters","rds:DescribeDBClusterSnapshots","rds:CopyDBClusterSnapshot","rds:DescribeDBClusterAutomatedBackups"]},
		{"Sid":"RDSInstanceAutomatedBackupPermissions","Effect":"Allow","Action":"rds:DeleteDBInstanceAutomatedBackup","Resource":"arn:aws:rds:*:*:auto-backup:*"},
		{"Sid":"RDSModifyPermissions","Effect":"Allow","Action":["rds:ModifyDBInstance"],"Resource":["arn:aws:rds:*:*:db:*"]},
		{"Sid":"RDSBackupPermissions","Effect":"Allow","Action":["rds:DeleteDBSnapshot","rds:ModifyDBSnapshotAttribute"],"Resource":["arn:aws:rds:*:*:snapshot:awsbackup:*"]},
		{"Sid":"BackupVaultPermissions","Effect":"Allow","Action":["backup:DescribeBackupVault","backup:CopyIntoBackupVault"],"Resource":"arn:aws:backup:*:*:backup-vault:*"},
		{"Sid":"BackupVaultCopyPermissions","Effect":"Allow","Action":["backup:CopyFromBackupVault"],"Resource":"*"},
		{"Sid":"KMSPermissions","Effect":"Allow","Action":"kms:DescribeKey","Resource":"*"},
		{"Sid":"KMSCreateGrantPermissions","Effect":"Allow","Action":"kms:CreateGrant","Resource":"*","Condition":{"Bool":{"kms:GrantIsForAWSResource":"true"}}},
		{"Sid":"RecoveryPointTaggingPermissions","Effect":"Allow","Action":["backup:TagResource"],"Resource":"arn:aws:backup:*:*:recovery-point:*",
			"Condition":{"StringEquals":{"aws:PrincipalAccount":"${aws:ResourceAccount}"}}}]}`},
}

// adminAccess is the AdministratorAccess document: the strongest identity a
// negative intent can be tested against.
func adminAccess() Document {
	return mustDoc(managedPolicies["arn:aws:iam::aws:policy/AdministratorAccess"].Document)
}
