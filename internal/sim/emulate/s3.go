package emulate

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/vigil-sec/vigil/internal/sim"
)

// S3Options configure an S3 emulator.
type S3Options struct {
	// Clock stamps the objects' LastModified and the notifications' eventTime (default:
	// the wall clock).
	Clock Clock
	// Buckets are created at the start.
	Buckets []string
	// Region is the notifications' awsRegion (default us-east-1).
	Region string
}

// S3 is an S3-compatible object store on loopback (gofakes3 over an in-memory backend,
// path-style addressing) that sends ObjectCreated event notifications to an SQS emulator,
// as a bucket's notification configuration does, with fault switches: 503 SlowDown
// answers, objects stored with their gzip stream cut short, and whole objects served cut
// short once.
type S3 struct {
	o       S3Options
	backend *s3mem.Backend
	srv     *httptest.Server

	slowDown  atomic.Int64 // the next n requests are answered 503 SlowDown
	slowEvery atomic.Int64 // every n-th request is answered 503 SlowDown
	truncate  atomic.Int64 // the next n objects put are stored cut in half
	cutReads  atomic.Int64 // the next n gzip objects read are served cut in half once
	requests  atomic.Int64
	cut       atomic.Int64
	slowed    atomic.Int64
	gets      atomic.Int64

	mu        sync.Mutex
	notify    map[string][]notifyTarget // by bucket
	truncated []string                  // the keys stored cut short
	cutKeys   map[string]bool           // the objects (by path) a read was cut of
	sequencer int64
}

type notifyTarget struct {
	q     *SQS
	queue string
}

// clockTime adapts a Clock to gofakes3's time source.
type clockTime struct{ c Clock }

func (t clockTime) Now() time.Time                   { return t.c.Now() }
func (t clockTime) Since(at time.Time) time.Duration { return t.c.Now().Sub(at) }

// NewS3 starts the store.
func NewS3(o S3Options) (*S3, error) {
	if o.Clock == nil {
		o.Clock = wallClock{}
	}
	if o.Region == "" {
		o.Region = "us-east-1"
	}
	s := &S3{o: o, notify: map[string][]notifyTarget{}}
	s.backend = s3mem.New(s3mem.WithTimeSource(clockTime{o.Clock}))
	for _, b := range o.Buckets {
		if err := s.backend.CreateBucket(b); err != nil {
			return nil, fmt.Errorf("emulate: s3: create bucket %s: %w", b, err)
		}
	}
	h := gofakes3.New(s.backend, gofakes3.WithTimeSkewLimit(0), gofakes3.WithTimeSource(clockTime{o.Clock})).Server()
	s.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { s.serve(h, w, r) }))
	// gofakes3 writes a second header when a client hangs up mid-GET; net/http's
	// complaint about it is noise.
	s.srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	s.srv.Start()
	return s, nil
}

func (s *S3) serve(h http.Handler, w http.ResponseWriter, r *http.Request) {
	n := s.requests.Add(1)
	if every := s.slowEvery.Load(); s.slowDown.Add(-1) >= 0 || (every > 0 && n%every == 0) {
		s.slowed.Add(1)
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(http.StatusServiceUnavailable)
		io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>`)
		return
	}
	bucket, key, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	if r.Method == http.MethodGet && key != "" && r.URL.Query().Get("list-type") == "" {
		s.gets.Add(1)
		s.read(bucket, key)
		if s.cutReads.Load() > 0 {
			s.serveCut(h, w, r)
			return
		}
	}
	if r.Method != http.MethodPut || key == "" || r.URL.Query().Has("partNumber") {
		h.ServeHTTP(w, r)
		return
	}
	rec := &statusWriter{ResponseWriter: w, status: http.StatusOK}
	h.ServeHTTP(rec, r)
	if rec.status == http.StatusOK {
		if obj, err := s.backend.HeadObject(bucket, key); err == nil {
			s.created(bucket, key, obj.Size, obj.Hash)
		}
	}
}

// serveCut answers a GET through a buffer: a gzip object's body is cut in half, with a
// Content-Length to match, while the cut-read fault lasts.
func (s *S3) serveCut(h http.Handler, w http.ResponseWriter, r *http.Request) {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	body := rec.Body.Bytes()
	if rec.Code == http.StatusOK && len(body) > 2 && body[0] == 0x1f && body[1] == 0x8b && s.cutOnce(r.URL.Path) {
		body = body[:len(body)/2]
		s.cut.Add(1)
	}
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(rec.Code)
	w.Write(body)
}

// cutOnce takes one cut read for the object at path, unless it was cut before.
func (s *S3) cutOnce(path string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cutKeys[path] || s.cutReads.Load() <= 0 {
		return false
	}
	s.cutReads.Add(-1)
	if s.cutKeys == nil {
		s.cutKeys = map[string]bool{}
	}
	s.cutKeys[path] = true
	return true
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) { w.status = code; w.ResponseWriter.WriteHeader(code) }

// URL is the endpoint (path-style: URL/bucket/key).
func (s *S3) URL() string { return s.srv.URL }

// Close stops the store.
func (s *S3) Close() { s.srv.Close() }

// NotifyTo sends bucket's ObjectCreated notifications to queue on q (and tells q when
// an object is read, for its visibility-expiry fault).
func (s *S3) NotifyTo(bucket string, q *SQS, queue string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.notify[bucket] = append(s.notify[bucket], notifyTarget{q, queue})
}

// Put stores an object, as a delivery by CloudTrail does, and notifies. With the
// truncation fault on, a gzip object is stored cut in half.
func (s *S3) Put(bucket, key string, body []byte) error {
	if len(body) > 2 && body[0] == 0x1f && body[1] == 0x8b && s.truncate.Add(-1) >= 0 {
		body = body[:len(body)/2]
		s.mu.Lock()
		s.truncated = append(s.truncated, key)
		s.mu.Unlock()
	}
	_, err := s.backend.PutObject(bucket, key, map[string]string{"Content-Type": "application/x-gzip"}, bytes.NewReader(body), int64(len(body)), nil)
	if err != nil {
		return fmt.Errorf("emulate: s3: put s3://%s/%s: %w", bucket, key, err)
	}
	s.created(bucket, key, int64(len(body)), nil)
	return nil
}

// Delete removes an object.
func (s *S3) Delete(bucket, key string) error {
	if _, err := s.backend.DeleteObject(bucket, key); err != nil {
		return fmt.Errorf("emulate: s3: delete s3://%s/%s: %w", bucket, key, err)
	}
	return nil
}

// Exists says whether an object is stored.
func (s *S3) Exists(bucket, key string) bool {
	_, err := s.backend.HeadObject(bucket, key)
	return err == nil
}

// SetSlowDown answers the next n requests 503 SlowDown.
func (s *S3) SetSlowDown(n int) { s.slowDown.Store(int64(n)) }

// SetSlowDownEvery answers every n-th request 503 SlowDown (0: off).
func (s *S3) SetSlowDownEvery(n int) { s.slowEvery.Store(int64(n)) }

// SetTruncate stores the next n gzip objects Put cut in half (as a partial upload would
// leave them): their readable records must be kept and the cut reported.
func (s *S3) SetTruncate(n int) { s.truncate.Store(int64(n)) }

// SetTruncateReads answers one GET of each of the next n gzip objects read (objects not
// cut before) with the first half of the body and a Content-Length to match (a gateway or
// cache that lost the end: the client sees a well-framed, shorter body). The object stays
// whole: the next read gets it all.
func (s *S3) SetTruncateReads(n int) { s.cutReads.Store(int64(n)) }

// Truncated are the keys stored cut short.
func (s *S3) Truncated() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.truncated...)
}

// S3Stats are what the store did.
type S3Stats struct{ Requests, SlowDowns, Gets, TruncatedReads int64 }

// Stats are the counts so far.
func (s *S3) Stats() S3Stats {
	return S3Stats{Requests: s.requests.Load(), SlowDowns: s.slowed.Load(), Gets: s.gets.Load(), TruncatedReads: s.cut.Load()}
}

func (s *S3) read(bucket, key string) {
	s.mu.Lock()
	targets := s.notify[bucket]
	s.mu.Unlock()
	for _, t := range targets {
		t.q.objectRead(key)
	}
}

// created sends the ObjectCreated:Put notification of an object, as S3 does.
func (s *S3) created(bucket, key string, size int64, etag []byte) {
	s.mu.Lock()
	targets := s.notify[bucket]
	s.sequencer++
	seq := s.sequencer
	s.mu.Unlock()
	if len(targets) == 0 {
		return
	}
	body, _ := json.Marshal(map[string]any{"Records": []any{map[string]any{
		"eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": s.o.Region,
		"eventTime": s.o.Clock.Now().UTC().Format("2006-01-02T15:04:05.000Z"), "eventName": "ObjectCreated:Put",
		"userIdentity":      map[string]string{"principalId": "AWS:AROAEMULATEDCLOUDTRAIL:regionalDeliverySession"},
		"requestParameters": map[string]string{"sourceIPAddress": "127.0.0.1"},
		"s3": map[string]any{
			"s3SchemaVersion": "1.0", "configurationId": "vigil-cloudtrail",
			"bucket": map[string]any{"name": bucket, "arn": "arn:aws:s3:::" + bucket},
			"object": map[string]any{"key": s3EventKey(key), "size": size, "eTag": fmt.Sprintf("%x", etag), "sequencer": fmt.Sprintf("%016X", seq)},
		},
	}}})
	for _, t := range targets {
		t.q.Send(t.queue, string(body))
	}
}

// s3EventKey is a key as notifications carry it: URL-encoded, spaces as +.
func s3EventKey(key string) string {
	return strings.ReplaceAll(url.QueryEscape(key), "%2F", "/")
}

// TrailObject is one CloudTrail log file: its key in the trail's layout, its gzipped
// {"Records":[…]} body, when CloudTrail delivers it, and the events' ids.
type TrailObject struct {
	Key     string
	Body    []byte
	Deliver time.Time
	IDs     []string
}

// TrailKey is the key CloudTrail gives the log file of account and region for the 5-minute
// window starting at win: AWSLogs/ACCOUNT/CloudTrail/REGION/YYYY/MM/DD/
// ACCOUNT_CloudTrail_REGION_YYYYMMDDTHHmmZ_UNIQUE.json.gz.
func TrailKey(account, region string, win time.Time, unique string) string {
	win = win.UTC()
	return fmt.Sprintf("AWSLogs/%s/CloudTrail/%s/%s/%s_CloudTrail_%s_%sZ_%s.json.gz", account, region,
		win.Format("2006/01/02"), account, region, win.Format("20060102T1504"), unique)
}

// TrailFile is a CloudTrail log file's body: the records as {"Records":[…]}, gzipped.
func TrailFile(recs []sim.Record) ([]byte, error) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	io.WriteString(zw, `{"Records":[`)
	for i, r := range recs {
		if i > 0 {
			io.WriteString(zw, ",\n")
		}
		zw.Write(r.JSON)
	}
	io.WriteString(zw, "]}\n")
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// TrailObjects lays CloudTrail records out as a trail delivers them: one object per
// account, region and 5-minute window (AWSLogs/ACCOUNT/CloudTrail/REGION/YYYY/MM/DD/
// ACCOUNT_CloudTrail_REGION_YYYYMMDDTHHmmZ_RANDOM.json.gz), delivered 5 to 15 minutes
// after its window ends, in delivery order.
func TrailObjects(recs []sim.Record, seed uint64) ([]TrailObject, error) {
	rng := rand.New(rand.NewPCG(seed, 12))
	groups := map[string][]sim.Record{}
	var keys []string
	for _, r := range recs {
		if r.Kind != sim.KindCloudTrail {
			continue
		}
		g := r.Scope + "|" + r.Region + "|" + r.Time.UTC().Truncate(5*time.Minute).Format(time.RFC3339)
		if groups[g] == nil {
			keys = append(keys, g)
		}
		groups[g] = append(groups[g], r)
	}
	sort.Strings(keys)
	out := make([]TrailObject, 0, len(keys))
	for _, g := range keys {
		rs := groups[g]
		win := rs[0].Time.UTC().Truncate(5 * time.Minute)
		const letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
		suffix := make([]byte, 16)
		for i := range suffix {
			suffix[i] = letters[rng.IntN(len(letters))]
		}
		o := TrailObject{
			Key:     TrailKey(rs[0].Scope, rs[0].Region, win, string(suffix)),
			Deliver: win.Add(5*time.Minute + 5*time.Minute + time.Duration(rng.Int64N(int64(10*time.Minute)))),
		}
		for _, r := range rs {
			o.IDs = append(o.IDs, r.ID)
		}
		var err error
		if o.Body, err = TrailFile(rs); err != nil {
			return nil, fmt.Errorf("emulate: trail object %s: %w", o.Key, err)
		}
		out = append(out, o)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Deliver.Before(out[j].Deliver) })
	return out, nil
}
