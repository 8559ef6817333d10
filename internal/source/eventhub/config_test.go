package eventhub

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vigil-sec/vigil/internal/config"
)

func TestConnectionStringResolves(t *testing.T) {
	c := DefaultConfig()
	c.ConnectionString = config.Secret(testConnString(testHub, testKey))
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	ep, err := c.resolve()
	if err != nil {
		t.Fatal(err)
	}
	if len(ep.brokers) != 1 || ep.brokers[0] != testNamespace+":9093" || ep.topic != testHub || ep.mechanism != "plain" ||
		ep.user != "$ConnectionString" || ep.password != c.ConnectionString.Reveal() || !ep.tls || ep.group != "$Default" {
		t.Fatalf("resolved %+v", ep)
	}
	// Keys in any case, a trailing ';', and a key with '=' padding.
	c.ConnectionString = "endpoint=sb://ns2.servicebus.windows.net/;sharedaccesskeyname=p;SHAREDACCESSKEY=ab==;EntityPath=hub2;"
	c.ConsumerGroup = "vigil-prod"
	if ep, err = c.resolve(); err != nil || ep.brokers[0] != "ns2.servicebus.windows.net:9093" || ep.topic != "hub2" || ep.group != "vigil-prod" {
		t.Fatalf("resolved %+v, %v", ep, err)
	}
	// brokers beside a connection string replace its bootstrap server, TLS still naming the namespace.
	c.Brokers = []string{"127.0.0.1:19093"}
	if ep, err = c.resolve(); err != nil || !slices.Equal(ep.brokers, c.Brokers) || ep.tlsName != "ns2.servicebus.windows.net" || !ep.eventHubs {
		t.Fatalf("with brokers resolved %+v, %v", ep, err)
	}
	k := DefaultConfig()
	k.Brokers, k.Topic = []string{"b-1.msk.example:9096"}, "audit"
	k.SASLMechanism, k.Username, k.Password = "SCRAM-SHA-512", "u", "p"
	if err := k.Validate(); err != nil {
		t.Fatal(err)
	}
	if ep, _ = k.resolve(); ep.mechanism != "scram-sha-512" || ep.tls || ep.group != "vigil" || ep.tlsName != "" {
		t.Fatalf("plain Kafka resolved %+v", ep)
	}
}

func TestValidateNamesTheKey(t *testing.T) {
	hub := func(c *Config) { c.ConnectionString = config.Secret(testConnString(testHub, testKey)) }
	cases := map[string]func(*Config){
		"connection_string: required": func(c *Config) {},
		"connection_string: its Endpoint": func(c *Config) {
			c.ConnectionString = "Endpoint=https://ns.servicebus.windows.net/;SharedAccessKeyName=a;SharedAccessKey=b;EntityPath=h"
		},
		"connection_string: EntityPath": func(c *Config) {
			c.ConnectionString = "Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=a;SharedAccessKey=b"
		},
		"connection_string: SharedAccessKey": func(c *Config) { c.ConnectionString = "Endpoint=sb://ns.servicebus.windows.net/;EntityPath=h" },
		"connection_string: not a":           func(c *Config) { c.ConnectionString = "ns.servicebus.windows.net" },
		"sasl_mechanism: Event Hubs":         func(c *Config) { hub(c); c.SASLMechanism = "scram-sha-256" },
		"brokers[0]: \"k\"":                  func(c *Config) { hub(c); c.Brokers = []string{"k"} },
		"topic: not with":                    func(c *Config) { hub(c); c.Topic = "t" },
		"brokers[0]:":                        func(c *Config) { c.Brokers, c.Topic = []string{"kafka"}, "t" },
		"topic: required":                    func(c *Config) { c.Brokers = []string{"k:9092"} },
		"sasl_mechanism: unknown":            func(c *Config) { c.Brokers, c.Topic, c.SASLMechanism = []string{"k:9092"}, "t", "gssapi" },
		"username:":                          func(c *Config) { c.Brokers, c.Topic, c.SASLMechanism = []string{"k:9092"}, "t", "plain" },
		"start:":                             func(c *Config) { hub(c); c.Start = "beginning" },
		"max_wait:":                          func(c *Config) { hub(c); c.MaxWait = 0 },
		"connect_timeout:":                   func(c *Config) { hub(c); c.ConnectTimeout = 0 },
		"session_timeout:":                   func(c *Config) { hub(c); c.SessionTimeout = config.Duration(time.Second) },
		"type:":                              func(c *Config) { hub(c); c.Type = "graph" },
	}
	for want, mod := range cases {
		c := DefaultConfig()
		mod(&c)
		err := c.Validate()
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate = %v, want %q", err, want)
		}
		if err != nil && strings.Contains(err.Error(), testKey) {
			t.Errorf("Validate quotes the key: %v", err)
		}
	}
	if _, err := New(Config{Type: "eventhub"}); err == nil || !strings.Contains(err.Error(), "connection_string") {
		t.Fatalf("New of an empty config = %v", err)
	}
}

// TestDecodesFromTheConfigFile: the loader reads connection_string_file into
// connection_string, hands ca_file over as a path, and refuses unknown keys.
func TestDecodesFromTheConfigFile(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "hub.secret"), []byte(testConnString(testHub, testKey)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	doc := "sources:\n  - name: hub\n    type: eventhub\n    connection_string_file: hub.secret\n    ca_file: ca.pem\n    consumer_group: vigil\n    max_wait: 2s\n"
	cfg, err := config.Parse([]byte(doc), dir, func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	c := DefaultConfig()
	if err := cfg.Sources[0].Decode(&c); err != nil {
		t.Fatal(err)
	}
	if c.ConnectionString.Reveal() != testConnString(testHub, testKey) || c.CAFile != "ca.pem" || c.ConsumerGroup != "vigil" ||
		c.MaxWait.D() != 2*time.Second || c.Start != "earliest" || c.Name != "hub" {
		t.Fatalf("decoded %+v", c)
	}
	bad, err := config.Parse([]byte("sources:\n  - name: hub\n    type: eventhub\n    conection_string: x\n"), dir, func(string) (string, bool) { return "", false })
	if err == nil {
		c = DefaultConfig()
		err = bad.Sources[0].Decode(&c)
	}
	if err == nil || !strings.Contains(err.Error(), "conection_string") {
		t.Fatalf("an unknown key = %v", err)
	}
}
