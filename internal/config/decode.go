package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"
)

// expandEnv expands ${VAR} and ${VAR:-default} in every scalar value under n, and marks
// in secret the lines of values kept under a secret's key (client_secret, token…), so
// no later error quotes them. A value whose variable is unset is named and blanked.
func expandEnv(n *yaml.Node, path string, env func(string) (string, bool), secret map[int]bool, errs *Errors) {
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			expandEnv(v, join(path, k.Value), env, secret, errs)
			if secretKey(k.Value) {
				markLines(v, secret)
			}
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			expandEnv(c, fmt.Sprintf("%s[%d]", path, i), env, secret, errs)
		}
	case yaml.ScalarNode:
		if strings.Contains(n.Value, "$") {
			v, err := expand(n.Value, env)
			if err != nil {
				*errs = append(*errs, Error{Path: path, Line: n.Line, Reason: err.Error()})
				blank(n)
				return
			}
			if v != n.Value {
				// The expanded text is typed as if written there (queue_batches: ${Q}
				// is a number, no_builtin: ${NB:-false} a boolean); quoting it keeps it
				// a string, and so does a text YAML would read as null.
				n.Value = v
				if n.Style == 0 {
					n.Tag = ""
					if n.ShortTag() == "!!null" {
						n.Tag = "!!str"
					}
				}
			}
		}
	}
}

// blank makes a bad value null: the decode then keeps the default there and goes on to
// the other keys, and no check names the value again.
func blank(n *yaml.Node) {
	*n = yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Line: n.Line, Column: n.Column}
}

var envRef = regexp.MustCompile(`\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(:-([^}]*))?\}`)

// expand replaces ${VAR} (an error when VAR is unset), ${VAR:-default} and $$ (a "$").
func expand(s string, env func(string) (string, bool)) (string, error) {
	var missing []string
	out := envRef.ReplaceAllStringFunc(s, func(m string) string {
		if m == "$$" {
			return "$"
		}
		sub := envRef.FindStringSubmatch(m)
		if v, ok := env(sub[1]); ok && (v != "" || sub[2] == "") {
			return v
		}
		if sub[2] != "" {
			return sub[3]
		}
		missing = append(missing, sub[1])
		return m
	})
	if len(missing) > 0 {
		return s, fmt.Errorf("environment variable %s is not set (write ${%s:-default} for a default)", strings.Join(missing, ", "), missing[0])
	}
	return out, nil
}

var unmarshalerType = reflect.TypeFor[yaml.Unmarshaler]()

func reflectType(v any) reflect.Type {
	t := reflect.TypeOf(v)
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t
}

// keyChecker walks a node against the struct it will be decoded into.
type keyChecker struct {
	dir    string       // relative *_file paths are read from here
	secret map[int]bool // lines of secret values
	errs   *Errors
}

// check reports every key of n that t has no field for, and every bad value of a type
// that reads itself (durations, sizes, addresses), recursively; it reads each key_file
// into key.
func (kc keyChecker) check(n *yaml.Node, t reflect.Type, path string) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == reflect.TypeFor[Item]() {
		if n.Kind != yaml.MappingNode {
			*kc.errs = append(*kc.errs, Error{Path: path, Line: n.Line, Reason: "must be a mapping with name and type"})
		}
		return // its keys are its provider's, checked by Item.Decode
	}
	if reflect.PointerTo(t).Implements(unmarshalerType) {
		// It reads its own node: decode it here, where its path is known, so a bad value
		// is named by its key.
		if err := n.Decode(reflect.New(t).Interface()); err != nil {
			*kc.errs = append(*kc.errs, Error{Path: path, Line: n.Line, Reason: err.Error()})
			blank(n)
		}
		return
	}
	switch t.Kind() {
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			return // the decoder says what is wrong with the type
		}
		fields := yamlFields(t)
		kc.readFiles(n, fields, path)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			ft, ok := fields[k.Value]
			if !ok {
				*kc.errs = append(*kc.errs, Error{Path: join(path, k.Value), Line: k.Line, Reason: "unknown key" + suggest(k.Value, fields)})
				continue
			}
			kc.check(n.Content[i+1], ft, join(path, k.Value))
		}
	case reflect.Slice, reflect.Array:
		if n.Kind == yaml.SequenceNode {
			for i, c := range n.Content {
				kc.check(c, t.Elem(), fmt.Sprintf("%s[%d]", path, i))
			}
		}
	case reflect.Map:
		if n.Kind == yaml.MappingNode {
			for i := 0; i+1 < len(n.Content); i += 2 {
				kc.check(n.Content[i+1], t.Elem(), join(path, n.Content[i].Value))
			}
		}
	}
}

// readFiles replaces each `key_file: PATH` of a mapping with `key: <the file's contents>`
// (trailing newline trimmed) when the struct has a field key and none key_file: a
// provider that declares ca_file or federated_token_file itself gets the path, which it
// reads (a federated token rotates). A file that cannot be read, or key given too, is an
// error, and the pair is dropped so nothing else names it.
func (kc keyChecker) readFiles(n *yaml.Node, fields map[string]reflect.Type, path string) {
	present := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		present[n.Content[i].Value] = true
	}
	var kept []*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		base, ok := strings.CutSuffix(k.Value, "_file")
		if _, own := fields[k.Value]; !ok || own || base == "" || fields[base] == nil {
			kept = append(kept, k, v)
			continue
		}
		p := join(path, k.Value)
		b, err := kc.read(v)
		switch {
		case present[base]:
			*kc.errs = append(*kc.errs, Error{Path: p, Line: k.Line, Reason: fmt.Sprintf("give %s or %s, not both", base, k.Value)})
		case err != nil:
			*kc.errs = append(*kc.errs, Error{Path: p, Line: v.Line, Reason: err.Error()})
		default:
			k.Value = base
			v.Value, v.Tag, v.Style = strings.TrimRight(string(b), "\r\n"), "!!str", 0
			kc.secret[v.Line] = true
			kept = append(kept, k, v)
		}
	}
	n.Content = kept
}

func (kc keyChecker) read(v *yaml.Node) ([]byte, error) {
	if v.Kind != yaml.ScalarNode || v.ShortTag() == "!!null" || v.Value == "" {
		return nil, errors.New("must be the path of a file")
	}
	file := v.Value
	if !filepath.IsAbs(file) {
		file = filepath.Join(kc.dir, file)
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("cannot read the secret: %w", unwrapPath(err))
	}
	return b, nil
}

// yamlFields maps a struct's YAML keys to their types, inline structs included.
func yamlFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		tag := f.Tag.Get("yaml")
		name, opts, _ := strings.Cut(tag, ",")
		if name == "-" {
			continue
		}
		if strings.Contains(opts, "inline") {
			ft := f.Type
			for ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				for k, v := range yamlFields(ft) {
					out[k] = v
				}
			}
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		out[name] = f.Type
	}
	return out
}

// suggest names the known key closest to a mistyped one.
func suggest(key string, fields map[string]reflect.Type) string {
	best, bestD := "", max(3, len(key)/4+1)
	for k := range fields {
		if d := distance(key, k); d < bestD || d == bestD && k < best {
			best, bestD = k, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %s?)", best)
}

// distance is the Levenshtein distance of two short keys.
func distance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

var (
	yamlLine = regexp.MustCompile(`^line (\d+): (.*)$`)
	quoted   = regexp.MustCompile("`[^`]*`")
)

// yamlErrors turns the decoder's errors ("line 7: cannot unmarshal !!str `x` into int")
// into Errors at the key on that line (from lines, a path → line index), quoting no value
// on a secret's line.
func yamlErrors(err error, path string, line int, lines map[string]int, secret map[int]bool) Errors {
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		return Errors{{Path: path, Line: line, Reason: err.Error()}}
	}
	byLine := map[int]string{}
	for p, l := range lines {
		// The deepest key on a line names it: "sources[0].streams[1]" over "sources[0]".
		if old, ok := byLine[l]; !ok || len(p) > len(old) {
			byLine[l] = p
		}
	}
	var out Errors
	for _, msg := range te.Errors {
		e := Error{Path: path, Line: line, Reason: msg}
		if m := yamlLine.FindStringSubmatch(msg); m != nil {
			fmt.Sscan(m[1], &e.Line)
			e.Reason = m[2]
			if p, ok := byLine[e.Line]; ok {
				e.Path = p
			}
		}
		if secret[e.Line] {
			e.Reason = quoted.ReplaceAllString(e.Reason, "`"+redacted+"`")
		}
		out = append(out, e)
	}
	return out
}

// indexLines records the line of every value under n by its path.
func indexLines(n *yaml.Node, path string, lines map[string]int) {
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			p := join(path, n.Content[i].Value)
			lines[p] = n.Content[i].Line
			indexLines(n.Content[i+1], p, lines)
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			p := fmt.Sprintf("%s[%d]", path, i)
			lines[p] = c.Line
			indexLines(c, p, lines)
		}
	}
}

// secretKey reports whether a key's value is a secret by its name.
func secretKey(k string) bool {
	k = strings.ToLower(strings.TrimSuffix(k, "_file"))
	for _, w := range []string{"secret", "password", "token", "connection_string", "private_key", "sas_key", "access_key"} {
		if strings.Contains(k, w) {
			return true
		}
	}
	return false
}

func markLines(n *yaml.Node, secret map[int]bool) {
	secret[n.Line] = true
	for _, c := range n.Content {
		markLines(c, secret)
	}
}

func join(path, key string) string {
	if key == "" {
		key = `""` // an empty key is still named
	}
	if path == "" {
		return key
	}
	return path + "." + key
}

func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s: %w", pe.Path, pe.Err)
	}
	return err
}
