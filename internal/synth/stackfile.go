package synth

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Project is the part of Pulumi.yaml that synthesis needs.
type Project struct {
	Name    string                `yaml:"name"`
	Runtime any                   `yaml:"runtime"`
	Config  map[string]ConfigDecl `yaml:"config"`
}

// ConfigDecl is one declared configuration key of Pulumi.yaml.
type ConfigDecl struct {
	Type        string `yaml:"type"`
	Description string `yaml:"description"`
	// Default is merged into every stack that leaves the key out. A key
	// without one is required in every stack: the Pulumi CLI refuses a stack
	// that lacks it, and so does LoadStackConfig.
	Default any `yaml:"default"`
	Items   *struct {
		Type string `yaml:"type"`
	} `yaml:"items"`
}

// LoadProject reads root/Pulumi.yaml.
func LoadProject(root string) (*Project, error) {
	b, err := os.ReadFile(filepath.Join(root, "Pulumi.yaml"))
	if err != nil {
		return nil, err
	}
	var p Project
	if err := yaml.Unmarshal(b, &p); err != nil {
		return nil, fmt.Errorf("Pulumi.yaml: %w", err)
	}
	if p.Name == "" {
		return nil, errors.New("Pulumi.yaml: no project name")
	}
	// The CLI refuses a project whose default does not have its key's type.
	var errs []error
	for _, k := range sortedDeclKeys(p.Config) {
		if d := p.Config[k]; d.Default != nil {
			if err := checkType(d, d.Default); err != nil {
				errs = append(errs, fmt.Errorf("Pulumi.yaml: config.%s.default: %w", k, err))
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return &p, nil
}

// Stacks lists the stacks that have a Pulumi.<stack>.yaml in root.
func Stacks(root string) ([]string, error) {
	matches, err := filepath.Glob(filepath.Join(root, "Pulumi.*.yaml"))
	if err != nil {
		return nil, err
	}
	var out []string
	for _, m := range matches {
		out = append(out, strings.TrimSuffix(strings.TrimPrefix(filepath.Base(m), "Pulumi."), ".yaml"))
	}
	sort.Strings(out)
	return out, nil
}

// LoadStackConfig reads root/Pulumi.<stack>.yaml into the flat form the
// Pulumi engine hands a program (objects and arrays as JSON), with the
// defaults of Pulumi.yaml merged in for the keys the stack leaves out, as the
// CLI does. It reports every problem at once: declared keys without a default
// that the stack lacks (the CLI's "Stack 'x' is missing configuration
// values"), keys Pulumi.yaml does not declare, values of the wrong type, and
// secure values, which offline synthesis cannot decrypt and will not fake.
func LoadStackConfig(root, stack string, proj *Project) (map[string]string, error) {
	path := filepath.Join(root, "Pulumi."+stack+".yaml")
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		known, _ := Stacks(root)
		return nil, fmt.Errorf("stack %q: %w %s (stacks: %s)", stack, ErrNoStack, path, strings.Join(known, ", "))
	}
	if err != nil {
		return nil, err
	}
	var file struct {
		Config map[string]any `yaml:"config"`
	}
	if err := yaml.Unmarshal(b, &file); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Base(path), err)
	}
	out := map[string]string{}
	var errs []error
	for _, k := range sortedAnyKeys(file.Config) {
		v := file.Config[k]
		where := fmt.Sprintf("%s: %s", filepath.Base(path), k)
		if m, ok := v.(map[string]any); ok {
			if _, secure := m["secure"]; secure && len(m) == 1 {
				errs = append(errs, fmt.Errorf("%s: is a secure value; offline synthesis cannot decrypt it and will not fake it (keep secrets in Secrets Manager, not stack files)", where))
				continue
			}
		}
		ns, name, found := strings.Cut(k, ":")
		if !found {
			errs = append(errs, fmt.Errorf("%s: key has no namespace; want %s:<key> or aws:<key>", where, proj.Name))
			continue
		}
		if ns == proj.Name {
			decl, ok := proj.Config[name]
			if !ok {
				errs = append(errs, fmt.Errorf("%s: not declared in Pulumi.yaml (declared: %s)", where, strings.Join(sortedDeclKeys(proj.Config), ", ")))
				continue
			}
			if err := checkType(decl, v); err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", where, err))
				continue
			}
		}
		s, err := flatten(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", where, err))
			continue
		}
		out[k] = s
	}
	var missing []string
	for _, name := range sortedDeclKeys(proj.Config) {
		k := proj.Name + ":" + name
		if _, set := file.Config[k]; set {
			continue
		}
		decl := proj.Config[name]
		if decl.Default == nil {
			missing = append(missing, name)
			continue
		}
		s, err := flatten(decl.Default)
		if err != nil {
			errs = append(errs, fmt.Errorf("Pulumi.yaml: config.%s.default: %w", name, err))
			continue
		}
		out[k] = s
	}
	if len(missing) > 0 {
		errs = append(errs, fmt.Errorf("%s: Stack '%s' is missing configuration values %s: Pulumi.yaml declares them without a default, so the Pulumi CLI requires them in every stack (set them here, or give them a default in Pulumi.yaml)",
			filepath.Base(path), stack, "'"+strings.Join(missing, "', '")+"'"))
	}
	return out, errors.Join(errs...)
}

// checkType checks a stack file's value against its declared type as the
// Pulumi CLI does. The CLI stores scalars as text and writes a boolean or an
// integer set with `pulumi config set` (or rewritten by `pulumi stack init`)
// quoted ("false"), so text that parses as the type is that type.
func checkType(decl ConfigDecl, v any) error {
	ok := true
	text, isText := v.(string)
	switch decl.Type {
	case "string":
		ok = isText
	case "integer":
		_, ok = v.(int)
		if isText {
			_, err := strconv.Atoi(text)
			ok = err == nil
		}
	case "boolean":
		_, ok = v.(bool)
		if isText {
			_, err := strconv.ParseBool(text)
			ok = err == nil && (text == "true" || text == "false")
		}
	case "array":
		_, ok = v.([]any)
	case "object":
		_, ok = v.(map[string]any)
	}
	if !ok {
		return fmt.Errorf("got %v (%T), want a value of type %s", v, v, decl.Type)
	}
	return nil
}

// flatten renders a value the way the engine passes it: scalars as text,
// objects and arrays as JSON.
func flatten(v any) (string, error) {
	switch t := v.(type) {
	case string:
		return t, nil
	case bool:
		return strconv.FormatBool(t), nil
	case int:
		return strconv.Itoa(t), nil
	case float64:
		return strconv.FormatFloat(t, 'f', -1, 64), nil
	case nil:
		return "", nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	return string(b), nil
}

func sortedAnyKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func sortedDeclKeys(m map[string]ConfigDecl) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
