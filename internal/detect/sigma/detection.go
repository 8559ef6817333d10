package sigma

import (
	"encoding/base64"
	"fmt"
	"net/netip"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// selection is one named detection: a list of alternatives (OR), each a list of items
// (AND), or a keyword search.
type selection struct {
	alternatives [][]*item
}

// item is one "field|modifiers: values" entry.
type item struct {
	field    string // "" for a keyword search over every value of the record
	all      bool   // all values must match (else one)
	patterns []pattern
	exists   *bool  // the exists modifier
	fieldref bool   // values are other fields' names
	neq      bool   // with fieldref: the field must differ from the other
	refMatch string // with fieldref: contains, startswith, endswith, lt, lte, gt, gte ("" equal)
	refs     []string
	cased    bool
}

// compileOptions are what compiling needs from the loader.
type compileOptions struct {
	placeholders map[string][]string
}

// compileSelection compiles a detection's named selection node.
func compileSelection(n *yaml.Node, opts compileOptions) (*selection, error) {
	sel := &selection{}
	switch n.Kind {
	case yaml.MappingNode:
		items, err := compileMap(n, opts)
		if err != nil {
			return nil, err
		}
		sel.alternatives = append(sel.alternatives, items)
	case yaml.SequenceNode:
		var keywords []*yaml.Node
		for _, c := range n.Content {
			switch c.Kind {
			case yaml.MappingNode:
				items, err := compileMap(c, opts)
				if err != nil {
					return nil, err
				}
				sel.alternatives = append(sel.alternatives, items)
			case yaml.ScalarNode:
				keywords = append(keywords, c)
			default:
				return nil, lineErr(c, "a selection list holds maps or keywords")
			}
		}
		if len(keywords) > 0 {
			it, err := compileItem("", &yaml.Node{Kind: yaml.SequenceNode, Content: keywords, Line: n.Line}, opts)
			if err != nil {
				return nil, err
			}
			sel.alternatives = append(sel.alternatives, []*item{it})
		}
	case yaml.ScalarNode:
		it, err := compileItem("", n, opts)
		if err != nil {
			return nil, err
		}
		sel.alternatives = append(sel.alternatives, []*item{it})
	default:
		return nil, lineErr(n, "unsupported selection")
	}
	return sel, nil
}

func compileMap(n *yaml.Node, opts compileOptions) ([]*item, error) {
	var items []*item
	for i := 0; i+1 < len(n.Content); i += 2 {
		it, err := compileItem(n.Content[i].Value, n.Content[i+1], opts)
		if err != nil {
			return nil, err
		}
		items = append(items, it)
	}
	return items, nil
}

// compileItem compiles "field|mod|mod" with its value or list of values.
func compileItem(key string, valNode *yaml.Node, opts compileOptions) (*item, error) {
	parts := strings.Split(key, "|")
	it := &item{field: strings.TrimSpace(parts[0])}
	mods := parts[1:]
	var values []*yaml.Node
	switch valNode.Kind {
	case yaml.SequenceNode:
		values = valNode.Content
	case yaml.ScalarNode, yaml.AliasNode:
		values = []*yaml.Node{valNode}
	default:
		return nil, lineErr(valNode, fmt.Sprintf("field %q: a value must be a scalar or a list", key))
	}
	spec := modSpec{}
	for _, m := range mods {
		if err := spec.add(strings.ToLower(strings.TrimSpace(m))); err != nil {
			return nil, lineErr(valNode, fmt.Sprintf("field %q: %v", key, err))
		}
	}
	it.all, it.cased, it.fieldref, it.neq = spec.all, spec.cased, spec.fieldref, spec.neq
	if it.fieldref {
		switch spec.match {
		case "", "neq":
		case "contains", "startswith", "endswith", "lt", "lte", "gt", "gte":
			it.refMatch = spec.match
		default:
			return nil, lineErr(valNode, fmt.Sprintf("field %q: fieldref cannot take %s", key, spec.match))
		}
	}
	if spec.exists {
		if len(values) != 1 {
			return nil, lineErr(valNode, "exists takes one true/false value")
		}
		b, err := strconv.ParseBool(values[0].Value)
		if err != nil {
			return nil, lineErr(valNode, "exists takes true or false")
		}
		it.exists = &b
		return it, nil
	}
	for _, v := range values {
		if v.Kind != yaml.ScalarNode {
			return nil, lineErr(v, fmt.Sprintf("field %q: values must be scalars", key))
		}
		if it.fieldref {
			it.refs = append(it.refs, v.Value)
			continue
		}
		if len(v.Value) > maxValueBytes {
			return nil, lineErr(v, fmt.Sprintf("field %q: value of %d bytes is longer than the limit of %d bytes", key, len(v.Value), maxValueBytes))
		}
		expanded := []string{v.Value}
		if spec.expand {
			var err error
			if expanded, err = expandPlaceholders(v.Value, opts.placeholders); err != nil {
				return nil, lineErr(v, err.Error())
			}
		}
		for _, raw := range expanded {
			p, err := spec.compile(raw, v.Tag == "!!null", it.field == "")
			if err != nil {
				return nil, lineErr(v, fmt.Sprintf("field %q: %v", key, err))
			}
			it.patterns = append(it.patterns, p)
		}
	}
	return it, nil
}

// modSpec collects an item's modifiers.
type modSpec struct {
	match                        string // contains, startswith, endswith, re, cidr, lt, lte, gt, gte, neq
	reFlags                      string
	all, cased, exists, fieldref bool
	expand, b64, b64off, windash bool
	utf16le, utf16be, utf16bom   bool
	neq                          bool   // negate: the field differs
	timePart                     string // minute, hour, day, week, month, year
}

func (s *modSpec) add(m string) error {
	switch m {
	case "minute", "hour", "day", "week", "month", "year":
		s.timePart = m
	case "neq":
		s.neq = true
		if s.match == "" {
			s.match = m
		}
	case "contains", "startswith", "endswith", "re", "cidr", "lt", "lte", "gt", "gte":
		if s.match == "neq" {
			s.match = m // neq combined with a match type negates it
			break
		}
		if s.match != "" && !(s.match == "re" && m == "re") {
			return fmt.Errorf("modifiers %s and %s cannot be combined", s.match, m)
		}
		s.match = m
	case "i", "m", "s":
		if s.match != "re" {
			return fmt.Errorf("modifier %s applies to re only", m)
		}
		s.reFlags += m
	case "all":
		s.all = true
	case "cased":
		s.cased = true
	case "exists":
		s.exists = true
	case "fieldref":
		s.fieldref = true
	case "expand":
		s.expand = true
	case "base64":
		s.b64 = true
	case "base64offset":
		s.b64off = true
	case "windash":
		s.windash = true
	case "utf16le", "wide":
		s.utf16le = true
	case "utf16be":
		s.utf16be = true
	case "utf16":
		s.utf16le, s.utf16bom = true, true // little-endian with a byte-order mark
	default:
		return fmt.Errorf("unknown modifier %q", m)
	}
	return nil
}

// compile turns one value into a pattern, applying the modifiers in Sigma's order:
// encodings, then base64, then the match type.
func (s *modSpec) compile(raw string, isNull, keyword bool) (pattern, error) {
	if isNull {
		if s.match != "" {
			return nil, fmt.Errorf("null cannot take %s", s.match)
		}
		return nullPattern{}, nil
	}
	if s.timePart != "" {
		inner, err := s.timeInner(raw)
		if err != nil {
			return nil, err
		}
		return &timePartPattern{part: s.timePart, inner: inner}, nil
	}
	switch s.match {
	case "re":
		flags := ""
		if strings.Contains(s.reFlags, "i") {
			flags += "i"
		}
		if strings.Contains(s.reFlags, "m") {
			flags += "m"
		}
		if strings.Contains(s.reFlags, "s") {
			flags += "s"
		}
		expr := raw
		if flags != "" {
			expr = "(?" + flags + ")" + raw
		}
		re, err := regexp.Compile(expr)
		if err != nil {
			return nil, fmt.Errorf("bad regular expression: %v", err)
		}
		return &rePattern{re: re}, nil
	case "cidr":
		pf, err := netip.ParsePrefix(strings.TrimSpace(raw))
		if err != nil {
			return nil, fmt.Errorf("bad CIDR %q", raw)
		}
		return &cidrPattern{prefix: pf.Masked()}, nil
	case "lt", "lte", "gt", "gte":
		f, err := strconv.ParseFloat(strings.TrimSpace(raw), 64)
		if err != nil {
			return nil, fmt.Errorf("%s needs a number, not %q", s.match, raw)
		}
		return &numPattern{op: s.match, num: f}, nil
	}
	variants := []string{raw}
	if s.windash {
		variants = windashVariants(raw)
	}
	if s.utf16le || s.utf16be {
		for i, v := range variants {
			variants[i] = encodeUTF16(v, s.utf16be)
			if s.utf16bom {
				variants[i] = "\xff\xfe" + variants[i]
			}
		}
	}
	if s.b64off {
		var out []string
		for _, v := range variants {
			out = append(out, base64Offsets(v)...)
		}
		variants = out
	} else if s.b64 {
		for i, v := range variants {
			variants[i] = base64.StdEncoding.EncodeToString([]byte(v))
		}
	}
	encoded := s.b64 || s.b64off || s.utf16le || s.utf16be
	var pats anyOf
	for _, v := range variants {
		if encoded { // encoded values are literal bytes: escape wildcard characters
			v = strings.NewReplacer(`\`, `\\`, `*`, `\*`, `?`, `\?`).Replace(v)
		}
		switch {
		case s.match == "contains" || keyword:
			v = "*" + literalTrailingBackslash(v) + "*"
		case s.match == "startswith":
			v = literalTrailingBackslash(v) + "*"
		case s.match == "endswith":
			v = "*" + v
		}
		cased := s.cased || encoded // base64 is case-sensitive by nature
		sp, err := newStrPattern(v, cased)
		if err != nil {
			return nil, err
		}
		pats = append(pats, sp)
	}
	var p pattern = pats
	if len(pats) == 1 {
		p = pats[0]
	}
	if s.neq {
		p = notPattern{p}
	}
	return p, nil
}

// timeInner compiles the comparison a time modifier's extracted number is put to: equality,
// or lt/lte/gt/gte when given.
func (s *modSpec) timeInner(raw string) (pattern, error) {
	f, err := strconv.ParseFloat(strings.TrimSpace(raw), 64)
	if err != nil {
		return nil, fmt.Errorf("%s needs a number, not %q", s.timePart, raw)
	}
	switch s.match {
	case "lt", "lte", "gt", "gte":
		return &numPattern{op: s.match, num: f}, nil
	case "", "neq":
		p := pattern(&numPattern{op: "eq", num: f})
		if s.neq {
			p = notPattern{p}
		}
		return p, nil
	}
	return nil, fmt.Errorf("%s cannot be combined with %s", s.timePart, s.match)
}

// maxExpansions bounds the values one |expand value becomes: each placeholder multiplies
// them, and seven placeholders of ten values were ten million patterns.
const maxExpansions = 4096

// expandPlaceholders fills %name% placeholders from configuration; a rule whose
// placeholder is not configured is rejected, as the specification requires.
func expandPlaceholders(v string, placeholders map[string][]string) ([]string, error) {
	out := []string{""}
	for {
		start := strings.IndexByte(v, '%')
		end := -1
		if start >= 0 {
			end = strings.IndexByte(v[start+1:], '%')
		}
		if start < 0 || end < 0 {
			for i := range out {
				out[i] += v
			}
			return out, nil
		}
		name := v[start+1 : start+1+end]
		vals, ok := placeholders[name]
		if !ok || len(vals) == 0 {
			return nil, fmt.Errorf("placeholder %%%s%% is not configured (set it with --placeholder %s=value,...)", name, name)
		}
		if len(out)*len(vals) > maxExpansions {
			return nil, fmt.Errorf("|expand gives more than %d values (the limit): use fewer placeholders or values", maxExpansions)
		}
		next := make([]string, 0, len(out)*len(vals))
		for _, o := range out {
			for _, val := range vals {
				next = append(next, o+v[:start]+val)
			}
		}
		out, v = next, v[start+1+end+1:]
	}
}

func lineErr(n *yaml.Node, reason string) error {
	return &LoadError{Line: n.Line, Reason: reason}
}

// literalTrailingBackslash keeps a value's lone trailing backslash literal when a wildcard is
// appended after it: 'C:\Windows\' with startswith must not become an escaped star.
func literalTrailingBackslash(v string) string {
	n := len(v) - len(strings.TrimRight(v, `\`))
	if n%2 == 1 {
		return v + `\`
	}
	return v
}
