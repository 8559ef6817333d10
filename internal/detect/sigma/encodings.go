package sigma

import (
	"bytes"
	"encoding/base64"
	"strings"
	"unicode/utf16"
)

// encodeUTF16 is the utf16le/utf16be/wide modifiers.
func encodeUTF16(s string, bigEndian bool) string {
	var b bytes.Buffer
	for _, r := range utf16.Encode([]rune(s)) {
		if bigEndian {
			b.WriteByte(byte(r >> 8))
			b.WriteByte(byte(r))
		} else {
			b.WriteByte(byte(r))
			b.WriteByte(byte(r >> 8))
		}
	}
	return b.String()
}

// base64Offsets is the base64offset modifier: the encodings of s at each of the three
// byte alignments it can have inside a longer encoded string, cut to the characters that do
// not depend on its unknown neighbours.
func base64Offsets(s string) []string {
	var out []string
	starts := []int{0, 2, 3}
	ends := []int{0, 3, 2} // characters to drop at the end, by (len+offset) % 3
	for i := 0; i < 3; i++ {
		enc := base64.StdEncoding.EncodeToString(append(bytes.Repeat([]byte{' '}, i), s...))
		end := len(enc) - ends[(len(s)+i)%3]
		if starts[i] < end {
			out = append(out, enc[starts[i]:end])
		}
	}
	return out
}

// windashVariants is the windash modifier: a leading - or / of a command-line flag in every
// dash Windows accepts.
func windashVariants(s string) []string {
	dashes := []string{"-", "/", "\u2013", "\u2014", "\u2015"}
	seen := map[string]bool{}
	var out []string
	for _, d := range dashes {
		v := strings.NewReplacer(" -", " "+d, " /", " "+d).Replace(s)
		if strings.HasPrefix(v, "-") || strings.HasPrefix(v, "/") {
			v = d + v[1:]
		}
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}
