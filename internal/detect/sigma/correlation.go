package sigma

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// correlation is a compiled correlation rule (Sigma correlation specification): it counts
// or orders the matches of other rules per group of field values within a time span.
type correlation struct {
	kind     string   // event_count, value_count, temporal, temporal_ordered
	rules    []string // referenced rule names or ids, in order
	groupBy  []string
	timespan time.Duration
	generate bool
	cond     countCondition
	field    string                       // value_count: the field whose distinct values count
	aliases  map[string]map[string]string // alias → rule → field
}

// countCondition is a set of bounds: gt, gte, lt, lte, eq, neq.
type countCondition struct {
	ops map[string]float64
}

func (c countCondition) holds(f float64) bool {
	for op, v := range c.ops {
		switch op {
		case "gt":
			if !(f > v) {
				return false
			}
		case "gte":
			if !(f >= v) {
				return false
			}
		case "lt":
			if !(f < v) {
				return false
			}
		case "lte":
			if !(f <= v) {
				return false
			}
		case "eq":
			if f != v {
				return false
			}
		case "neq":
			if f == v {
				return false
			}
		}
	}
	return true
}

// judgedAtClose reports whether a correlation can only be judged when its window closes.
func (c *correlation) judgedAtClose() bool {
	switch c.kind {
	case "value_percentile", "value_avg", "value_median", "value_min":
		return true // later events can move these either way
	}
	return c.cond.upperBounded()
}

// upperBounded reports whether the condition can only be judged when the window closes
// (fewer than N events): more events could still break it.
func (c countCondition) upperBounded() bool {
	_, lt := c.ops["lt"]
	_, lte := c.ops["lte"]
	_, eq := c.ops["eq"]
	return lt || lte || eq
}

type correlationDoc struct {
	Type     string                       `yaml:"type"`
	Rules    yaml.Node                    `yaml:"rules"`
	GroupBy  yaml.Node                    `yaml:"group-by"`
	Timespan string                       `yaml:"timespan"`
	Generate bool                         `yaml:"generate"`
	Cond     yaml.Node                    `yaml:"condition"`
	Aliases  map[string]map[string]string `yaml:"aliases"`
}

// compileCorrelation compiles a document's correlation section.
func compileCorrelation(n *yaml.Node) (*correlation, error) {
	var d correlationDoc
	if err := n.Decode(&d); err != nil {
		return nil, lineErr(n, err.Error())
	}
	c := &correlation{kind: strings.ToLower(d.Type), generate: d.Generate, aliases: d.Aliases, cond: countCondition{ops: map[string]float64{}}}
	switch c.kind {
	case "event_count", "value_count", "temporal", "temporal_ordered",
		"value_sum", "value_avg", "value_min", "value_max", "value_median", "value_percentile":
	default:
		return nil, lineErr(n, fmt.Sprintf("correlation type %q is not one of event_count, value_count, temporal, temporal_ordered, value_sum, value_avg, value_min, value_max, value_median, value_percentile", d.Type))
	}
	c.rules = scalarList(&d.Rules)
	if len(c.rules) == 0 {
		return nil, lineErr(n, "correlation needs rules")
	}
	c.groupBy = scalarList(&d.GroupBy)
	ts, err := parseTimespan(d.Timespan)
	if err != nil {
		return nil, lineErr(n, err.Error())
	}
	c.timespan = ts
	if d.Cond.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(d.Cond.Content); i += 2 {
			k, v := strings.ToLower(d.Cond.Content[i].Value), d.Cond.Content[i+1].Value
			if k == "field" {
				c.field = v
				continue
			}
			switch k {
			case "gt", "gte", "lt", "lte", "eq", "neq":
			default:
				return nil, lineErr(d.Cond.Content[i], fmt.Sprintf("unknown condition operator %q", k))
			}
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				return nil, lineErr(d.Cond.Content[i+1], fmt.Sprintf("condition %s needs a number", k))
			}
			c.cond.ops[k] = f
		}
	}
	switch c.kind {
	case "temporal", "temporal_ordered":
	default:
		if len(c.cond.ops) == 0 {
			return nil, lineErr(n, c.kind+" needs a condition (gte, gt, lt, lte, eq or neq)")
		}
		if c.kind != "event_count" && c.field == "" {
			return nil, lineErr(n, c.kind+" needs condition.field")
		}
	}
	switch c.kind {
	case "temporal", "temporal_ordered":
		if len(c.cond.ops) == 0 {
			c.cond.ops["gte"] = float64(len(c.rules)) // default: every referenced rule
		}
	}
	return c, nil
}

func scalarList(n *yaml.Node) []string {
	switch n.Kind {
	case yaml.ScalarNode:
		if n.Value != "" {
			return []string{n.Value}
		}
	case yaml.SequenceNode:
		var out []string
		for _, c := range n.Content {
			out = append(out, c.Value)
		}
		return out
	}
	return nil
}

var timespanRE = regexp.MustCompile(`^(\d+)\s*([smhdwMy])$`)

// parseTimespan reads Sigma time spans: 30s, 5m, 1h, 2d, 1w (and M, y).
func parseTimespan(s string) (time.Duration, error) {
	m := timespanRE.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return 0, fmt.Errorf("timespan %q is not a number with s, m, h, d, w, M or y", s)
	}
	n, _ := strconv.Atoi(m[1])
	unit := map[string]time.Duration{"s": time.Second, "m": time.Minute, "h": time.Hour, "d": 24 * time.Hour,
		"w": 7 * 24 * time.Hour, "M": 30 * 24 * time.Hour, "y": 365 * 24 * time.Hour}[m[2]]
	if n <= 0 {
		return 0, fmt.Errorf("timespan %q must be positive", s)
	}
	return time.Duration(n) * unit, nil
}

// aggregationRE reads the deprecated aggregation condition:
// "selection | count(field) by group > 10".
var aggregationRE = regexp.MustCompile(`^(.*?)\|\s*((?i)count|min|max|avg|sum)\(\s*([^)]*?)\s*\)\s*(?:by\s+([\w.,\s-]+?))?\s*(>=|<=|==|>|<|=)\s*(\d+(?:\.\d+)?)\s*$`)

// parseAggregation splits an old-style aggregation into the search condition and a
// correlation doing the counting.
func parseAggregation(cond, timeframe string) (string, *correlation, error) {
	m := aggregationRE.FindStringSubmatch(cond)
	if m == nil {
		return "", nil, fmt.Errorf("condition %q: want \"search | count|min|max|avg|sum(field) [by field] op N\"", cond)
	}
	fn, field := strings.ToLower(m[2]), m[3]
	c := &correlation{kind: "event_count", cond: countCondition{ops: map[string]float64{}}, generate: false}
	switch {
	case fn == "count" && field != "":
		c.kind, c.field = "value_count", field
	case fn != "count" && field == "":
		return "", nil, fmt.Errorf("condition %q: %s() needs a field", cond, fn)
	case fn != "count":
		c.kind, c.field = "value_"+fn, field
	}
	for _, g := range strings.Split(m[4], ",") {
		if g = strings.TrimSpace(g); g != "" {
			c.groupBy = append(c.groupBy, g)
		}
	}
	n, _ := strconv.ParseFloat(m[6], 64)
	c.cond.ops[map[string]string{">": "gt", ">=": "gte", "<": "lt", "<=": "lte", "==": "eq", "=": "eq"}[m[5]]] = n
	c.timespan = 24 * time.Hour
	if timeframe != "" {
		ts, err := parseTimespan(timeframe)
		if err != nil {
			return "", nil, err
		}
		c.timespan = ts
	}
	return strings.TrimSpace(m[1]), c, nil
}
