package azure

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/vigil-sec/vigil/internal/source"
)

// Stream is one time-filtered list a Poller reads: a Graph log or one subscription's
// Activity Log.
type Stream struct {
	Name string
	// URL is the first page's address for records whose time is in [from, to].
	URL func(from, to time.Time) string
	// IDField and TimeField name the record's top-level id and event time
	// ("id"/"createdDateTime", "eventDataId"/"eventTimestamp").
	IDField, TimeField string
	// MaxAge is how far back the provider keeps records; older cursors start there.
	MaxAge time.Duration
	// MinOverlap raises the poller's overlap for a stream whose records arrive later
	// than most (risk detections: hours).
	MinOverlap time.Duration
}

// Poller runs poll cycles over streams with one cursor each: query from cursor−Overlap
// to now, follow the next links, emit one batch per page with the checkpoint, end every
// cycle with an EndOfPoll batch, wait Interval from the cycle's start, again. It keeps
// its cursors and the ids seen within the overlap between Runs, which never overlap.
type Poller struct {
	Client *Client
	// Streams lists the streams of a cycle; it may change between cycles (subscriptions
	// come and go). A stream that disappears keeps its cursor in the checkpoint.
	Streams  func(ctx context.Context) ([]Stream, error)
	Interval time.Duration
	Overlap  time.Duration
	Backfill time.Duration
	Now      func() time.Time
	Log      *slog.Logger
	// Component prefixes errors ("graph", "activitylog").
	Component string

	states map[string]*streamState
}

// Run polls until ctx ends or a request fails; from is the stored checkpoint (nil on a
// first start, which backfills Backfill).
func (p *Poller) Run(ctx context.Context, from []byte, emit source.Emit) error {
	stored, err := decodeCheckpoint(from)
	if err != nil {
		return source.Permanent(fmt.Errorf("%s: %w", p.Component, err))
	}
	p.adopt(stored)
	p.Log.Info("collecting", "streams_in_checkpoint", len(stored), "first_start", len(from) == 0,
		"poll_interval", p.Interval, "overlap", p.Overlap)
	for {
		start := time.Now()
		if err := p.cycle(ctx, emit); err != nil {
			return err
		}
		wait := p.Interval - time.Since(start)
		if wait <= 0 {
			if err := ctx.Err(); err != nil {
				return context.Cause(ctx)
			}
			continue
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return context.Cause(ctx)
		case <-t.C:
		}
	}
}

// adopt takes the stored checkpoint's cursors, keeping the ids this process already
// saw (they are stored: ids join the set only after their batch was emitted).
func (p *Poller) adopt(stored map[string]*streamState) {
	if p.states == nil {
		p.states = stored
		return
	}
	for name, st := range stored {
		if mine, ok := p.states[name]; ok {
			st.remember(mine.seen)
		}
	}
	for _, st := range p.states {
		st.next = time.Time{}
	}
	p.states = stored
}

// cycle reads every stream once and ends with an EndOfPoll batch.
func (p *Poller) cycle(ctx context.Context, emit source.Emit) error {
	streams, err := p.Streams(ctx)
	if err != nil {
		return err
	}
	total := 0
	var forbidden []error
	for _, s := range streams {
		n, err := p.poll(ctx, s, emit)
		total += n
		if err == nil {
			continue
		}
		err = fmt.Errorf("%s: %s: %w", p.Component, s.Name, err)
		if _, ok := IsForbidden(err); ok {
			// One stream the credential may not read (a missing permission or licence, a
			// subscription it lost) must not stop the others: it is skipped, its cursor
			// kept, and said every cycle. Only when every stream is refused does Run end.
			p.Log.Warn("stream refused, skipped this cycle", "stream", s.Name, "error", err)
			forbidden = append(forbidden, err)
			continue
		}
		return err
	}
	if len(streams) > 0 && len(forbidden) == len(streams) {
		return errors.Join(forbidden...)
	}
	cp, err := encodeCheckpoint(p.states, "", nil)
	if err != nil {
		return fmt.Errorf("%s: %w", p.Component, err)
	}
	if err := emit(ctx, source.Batch{Available: p.Now(), Checkpoint: cp, EndOfPoll: true}); err != nil {
		return err
	}
	p.commit()
	p.Log.Debug("poll finished", "streams", len(streams), "records", total)
	return nil
}

// commit makes the pending cursors durable after a successful emit, and forgets ids
// that fell out of the overlap.
func (p *Poller) commit() {
	for _, st := range p.states {
		if !st.next.IsZero() {
			st.cursor, st.next = st.next, time.Time{}
			st.prune(st.cursor.Add(-max(p.Overlap, st.overlap)))
		}
	}
}

// poll reads one stream's window, page by page, and returns how many records it emitted.
func (p *Poller) poll(ctx context.Context, s Stream, emit source.Emit) (int, error) {
	st := p.states[s.Name]
	if st == nil {
		st = &streamState{seen: map[string]time.Time{}}
		p.states[s.Name] = st
	}
	st.overlap = max(p.Overlap, s.MinOverlap)
	now := p.Now().UTC()
	from := st.cursor.Add(-st.overlap)
	if st.cursor.IsZero() {
		// backfill 0 still reads a moment, so the stream gets a cursor (the overlap then
		// reaches back before the first poll, as it does after every poll).
		from = now.Add(-max(p.Backfill, time.Second))
	}
	if s.MaxAge > 0 && from.Before(now.Add(-s.MaxAge)) {
		from = now.Add(-s.MaxAge + time.Minute) // the provider refuses a start older than it keeps
	}
	from = from.Truncate(time.Second)
	if !from.Before(now) {
		return 0, nil
	}
	maxSeen := st.cursor
	emitted := 0
	for link := s.URL(from, now); link != ""; {
		page, err := p.Client.GetPage(ctx, link)
		if err != nil {
			return emitted, err
		}
		available := p.Now()
		kept, fresh := make([][]byte, 0, len(page.Values)), map[string]time.Time{}
		for _, raw := range page.Values {
			id, at := recordKey(raw, s.IDField, s.TimeField)
			if id != "" {
				if _, dup := st.seen[id]; dup {
					continue
				}
				if _, dup := fresh[id]; dup {
					continue
				}
			}
			if at.After(maxSeen) {
				maxSeen = at
			}
			if id != "" && !at.IsZero() {
				fresh[id] = at
			}
			kept = append(kept, raw)
		}
		link = page.NextLink
		last := link == ""
		if last {
			// Graph and ARM list newest first, so the cursor may move only when the
			// window was read to its end. A quiet stream still moves to now−overlap, so
			// its window does not grow for ever.
			st.next = laterOf(maxSeen, now.Add(-st.overlap))
			if !st.next.After(st.cursor) {
				st.next = time.Time{}
			}
		}
		if len(kept) == 0 {
			continue // nothing new; the cursor rides on the EndOfPoll batch
		}
		cp, err := encodeCheckpoint(p.states, s.Name, fresh)
		if err != nil {
			return emitted, err
		}
		if err := emit(ctx, source.Batch{Stream: s.Name, Records: kept, Available: available, Checkpoint: cp}); err != nil {
			st.next = time.Time{}
			return emitted, err
		}
		st.remember(fresh)
		emitted += len(kept)
		p.commit()
	}
	return emitted, nil
}

func laterOf(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// recordKey reads a record's id and event time; either is zero when absent or
// unreadable (the record is still emitted: the normalizer reports what it cannot parse).
func recordKey(raw []byte, idField, timeField string) (string, time.Time) {
	var fields map[string]json.RawMessage
	if json.Unmarshal(raw, &fields) != nil {
		return "", time.Time{}
	}
	var id, ts string
	_ = json.Unmarshal(fields[idField], &id)
	_ = json.Unmarshal(fields[timeField], &ts)
	at, err := time.Parse(time.RFC3339Nano, ts)
	if err != nil {
		return id, time.Time{}
	}
	return id, at.UTC()
}
