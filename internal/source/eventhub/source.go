// Package eventhub collects Azure Monitor diagnostic logs from an Azure Event Hub over
// its Kafka endpoint (port 9093, SASL PLAIN with the connection string, TLS), or a topic
// of any Kafka cluster. It is a consumer group member: daemons in one group share the
// partitions. Each Kafka record's value ({"records":[…]}) is passed whole to the
// normalizer, and offsets are committed only after the pipeline stored the batch.
package eventhub

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"log/slog"
	"net"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"

	"github.com/vigil-sec/vigil/internal/source"
)

// Option configures New.
type Option func(*options)

type options struct {
	log    *slog.Logger
	now    func() time.Time
	dial   func(ctx context.Context, network, addr string) (net.Conn, error)
	client []kgo.Opt
}

// WithLogger sets the logger.
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.log = l } }

// WithClock sets the clock watermarks are read from.
func WithClock(now func() time.Time) Option { return func(o *options) { o.now = now } }

// WithDialer replaces the TCP dial (tests point an Event Hubs namespace's host at a
// loopback broker; TLS is still done on top of it).
func WithDialer(d func(ctx context.Context, network, addr string) (net.Conn, error)) Option {
	return func(o *options) { o.dial = d }
}

// WithClientOptions adds franz-go client options after the source's own (tests shorten
// the group heartbeat).
func WithClientOptions(opts ...kgo.Opt) Option {
	return func(o *options) { o.client = append(o.client, opts...) }
}

// Source reads one event hub or topic as a consumer group member. Run must not be called
// concurrently.
type Source struct {
	name string
	cfg  Config
	ep   endpoint
	tls  *tls.Config
	o    options
	log  *slog.Logger
	// dials remembers the last dial failure, for the error Run and Check report.
	dials *dialLog
	// parts is the partitions this member holds and their progress.
	parts *partitions
}

// New makes a source from a config; it validates it and reads ca_file.
func New(cfg Config, opts ...Option) (*Source, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("eventhub: %w", err)
	}
	ep, err := cfg.resolve()
	if err != nil {
		return nil, fmt.Errorf("eventhub: %w", err)
	}
	o := options{log: slog.New(slog.DiscardHandler), now: time.Now}
	for _, opt := range opts {
		opt(&o)
	}
	s := &Source{name: cfg.Name, cfg: cfg, ep: ep, o: o, dials: &dialLog{}, parts: newPartitions()}
	if s.name == "" {
		s.name = "eventhub-" + ep.topic
	}
	s.log = o.log.With("source", s.name)
	if ep.tls {
		s.tls = &tls.Config{MinVersion: tls.VersionTLS12}
		if cfg.CAFile != "" {
			pem, err := os.ReadFile(cfg.CAFile)
			if err != nil {
				return nil, fmt.Errorf("eventhub: ca_file: %w", err)
			}
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(pem) {
				return nil, fmt.Errorf("eventhub: ca_file: %s holds no PEM certificate", cfg.CAFile)
			}
			s.tls.RootCAs = pool
		}
	}
	return s, nil
}

// Name is the configured source name.
func (s *Source) Name() string { return s.name }

// Assigned is the partitions this member holds now ("topic/partition"), for health.
func (s *Source) Assigned() []string { return s.parts.names() }

// clientOpts are the franz-go options of a client of this source; consumer adds the
// group member's.
func (s *Source) clientOpts(consumer bool) []kgo.Opt {
	opts := []kgo.Opt{
		kgo.SeedBrokers(s.ep.brokers...),
		kgo.Dialer(s.dial),
		kgo.WithLogger(kgoLogger{s.log}),
		kgo.ClientID("vigil"),
		kgo.WithHooks(saslHook{s.dials}),
	}
	if m := s.saslMechanism(); m != nil {
		opts = append(opts, kgo.SASL(m))
	}
	if consumer {
		start := kgo.NewOffset().AtStart()
		if strings.EqualFold(s.cfg.Start, "latest") {
			start = kgo.NewOffset().AtEnd()
		}
		opts = append(opts,
			kgo.ConsumerGroup(s.ep.group),
			kgo.ConsumeTopics(s.ep.topic),
			kgo.ConsumeResetOffset(start),
			kgo.DisableAutoCommit(),
			kgo.BlockRebalanceOnPoll(),
			kgo.FetchMaxWait(s.cfg.MaxWait.D()),
			kgo.SessionTimeout(s.cfg.SessionTimeout.D()),
			// A heartbeat a third of the session at most, as Kafka advises (franz-go's 3 s
			// otherwise).
			kgo.HeartbeatInterval(min(3*time.Second, s.cfg.SessionTimeout.D()/3)),
			kgo.OnPartitionsAssigned(s.assigned),
			kgo.OnPartitionsRevoked(s.revoked),
			kgo.OnPartitionsLost(s.lost),
		)
	}
	return append(opts, s.o.client...)
}

func (s *Source) saslMechanism() sasl.Mechanism {
	switch s.ep.mechanism {
	case "plain":
		return plain.Auth{User: s.ep.user, Pass: s.ep.password}.AsMechanism()
	case "scram-sha-256":
		return scram.Auth{User: s.ep.user, Pass: s.ep.password}.AsSha256Mechanism()
	case "scram-sha-512":
		return scram.Auth{User: s.ep.user, Pass: s.ep.password}.AsSha512Mechanism()
	}
	return nil
}

// dial connects to a broker within connect_timeout, then does TLS when configured. A
// timeout is reported as such: a blocked port looks like nothing else.
func (s *Source) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.ConnectTimeout.D())
	defer cancel()
	var conn net.Conn
	var err error
	if s.o.dial != nil {
		conn, err = s.o.dial(ctx, network, addr)
	} else {
		conn, err = (&net.Dialer{}).DialContext(ctx, network, addr)
	}
	if err == nil && s.tls != nil {
		c := s.tls.Clone()
		if host, _, e := net.SplitHostPort(addr); e == nil {
			c.ServerName = host
		}
		if s.ep.tlsName != "" && slices.Contains(s.ep.brokers, addr) {
			c.ServerName = s.ep.tlsName // a bootstrap override still serves the namespace's certificate
		}
		tc := tls.Client(conn, c)
		if err = tc.HandshakeContext(ctx); err != nil {
			_ = conn.Close()
			err = fmt.Errorf("tls handshake: %w", err)
		} else {
			conn = tc
		}
	}
	if err != nil {
		err = s.dials.record(addr, s.cfg.ConnectTimeout.D(), err)
		return nil, err
	}
	return conn, nil
}

// kgoLogger passes franz-go's warnings and errors to slog; its debug chatter is dropped.
type kgoLogger struct{ l *slog.Logger }

func (k kgoLogger) Level() kgo.LogLevel { return kgo.LogLevelWarn }

func (k kgoLogger) Log(level kgo.LogLevel, msg string, keyvals ...any) {
	lv := slog.LevelWarn
	if level == kgo.LogLevelError {
		lv = slog.LevelError
	}
	k.l.Log(context.Background(), lv, "kafka: "+msg, keyvals...)
}

var (
	_ source.Source    = (*Source)(nil)
	_ source.Describer = (*Source)(nil)
	_ source.Checker   = (*Source)(nil)
)
