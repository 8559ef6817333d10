package sigma

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"path"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// Options configure loading.
type Options struct {
	// Placeholders fill |expand %name% placeholders; a rule using one that is not set is
	// rejected with a clear reason.
	Placeholders map[string][]string
	Logger       *slog.Logger
}

// RuleSet is a set of compiled rules.
type RuleSet struct {
	rules   []*Rule
	byID    map[string]*Rule
	filters []*Rule // meta filters, applied to the rules they name
}

// Len is the number of rules.
func (rs *RuleSet) Len() int { return len(rs.rules) }

// Rules describes every rule, in load order.
func (rs *RuleSet) Rules() []RuleInfo {
	out := make([]RuleInfo, len(rs.rules))
	for i, r := range rs.rules {
		out[i] = r.Info()
	}
	return out
}

// Merge adds other's rules; a rule id present in both is an error and nothing is added.
func (rs *RuleSet) Merge(other *RuleSet) error {
	for _, r := range other.rules {
		if prev, dup := rs.byID[r.ID]; dup {
			return fmt.Errorf("sigma: rule id %s in %s is already loaded from %s", r.ID, r.File, prev.File)
		}
	}
	if cycles := correlationCycles(append(append([]*Rule(nil), rs.rules...), other.rules...)); len(cycles) > 0 {
		return fmt.Errorf("sigma: merge: %s", cycleReason(cycles[0]))
	}
	for _, r := range other.rules {
		rs.add(r)
	}
	rs.filters = append(rs.filters, other.filters...)
	rs.applyFilters() // filters of either set may name rules of the other
	return nil
}

func (rs *RuleSet) add(r *Rule) {
	if rs.byID == nil {
		rs.byID = map[string]*Rule{}
	}
	rs.rules = append(rs.rules, r)
	rs.byID[r.ID] = r
}

// Load parses every .yml / .yaml file under root in fsys. A broken rule is reported with
// its file, line and reason and skipped; it never stops the others.
func Load(fsys fs.FS, root string, opts Options) (*RuleSet, []*LoadError) {
	rs := &RuleSet{byID: map[string]*Rule{}}
	var errs []*LoadError
	var files []string
	walkErr := fs.WalkDir(fsys, root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			errs = append(errs, &LoadError{File: p, Reason: err.Error()})
			return nil
		}
		if ext := strings.ToLower(path.Ext(p)); !d.IsDir() && (ext == ".yml" || ext == ".yaml") {
			files = append(files, p)
		}
		return nil
	})
	if walkErr != nil {
		errs = append(errs, &LoadError{File: root, Reason: walkErr.Error()})
	}
	sort.Strings(files)
	for _, f := range files {
		data, err := fs.ReadFile(fsys, f)
		if err != nil {
			errs = append(errs, &LoadError{File: f, Reason: err.Error()})
			continue
		}
		rules, ferrs := parseFile(f, data, opts)
		errs = append(errs, ferrs...)
		for _, r := range rules {
			if r.filter != nil {
				rs.filters = append(rs.filters, r)
				continue
			}
			if prev, dup := rs.byID[r.ID]; dup {
				errs = append(errs, &LoadError{File: f, Line: r.Line, Reason: fmt.Sprintf("rule id %s is already used by %s", r.ID, prev.File)})
				continue
			}
			rs.add(r)
		}
	}
	if missing := rs.applyFilters(); len(missing) > 0 && opts.Logger != nil {
		// Not an error: a filter in a user's folder may name a rule of the built-in pack,
		// which it narrows once the sets are merged.
		for _, m := range missing {
			opts.Logger.Warn("sigma: filter names a rule that is not in this folder", "filter", m.filter.File, "line", m.filter.Line, "rule", m.target)
		}
	}
	errs = append(errs, rs.rejectCycles()...)
	warnUnknownLogsources(rs.rules, opts.Logger)
	return rs, errs
}

// warnUnknownLogsources logs, once per logsource, the rules that load but can never match
// because Vigil receives no events of their logsource.
func warnUnknownLogsources(rules []*Rule, logger *slog.Logger) {
	if logger == nil {
		return
	}
	count := map[Logsource]int{}
	var order []Logsource
	for _, r := range rules {
		if r.condition == nil || logsourceFor(r.Logsource) != nil {
			continue
		}
		if count[r.Logsource] == 0 {
			order = append(order, r.Logsource)
		}
		count[r.Logsource]++
	}
	for _, ls := range order {
		logger.Warn("sigma: no events of this logsource reach Vigil; its rules load but never match",
			"product", ls.Product, "service", ls.Service, "category", ls.Category, "rules", count[ls])
	}
}

// missingTarget is a rule a filter names that is not loaded (yet).
type missingTarget struct {
	filter *Rule
	target string
}

// applyFilters narrows the rules each filter names: a rule then matches only when the
// filter's condition holds too. Each rule is narrowed once per filter; the names not
// found are returned.
func (rs *RuleSet) applyFilters() []missingTarget {
	var missing []missingTarget
	for _, f := range rs.filters {
		if f.filter.applied == nil {
			f.filter.applied = map[string]bool{}
		}
		for _, target := range f.filter.rules {
			if f.filter.applied[target] {
				continue
			}
			r := rs.byID[target]
			if r == nil {
				for _, c := range rs.rules {
					if c.Name == target {
						r = c
					}
				}
			}
			if r == nil || r.condition == nil {
				missing = append(missing, missingTarget{filter: f, target: target})
				continue
			}
			f.filter.applied[target] = true
			r.condition = andExpr{r.condition, f.filter.condition}
		}
	}
	return missing
}

// compileFilter compiles a meta filter (Sigma filters specification).
func compileFilter(d *ruleDoc, top *yaml.Node, opts Options) (*Rule, error) {
	if d.Filter.Kind != yaml.MappingNode {
		return nil, lineErr(&d.Filter, "filter must be a mapping")
	}
	r := &Rule{ID: firstOf(d.ID, d.Name), Name: d.Name, Title: d.Title, Line: top.Line, selections: map[string]*selection{}, filter: &filterSpec{}}
	copts := compileOptions{placeholders: opts.Placeholders}
	var cond *yaml.Node
	content := d.Filter.Content
	for i := 0; i+1 < len(content); i += 2 {
		name, val := content[i].Value, content[i+1]
		switch name {
		case "rules":
			r.filter.rules = scalarList(val)
		case "condition":
			cond = val
		default:
			sel, err := compileSelection(val, copts)
			if err != nil {
				return nil, err
			}
			r.selections[name] = sel
		}
	}
	if len(r.filter.rules) == 0 {
		return nil, lineErr(&d.Filter, "filter needs rules: the rules it applies to")
	}
	if cond == nil || cond.Kind != yaml.ScalarNode {
		return nil, lineErr(&d.Filter, "filter needs a condition")
	}
	e, err := parseCondition(cond.Value, r.selections)
	if err != nil {
		return nil, lineErr(cond, err.Error())
	}
	r.filter.condition = e
	return r, nil
}

// ParseRules parses one YAML file of rules (several documents allowed).
func parseFile(file string, data []byte, opts Options) ([]*Rule, []*LoadError) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var rules []*Rule
	var errs []*LoadError
	for {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			errs = append(errs, &LoadError{File: file, Reason: "YAML: " + err.Error()})
			break
		}
		r, err := safeCompile(&doc, opts)
		if err != nil {
			var le *LoadError
			if errors.As(err, &le) {
				le.File = file
				errs = append(errs, le)
			} else {
				errs = append(errs, &LoadError{File: file, Line: doc.Line, Reason: err.Error()})
			}
			continue
		}
		if r != nil {
			r.File = file
			rules = append(rules, r)
		}
	}
	return rules, errs
}

// safeCompile is compileDoc that turns a panic into the rule's load error: a compiler bug
// must cost one rule, never the loader.
func safeCompile(doc *yaml.Node, opts Options) (r *Rule, err error) {
	defer func() {
		if p := recover(); p != nil {
			r, err = nil, lineErr(doc, fmt.Sprintf("rule not compiled (internal error: %v)", p))
		}
	}()
	return compileDoc(doc, opts)
}

// compileDoc compiles one YAML document into a rule.
func compileDoc(doc *yaml.Node, opts Options) (*Rule, error) {
	if len(doc.Content) == 0 {
		return nil, nil // an empty document between separators
	}
	top := doc.Content[0]
	if top.Kind != yaml.MappingNode {
		return nil, lineErr(top, "a rule is a YAML mapping")
	}
	var d ruleDoc
	if err := top.Decode(&d); err != nil {
		return nil, lineErr(top, err.Error())
	}
	if err := checkMetadata(top); err != nil {
		return nil, err
	}
	if d.Correlation.Kind != 0 {
		if d.ID == "" && d.Name == "" {
			return nil, lineErr(top, "a correlation rule needs an id or a name")
		}
		c, err := compileCorrelation(&d.Correlation)
		if err != nil {
			return nil, err
		}
		return &Rule{ID: firstOf(d.ID, d.Name), Name: d.Name, Title: d.Title, Level: strings.ToLower(d.Level), Status: d.Status,
			Description: d.Description, Tags: d.Tags, Line: top.Line, correlation: c}, nil
	}
	if d.Filter.Kind != 0 {
		return compileFilter(&d, top, opts)
	}
	switch {
	case d.Title == "":
		return nil, lineErr(top, "title is required")
	case d.Detection.Kind != yaml.MappingNode:
		return nil, lineErr(top, "detection is required and must be a mapping")
	}
	if d.ID == "" {
		return nil, lineErr(top, "id is required")
	}
	r := &Rule{ID: d.ID, Name: d.Name, Title: d.Title, Level: strings.ToLower(d.Level), Status: d.Status, Description: d.Description,
		Tags: d.Tags, Logsource: d.Logsource, Line: top.Line, selections: map[string]*selection{}}
	copts := compileOptions{placeholders: opts.Placeholders}
	var condNode *yaml.Node
	timeframe := ""
	det := d.Detection.Content
	for i := 0; i+1 < len(det); i += 2 {
		name, val := det[i].Value, det[i+1]
		if name == "condition" {
			condNode = val
			continue
		}
		if name == "timeframe" {
			timeframe = val.Value
			continue
		}
		sel, err := compileSelection(val, copts)
		if err != nil {
			return nil, err
		}
		r.selections[name] = sel
	}
	if condNode == nil {
		return nil, lineErr(&d.Detection, "detection has no condition")
	}
	var conds []string
	switch condNode.Kind {
	case yaml.ScalarNode:
		conds = []string{condNode.Value}
	case yaml.SequenceNode:
		for _, c := range condNode.Content {
			conds = append(conds, c.Value)
		}
	default:
		return nil, lineErr(condNode, "condition must be a string or a list of strings")
	}
	var alternatives orExpr
	for _, c := range conds {
		if strings.Contains(c, "|") {
			// The deprecated aggregation syntax: the search part is the rule's condition,
			// the count becomes a correlation over the rule's own matches.
			search, agg, err := parseAggregation(c, timeframe)
			if err != nil {
				return nil, lineErr(condNode, err.Error())
			}
			if len(conds) > 1 {
				return nil, lineErr(condNode, "an aggregation cannot be one of several conditions")
			}
			agg.rules = []string{r.ID}
			r.correlation = agg
			c = search
		}
		e, err := parseCondition(c, r.selections)
		if err != nil {
			return nil, lineErr(condNode, err.Error())
		}
		alternatives = append(alternatives, e)
	}
	r.condition = alternatives
	if len(alternatives) == 1 {
		r.condition = alternatives[0]
	}
	return r, nil
}

func lower(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

func firstOf(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

// The values the Sigma specification allows for a rule's level and status, and the keys of
// its logsource: anything else is a typo that would load quietly as something else (a
// `level: hgih` rule ran as low).
var (
	ruleLevels    = map[string]bool{"informational": true, "low": true, "medium": true, "high": true, "critical": true}
	ruleStatuses  = map[string]bool{"stable": true, "test": true, "experimental": true, "deprecated": true, "unsupported": true}
	logsourceKeys = map[string]bool{"product": true, "service": true, "category": true, "definition": true}
)

// checkMetadata refuses an unknown level, status or logsource key, naming its line.
func checkMetadata(top *yaml.Node) error {
	for i := 0; i+1 < len(top.Content); i += 2 {
		k, v := top.Content[i], top.Content[i+1]
		switch k.Value {
		case "level":
			if !ruleLevels[strings.ToLower(v.Value)] {
				return lineErr(v, fmt.Sprintf("unknown level %q (informational, low, medium, high or critical)", v.Value))
			}
		case "status":
			if !ruleStatuses[strings.ToLower(v.Value)] {
				return lineErr(v, fmt.Sprintf("unknown status %q (stable, test, experimental, deprecated or unsupported)", v.Value))
			}
		case "logsource":
			if v.Kind != yaml.MappingNode {
				return lineErr(v, "logsource must be a mapping of product, service, category")
			}
			for j := 0; j+1 < len(v.Content); j += 2 {
				if lk := v.Content[j]; !logsourceKeys[lk.Value] {
					return lineErr(lk, fmt.Sprintf("unknown logsource key %q (product, service, category, definition)", lk.Value))
				}
			}
		}
	}
	return nil
}
