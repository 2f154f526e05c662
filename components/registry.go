package components

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"sort"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ecr"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Registry defaults.
const (
	// DefaultKeepImages is how many tagged images each repository keeps.
	DefaultKeepImages = 30
	// untaggedExpiryDays removes untagged layers (failed or superseded pushes).
	untaggedExpiryDays = 7
)

var (
	repoNamePattern = regexp.MustCompile(`^[a-z0-9]+([._/-][a-z0-9]+)*$`)
	// imageTagRegexp is what Docker accepts as a tag.
	imageTagRegexp = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$`)
)

// RegistryArgs configures the platform's ECR repositories.
type RegistryArgs struct {
	// Prefix names repositories "<Prefix>/<repository>". Required, e.g. "docustack".
	Prefix string
	// Repositories are the images the platform builds. Required, distinct.
	Repositories []string
	// KeepImages is how many tagged images to keep. Default: 30. Range 1..1000.
	KeepImages int
	// InUse are, by repository, the tags the stack's task definitions and
	// functions run: the lifecycle policy never expires them. Optional.
	InUse map[string][]string
	// KMSKeyArn encrypts the images (data CMK). Required.
	KMSKeyArn pulumi.StringInput
	// Tags are the stack tags. Required: every key of StackTagKeys.
	Tags Tags
}

func (a *RegistryArgs) setDefaults() {
	if a.KeepImages == 0 {
		a.KeepImages = DefaultKeepImages
	}
}

// Validate reports every invalid field at once.
func (a RegistryArgs) Validate() error {
	a.setDefaults()
	var errs []error
	if !repoNamePattern.MatchString(a.Prefix) {
		errs = append(errs, fieldErr("prefix", a.Prefix, "lower-case letters, digits and . _ / -"))
	}
	if len(a.Repositories) == 0 {
		errs = append(errs, fieldErr("repositories", a.Repositories, "at least one repository"))
	}
	seen := map[string]bool{}
	for i, r := range a.Repositories {
		if !repoNamePattern.MatchString(r) || seen[r] {
			errs = append(errs, fieldErr(fmt.Sprintf("repositories[%d]", i), r, "a distinct lower-case repository name"))
		}
		seen[r] = true
	}
	if a.KeepImages < 1 || a.KeepImages > 1000 {
		errs = append(errs, fieldErr("keepImages", a.KeepImages, "1..1000"))
	}
	errs = append(errs, validateStackTags("tags", a.Tags))
	return errors.Join(errs...)
}

// Registry holds the platform's ECR repositories.
type Registry struct {
	pulumi.ResourceState

	// Repositories by short name ("web").
	Repositories map[string]*ecr.Repository
}

// URL returns a repository's URL; it panics on an unknown name, a programming error.
func (r *Registry) URL(repo string) pulumi.StringOutput {
	rep, ok := r.Repositories[repo]
	if !ok {
		panic(fmt.Sprintf("registry: no repository %q", repo))
	}
	return rep.RepositoryUrl
}

// Arn returns a repository's ARN.
func (r *Registry) Arn(repo string) pulumi.StringOutput {
	rep, ok := r.Repositories[repo]
	if !ok {
		panic(fmt.Sprintf("registry: no repository %q", repo))
	}
	return rep.Arn
}

// NewRegistry creates one ECR repository per image: KMS-encrypted, scanned
// on push, immutable tags, and a lifecycle policy that keeps the newest
// tagged images and drops untagged ones.
func NewRegistry(ctx *pulumi.Context, name string, args RegistryArgs, opts ...pulumi.ResourceOption) (*Registry, error) {
	args.setDefaults()
	err := args.Validate()
	if args.KMSKeyArn == nil {
		err = errors.Join(err, fieldErr("kmsKeyArn", "", "the ARN of the data CMK"))
	}
	if err != nil {
		return nil, err
	}
	reg := &Registry{Repositories: map[string]*ecr.Repository{}}
	if err := ctx.RegisterComponentResource(TypeRegistry, name, reg, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(reg)
	outputs := pulumi.Map{}
	for _, r := range args.Repositories {
		policy := LifecyclePolicy(args.KeepImages, args.InUse[r]...)
		child := childName(name, r)
		repo, err := ecr.NewRepository(ctx, child, &ecr.RepositoryArgs{
			Name:               pulumi.Sprintf("%s/%s", args.Prefix, r),
			ImageTagMutability: pulumi.String("IMMUTABLE"),
			ImageScanningConfiguration: &ecr.RepositoryImageScanningConfigurationArgs{
				ScanOnPush: pulumi.Bool(true),
			},
			EncryptionConfigurations: ecr.RepositoryEncryptionConfigurationArray{ecr.RepositoryEncryptionConfigurationArgs{
				EncryptionType: pulumi.String("KMS"),
				KmsKey:         args.KMSKeyArn,
			}},
			Tags: MergeTags(args.Tags, child, Tags{TagComponent: name}),
		}, parent)
		if err != nil {
			return nil, err
		}
		if _, err := ecr.NewLifecyclePolicy(ctx, child+"-lifecycle", &ecr.LifecyclePolicyArgs{
			Repository: repo.Name,
			Policy:     pulumi.String(policy),
		}, parent); err != nil {
			return nil, err
		}
		reg.Repositories[r] = repo
		outputs[r+"RepositoryUrl"] = repo.RepositoryUrl
	}
	if err := ctx.RegisterResourceOutputs(reg, outputs); err != nil {
		return nil, err
	}
	return reg, nil
}

// LifecyclePolicy is the ECR lifecycle policy document: the tags in use are
// never expired, untagged images expire after 7 days, and of the rest only
// the newest keep stay. ECR: "An image that matches the tagging requirements
// of a rule cannot be expired by a rule with a lower priority", so a first
// rule per tag in use, which would expire only beyond one image carrying the
// tag (an immutable tag is on one image), keeps it from the count rule.
// https://docs.aws.amazon.com/AmazonECR/latest/userguide/LifecyclePolicies.html#lifecycle_policy_evaluation
func LifecyclePolicy(keep int, inUse ...string) string {
	type selection struct {
		TagStatus      string   `json:"tagStatus"`
		TagPatternList []string `json:"tagPatternList,omitempty"`
		CountType      string   `json:"countType"`
		CountUnit      string   `json:"countUnit,omitempty"`
		CountNumber    int      `json:"countNumber"`
	}
	type rule struct {
		RulePriority int               `json:"rulePriority"`
		Description  string            `json:"description"`
		Selection    selection         `json:"selection"`
		Action       map[string]string `json:"action"`
	}
	var rules []rule
	tags := append([]string{}, inUse...)
	sort.Strings(tags)
	for _, tag := range tags {
		rules = append(rules, rule{len(rules) + 1, "in use by the stack: never expired (" + tag + ")",
			selection{TagStatus: "tagged", TagPatternList: []string{tag}, CountType: "imageCountMoreThan", CountNumber: 1},
			map[string]string{"type": "expire"}})
	}
	rules = append(rules,
		rule{len(rules) + 1, fmt.Sprintf("expire untagged images after %d days", untaggedExpiryDays),
			selection{TagStatus: "untagged", CountType: "sinceImagePushed", CountUnit: "days", CountNumber: untaggedExpiryDays},
			map[string]string{"type": "expire"}},
		rule{len(rules) + 2, fmt.Sprintf("keep the newest %d images", keep),
			selection{TagStatus: "any", CountType: "imageCountMoreThan", CountNumber: keep},
			map[string]string{"type": "expire"}})
	doc := map[string][]rule{"rules": rules}
	b, _ := json.Marshal(doc)
	return string(b)
}
