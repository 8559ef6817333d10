// Package config reads the daemon's YAML configuration: ${ENV} expansion, secrets from
// *_file keys, unknown keys refused by their path and line, durations and sizes in human
// units. The top level is typed here; each source and output is kept as YAML and decoded
// strictly into its provider's own Config by the code that builds it, so this package
// imports no provider.
package config

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Config is a vigil.yaml.
type Config struct {
	DataDir  string   `yaml:"data_dir"`
	Listen   string   `yaml:"listen"`
	LogLevel string   `yaml:"log_level"`
	API      API      `yaml:"api"`
	Pipeline Pipeline `yaml:"pipeline"`
	Detect   Detect   `yaml:"detect"`
	Sources  []Item   `yaml:"sources"`
	Outputs  []Item   `yaml:"outputs"`
}

// API secures the HTTP API.
type API struct {
	// Token is the bearer token of /api/v1 and /metrics (api.token_file reads it).
	Token Secret `yaml:"token"`
}

// Pipeline tunes the pipeline (see internal/pipeline.Config).
type Pipeline struct {
	AllowedLateness  Duration `yaml:"allowed_lateness"`
	IdleTimeout      Duration `yaml:"idle_timeout"`
	QueueBatches     int      `yaml:"queue_batches"`
	SnapshotInterval Duration `yaml:"snapshot_interval"`
	ReplayWindow     Duration `yaml:"replay_window"`
}

// Detect chooses the detections.
type Detect struct {
	Rules      []string `yaml:"rules"` // folders of Sigma rules besides the built-in pack
	NoBuiltin  bool     `yaml:"no_builtin"`
	NoBehavior bool     `yaml:"no_behavior"`
	GeoIPCity  string   `yaml:"geoip_city"`
	GeoIPASN   string   `yaml:"geoip_asn"`
}

// SourceTypes and OutputTypes are the types the contract names.
var (
	sourceTypes = []string{"graph", "activitylog", "eventhub", "cloudtrail", "files"}
	outputTypes = []string{"cef", "webhook"}
)

// SourceTypes lists the source types a config may name.
func SourceTypes() []string { return append([]string(nil), sourceTypes...) }

// OutputTypes lists the output types a config may name.
func OutputTypes() []string { return append([]string(nil), outputTypes...) }

// Default is the configuration of an empty file.
func Default() Config {
	return Config{
		DataDir: "data", Listen: "127.0.0.1:8080", LogLevel: "info",
		Pipeline: Pipeline{
			AllowedLateness: Duration(30 * time.Minute), IdleTimeout: Duration(5 * time.Minute), QueueBatches: 64,
			SnapshotInterval: Duration(15 * time.Minute), ReplayWindow: Duration(24 * time.Hour),
		},
	}
}

// Item is one entry of sources: or outputs:, its own keys kept for its provider.
type Item struct {
	Name string
	Type string
	Path string // "sources[2]"
	Line int
	node *yaml.Node
	dir  string // the config's folder, for relative *_file paths
}

// UnmarshalYAML keeps the node; Load checks name and type.
func (it *Item) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.MappingNode {
		return errors.New("must be a mapping with name and type")
	}
	it.node, it.Line = n, n.Line
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
// yaml tags, defaults already set): `key_file` secrets are read for the keys the config
// has, unknown keys and bad values are errors naming their path and line, and when the
// config has a Validate method its errors are named by path too.
func (it Item) Decode(into any) error {
	if it.node == nil {
		return errors.New("config: empty item")
	}
	var errs Errors
	node := it.node
	if t := reflectType(into); t.Kind() == reflect.Struct {
		// name and type are the list's own keys: a provider config may leave them out.
		fields := yamlFields(t)
		node = &yaml.Node{Kind: yaml.MappingNode, Line: it.node.Line, Column: it.node.Column}
		for i := 0; i+1 < len(it.node.Content); i += 2 {
			if k := it.node.Content[i].Value; (k == "name" || k == "type") && fields[k] == nil {
				continue
			}
			node.Content = append(node.Content, it.node.Content[i], it.node.Content[i+1])
		}
	}
	readSecretFiles(node, reflectType(into), it.Path, it.dir, &errs)
	checkKeys(node, reflectType(into), it.Path, &errs)
	if len(errs) == 0 {
		if err := node.Decode(into); err != nil {
			errs = append(errs, yamlErrors(err, it.Path, it.Line)...)
		}
	}
	if len(errs) == 0 {
		if v, ok := into.(interface{ Validate() error }); ok {
			errs = append(errs, validationErrors(v.Validate(), it.Path, it.node)...)
		}
	}
	if len(errs) > 0 {
		return errs
	}
	return nil
}

// Error is one problem of a config, at its key.
type Error struct {
	Path   string
	Line   int
	Reason string
}

func (e Error) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s (line %d): %s", e.Path, e.Line, e.Reason)
	}
	return fmt.Sprintf("%s: %s", e.Path, e.Reason)
}

// Errors are every problem found, one per line.
type Errors []Error

func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Load reads and checks the file. Every error found is returned (as Errors), not only
// the first; when the file could be read at all the config comes with them.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return Parse(data, filepath.Dir(path), os.LookupEnv)
}

// Parse reads a config; relative *_file paths are read from dir, ${VAR}s from env.
func Parse(data []byte, dir string, env func(string) (string, bool)) (*Config, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, Errors{{Path: "config", Reason: strings.TrimPrefix(err.Error(), "yaml: ")}}
	}
	cfg := Default()
	if len(doc.Content) == 0 {
		return &cfg, nil
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, Errors{{Path: "config", Line: root.Line, Reason: "the top level must be a mapping of keys"}}
	}
	var errs Errors
	expandAll(root, "", env, &errs)
	readSecretFiles(root, reflectType(&cfg), "", dir, &errs)
	checkKeys(root, reflectType(&cfg), "", &errs)
	if len(errs) > 0 {
		return nil, errs
	}
	if err := root.Decode(&cfg); err != nil {
		return nil, append(errs, yamlErrors(err, "config", 0)...)
	}
	for i := range cfg.Sources {
		cfg.Sources[i].dir = dir
	}
	for i := range cfg.Outputs {
		cfg.Outputs[i].dir = dir
	}
	cfg.validate(root, &errs)
	if len(errs) > 0 {
		// The config read, but holds mistakes: it is returned with them, so a checker
		// can go on to the sources' and outputs' own keys.
		return &cfg, errs
	}
	return &cfg, nil
}

func (c *Config) validate(root *yaml.Node, errs *Errors) {
	add := func(path string, line int, format string, a ...any) {
		*errs = append(*errs, Error{Path: path, Line: line, Reason: fmt.Sprintf(format, a...)})
	}
	line := func(key string) int {
		if n := child(root, key); n != nil {
			return n.Line
		}
		return 0
	}
	if strings.TrimSpace(c.DataDir) == "" {
		add("data_dir", line("data_dir"), "must not be empty")
	}
	if _, port, err := net.SplitHostPort(c.Listen); err != nil {
		add("listen", line("listen"), "%q is not HOST:PORT (127.0.0.1:8080, :8080)", c.Listen)
	} else if p, err := strconv.Atoi(port); err != nil || p < 0 || p > 65535 {
		add("listen", line("listen"), "port %q is not a number from 0 to 65535", port)
	}
	switch strings.ToLower(c.LogLevel) {
	case "debug", "info", "warn", "warning", "error":
	default:
		add("log_level", line("log_level"), "%q: want debug, info, warn or error", c.LogLevel)
	}
	if t := c.API.Token; t != "" && len(t) < 16 {
		add("api.token", 0, "must be at least 16 characters (make one with: openssl rand -hex 24)")
	}
	p := c.Pipeline
	for key, d := range map[string]Duration{"allowed_lateness": p.AllowedLateness, "idle_timeout": p.IdleTimeout,
		"snapshot_interval": p.SnapshotInterval, "replay_window": p.ReplayWindow} {
		if d < 0 {
			add("pipeline."+key, 0, "must not be negative")
		}
	}
	if p.SnapshotInterval == 0 {
		add("pipeline.snapshot_interval", 0, "must be more than 0")
	}
	if p.QueueBatches < 1 {
		add("pipeline.queue_batches", 0, "must be at least 1")
	}
	c.checkItems("sources", c.Sources, sourceTypes, add)
	c.checkItems("outputs", c.Outputs, outputTypes, add)
}

func (c *Config) checkItems(list string, items []Item, types []string, add func(string, int, string, ...any)) {
	names := map[string]string{}
	for i := range items {
		it := &items[i]
		it.Path = fmt.Sprintf("%s[%d]", list, i)
		switch {
		case strings.TrimSpace(it.Name) == "":
			add(it.Path+".name", it.Line, "required")
		case names[it.Name] != "":
			add(it.Path+".name", it.Line, "%q is already the name of %s", it.Name, names[it.Name])
		default:
			names[it.Name] = it.Path
		}
		known := false
		for _, t := range types {
			known = known || it.Type == t
		}
		if it.Type == "" {
			add(it.Path+".type", it.Line, "required: one of %s", strings.Join(types, ", "))
		} else if !known {
			add(it.Path+".type", it.Line, "unknown type %q: want one of %s", it.Type, strings.Join(types, ", "))
		}
	}
}
