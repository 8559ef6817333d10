package cloudtrail

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/vigil-sec/vigil/internal/sim"

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

// BenchmarkListingLargeFiles is BenchmarkListing with files the size a busy account's
// 5-minute files reach: 500 records each (the simulator's records reused), 100 files.
func BenchmarkListingLargeFiles(b *testing.B) {
	keys, files := simTrail(b)
	var recs []json.RawMessage
	for _, k := range keys {
		doc, err := gunzip(files[k])
		if err != nil {
			b.Fatal(err)
		}
		var d struct{ Records []json.RawMessage }
		if err := json.Unmarshal(doc, &d); err != nil {
			b.Fatal(err)
		}
		recs = append(recs, d.Records...)
	}
	f := newFakeS3(b)
	const objects, per = 100, 500
	for i := range objects {
		out := make([]json.RawMessage, per)
		for j := range out {
			out[j] = recs[(i*per+j)%len(recs)]
		}
		doc, _ := json.Marshal(map[string]any{"Records": out})
		var gz bytes.Buffer
		zw := gzip.NewWriter(&gz)
		zw.Write(doc)
		zw.Close()
		t := sim.DefaultEnd().Add(-time.Duration(objects-i) * 5 * time.Minute)
		f.put(b, fmt.Sprintf("AWSLogs/111122223333/CloudTrail/us-east-1/%s/111122223333_CloudTrail_us-east-1_%sZ_%016d.json.gz",
			t.Format("2006/01/02"), t.Format("20060102T1504"), i), gz.Bytes())
	}
	for b.Loop() {
		src := newSource(b, f.config(), nil)
		ctx, cancel := context.WithCancel(context.Background())
		n := 0
		src.Run(ctx, nil, func(_ context.Context, bt source.Batch) error {
			if bt.EndOfPoll {
				cancel()
			} else {
				n++
			}
			return nil
		})
		if n != objects {
			b.Fatalf("%d objects, want %d", n, objects)
		}
	}
	secs := b.Elapsed().Seconds()
	b.ReportMetric(float64(objects*b.N)/secs, "objects/s")
	b.ReportMetric(float64(objects*per*b.N)/secs, "events/s")
}
