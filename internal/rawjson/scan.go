package rawjson

import "bytes"

// The structural scanner below finds the extent of JSON values without decoding them. It is
// deliberately tolerant: it only needs strings and brackets to balance, so dirty records
// (trailing commas, raw control characters, unquoted keys) can still be cut out of their
// container and repaired one by one.

// IsSpace reports whether c is JSON whitespace.
func IsSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// SkipSpace returns the index of the first non-whitespace byte of b at or after i.
func SkipSpace(b []byte, i int) int {
	for i < len(b) && IsSpace(b[i]) {
		i++
	}
	return i
}

// EndOfString returns the index just past the closing quote of the string starting at
// b[i] == '"', or -1 when it does not end. It jumps from quote to quote with
// bytes.IndexByte and counts the backslashes before each, which is many times faster than
// stepping through every byte of long values.
func EndOfString(b []byte, i int) int {
	j := i + 1
	for {
		k := bytes.IndexByte(b[j:], '"')
		if k < 0 {
			return -1
		}
		q := j + k
		n := 0
		for p := q - 1; p > i && b[p] == '\\'; p-- {
			n++
		}
		if n%2 == 0 {
			return q + 1
		}
		j = q + 1
	}
}

// structural marks the bytes EndOfValue must look at inside an object or array.
var structural = [256]bool{'"': true, '{': true, '[': true, '}': true, ']': true}

// EndOfValue returns the index just past the value starting at b[i], or -1 when it does not
// end within b. Objects and arrays are matched by bracket depth, honouring strings.
func EndOfValue(b []byte, i int) int {
	if i >= len(b) {
		return -1
	}
	switch b[i] {
	case '"':
		return EndOfString(b, i)
	case '{', '[':
		depth := 0
		for j := i; j < len(b); j++ {
			if !structural[b[j]] {
				continue
			}
			switch b[j] {
			case '"':
				e := EndOfString(b, j)
				if e < 0 {
					return -1
				}
				j = e - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return j + 1
				}
			}
		}
		return -1
	default:
		j := i
		for j < len(b) {
			c := b[j]
			if c == ',' || c == '}' || c == ']' || IsSpace(c) {
				break
			}
			j++
		}
		if j == i {
			return -1
		}
		return j
	}
}
