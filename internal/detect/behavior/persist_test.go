package behavior

import (
	"bytes"
	"context"
	"encoding/binary"
	"math"
	"reflect"
	"testing"
	"time"

	"github.com/vigil-sec/vigil/internal/alert"
	"github.com/vigil-sec/vigil/internal/event"
	"github.com/vigil-sec/vigil/internal/store"
	"github.com/vigil-sec/vigil/internal/store/sqlite"
)

// TestRestartFromTheStore is a restart as the daemon does it: events are in the store, the
// detector saves its snapshot in the store's state table and stops; a new process opens
// the store, loads the snapshot and replays the stored events from its position. Its
// alerts must be those of a detector that never stopped.
func TestRestartFromTheStore(t *testing.T) {
	ctx := context.Background()
	tn, evs := history(30)
	evs = append(evs, attackStream(tn)...)
	sortEvents(evs)

	var want []string
	d := New(DefaultConfig())
	for _, ev := range evs {
		d.Observe(ctx, copyEvent(ev), func(a alert.Alert) { want = append(want, a.ID) })
	}

	dir := t.TempDir()
	st, err := sqlite.Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Append(ctx, "test", evs, nil); err != nil {
		t.Fatal(err)
	}
	stop := len(evs) * 2 / 3
	var got []string
	emit := func(a alert.Alert) { got = append(got, a.ID) }
	d = New(DefaultConfig())
	for _, ev := range evs[:stop] {
		d.Observe(ctx, copyEvent(ev), emit)
	}
	if err := d.Save(ctx, st, "behavior/0"); err != nil {
		t.Fatal(err)
	}
	st.Close()

	st, err = sqlite.Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	d = New(DefaultConfig())
	if ok, err := d.Load(ctx, st, "behavior/0"); err != nil || !ok {
		t.Fatalf("load: %v %v", ok, err)
	}
	if ok, err := New(DefaultConfig()).Load(ctx, st, "behavior/none"); ok || err != nil {
		t.Errorf("no snapshot: %v %v", ok, err)
	}
	q := store.Query{From: d.Position().Add(-time.Hour), Ascending: true, Limit: 1000}
	replayed := 0
	for {
		page, err := st.Query(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		for _, ev := range page.Events {
			if d.Replayed(ev) {
				replayed++
				continue
			}
			d.Observe(ctx, ev, emit)
		}
		if page.Next == "" {
			break
		}
		q.Cursor = page.Next
	}
	if replayed == 0 {
		t.Error("the replay should overlap the snapshot")
	}
	if len(got) != len(want) {
		t.Fatalf("%d alerts across the restart, %d without", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("alert %d: %s, want %s", i, got[i], want[i])
		}
	}
}

// TestRestoreRefusesOtherSnapshots: garbage and other versions are errors, not panics.
func TestRestoreRefusesOtherSnapshots(t *testing.T) {
	for _, b := range [][]byte{nil, []byte("not a snapshot"), {0x28, 0xb5, 0x2f, 0xfd, 0, 0}} {
		if err := New(DefaultConfig()).Restore(bytesReader(b)); err == nil {
			t.Errorf("%q restored", b)
		}
	}
}

func bytesReader(b []byte) *bytes.Reader { return bytes.NewReader(b) }

// TestProfileCodec: a profile survives its binary encoding exactly, and every truncation
// of it is an error, not a panic or a half-read profile taken for whole.
func TestProfileCodec(t *testing.T) {
	tn, hist := history(5)
	d := New(DefaultConfig())
	observe(d, hist, "")
	observe(d, attackStream(tn), "")
	p := d.st.Profiles[event.UserEntity(tn.people[0].upn)]
	b, err := p.GobEncode()
	if err != nil {
		t.Fatal(err)
	}
	var q profile
	if err := q.GobDecode(b); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(p, &q) {
		t.Errorf("round trip:\n%+v\n%+v", p, q)
	}
	for i := 0; i < len(b); i++ {
		var r profile
		if err := r.GobDecode(b[:i]); err == nil {
			t.Fatalf("truncated to %d of %d bytes: no error", i, len(b))
		}
	}
}

// TestProfileCodecReadsSeconds: snapshots written before times were milliseconds (codec
// version 2 kept First, Last and AlertAt in seconds) restore to the same instants.
func TestProfileCodecReadsSeconds(t *testing.T) {
	b := []byte{profileCodecSeconds}
	b = binary.AppendVarint(b, 1_700_000_000) // First
	b = binary.AppendVarint(b, 1_700_003_600) // Last
	b = binary.AppendUvarint(b, 7)            // N
	b = binary.AppendVarint(b, 472_222)       // Land
	b = binary.AppendUvarint(b, 0)            // Peer
	for range numFeatures {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(1))
	}
	b = binary.AppendUvarint(b, 0)      // entries
	b = append(b, 1, 0, 1)              // a rhythm, TZ 0, set
	b = append(b, make([]byte, 168)...) // hours
	b = binary.AppendUvarint(b, 0)      // HoursN
	b = binary.AppendVarint(b, 1_700_001_800)
	b = append(b, 80)              // AlertScore
	b = binary.AppendUvarint(b, 0) // rates
	var p profile
	if err := p.GobDecode(b); err != nil {
		t.Fatal(err)
	}
	if p.First != 1_700_000_000_000 || p.Last != 1_700_003_600_000 || p.R == nil || p.R.AlertAt != 1_700_001_800_000 || p.N != 7 {
		t.Errorf("decoded %+v %+v", p, p.R)
	}
	again, err := p.GobEncode()
	if err != nil || again[0] != profileCodecVersion {
		t.Fatalf("re-encoded as version %d: %v", again[0], err)
	}
	var q profile
	if err := q.GobDecode(again); err != nil || !reflect.DeepEqual(p, q) {
		t.Errorf("round trip: %v\n%+v\n%+v", err, p, q)
	}
}
