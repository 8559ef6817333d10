package eventhub

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/vigil-sec/vigil/internal/source"
)

// ErrConnectTimeout is a connection that did not open within connect_timeout: the
// usual sign of a firewall dropping outbound TCP 9093.
var ErrConnectTimeout = errors.New("connection timed out")

// ErrAuthRejected is a broker closing the connection in answer to SASL authentication,
// which is how Event Hubs (and kfake) refuse credentials.
var ErrAuthRejected = errors.New("the broker closed the connection during SASL authentication")

// dialLog remembers the last failed dial or SASL exchange, so an error that kgo reports
// only as its retries running out can say why; a rejected authentication also calls
// definite, which ends the preflight at once.
type dialLog struct {
	mu       sync.Mutex
	last     error
	definite func()
}

// saslHook is a franz-go hook that sees SASL reads fail.
type saslHook struct{ d *dialLog }

func (h saslHook) OnBrokerRead(meta kgo.BrokerMetadata, key int16, _ int, _, _ time.Duration, err error) {
	if err == nil || (key != (&kmsg.SASLAuthenticateRequest{}).Key() && key != (&kmsg.SASLHandshakeRequest{}).Key()) {
		return
	}
	if !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
		return
	}
	h.d.mu.Lock()
	h.d.last = fmt.Errorf("%s: %w (%w)", net.JoinHostPort(meta.Host, strconv.Itoa(int(meta.Port))), ErrAuthRejected, err)
	definite := h.d.definite
	h.d.mu.Unlock()
	if definite != nil {
		definite()
	}
}

func (d *dialLog) onDefinite(f func()) {
	d.mu.Lock()
	d.last, d.definite = nil, f
	d.mu.Unlock()
}

func (d *dialLog) record(addr string, timeout time.Duration, err error) error {
	var ne net.Error
	if errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
		_, port, _ := net.SplitHostPort(addr)
		err = fmt.Errorf("connect %s: %w after %s (port %s blocked? the network must allow outbound TCP %s to the namespace): %w",
			addr, ErrConnectTimeout, timeout, port, port, err)
	} else {
		err = fmt.Errorf("connect %s: %w", addr, err)
	}
	d.mu.Lock()
	d.last = err
	d.mu.Unlock()
	return err
}

func (d *dialLog) lastErr() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.last
}

// preflight asks for the topic's metadata before joining the group, so that the
// mistakes the group would only retry on (a blocked port, a wrong mechanism or key, a
// wrong hub name) end Run with an error that says which.
func (s *Source) preflight(ctx context.Context, cl *kgo.Client) error {
	pctx, cancel := context.WithTimeout(ctx, 2*s.cfg.ConnectTimeout.D()+time.Second)
	defer cancel()
	s.dials.onDefinite(cancel)
	defer s.dials.onDefinite(nil)
	req := kmsg.NewPtrMetadataRequest()
	t := kmsg.NewMetadataRequestTopic()
	t.Topic = kmsg.StringPtr(s.ep.topic)
	req.Topics = append(req.Topics, t)
	resp, err := req.RequestWith(pctx, cl)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if last := s.dials.lastErr(); last != nil && (errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) || !isKafkaErr(err)) {
			err = last
		}
		return s.explain(fmt.Errorf("metadata: %w", err))
	}
	for _, rt := range resp.Topics {
		if err := kerr.ErrorForCode(rt.ErrorCode); err != nil {
			return s.explain(fmt.Errorf("metadata of %s: %w", s.ep.topic, err))
		}
		if len(rt.Partitions) == 0 {
			return s.explain(fmt.Errorf("metadata of %s: %w", s.ep.topic, kerr.UnknownTopicOrPartition))
		}
	}
	return nil
}

func isKafkaErr(err error) bool {
	var ke *kerr.Error
	return errors.As(err, &ke)
}

// explain wraps err with the source's name and, for the mistakes no retry mends, a hint
// of what to fix, as source.Permanent.
func (s *Source) explain(err error) error {
	what := "event hub"
	if !s.ep.eventHubs {
		what = "topic"
	}
	var hint string
	switch {
	case errors.Is(err, kerr.UnsupportedSaslMechanism):
		hint = fmt.Sprintf("sasl_mechanism: the brokers do not accept %s", s.ep.mechanism)
		if s.ep.eventHubs {
			hint = "Event Hubs accepts PLAIN with the connection string"
		}
	case errors.Is(err, ErrAuthRejected):
		hint = fmt.Sprintf("authentication refused: check username and password, and that the brokers have them for sasl_mechanism %s", s.ep.mechanism)
		if s.ep.eventHubs {
			hint = "authentication refused: the connection string's SharedAccessKey is wrong or was rotated, or its policy lacks the Listen right"
		}
	case errors.Is(err, kerr.SaslAuthenticationFailed), errors.Is(err, kerr.IllegalSaslState):
		hint = fmt.Sprintf("authentication failed: check username and password (sasl_mechanism %s)", s.ep.mechanism)
		if s.ep.eventHubs {
			hint = "authentication failed: the connection string's SharedAccessKey is wrong or was rotated, or its policy lacks the Listen right"
		}
	case errors.Is(err, kerr.TopicAuthorizationFailed), errors.Is(err, kerr.GroupAuthorizationFailed),
		errors.Is(err, kerr.ClusterAuthorizationFailed):
		hint = fmt.Sprintf("not authorized to read %s %q with consumer group %q", what, s.ep.topic, s.ep.group)
		if s.ep.eventHubs {
			hint += ": the shared access policy needs the Listen right"
		}
	case errors.Is(err, kerr.UnknownTopicOrPartition):
		hint = fmt.Sprintf("no %s %q here", what, s.ep.topic)
		if s.ep.eventHubs {
			hint += ": check EntityPath in connection_string (the hub's name, not the namespace's); a Basic tier namespace has no Kafka endpoint"
		}
	case errors.Is(err, kerr.InvalidGroupID):
		hint = fmt.Sprintf("consumer_group %q is not a valid group name", s.ep.group)
	}
	if hint == "" {
		return fmt.Errorf("eventhub: %s: %w", s.name, err)
	}
	return source.Permanent(fmt.Errorf("eventhub: %s: %s: %w", s.name, hint, err))
}
