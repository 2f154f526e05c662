package components

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/lambda"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

var pgNamePattern = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}$`)

// DB-init defaults.
const (
	dbInitTimeoutSeconds = 300
	dbInitMemoryMB       = 512
)

// DatabaseRole is a role DB-init creates, owning one or more databases. It
// signs in either with IAM database authentication (IAMAuth: DB-init grants
// it rds_iam and sets no password; its clients present a 15-minute token of
// their task role) or with a password DB-init generates into
// PasswordSecretArn, never into state.
// https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/UsingWithRDS.IAMDBAuth.DBAccounts.html#UsingWithRDS.IAMDBAuth.DBAccounts.PostgreSQL
type DatabaseRole struct {
	Name              string
	Databases         []string
	IAMAuth           bool
	PasswordSecretArn pulumi.StringInput
}

// Role authentication in DB-init's ROLES contract.
const (
	RoleAuthIAM      = "iam"
	RoleAuthPassword = "password"
)

// DBInitArgs configures the database initialisation Lambda.
type DBInitArgs struct {
	// FunctionName of the Lambda. Required.
	FunctionName string
	// Image is the container image from the application monorepo
	// ("<db-init repository>:<tag>"); the code does not live here (seed ADR:
	// Lambda Code Location). Required.
	Image pulumi.StringInput
	// ImageTag is the artifact version; a new tag re-runs the function on deploy. Required.
	ImageTag string
	// Roles to create, with their databases. Required: at least one.
	Roles []DatabaseRole
	// DatabaseHost, MasterSecretArn (RDS-managed) and DatabaseKMSKeyArn (its key). Required.
	DatabaseHost      pulumi.StringInput
	MasterSecretArn   pulumi.StringInput
	DatabaseKMSKeyArn pulumi.StringInput
	// DatabaseSecurityGroupID admits the function on 5432. Required.
	DatabaseSecurityGroupID pulumi.StringInput
	// VpcID and SubnetIDs (private tier). Required.
	VpcID     pulumi.StringInput
	SubnetIDs pulumi.StringArrayInput
	// LogsKMSKeyArn encrypts the function's log group. Required.
	LogsKMSKeyArn pulumi.StringInput
	// After are what the invocation waits for (the database being available).
	After []pulumi.Resource
	// LogRetentionDays. Default: 90.
	LogRetentionDays int
	// Tags are the stack tags. Required: every key of StackTagKeys.
	Tags Tags
}

// Validate reports every invalid field at once.
func (a DBInitArgs) Validate() error {
	var errs []error
	if !dbIdentifierPattern.MatchString(a.FunctionName) {
		errs = append(errs, fieldErr("functionName", a.FunctionName, "[a-z0-9-]"))
	}
	if !imageTagRegexp.MatchString(a.ImageTag) || a.ImageTag == "latest" {
		errs = append(errs, fieldErr("imageTag", a.ImageTag, "an immutable image tag (not latest)"))
	}
	if len(a.Roles) == 0 {
		errs = append(errs, fieldErr("roles", len(a.Roles), "at least one role"))
	}
	for i, r := range a.Roles {
		if !pgNamePattern.MatchString(r.Name) || len(r.Databases) == 0 {
			errs = append(errs, fieldErr(fmt.Sprintf("roles[%d]", i), r.Name, "a PostgreSQL role name with at least one database"))
		}
		if r.IAMAuth && r.PasswordSecretArn != nil {
			errs = append(errs, fieldErr(fmt.Sprintf("roles[%d].passwordSecretArn", i), r.Name, "none: the role signs in with IAM (iamAuth)"))
		}
		for _, d := range r.Databases {
			if !pgNamePattern.MatchString(d) {
				errs = append(errs, fieldErr(fmt.Sprintf("roles[%d].databases", i), d, "a PostgreSQL database name"))
			}
		}
	}
	errs = append(errs, validateStackTags("tags", a.Tags))
	return errors.Join(errs...)
}

// DatabaseSSLMode is every database client's libpq sslmode, the contract
// with the application images (DB_SSLMODE, with DB_SSLROOTCERT naming
// RDSCABundlePath in the image): "verify-full" checks the server's
// certificate against the RDS CA and that it names the host dialled, which
// "require" (encryption only) does not; the database refuses plain
// connections anyway (rds.force_ssl=1).
// https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/PostgreSQL.Concepts.General.SSL.html
const DatabaseSSLMode = "verify-full"

// DBInitPasswordPolicy is the DB-init function's password contract, sent
// with every invocation: generate a role's password only when its secret
// is empty.
const DBInitPasswordPolicy = "keep-existing"

// DBInit is the Lambda that creates the application and Temporal databases
// and roles, run on every deploy that changes its artifact.
type DBInit struct {
	pulumi.ResourceState

	Function        *lambda.Function
	SecurityGroupID pulumi.StringOutput
	// Invocation has run once the database's roles and their passwords
	// exist: what every database client waits for.
	Invocation *lambda.Invocation
}

// NewDBInit creates the function in the private subnets (reaching the
// database only through security groups and AWS APIs through the VPC
// endpoints), its role (read the master secret, write only the role
// secrets), and an invocation that re-runs whenever ImageTag changes.
func NewDBInit(ctx *pulumi.Context, name string, args DBInitArgs, opts ...pulumi.ResourceOption) (*DBInit, error) {
	if args.LogRetentionDays == 0 {
		args.LogRetentionDays = DefaultServiceLogDays
	}
	err := args.Validate()
	for f, missing := range InOrder(map[string]bool{"image": args.Image == nil, "databaseHost": args.DatabaseHost == nil,
		"masterSecretArn": args.MasterSecretArn == nil, "databaseKmsKeyArn": args.DatabaseKMSKeyArn == nil,
		"databaseSecurityGroupId": args.DatabaseSecurityGroupID == nil, "vpcId": args.VpcID == nil,
		"subnetIds": args.SubnetIDs == nil, "logsKmsKeyArn": args.LogsKMSKeyArn == nil}) {
		if missing {
			err = errors.Join(err, fieldErr(f, "", "a value from another component"))
		}
	}
	for i, r := range args.Roles {
		if !r.IAMAuth && r.PasswordSecretArn == nil {
			err = errors.Join(err, fieldErr(fmt.Sprintf("roles[%d].passwordSecretArn", i), r.Name, "the secret DB-init writes the role's password to (or iamAuth)"))
		}
	}
	if err != nil {
		return nil, err
	}
	d := &DBInit{}
	if err := ctx.RegisterComponentResource(TypeDBInit, name, d, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(d)
	tags := func(child string) pulumi.StringMap { return MergeTags(args.Tags, child, Tags{TagComponent: name}) }

	sgName := childName(name, "sg")
	sg, err := newSecurityGroup(ctx, sgName, args.VpcID, "DB-init Lambda: no inbound; PostgreSQL and HTTPS out", tags(sgName), parent)
	if err != nil {
		return nil, err
	}
	d.SecurityGroupID = sg.ID().ToStringOutput()
	if err := addRules(ctx, name, sg.ID(), []sgRule{
		tcp(DefaultDatabasePort, DefaultDatabasePort).out().withPeer(args.DatabaseSecurityGroupID).because("to the database"),
		tcp(HTTPSPort, HTTPSPort).out().fromCIDR(anywhere).because("Secrets Manager through its VPC endpoint, X-Ray through the NAT"),
	}, tags, parent); err != nil {
		return nil, err
	}
	if err := addRules(ctx, name+"-db", args.DatabaseSecurityGroupID, []sgRule{
		tcp(DefaultDatabasePort, DefaultDatabasePort).withPeer(sg.ID()).because("DB-init Lambda"),
	}, tags, parent); err != nil {
		return nil, err
	}

	logName := childName(name, "log")
	logGroup, err := cloudwatch.NewLogGroup(ctx, logName, &cloudwatch.LogGroupArgs{
		Name: pulumi.Sprintf("/aws/lambda/%s", args.FunctionName), RetentionInDays: pulumi.Int(args.LogRetentionDays),
		KmsKeyId: args.LogsKMSKeyArn, Tags: tags(logName),
	}, parent)
	if err != nil {
		return nil, err
	}

	roleSecrets := pulumi.StringArray{}
	for _, r := range args.Roles {
		if !r.IAMAuth {
			roleSecrets = append(roleSecrets, r.PasswordSecretArn)
		}
	}
	policy := pulumi.All(args.MasterSecretArn, args.DatabaseKMSKeyArn, logGroup.Arn, roleSecrets).ApplyT(func(v []any) string {
		return DBInitPolicy(v[0].(string), v[1].(string), v[2].(string), stringsOf(v[3]))
	}).(pulumi.StringOutput)
	roleName := childName(name, "role")
	role, err := iam.NewRole(ctx, roleName, &iam.RoleArgs{
		Description: pulumi.String("DB-init Lambda: read the RDS master secret, write the role secrets"),
		AssumeRolePolicy: pulumi.String(PolicyJSON(PolicyStatement{
			Effect: "Allow", Principal: map[string]any{"Service": servicePrincipal("lambda")}, Action: "sts:AssumeRole",
		})),
		InlinePolicies: iam.RoleInlinePolicyArray{iam.RoleInlinePolicyArgs{Name: pulumi.String("db-init"), Policy: policy}},
		Tags:           tags(roleName),
	}, parent)
	if err != nil {
		return nil, err
	}

	rolesEnv := pulumi.All(roleSecrets).ApplyT(func(v []any) (string, error) {
		arns := stringsOf(v[0])
		type role struct {
			Name      string   `json:"name"`
			Databases []string `json:"databases"`
			Auth      string   `json:"auth"`
			SecretArn string   `json:"secretArn,omitempty"`
		}
		var out []role
		for _, r := range args.Roles {
			if r.IAMAuth {
				out = append(out, role{r.Name, r.Databases, RoleAuthIAM, ""})
				continue
			}
			out = append(out, role{r.Name, r.Databases, RoleAuthPassword, arns[0]})
			arns = arns[1:]
		}
		b, err := json.Marshal(out)
		return string(b), err
	}).(pulumi.StringOutput)
	fnName := childName(name, "function")
	fn, err := lambda.NewFunction(ctx, fnName, &lambda.FunctionArgs{
		Name:        pulumi.String(args.FunctionName),
		Description: pulumi.String("Creates DocuStack's databases and roles (code: application monorepo)"),
		PackageType: pulumi.String("Image"),
		ImageUri:    args.Image,
		Role:        role.Arn,
		Timeout:     pulumi.Int(dbInitTimeoutSeconds),
		MemorySize:  pulumi.Int(dbInitMemoryMB),
		VpcConfig: &lambda.FunctionVpcConfigArgs{
			SubnetIds: args.SubnetIDs, SecurityGroupIds: pulumi.StringArray{sg.ID()},
		},
		Environment: &lambda.FunctionEnvironmentArgs{Variables: pulumi.StringMap{
			"DB_HOST":           args.DatabaseHost,
			"DB_PORT":           pulumi.String(fmt.Sprint(DefaultDatabasePort)),
			"DB_SSLMODE":        pulumi.String(DatabaseSSLMode),
			"DB_SSLROOTCERT":    pulumi.String(RDSCABundlePath),
			"MASTER_SECRET_ARN": args.MasterSecretArn,
			"ROLES":             rolesEnv,
		}},
		LoggingConfig: &lambda.FunctionLoggingConfigArgs{LogFormat: pulumi.String("JSON"), LogGroup: logGroup.Name},
		// Active tracing samples the first request of each second, so every
		// run of this one-shot function leaves a trace of what the one code
		// path holding the master password called, and when.
		// https://docs.aws.amazon.com/lambda/latest/dg/services-xray.html
		TracingConfig: &lambda.FunctionTracingConfigArgs{Mode: pulumi.String(LambdaTracingMode)},
		Tags:          tags(fnName),
	}, parent)
	if err != nil {
		return nil, err
	}
	d.Function = fn
	// "passwords": "keep-existing" is the function's contract: a role whose
	// secret already has a value keeps that password (it is re-applied to
	// the role, never regenerated); only an empty secret gets a new one. So
	// a re-run (a new image, a changed role) rolls no database client.
	input, _ := json.Marshal(map[string]string{"action": "init", "version": args.ImageTag, "passwords": DBInitPasswordPolicy})
	inv, err := lambda.NewInvocation(ctx, childName(name, "invocation"), &lambda.InvocationArgs{
		FunctionName: fn.Name,
		Input:        pulumi.String(string(input)),
		// A new image or a changed set of roles (a role, its databases, its
		// secret) re-runs the initialization; the provider replaces an
		// invocation whose triggers change.
		Triggers: pulumi.StringMap{"version": pulumi.String(args.ImageTag), "roles": rolesEnv},
	}, parent, pulumi.DependsOn(args.After))
	if err != nil {
		return nil, err
	}
	d.Invocation = inv
	if err := ctx.RegisterResourceOutputs(d, pulumi.Map{"functionName": fn.Name}); err != nil {
		return nil, err
	}
	return d, nil
}

// LambdaTracingMode is the X-Ray tracing mode of the program's functions.
const LambdaTracingMode = "Active"

// DBInitPolicy lets the function read the master secret (through Secrets
// Manager, with its CMK), write only the role secrets, manage its network
// interfaces in the VPC, write its log group and send its traces.
func DBInitPolicy(masterSecret, dbKey, logGroup string, roleSecrets []string) string {
	return PolicyJSON(
		PolicyStatement{Sid: "ReadMasterSecret", Effect: "Allow", Action: "secretsmanager:GetSecretValue", Resource: masterSecret},
		PolicyStatement{Sid: "DecryptMasterSecret", Effect: "Allow", Action: "kms:Decrypt", Resource: dbKey,
			Condition: map[string]map[string]any{"StringLike": {"kms:ViaService": "secretsmanager.*.amazonaws.com"}}},
		PolicyStatement{Sid: "WriteRoleSecrets", Effect: "Allow", Action: []string{"secretsmanager:PutSecretValue", "secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"}, Resource: roleSecrets},
		// ENI management has no resource-level permissions for Describe*.
		PolicyStatement{Sid: "VpcNetworking", Effect: "Allow", Action: []string{
			"ec2:CreateNetworkInterface", "ec2:DescribeNetworkInterfaces", "ec2:DeleteNetworkInterface",
			"ec2:AssignPrivateIpAddresses", "ec2:UnassignPrivateIpAddresses",
		}, Resource: "*"},
		PolicyStatement{Sid: "WriteLogs", Effect: "Allow", Action: []string{"logs:CreateLogStream", "logs:PutLogEvents"}, Resource: logGroup + ":*"},
		// Active tracing uploads through the execution role
		// (https://docs.aws.amazon.com/lambda/latest/dg/services-xray.html);
		// X-Ray's write actions name no resource type in the Service
		// Authorization Reference (internal/awsspec/data/iam.json), so "*".
		PolicyStatement{Sid: "WriteTraces", Effect: "Allow", Action: []string{"xray:PutTraceSegments", "xray:PutTelemetryRecords"}, Resource: "*"},
	)
}
