package components

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/secretsmanager"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Secret recovery windows: how long a deleted secret can be restored.
const (
	DefaultSecretRecoveryDays = 30
	MinSecretRecoveryDays     = 7
)

var secretPathPattern = regexp.MustCompile(`^[a-z0-9/_+=.@-]+$`)

// SecretsArgs configures application secrets that the program creates empty;
// their values are set out of band (console, CLI) and never pass through
// configuration or state.
type SecretsArgs struct {
	// Path prefixes every secret name: "<Path>/<NAME>". Required, e.g. "docustack/dev/web".
	Path string
	// Names are the secrets, as the environment variables they become. Required: distinct [A-Z_][A-Z0-9_]*.
	Names []string
	// RecoveryDays a deleted secret stays restorable. Default: 30. Range 7..30.
	RecoveryDays int
	// Tags are the stack tags. Required: every key of StackTagKeys.
	Tags Tags
}

func (a *SecretsArgs) setDefaults() {
	if a.RecoveryDays == 0 {
		a.RecoveryDays = DefaultSecretRecoveryDays
	}
}

// Validate reports every invalid field at once.
func (a SecretsArgs) Validate() error {
	a.setDefaults()
	var errs []error
	if !secretPathPattern.MatchString(a.Path) || strings.HasSuffix(a.Path, "/") {
		errs = append(errs, fieldErr("path", a.Path, "a secret path such as docustack/dev/web"))
	}
	seen := map[string]bool{}
	for i, n := range a.Names {
		if !envNamePattern.MatchString(n) || seen[n] {
			errs = append(errs, fieldErr(fmt.Sprintf("names[%d]", i), n, "a distinct environment variable name"))
		}
		seen[n] = true
	}
	if a.RecoveryDays < MinSecretRecoveryDays || a.RecoveryDays > DefaultSecretRecoveryDays {
		errs = append(errs, fieldErr("recoveryDays", a.RecoveryDays, "%d..%d days", MinSecretRecoveryDays, DefaultSecretRecoveryDays))
	}
	errs = append(errs, validateStackTags("tags", a.Tags))
	return errors.Join(errs...)
}

// Secrets are empty Secrets Manager secrets, by name.
type Secrets struct {
	pulumi.ResourceState

	// Arns by name, for ECS secret injection.
	Arns map[string]pulumi.StringInput
}

// NewSecrets creates one empty secret per name, encrypted with the AWS
// managed key (seed, Encryption at Rest: Secrets Manager, AWS Managed Key).
func NewSecrets(ctx *pulumi.Context, name string, args SecretsArgs, opts ...pulumi.ResourceOption) (*Secrets, error) {
	args.setDefaults()
	if err := args.Validate(); err != nil {
		return nil, err
	}
	s := &Secrets{Arns: map[string]pulumi.StringInput{}}
	if err := ctx.RegisterComponentResource(TypeSecrets, name, s, opts...); err != nil {
		return nil, err
	}
	outputs := pulumi.Map{}
	for _, n := range args.Names {
		child := childName(name, strings.ToLower(strings.ReplaceAll(n, "_", "-")))
		sec, err := secretsmanager.NewSecret(ctx, child, &secretsmanager.SecretArgs{
			Name:                 pulumi.Sprintf("%s/%s", args.Path, n),
			Description:          pulumi.Sprintf("%s; value set out of band, never in configuration or state", n),
			RecoveryWindowInDays: pulumi.Int(args.RecoveryDays),
			Tags:                 MergeTags(args.Tags, child, Tags{TagComponent: name}),
		}, pulumi.Parent(s))
		if err != nil {
			return nil, err
		}
		s.Arns[n] = sec.Arn
		outputs[n] = sec.Arn
	}
	if err := ctx.RegisterResourceOutputs(s, outputs); err != nil {
		return nil, err
	}
	return s, nil
}
