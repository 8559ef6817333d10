package eventhub

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/vigil-sec/vigil/internal/source"
)

// commitTimeout bounds the commit of what was stored when Run ends or a partition is
// revoked; a commit that does not make it only means those records come again.
const commitTimeout = 10 * time.Second

// Run joins the consumer group and delivers one batch per partition of each fetch until
// ctx ends or the client fails. The checkpoint is not used: offsets live in the group,
// committed after emit returned nil (from is ignored, Checkpoint is nil).
func (s *Source) Run(ctx context.Context, _ []byte, emit source.Emit) error {
	cl, err := kgo.NewClient(s.clientOpts(true)...)
	if err != nil {
		return source.Permanent(fmt.Errorf("eventhub: %s: client: %w", s.name, err))
	}
	defer cl.CloseAllowingRebalance()
	s.parts.reset(cl)
	if err := s.preflight(ctx, cl); err != nil {
		return err
	}
	defer func() {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), commitTimeout)
		defer cancel()
		if err := s.parts.commit(cctx, nil); err != nil {
			s.log.Warn("eventhub: commit on stop", "error", err.Error())
		}
	}()
	idle := 2 * s.cfg.MaxWait.D()
	for {
		pollStart := s.o.now()
		pctx, cancel := context.WithTimeout(ctx, idle)
		fetches := cl.PollFetches(pctx)
		cancel()
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err := fetchError(fetches); err != nil {
			cl.AllowRebalance()
			return s.explain(err)
		}
		if fetches.NumRecords() == 0 && pctx.Err() != nil {
			// A whole fetch round came back empty: every partition was caught up at
			// the poll's start.
			wm := s.parts.idle(pollStart)
			err := emit(ctx, source.Batch{Stream: s.ep.topic, Available: pollStart, EndOfPoll: true, Watermark: wm})
			cl.AllowRebalance()
			if err != nil {
				return err
			}
			continue
		}
		err := s.deliver(ctx, fetches, emit)
		cl.AllowRebalance()
		if err != nil {
			return err
		}
	}
}

// fetchError is the first error of a poll, less the poll's own deadline.
func fetchError(f kgo.Fetches) error {
	for _, fe := range f.Errors() {
		if errors.Is(fe.Err, context.DeadlineExceeded) || errors.Is(fe.Err, context.Canceled) {
			continue
		}
		return fmt.Errorf("fetch %s/%d: %w", fe.Topic, fe.Partition, fe.Err)
	}
	return nil
}

// deliver emits each partition's records of a fetch as one batch, then commits the
// offsets of what was stored. An emit error returns at once; the batches before it are
// still committed, the failed one is not, so it comes again.
func (s *Source) deliver(ctx context.Context, fetches kgo.Fetches, emit source.Emit) error {
	var batches []source.Batch
	var lasts []*kgo.Record
	fetched := s.o.now()
	fetches.EachPartition(func(p kgo.FetchTopicPartition) {
		if len(p.Records) == 0 {
			s.parts.progress(p.Topic, p.Partition, -1, p.HighWatermark, fetched)
			return
		}
		b := source.Batch{Stream: p.Topic + "/" + strconv.Itoa(int(p.Partition)), Records: make([][]byte, 0, len(p.Records))}
		for _, r := range p.Records {
			if len(r.Value) > 0 {
				b.Records = append(b.Records, r.Value)
			}
			if r.Timestamp.After(b.Available) {
				b.Available = r.Timestamp
			}
		}
		last := p.Records[len(p.Records)-1]
		s.parts.progress(p.Topic, p.Partition, last.Offset+1, p.HighWatermark, fetched)
		batches = append(batches, b)
		lasts = append(lasts, last)
	})
	if wm, ok := s.parts.caughtUp(); ok && len(batches) > 0 {
		batches[len(batches)-1].EndOfPoll, batches[len(batches)-1].Watermark = true, wm
	}
	for i, b := range batches {
		if err := emit(ctx, b); err != nil {
			cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), commitTimeout)
			defer cancel()
			if cerr := s.parts.commit(cctx, nil); cerr != nil {
				s.log.Warn("eventhub: commit after a failed emit", "error", cerr.Error())
			}
			return err
		}
		s.parts.stored(lasts[i])
	}
	if err := s.parts.commit(ctx, nil); err != nil {
		// Not a loss: the records are stored, and come again only if this member stops
		// before a later commit succeeds.
		s.log.Warn("eventhub: commit", "error", err.Error())
	}
	return nil
}

// assigned, revoked and lost are the group's rebalance callbacks. With
// BlockRebalanceOnPoll they run only between polls, when every emitted batch has been
// committed or is pending in parts.
func (s *Source) assigned(_ context.Context, _ *kgo.Client, m map[string][]int32) {
	s.parts.add(m)
	s.log.Info("eventhub: partitions assigned", "partitions", fmt.Sprint(m))
}

func (s *Source) revoked(ctx context.Context, _ *kgo.Client, m map[string][]int32) {
	cctx, cancel := context.WithTimeout(ctx, commitTimeout)
	defer cancel()
	if err := s.parts.commit(cctx, m); err != nil {
		s.log.Warn("eventhub: commit on revoke", "error", err.Error())
	}
	s.parts.remove(m)
}

func (s *Source) lost(_ context.Context, _ *kgo.Client, m map[string][]int32) {
	s.parts.remove(m)
	s.log.Warn("eventhub: partitions lost", "partitions", fmt.Sprint(m))
}

type tp struct {
	topic string
	part  int32
}

// partState is one held partition's progress: the next offset to read, the high
// watermark the last fetch saw, and since when it is known to be caught up.
type partState struct {
	next, hwm int64
	caughtUp  time.Time
	pending   *kgo.Record // stored, not yet committed
}

// partitions is the member's partitions, shared by Run and the rebalance callbacks.
type partitions struct {
	mu sync.Mutex
	cl *kgo.Client
	by map[tp]*partState
	wm time.Time // the last watermark reported
}

func newPartitions() *partitions { return &partitions{by: map[tp]*partState{}} }

func (p *partitions) reset(cl *kgo.Client) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cl, p.by = cl, map[tp]*partState{}
}

func (p *partitions) add(m map[string][]int32) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for t, ps := range m {
		for _, n := range ps {
			p.by[tp{t, n}] = &partState{next: -1, hwm: -1}
		}
	}
}

func (p *partitions) remove(m map[string][]int32) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for t, ps := range m {
		for _, n := range ps {
			delete(p.by, tp{t, n})
		}
	}
}

func (p *partitions) names() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]string, 0, len(p.by))
	for k := range p.by {
		out = append(out, k.topic+"/"+strconv.Itoa(int(k.part)))
	}
	slices.Sort(out)
	return out
}

// progress records a fetch of a partition: next is the offset after its last record
// (-1: no records), hwm the broker's high watermark then.
func (p *partitions) progress(topic string, part int32, next, hwm int64, at time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	st := p.by[tp{topic, part}]
	if st == nil {
		return
	}
	if next >= 0 {
		st.next = next
	}
	st.hwm = hwm
	switch {
	case st.next >= 0 && st.next >= hwm, st.next < 0 && next < 0:
		st.caughtUp = at
	default:
		st.caughtUp = time.Time{}
	}
}

// caughtUp is the time every held partition was last known to be caught up, if each
// is, and later than the last watermark reported.
func (p *partitions) caughtUp() (time.Time, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	var wm time.Time
	for _, st := range p.by {
		if st.caughtUp.IsZero() {
			return time.Time{}, false
		}
		if wm.IsZero() || st.caughtUp.Before(wm) {
			wm = st.caughtUp
		}
	}
	if wm.IsZero() || !wm.After(p.wm) {
		return time.Time{}, false
	}
	p.wm = wm
	return wm, true
}

// idle marks every held partition caught up at t (a fetch round found nothing) and
// returns the watermark.
func (p *partitions) idle(t time.Time) time.Time {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, st := range p.by {
		st.caughtUp = t
	}
	if t.After(p.wm) {
		p.wm = t
	}
	return p.wm
}

func (p *partitions) stored(r *kgo.Record) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if st := p.by[tp{r.Topic, r.Partition}]; st != nil {
		st.pending = r
	}
}

// commit commits the stored offsets of the partitions in only (all when nil).
func (p *partitions) commit(ctx context.Context, only map[string][]int32) error {
	p.mu.Lock()
	var recs []*kgo.Record
	var states []*partState
	for k, st := range p.by {
		if st.pending == nil || (only != nil && !slices.Contains(only[k.topic], k.part)) {
			continue
		}
		recs, states = append(recs, st.pending), append(states, st)
	}
	cl := p.cl
	p.mu.Unlock()
	if len(recs) == 0 || cl == nil {
		return nil
	}
	if err := cl.CommitRecords(ctx, recs...); err != nil {
		return fmt.Errorf("commit offsets: %w", err)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for i, st := range states {
		if st.pending == recs[i] {
			st.pending = nil
		}
	}
	return nil
}
