package cloudtrail

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vigil-sec/vigil/internal/config"
	"github.com/vigil-sec/vigil/internal/sim"
)

// TestWriteOnlyKeepsNoReadOnlyEvent collects the trail with write_only: every write event
// is emitted and no read-only one.
func TestWriteOnlyKeepsNoReadOnlyEvent(t *testing.T) {
	keys, files := simTrail(t)
	f := newFakeS3(t)
	writes, reads := map[string]bool{}, 0
	for _, k := range keys {
		f.put(t, k, files[k])
		doc, _ := gunzip(files[k])
		var d struct {
			Records []struct {
				EventID  string `json:"eventID"`
				ReadOnly bool   `json:"readOnly"`
			}
		}
		if err := json.Unmarshal(doc, &d); err != nil {
			t.Fatal(err)
		}
		for _, r := range d.Records {
			if r.ReadOnly {
				reads++
			} else {
				writes[r.EventID] = true
			}
		}
	}
	if reads == 0 || len(writes) == 0 {
		t.Fatalf("the trail has %d read-only and %d write events; want both", reads, len(writes))
	}
	cfg := f.config()
	cfg.WriteOnly = true
	c := &collector{}
	if err := c.run(t, newSource(t, cfg, nil), 1); err != nil {
		t.Fatal(err)
	}
	got := c.eventIDs(t)
	for id := range got {
		if !writes[id] {
			t.Errorf("read-only event %s emitted", id)
		}
	}
	if len(got) != len(writes) {
		t.Errorf("%d write events emitted, want %d", len(got), len(writes))
	}
	for _, b := range c.batches {
		for _, r := range b.Records {
			if bytes.Contains(r, []byte(`"readOnly":true`)) {
				t.Fatalf("a read-only record in a batch: %.200s", r)
			}
		}
	}
}

// TestDeleteAfterRemovesOnlyProcessedOldObjects: day 1 is before the backfill (never
// read), day 2 was read and is older than delete_after, day 3 was read but is younger.
// Only day 2 is deleted.
func TestDeleteAfterRemovesOnlyProcessedOldObjects(t *testing.T) {
	keys, files := simTrail(t)
	end := sim.DefaultEnd()
	day := func(k string) time.Time { kt, _ := keyTime(k); return kt.Truncate(24 * time.Hour) }
	f := newFakeS3(t)
	for _, k := range keys {
		if !day(k).Before(end.Add(-24 * time.Hour)) {
			continue
		}
		f.put(t, k, files[k]) // LastModified: end
	}
	f.clock.Advance(45 * time.Minute)
	for _, k := range keys {
		if day(k).Before(end.Add(-24 * time.Hour)) {
			continue
		}
		f.put(t, k, files[k]) // LastModified: end+45m
	}
	cfg := f.config()
	cfg.Backfill = config.Duration(36 * time.Hour) // from day 2 on (the source's clock is end+1h)
	cfg.DeleteAfter = config.Duration(30 * time.Minute)
	c := &collector{}
	if err := c.run(t, newSource(t, cfg, nil), 2); err != nil {
		t.Fatal(err)
	}
	deleted := 0
	for _, k := range keys {
		switch d := day(k); {
		case d.Before(end.Add(-48 * time.Hour)):
			if !f.exists(k) {
				t.Errorf("%s deleted though never read (before the backfill)", k)
			}
		case d.Before(end.Add(-24 * time.Hour)):
			if f.exists(k) {
				t.Errorf("%s read and older than delete_after, yet kept", k)
			}
			if f.getsOf(k) == 0 {
				t.Errorf("%s deleted but never read", k)
			}
			deleted++
		default:
			if !f.exists(k) {
				t.Errorf("%s deleted though younger than delete_after", k)
			}
		}
	}
	if deleted == 0 {
		t.Fatal("the trail has no day-2 objects")
	}
}

// TestRestrictedOnlyListsAndGets collects in restricted mode and checks every request it
// made was an S3 list or get, to the bucket (no CloudTrail API, no delete).
func TestRestrictedOnlyListsAndGets(t *testing.T) {
	keys, files := simTrail(t)
	f := newFakeS3(t)
	for _, k := range keys[:20] {
		f.put(t, k, files[k])
	}
	cfg := f.config()
	cfg.Restricted = true
	src := newSource(t, cfg, nil)
	if err := (&collector{}).run(t, src, 2); err != nil {
		t.Fatal(err)
	}
	f.mu.Lock()
	reqs := slices.Clone(f.requests)
	f.mu.Unlock()
	for _, r := range reqs {
		if !strings.HasPrefix(r, "GET /"+testBucket) {
			t.Errorf("restricted mode made %s", r)
		}
	}
	if p := src.Permissions(); !slices.Equal(p, []string{"s3:GetObject", "s3:ListBucket"}) {
		t.Errorf("restricted permissions %v", p)
	}
	if len(reqs) == 0 {
		t.Fatal("no request recorded")
	}
}
