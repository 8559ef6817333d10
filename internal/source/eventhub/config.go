package eventhub

import (
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"time"

	"github.com/vigil-sec/vigil/internal/config"
)

// Config is a `type: eventhub` source: an Azure Event Hub read over its Kafka endpoint
// (connection_string), or a topic of any Kafka cluster (brokers and topic).
type Config struct {
	// Name and Type are the source list entry's own keys; Name becomes the source's name.
	Name string `yaml:"name"`
	Type string `yaml:"type"`
	// ConnectionString is the hub's (or the namespace's, with EntityPath added) connection
	// string as the portal shows it under "Shared access policies". It sets the
	// bootstrap server NS.servicebus.windows.net:9093, SASL PLAIN with the user
	// $ConnectionString and TLS; the policy needs the Listen right.
	ConnectionString config.Secret `yaml:"connection_string"`
	// Brokers, Topic and the keys below are for plain Kafka (MSK, Redpanda, self-hosted),
	// used instead of connection_string. With connection_string, Brokers replaces the
	// bootstrap server NS.servicebus.windows.net:9093 (a TCP proxy, a tunnel, a local
	// emulator): TLS still verifies the namespace's host there, and the brokers the
	// metadata then names are dialled as named.
	Brokers []string `yaml:"brokers"`
	Topic   string   `yaml:"topic"`
	// SASLMechanism is plain, scram-sha-256, scram-sha-512 or none (the default).
	SASLMechanism string        `yaml:"sasl_mechanism"`
	Username      string        `yaml:"username"`
	Password      config.Secret `yaml:"password"`
	// TLS dials the brokers over TLS (always on with connection_string).
	TLS bool `yaml:"tls"`
	// CAFile is a PEM bundle trusted instead of the system roots (a private CA, a
	// TLS-inspecting proxy); it implies tls.
	CAFile string `yaml:"ca_file"`
	// ConsumerGroup is the group this daemon joins; daemons in one group share the
	// partitions. Default $Default with connection_string (every hub has it), else vigil.
	ConsumerGroup string `yaml:"consumer_group"`
	// Start is where a group with no committed offset begins: earliest (everything the
	// hub retains, the default) or latest.
	Start string `yaml:"start"`
	// ConnectTimeout bounds one connection attempt; the first metadata request waits for
	// at most twice it before Run reports the endpoint unreachable.
	ConnectTimeout config.Duration `yaml:"connect_timeout"`
	// SessionTimeout is how long the group waits for a member that stopped heartbeating
	// (Kafka's session.timeout.ms): a daemon that died without leaving holds its
	// partitions that long before they are handed on, to itself restarted or to another.
	SessionTimeout config.Duration `yaml:"session_timeout"`
	// MaxWait is the longest a broker holds a fetch that finds nothing new (Kafka's
	// fetch.max.wait.ms). A poll that brings nothing for twice it means every partition
	// is caught up, and the source's watermark moves.
	MaxWait config.Duration `yaml:"max_wait"`
}

// DefaultConfig returns the defaults: start at the earliest retained record, 10 s to
// connect, a 45 s session (Kafka's and franz-go's default), 5 s of fetch wait.
func DefaultConfig() Config {
	return Config{
		Type:           "eventhub",
		Start:          "earliest",
		ConnectTimeout: config.Duration(10 * time.Second),
		SessionTimeout: config.Duration(45 * time.Second),
		MaxWait:        config.Duration(5 * time.Second),
	}
}

// Mechanisms are the sasl_mechanism values.
var mechanisms = []string{"none", "plain", "scram-sha-256", "scram-sha-512"}

// Validate checks the settings; each error names its key. It parses the connection
// string but never prints its key.
func (c Config) Validate() error {
	var errs []error
	if c.Type != "" && c.Type != "eventhub" {
		errs = append(errs, fmt.Errorf("type: %q is not eventhub", c.Type))
	}
	if c.ConnectionString != "" {
		if _, err := parseConnectionString(c.ConnectionString.Reveal()); err != nil {
			errs = append(errs, fmt.Errorf("connection_string: %w", err))
		}
		for key, set := range map[string]bool{"topic": c.Topic != "",
			"username": c.Username != "", "password": c.Password != ""} {
			if set {
				errs = append(errs, fmt.Errorf("%s: not with connection_string, which sets it", key))
			}
		}
		if m := strings.ToLower(c.SASLMechanism); m != "" && m != "plain" {
			errs = append(errs, fmt.Errorf("sasl_mechanism: Event Hubs' connection strings authenticate with plain, not %q", c.SASLMechanism))
		}
	} else {
		if len(c.Brokers) == 0 {
			errs = append(errs, errors.New("connection_string: required (or brokers and topic for plain Kafka)"))
		}
		if c.Topic == "" {
			errs = append(errs, errors.New("topic: required with brokers"))
		}
		m := c.mechanism()
		switch {
		case !slices.Contains(mechanisms, m):
			errs = append(errs, fmt.Errorf("sasl_mechanism: unknown %q (want %s)", c.SASLMechanism, strings.Join(mechanisms, ", ")))
		case m != "none" && (c.Username == "" || c.Password == ""):
			errs = append(errs, fmt.Errorf("username: username and password required with sasl_mechanism %s", m))
		}
	}
	for i, b := range c.Brokers {
		if _, port, err := net.SplitHostPort(b); err != nil || port == "" {
			errs = append(errs, fmt.Errorf("brokers[%d]: %q is not host:port", i, b))
		}
	}
	if s := strings.ToLower(c.Start); s != "earliest" && s != "latest" {
		errs = append(errs, fmt.Errorf("start: %q is neither earliest nor latest", c.Start))
	}
	if c.ConnectTimeout.D() <= 0 {
		errs = append(errs, errors.New("connect_timeout: must be positive"))
	}
	if c.SessionTimeout.D() < 6*time.Second || c.SessionTimeout.D() > 5*time.Minute {
		errs = append(errs, errors.New("session_timeout: must be between 6s and 5m (what Event Hubs and Kafka brokers accept by default)"))
	}
	if c.MaxWait.D() <= 0 || c.MaxWait.D() > time.Minute {
		errs = append(errs, errors.New("max_wait: must be between 0 and 1m"))
	}
	return errors.Join(errs...)
}

func (c Config) mechanism() string {
	if c.SASLMechanism == "" {
		return "none"
	}
	return strings.ToLower(c.SASLMechanism)
}

// endpoint is where and how a config connects, resolved from either form.
type endpoint struct {
	brokers        []string
	topic          string
	mechanism      string // none, plain, scram-sha-256, scram-sha-512
	user, password string
	tls            bool
	group          string
	eventHubs      bool
	// tlsName is the name TLS verifies on a bootstrap broker given instead of the
	// namespace's host (brokers with connection_string); empty: the dialled host.
	tlsName string
}

// resolve turns a validated config into its endpoint.
func (c Config) resolve() (endpoint, error) {
	if c.ConnectionString != "" {
		cs, err := parseConnectionString(c.ConnectionString.Reveal())
		if err != nil {
			return endpoint{}, fmt.Errorf("connection_string: %w", err)
		}
		group := c.ConsumerGroup
		if group == "" {
			group = "$Default"
		}
		ep := endpoint{brokers: []string{cs.host + ":9093"}, topic: cs.entityPath, mechanism: "plain",
			user: "$ConnectionString", password: c.ConnectionString.Reveal(), tls: true, group: group, eventHubs: true}
		if len(c.Brokers) > 0 {
			ep.brokers, ep.tlsName = c.Brokers, cs.host
		}
		return ep, nil
	}
	group := c.ConsumerGroup
	if group == "" {
		group = "vigil"
	}
	return endpoint{brokers: c.Brokers, topic: c.Topic, mechanism: c.mechanism(), user: c.Username,
		password: c.Password.Reveal(), tls: c.TLS || c.CAFile != "", group: group}, nil
}

// connectionString is the part of an Event Hubs connection string the collector uses.
type connectionString struct {
	host, keyName, entityPath string
}

// parseConnectionString reads `Endpoint=sb://NS.servicebus.windows.net/;
// SharedAccessKeyName=…;SharedAccessKey=…;EntityPath=…`. Keys are case-insensitive
// and the key may contain '=' (base64 padding). Errors never quote the key.
func parseConnectionString(s string) (connectionString, error) {
	var cs connectionString
	var endpointURL, key string
	for _, part := range strings.Split(strings.TrimSpace(s), ";") {
		if strings.TrimSpace(part) == "" {
			continue
		}
		k, v, ok := strings.Cut(part, "=")
		if !ok {
			return cs, errors.New("not a connection string: want Endpoint=sb://NAMESPACE.servicebus.windows.net/;SharedAccessKeyName=…;SharedAccessKey=…;EntityPath=HUB")
		}
		switch strings.ToLower(strings.TrimSpace(k)) {
		case "endpoint":
			endpointURL = strings.TrimSpace(v)
		case "sharedaccesskeyname":
			cs.keyName = strings.TrimSpace(v)
		case "sharedaccesskey":
			key = strings.TrimSpace(v)
		case "entitypath":
			cs.entityPath = strings.TrimSpace(v)
		}
	}
	host, ok := strings.CutPrefix(endpointURL, "sb://")
	if !ok {
		return cs, errors.New("its Endpoint must be sb://NAMESPACE.servicebus.windows.net/")
	}
	host = strings.TrimSuffix(host, "/")
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	if host == "" || strings.ContainsAny(host, "/ ") {
		return cs, errors.New("its Endpoint must be sb://NAMESPACE.servicebus.windows.net/")
	}
	cs.host = host
	if cs.keyName == "" || key == "" {
		return cs, errors.New("SharedAccessKeyName and SharedAccessKey required (a SAS policy's connection string; Entra ID sign-in is not supported here)")
	}
	if cs.entityPath == "" {
		return cs, errors.New("EntityPath required: use the event hub's own connection string, or append ;EntityPath=HUB to the namespace's")
	}
	return cs, nil
}
