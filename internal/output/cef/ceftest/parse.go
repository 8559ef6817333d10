package ceftest

import (
	"fmt"
	"strings"
)

// Parsed is a CEF line read back as a receiver reads it.
type Parsed struct {
	Header [7]string // version, vendor, product, device version, signature id, name, severity
	Ext    map[string]string
}

// Parse reads a CEF line ("CEF:0|…"), undoing the escapes: the first seven
// unescaped pipes end the header fields; the extension is key=value pairs whose key is
// the word before an unescaped equals sign.
func Parse(line string) (Parsed, error) {
	var p Parsed
	rest, ok := strings.CutPrefix(line, "CEF:")
	if !ok {
		return p, fmt.Errorf("no CEF: prefix in %q", line)
	}
	for i := 0; i < 7; i++ {
		var b strings.Builder
		j := 0
		for ; j < len(rest); j++ {
			c := rest[j]
			if c == '\\' && j+1 < len(rest) && (rest[j+1] == '\\' || rest[j+1] == '|') {
				b.WriteByte(rest[j+1])
				j++
				continue
			}
			if c == '|' {
				break
			}
			b.WriteByte(c)
		}
		if j == len(rest) {
			return p, fmt.Errorf("header field %d not terminated in %q", i, line)
		}
		p.Header[i] = b.String()
		rest = rest[j+1:]
	}
	p.Ext = map[string]string{}
	// Find each unescaped '=', its key the word before it.
	type kv struct {
		key        string
		start, end int
	}
	var marks []kv
	for j := 0; j < len(rest); j++ {
		if rest[j] == '\\' {
			j++
			continue
		}
		if rest[j] == '=' {
			k := j
			for k > 0 && rest[k-1] != ' ' {
				k--
			}
			marks = append(marks, kv{key: rest[k:j], start: k, end: j + 1})
		}
	}
	for i, m := range marks {
		end := len(rest)
		if i+1 < len(marks) {
			end = marks[i+1].start - 1
		}
		if end < m.end {
			return p, fmt.Errorf("empty value for %s in %q", m.key, line)
		}
		p.Ext[m.key] = unescapeExtension(rest[m.end:end])
	}
	return p, nil
}

func unescapeExtension(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			i++
			switch s[i] {
			case 'n':
				b.WriteByte('\n')
			case 'r':
				b.WriteByte('\r')
			default:
				b.WriteByte(s[i])
			}
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
