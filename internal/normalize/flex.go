package normalize

import (
	"strconv"
	"strings"

	"github.com/goccy/go-json"
)

// The types below absorb the type changes real feeds make between versions and exporters,
// so a parser's struct decodes whatever JSON type a producer chose.

// Text holds any JSON scalar as text: "true", "50126", "2021-01-01T00:00:00Z"; null is "".
// Objects and arrays are kept as their JSON text.
type Text string

// UnmarshalJSON accepts every JSON type.
func (t *Text) UnmarshalJSON(b []byte) error {
	switch {
	case len(b) == 0 || string(b) == "null":
		*t = ""
	case b[0] == '"':
		if s, err := strconv.Unquote(string(b)); err == nil {
			*t = Text(s)
			return nil
		}
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*t = Text(s)
	default:
		*t = Text(b)
	}
	return nil
}

// String is the text.
func (t Text) String() string { return string(t) }

// Int reads the text as an integer; ok is false when it is not one.
func (t Text) Int() (int, bool) {
	n, err := strconv.Atoi(strings.TrimSpace(string(t)))
	return n, err == nil
}

// Float reads the text as a number.
func (t Text) Float() (float64, bool) {
	f, err := strconv.ParseFloat(strings.TrimSpace(string(t)), 64)
	return f, err == nil
}

// Bool reads true/false/yes/no/1/0 (any case); nil when absent or unclear.
func (t Text) Bool() *bool {
	var v bool
	switch strings.ToLower(strings.TrimSpace(string(t))) {
	case "true", "yes", "1":
		v = true
	case "false", "no", "0":
		v = false
	default:
		return nil
	}
	return &v
}

// JSONText holds a JSON value that producers send either embedded or as a string of JSON
// text (Azure's `properties` in some streams, dynamic columns of Log Analytics exports).
// It keeps the JSON itself; a string that is not JSON is kept as a JSON string.
type JSONText []byte

// UnmarshalJSON keeps embedded JSON and decodes JSON text out of a string.
func (j *JSONText) UnmarshalJSON(b []byte) error {
	if len(b) == 0 || string(b) == "null" {
		*j = nil
		return nil
	}
	if b[0] != '"' {
		*j = append((*j)[:0], b...)
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	trimmed := strings.TrimSpace(s)
	switch {
	case trimmed == "":
		*j = nil
	case (trimmed[0] == '{' || trimmed[0] == '[') && json.Valid([]byte(trimmed)):
		*j = JSONText(trimmed)
	default:
		*j = append((*j)[:0], b...)
	}
	return nil
}

// Decode decodes the held JSON into v; an empty value leaves v alone.
func (j JSONText) Decode(v any) error {
	if len(j) == 0 {
		return nil
	}
	return json.Unmarshal(j, v)
}

// IsObject reports whether the held JSON is an object.
func (j JSONText) IsObject() bool { return len(j) > 0 && j[0] == '{' }
