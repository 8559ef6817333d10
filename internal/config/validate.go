package config

import (
	"fmt"
	"net"
	"strconv"
	"strings"
)

// Validate checks the top level and each item's name and type, without reading a file or
// the network; its error is Errors. Load and Parse call it.
func (c *Config) Validate() error {
	var errs Errors
	add := func(path string, format string, a ...any) {
		errs = append(errs, Error{Path: path, Line: c.lines[path], Reason: fmt.Sprintf(format, a...)})
	}
	if strings.TrimSpace(c.DataDir) == "" {
		add("data_dir", "must not be empty")
	}
	if _, port, err := net.SplitHostPort(c.Listen); err != nil {
		add("listen", "%q is not HOST:PORT (127.0.0.1:8080, :8080)", c.Listen)
	} else if p, err := strconv.Atoi(port); err != nil || p < 0 || p > 65535 {
		add("listen", "port %q is not a number from 0 to 65535", port)
	}
	switch strings.ToLower(c.LogLevel) {
	case "debug", "info", "warn", "warning", "error":
	default:
		add("log_level", "%q: want debug, info, warn or error", c.LogLevel)
	}
	if t := c.API.Token; t != "" && len(t) < 16 {
		// The length only: a reason never quotes a secret.
		add("api.token", "must be at least 16 characters, has %d (make one with: openssl rand -hex 24)", len(t))
	}
	if (c.API.TLSCertFile == "") != (c.API.TLSKeyFile == "") {
		add("api.tls_cert_file", "give tls_cert_file and tls_key_file together (PEM files), or neither for plain HTTP")
	}
	if n := c.API.AdminUser; n == "" || len(n) > 64 || strings.ContainsAny(n, " /\t") {
		add("api.admin_user", "1 to 64 characters without spaces or slashes")
	}
	if c.API.SessionTTL <= 0 || c.API.SessionIdle <= 0 {
		add("api.session_ttl", "session_ttl and session_idle must be more than 0")
	}
	p := c.Pipeline
	for _, d := range []struct {
		key string
		v   Duration
	}{{"allowed_lateness", p.AllowedLateness}, {"idle_timeout", p.IdleTimeout},
		{"snapshot_interval", p.SnapshotInterval}, {"replay_window", p.ReplayWindow}, {"fold_window", p.FoldWindow}} {
		if d.v < 0 {
			add("pipeline."+d.key, "must not be negative")
		}
	}
	if p.SnapshotInterval == 0 {
		add("pipeline.snapshot_interval", "must be more than 0")
	}
	if p.QueueBatches < 1 {
		add("pipeline.queue_batches", "must be at least 1")
	}
	for i, r := range c.Detect.Rules {
		if strings.TrimSpace(r) == "" {
			add(fmt.Sprintf("detect.rules[%d]", i), "must name a folder")
		}
	}
	errs = append(errs, checkItems("sources", c.Sources, sourceTypes, c.lines)...)
	errs = append(errs, checkItems("outputs", c.Outputs, outputTypes, c.lines)...)
	if len(errs) > 0 {
		return errs
	}
	return nil
}

func checkItems(list string, items []Item, types []string, lines map[string]int) Errors {
	var errs Errors
	names := map[string]string{}
	for i, it := range items {
		path := fmt.Sprintf("%s[%d]", list, i)
		at := func(key string) int {
			if l := lines[path+"."+key]; l > 0 {
				return l
			}
			return it.Line
		}
		switch {
		case strings.TrimSpace(it.Name) == "":
			errs = append(errs, Error{Path: path + ".name", Line: at("name"), Reason: "required"})
		case names[it.Name] != "":
			errs = append(errs, Error{Path: path + ".name", Line: at("name"),
				Reason: fmt.Sprintf("%q is already the name of %s", it.Name, names[it.Name])})
		default:
			names[it.Name] = path
		}
		known := false
		for _, t := range types {
			known = known || it.Type == t
		}
		if it.Type == "" {
			errs = append(errs, Error{Path: path + ".type", Line: at("type"), Reason: "required: one of " + strings.Join(types, ", ")})
		} else if !known {
			errs = append(errs, Error{Path: path + ".type", Line: at("type"),
				Reason: fmt.Sprintf("unknown type %q: want one of %s", it.Type, strings.Join(types, ", "))})
		}
	}
	return errs
}
