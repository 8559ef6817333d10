package pipeline_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/vigil-sec/vigil/internal/config"
	"github.com/vigil-sec/vigil/internal/detect/behavior"
	"github.com/vigil-sec/vigil/internal/hunt"
	"github.com/vigil-sec/vigil/internal/normalize"
	"github.com/vigil-sec/vigil/internal/normalize/formats"
	"github.com/vigil-sec/vigil/internal/pipeline"
	"github.com/vigil-sec/vigil/internal/sim"
	"github.com/vigil-sec/vigil/internal/sim/emulate"
	"github.com/vigil-sec/vigil/internal/source"
	"github.com/vigil-sec/vigil/internal/source/cloudtrail"
	"github.com/vigil-sec/vigil/internal/source/eventhub"
	"github.com/vigil-sec/vigil/internal/store/sqlite"
)

// The collector benchmarks below are the daemon's path end to end for the two push-style
// feeds: an emulator on loopback serving the records (Event Hubs' Kafka endpoint over TLS
// with SASL, S3 and SQS over HTTP), the real collector, and the pipeline into a fresh
// SQLite store with the daemon's detection on — the built-in Sigma rules on arrival (in
// the behavioural context, as the daemon wires them) and in event-time order, and the
// behavioural baselines. Each run ends when every record is stored and the ordered
// detections have read them all (the watermark passed the newest event). Each reports
// events/s to that end and stored-events/s to the last event stored, CPU time per event
// (every thread, the emulator's too), the store's disk per event, and the heap:
// base-heap-MB is HeapInuse after a GC once the emulator holds its data (which grows with
// the volume, the pipeline's does not), peak-heap-MB the highest HeapInuse sampled during
// the run. Two volumes each, to show the pipeline's memory flat in the volume.

// The collectors' clock: an hour after the simulated period, so every record is history.
func benchClock() *emulate.Accelerated {
	return emulate.NewAccelerated(sim.DefaultEnd().Add(time.Hour), 1)
}

// collectResult is what one end-to-end run measured.
type collectResult struct {
	events             int
	elapsed, cpu       time.Duration
	storedAt           time.Duration // when the last event was stored
	baseHeap, peakHeap uint64
	disk               int64 // bytes on disk (per event in collectTotals)
}

// collectTotals sums the runs of a benchmark and reports them.
type collectTotals struct {
	events, objects    int
	elapsed, cpu       time.Duration
	stored             time.Duration
	baseHeap, peakHeap uint64
	disk               int64
}

func (t *collectTotals) add(r collectResult, objects int) {
	t.events += r.events
	t.objects += objects
	t.elapsed += r.elapsed
	t.stored += r.storedAt
	t.cpu += r.cpu
	t.baseHeap = max(t.baseHeap, r.baseHeap)
	t.peakHeap = max(t.peakHeap, r.peakHeap)
	t.disk = r.disk / int64(max(r.events, 1))
}

func (t *collectTotals) report(b *testing.B) {
	secs := t.elapsed.Seconds()
	b.ReportMetric(float64(t.events)/secs, "events/s")
	if t.objects > 0 {
		b.ReportMetric(float64(t.objects)/secs, "objects/s")
	}
	b.ReportMetric(float64(t.events)/t.stored.Seconds(), "stored-events/s")
	b.ReportMetric(float64(t.cpu.Microseconds())/float64(max(t.events, 1)), "cpu-µs/event")
	b.ReportMetric(float64(t.disk), "disk-B/event")
	b.ReportMetric(float64(t.baseHeap)/(1<<20), "base-heap-MB")
	b.ReportMetric(float64(t.peakHeap)/(1<<20), "peak-heap-MB")
}

// runCollect runs the pipeline over srcs into a fresh store until want new events are
// stored and the watermark has passed last, the newest event's time.
func runCollect(b *testing.B, srcs []source.Source, clock func() time.Time, want int, last time.Time) collectResult {
	b.Helper()
	dir := b.TempDir()
	st, err := sqlite.Open(context.Background(), dir)
	if err != nil {
		b.Fatal(err)
	}
	rs, _ := hunt.LoadRules(hunt.Options{})
	bd := behavior.New(behavior.DefaultConfig())
	p, err := pipeline.New(pipeline.Options{
		Config: pipeline.DefaultConfig(), Store: st, Normalizer: normalize.New(formats.All()...), Sources: srcs,
		Arrival: bd.InContext(rs.ArrivalDetector()), Ordered: rs.OrderedDetector(), Baseline: bd, Clock: clock,
	})
	if err != nil {
		b.Fatal(err)
	}
	newEvents := func() int {
		n := 0
		for _, s := range p.Health().Sources(clock()) {
			n += s.New
		}
		return n
	}
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	res := collectResult{baseHeap: ms.HeapInuse}
	peak, stopSampling := sampleHeap()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	b.StartTimer()
	cpu := cpuTime(b)
	start := time.Now()
	go func() { done <- p.Run(ctx) }()
	deadline := time.After(5 * time.Minute)
	for newEvents() < want || p.Health().Watermark().Before(last) {
		if res.storedAt == 0 && newEvents() >= want {
			res.storedAt = time.Since(start)
		}
		select {
		case err := <-done:
			b.Fatalf("pipeline ended early (%v) with %d of %d events", err, newEvents(), want)
		case <-deadline:
			b.Fatalf("5 minutes: %d of %d events stored, watermark %s, want past %s", newEvents(), want, p.Health().Watermark(), last)
		case <-time.After(5 * time.Millisecond):
		}
	}
	res.elapsed = time.Since(start)
	cpu.pause()
	res.cpu = cpu.used
	b.StopTimer()
	res.events = newEvents()
	stopSampling()
	res.peakHeap = *peak
	cancel()
	if err := <-done; err != nil {
		b.Fatal(err)
	}
	if err := st.Close(); err != nil {
		b.Fatal(err)
	}
	res.disk = dirSize(b, dir)
	return res
}

// sampleHeap samples HeapInuse every 20 ms until stop is called; *peak is the highest.
func sampleHeap() (peak *uint64, stop func()) {
	peak = new(uint64)
	quit, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			*peak = max(*peak, ms.HeapInuse)
			select {
			case <-quit:
				return
			case <-t.C:
			}
		}
	}()
	return peak, func() { close(quit); <-done }
}

// simRecords is a simulated tenant's records of the given kind, time-ordered.
func simRecords(b *testing.B, users, days int, kind sim.Kind) []sim.Record {
	b.Helper()
	s, err := sim.New(sim.Config{Seed: 3, Users: users, Days: days})
	if err != nil {
		b.Fatal(err)
	}
	recs, err := s.Records(context.Background(), kind)
	if err != nil {
		b.Fatal(err)
	}
	return recs
}

// distinct is how many records of recs have distinct ids: the events the store keeps.
func distinct(recs []sim.Record) int {
	ids := make(map[string]bool, len(recs))
	for _, r := range recs {
		ids[r.ID] = true
	}
	return len(ids)
}

func newest(recs []sim.Record) time.Time {
	var t time.Time
	for _, r := range recs {
		if r.Time.After(t) {
			t = r.Time
		}
	}
	return t
}

// BenchmarkCollectEventHubs: Azure Monitor's sign-in diagnostic records, 100 a body as
// diagnostic settings send them, in the Event Hubs emulator (4 partitions), read by the
// eventhub collector from the earliest offset.
func BenchmarkCollectEventHubs(b *testing.B) {
	for _, users := range []int{300, 1000} {
		b.Run(fmt.Sprintf("users=%d", users), func(b *testing.B) {
			var tot collectTotals
			for range b.N {
				b.StopTimer()
				recs := simRecords(b, users, 7, sim.KindEventHub)
				want, last := len(recs), newest(recs)
				clock := benchClock()
				src, closeHubs := eventHubsSource(b, recs, clock.Now)
				recs = nil
				tot.add(runCollect(b, []source.Source{src}, clock.Now, want, last), 0)
				closeHubs()
			}
			tot.report(b)
		})
	}
}

// eventHubsSource starts the Event Hubs emulator with recs in bodies of 100 and returns
// an eventhub collector configured for it as a user configures one for a namespace.
func eventHubsSource(b *testing.B, recs []sim.Record, clock func() time.Time) (source.Source, func()) {
	b.Helper()
	hubs, err := emulate.NewEventHubs(emulate.EventHubsOptions{})
	if err != nil {
		b.Fatal(err)
	}
	bodies, err := emulate.HubBodies(recs, 100)
	if err != nil {
		b.Fatal(err)
	}
	for i := 0; i < len(bodies); i += 200 {
		if err := hubs.Produce(context.Background(), clock(), bodies[i:min(i+200, len(bodies))]...); err != nil {
			b.Fatal(err)
		}
	}
	caFile := filepath.Join(b.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, hubs.CertPEM(), 0o600); err != nil {
		b.Fatal(err)
	}
	hc := eventhub.DefaultConfig()
	hc.Name, hc.ConnectionString, hc.CAFile = "azure-eventhub", config.Secret(hubs.ConnectionString()), caFile
	hc.MaxWait = config.Duration(250 * time.Millisecond)
	src, err := eventhub.New(hc, eventhub.WithDialer(hubs.Dial), eventhub.WithClock(clock), eventhub.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		b.Fatal(err)
	}
	return src, hubs.Close
}

// trailCopies is the simulated tenant's CloudTrail week (300 users) copies times over,
// each copy a second later than the one before and with eventIDs of its own (the
// original's with a suffix), so every
// copy is new to the store and each 5-minute log file holds copies times the records:
// the trail of a busier organisation without the minutes of simulating one.
func trailCopies(b *testing.B, copies int) []sim.Record {
	b.Helper()
	week := trailWeek(b)
	out := make([]sim.Record, 0, copies*len(week))
	for _, r := range week {
		out = append(out, r)
		for k := 1; k < copies; k++ {
			c := r
			c.Time = r.Time.Add(time.Duration(k) * time.Second)
			c.JSON = rewriteField(b, r.JSON, "eventTime", c.Time.UTC().Format("2006-01-02T15:04:05Z"))
			c.ID = fmt.Sprintf("%s-c%02d", r.ID, k)
			c.JSON = rewriteField(b, c.JSON, "eventID", c.ID)
			out = append(out, c)
		}
	}
	return out
}

var trailWeekOnce = sync.OnceValues(func() ([]sim.Record, error) {
	s, err := sim.New(sim.Config{Seed: 3, Users: 300, Days: 7})
	if err != nil {
		return nil, err
	}
	var recs []sim.Record
	_, err = s.Run(context.Background(), func(r sim.Record) error {
		if r.Kind == sim.KindCloudTrail {
			recs = append(recs, r)
		}
		return nil
	})
	return recs, err
})

func trailWeek(b *testing.B) []sim.Record {
	b.Helper()
	recs, err := trailWeekOnce()
	if err != nil {
		b.Fatal(err)
	}
	return recs
}

// rewriteField replaces the value of the top-level string field key in a compact JSON
// object (the simulator's records) with v.
func rewriteField(b *testing.B, rec []byte, key, v string) []byte {
	b.Helper()
	pre := []byte(`"` + key + `":"`)
	i := bytes.Index(rec, pre)
	if i < 0 {
		b.Fatalf("no %s in %s", key, rec)
	}
	start := i + len(pre)
	end := bytes.IndexByte(rec[start:], '"')
	if end < 0 {
		b.Fatalf("unterminated %s in %s", key, rec)
	}
	out := make([]byte, 0, len(rec)+len(v))
	out = append(append(append(out, rec[:start]...), v...), rec[start+end:]...)
	return out
}

const (
	benchBucket = "vigil-bench-trail"
	benchQueue  = "vigil-bench-cloudtrail"
)

// trailFeed is the S3 emulator holding a trail's log files, with the SQS emulator its
// notifications go to.
type trailFeed struct {
	s3  *emulate.S3
	sqs *emulate.SQS
}

// newTrailFeed puts objs in the S3 emulator (notifying the queue) at the clock's time.
func newTrailFeed(b *testing.B, objs []emulate.TrailObject, clock emulate.Clock) *trailFeed {
	b.Helper()
	// SQS mode's watermark moves when a receive comes back empty: a long poll's wait,
	// 20 s on SQS, ends each run; half a second here, so the run measures the work.
	f := &trailFeed{sqs: emulate.NewSQS(emulate.SQSOptions{Queues: []string{benchQueue}, MaxWait: 500 * time.Millisecond})}
	var err error
	if f.s3, err = emulate.NewS3(emulate.S3Options{Clock: clock, Buckets: []string{benchBucket}}); err != nil {
		b.Fatal(err)
	}
	f.s3.NotifyTo(benchBucket, f.sqs, benchQueue)
	for _, o := range objs {
		if err := f.s3.Put(benchBucket, o.Key, o.Body); err != nil {
			b.Fatal(err)
		}
	}
	return f
}

func (f *trailFeed) close() { f.s3.Close(); f.sqs.Close() }

// source is a cloudtrail collector for the feed: listing the bucket, or (queue) reading
// the notifications; backfill covers the records.
func (f *trailFeed) source(b *testing.B, queue bool, backfill time.Duration, clock func() time.Time) source.Source {
	b.Helper()
	cc := cloudtrail.DefaultConfig()
	cc.Name, cc.Endpoint, cc.Region, cc.PathStyle = "aws-cloudtrail", f.s3.URL(), "us-east-1", true
	cc.AccessKeyID, cc.SecretAccessKey = "AKIAVIGILBENCH000000", config.Secret("bench-secret-not-real")
	cc.TrailCheck, cc.Backfill = false, config.Duration(backfill)
	if queue {
		cc.QueueURL, cc.SQSEndpoint = f.sqs.QueueURL(benchQueue), f.sqs.URL()
		cc.VisibilityTimeout = config.Duration(30 * time.Second)
	} else {
		cc.Bucket = benchBucket
	}
	src, err := cloudtrail.New(cc, cloudtrail.WithClock(clock), cloudtrail.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		b.Fatal(err)
	}
	return src
}

// BenchmarkCollectCloudTrail: CloudTrail log files as a trail delivers them (one object
// per account, region and 5 minutes, gzipped), in the S3 emulator, read by the cloudtrail
// collector listing the bucket or from the bucket's notifications on the SQS emulator.
// The volumes are the simulated tenant's trail week 8 and 32 times over (about 50,000
// and 200,000 events, 25 and 100 records a file; the simulated tenant's own files hold 3).
func BenchmarkCollectCloudTrail(b *testing.B) {
	for _, mode := range []string{"listing", "sqs"} {
		for _, copies := range []int{8, 32} {
			b.Run(fmt.Sprintf("mode=%s/copies=%d", mode, copies), func(b *testing.B) {
				var tot collectTotals
				for range b.N {
					b.StopTimer()
					recs := trailCopies(b, copies)
					objs, err := emulate.TrailObjects(recs, 3)
					if err != nil {
						b.Fatal(err)
					}
					tot.add(collectTrail(b, mode == "sqs", recs, objs, 8*24*time.Hour), len(objs))
				}
				tot.report(b)
			})
		}
	}
}

// BenchmarkCollectSmallObjects is the case Filebeat's aws-s3 input is slow at (measured
// at ~29 objects/s): many small S3 objects, 1 to 5 records each — a quiet account's
// 5-minute files, or a bucket of per-event objects — the simulated tenant's CloudTrail
// week in about 2,100 objects.
func BenchmarkCollectSmallObjects(b *testing.B) {
	for _, mode := range []string{"listing", "sqs"} {
		b.Run("mode="+mode, func(b *testing.B) {
			var tot collectTotals
			for range b.N {
				b.StopTimer()
				recs := trailWeek(b)
				objs := smallObjects(b, recs)
				tot.add(collectTrail(b, mode == "sqs", recs, objs, 8*24*time.Hour), len(objs))
			}
			tot.report(b)
		})
	}
}

func collectTrail(b *testing.B, queue bool, recs []sim.Record, objs []emulate.TrailObject, backfill time.Duration) collectResult {
	b.Helper()
	want, last := distinct(recs), newest(recs)
	clock := benchClock()
	f := newTrailFeed(b, objs, clock)
	defer f.close()
	return runCollect(b, []source.Source{f.source(b, queue, backfill, clock.Now)}, clock.Now, want, last)
}

// smallObjects lays recs out as log files of 1 to 5 records each, keyed in the trail's
// layout by the first record's 5-minute window.
func smallObjects(b *testing.B, recs []sim.Record) []emulate.TrailObject {
	b.Helper()
	sorted := append([]sim.Record(nil), recs...)
	sort.SliceStable(sorted, func(i, j int) bool {
		if sorted[i].Scope != sorted[j].Scope {
			return sorted[i].Scope < sorted[j].Scope
		}
		if sorted[i].Region != sorted[j].Region {
			return sorted[i].Region < sorted[j].Region
		}
		return sorted[i].Time.Before(sorted[j].Time)
	})
	var objs []emulate.TrailObject
	for i, n := 0, 0; i < len(sorted); n++ {
		// 1 to 5 records, of one account and region.
		j := i + 1
		for j < len(sorted) && j-i < 1+n%5 && sorted[j].Scope == sorted[i].Scope && sorted[j].Region == sorted[i].Region {
			j++
		}
		group := sorted[i:j]
		i = j
		body, err := emulate.TrailFile(group)
		if err != nil {
			b.Fatal(err)
		}
		r := group[0]
		objs = append(objs, emulate.TrailObject{
			Key:  emulate.TrailKey(r.Scope, r.Region, r.Time.Truncate(5*time.Minute), fmt.Sprintf("%016d", n)),
			Body: body,
		})
	}
	return objs
}
