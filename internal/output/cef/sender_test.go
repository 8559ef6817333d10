package cef

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"github.com/vigil-sec/vigil/internal/output/cef/ceftest"
	"io"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vigil-sec/vigil/internal/alert"
	"github.com/vigil-sec/vigil/internal/config"
)

// receiver is a syslog server on loopback: it reads frames the way framing says and
// passes each message on.
type receiver struct {
	ln   net.Listener
	msgs chan string
}

func listen(t *testing.T, framing string, tc *tls.Config) *receiver {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if tc != nil {
		ln = tls.NewListener(ln, tc)
	}
	r := &receiver{ln: ln, msgs: make(chan string, 10000)}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go r.serve(c, framing)
		}
	}()
	return r
}

func (r *receiver) serve(c net.Conn, framing string) {
	defer c.Close()
	br := bufio.NewReader(c)
	for {
		if framing == FramingNewline {
			line, err := br.ReadString('\n')
			if err != nil {
				return
			}
			r.msgs <- strings.TrimSuffix(line, "\n")
			continue
		}
		n, err := br.ReadString(' ')
		if err != nil {
			return
		}
		size, err := strconv.Atoi(strings.TrimSuffix(n, " "))
		if err != nil {
			r.msgs <- "BAD FRAME " + n
			return
		}
		buf := make([]byte, size)
		if _, err := io.ReadFull(br, buf); err != nil {
			return
		}
		r.msgs <- string(buf)
	}
}

func next(t *testing.T, ch chan string) string {
	t.Helper()
	select {
	case m := <-ch:
		return m
	case <-time.After(10 * time.Second):
		t.Fatal("no message received")
		return ""
	}
}

func testConfig(t *testing.T, addr string) Config {
	t.Helper()
	cfg := DefaultConfig()
	cfg.Name = "siem"
	a, err := config.ParseAddress(addr)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Address = a
	cfg.Hostname = "vigil-test"
	return cfg
}

func batch(n int) []alert.Alert {
	out := make([]alert.Alert, n)
	for i := range out {
		a := hostile()
		a.ID = fmt.Sprintf("id-%05d", i)
		out[i] = a
	}
	return out
}

func deliver(t *testing.T, s *Sender, as []alert.Alert) {
	t.Helper()
	if err := s.Deliver(context.Background(), as); err != nil {
		t.Fatal(err)
	}
}

func checkMessage(t *testing.T, msg, wantPrefix, wantID string) {
	t.Helper()
	i := strings.Index(msg, "CEF:0|")
	if !strings.HasPrefix(msg, wantPrefix) || i < 0 {
		t.Fatalf("message %q does not start with %q", msg, wantPrefix)
	}
	p, err := ceftest.Parse(msg[i:])
	if err != nil {
		t.Fatal(err)
	}
	if p.Ext["externalId"] != wantID {
		t.Fatalf("externalId %q, want %q", p.Ext["externalId"], wantID)
	}
}

func TestTCPFramings(t *testing.T) {
	for _, c := range []struct{ framing, format, prefix string }{
		{FramingOctetCounting, FormatRFC5424, "<83>1 "},
		{FramingNewline, FormatRFC3164, "<83>"},
	} {
		t.Run(c.framing, func(t *testing.T) {
			r := listen(t, c.framing, nil)
			cfg := testConfig(t, "tcp://"+r.ln.Addr().String())
			cfg.Framing, cfg.Format = c.framing, c.format
			s, err := New(cfg, "1.0", nil)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			as := batch(50)
			deliver(t, s, as)
			for _, a := range as {
				checkMessage(t, next(t, r.msgs), c.prefix, a.ID)
			}
		})
	}
}

// TestReconnectAfterReceiverClosed: the receiver drops the connection between batches;
// the next batch goes over a new connection instead of being written into the dead one.
func TestReconnectAfterReceiverClosed(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	conns := make(chan net.Conn, 2)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns <- c
		}
	}()
	s, err := New(testConfig(t, "tcp://"+ln.Addr().String()), "1", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	deliver(t, s, batch(1))
	first := <-conns
	br := bufio.NewReader(first)
	if _, err := br.ReadString(' '); err != nil {
		t.Fatal(err)
	}
	first.Close()
	// Wait until the close has reached the sender's side of the connection.
	deadline := time.Now().Add(10 * time.Second)
	for !peerClosed(s.conn) {
		if time.Now().After(deadline) {
			t.Fatal("close not seen")
		}
	}
	deliver(t, s, batch(2)[1:])
	select {
	case c := <-conns:
		c.Close()
	case <-time.After(10 * time.Second):
		t.Fatal("second batch was not sent over a new connection")
	}
}

func TestUDP(t *testing.T) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	s, err := New(testConfig(t, "udp://"+pc.LocalAddr().String()), "1", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	as := batch(3)
	deliver(t, s, as)
	buf := make([]byte, 65536)
	for _, a := range as {
		_ = pc.SetReadDeadline(time.Now().Add(10 * time.Second))
		n, _, err := pc.ReadFrom(buf)
		if err != nil {
			t.Fatal(err)
		}
		checkMessage(t, string(buf[:n]), "<83>1 ", a.ID) // one message per datagram, no framing
	}
}

func TestTLS(t *testing.T) {
	dir := t.TempDir()
	cert, caFile := selfSigned(t, dir)
	r := listen(t, FramingOctetCounting, &tls.Config{Certificates: []tls.Certificate{cert}})
	cfg := testConfig(t, "tls://"+r.ln.Addr().String())
	cfg.CAFile, cfg.ServerName = caFile, "siem.test"
	s, err := New(cfg, "1", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	deliver(t, s, batch(2))
	checkMessage(t, next(t, r.msgs), "<83>1 ", "id-00000")
	checkMessage(t, next(t, r.msgs), "<83>1 ", "id-00001")

	cfg.ServerName = "other.test" // the certificate does not name it
	s2, err := New(cfg, "1", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if err := s2.Deliver(context.Background(), batch(1)); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("wrong server name accepted: %v", err)
	}
}

// selfSigned makes a certificate for siem.test and writes it as the CA file.
func selfSigned(t *testing.T, dir string) (tls.Certificate, string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "siem.test"},
		DNSNames: []string{"siem.test"}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, IsCA: true, BasicConstraintsValid: true,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	caFile := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, caFile
}

func TestConfigValidate(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Format, cfg.Framing, cfg.Facility, cfg.CAFile = "json", "lines", 30, "/nonexistent/ca.pem"
	cfg.MinScore = 200
	err := cfg.Validate()
	for _, key := range []string{"address:", "format:", "framing:", "facility:", "ca_file:", "min_score:"} {
		if err == nil || !strings.Contains(err.Error(), key) {
			t.Errorf("%v does not name %s", err, key)
		}
	}
	ok := testConfig(t, "tcp://127.0.0.1:6514")
	if err := ok.Validate(); err != nil {
		t.Error(err)
	}
}

func TestCheck(t *testing.T) {
	r := listen(t, FramingOctetCounting, nil)
	s, err := New(testConfig(t, "tcp://"+r.ln.Addr().String()), "1", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Check(context.Background()); err != nil {
		t.Fatal(err)
	}
	r.ln.Close()
	down, err := New(testConfig(t, "tcp://"+r.ln.Addr().String()), "1", nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := down.Check(context.Background()); err == nil {
		t.Error("Check passed with the receiver down")
	}
}
