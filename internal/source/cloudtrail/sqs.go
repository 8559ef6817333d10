package cloudtrail

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"
	"golang.org/x/sync/errgroup"

	"github.com/vigil-sec/vigil/internal/source"
)

// queueRun is one SQS-mode Run: workers receive messages in parallel, emits are one at a
// time, and the queue is drained when a receive comes back empty with nothing in flight.
type queueRun struct {
	s        *Source
	emit     source.Emit
	emitMu   sync.Mutex
	inFlight atomic.Int64
	// receipts counts receives that returned messages: a worker whose empty receive saw
	// it move knows another one got messages meanwhile, and does not call the queue drained.
	receipts atomic.Int64

	markMu   sync.Mutex
	lastMark time.Time // when the last EndOfPoll went out (the source's clock)
	oldest   time.Time // the oldest delivery time (LastModified) of the files emitted since
}

// busyMarkEvery is how often a queue that never runs empty (an organisation trail's, busy
// around the clock) still ends a poll: the ordered detections wait for a source's
// watermark, and one given only by an empty receive would hold them back for as long as
// the traffic lasts.
const busyMarkEvery = 30 * time.Second

// delivered notes a file emitted, for the next busy mark; a file without a delivery time
// (an S3-compatible store that sends no Last-Modified) counts as delivered now.
func (q *queueRun) delivered(at time.Time) {
	if at.IsZero() {
		at = q.s.now()
	}
	q.markMu.Lock()
	if q.oldest.IsZero() || at.Before(q.oldest) {
		q.oldest = at
	}
	q.markMu.Unlock()
}

// busyMark ends a poll when busyMarkEvery has passed since the last end, with the oldest
// delivery time of the files emitted since as the watermark: the queue hands out files
// about in the order they were delivered, so what was delivered before it has been read
// (a file out of that order is still detected, as late, behind the allowed lateness).
func (q *queueRun) busyMark(ctx context.Context) error {
	now := q.s.now()
	q.markMu.Lock()
	if q.lastMark.IsZero() {
		q.lastMark = now
	}
	if now.Sub(q.lastMark) < busyMarkEvery || q.oldest.IsZero() {
		q.markMu.Unlock()
		return nil
	}
	wm := q.oldest
	q.lastMark, q.oldest = now, time.Time{}
	q.markMu.Unlock()
	return q.locked(ctx, source.Batch{Stream: "sqs", EndOfPoll: true, Watermark: wm})
}

// drained ends a poll: the queue was found empty, everything delivered has been read.
func (q *queueRun) drained(ctx context.Context) error {
	q.markMu.Lock()
	q.lastMark, q.oldest = q.s.now(), time.Time{}
	q.markMu.Unlock()
	return q.locked(ctx, source.Batch{Stream: "sqs", EndOfPoll: true})
}

// runQueue reads the bucket's ObjectCreated notifications: each message's objects are
// emitted, then the message is deleted — never before emit returned nil, so a crash
// redelivers it (the store dedupes by eventID). Visibility is extended while a message is
// being read.
func (s *Source) runQueue(ctx context.Context, emit source.Emit) error {
	q := &queueRun{s: s, emit: emit}
	g, ctx := errgroup.WithContext(ctx)
	for range s.cfg.Workers {
		g.Go(func() error { return q.worker(ctx) })
	}
	return g.Wait()
}

func (q *queueRun) worker(ctx context.Context) error {
	s := q.s
	vis := int32(s.cfg.VisibilityTimeout.D() / time.Second)
	for {
		before := q.receipts.Load()
		out, err := s.sqs.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
			QueueUrl: aws.String(s.cfg.QueueURL), MaxNumberOfMessages: 10, WaitTimeSeconds: 20, VisibilityTimeout: vis,
		})
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("cloudtrail: receive from %s: %w", s.cfg.QueueURL, classify(err))
		}
		if len(out.Messages) == 0 {
			if q.inFlight.Load() == 0 && q.receipts.Load() == before {
				if err := q.drained(ctx); err != nil {
					return err
				}
			}
			continue
		}
		q.inFlight.Add(int64(len(out.Messages)))
		q.receipts.Add(1)
		for i, m := range out.Messages {
			if err := q.message(ctx, m); err != nil {
				q.inFlight.Add(-int64(len(out.Messages) - i))
				return err
			}
			q.inFlight.Add(-1)
		}
		if err := q.busyMark(ctx); err != nil {
			return err
		}
	}
}

func (q *queueRun) locked(ctx context.Context, b source.Batch) error {
	q.emitMu.Lock()
	defer q.emitMu.Unlock()
	return q.emit(ctx, b)
}

// message reads every log file a message announces, emits each, and deletes the message.
// A message that is not a notification is left for the queue's redrive policy.
func (q *queueRun) message(ctx context.Context, m sqstypes.Message) error {
	s := q.s
	objs, err := notifiedObjects([]byte(aws.ToString(m.Body)))
	if err != nil {
		s.log.Warn("cloudtrail: message is not an S3 or CloudTrail notification; left for the dead-letter queue",
			"message_id", aws.ToString(m.MessageId), "error", err)
		return nil
	}
	stop := q.keepInvisible(ctx, m)
	defer stop()
	for _, o := range objs {
		if !logFile(o.key) {
			continue
		}
		obj, err := s.fetch(ctx, o.bucket, o.key)
		var nsk *types.NoSuchKey
		if errors.As(err, &nsk) {
			s.log.Warn("cloudtrail: notified object is gone (deleted before it was read)", "bucket", o.bucket, "key", o.key)
			continue
		}
		if err != nil {
			return err
		}
		s.report(obj)
		if err := q.locked(ctx, source.Batch{Stream: "s3://" + o.bucket, Records: obj.records, Available: obj.lastModified}); err != nil {
			return err
		}
		q.delivered(obj.lastModified)
	}
	stop()
	_, err = s.sqs.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(s.cfg.QueueURL), ReceiptHandle: m.ReceiptHandle})
	var ae smithy.APIError
	if errors.As(err, &ae) && ae.ErrorCode() == "ReceiptHandleIsInvalid" {
		// The visibility ran out and the message went to another reader, whose handle
		// is now the valid one: it will be deleted there (or redelivered and deduped).
		s.log.Warn("cloudtrail: message redelivered while it was read; its objects are stored, the other delivery deletes it",
			"message_id", aws.ToString(m.MessageId))
		return nil
	}
	if err != nil {
		return fmt.Errorf("cloudtrail: delete message %s: %w", aws.ToString(m.MessageId), classify(err))
	}
	return nil
}

// keepInvisible extends the message's visibility every heartbeat until stop is called, so
// a large object is not delivered to another worker while it is read. A failed extension
// is logged: the worst case is a duplicate delivery, which the store absorbs.
func (q *queueRun) keepInvisible(ctx context.Context, m sqstypes.Message) (stop func()) {
	s := q.s
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(s.heartbeat)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			_, err := s.sqs.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{
				QueueUrl: aws.String(s.cfg.QueueURL), ReceiptHandle: m.ReceiptHandle,
				VisibilityTimeout: int32(s.cfg.VisibilityTimeout.D() / time.Second),
			})
			if err != nil && ctx.Err() == nil {
				s.log.Warn("cloudtrail: extend message visibility", "message_id", aws.ToString(m.MessageId), "error", err)
			}
		}
	}()
	var once sync.Once
	return func() { once.Do(func() { cancel(); <-done }) }
}

type objectRef struct{ bucket, key string }

// notifiedObjects reads a message body: an S3 event notification, the same inside an SNS
// envelope, or CloudTrail's own SNS notification ({"s3Bucket":…,"s3ObjectKey":[…]}).
// S3's test event yields no object.
func notifiedObjects(body []byte) ([]objectRef, error) {
	var env struct {
		Type    string `json:"Type"`
		Message *string
		Event   string `json:"Event"`
		Records []struct {
			EventSource string `json:"eventSource"`
			EventName   string `json:"eventName"`
			S3          struct {
				Bucket struct{ Name string } `json:"bucket"`
				Object struct{ Key string }  `json:"object"`
			} `json:"s3"`
		}
		S3Bucket    string   `json:"s3Bucket"`
		S3ObjectKey []string `json:"s3ObjectKey"`
	}
	if err := json.Unmarshal(body, &env); err != nil {
		return nil, fmt.Errorf("message body: %w", err)
	}
	switch {
	case env.Type == "Notification" && env.Message != nil:
		return notifiedObjects([]byte(*env.Message))
	case env.Event == "s3:TestEvent":
		return nil, nil
	case env.S3Bucket != "":
		out := make([]objectRef, len(env.S3ObjectKey))
		for i, k := range env.S3ObjectKey {
			out[i] = objectRef{env.S3Bucket, k}
		}
		return out, nil
	case len(env.Records) > 0:
		var out []objectRef
		for _, r := range env.Records {
			if r.EventSource != "aws:s3" || len(r.EventName) < 13 || r.EventName[:13] != "ObjectCreated" {
				continue
			}
			key, err := url.QueryUnescape(r.S3.Object.Key) // S3 URL-encodes keys, spaces as +
			if err != nil {
				return nil, fmt.Errorf("object key %q: %w", r.S3.Object.Key, err)
			}
			out = append(out, objectRef{r.S3.Bucket.Name, key})
		}
		return out, nil
	}
	return nil, errors.New("neither an S3 event, an SNS envelope nor a CloudTrail notification")
}
