package cef

import "testing"

// The cases are the examples of the ArcSight CEF specification ("Implementing ArcSight
// Common Event Format", section "Character encoding"), field by field.
func TestEscapeHeader(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"detected a | in message", `detected a \| in message`}, // pipe in the header
		{`detected a \ in packet`, `detected a \\ in packet`},   // backslash in the header
		{"detected a = in message", "detected a = in message"},  // equals needs no escape in the header
		{`a\|b`, `a\\\|b`},                                           // both, in order
		{"two\nlines\r\nhere", "two lines here"},                     // no line break in a header
		{"Sign-in from a new country", "Sign-in from a new country"}, // plain text unchanged
		{"", ""},
	} {
		if got := EscapeHeader(c.in); got != c.want {
			t.Errorf("EscapeHeader(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestEscapeExtension(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"blocked a | dst", "blocked a | dst"},                                             // pipe needs no escape in the extension
		{`blocked a \ dst`, `blocked a \\ dst`},                                            // backslash
		{"blocked a = dst", `blocked a \= dst`},                                            // equals sign
		{"Detected a threat.\nNo action needed.", `Detected a threat.\nNo action needed.`}, // multi-line value
		{"a\rb", `a\rb`},
		{"a\r\nb", `a\nb`},
		{`c:\program files\x=1`, `c:\\program files\\x\=1`},
		{"https://login.example/x=42", `https://login.example/x\=42`},
	} {
		if got := EscapeExtension(c.in); got != c.want {
			t.Errorf("EscapeExtension(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}
