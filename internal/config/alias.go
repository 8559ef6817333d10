package config

import (
	"errors"

	"gopkg.in/yaml.v3"
)

// maxExpanded bounds the values aliases may copy: a config is small, and a "billion
// laughs" document must not take the memory of the machine.
const maxExpanded = 100_000

var errTooManyAliases = errors.New("aliases expand to more than 100000 values")

// resolveAliases replaces every alias (*name) by a copy of its anchor's value and folds
// each merge key (<<: *name, or a list of them) into its mapping, keys written in the
// mapping winning, so the key checks, *_file reading and each item's Decode see plain
// mappings with every key at its own path.
func resolveAliases(n *yaml.Node) error {
	budget := maxExpanded
	return resolve(n, map[*yaml.Node]bool{}, &budget)
}

func resolve(n *yaml.Node, open map[*yaml.Node]bool, budget *int) error {
	if open[n] {
		return errors.New("an alias refers to a value that contains it")
	}
	open[n] = true
	defer delete(open, n)
	for i, c := range n.Content {
		if c.Kind == yaml.AliasNode {
			if c.Alias == nil {
				return errors.New("an alias without its anchor")
			}
			if err := resolve(c.Alias, open, budget); err != nil {
				return err
			}
			cp, err := copyBounded(c.Alias, budget)
			if err != nil {
				return err
			}
			cp.Anchor = ""
			n.Content[i] = cp
			continue
		}
		if err := resolve(c, open, budget); err != nil {
			return err
		}
	}
	if n.Kind == yaml.MappingNode {
		return mergeKeys(n)
	}
	return nil
}

// mergeKeys folds the mappings of n's merge keys into n (aliases are resolved by now).
func mergeKeys(n *yaml.Node) error {
	own := map[string]bool{}
	var merged []*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		if !isMerge(n.Content[i]) {
			own[n.Content[i].Value] = true
		}
	}
	var kept []*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if !isMerge(k) {
			kept = append(kept, k, v)
			continue
		}
		sources := []*yaml.Node{v}
		if v.Kind == yaml.SequenceNode {
			sources = v.Content
		}
		for _, m := range sources {
			if m.Kind != yaml.MappingNode {
				return errors.New("<< must merge a mapping or a list of mappings")
			}
			for j := 0; j+1 < len(m.Content); j += 2 {
				if key := m.Content[j].Value; !own[key] {
					own[key] = true // the first merged mapping wins over later ones
					merged = append(merged, m.Content[j], m.Content[j+1])
				}
			}
		}
	}
	n.Content = append(kept, merged...)
	return nil
}

func isMerge(k *yaml.Node) bool {
	return k.Kind == yaml.ScalarNode && k.Value == "<<" && (k.Tag == "!!merge" || k.Tag == "")
}

func copyBounded(n *yaml.Node, budget *int) (*yaml.Node, error) {
	if *budget--; *budget < 0 {
		return nil, errTooManyAliases
	}
	c := *n
	c.Content = make([]*yaml.Node, len(n.Content))
	for i, k := range n.Content {
		cp, err := copyBounded(k, budget)
		if err != nil {
			return nil, err
		}
		c.Content[i] = cp
	}
	return &c, nil
}
