package eventhub

import (
	"context"
	"errors"
	"fmt"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// Endpoints are the bootstrap brokers.
func (s *Source) Endpoints() []string {
	out := make([]string, len(s.ep.brokers))
	for i, b := range s.ep.brokers {
		out[i] = "kafka://" + b
		if s.ep.tls {
			out[i] = "kafkas://" + b
		}
	}
	return out
}

// Permissions are what the credentials must allow: the Listen claim of a shared access
// policy on Event Hubs; on Kafka, the ACLs a group consumer needs.
func (s *Source) Permissions() []string {
	if s.ep.eventHubs {
		return []string{"Listen"}
	}
	return []string{"Topic:" + s.ep.topic + ":Describe", "Topic:" + s.ep.topic + ":Read", "Group:" + s.ep.group + ":Read"}
}

// Check connects, authenticates, reads the topic's metadata and the group's committed
// offsets, without joining the group or reading records.
func (s *Source) Check(ctx context.Context) error {
	cl, err := kgo.NewClient(s.clientOpts(false)...)
	if err != nil {
		return fmt.Errorf("eventhub: %s: client: %w", s.name, err)
	}
	defer cl.Close()
	if err := s.preflight(ctx, cl); err != nil {
		return err
	}
	req := kmsg.NewPtrOffsetFetchRequest()
	req.Group = s.ep.group
	t := kmsg.NewOffsetFetchRequestTopic()
	t.Topic = s.ep.topic
	t.Partitions = []int32{0}
	req.Topics = append(req.Topics, t)
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		return s.explain(fmt.Errorf("offset fetch: %w", err))
	}
	// A group is made when a member first joins (on Event Hubs too): not found only
	// means no offsets yet.
	if err := kerr.ErrorForCode(resp.ErrorCode); err != nil && !errors.Is(err, kerr.GroupIDNotFound) {
		return s.explain(fmt.Errorf("offset fetch of group %s: %w", s.ep.group, err))
	}
	for _, rt := range resp.Topics {
		for _, rp := range rt.Partitions {
			if err := kerr.ErrorForCode(rp.ErrorCode); err != nil && !errors.Is(err, kerr.GroupIDNotFound) {
				return s.explain(fmt.Errorf("offset fetch of %s/%d: %w", rt.Topic, rp.Partition, err))
			}
		}
	}
	return nil
}
