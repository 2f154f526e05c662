package platform

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/docustack/infrastructure/components"
)

// workload builds layers 1-5 of a workload account.
func workload(ctx *pulumi.Context, cfg *Config, keys *components.Keys, opts []pulumi.ResourceOption) error {
	logsKey, dataKey, dbKey := keys.Arn(components.KeyLogs), keys.Arn(components.KeyData), keys.Arn(components.KeyDatabase)

	// Layer 1: log archive and network.
	archive, err := components.NewLogArchive(ctx, "log-archive", cfg.logArchiveArgs(logsKey), opts...)
	if err != nil {
		return err
	}
	ctx.Export("logArchiveBucket", archive.Bucket.Bucket)
	ctx.Export("accessLogsBucket", archive.AccessLogsBucket.Bucket)

	netArgs := cfg.networkArgs(pulumi.String(archive.FlowLogDestination))
	network, err := components.NewNetwork(ctx, "network", netArgs, opts...)
	if err != nil {
		return err
	}
	ctx.Export("vpcId", network.Vpc.ID())
	for _, t := range components.Tiers {
		ctx.Export(string(t)+"SubnetIds", network.SubnetIDs(t))
	}
	sgs := network.SecurityGroups
	ctx.Export("securityGroupIds", pulumi.StringMap{
		components.RoleALB:       sgs.ALB.ID().ToStringOutput(),
		components.RoleECS:       sgs.ECS.ID().ToStringOutput(),
		components.RoleRDS:       sgs.RDS.ID().ToStringOutput(),
		components.RoleEndpoints: sgs.Endpoints.ID().ToStringOutput(),
	})

	// The DR region holds only replicas and backup copies (seed SCP).
	drProvider, err := newProvider(ctx, "aws-dr", cfg.DRRegion, cfg.AccountID)
	if err != nil {
		return err
	}
	drKeys, err := components.NewKeys(ctx, "keys-dr", cfg.drKeysArgs(), pulumi.Providers(drProvider))
	if err != nil {
		return err
	}

	// Layer 2: registry, cluster, database, documents.
	registry, err := components.NewRegistry(ctx, "registry", cfg.registryArgs(dataKey), opts...)
	if err != nil {
		return err
	}
	cluster, err := components.NewCluster(ctx, "cluster", cfg.clusterArgs(logsKey), opts...)
	if err != nil {
		return err
	}
	db, err := components.NewDatabase(ctx, "database",
		cfg.databaseArgs(network.SubnetIDs(components.TierDatabase), sgs.RDS.ID(), dbKey, logsKey), opts...)
	if err != nil {
		return err
	}
	ctx.Export("databaseEndpoint", db.Endpoint)
	ctx.Export("databaseMasterSecretArn", db.MasterSecretArn)
	docs, err := components.NewDocuments(ctx, "documents",
		cfg.documentsArgs(dataKey, drKeys.Arn(components.KeyData), drProvider), opts...)
	if err != nil {
		return err
	}
	ctx.Export("documentsBucket", docs.Bucket.Bucket)

	// Layer 3 entry: ALB, certificate, WAF with the IP allow-list.
	ingress, err := components.NewIngress(ctx, "ingress",
		cfg.ingressArgs(network.Vpc.ID(), network.SubnetIDs(components.TierPublic), sgs.ALB.ID()), opts...)
	if err != nil {
		return err
	}
	ctx.Export("url", pulumi.Sprintf("https://%s", ingress.DNSName))

	// Layer 5: the web app.
	secrets, err := newAppSecrets(ctx, cfg, "web", cfg.Web.Secrets, opts)
	if err != nil {
		return err
	}
	taskPolicy := dataKey.ApplyT(func(key string) string {
		return documentsAccessPolicy(docs.BucketArn, key)
	}).(pulumi.StringOutput)
	webArgs := cfg.webArgs(pulumi.Sprintf("%s:%s", registry.URL("web"), cfg.Web.ImageTag), registry.Arn("web"), cluster.Arn,
		network.SubnetIDs(components.TierPrivate), pulumi.StringArray{sgs.ECS.ID().ToStringOutput()},
		ingress.TargetGroup.Arn, logsKey, taskPolicy)
	webArgs.Secrets = secrets
	if _, err := components.NewService(ctx, "web", webArgs, opts...); err != nil {
		return err
	}
	return nil
}

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
		Path: "docustack/" + string(cfg.Environment) + "/" + app, Names: names, RecoveryDays: recovery, Tags: cfg.StackTags(),
	}, opts...)
	if err != nil {
		return nil, err
	}
	return s.Arns, nil
}
