package normalize

import (
	"bytes"

	"github.com/vigil-sec/vigil/internal/rawjson"
)

// A broken element of an array (a record missing its closing brace, or with a string that
// never ends) upsets bracket matching, so it seems to run on over every record after it.
// resyncPoint finds where the next record really starts, as the JSON-lines reader does at
// the next line: records of one array start with the same key, so the next `, {"key"` at
// the broken record's own depth is taken; when the string state itself is upset, the next
// `, {"key"` anywhere.

// resyncPoint looks for the record after the broken element starting at b[i] (which seems to
// end at end, or never when end < 0). It returns the comma that ends the broken element and
// the start of the next record.
func resyncPoint(b []byte, i, end int) (cut, next int, ok bool) {
	if b[i] != '{' {
		return 0, 0, false
	}
	k := rawjson.SkipSpace(b, i+1)
	if k >= len(b) || b[k] != '"' {
		return 0, 0, false
	}
	ke := rawjson.EndOfString(b, k)
	if ke < 0 {
		return 0, 0, false
	}
	key := b[k:ke] // with its quotes
	limit := end
	if limit < 0 {
		limit = len(b)
	}
	if cut, next, ok := resyncAtDepth(b, i, limit, key); ok {
		return cut, next, true
	}
	if end >= 0 && !stringsUpset(b[i:end]) {
		return 0, 0, false
	}
	for from := ke; ; {
		q := bytes.Index(b[from:], key)
		if q < 0 {
			return 0, 0, false
		}
		q += from
		if cut, next, ok := startsRecord(b, q, i); ok {
			return cut, next, true
		}
		from = q + 1
	}
}

// resyncAtDepth finds `, {key` directly inside the object starting at b[i], honouring
// strings.
func resyncAtDepth(b []byte, i, limit int, key []byte) (cut, next int, ok bool) {
	depth := 0
	for j := i; j < limit; j++ {
		switch b[j] {
		case '"':
			e := rawjson.EndOfString(b, j)
			if e < 0 {
				return 0, 0, false
			}
			j = e - 1
		case '{':
			if depth == 1 {
				if k := rawjson.SkipSpace(b, j+1); bytes.HasPrefix(b[k:], key) {
					if cut, next, ok := startsRecord(b, k, i); ok {
						return cut, next, true
					}
				}
			}
			depth++
		case '[':
			depth++
		case '}', ']':
			depth--
		}
	}
	return 0, 0, false
}

// startsRecord reports whether the key at b[q] opens a record that follows a comma: `,`
// then `{` then the key, with any white space between. It never looks before b[floor].
func startsRecord(b []byte, q, floor int) (cut, next int, ok bool) {
	p := lastNonSpace(b, q-1, floor)
	if p <= floor || b[p] != '{' {
		return 0, 0, false
	}
	c := lastNonSpace(b, p-1, floor)
	if c <= floor || b[c] != ',' {
		return 0, 0, false
	}
	return c, p, true
}

func lastNonSpace(b []byte, j, floor int) int {
	for j > floor && rawjson.IsSpace(b[j]) {
		j--
	}
	return j
}

// stringsUpset reports whether el reads as if its quotes were off by one: a string followed
// by a bare word, as `"x":"oops},{"id":"c"}` reads once the quote after oops is lost.
func stringsUpset(el []byte) bool {
	for j := 0; j < len(el); j++ {
		if el[j] != '"' {
			continue
		}
		e := rawjson.EndOfString(el, j)
		if e < 0 {
			return true
		}
		n := rawjson.SkipSpace(el, e)
		if n < len(el) {
			c := el[n]
			if c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' {
				return true
			}
		}
		j = e - 1
	}
	return false
}
