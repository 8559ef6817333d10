package rawjson

import (
	"bytes"
	"fmt"
	"strings"
)

// Probe is a cheap view of a record's top-level keys and simple string values, computed
// once per record so that every parser's Detect costs a few comparisons, not a decode.
type Probe struct {
	keys   [][]byte // top-level keys, as written (escapes not decoded)
	values [][]byte // the raw value of each key: a string's contents without quotes, else the raw JSON
	isStr  []bool
}

// NewProbe scans the top-level object of rec. A record that is not an object gives an empty
// probe.
func NewProbe(rec []byte) *Probe {
	p := &Probe{}
	p.Reset(rec)
	return p
}

// Reset rescans p for rec, reusing its memory.
func (p *Probe) Reset(rec []byte) { p.Scan(rec) }

// Scan reads the object at the start of rec and returns the index just past it, or -1 when
// the object does not close, so a caller cutting records out of a container needs no second
// pass to find where one ends.
func (p *Probe) Scan(rec []byte) int {
	p.keys, p.values, p.isStr = p.keys[:0], p.values[:0], p.isStr[:0]
	i := SkipSpace(rec, 0)
	if i >= len(rec) || rec[i] != '{' {
		return -1
	}
	i++
	for {
		i = SkipSpace(rec, i)
		if i >= len(rec) {
			return -1
		}
		if rec[i] == '}' {
			return i + 1
		}
		if rec[i] == ',' {
			i++
			continue
		}
		if rec[i] != '"' {
			return p.abandon(rec)
		}
		end := EndOfString(rec, i)
		if end < 0 {
			return -1
		}
		key := rec[i+1 : end-1]
		i = SkipSpace(rec, end)
		if i >= len(rec) || rec[i] != ':' {
			return p.abandon(rec)
		}
		i = SkipSpace(rec, i+1)
		vend := EndOfValue(rec, i)
		if vend < 0 {
			return p.abandon(rec)
		}
		val, str := rec[i:vend], false
		if len(val) >= 2 && val[0] == '"' {
			val, str = val[1:len(val)-1], true
		}
		p.keys = append(p.keys, key)
		p.values = append(p.values, val)
		p.isStr = append(p.isStr, str)
		i = vend
	}
}

// abandon gives up on reading keys of a malformed object (the parsers will not be asked
// about it before it is repaired) and finds its extent by brackets alone.
func (p *Probe) abandon(rec []byte) int {
	p.keys, p.values, p.isStr = p.keys[:0], p.values[:0], p.isStr[:0]
	return EndOfValue(rec, SkipSpace(rec, 0))
}

// Len is the number of top-level keys.
func (p *Probe) Len() int { return len(p.keys) }

// Has reports whether the record has the top-level key, compared case-insensitively.
func (p *Probe) Has(key string) bool { return p.index(key) >= 0 }

// HasAll reports whether the record has every one of the keys.
func (p *Probe) HasAll(keys ...string) bool {
	for _, k := range keys {
		if p.index(k) < 0 {
			return false
		}
	}
	return true
}

// HasAny reports whether the record has at least one of the keys.
func (p *Probe) HasAny(keys ...string) bool {
	for _, k := range keys {
		if p.index(k) >= 0 {
			return true
		}
	}
	return false
}

// String is the value of a top-level key holding a JSON string, as written between the
// quotes (escapes not decoded), and whether the key holds a string.
func (p *Probe) String(key string) (string, bool) {
	i := p.index(key)
	if i < 0 || !p.isStr[i] {
		return "", false
	}
	return string(p.values[i]), true
}

// StringIs reports whether a top-level key holds a string equal to one of want, compared
// case-insensitively.
func (p *Probe) StringIs(key string, want ...string) bool {
	i := p.index(key)
	if i < 0 || !p.isStr[i] {
		return false
	}
	for _, w := range want {
		if bytes.EqualFold(p.values[i], []byte(w)) {
			return true
		}
	}
	return false
}

// Lookup is Value that also says whether the value is a JSON string, without allocating.
func (p *Probe) Lookup(key string) (val []byte, isStr, ok bool) {
	i := p.index(key)
	if i < 0 {
		return nil, false, false
	}
	return p.values[i], p.isStr[i], true
}

// Value is the raw JSON of a top-level key's value (a string without its quotes).
func (p *Probe) Value(key string) ([]byte, bool) {
	i := p.index(key)
	if i < 0 {
		return nil, false
	}
	return p.values[i], true
}

// index finds the last occurrence of key: with a key written twice, every reader of a record
// (the parsers' JSON decoders and this probe) takes the last value, so a rule and the
// normalized event never see two different records.
func (p *Probe) index(key string) int {
	for i := len(p.keys) - 1; i >= 0; i-- {
		if k := p.keys[i]; len(k) == len(key) && equalFoldASCII(k, key) {
			return i
		}
	}
	return -1
}

// HasDuplicateKey reports whether a top-level key is written twice (compared
// case-insensitively, as the decoders match struct fields).
func (p *Probe) HasDuplicateKey() bool {
	for i := 1; i < len(p.keys); i++ {
		for j := 0; j < i; j++ {
			if len(p.keys[i]) == len(p.keys[j]) && bytes.EqualFold(p.keys[i], p.keys[j]) {
				return true
			}
		}
	}
	return false
}

func equalFoldASCII(b []byte, s string) bool {
	for i := 0; i < len(b); i++ {
		x, y := b[i], s[i]
		if x == y {
			continue
		}
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// KeyList lists up to max top-level keys for messages.
func (p *Probe) KeyList(max int) string {
	if len(p.keys) == 0 {
		return "(none: not a JSON object)"
	}
	var sb strings.Builder
	for i, k := range p.keys {
		if i == max {
			fmt.Fprintf(&sb, ", … (%d keys)", len(p.keys))
			break
		}
		if i > 0 {
			sb.WriteString(", ")
		}
		sb.Write(k)
	}
	return sb.String()
}
