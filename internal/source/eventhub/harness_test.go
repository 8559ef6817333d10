package eventhub

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl/plain"

	"github.com/vigil-sec/vigil/internal/config"
	"github.com/vigil-sec/vigil/internal/sim"
	"github.com/vigil-sec/vigil/internal/source"
)

const (
	testNamespace = "vigil-test.servicebus.windows.net"
	testHub       = "insights-logs-signinlogs"
	testKey       = "c2VjcmV0LWtleS1ub3QtcmVhbC0xMjM0NTY3ODkwYWI="
)

func testConnString(hub, key string) string {
	return "Endpoint=sb://" + testNamespace + "/;SharedAccessKeyName=vigil-listen;SharedAccessKey=" + key + ";EntityPath=" + hub
}

// namespace is a kfake cluster standing in for an Event Hubs namespace: TLS with a
// certificate for the namespace's host, SASL PLAIN with $ConnectionString.
type namespace struct {
	cluster *kfake.Cluster
	caFile  string
	roots   *x509.CertPool
	addr    string
	conn    string // the policy's connection string
}

func newNamespace(t testing.TB, partitions int32, topics ...string) *namespace {
	t.Helper()
	return newNamespaceWith(t, testConnString(testHub, testKey), partitions, topics...)
}

// newNamespaceWith is a namespace whose one policy has the connection string conn.
func newNamespaceWith(t testing.TB, conn string, partitions int32, topics ...string) *namespace {
	t.Helper()
	return newNamespaceOpts(t, conn, []kfake.Opt{kfake.Superuser("PLAIN", "$ConnectionString", conn)}, partitions, topics...)
}

// newNamespaceOpts is a namespace with the given users (and ACLs).
func newNamespaceOpts(t testing.TB, conn string, users []kfake.Opt, partitions int32, topics ...string) *namespace {
	t.Helper()
	cert, roots, caPEM := selfSigned(t)
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, caPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	n := &namespace{conn: conn}
	opts := append([]kfake.Opt{kfake.NumBrokers(1), kfake.SeedTopics(partitions, topics...), kfake.EnableSASL(),
		kfake.TLS(&tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}),
		kfake.GroupMinSessionTimeout(time.Second)}, users...)
	c, err := kfake.NewCluster(opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	n.cluster, n.caFile, n.roots, n.addr = c, caFile, roots, c.ListenAddrs()[0]
	return n
}

// dial sends the namespace's host to the cluster; broker addresses kfake advertises
// (loopback) are dialled as they are.
func (n *namespace) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	if addr == testNamespace+":9093" {
		addr = n.addr
	}
	return (&net.Dialer{}).DialContext(ctx, network, addr)
}

func (n *namespace) config() Config {
	c := DefaultConfig()
	c.Name = "hub-test"
	c.ConnectionString = config.Secret(testConnString(testHub, testKey))
	c.CAFile = n.caFile
	c.MaxWait = config.Duration(100 * time.Millisecond)
	return c
}

func (n *namespace) source(t testing.TB, c Config) *Source {
	t.Helper()
	s, err := New(c, WithDialer(n.dial), WithClientOptions(kgo.HeartbeatInterval(100*time.Millisecond), kgo.SessionTimeout(6*time.Second)))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// produce writes bodies round-robin over the partitions, with Kafka timestamps at.
func (n *namespace) produce(t testing.TB, topic string, partitions int32, bodies [][]byte, at time.Time) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(n.addr), kgo.DialTLSConfig(&tls.Config{RootCAs: n.roots, MinVersion: tls.VersionTLS12}),
		kgo.SASL(plain.Auth{User: "$ConnectionString", Pass: n.conn}.AsMechanism()),
		kgo.RecordPartitioner(kgo.ManualPartitioner()), kgo.ProducerBatchMaxBytes(2<<20))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	recs := make([]*kgo.Record, len(bodies))
	for i, b := range bodies {
		recs[i] = &kgo.Record{Topic: topic, Partition: int32(i) % partitions, Value: b, Timestamp: at.Add(time.Duration(i) * time.Millisecond)}
	}
	if err := cl.ProduceSync(context.Background(), recs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
}

// selfSigned is a CA-less certificate for the namespace's host and loopback.
func selfSigned(t testing.TB) (tls.Certificate, *x509.CertPool, []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: testNamespace},
		DNSNames: []string{testNamespace}, IPAddresses: []net.IP{net.ParseIP("127.0.0.1"), net.ParseIP("::1")},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true,
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool,
		pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

// diagnosticBodies is the simulated tenant's Event Hubs records (sign-in diagnostic
// records), per bodies of up to per records as Azure Monitor sends them.
func diagnosticBodies(t testing.TB, per int) (bodies [][]byte, records int) {
	t.Helper()
	simu, err := sim.New(sim.Config{Seed: 5, Users: 10, Days: 3})
	if err != nil {
		t.Fatal(err)
	}
	var recs []json.RawMessage
	if _, err := simu.Run(context.Background(), func(r sim.Record) error {
		if r.Kind == sim.KindEventHub {
			recs = append(recs, r.JSON)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < len(recs); i += per {
		b, err := json.Marshal(map[string]any{"records": recs[i:min(i+per, len(recs))]})
		if err != nil {
			t.Fatal(err)
		}
		bodies = append(bodies, b)
	}
	if len(recs) < 100 {
		t.Fatalf("the simulation gave only %d Event Hubs records", len(recs))
	}
	return bodies, len(recs)
}

// sink is a pipeline stand-in: it keeps what emit was given, and can fail on demand.
type sink struct {
	mu       sync.Mutex
	batches  []source.Batch
	bodies   map[string]int // body → deliveries
	records  int
	endPolls int
	fail     func(b source.Batch) error
	changed  chan struct{}
}

func newSink() *sink { return &sink{bodies: map[string]int{}, changed: make(chan struct{}, 1)} }

func (s *sink) emit(_ context.Context, b source.Batch) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail != nil {
		if err := s.fail(b); err != nil {
			return err
		}
	}
	s.batches = append(s.batches, b)
	for _, r := range b.Records {
		s.bodies[string(r)]++
		s.records++
	}
	if b.EndOfPoll {
		s.endPolls++
	}
	select {
	case s.changed <- struct{}{}:
	default:
	}
	return nil
}

// waitFor waits until cond holds on the sink, or fails the test after d.
func (s *sink) waitFor(t testing.TB, d time.Duration, what string, cond func(*sink) bool) {
	t.Helper()
	deadline := time.NewTimer(d)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		ok := cond(s)
		s.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-s.changed:
		case <-deadline.C:
			s.mu.Lock()
			defer s.mu.Unlock()
			t.Fatalf("after %s: %s did not happen (%d records in %d batches)", d, what, s.records, len(s.batches))
		}
	}
}

// run starts src.Run in the background; stop cancels it and returns its error, done
// is closed when Run returned (stop then returns at once).
func run(t testing.TB, src *Source, emit source.Emit) (stop func() error, done <-chan struct{}) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ch := make(chan struct{})
	var err error
	go func() {
		defer close(ch)
		err = src.Run(ctx, nil, emit)
	}()
	stop = func() error {
		cancel()
		<-ch
		return err
	}
	t.Cleanup(func() { _ = stop() })
	return stop, ch
}
