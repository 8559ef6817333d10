package cloudtrail

import (
	"context"
	"testing"

	"github.com/vigil-sec/vigil/internal/source"
)

// BenchmarkListing measures one listing pass over the simulated trail (3 days, 20 users)
// in gofakes3 on loopback, through Run with an emit that stores nothing: discovery,
// listing, GETs with `workers` in flight, gunzip, checkpoints. It reports objects/s and
// events/s; the objects are CloudTrail's small 5-minute files.
func BenchmarkListing(b *testing.B) {
	keys, files := simTrail(b)
	f := newFakeS3(b)
	var bytes int
	for _, k := range keys {
		f.put(b, k, files[k])
		bytes += len(files[k])
	}
	events := 0
	for _, n := range fileIDs(b, files, keys) {
		events += n
	}
	cfg := f.config()
	for b.Loop() {
		src := newSource(b, cfg, nil)
		ctx, cancel := context.WithCancel(context.Background())
		objects := 0
		err := src.Run(ctx, nil, func(_ context.Context, bt source.Batch) error {
			if bt.EndOfPoll {
				cancel()
			} else {
				objects++
			}
			return nil
		})
		if ctx.Err() == nil || objects != len(keys) {
			b.Fatalf("Run = %v after %d objects, want %d", err, objects, len(keys))
		}
	}
	secs := b.Elapsed().Seconds()
	b.ReportMetric(float64(len(keys)*b.N)/secs, "objects/s")
	b.ReportMetric(float64(events*b.N)/secs, "events/s")
	b.ReportMetric(float64(bytes)/float64(len(keys)), "gz_bytes/object")
}

// BenchmarkQueue measures SQS mode over the same trail: one notification per object on
// the loopback SQS server, 8 workers, until the queue is drained.
func BenchmarkQueue(b *testing.B) {
	keys, files := simTrail(b)
	f := newFakeS3(b)
	for _, k := range keys {
		f.put(b, k, files[k])
	}
	events := 0
	for _, n := range fileIDs(b, files, keys) {
		events += n
	}
	for b.Loop() {
		b.StopTimer()
		q := newFakeSQS(b)
		for _, k := range keys {
			q.send(s3Event(testBucket, k))
		}
		cfg := f.config()
		cfg.Bucket, cfg.QueueURL, cfg.SQSEndpoint = "", q.queueURL(), q.srv.URL
		src := newSource(b, cfg, nil)
		ctx, cancel := context.WithCancel(context.Background())
		b.StartTimer()
		src.Run(ctx, nil, func(_ context.Context, bt source.Batch) error {
			if bt.EndOfPoll && len(q.undeleted()) == 0 {
				cancel()
			}
			return nil
		})
		if n := len(q.undeleted()); n != 0 {
			b.Fatalf("%d messages left", n)
		}
	}
	secs := b.Elapsed().Seconds()
	b.ReportMetric(float64(len(keys)*b.N)/secs, "objects/s")
	b.ReportMetric(float64(events*b.N)/secs, "events/s")
}
