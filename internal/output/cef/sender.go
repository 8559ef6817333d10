package cef

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/vigil-sec/vigil/internal/alert"
	"github.com/vigil-sec/vigil/internal/output"
)

// Sender writes alerts to one syslog receiver. Deliver calls are serialised.
type Sender struct {
	cfg     Config
	version string
	hdr     header
	tls     *tls.Config
	log     *slog.Logger
	now     func() time.Time

	mu   sync.Mutex
	conn net.Conn
	w    *bufio.Writer
	buf  []byte
}

// New returns the sender of cfg; version is Vigil's version (CEF Device Version). It
// reads the TLS files but does not connect: the first Deliver does.
func New(cfg Config, version string, log *slog.Logger) (*Sender, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("cef %s: %w", cfg.Name, err)
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	host := cfg.Hostname
	if host == "" {
		host, _ = os.Hostname()
	}
	s := &Sender{cfg: cfg, version: version, log: log.With("output", cfg.Name), now: time.Now,
		hdr: header{format: cfg.Format, facility: cfg.Facility, hostname: syslogName(host, 255), appName: syslogName(cfg.AppName, 48)}}
	if cfg.Address.Network == "tls" {
		tc, err := tlsConfig(cfg)
		if err != nil {
			return nil, fmt.Errorf("cef %s: %w", cfg.Name, err)
		}
		s.tls = tc
	}
	return s, nil
}

func tlsConfig(cfg Config) (*tls.Config, error) {
	host, _, _ := net.SplitHostPort(cfg.Address.Host)
	tc := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: host, InsecureSkipVerify: cfg.InsecureSkipVerify} //nolint:gosec // the operator's choice, off by default
	if cfg.ServerName != "" {
		tc.ServerName = cfg.ServerName
	}
	if cfg.CAFile != "" {
		pem, err := os.ReadFile(cfg.CAFile)
		if err != nil {
			return nil, fmt.Errorf("ca_file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("ca_file: %s holds no PEM certificate", cfg.CAFile)
		}
		tc.RootCAs = pool
	}
	if cfg.CertFile != "" {
		cert, err := tls.LoadX509KeyPair(cfg.CertFile, cfg.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("cert_file: %w", err)
		}
		tc.Certificates = []tls.Certificate{cert}
	}
	return tc, nil
}

// Name is the output's name.
func (s *Sender) Name() string { return s.cfg.Name }

// Deliver writes one syslog message per alert, in order. On a stream the batch is
// flushed before Deliver returns; a write error closes the connection, so the queue's
// retry reconnects.
func (s *Sender) Deliver(ctx context.Context, alerts []alert.Alert) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.connect(ctx); err != nil {
		return err
	}
	deadline := time.Now().Add(s.cfg.Timeout.D())
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	if err := s.conn.SetWriteDeadline(deadline); err != nil {
		return s.fail(fmt.Errorf("cef %s: set deadline: %w", s.cfg.Name, err))
	}
	now := s.now()
	for _, a := range alerts {
		s.buf = s.hdr.appendMessage(s.buf[:0], now, a, Line(a, s.cfg.Product, s.version))
		if err := s.write(s.buf); err != nil {
			return s.fail(fmt.Errorf("cef %s: write alert %s: %w", s.cfg.Name, a.ID, err))
		}
	}
	if s.w != nil {
		if err := s.w.Flush(); err != nil {
			return s.fail(fmt.Errorf("cef %s: flush: %w", s.cfg.Name, err))
		}
	}
	return nil
}

func (s *Sender) write(msg []byte) error {
	if s.w == nil { // UDP: a datagram per message
		_, err := s.conn.Write(msg)
		return err
	}
	if s.cfg.Framing == FramingOctetCounting {
		var n [20]byte
		if _, err := s.w.Write(strconv.AppendInt(n[:0], int64(len(msg)), 10)); err != nil {
			return err
		}
		if err := s.w.WriteByte(' '); err != nil {
			return err
		}
		_, err := s.w.Write(msg)
		return err
	}
	if _, err := s.w.Write(msg); err != nil {
		return err
	}
	return s.w.WriteByte('\n')
}

// connect dials when there is no connection, and on a stream first checks that the
// receiver has not closed the one it has: a write to a closed TCP connection succeeds
// once, and that batch would be lost.
func (s *Sender) connect(ctx context.Context) error {
	if s.conn != nil && s.w != nil && peerClosed(s.conn) {
		s.log.Info("receiver closed the connection; reconnecting")
		s.close()
	}
	if s.conn != nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout.D())
	defer cancel()
	var (
		conn net.Conn
		err  error
	)
	switch s.cfg.Address.Network {
	case "tls":
		d := tls.Dialer{Config: s.tls}
		conn, err = d.DialContext(ctx, "tcp", s.cfg.Address.Host)
	default:
		var d net.Dialer
		conn, err = d.DialContext(ctx, s.cfg.Address.Network, s.cfg.Address.Host)
	}
	if err != nil {
		return fmt.Errorf("cef %s: connect %s: %w", s.cfg.Name, s.cfg.Address, err)
	}
	s.conn = conn
	if s.cfg.Address.Network != "udp" {
		s.w = bufio.NewWriterSize(conn, 64<<10)
	}
	return nil
}

// peerClosed reads with an immediate deadline: a syslog receiver never sends, so any
// answer but a timeout means the connection is gone.
func peerClosed(c net.Conn) bool {
	if err := c.SetReadDeadline(time.Now().Add(time.Millisecond)); err != nil {
		return true
	}
	var b [1]byte
	_, err := c.Read(b[:])
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		_ = c.SetReadDeadline(time.Time{})
		return false
	}
	return true
}

func (s *Sender) fail(err error) error {
	s.close()
	return err
}

func (s *Sender) close() {
	if s.conn != nil {
		_ = s.conn.Close()
	}
	s.conn, s.w = nil, nil
}

// Close closes the connection.
func (s *Sender) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.close()
	return nil
}

var _ output.Sender = (*Sender)(nil)

// Check connects to the receiver (and, for tls://, completes the handshake), as `vigil
// config check --online` does; the connection stays open for the first Deliver.
func (s *Sender) Check(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.connect(ctx)
}
