// Package sigma runs Sigma detection rules (the open rule format SigmaHQ publishes) over
// normalized events: rule loading with file-and-line errors, every value modifier, the full
// condition grammar, and field resolution that lets cloud rules written for Log Analytics
// column names match the same activity from Graph, ARM, Event Hubs or CloudTrail records.
package sigma

import (
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"
)

// Rule is one loaded, compiled Sigma rule: a detection rule, or a correlation rule over
// other rules' matches.
type Rule struct {
	ID          string
	Name        string // the name correlation rules refer to it by (else its id)
	Title       string
	Level       string
	Status      string
	Description string
	Tags        []string
	Logsource   Logsource
	File        string
	Line        int

	selections  map[string]*selection
	condition   expr
	correlation *correlation
	filter      *filterSpec
}

// filterSpec is a meta filter: a condition added to the rules it names.
type filterSpec struct {
	rules     []string
	condition expr
	applied   map[string]bool // targets already narrowed (filters are re-applied on Merge)
}

// Logsource is the rule's logsource section.
type Logsource struct {
	Product  string `yaml:"product"`
	Service  string `yaml:"service"`
	Category string `yaml:"category"`
}

// RuleInfo describes a rule for listings.
type RuleInfo struct {
	ID, Title, Level, File string
	Logsource              Logsource
	Attack                 []string
}

// Info describes the rule.
func (r *Rule) Info() RuleInfo {
	return RuleInfo{ID: r.ID, Title: r.Title, Level: r.Level, File: r.File, Logsource: r.Logsource, Attack: r.Attack()}
}

// Attack returns the ATT&CK technique ids of the rule's tags ("attack.t1078.004" → "T1078.004").
func (r *Rule) Attack() []string {
	var out []string
	for _, t := range r.Tags {
		t = strings.ToLower(strings.TrimSpace(t))
		if strings.HasPrefix(t, "attack.t") && len(t) > len("attack.t") && t[len("attack.t")] >= '0' && t[len("attack.t")] <= '9' {
			out = append(out, strings.ToUpper(t[len("attack."):]))
		}
	}
	return out
}

// LoadError says which rule failed to load, where, and why.
type LoadError struct {
	File   string
	Line   int
	Reason string
}

func (e *LoadError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Reason)
	}
	return fmt.Sprintf("%s: %s", e.File, e.Reason)
}

// ruleDoc is the YAML shape of a detection rule.
type ruleDoc struct {
	Title       string    `yaml:"title"`
	ID          string    `yaml:"id"`
	Name        string    `yaml:"name"`
	Status      string    `yaml:"status"`
	Description string    `yaml:"description"`
	Level       string    `yaml:"level"`
	Tags        []string  `yaml:"tags"`
	Logsource   Logsource `yaml:"logsource"`
	Detection   yaml.Node `yaml:"detection"`
	Correlation yaml.Node `yaml:"correlation"`
	Filter      yaml.Node `yaml:"filter"`
}
