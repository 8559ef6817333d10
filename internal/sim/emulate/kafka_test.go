package emulate

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"net"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl/plain"
)

// hubConsumer is a group consumer as Event Hubs' Kafka endpoint expects one: the
// namespace's host on 9093, TLS, SASL PLAIN with $ConnectionString.
func hubConsumer(t *testing.T, e *EventHubs, pass string) *kgo.Client {
	t.Helper()
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(e.CertPEM())
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := e.Dial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return tls.Client(c, &tls.Config{RootCAs: roots, ServerName: e.Namespace(), MinVersion: tls.VersionTLS12}), nil
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(e.Namespace()+":9093"), kgo.Dialer(dial),
		kgo.SASL(plain.Auth{User: "$ConnectionString", Pass: pass}.AsMechanism()),
		kgo.ConsumerGroup("$Default"), kgo.ConsumeTopics(e.Hub()), kgo.DisableAutoCommit(),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.RetryTimeout(10*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return cl
}

func consume(t *testing.T, cl *kgo.Client, n int) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var got []string
	for len(got) < n {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("%d of %d bodies consumed: %v", len(got), n, fs.Errors())
		}
		fs.EachRecord(func(r *kgo.Record) { got = append(got, string(r.Value)) })
	}
	return got
}

func TestEventHubsRestartKeepsLogAndOffsets(t *testing.T) {
	e, err := NewEventHubs(EventHubsOptions{Partitions: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	ctx := context.Background()
	if err := e.Produce(ctx, time.Now(), []byte(`{"records":[1]}`), []byte(`{"records":[2]}`)); err != nil {
		t.Fatal(err)
	}
	cl := hubConsumer(t, e, e.ConnectionString())
	if got := consume(t, cl, 2); len(got) != 2 {
		t.Fatalf("consumed %v", got)
	}
	if err := cl.CommitUncommittedOffsets(ctx); err != nil {
		t.Fatal(err)
	}
	cl.Close()
	addr := e.Addr()
	if err := e.Restart(); err != nil {
		t.Fatal(err)
	}
	if e.Addr() != addr || e.Stats().Restarts != 1 {
		t.Fatalf("restarted on %s (was %s), %+v", e.Addr(), addr, e.Stats())
	}
	if err := e.Produce(ctx, time.Now(), []byte(`{"records":[3]}`)); err != nil {
		t.Fatal(err)
	}
	// The group's committed offsets survived: only the new body comes.
	got := consume(t, hubConsumer(t, e, e.ConnectionString()), 1)
	if len(got) != 1 || got[0] != `{"records":[3]}` {
		t.Fatalf("after the restart the group read %v", got)
	}
}

func TestEventHubsRefusesAnotherKey(t *testing.T) {
	e, err := NewEventHubs(EventHubsOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	cl := hubConsumer(t, e, "Endpoint=sb://"+e.Namespace()+"/;SharedAccessKeyName=vigil-listen;SharedAccessKey=d3Jvbmc=;EntityPath="+e.Hub())
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	fs := cl.PollFetches(ctx)
	if len(fs.Errors()) == 0 {
		t.Fatal("a wrong key was let in")
	}
}
