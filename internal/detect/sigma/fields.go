package sigma

import (
	"bytes"
	"strconv"
	"strings"
	"unsafe"

	"github.com/goccy/go-json"

	"github.com/vigil-sec/vigil/internal/event"
)

// matchState is one event being matched: its raw record decoded once, shared by every
// rule, and the results of the selections of the rule being evaluated.
type matchState struct {
	ev      *event.Event
	raw     any
	decoded bool
	leaves  []string
	sels    map[*selection]bool
	fast    *fastLookup // reads fields from the raw bytes without decoding the record
	fields  map[string]fieldValues
	objects map[string][]*objectText // per field, the text of its object values
}

// objectText is an object value as text: its leaf values and its JSON, worked out once
// per event and field however many rules test the field.
type objectText struct {
	leaves []string
	json   string
}

func (o *objectText) match(p pattern) bool {
	if _, isNull := p.(nullPattern); isNull {
		return false
	}
	for _, l := range o.leaves {
		if p.matchString(l) {
			return true
		}
	}
	return p.matchString(o.json)
}

// objectTexts are the texts of a field's object values (nil where a value is not an
// object, nil altogether when none is).
func (m *matchState) objectTexts(field string, vals []any) []*objectText {
	if ots, ok := m.objects[field]; ok {
		return ots
	}
	var ots []*objectText
	for i, v := range vals {
		obj, ok := v.(map[string]any)
		if !ok {
			continue
		}
		if ots == nil {
			ots = make([]*objectText, len(vals))
		}
		ot := &objectText{}
		collectLeaves(obj, &ot.leaves)
		b, _ := json.Marshal(obj)
		ot.json = string(b)
		ots[i] = ot
	}
	if m.objects == nil {
		m.objects = map[string][]*objectText{}
	}
	m.objects[field] = ots
	return ots
}

// fieldValues are a field's values: one string held as is (the common case, no boxing),
// or decoded values.
type fieldValues struct {
	str   string
	isStr bool
	vals  []any
	found bool
}

func newMatchState(ev *event.Event) *matchState {
	f := &fastLookup{aliases: fieldAliases(), ocsf: ocsfAliases()}
	f.reset(ev.Raw)
	return newMatchStateWith(ev, f)
}

// newMatchStateWith shares the detector's probes of the event's raw record.
func newMatchStateWith(ev *event.Event, f *fastLookup) *matchState {
	return &matchState{ev: ev, sels: map[*selection]bool{}, fast: f, fields: map[string]fieldValues{}}
}

func (m *matchState) root() any {
	if !m.decoded {
		m.decoded = true
		if len(m.ev.Raw) > 0 {
			_ = json.Unmarshal(m.ev.Raw, &m.raw)
		}
	}
	return m.raw
}

func (m *matchState) selection(s *selection) bool {
	if r, ok := m.sels[s]; ok {
		return r
	}
	r := false
	for _, alt := range s.alternatives {
		if m.alternative(alt) {
			r = true
			break
		}
	}
	m.sels[s] = r
	return r
}

// alternative reports whether every item of one of a selection's alternatives holds.
func (m *matchState) alternative(alt []*item) bool {
	for _, it := range alt {
		if !m.item(it) {
			return false
		}
	}
	return true
}

func (m *matchState) item(it *item) bool {
	if it.field == "" {
		return m.keywords(it)
	}
	if it.exists == nil && !it.fieldref {
		if fv := m.lookupValues(it.field); fv.isStr {
			return matchOneString(it, fv.str)
		}
	}
	vals, found := m.lookup(it.field)
	if it.exists != nil {
		// The specification: exists checks presence only, "be it empty or null".
		return found == *it.exists
	}
	if !found {
		vals = []any{nil}
	}
	if it.fieldref {
		return m.fieldref(it, vals)
	}
	objs := m.objectTexts(it.field, vals)
	return combine(it.all, len(it.patterns), func(i int) bool {
		for j, v := range vals {
			if objs != nil && objs[j] != nil {
				if objs[j].match(it.patterns[i]) {
					return true
				}
			} else if matchValue(it.patterns[i], v) {
				return true
			}
		}
		return false
	})
}

// combine applies a list's logic: one of n tests must pass, or every one with all. An
// empty list matches nothing.
func combine(all bool, n int, test func(i int) bool) bool {
	if n == 0 {
		return false
	}
	for i := 0; i < n; i++ {
		hit := test(i)
		if all && !hit {
			return false
		}
		if !all && hit {
			return true
		}
	}
	return all
}

// matchOneString is item for a field holding one string.
func matchOneString(it *item, s string) bool {
	return combine(it.all, len(it.patterns), func(i int) bool { return it.patterns[i].matchString(s) })
}

// fieldref compares the field with the values of other fields, case-sensitively.
func (m *matchState) fieldref(it *item, vals []any) bool {
	return combine(it.all, len(it.refs), func(i int) bool {
		other, ok := m.lookup(it.refs[i])
		if !ok {
			return false
		}
		for _, a := range vals {
			for _, b := range other {
				sa, oka := text(a)
				sb, okb := text(b)
				if oka && okb && refMatches(it.refMatch, sa, sb) != it.neq {
					return true
				}
			}
		}
		return false
	})
}

// refMatches compares a field's value a with another field's value b, case-sensitively:
// equal, or a contains / starts with / ends with b, or a number compared with b.
func refMatches(kind, a, b string) bool {
	switch kind {
	case "contains":
		return strings.Contains(a, b)
	case "startswith":
		return strings.HasPrefix(a, b)
	case "endswith":
		return strings.HasSuffix(a, b)
	case "lt", "lte", "gt", "gte":
		x, errA := strconv.ParseFloat(strings.TrimSpace(a), 64)
		y, errB := strconv.ParseFloat(strings.TrimSpace(b), 64)
		if errA != nil || errB != nil {
			return false
		}
		switch kind {
		case "lt":
			return x < y
		case "lte":
			return x <= y
		case "gt":
			return x > y
		}
		return x >= y
	}
	return a == b
}

// keywords searches every value of the record.
func (m *matchState) keywords(it *item) bool {
	if m.leaves == nil {
		m.leaves = []string{}
		collectLeaves(m.root(), &m.leaves)
	}
	return combine(it.all, len(it.patterns), func(i int) bool {
		for _, s := range m.leaves {
			if it.patterns[i].matchString(s) {
				return true
			}
		}
		return false
	})
}

// matchValue applies a pattern to one resolved value; an object or array matches when one
// of its values does (or, for an object, its JSON text), as Sigma rules on nested cloud
// fields expect.
func matchValue(p pattern, v any) bool {
	switch x := v.(type) {
	case map[string]any:
		if _, isNull := p.(nullPattern); isNull {
			return false
		}
		var leaves []string
		collectLeaves(x, &leaves)
		for _, l := range leaves {
			if p.match(l) {
				return true
			}
		}
		b, _ := json.Marshal(x)
		return p.match(string(b))
	case []any:
		for _, e := range x {
			if matchValue(p, e) {
				return true
			}
		}
		return len(x) == 0 && p.match(nil)
	}
	return p.match(v)
}

func collectLeaves(v any, out *[]string) {
	switch x := v.(type) {
	case map[string]any:
		for _, e := range x {
			collectLeaves(e, out)
		}
	case []any:
		for _, e := range x {
			collectLeaves(e, out)
		}
	default:
		if s, ok := text(v); ok {
			*out = append(*out, s)
		}
	}
}

// lookup resolves a rule's field name: the native record first (ignoring case), then the
// body of a diagnostic record, then the Log Analytics column aliases, then the normalized
// event's OCSF fields. Values are read from the raw bytes; only the values found are
// decoded.
func (m *matchState) lookup(field string) ([]any, bool) {
	fv := m.lookupValues(field)
	if fv.isStr {
		return []any{fv.str}, true
	}
	return fv.vals, fv.found
}

// lookupValues is lookup with a single string kept unboxed; results are cached per event.
func (m *matchState) lookupValues(field string) fieldValues {
	if fv, ok := m.fields[field]; ok {
		return fv
	}
	var fv fieldValues
	raw := m.ev.Raw
	if m.ev.Vigil.Source == "entra" && strings.EqualFold(field, "status") {
		vals, found := m.entraStatus(field)
		fv = fieldValues{vals: vals, found: found}
		m.fields[field] = fv
		return fv
	}
	if len(raw) > 0 && raw[0] == '{' {
		if val, st := m.fast.scalar(field); st == fieldFound && len(val) > 0 && val[0] != '-' && (val[0] < '0' || val[0] > '9') && string(val) != "true" && string(val) != "false" {
			// A plain string straight from the raw bytes (the raw record is never modified,
			// so the string may share its memory).
			fv = fieldValues{str: unsafe.String(&val[0], len(val)), isStr: true, found: true}
			m.fields[field] = fv
			return fv
		}
	}
	vals, found := m.lookupRaw(field)
	fv = fieldValues{vals: vals, found: found}
	m.fields[field] = fv
	return fv
}

// entraStatus resolves Status on an Entra record. SigninLogs' Status is an object
// ({errorCode, failureReason, additionalDetails}) and audits have Result and ResultReason,
// yet SigmaHQ rules compare Status with 'Success', 'failure' or a reason: the values are
// the native ones, the audit's outcome and reason, and the normalized outcome.
func (m *matchState) entraStatus(field string) ([]any, bool) {
	vals, found := m.lookupRaw(field)
	if raw := m.ev.Raw; len(raw) > 0 && raw[0] == '{' {
		for _, f := range entraOutcomeFields() {
			if v, ok := m.resolveBytes(raw, f); ok {
				vals, found = append(vals, v...), true
			}
		}
	}
	if m.ev.Status != "" {
		vals, found = append(vals, m.ev.Status), true
	}
	return vals, found
}

func (m *matchState) lookupRaw(field string) ([]any, bool) {
	raw := m.ev.Raw
	if len(raw) == 0 || raw[0] != '{' {
		if v, ok := ocsfField(m.ev, field); ok {
			return []any{v}, true
		}
		return nil, false
	}
	if vals, ok := m.resolveBytes(raw, field); ok {
		return vals, true
	}
	if props, _, ok := m.fast.probe(raw).Lookup("properties"); ok && len(props) > 0 && props[0] == '{' {
		if vals, ok := m.resolveBytes(props, field); ok {
			return vals, true
		}
	}
	for _, alias := range m.fast.aliases[m.fast.lower(field)] {
		if vals, ok := m.resolveBytes(raw, alias); ok {
			return vals, true
		}
	}
	if v, ok := ocsfField(m.ev, field); ok {
		return []any{v}, true
	}
	if alias, ok := m.fast.ocsf[m.fast.lower(field)]; ok {
		if v, ok := ocsfField(m.ev, alias); ok {
			return []any{v}, true
		}
	}
	return nil, false
}

// resolveBytes walks a dotted path through the JSON object obj. Arrays on the way are
// followed into every element (decoded, which is rare); the leaves are decoded.
func (m *matchState) resolveBytes(obj []byte, field string) ([]any, bool) {
	for {
		p := m.fast.probe(obj)
		key, rest, nested := strings.Cut(field, ".")
		val, isStr, ok := p.Lookup(key)
		if !ok && nested {
			// A key may itself contain dots ("p_any.ip"): try the whole remaining name.
			if v, s, whole := p.Lookup(field); whole {
				return decodeLeaf(v, s), true
			}
			return nil, false
		}
		if !ok {
			return nil, false
		}
		if !nested {
			return decodeLeaf(val, isStr), true
		}
		if isStr || len(val) == 0 {
			return nil, false
		}
		if val[0] == '[' {
			var arr []any
			if json.Unmarshal(val, &arr) != nil {
				return nil, false
			}
			return resolve(arr, strings.Split(rest, "."))
		}
		if val[0] != '{' {
			return nil, false
		}
		obj, field = val, rest
	}
}

// decodeLeaf turns a probed value into Go values: a string, a number, a bool, nil, or the
// elements of an array / a decoded object.
func decodeLeaf(val []byte, isStr bool) []any {
	if isStr {
		if bytes.IndexByte(val, '\\') < 0 {
			return []any{string(val)}
		}
		var s string
		quoted := append(append([]byte{'"'}, val...), '"')
		if json.Unmarshal(quoted, &s) != nil {
			return []any{string(val)}
		}
		return []any{s}
	}
	var v any
	if json.Unmarshal(val, &v) != nil {
		return []any{nil}
	}
	if arr, ok := v.([]any); ok {
		return arr
	}
	return []any{v}
}

// resolve walks a dotted path through objects and arrays (every element of an array is
// followed); the leaves found are returned, arrays at the end flattened.
func resolve(v any, path []string) ([]any, bool) {
	if len(path) == 0 {
		if arr, ok := v.([]any); ok {
			return arr, true
		}
		return []any{v}, true
	}
	switch x := v.(type) {
	case map[string]any:
		next, ok := lookupKey(x, path[0])
		if !ok {
			// A key may itself contain dots ("p_any.ip"): try the longer names.
			for i := len(path); i > 1; i-- {
				if next, ok := lookupKey(x, strings.Join(path[:i], ".")); ok {
					return resolve(next, path[i:])
				}
			}
			return nil, false
		}
		return resolve(next, path[1:])
	case []any:
		var out []any
		found := false
		for _, e := range x {
			if vals, ok := resolve(e, path); ok {
				out = append(out, vals...)
				found = true
			}
		}
		return out, found
	}
	return nil, false
}

func lookupKey(obj map[string]any, key string) (any, bool) {
	if v, ok := obj[key]; ok {
		return v, true
	}
	for k, v := range obj {
		if strings.EqualFold(k, key) {
			return v, true
		}
	}
	return nil, false
}
