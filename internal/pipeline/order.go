package pipeline

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/vigil-sec/vigil/internal/detect"
	"github.com/vigil-sec/vigil/internal/detect/behavior"
	"github.com/vigil-sec/vigil/internal/event"
	"github.com/vigil-sec/vigil/internal/store"
)

// readPage is how many stored events one read of the ordered path takes: memory holds
// two pages (the one detected, the next one read), whatever the volume.
const readPage = 2000

// EventOrder is the order every order-dependent detection sees events in, live and
// offline alike: event time, then the record's id, then the collecting source. Arrival
// order never decides it, so a delivery with other delays gives the same alerts.
func EventOrder(a, b *event.Event) int {
	if c := cmp.Compare(a.Time, b.Time); c != 0 {
		return c
	}
	if c := cmp.Compare(a.Metadata.UID, b.Metadata.UID); c != 0 {
		return c
	}
	return cmp.Compare(a.Vigil.Collector, b.Vigil.Collector)
}

// Stored reads the stored events with from <= time < to in EventOrder, a page at a time,
// and gives each parsed one to fn. The next page is read (and decoded) while fn works
// through the current one, so the store's read and the detections share the cores;
// memory holds two pages, whatever the volume.
func Stored(ctx context.Context, st store.Store, from, to time.Time, fn func(*event.Event) error) error {
	ctx, cancel := context.WithCancel(ctx)
	pages := make(chan pageRead, 1)
	done := make(chan struct{})
	go func() {
		defer close(done)
		readPages(ctx, st, store.Query{From: from, To: to, Ascending: true, Limit: readPage}, pages)
	}()
	defer func() { cancel(); <-done }()
	var held []*event.Event // events of the newest millisecond seen, which the next page may continue
	for r := range pages {
		if r.err != nil {
			return fmt.Errorf("pipeline: read stored events: %w", r.err)
		}
		page := r.page
		evs := append(held, page.Events...)
		held = nil
		if page.Next != "" && len(evs) > 0 {
			lastMs := evs[len(evs)-1].Time
			cut := len(evs)
			for cut > 0 && evs[cut-1].Time == lastMs {
				cut--
			}
			if cut > 0 { // else one millisecond fills the page: hold it all
				held = append([]*event.Event(nil), evs[cut:]...)
				evs = evs[:cut]
			} else {
				held, evs = evs, nil
			}
		}
		slices.SortStableFunc(evs, EventOrder)
		for _, ev := range evs {
			if ev.IsUnparsed() {
				continue
			}
			if err := fn(ev); err != nil {
				return err
			}
		}
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("pipeline: read stored events: %w", err)
	}
	return nil
}

// pageRead is one page of Stored's read, or the error that ended it.
type pageRead struct {
	page store.Page
	err  error
}

// readPages sends the pages of q to out, one ahead of the reader, and closes out after
// the last page, an error, or ctx's end.
func readPages(ctx context.Context, st store.Store, q store.Query, out chan<- pageRead) {
	defer close(out)
	for {
		page, err := st.Query(ctx, q)
		select {
		case out <- pageRead{page, err}:
		case <-ctx.Done():
			return
		}
		if err != nil || page.Next == "" {
			return
		}
		q.Cursor = page.Next
	}
}

// readOrdered gives the ordered detections every stored event from done up to to, and
// moves done there. In replay (a restart), the arrival detections also see the events
// stored after the saved position less the lateness: a stop between storing a batch and
// detecting it must not lose its alerts (repeats have known ids and are not raised again).
func (d *detectStage) readOrdered(ctx context.Context, to time.Time, replay bool) error {
	p := d.p
	if replay && p.opts.Arrival != nil {
		far := time.Now().Add(100 * 365 * 24 * time.Hour)
		err := Stored(ctx, p.opts.Store, to.Add(-p.cfg.AllowedLateness), far, func(ev *event.Event) error {
			return p.opts.Arrival.Observe(ctx, ev, d.addAlert)
		})
		if err != nil {
			return err
		}
	}
	if err := Stored(ctx, p.opts.Store, d.done, to, func(ev *event.Event) error {
		return d.observeOrdered(ctx, ev)
	}); err != nil {
		return err
	}
	d.done = to
	return nil
}

// newOnly passes a restored baseline only the events it has not learned yet.
type newOnly struct{ *behavior.Detector }

func (n newOnly) Observe(ctx context.Context, ev *event.Event, emit detect.Emit) error {
	if n.Replayed(ev) {
		return nil
	}
	return n.Detector.Observe(ctx, ev, emit)
}
