package normalize

import (
	"bytes"
	"sort"

	"github.com/vigil-sec/vigil/internal/rawjson"
)

// Repair names, as they appear in vigil.repairs.
const (
	RepairControlChars    = "control_chars"    // raw control characters inside strings escaped
	RepairTrailingComma   = "trailing_comma"   // commas before } or ] removed
	RepairBlobPlaceholder = "blob_placeholder" // Azure's unquoted [N B blob data] turned into a string
	RepairSingleQuotes    = "single_quotes"    // 'strings' turned into "strings"
	RepairUnquotedKeys    = "unquoted_keys"    // {key: …} turned into {"key": …}
	RepairPythonLiterals  = "python_literals"  // True/False/None turned into true/false/null
	RepairDuplicateKeys   = "duplicate_keys"   // a top-level key written twice: every reader takes the last value
	RepairInvalidUTF8     = "invalid_utf8"     // bytes that are not UTF-8 replaced by U+FFFD

	// RepairTimeFromProcessing marks an event whose record had no readable event time: its
	// time is when Vigil read it (metadata.original_time keeps what the record said).
	RepairTimeFromProcessing = "time_from_processing"
)

// Repair rewrites the dirty JSON real feeds emit into valid JSON, in one pass, and names the
// repairs it made. Nothing is dropped: every character of every string survives. It returns
// rec itself and no repairs when nothing needed fixing.
func Repair(rec []byte) ([]byte, []string) {
	r := repairer{in: rec, out: make([]byte, 0, len(rec)+16), fixes: map[string]bool{}}
	r.run()
	if len(r.fixes) == 0 {
		return rec, nil
	}
	names := make([]string, 0, len(r.fixes))
	for k := range r.fixes {
		names = append(names, k)
	}
	sort.Strings(names)
	return r.out, names
}

type repairer struct {
	in    []byte
	out   []byte
	fixes map[string]bool
}

func (r *repairer) run() {
	in := r.in
	for i := 0; i < len(in); {
		c := in[i]
		switch {
		case c == '"' || c == '\'':
			i = r.copyString(i, c)
		case c == ',':
			j := rawjson.SkipSpace(in, i+1)
			if j < len(in) && (in[j] == '}' || in[j] == ']') {
				r.fixes[RepairTrailingComma] = true
				i++
				continue
			}
			r.out = append(r.out, c)
			i++
		case c == '[' && blobPlaceholderLen(in[i:]) > 0:
			n := blobPlaceholderLen(in[i:])
			r.fixes[RepairBlobPlaceholder] = true
			r.out = appendQuoted(r.out, in[i:i+n])
			i += n
		case isIdentStart(c):
			j := i
			for j < len(in) && isIdentChar(in[j]) {
				j++
			}
			word := in[i:j]
			switch string(word) {
			case "true", "false", "null":
				r.out = append(r.out, word...)
			case "True", "False", "None":
				r.fixes[RepairPythonLiterals] = true
				r.out = append(r.out, map[string]string{"True": "true", "False": "false", "None": "null"}[string(word)]...)
			default:
				k := rawjson.SkipSpace(in, j)
				if k < len(in) && in[k] == ':' && r.expectsKey() {
					r.fixes[RepairUnquotedKeys] = true
					r.out = appendQuoted(r.out, word)
				} else {
					r.out = append(r.out, word...)
				}
			}
			i = j
		default:
			r.out = append(r.out, c)
			i++
		}
	}
}

// expectsKey reports whether the output so far ends where an object key may start.
func (r *repairer) expectsKey() bool {
	for k := len(r.out) - 1; k >= 0; k-- {
		switch r.out[k] {
		case ' ', '\t', '\n', '\r':
			continue
		case '{', ',':
			return true
		}
		return false
	}
	return false
}

// copyString copies the string starting at in[i] (quoted with q), escaping raw control
// characters and, for single-quoted strings, double quotes. It returns the index after it.
func (r *repairer) copyString(i int, q byte) int {
	in := r.in
	if q == '\'' {
		r.fixes[RepairSingleQuotes] = true
	}
	r.out = append(r.out, '"')
	j := i + 1
	for ; j < len(in); j++ {
		c := in[j]
		switch {
		case c == '\\' && j+1 < len(in):
			if q == '\'' && in[j+1] == '\'' {
				r.out = append(r.out, '\'')
			} else {
				r.out = append(r.out, c, in[j+1])
			}
			j++
		case c == q:
			r.out = append(r.out, '"')
			return j + 1
		case c == '"': // only reachable inside a single-quoted string
			r.out = append(r.out, '\\', '"')
		case c < 0x20:
			r.fixes[RepairControlChars] = true
			r.out = appendControl(r.out, c)
		default:
			r.out = append(r.out, c)
		}
	}
	return j // unterminated: the decoder will say so
}

func appendControl(out []byte, c byte) []byte {
	switch c {
	case '\n':
		return append(out, '\\', 'n')
	case '\r':
		return append(out, '\\', 'r')
	case '\t':
		return append(out, '\\', 't')
	}
	const hex = "0123456789abcdef"
	return append(out, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
}

func appendQuoted(out, s []byte) []byte {
	out = append(out, '"')
	for _, c := range s {
		switch {
		case c == '"' || c == '\\':
			out = append(out, '\\', c)
		case c < 0x20:
			out = appendControl(out, c)
		default:
			out = append(out, c)
		}
	}
	return append(out, '"')
}

// blobPlaceholderLen returns the length of a "[123 B blob data]" token at the start of b.
func blobPlaceholderLen(b []byte) int {
	if len(b) < 3 || b[0] != '[' {
		return 0
	}
	j := 1
	for j < len(b) && b[j] >= '0' && b[j] <= '9' {
		j++
	}
	if j == 1 {
		return 0
	}
	const tail = " B blob data]"
	if bytes.HasPrefix(b[j:], []byte(tail)) {
		return j + len(tail)
	}
	return 0
}

func isIdentStart(c byte) bool {
	return c == '_' || c == '$' || ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z')
}

func isIdentChar(c byte) bool { return isIdentStart(c) || ('0' <= c && c <= '9') }
