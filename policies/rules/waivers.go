package rules

import (
	"errors"
	"fmt"
	"io"
	"path"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// MinWaiverReason is the shortest reason a waiver may give.
const MinWaiverReason = 20

// Waiver accepts the findings of one rule on matching resources until it
// expires. Waived findings are still shown, marked waived.
type Waiver struct {
	// Rule is the rule ID, e.g. "DS-CFG-001".
	Rule string `yaml:"rule"`
	// Resource matches the finding's resource name or URN (path.Match glob;
	// "(stack)" is the stack itself).
	Resource string `yaml:"resource"`
	// Control narrows a DS-CFG-003 waiver to one AWS Config rule or Security
	// Hub control (its identifier, as the finding shows it in brackets), so
	// waiving one control never waives another on the same resource.
	// Required for DS-CFG-003.
	Control string `yaml:"control"`
	// Stacks limits the waiver to these stacks. Default: every stack.
	Stacks []string `yaml:"stacks"`
	// Reason explains why the finding is accepted: at least 20 characters.
	Reason string `yaml:"reason"`
	// Expires is the last day (YYYY-MM-DD) the waiver holds.
	Expires string `yaml:"expires"`

	expires time.Time
}

// ParseWaivers reads a waivers file and validates every entry against the
// rules and today's date, reporting every problem at once. An expired waiver,
// or one without a real reason, is an error, not a silent pass.
func ParseWaivers(data []byte, today time.Time) ([]Waiver, error) {
	var file struct {
		Waivers []Waiver `yaml:"waivers"`
	}
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	dec.KnownFields(true)
	if err := dec.Decode(&file); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("waivers: %w", err)
	}
	var errs []error
	day := today.UTC().Truncate(24 * time.Hour)
	for i := range file.Waivers {
		w := &file.Waivers[i]
		where := fmt.Sprintf("waivers[%d] (%s on %s)", i, w.Rule, w.Resource)
		if _, ok := Lookup(w.Rule); !ok {
			errs = append(errs, fmt.Errorf("%s: rule %q does not exist", where, w.Rule))
		}
		if w.Rule == configRuleID && w.Control == "" {
			errs = append(errs, fmt.Errorf("%s: control is empty; a %s waiver names the AWS Config rule or Security Hub control it accepts", where, configRuleID))
		}
		if w.Resource == "" {
			errs = append(errs, fmt.Errorf("%s: resource is empty; want a resource name or URN pattern", where))
		} else if _, err := path.Match(w.Resource, ""); err != nil {
			errs = append(errs, fmt.Errorf("%s: resource pattern %q: %v", where, w.Resource, err))
		}
		if len(strings.TrimSpace(w.Reason)) < MinWaiverReason {
			errs = append(errs, fmt.Errorf("%s: reason %q is shorter than %d characters; say why the risk is accepted", where, w.Reason, MinWaiverReason))
		}
		exp, err := time.Parse(time.DateOnly, w.Expires)
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("%s: expires %q is not a date (YYYY-MM-DD)", where, w.Expires))
		case exp.Before(day):
			errs = append(errs, fmt.Errorf("%s: expired on %s; fix the finding or renew the waiver with a new reason", where, w.Expires))
		}
		w.expires = exp
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return file.Waivers, nil
}

// matches reports whether w covers finding f in stack.
func (w Waiver) matches(f Finding, stack string) bool {
	if w.Rule != f.Rule {
		return false
	}
	if w.Control != "" && !strings.Contains(f.Message, "["+w.Control+"] ") {
		return false
	}
	if len(w.Stacks) > 0 && !containsAny(w.Stacks, stack) {
		return false
	}
	for _, target := range []string{f.Resource, f.URN} {
		if ok, _ := path.Match(w.Resource, target); ok && target != "" {
			return true
		}
	}
	return false
}

// ApplyWaivers marks the findings that a waiver covers.
func ApplyWaivers(findings []Finding, waivers []Waiver, stack string) []Finding {
	out := make([]Finding, len(findings))
	for i, f := range findings {
		for _, w := range waivers {
			if w.matches(f, stack) {
				f.Waived = true
				f.Waiver = fmt.Sprintf("%s (until %s)", w.Reason, w.Expires)
				break
			}
		}
		out[i] = f
	}
	return out
}

// Blocking returns the unwaived mandatory findings: any one fails a deploy.
func Blocking(findings []Finding) []Finding {
	var out []Finding
	for _, f := range findings {
		if f.Level == LevelName(Mandatory) && !f.Waived {
			out = append(out, f)
		}
	}
	return out
}
