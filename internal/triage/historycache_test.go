package triage

import (
	"context"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/vigil-sec/vigil/internal/alert"
	"github.com/vigil-sec/vigil/internal/event"
	"github.com/vigil-sec/vigil/internal/store"
	"github.com/vigil-sec/vigil/internal/store/sqlite"
)

// countingStore is the real store, counting the history rows it hands out.
type countingStore struct {
	*sqlite.Store
	weekReads int // reads of a day or more: the summary's history window, not the evidence's
	rows      int
}

func (c *countingStore) History(ctx context.Context, e event.Entity, from, to time.Time, limit int) ([]store.HistoryRow, error) {
	rows, err := c.Store.History(ctx, e, from, to, limit)
	if to.Sub(from) >= 24*time.Hour {
		c.weekReads++
	}
	c.rows += len(rows)
	return rows, err
}

func workload(uid string, at time.Time, op string) *event.Event {
	e := &event.Event{Metadata: event.Metadata{UID: uid}}
	e.SetTime(at)
	e.Vigil.Category = event.CategoryResourceCreate
	e.Vigil.Entity = event.UserEntity("svc-deploy@corp.example")
	e.API.Operation, e.API.Service.Name = op, "ec2.amazonaws.com"
	e.SrcEndpoint.IP = "10.0.0.5"
	return e
}

// TestHistoryCacheReadsOnlyWhatIsNew: summaries of a burst of alerts on one identity read
// its week of history once and then only the rows after it, and say exactly what uncached
// summaries say; once the entry expires, a late event inside the window is seen.
func TestHistoryCacheReadsOnlyWhatIsNew(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	base := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	var evs []*event.Event
	for i := range 500 { // a week of routine work, every 20 minutes
		evs = append(evs, workload(fmt.Sprintf("h%d", i), base.Add(-7*24*time.Hour+time.Duration(i)*20*time.Minute), fmt.Sprintf("op%d", i%7)))
	}
	for i := range 10 { // the burst: an alert a minute, each on its own event
		evs = append(evs, workload(fmt.Sprintf("burst%d", i), base.Add(time.Duration(i)*time.Minute), "RunInstances"))
	}
	if _, err := st.Append(ctx, "test", evs, nil); err != nil {
		t.Fatal(err)
	}
	cs := &countingStore{Store: st}
	cached := New(cs, Config{}, nil)
	clock := base
	cached.hist.now = func() time.Time { return clock }
	plain := New(st, Config{CacheRows: -1}, nil)
	alertOn := func(i int) alert.Alert {
		return alert.Alert{ID: fmt.Sprintf("a%d", i), Time: base.Add(time.Duration(i) * time.Minute),
			Entity: event.UserEntity("svc-deploy@corp.example"), EventUIDs: []string{fmt.Sprintf("burst%d", i)}}
	}
	for i := range 10 {
		got, err := cached.Summarize(ctx, alertOn(i))
		if err != nil {
			t.Fatal(err)
		}
		want, err := plain.Summarize(ctx, alertOn(i))
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("alert %d: the cached summary differs:\n got %+v\nwant %+v", i, got, want)
		}
		clock = clock.Add(5 * time.Second)
	}
	// The week is read once; each next summary reads the minute since and its evidence.
	plainRows := &countingStore{Store: st}
	uncached := New(plainRows, Config{CacheRows: -1}, nil)
	for i := range 10 {
		uncached.Summarize(ctx, alertOn(i))
	}
	if cs.weekReads != 1 || cs.rows*5 > plainRows.rows {
		t.Errorf("10 summaries read the week %d times and %d rows (%d uncached); want the week once and then only what is new",
			cs.weekReads, cs.rows, plainRows.rows)
	}

	// A late event inside the window is not in a live entry, and is once it expired.
	late := workload("late", base.Add(-time.Hour), "DeleteTrail")
	if _, err := st.Append(ctx, "test", []*event.Event{late}, nil); err != nil {
		t.Fatal(err)
	}
	clock = clock.Add(cached.cfg.CacheTTL + time.Second)
	got, err := cached.Summarize(ctx, alertOn(9))
	if err != nil {
		t.Fatal(err)
	}
	want, _ := plain.Summarize(ctx, alertOn(9))
	if !reflect.DeepEqual(got, want) || got.Events != want.Events {
		t.Errorf("after expiry the summary misses the late event: %d events, want %d", got.Events, want.Events)
	}
}

// TestHistoryCacheBounded: the cache keeps no more rows than its bound, dropping the
// least recently used identity; a window larger than the bound is not kept.
func TestHistoryCacheBounded(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	base := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	var evs []*event.Event
	for _, who := range []string{"a", "b", "c"} {
		for i := range 40 {
			e := workload(fmt.Sprintf("%s%d", who, i), base.Add(-time.Duration(i+1)*time.Hour), "op")
			e.Vigil.Entity = event.UserEntity(who + "@corp.example")
			evs = append(evs, e)
		}
	}
	if _, err := st.Append(ctx, "test", evs, nil); err != nil {
		t.Fatal(err)
	}
	tick := base
	c := newHistoryCache(time.Minute, 100, func() time.Time { tick = tick.Add(time.Second); return tick })
	for _, who := range []string{"a", "b", "c"} {
		rows, err := c.history(ctx, st, event.UserEntity(who+"@corp.example"), base.Add(-7*24*time.Hour), base)
		if err != nil || len(rows) != 40 {
			t.Fatalf("%s: %d rows, %v", who, len(rows), err)
		}
	}
	if c.rows > 100 || len(c.entries) != 2 || c.entries["user:a@corp.example"] != nil {
		t.Errorf("cache holds %d rows in %d entries (a kept: %v); want at most 100, the two used last", c.rows, len(c.entries), c.entries["user:a@corp.example"] != nil)
	}
	small := newHistoryCache(time.Minute, 10, func() time.Time { return base })
	if _, err := small.history(ctx, st, event.UserEntity("a@corp.example"), base.Add(-7*24*time.Hour), base); err != nil {
		t.Fatal(err)
	}
	if small.rows != 0 || len(small.entries) != 0 {
		t.Errorf("a window of 40 rows was kept by a cache of 10")
	}
}
