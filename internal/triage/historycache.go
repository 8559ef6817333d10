package triage

import (
	"context"
	"sort"
	"sync"
	"time"

	"github.com/vigil-sec/vigil/internal/event"
	"github.com/vigil-sec/vigil/internal/store"
)

// historyCache keeps, for the few identities summarized last, the history rows read for
// their window, so the next alert on the same identity (a burst of VM creations, a spray
// answered alert by alert) reads only the rows after the cached window instead of the whole
// week again: for a workload identity with tens of thousands of events a week, the row read
// is nearly all a summary costs. An entry serves for ttl of wall time; events stored late
// with a time inside a cached window are seen once it expires.
type historyCache struct {
	ttl     time.Duration
	maxRows int // rows kept across entries; the least recently used go first
	now     func() time.Time

	mu      sync.Mutex
	entries map[string]*historyEntry
	rows    int
}

type historyEntry struct {
	from, to int64 // the window the rows cover, ms: [from, to)
	rows     []store.HistoryRow
	fetched  time.Time // when the window's first rows were read
	used     time.Time
}

func newHistoryCache(ttl time.Duration, maxRows int, now func() time.Time) *historyCache {
	return &historyCache{ttl: ttl, maxRows: maxRows, now: now, entries: map[string]*historyEntry{}}
}

// historyLimit is the most rows one read asks for (the SQLite store's own bound); a read
// that returns as many may have been cut, and is not kept, since what it lacks cannot be
// told.
const historyLimit = 100000

// history returns the identity's rows in [from, to), in time order, from the cache where
// the cached window covers the start and the rest is read from st. The slice returned must
// not be modified.
func (c *historyCache) history(ctx context.Context, st store.HistoryStore, e event.Entity, from, to time.Time) ([]store.HistoryRow, error) {
	key, f, t := e.Key(), from.UnixMilli(), to.UnixMilli()
	now := c.now()
	c.mu.Lock()
	ent, ok := c.entries[key]
	if ok && (now.Sub(ent.fetched) > c.ttl || f < ent.from || f > ent.to) {
		c.dropLocked(key, ent)
		ok = false
	}
	var cached []store.HistoryRow
	var cachedTo int64
	if ok {
		ent.used = now
		cached, cachedTo = ent.rows, ent.to
	}
	c.mu.Unlock()

	if ok && t <= cachedTo {
		return window(cached, f, t), nil // an earlier alert than the last one summarized
	}
	readFrom := from
	if ok {
		readFrom = time.UnixMilli(cachedTo)
	}
	fresh, err := st.History(ctx, e, readFrom, to, historyLimit)
	if err != nil {
		return nil, err
	}
	var rows []store.HistoryRow
	if ok {
		kept := window(cached, f, cachedTo)
		rows = make([]store.HistoryRow, 0, len(kept)+len(fresh))
		rows = append(append(rows, kept...), fresh...)
	} else {
		rows = fresh
	}
	if len(fresh) >= historyLimit || len(rows) > c.maxRows {
		return rows, nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if old, had := c.entries[key]; had {
		c.dropLocked(key, old)
	}
	fetched := now
	if ok {
		fetched = ent.fetched // a window kept up to date still expires: late events
	}
	c.entries[key] = &historyEntry{from: f, to: t, rows: rows, fetched: fetched, used: now}
	c.rows += len(rows)
	for c.rows > c.maxRows {
		c.evictLocked()
	}
	return rows, nil
}

func (c *historyCache) dropLocked(key string, ent *historyEntry) {
	delete(c.entries, key)
	c.rows -= len(ent.rows)
}

// evictLocked drops the least recently used entry.
func (c *historyCache) evictLocked() {
	var oldest string
	var at time.Time
	for k, e := range c.entries {
		if oldest == "" || e.used.Before(at) {
			oldest, at = k, e.used
		}
	}
	if oldest == "" {
		c.rows = 0
		return
	}
	c.dropLocked(oldest, c.entries[oldest])
}

// window is the part of rows (in time order) in [from, to).
func window(rows []store.HistoryRow, from, to int64) []store.HistoryRow {
	i := sort.Search(len(rows), func(i int) bool { return rows[i].Time >= from })
	j := sort.Search(len(rows), func(i int) bool { return rows[i].Time >= to })
	if j < i {
		j = i
	}
	return rows[i:j:j] // capped, so an append by a caller cannot write into the cache
}
