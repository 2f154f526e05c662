package platform

import (
	"fmt"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/docustack/infrastructure/components"
)

// drKeysArgs is the data key of the DR region, for the replica bucket.
func (c *Config) drKeysArgs() components.KeysArgs {
	a := c.KeysArgs()
	a.Region = c.DRRegion
	a.AliasPrefix = c.prefix() + "-dr"
	a.Purposes = []components.KeyPurpose{components.KeyData}
	return a
}

// documentsAccess lets the web app and the workers read and write
// documents, and use the data key only through S3.
func documentsAccess(bucketArn, dataKeyArn string) []components.PolicyStatement {
	return []components.PolicyStatement{
		components.PolicyStatement{Sid: "ListDocuments", Effect: "Allow", Action: "s3:ListBucket", Resource: bucketArn},
		components.PolicyStatement{Sid: "ReadWriteDocuments", Effect: "Allow",
			Action: []string{"s3:GetObject", "s3:PutObject", "s3:GetObjectVersion"}, Resource: bucketArn + "/*"},
		components.PolicyStatement{Sid: "DataKeyViaS3", Effect: "Allow",
			Action: []string{"kms:Decrypt", "kms:GenerateDataKey"}, Resource: dataKeyArn,
			Condition: map[string]map[string]any{"StringEquals": {"kms:ViaService": "s3." + AllowedRegion + ".amazonaws.com"}}},
	}
}

// appTaskPolicy is the web and workers tasks' role: the documents, and
// signing in to the database as the application's role (IAM database
// authentication; no password exists).
func appTaskPolicy(cfg *Config, bucketArn string, dataKey, dbResourceID pulumi.StringInput) pulumi.StringOutput {
	return pulumi.All(dataKey, dbResourceID).ApplyT(func(v []any) string {
		return components.PolicyJSON(append(documentsAccess(bucketArn, v[0].(string)),
			components.DatabaseConnectStatement(cfg.Region, cfg.AccountID, v[1].(string), AppDatabase))...)
	}).(pulumi.StringOutput)
}

// databaseClientEnv is how the application images reach the database: as
// the application's role, with a token their task role signs
// (DB_AUTH=iam), over verify-full TLS.
// https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/UsingWithRDS.IAMDBAuth.Connecting.html
func databaseClientEnv(env map[string]string) {
	env["DB_AUTH"], env["DB_USER"], env["DB_NAME"] = components.RoleAuthIAM, AppDatabase, AppDatabase
	env["DB_PORT"] = fmt.Sprint(components.DefaultDatabasePort)
	env["DB_SSLMODE"], env["DB_SSLROOTCERT"] = components.DatabaseSSLMode, components.RDSCABundlePath
}

// newAppSecrets creates an app's empty secrets and returns their ARNs.
func newAppSecrets(ctx *pulumi.Context, cfg *Config, app string, names []string, opts []pulumi.ResourceOption) (map[string]pulumi.StringInput, error) {
	if len(names) == 0 {
		return nil, nil
	}
	recovery := components.MinSecretRecoveryDays
	if cfg.ProtectStatefulResources {
		recovery = components.DefaultSecretRecoveryDays
	}
	s, err := components.NewSecrets(ctx, app+"-secrets", components.SecretsArgs{
		Path: cfg.secretPath(app), Names: names, RecoveryDays: recovery, Tags: cfg.StackTags(),
	}, opts...)
	if err != nil {
		return nil, err
	}
	return s.Arns, nil
}
