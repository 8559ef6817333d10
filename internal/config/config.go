// Package config reads the daemon's YAML configuration: ${ENV} expansion, secrets from
// *_file keys, unknown keys refused by their path and line, durations and sizes in human
// units. The top level is typed here; each source and output is kept as YAML and decoded
// strictly into its provider's own Config by the code that builds it, so this package
// imports no provider.
package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
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

	// lines maps a key's path ("pipeline.idle_timeout") to its line, so Validate names
	// lines in a config that came from a file.
	lines map[string]int
	// loadErrs are the errors Parse found, so Check does not name a key again (an unset
	// ${VAR} is not also "required").
	loadErrs *Errors
}

// API secures the HTTP API and the web console.
type API struct {
	// Token is the bearer token of /api/v1 and /metrics (api.token_file reads it); it
	// acts as an admin.
	Token Secret `yaml:"token"`
	// TLSCertFile and TLSKeyFile, both set, make the console serve HTTPS (PEM files).
	TLSCertFile string `yaml:"tls_cert_file"`
	TLSKeyFile  string `yaml:"tls_key_file"`
	// AdminUser is the local admin made on first start (its password from
	// VIGIL_ADMIN_PASSWORD, else generated and printed once).
	AdminUser string `yaml:"admin_user"`
	// SessionTTL bounds a console session's life; SessionIdle ends one unused this long.
	SessionTTL  Duration `yaml:"session_ttl"`
	SessionIdle Duration `yaml:"session_idle"`
}

// Pipeline tunes the pipeline (see internal/pipeline.Config).
type Pipeline struct {
	AllowedLateness  Duration `yaml:"allowed_lateness"`
	IdleTimeout      Duration `yaml:"idle_timeout"`
	QueueBatches     int      `yaml:"queue_batches"`
	SnapshotInterval Duration `yaml:"snapshot_interval"`
	ReplayWindow     Duration `yaml:"replay_window"`
	FoldWindow       Duration `yaml:"fold_window"`
	DrainOnStop      bool     `yaml:"drain_on_stop"`
}

// Detect chooses the detections.
type Detect struct {
	Rules      []string `yaml:"rules"` // folders of Sigma rules besides the built-in pack
	NoBuiltin  bool     `yaml:"no_builtin"`
	NoBehavior bool     `yaml:"no_behavior"`
	GeoIPCity  string   `yaml:"geoip_city"`
	GeoIPASN   string   `yaml:"geoip_asn"`
}

// The types the contract names.
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
		API: API{AdminUser: "admin", SessionTTL: Duration(12 * time.Hour), SessionIdle: Duration(30 * time.Minute)},
		Pipeline: Pipeline{
			// 30m covers CloudTrail's documented 5–15 min delivery delay and Entra's
			// non-interactive sign-ins arriving up to the Graph collector's 30 min overlap.
			AllowedLateness: Duration(30 * time.Minute), IdleTimeout: Duration(5 * time.Minute), QueueBatches: 64,
			SnapshotInterval: Duration(15 * time.Minute), ReplayWindow: Duration(24 * time.Hour),
			FoldWindow: Duration(24 * time.Hour),
		},
	}
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

// add appends the errors of more whose key has no error yet: a bad value is named once,
// not again by every later check that sees its default or zero value.
func (es Errors) add(more ...Error) Errors {
	for _, e := range more {
		if !es.covered(e) {
			es = append(es, e)
		}
	}
	return es
}

// covered reports whether an error of es already says what e says.
func (es Errors) covered(e Error) bool {
	for _, old := range es {
		if covers(old, e) {
			return true
		}
	}
	return false
}

// covers reports whether e says nothing old did not: the same key, or a key inside it.
func covers(old, e Error) bool {
	if old.Path == "config" {
		return e.Path == "config" && old.Line == e.Line
	}
	return old.Path == e.Path || strings.HasPrefix(e.Path, old.Path+".") || strings.HasPrefix(e.Path, old.Path+"[")
}

// asErrors flattens err into Errors; an error that is not one is put at path and line.
func asErrors(err error, path string, line int) Errors {
	if err == nil {
		return nil
	}
	var es Errors
	if errors.As(err, &es) {
		var out Errors
		// errors.Join of several Errors: take each.
		if j, ok := err.(interface{ Unwrap() []error }); ok {
			for _, e := range j.Unwrap() {
				out = append(out, asErrors(e, path, line)...)
			}
			return out
		}
		return es
	}
	var e Error
	if errors.As(err, &e) {
		return Errors{e}
	}
	return Errors{{Path: path, Line: line, Reason: err.Error()}}
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
// Its errors are Errors, every one found; the config comes with them unless the text is
// not YAML or not a mapping.
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
	if err := resolveAliases(root); err != nil {
		return nil, Errors{{Path: "config", Reason: err.Error()}}
	}
	var errs Errors
	secret := map[int]bool{}
	expandEnv(root, "", env, secret, &errs)
	// The checker names unknown keys and bad values by path, and blanks each bad value
	// so the decode below keeps its default and goes on to the other keys.
	var keyErrs Errors
	keyChecker{dir: dir, secret: secret, errs: &keyErrs}.check(root, reflectType(&cfg), "")
	errs = errs.add(keyErrs...)
	cfg.lines, cfg.loadErrs = map[string]int{}, &Errors{}
	indexLines(root, "", cfg.lines)
	if err := root.Decode(&cfg); err != nil {
		errs = errs.add(yamlErrors(err, "config", 0, cfg.lines, secret)...)
	}
	for _, list := range []struct {
		name  string
		items []Item
	}{{"sources", cfg.Sources}, {"outputs", cfg.Outputs}} {
		for i := range list.items {
			list.items[i].Path = fmt.Sprintf("%s[%d]", list.name, i)
			list.items[i].secret, list.items[i].dir, list.items[i].loadErrs = secret, dir, cfg.loadErrs
		}
	}
	if err := cfg.Validate(); err != nil {
		errs = errs.add(asErrors(err, "config", 0)...)
	}
	*cfg.loadErrs = errs
	if len(errs) > 0 {
		// The config read, but holds mistakes: it is returned with them, so a checker
		// can go on to the sources' and outputs' own keys.
		return &cfg, errs
	}
	return &cfg, nil
}
