package components

import (
	"errors"
	"fmt"
	"iter"
	"sort"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Stack tag keys. Every taggable resource carries all of them (DESIGN.md §3.8);
// they are set explicitly because provider default tags are invisible to
// mocks, policy checks and the cost report.
const (
	TagProject            = "Project"
	TagEnvironment        = "Environment"
	TagDataClassification = "DataClassification"
	TagOwner              = "Owner"
	TagCostCenter         = "CostCenter"
	TagManagedBy          = "ManagedBy"
	// TagName is the AWS console display name; derived from the child name.
	TagName = "Name"
	// TagComponent names the component that owns a resource.
	TagComponent = "Component"
)

// StackTagKeys lists the tags every taggable resource must carry.
var StackTagKeys = []string{TagProject, TagEnvironment, TagDataClassification, TagOwner, TagCostCenter, TagManagedBy}

// Tags is a set of AWS resource tags.
type Tags map[string]string

// validateStackTags reports every stack tag that is missing or empty.
func validateStackTags(field string, t Tags) error {
	var errs []error
	for _, k := range StackTagKeys {
		if t[k] == "" {
			errs = append(errs, fieldErr(field+"."+k, t[k], "a non-empty value (every resource carries the stack tags %v)", StackTagKeys))
		}
	}
	return errors.Join(errs...)
}

// MergeTags returns stack tags merged with component tags and a Name tag.
// Later maps win, so a component can refine (never drop) a stack tag.
func MergeTags(stack Tags, name string, extra ...Tags) pulumi.StringMap {
	out := pulumi.StringMap{}
	for k, v := range stack {
		out[k] = pulumi.String(v)
	}
	for _, e := range extra {
		for k, v := range e {
			out[k] = pulumi.String(v)
		}
	}
	if name != "" {
		out[TagName] = pulumi.String(name)
	}
	return out
}

// childName is the naming contract for children: "<component>-<tier>-<index>",
// or "<component>-<tier>" for singletons. Renaming a child replaces the AWS
// resource, so changes need pulumi.Aliases.
func childName(component, tier string, index ...int) string {
	if len(index) == 0 {
		return component + "-" + tier
	}
	return fmt.Sprintf("%s-%s-%d", component, tier, index[0])
}

// sortedKeys returns a map's keys in order, for deterministic registration.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// InOrder ranges over a map in key order, so that every list of problems,
// policy and plan comes out the same on every run.
func InOrder[V any](m map[string]V) iter.Seq2[string, V] {
	return func(yield func(string, V) bool) {
		for _, k := range sortedKeys(m) {
			if !yield(k, m[k]) {
				return
			}
		}
	}
}
