package cloudtrail

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vigil-sec/vigil/internal/sim"
	"github.com/vigil-sec/vigil/internal/source"
)

func s3Event(bucket, key string) string {
	b, _ := json.Marshal(map[string]any{"Records": []any{map[string]any{
		"eventVersion": "2.1", "eventSource": "aws:s3", "eventName": "ObjectCreated:Put", "awsRegion": "us-east-1",
		"s3": map[string]any{"bucket": map[string]any{"name": bucket}, "object": map[string]any{"key": url.QueryEscape(key), "size": 100}},
	}}})
	return string(b)
}

func snsEnvelope(msg string) string {
	b, _ := json.Marshal(map[string]any{"Type": "Notification", "MessageId": "x", "TopicArn": "arn:aws:sns:us-east-1:111122223333:ct", "Message": msg})
	return string(b)
}

func trailNotification(bucket, key string) string {
	b, _ := json.Marshal(map[string]any{"s3Bucket": bucket, "s3ObjectKey": []string{key}})
	return string(b)
}

func queueSetup(t *testing.T, f *fakeS3, q *fakeSQS) Config {
	cfg := f.config()
	cfg.Bucket, cfg.QueueURL, cfg.SQSEndpoint, cfg.Workers = "", q.queueURL(), q.srv.URL, 4
	return cfg
}

// TestQueueCollectsEveryNotifiedObject announces the simulator's trail through the three
// notification shapes, with S3's test event, a digest and a duplicate of every message:
// every record is emitted, at most twice (the store dedupes), and every message deleted.
func TestQueueCollectsEveryNotifiedObject(t *testing.T) {
	keys, files := simTrail(t)
	f, q := newFakeS3(t), newFakeSQS(t)
	q.duplicate = true
	q.send(`{"Service":"Amazon S3","Event":"s3:TestEvent","Time":"2026-10-31T00:00:00Z","Bucket":"trail-logs"}`)
	digest := "AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2026/10/31/111122223333_CloudTrail-Digest_us-east-1_t_us-east-1_20261031T000000Z.json.gz"
	f.put(t, digest, files[keys[0]])
	q.send(s3Event(testBucket, digest))
	for i, k := range keys {
		f.put(t, k, files[k])
		switch i % 3 {
		case 0:
			q.send(s3Event(testBucket, k))
		case 1:
			q.send(snsEnvelope(s3Event(testBucket, k)))
		default:
			q.send(trailNotification(testBucket, k))
		}
	}
	c := &collector{until: func() bool { return len(q.undeleted()) == 0 }}
	if err := c.run(t, newSource(t, queueSetup(t, f, q), nil), 1); err != nil {
		t.Fatal(err)
	}
	want, got := fileIDs(t, files, keys), c.eventIDs(t)
	for id, n := range want {
		if got[id] < n || got[id] > 2*n {
			t.Errorf("event %s emitted %d times, want %d or a redelivery's %d", id, got[id], n, 2*n)
		}
	}
	if len(got) != len(want) {
		t.Errorf("%d distinct events, want %d", len(got), len(want))
	}
	if f.getsOf(digest) != 0 {
		t.Error("the digest was read")
	}
}

// TestQueueMessageDeletedOnlyAfterStore fails the store on the first batch: the message
// stays on the queue and is collected by the next start.
func TestQueueMessageDeletedOnlyAfterStore(t *testing.T) {
	keys, files := simTrail(t)
	f, q := newFakeS3(t), newFakeSQS(t)
	f.put(t, keys[0], files[keys[0]])
	q.send(s3Event(testBucket, keys[0]))
	cfg := queueSetup(t, f, q)
	cfg.Workers = 1
	c := &collector{failAt: 1}
	if err := c.run(t, newSource(t, cfg, nil), 1); !errors.Is(err, errStoreDown) {
		t.Fatalf("Run = %v, want the store's error", err)
	}
	if n := len(q.undeleted()); n != 1 {
		t.Fatalf("%d messages left after a failed store, want 1", n)
	}
	q.expire()
	c.failAt, c.until = 0, func() bool { return len(q.undeleted()) == 0 }
	if err := c.run(t, newSource(t, cfg, nil), 1); err != nil {
		t.Fatal(err)
	}
	if got, want := len(c.eventIDs(t)), len(fileIDs(t, files, keys[:1])); got != want {
		t.Errorf("%d events after the restart, want %d", got, want)
	}
}

// TestQueueVisibilityExtendedWhileReading holds an object's GET until the collector has
// extended its message's visibility twice.
func TestQueueVisibilityExtendedWhileReading(t *testing.T) {
	keys, files := simTrail(t)
	f, q := newFakeS3(t), newFakeSQS(t)
	f.put(t, keys[0], files[keys[0]])
	q.send(snsEnvelope(s3Event(testBucket, keys[0])))
	held := make(chan bool, 1)
	f.beforeGet = func(string) {
		for n := 0; n < 2; n++ {
			select {
			case <-q.extended:
			case <-time.After(20 * time.Second):
				held <- false
				return
			}
		}
		held <- true
	}
	var logs bytes.Buffer
	src := newSource(t, queueSetup(t, f, q), slog.New(slog.NewTextHandler(&logs, nil)))
	src.heartbeat = time.Millisecond
	c := &collector{until: func() bool { return len(q.undeleted()) == 0 }}
	if err := c.run(t, src, 1); err != nil {
		t.Fatal(err)
	}
	if !<-held {
		t.Fatal("the visibility was not extended while the object was read")
	}
	if strings.Contains(logs.String(), "extend message visibility") {
		t.Errorf("an extension failed: %s", logs.String())
	}
}

func TestNotificationShapes(t *testing.T) {
	cases := map[string]int{
		s3Event("b", "AWSLogs/1/CloudTrail/us-east-1/2026/10/31/a b.json.gz"): 1,
		snsEnvelope(s3Event("b", "k")):                                        1,
		trailNotification("b", "k"):                                           1,
		`{"Service":"Amazon S3","Event":"s3:TestEvent"}`:                      0,
		`{"Records":[{"eventSource":"aws:s3","eventName":"ObjectRemoved:Delete","s3":{"bucket":{"name":"b"},"object":{"key":"k"}}}]}`: 0,
	}
	for body, n := range cases {
		objs, err := notifiedObjects([]byte(body))
		if err != nil || len(objs) != n {
			t.Errorf("%s: %v %v, want %d objects", body, objs, err, n)
		}
	}
	objs, _ := notifiedObjects([]byte(s3Event("b", "AWSLogs/1/x y+z.json.gz")))
	if objs[0].key != "AWSLogs/1/x y+z.json.gz" {
		t.Errorf("key %q: S3's URL encoding not undone", objs[0].key)
	}
	for _, bad := range []string{`not json`, `{"hello":1}`} {
		if _, err := notifiedObjects([]byte(bad)); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
}

// TestQueueVisibilityExpiresMidObject lets a message's visibility run out while its
// object is read (no extension): another worker gets it, both store its records, the
// first one's delete is refused (its receipt handle is stale) without ending Run, and the
// message is deleted by the second.
func TestQueueVisibilityExpiresMidObject(t *testing.T) {
	keys, files := simTrail(t)
	f, q := newFakeS3(t), newFakeSQS(t)
	q.latestOnly = true
	f.put(t, keys[0], files[keys[0]])
	q.send(s3Event(testBucket, keys[0]))
	var once sync.Once
	redelivered := make(chan struct{})
	f.beforeGet = func(string) {
		first := false
		once.Do(func() { first = true })
		if !first {
			close(redelivered)
			return
		}
		q.expire() // the first reader's visibility runs out now
		select {
		case <-redelivered: // hold the first GET until the second reader has the message
		case <-time.After(20 * time.Second):
		}
	}
	var logs bytes.Buffer
	src := newSource(t, queueSetup(t, f, q), slog.New(slog.NewTextHandler(&logs, nil)))
	src.heartbeat = time.Hour
	c := &collector{until: func() bool { return len(q.undeleted()) == 0 }}
	if err := c.run(t, src, 1); err != nil {
		t.Fatal(err)
	}
	want, got := fileIDs(t, files, keys[:1]), c.eventIDs(t)
	for id := range want {
		if got[id] != 2 {
			t.Errorf("event %s emitted %d times, want twice (once per delivery)", id, got[id])
		}
	}
	if f.getsOf(keys[0]) != 2 || !strings.Contains(logs.String(), "redelivered while it was read") {
		t.Errorf("%d GETs; log: %s", f.getsOf(keys[0]), logs.String())
	}
}

// TestBusyQueueStillEndsPolls: a queue that never runs empty (every file read announces
// another) still ends a poll every busyMarkEvery of the source's clock, with a watermark
// — else the ordered detections would wait for as long as the traffic lasts.
func TestBusyQueueStillEndsPolls(t *testing.T) {
	keys, files := simTrail(t)
	f, q := newFakeS3(t), newFakeSQS(t)
	for _, k := range keys[:5] {
		f.put(t, k, files[k])
		q.send(s3Event(testBucket, k))
	}
	cfg := queueSetup(t, f, q)
	cfg.Workers = 1
	var ticks atomic.Int64
	clock := func() time.Time { // 5 s pass at every look
		return sim.DefaultEnd().Add(time.Duration(ticks.Add(1)) * 5 * time.Second)
	}
	src, err := New(cfg, WithLogger(slog.New(slog.DiscardHandler)), WithClock(clock))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var read, marks, drained int
	var mark time.Time
	err = src.Run(ctx, nil, func(_ context.Context, b source.Batch) error {
		switch {
		case len(b.Records) > 0:
			read++
			q.send(s3Event(testBucket, keys[read%5])) // never empty
		case b.EndOfPoll && b.Watermark.IsZero():
			drained++
		case b.EndOfPoll:
			marks++
			mark = b.Watermark
			cancel()
		}
		return nil
	})
	if !errors.Is(err, context.Canceled) || marks == 0 {
		t.Fatalf("after %d files of a queue never empty: %d polls ended with a watermark, %d as drained (Run: %v)", read, marks, drained, err)
	}
	if drained != 0 || mark.IsZero() {
		t.Errorf("%d drained polls of a queue never empty; watermark %v", drained, mark)
	}
}
