package cef

import "strings"

var (
	headerEscaper    = strings.NewReplacer(`\`, `\\`, `|`, `\|`, "\r\n", " ", "\n", " ", "\r", " ")
	extensionEscaper = strings.NewReplacer(`\`, `\\`, `=`, `\=`, "\r\n", `\n`, "\n", `\n`, "\r", `\r`)
)

// EscapeHeader escapes a CEF header field (vendor, product, version, signature id, name):
// backslash and pipe get a backslash; a line break, which a header cannot carry, becomes
// a space.
func EscapeHeader(s string) string { return headerEscaper.Replace(s) }

// EscapeExtension escapes an extension value: backslash and equals sign get a backslash,
// line feed and carriage return become \n and \r. A pipe needs no escape there.
func EscapeExtension(s string) string { return extensionEscaper.Replace(s) }
