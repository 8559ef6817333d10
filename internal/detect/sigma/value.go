package sigma

import (
	"fmt"
	"net/netip"
	"regexp"
	"strconv"
	"strings"

	"github.com/vigil-sec/vigil/internal/rawjson"
)

// pattern tests one field value. Values come from JSON: string, float64, bool, nil,
// map[string]any or []any (already flattened by the field resolver into leaves, with maps
// also offered whole for contains-style matching).
type pattern interface {
	match(v any) bool
	// matchString is match for a string value, without boxing it in an interface: the
	// common case, kept free of allocations.
	matchString(s string) bool
}

// text renders a scalar JSON value as Sigma compares it: numbers without exponent, booleans
// as true/false. ok is false for null and containers.
func text(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), true
	case bool:
		return strconv.FormatBool(x), true
	case int:
		return strconv.Itoa(x), true
	}
	return "", false
}

// strPattern matches strings: exact, prefix, suffix, contains or a general wildcard
// pattern, case-insensitively unless cased.
type strPattern struct {
	kind  int // matchExact, matchPrefix, matchSuffix, matchContains, matchGlob
	lit   string
	re    *regexp.Regexp
	cased bool
}

const (
	matchExact = iota
	matchPrefix
	matchSuffix
	matchContains
	matchGlob
	matchAny // "*": any non-null value
)

func (p *strPattern) match(v any) bool {
	s, ok := text(v)
	if !ok {
		return false
	}
	return p.matchString(s)
}

func (p *strPattern) matchString(s string) bool {
	switch {
	case p.kind == matchAny:
		return true
	case p.kind == matchGlob:
		return p.re.MatchString(s)
	case p.cased:
		switch p.kind {
		case matchExact:
			return s == p.lit
		case matchPrefix:
			return strings.HasPrefix(s, p.lit)
		case matchSuffix:
			return strings.HasSuffix(s, p.lit)
		}
		return strings.Contains(s, p.lit)
	}
	// Case-insensitive without allocating: lit is lower case already.
	switch p.kind {
	case matchExact:
		return len(s) == len(p.lit) && strings.EqualFold(s, p.lit)
	case matchPrefix:
		return len(s) >= len(p.lit) && strings.EqualFold(s[:len(p.lit)], p.lit)
	case matchSuffix:
		return len(s) >= len(p.lit) && strings.EqualFold(s[len(s)-len(p.lit):], p.lit)
	}
	return containsFold(s, p.lit)
}

// containsFold reports whether s contains the lower-case lit, ignoring case. ASCII text is
// searched in place; anything else is lower-cased first (ToLower returns s itself when it
// has no upper case).
func containsFold(s, lit string) bool {
	if len(lit) == 0 {
		return true
	}
	if !isASCII(s) || !isASCII(lit) {
		return strings.Contains(strings.ToLower(s), lit)
	}
	first, firstUpper := lit[0], lit[0]
	if 'a' <= first && first <= 'z' {
		firstUpper = first - 'a' + 'A'
	}
	end := len(s) - len(lit) + 1 // where a match may start
	lowerAt, upperAt := -2, -2   // next candidate of each case; -2 unknown, -1 none left
	for i := 0; i < end; {
		lowerAt = nextByte(s, first, i, end, lowerAt)
		pos := lowerAt
		if firstUpper != first {
			upperAt = nextByte(s, firstUpper, i, end, upperAt)
			if pos < 0 || (upperAt >= 0 && upperAt < pos) {
				pos = upperAt
			}
		}
		if pos < 0 {
			return false
		}
		if strings.EqualFold(s[pos:pos+len(lit)], lit) {
			return true
		}
		i = pos + 1
	}
	return false
}

// nextByte is the position of c in s[from:end] (known is the last answer, reused while it
// is still ahead), or -1.
func nextByte(s string, c byte, from, end, known int) int {
	if known == -1 || known >= from {
		return known
	}
	if k := strings.IndexByte(s[from:end], c); k >= 0 {
		return from + k
	}
	return -1
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// maxValueBytes bounds one value of a rule (after modifiers and expansion): real rules'
// values are a few hundred bytes, and a multi-megabyte wildcard value only makes a regexp
// too large to compile.
const maxValueBytes = 64 << 10

// newStrPattern compiles a Sigma string value with its wildcards (* and ?, escaped with \)
// and the contains/startswith/endswith modifier already applied as leading/trailing *.
func newStrPattern(value string, cased bool) (*strPattern, error) {
	if len(value) > maxValueBytes {
		return nil, fmt.Errorf("value of %d bytes is longer than the limit of %d bytes", len(value), maxValueBytes)
	}
	var parts []string // literal runs and wildcard tokens "*" / "?"
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			parts = append(parts, "L"+lit.String())
			lit.Reset()
		}
	}
	for i := 0; i < len(value); i++ {
		c := value[i]
		switch {
		case c == '\\' && i+1 < len(value) && (value[i+1] == '*' || value[i+1] == '?' || value[i+1] == '\\'):
			lit.WriteByte(value[i+1])
			i++
		case c == '*' || c == '?':
			flush()
			parts = append(parts, string(c))
		default:
			lit.WriteByte(c)
		}
	}
	flush()
	norm := func(s string) string {
		if cased {
			return s
		}
		return strings.ToLower(s)
	}
	switch {
	case len(parts) == 0:
		return &strPattern{kind: matchExact, lit: "", cased: cased}, nil
	case len(parts) == 1 && parts[0] == "*":
		return &strPattern{kind: matchAny}, nil
	case len(parts) == 1 && parts[0][0] == 'L':
		return &strPattern{kind: matchExact, lit: norm(parts[0][1:]), cased: cased}, nil
	case len(parts) == 2 && parts[0][0] == 'L' && parts[1] == "*":
		return &strPattern{kind: matchPrefix, lit: norm(parts[0][1:]), cased: cased}, nil
	case len(parts) == 2 && parts[0] == "*" && parts[1][0] == 'L':
		return &strPattern{kind: matchSuffix, lit: norm(parts[1][1:]), cased: cased}, nil
	case len(parts) == 3 && parts[0] == "*" && parts[1][0] == 'L' && parts[2] == "*":
		return &strPattern{kind: matchContains, lit: norm(parts[1][1:]), cased: cased}, nil
	}
	var re strings.Builder
	if !cased {
		re.WriteString("(?i)")
	}
	re.WriteString("(?s)^")
	for _, p := range parts {
		switch p {
		case "*":
			re.WriteString(".*")
		case "?":
			re.WriteString(".")
		default:
			re.WriteString(regexp.QuoteMeta(p[1:]))
		}
	}
	re.WriteString("$")
	compiled, err := regexp.Compile(re.String())
	if err != nil {
		return nil, fmt.Errorf("wildcard value: %w", err)
	}
	return &strPattern{kind: matchGlob, re: compiled, cased: cased}, nil
}

// rePattern is the re modifier.
type rePattern struct{ re *regexp.Regexp }

func (p *rePattern) match(v any) bool {
	s, ok := text(v)
	return ok && p.re.MatchString(s)
}

func (p *rePattern) matchString(s string) bool { return p.re.MatchString(s) }

// nullPattern matches an absent field or JSON null.
type nullPattern struct{}

func (nullPattern) match(v any) bool        { return v == nil }
func (nullPattern) matchString(string) bool { return false }

// cidrPattern is the cidr modifier.
type cidrPattern struct{ prefix netip.Prefix }

func (p *cidrPattern) match(v any) bool {
	s, ok := text(v)
	return ok && p.matchString(s)
}

func (p *cidrPattern) matchString(s string) bool {
	a, err := netip.ParseAddr(strings.TrimSpace(s))
	if err != nil {
		if ap, err2 := netip.ParseAddrPort(s); err2 == nil {
			a = ap.Addr()
		} else {
			return false
		}
	}
	return p.prefix.Contains(a.Unmap())
}

// numPattern is lt/lte/gt/gte.
type numPattern struct {
	op  string
	num float64
}

func (p *numPattern) matchString(s string) bool { return p.match(s) }

func (p *numPattern) match(v any) bool {
	var f float64
	switch x := v.(type) {
	case float64:
		f = x
	case string:
		var err error
		if f, err = strconv.ParseFloat(strings.TrimSpace(x), 64); err != nil {
			return false
		}
	default:
		return false
	}
	switch p.op {
	case "lt":
		return f < p.num
	case "lte":
		return f <= p.num
	case "gt":
		return f > p.num
	case "eq":
		return f == p.num
	}
	return f >= p.num
}

// timePartPattern is the minute/hour/day/week/month/year modifiers: the part of a
// timestamp value, compared as a number.
type timePartPattern struct {
	part  string
	inner pattern
}

func (p *timePartPattern) match(v any) bool {
	s, ok := text(v)
	return ok && p.matchString(s)
}

func (p *timePartPattern) matchString(s string) bool {
	t, err := rawjson.ParseTime(s)
	if err != nil {
		return false
	}
	var n int
	switch p.part {
	case "minute":
		n = t.Minute()
	case "hour":
		n = t.Hour()
	case "day":
		n = t.Day()
	case "week":
		_, n = t.ISOWeek()
	case "month":
		n = int(t.Month())
	case "year":
		n = t.Year()
	}
	return p.inner.match(float64(n))
}

// anyOf matches when one of its patterns does (the encoded variants of a value).
type anyOf []pattern

func (a anyOf) matchString(s string) bool {
	for _, p := range a {
		if p.matchString(s) {
			return true
		}
	}
	return false
}

func (a anyOf) match(v any) bool {
	for _, p := range a {
		if p.match(v) {
			return true
		}
	}
	return false
}

// notPattern is neq: the value is present and does not match.
type notPattern struct{ p pattern }

func (n notPattern) match(v any) bool          { return v != nil && !n.p.match(v) }
func (n notPattern) matchString(s string) bool { return !n.p.matchString(s) }

func errorf(format string, a ...any) error { return fmt.Errorf(format, a...) }
