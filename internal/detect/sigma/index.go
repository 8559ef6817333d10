package sigma

import (
	"bytes"
	"strings"

	"github.com/vigil-sec/vigil/internal/event"
	"github.com/vigil-sec/vigil/internal/rawjson"
)

// The rule index keeps most rules off the path of an event that cannot match them. A rule
// whose condition requires a selection testing a field for plain values (eventName:
// [StopLogging, DeleteTrail]) is filed under those values; for each event the index reads
// the few indexed fields straight from the raw bytes — no decoding, no allocation — and
// only the rules filed under the values it finds, plus the rules that could not be
// indexed, are evaluated.

type ruleIndex struct {
	fields   []string                    // indexed fields, in first-use order
	byValue  map[string]map[string][]int // field → lower-case value → rule positions
	prefixes map[string][]prefixEntry    // field → lower-case prefixes of startswith rules
	byField  map[string][]int            // field → every rule filed under it (when the value is unreadable)
	always   []int                       // rules that cannot be indexed
}

// prefixEntry files rules under a value prefix (a startswith test).
type prefixEntry struct {
	prefix string
	rules  []int
}

func buildIndex(rules []compiled, members []int) *ruleIndex {
	idx := &ruleIndex{byValue: map[string]map[string][]int{}, prefixes: map[string][]prefixEntry{}, byField: map[string][]int{}}
	for _, i := range members {
		c := rules[i]
		field, values, prefix, ok := indexKey(c.rule)
		if !ok {
			idx.always = append(idx.always, i)
			continue
		}
		if _, seen := idx.byValue[field]; !seen {
			idx.fields = append(idx.fields, field)
			idx.byValue[field] = map[string][]int{}
		}
		for _, v := range values {
			if prefix {
				idx.addPrefix(field, v, i)
			} else {
				idx.byValue[field][v] = append(idx.byValue[field][v], i)
			}
		}
		idx.byField[field] = append(idx.byField[field], i)
	}
	return idx
}

func (idx *ruleIndex) addPrefix(field, prefix string, rule int) {
	entries := idx.prefixes[field]
	for j := range entries {
		if entries[j].prefix == prefix {
			entries[j].rules = append(entries[j].rules, rule)
			return
		}
	}
	idx.prefixes[field] = append(entries, prefixEntry{prefix: prefix, rules: []int{rule}})
}

// indexKey finds a field and the values (or value prefixes) one of which a rule requires.
// Exact values are preferred: they select fewer rules.
func indexKey(r *Rule) (field string, values []string, prefix, ok bool) {
	var pf string
	var pv []string
	for _, sel := range requiredSelections(r.condition) {
		if len(sel.alternatives) != 1 {
			continue
		}
		for _, it := range sel.alternatives[0] {
			if vals, ok := plainValues(it, matchExact); ok {
				return it.field, vals, false, true
			}
			if vals, ok := plainValues(it, matchPrefix); ok && pv == nil {
				pf, pv = it.field, vals
			}
		}
	}
	if pv != nil {
		return pf, pv, true, true
	}
	return "", nil, false, false
}

// requiredSelections are the selections a condition cannot be true without.
func requiredSelections(e expr) []*selection {
	switch x := e.(type) {
	case selRef:
		return []*selection{x.sel}
	case andExpr:
		var out []*selection
		for _, c := range x {
			out = append(out, requiredSelections(c)...)
		}
		return out
	}
	return nil
}

// plainValues are an item's values when it is a plain, case-insensitive test of one kind
// (equality, or startswith).
func plainValues(it *item, kind int) ([]string, bool) {
	if it.field == "" || it.all || it.exists != nil || it.fieldref || it.cased || len(it.patterns) == 0 {
		return nil, false
	}
	var vals []string
	for _, p := range it.patterns {
		sp, ok := p.(*strPattern)
		if !ok || sp.kind != kind || sp.lit == "" {
			return nil, false
		}
		vals = append(vals, sp.lit)
	}
	return vals, true
}

// candidates returns, in rule order, the rules an event could match: those of the
// logsource groups it belongs to that the index does not rule out.
func (d *Detector) candidates(ev *event.Event) []int {
	out := d.scratch[:0]
	mark := d.marks
	clear(mark)
	add := func(ids []int) {
		for _, i := range ids {
			mark[i] = true
		}
	}
	d.fast.reset(ev.Raw)
	for _, g := range d.groups {
		if g.source(ev) {
			d.markGroup(g.index, add)
		}
	}
	for i, m := range mark {
		if m {
			out = append(out, i)
		}
	}
	d.scratch = out
	return out
}

func (d *Detector) markGroup(idx *ruleIndex, add func([]int)) {
	add(idx.always)
	for _, f := range idx.fields {
		val, state := d.fast.scalar(f)
		switch state {
		case fieldFound:
			d.lower = append(d.lower[:0], val...)
			lowerASCII(d.lower)
			add(idx.byValue[f][string(d.lower)])
			for _, pe := range idx.prefixes[f] {
				if bytes.HasPrefix(d.lower, []byte(pe.prefix)) {
					add(pe.rules)
				}
			}
		case fieldUnknown:
			add(idx.byField[f])
		}
	}
}

func lowerASCII(b []byte) {
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
}

const (
	fieldAbsent = iota
	fieldFound
	fieldUnknown // present but not a plain scalar: the slow path decides
)

// fastLookup reads scalar fields from raw JSON with reusable probes, following the same
// resolution order as the matcher (the field, the diagnostic body, the aliases). Probes of
// the objects met are kept for the event, so each object is scanned once.
type fastLookup struct {
	raw     []byte
	probes  [16]rawjson.Probe
	objs    [16][]byte // the object each probe holds
	n       int
	aliases map[string][]string
	ocsf    map[string]string
	lowered map[string]string // field name → lower case, so lookups do not allocate
}

// lower returns field in lower case, remembering it.
func (f *fastLookup) lower(field string) string {
	if l, ok := f.lowered[field]; ok {
		return l
	}
	if f.lowered == nil {
		f.lowered = map[string]string{}
	}
	l := strings.ToLower(field)
	f.lowered[field] = l
	return l
}

// reset starts a new event.
func (f *fastLookup) reset(raw []byte) {
	f.raw, f.n = raw, 0
}

// probe returns the probe of obj, scanning it the first time.
func (f *fastLookup) probe(obj []byte) *rawjson.Probe {
	for i := 0; i < f.n; i++ {
		if len(f.objs[i]) == len(obj) && len(obj) > 0 && &f.objs[i][0] == &obj[0] {
			return &f.probes[i]
		}
	}
	i := f.n
	if i == len(f.probes) {
		i = len(f.probes) - 1 // full: reuse the last slot
	} else {
		f.n++
	}
	f.objs[i] = obj
	f.probes[i].Reset(obj)
	return &f.probes[i]
}

func (f *fastLookup) scalar(field string) ([]byte, int) {
	if v, st := f.path(f.raw, field); st != fieldAbsent {
		return v, st
	}
	if props, _, ok := f.probe(f.raw).Lookup("properties"); ok && len(props) > 0 && props[0] == '{' {
		if v, st := f.path(props, field); st != fieldAbsent {
			return v, st
		}
	}
	for _, alias := range f.aliases[f.lower(field)] {
		if v, st := f.path(f.raw, alias); st != fieldAbsent {
			return v, st
		}
	}
	if _, ok := f.ocsf[f.lower(field)]; ok || isOCSFName(field) {
		return nil, fieldUnknown // a field of the normalized event: the matcher reads it
	}
	return nil, fieldAbsent
}

// path walks a dotted path, one object per level.
func (f *fastLookup) path(obj []byte, field string) ([]byte, int) {
	for {
		p := f.probe(obj)
		key, rest, nested := strings.Cut(field, ".")
		val, isStr, ok := p.Lookup(key)
		if !ok {
			if nested {
				if _, _, whole := p.Lookup(field); whole {
					return nil, fieldUnknown // a key with dots in it
				}
			}
			return nil, fieldAbsent
		}
		if !nested {
			switch {
			case isStr && bytes.IndexByte(val, '\\') < 0:
				return val, fieldFound
			case isStr:
				return nil, fieldUnknown // escapes: decode on the slow path
			case len(val) > 0 && (val[0] == '-' || (val[0] >= '0' && val[0] <= '9')) && !bytes.ContainsAny(val, ".eE"):
				return val, fieldFound
			case string(val) == "true" || string(val) == "false":
				return val, fieldFound
			case string(val) == "null":
				return nil, fieldAbsent
			}
			return nil, fieldUnknown
		}
		if len(val) == 0 || val[0] != '{' || isStr {
			return nil, fieldUnknown
		}
		obj, field = val, rest
	}
}

// isOCSFName reports whether a field is one ocsfField reads.
func isOCSFName(field string) bool {
	switch field {
	case "time", "class_uid", "activity_id", "status_id", "severity_id", "status", "status_code", "status_detail", "is_mfa":
		return true
	}
	for _, p := range []string{"actor.", "src_endpoint.", "http_request.", "api.", "cloud.", "metadata.", "vigil."} {
		if strings.HasPrefix(field, p) {
			return true
		}
	}
	return false
}
