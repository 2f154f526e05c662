// Package review compares what two revisions of the program would do to
// every stack, offline: resources added, changed, replaced and deleted, the
// stop signs among them, and the policy, verify and cost deltas. Each side
// is synthesized by its own revision's docustack binary (`docustack
// snapshot`), so the base is judged by the code it had.
package review

import (
	"github.com/docustack/infrastructure/internal/synth"
	"github.com/docustack/infrastructure/internal/verify"
	"github.com/docustack/infrastructure/policies/rules"
)

// Snapshot is everything one revision says about one stack: the format
// `docustack snapshot` prints. Keep it backward compatible: a pull
// request's base is an older binary.
type Snapshot struct {
	Stack string `json:"stack"`
	// Missing is true when the revision has no Pulumi.<stack>.yaml.
	Missing bool        `json:"missing,omitempty"`
	Plan    *synth.Plan `json:"plan,omitempty"`
	// Findings are the policy pack's findings, waivers applied.
	Findings []rules.Finding `json:"findings"`
	// Waivers are the revision's policies/waivers.yaml entries.
	Waivers []Waiver `json:"waivers"`
	// Intents are docustack verify's findings (nil before verify existed).
	Intents []verify.Finding `json:"intents"`
	// WhoCan is docustack verify's who-can table (nil before it existed).
	WhoCan []verify.WhoCanRow `json:"whoCan,omitempty"`
	// CostUSD is the estimated monthly total; CostByComponent its split.
	CostUSD         float64            `json:"costUsd"`
	CostByComponent map[string]float64 `json:"costByComponent"`
}

// Waiver is a waiver as the file states it; the diff compares the text, not
// the validity (check judges that).
type Waiver struct {
	Rule     string   `json:"rule" yaml:"rule"`
	Resource string   `json:"resource" yaml:"resource"`
	Stacks   []string `json:"stacks,omitempty" yaml:"stacks"`
	Reason   string   `json:"reason" yaml:"reason"`
	Expires  string   `json:"expires" yaml:"expires"`
}
