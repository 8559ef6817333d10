// Package azuretest is what the Microsoft collectors' tests share: a store that records
// what a source emitted, a runner that drives a source through a number of poll cycles,
// and the comparison of what was stored with what the emulator served.
package azuretest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/vigil-sec/vigil/internal/source"
)

// Store plays the pipeline's store: it keeps what was emitted and the last checkpoint,
// counting each record id it was given, and can be told to fail once.
type Store struct {
	IDField string // the records' id field ("id", "eventDataId")

	mu         sync.Mutex
	ids        map[string]int
	batches    []source.Batch
	checkpoint []byte
	polls      int
	failNext   error
}

// NewStore returns an empty store of records identified by idField.
func NewStore(idField string) *Store { return &Store{IDField: idField, ids: map[string]int{}} }

// FailNext makes the next Emit fail with err.
func (s *Store) FailNext(err error) {
	s.mu.Lock()
	s.failNext = err
	s.mu.Unlock()
}

// Emit stores a batch, or fails as told.
func (s *Store) Emit(_ context.Context, b source.Batch) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.failNext; err != nil {
		s.failNext = nil
		return err
	}
	ids := make([]string, 0, len(b.Records))
	for _, r := range b.Records {
		var rec map[string]any
		if err := json.Unmarshal(r, &rec); err != nil {
			return fmt.Errorf("store: record is not JSON: %w", err)
		}
		id, _ := rec[s.IDField].(string)
		if id == "" {
			return fmt.Errorf("store: record without %s", s.IDField)
		}
		ids = append(ids, id)
	}
	for _, id := range ids {
		s.ids[id]++
	}
	s.batches = append(s.batches, b)
	if b.Checkpoint != nil {
		s.checkpoint = b.Checkpoint
	}
	if b.EndOfPoll {
		s.polls++
	}
	return nil
}

// Checkpoint is the last stored checkpoint.
func (s *Store) Checkpoint() []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.checkpoint
}

// Batches are the stored batches in order.
func (s *Store) Batches() []source.Batch {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]source.Batch(nil), s.batches...)
}

// Polls is how many EndOfPoll batches were stored.
func (s *Store) Polls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.polls
}

// Run runs src from the stored checkpoint until it has finished polls more poll cycles
// (between runs after each but the last, e.g. to move the clock) or Run returns on its
// own; the error is Run's, nil when it was stopped after its polls.
func (s *Store) Run(t testing.TB, src source.Source, polls int, between func()) error {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	from, target := s.Checkpoint(), s.Polls()+polls
	emit := func(ctx context.Context, b source.Batch) error {
		if err := s.Emit(ctx, b); err != nil {
			return err
		}
		if b.EndOfPoll {
			if s.Polls() >= target {
				cancel()
			} else if between != nil {
				between()
			}
		}
		return nil
	}
	errc := make(chan error, 1)
	go func() { errc <- src.Run(ctx, from, emit) }()
	select {
	case err := <-errc:
		if ctx.Err() != nil && errors.Is(err, context.Canceled) {
			return nil
		}
		return err
	case <-time.After(60 * time.Second):
		t.Fatal("Run did not return within 60s")
		return nil
	}
}

// MissingAndRepeated compares the stored ids with want: the ids never stored, and those
// stored twice or not wanted at all.
func (s *Store) MissingAndRepeated(want map[string]bool) (missing, repeated []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for id := range want {
		if s.ids[id] == 0 {
			missing = append(missing, id)
		}
	}
	for id, n := range s.ids {
		if n > 1 || !want[id] {
			repeated = append(repeated, id)
		}
	}
	return missing, repeated
}

// ExpectExactlyOnce fails t unless every wanted id was stored once and nothing else was.
func (s *Store) ExpectExactlyOnce(t testing.TB, want map[string]bool, when string) {
	t.Helper()
	missing, repeated := s.MissingAndRepeated(want)
	if len(missing) > 0 || len(repeated) > 0 {
		t.Fatalf("%s: of %d records %d missing (e.g. %v), %d repeated or unknown (e.g. %v)",
			when, len(want), len(missing), firstFew(missing), len(repeated), firstFew(repeated))
	}
}

func firstFew(ids []string) []string {
	if len(ids) > 3 {
		return ids[:3]
	}
	return ids
}
