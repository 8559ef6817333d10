package cloudtrail

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/vigil-sec/vigil/internal/config"
	"github.com/vigil-sec/vigil/internal/sim"
	"github.com/vigil-sec/vigil/internal/source"
)

const testBucket = "trail-logs"

// fakeS3 is gofakes3 on loopback with fault switches: the next slowDown requests are
// answered 503 SlowDown, and every GET of an object is counted by key.
type fakeS3 struct {
	srv      *httptest.Server
	backend  *s3mem.Backend
	clock    gofakes3.TimeSourceAdvancer // the objects' LastModified
	slowDown atomic.Int32
	// slowEvery, when positive, answers every slowEvery-th request 503 SlowDown.
	slowEvery int64
	served    atomic.Int64

	mu       sync.Mutex
	gets     map[string]int
	requests []string // "METHOD path?query" of every request
	auth     []string // the Authorization and session token of every request
	// beforeGet, when set, runs before each GET of an object is answered.
	beforeGet func(key string)
}

func newFakeS3(t testing.TB) *fakeS3 {
	t.Helper()
	f := &fakeS3{clock: gofakes3.FixedTimeSource(sim.DefaultEnd()), gets: map[string]int{}}
	f.backend = s3mem.New(s3mem.WithTimeSource(f.clock))
	h := gofakes3.New(f.backend, gofakes3.WithTimeSkewLimit(0)).Server()
	f.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := f.served.Add(1)
		if f.slowDown.Add(-1) >= 0 || (f.slowEvery > 0 && n%f.slowEvery == 0) {
			w.Header().Set("Content-Type", "application/xml")
			w.WriteHeader(http.StatusServiceUnavailable)
			w.Write([]byte(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>`))
			return
		}
		f.mu.Lock()
		f.requests = append(f.requests, r.Method+" "+r.URL.RequestURI())
		f.auth = append(f.auth, r.Header.Get("Authorization")+" token="+r.Header.Get("X-Amz-Security-Token"))
		f.mu.Unlock()
		if r.Method == http.MethodGet && r.URL.Query().Get("list-type") == "" && strings.Count(r.URL.Path, "/") > 1 {
			f.mu.Lock()
			key := strings.TrimPrefix(r.URL.Path, "/"+testBucket+"/")
			f.gets[key]++
			hook := f.beforeGet
			f.mu.Unlock()
			if hook != nil {
				hook(key)
			}
		}
		h.ServeHTTP(w, r)
	}))
	// gofakes3 writes a second header when a client hangs up mid-GET (a cancelled
	// prefetch); net/http's complaint about it is noise here.
	f.srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	f.srv.Start()
	t.Cleanup(f.srv.Close)
	if err := f.backend.CreateBucket(testBucket); err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *fakeS3) put(t testing.TB, key string, body []byte) {
	t.Helper()
	if _, err := f.backend.PutObject(testBucket, key, map[string]string{}, bytes.NewReader(body), int64(len(body)), nil); err != nil {
		t.Fatalf("put %s: %v", key, err)
	}
}

func (f *fakeS3) exists(key string) bool {
	_, err := f.backend.HeadObject(testBucket, key)
	return err == nil
}

func (f *fakeS3) getsOf(key string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.gets[key]
}

func (f *fakeS3) config() Config {
	c := DefaultConfig()
	c.Name, c.Bucket, c.Endpoint, c.PathStyle, c.Region = "ct", testBucket, f.srv.URL, true, "us-east-1"
	c.AccessKeyID, c.SecretAccessKey = "AKIDTEST", "test-secret"
	c.PollInterval = config.Duration(time.Millisecond)
	c.Backfill = config.Duration(30 * 24 * time.Hour)
	// The trail check's tests (trail_test.go) turn it on against the CloudTrail emulator;
	// here it would call the real CloudTrail API.
	c.TrailCheck = false
	return c
}

type simulatedTrail struct {
	keys  []string
	files map[string][]byte
	err   error
}

// trailOnce is the simulated trail every test reads (simulating takes seconds).
var trailOnce = sync.OnceValue(func() simulatedTrail {
	dir, err := os.MkdirTemp("", "cloudtrail-sim")
	if err != nil {
		return simulatedTrail{err: err}
	}
	defer os.RemoveAll(dir)
	keys, files, err := writeTrail(dir, 5, 20, 3)
	return simulatedTrail{keys, files, err}
})

// simTrail is the simulator's CloudTrail objects by key, and their keys in order.
func simTrail(t testing.TB) ([]string, map[string][]byte) {
	t.Helper()
	tr := trailOnce()
	if tr.err != nil {
		t.Fatal(tr.err)
	}
	return slices.Clone(tr.keys), tr.files
}

func writeTrail(dir string, seed uint64, users, days int) ([]string, map[string][]byte, error) {
	s, err := sim.New(sim.Config{Seed: seed, Users: users, Days: days})
	if err != nil {
		return nil, nil, err
	}
	w := sim.NewWriter(dir, seed)
	if _, err := s.Run(context.Background(), w.Write); err != nil {
		return nil, nil, err
	}
	if err := w.Flush(); err != nil {
		return nil, nil, err
	}
	files := map[string][]byte{}
	var keys []string
	root := filepath.Join(dir, "AWSLogs")
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		key := filepath.ToSlash(rel)
		files[key] = b
		keys = append(keys, key)
		return err
	})
	sort.Strings(keys)
	return keys, files, err
}

// collector stands in for the pipeline's store: it keeps every batch and the last
// checkpoint, and ends Run after a number of completed polls.
type collector struct {
	mu         sync.Mutex
	batches    []source.Batch
	checkpoint []byte
	polls      int
	// failAt, when positive, fails that batch (counted from the first) like a store
	// that is down: the batch and its checkpoint are not kept.
	failAt int
	seen   int
	// until, when set, must hold for an EndOfPoll to count.
	until func() bool
}

var errStoreDown = errors.New("store down")

// run runs src from the collector's checkpoint until it completed polls more polls or
// failed; it returns Run's error when that was not the collector's stop.
func (c *collector) run(t testing.TB, src source.Source, polls int) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	stopAt := c.polls + polls
	err := src.Run(ctx, c.checkpoint, func(_ context.Context, b source.Batch) error {
		c.mu.Lock()
		defer c.mu.Unlock()
		if c.seen++; c.seen == c.failAt {
			return errStoreDown
		}
		c.batches = append(c.batches, b)
		if b.Checkpoint != nil {
			c.checkpoint = b.Checkpoint
		}
		if b.EndOfPoll && (c.until == nil || c.until()) {
			c.polls++
			if c.polls >= stopAt {
				cancel()
			}
		}
		return nil
	})
	if c.polls >= stopAt && errors.Is(err, context.Canceled) {
		return nil
	}
	if ctx.Err() == context.DeadlineExceeded {
		t.Fatal("Run did not finish its polls within a minute")
	}
	return err
}

// eventIDs counts each eventID in the batches' {"Records":[…]} documents or records.
func (c *collector) eventIDs(t testing.TB) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, b := range c.batches {
		for _, r := range b.Records {
			for _, id := range idsOf(t, r) {
				out[id]++
			}
		}
	}
	return out
}

func idsOf(t testing.TB, doc []byte) []string {
	var d struct {
		Records []struct {
			EventID string `json:"eventID"`
		}
		EventID string `json:"eventID"`
	}
	if err := json.Unmarshal(doc, &d); err != nil {
		t.Fatalf("emitted record is not JSON: %v", err)
	}
	if d.EventID != "" {
		return []string{d.EventID}
	}
	var ids []string
	for _, r := range d.Records {
		ids = append(ids, r.EventID)
	}
	return ids
}

// fileIDs are the eventIDs of gzipped log files.
func fileIDs(t testing.TB, files map[string][]byte, keys []string) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, k := range keys {
		doc, err := gunzip(files[k])
		if err != nil {
			t.Fatal(err)
		}
		for _, id := range idsOf(t, doc) {
			out[id]++
		}
	}
	return out
}

func newSource(t testing.TB, cfg Config, log *slog.Logger) *Source {
	t.Helper()
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s, err := New(cfg, WithLogger(log), WithClock(func() time.Time { return sim.DefaultEnd().Add(time.Hour) }))
	if err != nil {
		t.Fatal(err)
	}
	return s
}
