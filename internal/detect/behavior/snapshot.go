package behavior

import (
	"bufio"
	"bytes"
	"context"
	"encoding/gob"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/klauspost/compress/zstd"

	"github.com/vigil-sec/vigil/internal/event"
)

// snapshotVersion changes whenever the state's layout does; an older snapshot is refused
// (the caller then rebuilds the baselines by replaying history).
const snapshotVersion = 1

// ErrSnapshotVersion is returned for a snapshot of another layout.
var ErrSnapshotVersion = errors.New("behavior: snapshot of another version")

type snapshotHeader struct {
	Magic   string
	Version int
}

// Snapshot writes everything the detector has learned: profiles, windows, chains and the
// position in event time. Restore of it and Observe of the events after Position give the
// same scores and alerts as a detector that never stopped.
func (d *Detector) Snapshot(w io.Writer) error {
	zw, err := zstd.NewWriter(w, zstd.WithEncoderLevel(zstd.SpeedFastest))
	if err != nil {
		return fmt.Errorf("behavior: snapshot: %w", err)
	}
	enc := gob.NewEncoder(zw)
	if err := enc.Encode(snapshotHeader{Magic: "vigil-behavior", Version: snapshotVersion}); err != nil {
		zw.Close()
		return fmt.Errorf("behavior: snapshot: %w", err)
	}
	if err := enc.Encode(d.st); err != nil {
		zw.Close()
		return fmt.Errorf("behavior: snapshot: %w", err)
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("behavior: snapshot: %w", err)
	}
	return nil
}

// Restore replaces the detector's state with a snapshot's.
func (d *Detector) Restore(r io.Reader) error {
	zr, err := zstd.NewReader(bufio.NewReader(r))
	if err != nil {
		return fmt.Errorf("behavior: restore: %w", err)
	}
	defer zr.Close()
	dec := gob.NewDecoder(zr)
	var h snapshotHeader
	if err := dec.Decode(&h); err != nil {
		return fmt.Errorf("behavior: restore: header: %w", err)
	}
	if h.Magic != "vigil-behavior" || h.Version != snapshotVersion {
		return fmt.Errorf("%w: %q version %d, want %d", ErrSnapshotVersion, h.Magic, h.Version, snapshotVersion)
	}
	// Decoding into a fresh state keeps its maps: gob sends no empty map, and a missing
	// field leaves the made one in place.
	st := newState()
	if err := dec.Decode(st); err != nil {
		return fmt.Errorf("behavior: restore: %w", err)
	}
	d.st = st
	return nil
}

// Position is the event time of the latest event observed: after a Restore, replay the
// events from it on, skipping those Replayed reports.
func (d *Detector) Position() time.Time { return d.st.Last.Time() }

// Replayed reports whether ev was observed before the snapshot was taken: older than
// Position, or at Position and among the events observed then.
func (d *Detector) Replayed(ev *event.Event) bool {
	switch t := eventTime(ev); {
	case t < d.st.Last:
		return true
	case t > d.st.Last:
		return false
	}
	h := tailHash(ev)
	for _, t := range d.st.Tail {
		if t == h {
			return true
		}
	}
	return false
}

// tailHash identifies an event among those of one millisecond.
func tailHash(ev *event.Event) uint64 {
	return hashMore(hash(ev.Metadata.UID), ev.Vigil.Source)
}

// KV is the state table a snapshot is saved in (the store's state, declared here so the
// detector does not depend on the store).
type KV interface {
	PutState(ctx context.Context, key string, value []byte) error
	GetState(ctx context.Context, key string) ([]byte, bool, error)
}

// Save writes a snapshot under key.
func (d *Detector) Save(ctx context.Context, kv KV, key string) error {
	var b bytes.Buffer
	if err := d.Snapshot(&b); err != nil {
		return err
	}
	if err := kv.PutState(ctx, key, b.Bytes()); err != nil {
		return fmt.Errorf("behavior: save %s: %w", key, err)
	}
	return nil
}

// Load restores the snapshot under key; false when there is none.
func (d *Detector) Load(ctx context.Context, kv KV, key string) (bool, error) {
	b, ok, err := kv.GetState(ctx, key)
	if err != nil {
		return false, fmt.Errorf("behavior: load %s: %w", key, err)
	}
	if !ok {
		return false, nil
	}
	return true, d.Restore(bytes.NewReader(b))
}
