package emulate

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl/plain"

	"github.com/vigil-sec/vigil/internal/sim"
)

// EventHubsOptions configure an Event Hubs namespace emulator.
type EventHubsOptions struct {
	// Namespace is the namespace's host (default vigil-demo.servicebus.windows.net): the
	// connection strings name it, and the certificate is made out to it.
	Namespace string
	// Hub is the event hub (Kafka topic) diagnostic settings send to (default
	// vigil-diagnostics: one hub, several categories, as a diagnostic setting with an
	// event hub name does).
	Hub string
	// Partitions per hub (default 4).
	Partitions int32
	// KeyName and Key are the hub's shared access policy (default vigil-listen and a
	// fixed base64 key): SASL PLAIN accepts user $ConnectionString with the policy's
	// connection string as the password, and nothing else.
	KeyName, Key string
	// DataDir keeps the brokers' log and the groups' offsets across Restart (default: a
	// temporary folder removed by Close).
	DataDir string
}

// EventHubs is an Event Hubs namespace on loopback: franz-go's kfake broker behind TLS (a
// certificate for the namespace's host) and SASL PLAIN with the $ConnectionString user,
// as Event Hubs' Kafka endpoint on port 9093 speaks. Restart is the broker-restart fault:
// the broker goes away, every connection drops, and it comes back on the same port with
// its log and committed offsets.
type EventHubs struct {
	o        EventHubsOptions
	tmp      string // DataDir when the emulator made it
	cert     tls.Certificate
	certPEM  []byte
	roots    *x509.CertPool
	port     int
	mu       sync.Mutex
	cluster  *kfake.Cluster
	producer *kgo.Client
	restarts int
	produced int
}

// NewEventHubs starts the namespace.
func NewEventHubs(o EventHubsOptions) (*EventHubs, error) {
	if o.Hub == "" {
		o.Hub = "vigil-diagnostics"
	}
	if o.Namespace == "" {
		o.Namespace = "vigil-demo.servicebus.windows.net"
	}
	if o.Partitions <= 0 {
		o.Partitions = 4
	}
	if o.KeyName == "" {
		o.KeyName, o.Key = "vigil-listen", "ZW11bGF0ZWQtZXZlbnQtaHVicy1rZXktbm90LXJlYWwtMDAwMA=="
	}
	e := &EventHubs{o: o}
	if e.o.DataDir == "" {
		dir, err := os.MkdirTemp("", "vigil-eventhubs-")
		if err != nil {
			return nil, fmt.Errorf("emulate: event hubs: %w", err)
		}
		e.tmp, e.o.DataDir = dir, dir
	}
	var err error
	if e.cert, e.certPEM, err = selfSignedCert(time.Now(), o.Namespace); err != nil {
		e.cleanup()
		return nil, fmt.Errorf("emulate: event hubs: certificate: %w", err)
	}
	e.roots = x509.NewCertPool()
	e.roots.AppendCertsFromPEM(e.certPEM)
	if err := e.start(); err != nil {
		e.cleanup()
		return nil, err
	}
	return e, nil
}

// start (re)creates the broker on e.port (any free port the first time).
func (e *EventHubs) start() error {
	opts := []kfake.Opt{
		kfake.NumBrokers(1), kfake.SeedTopics(e.o.Partitions, e.o.Hub), kfake.EnableSASL(),
		kfake.TLS(&tls.Config{Certificates: []tls.Certificate{e.cert}, MinVersion: tls.VersionTLS12}),
		kfake.Superuser("PLAIN", "$ConnectionString", e.ConnectionString()),
		kfake.DataDir(e.o.DataDir), kfake.GroupMinSessionTimeout(time.Second),
	}
	if e.port != 0 {
		opts = append(opts, kfake.Ports(e.port))
	}
	c, err := kfake.NewCluster(opts...)
	if err != nil {
		return fmt.Errorf("emulate: event hubs: start broker: %w", err)
	}
	if e.port == 0 {
		_, p, _ := net.SplitHostPort(c.ListenAddrs()[0])
		e.port, _ = strconv.Atoi(p)
	}
	e.cluster = c
	return nil
}

// ConnectionString is the hub policy's connection string as the portal shows it.
func (e *EventHubs) ConnectionString() string {
	return "Endpoint=sb://" + e.o.Namespace + "/;SharedAccessKeyName=" + e.o.KeyName + ";SharedAccessKey=" + e.o.Key + ";EntityPath=" + e.o.Hub
}

// Hub is the event hub's name (the Kafka topic).
func (e *EventHubs) Hub() string { return e.o.Hub }

// Addr is the broker's loopback host:port (a plain Kafka client's bootstrap server).
func (e *EventHubs) Addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(e.port)) }

// Namespace is the namespace's host.
func (e *EventHubs) Namespace() string { return e.o.Namespace }

// CertPEM is the broker's self-signed certificate (trust it as the CA).
func (e *EventHubs) CertPEM() []byte { return e.certPEM }

// Dial dials the namespace's :9093 endpoint on the loopback broker and any other address
// as it is: give it to a Kafka client that was told the namespace's real host.
func (e *EventHubs) Dial(ctx context.Context, network, addr string) (net.Conn, error) {
	if addr == e.o.Namespace+":9093" {
		addr = e.Addr()
	}
	return (&net.Dialer{}).DialContext(ctx, network, addr)
}

// Produce sends bodies to the hub, spread over its partitions, as Azure Monitor's
// diagnostic settings do, with Kafka timestamps at; it waits until the broker acknowledged
// them all (through restarts).
func (e *EventHubs) Produce(ctx context.Context, at time.Time, bodies ...[]byte) error {
	cl, err := e.client()
	if err != nil {
		return err
	}
	recs := make([]*kgo.Record, len(bodies))
	for i, b := range bodies {
		recs[i] = &kgo.Record{Topic: e.o.Hub, Value: b, Timestamp: at}
	}
	if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		return fmt.Errorf("emulate: event hubs: produce to %s: %w", e.o.Hub, err)
	}
	e.mu.Lock()
	e.produced += len(bodies)
	e.mu.Unlock()
	return nil
}

func (e *EventHubs) client() (*kgo.Client, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.producer != nil {
		return e.producer, nil
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(e.Addr()),
		kgo.DialTLSConfig(&tls.Config{RootCAs: e.roots, ServerName: e.o.Namespace, MinVersion: tls.VersionTLS12}),
		kgo.SASL(plain.Auth{User: "$ConnectionString", Pass: e.ConnectionString()}.AsMechanism()),
		kgo.ProducerBatchMaxBytes(2<<20), kgo.RecordPartitioner(kgo.RoundRobinPartitioner()),
		kgo.RetryBackoffFn(func(int) time.Duration { return 50 * time.Millisecond }))
	if err != nil {
		return nil, fmt.Errorf("emulate: event hubs: producer: %w", err)
	}
	e.producer = cl
	return cl, nil
}

// Restart is the broker-restart fault: the broker shuts down (its log and the groups'
// committed offsets saved), every client connection drops, and a new broker starts on the
// same port from the saved state.
func (e *EventHubs) Restart() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.cluster.Close()
	if err := e.start(); err != nil {
		return err
	}
	e.restarts++
	return nil
}

// EventHubsStats are what the namespace did.
type EventHubsStats struct {
	Produced int // bodies acknowledged
	Restarts int
}

// Stats are the counts so far.
func (e *EventHubs) Stats() EventHubsStats {
	e.mu.Lock()
	defer e.mu.Unlock()
	return EventHubsStats{Produced: e.produced, Restarts: e.restarts}
}

// Close stops the broker and removes a temporary data folder.
func (e *EventHubs) Close() {
	e.mu.Lock()
	if e.producer != nil {
		e.producer.Close()
	}
	if e.cluster != nil {
		e.cluster.Close()
	}
	e.mu.Unlock()
	e.cleanup()
}

func (e *EventHubs) cleanup() {
	if e.tmp != "" {
		os.RemoveAll(e.tmp)
	}
}

// HubBodies wraps diagnostic records as Azure Monitor sends them to an event hub: bodies of
// {"records":[…]}, per records each (the last one holds the rest).
func HubBodies(recs []sim.Record, per int) ([][]byte, error) {
	per = max(per, 1)
	bodies := make([][]byte, 0, (len(recs)+per-1)/per)
	for i := 0; i < len(recs); i += per {
		raw := make([]json.RawMessage, 0, per)
		for _, r := range recs[i:min(i+per, len(recs))] {
			raw = append(raw, r.JSON)
		}
		b, err := json.Marshal(map[string]any{"records": raw})
		if err != nil {
			return nil, fmt.Errorf("emulate: event hubs body: %w", err)
		}
		bodies = append(bodies, b)
	}
	return bodies, nil
}
