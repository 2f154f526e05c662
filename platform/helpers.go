package platform

import (
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

// documentsAccessPolicy lets the web app read and write documents, and use
// the data key only through S3.
func documentsAccessPolicy(bucketArn, dataKeyArn string) string {
	return components.PolicyJSON(
		components.PolicyStatement{Sid: "ListDocuments", Effect: "Allow", Action: "s3:ListBucket", Resource: bucketArn},
		components.PolicyStatement{Sid: "ReadWriteDocuments", Effect: "Allow",
			Action: []string{"s3:GetObject", "s3:PutObject", "s3:GetObjectVersion"}, Resource: bucketArn + "/*"},
		components.PolicyStatement{Sid: "DataKeyViaS3", Effect: "Allow",
			Action: []string{"kms:Decrypt", "kms:GenerateDataKey"}, Resource: dataKeyArn,
			Condition: map[string]map[string]any{"StringEquals": {"kms:ViaService": "s3." + AllowedRegion + ".amazonaws.com"}}},
	)
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
