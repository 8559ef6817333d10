package config

import (
	"errors"
	"fmt"
	"reflect"
	"strings"

	"gopkg.in/yaml.v3"
)

// Item is one entry of sources: or outputs:, its own keys kept for its provider.
type Item struct {
	Name string
	Type string
	Path string // "sources[2]"
	Line int
	node *yaml.Node
	// secret holds the lines whose values are secrets, so a decode error does not quote them.
	secret map[int]bool
	dir    string // the config's folder, for relative *_file paths
	// loadErrs are Parse's errors: Decode does not name a key again that Parse named
	// (an unset ${VAR} is not also "required").
	loadErrs *Errors
}

// UnmarshalYAML keeps the node; Validate checks name and type. A non-mapping entry is
// named by the key checker, at its path.
func (it *Item) UnmarshalYAML(n *yaml.Node) error {
	it.Line = n.Line
	if n.Kind != yaml.MappingNode {
		return nil
	}
	it.node = n
	for i := 0; i+1 < len(n.Content); i += 2 {
		switch n.Content[i].Value {
		case "name":
			it.Name = n.Content[i+1].Value
		case "type":
			it.Type = n.Content[i+1].Value
		}
	}
	return nil
}

// Decode decodes the item strictly into a provider's config (a pointer to a struct with
// yaml tags, defaults already set): unknown keys and bad values are errors naming their
// path and line, and when the config has a Validate method its errors are named by path
// too ("tenant_id: required" from Validate becomes "sources[1].tenant_id (line 9):
// required"). The error is Errors.
func (it Item) Decode(into any) error {
	if it.node == nil {
		return Errors{{Path: it.Path, Line: it.Line, Reason: "must be a mapping with name and type"}}
	}
	var errs Errors
	var node *yaml.Node
	if t := reflectType(into); t != nil && t.Kind() == reflect.Struct {
		// name and type are the list's own keys: a provider config may leave them out.
		fields := yamlFields(t)
		node = &yaml.Node{Kind: yaml.MappingNode, Line: it.node.Line, Column: it.node.Column}
		for i := 0; i+1 < len(it.node.Content); i += 2 {
			if k := it.node.Content[i].Value; (k == "name" || k == "type") && fields[k] == nil {
				continue
			}
			// A copy of each pair: the checker blanks bad values and renames *_file keys, and an item may be
			// decoded again (config check, then serve).
			node.Content = append(node.Content, deepCopy(it.node.Content[i]), deepCopy(it.node.Content[i+1]))
		}
	} else {
		return Errors{{Path: it.Path, Line: it.Line, Reason: fmt.Sprintf("config: decode into %T: want a pointer to a struct", into)}}
	}
	keyChecker{dir: it.dir, secret: it.secret, errs: &errs}.check(node, reflectType(into), it.Path)
	lines := map[string]int{}
	indexLines(node, it.Path, lines)
	if err := node.Decode(into); err != nil {
		errs = errs.add(yamlErrors(err, it.Path, it.Line, lines, it.secret)...)
	}
	if v, ok := into.(interface{ Validate() error }); ok && len(errs) == 0 {
		// Validate runs on a config that decoded: on a partial one it would only repeat
		// the errors above as "required".
		errs = errs.add(validationErrors(v.Validate(), it.Path, it.node)...)
	}
	if it.loadErrs != nil {
		var fresh Errors
		for _, e := range errs {
			if !it.loadErrs.covered(e) {
				fresh = append(fresh, e)
			}
		}
		errs = fresh
	}
	if len(errs) > 0 {
		return errs
	}
	return nil
}

// Check decodes every source and output with the decoder registered for its type (a
// provider's Decode and Validate, called by cmd/vigil, which knows the providers), and
// returns every error as Errors, leaving out keys Parse already named. A type the contract names but no decoder is registered
// for is reported as not in this build; an unknown type is left to Validate.
func (c *Config) Check(sources, outputs map[string]func(Item) error) error {
	var seen Errors
	if c.loadErrs != nil {
		seen = append(seen, *c.loadErrs...)
	}
	var errs Errors
	for _, list := range []struct {
		items    []Item
		decoders map[string]func(Item) error
		known    []string
	}{{c.Sources, sources, sourceTypes}, {c.Outputs, outputs, outputTypes}} {
		for _, it := range list.items {
			decode, ok := list.decoders[it.Type]
			switch {
			case ok:
				for _, e := range asErrors(decode(it), it.Path, it.Line) {
					if !seen.covered(e) {
						seen, errs = append(seen, e), append(errs, e)
					}
				}
			case it.node != nil && contains(list.known, it.Type):
				errs = append(errs, Error{Path: it.Path + ".type", Line: it.Line,
					Reason: fmt.Sprintf("type %s is not in this build of Vigil", it.Type)})
			}
		}
	}
	if len(errs) > 0 {
		return errs
	}
	return nil
}

// validationErrors splits a provider's Validate error ("tenant_id: required\npoll_interval:
// …", or Errors, or errors.Join of them) into Errors at their keys' paths and lines.
func validationErrors(err error, path string, n *yaml.Node) Errors {
	if err == nil {
		return nil
	}
	var out Errors
	var es Errors
	if errors.As(err, &es) {
		for _, e := range es {
			e.Path = join(path, e.Path)
			if e.Line == 0 {
				e.Line = lineOf(n, e.Path[len(path):])
			}
			if e.Line == 0 {
				e.Line = n.Line // a required key that is absent: the item's line
			}
			out = append(out, e)
		}
		return out
	}
	for _, msg := range strings.Split(err.Error(), "\n") {
		if strings.TrimSpace(msg) == "" {
			continue
		}
		e := Error{Path: path, Line: n.Line, Reason: msg}
		if key, reason, ok := strings.Cut(msg, ": "); ok && !strings.ContainsAny(key, " \t") {
			e.Path, e.Reason = join(path, key), reason
			if l := lineOf(n, key); l > 0 {
				e.Line = l
			}
		}
		out = append(out, e)
	}
	return out
}

// lineOf is the line of the value at a dotted key under n, or 0.
func lineOf(n *yaml.Node, key string) int {
	lines := map[string]int{}
	indexLines(n, "", lines)
	key = strings.TrimPrefix(key, ".")
	for key != "" {
		if l, ok := lines[key]; ok {
			return l
		}
		i := strings.LastIndexAny(key, ".[")
		if i < 0 {
			break
		}
		key = key[:i]
	}
	return 0
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func deepCopy(n *yaml.Node) *yaml.Node {
	if n == nil {
		return nil
	}
	c := *n
	c.Content = make([]*yaml.Node, len(n.Content))
	for i, k := range n.Content {
		c.Content[i] = deepCopy(k)
	}
	return &c
}
