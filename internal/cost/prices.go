// Package cost estimates a synthesized stack's monthly AWS bill from the
// reviewed price table in pricing/ and the stack's usage assumptions.
package cost

import (
	"errors"
	"fmt"
	"os"
	"sort"

	"gopkg.in/yaml.v3"
)

// Price is one row of the price table.
type Price struct {
	Unit   string  `yaml:"unit" json:"unit"`
	USD    float64 `yaml:"usd" json:"usd"`
	Source string  `yaml:"source" json:"source"`
	Date   string  `yaml:"date" json:"date"`
}

// Prices is the reviewed price table.
type Prices struct {
	Region   string           `yaml:"region"`
	Reviewed string           `yaml:"reviewed"`
	Prices   map[string]Price `yaml:"prices"`
}

// LoadPrices reads and checks the price table: every row has a unit, a
// positive price, a source and a date.
func LoadPrices(path string) (*Prices, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var p Prices
	dec := yaml.NewDecoder(bytesReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&p); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	var errs []error
	keys := make([]string, 0, len(p.Prices))
	for k := range p.Prices {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := p.Prices[k]
		if v.Unit == "" || v.USD <= 0 || v.Source == "" || v.Date == "" {
			errs = append(errs, fmt.Errorf("%s: price %s needs unit, usd > 0, source and date", path, k))
		}
	}
	return &p, errors.Join(errs...)
}

// usd returns a price, recording the miss when the table lacks it.
func (p *Prices) usd(key string) (float64, bool) {
	v, ok := p.Prices[key]
	return v.USD, ok
}
