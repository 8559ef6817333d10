package behavior

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/vigil-sec/vigil/internal/alert"
	"github.com/vigil-sec/vigil/internal/event"
)

// FuzzObserve feeds arbitrary events — any field empty, huge, out of range or out of
// order — to a trained detector: it must never panic, scores stay within 0–100, and its
// state still snapshots and restores.
func FuzzObserve(f *testing.F) {
	tn, hist := history(4)
	seed := append(hist[:3], attackStream(tn)[:2]...)
	for _, ev := range seed {
		b, _ := json.Marshal(ev)
		f.Add(b)
	}
	f.Add([]byte(`{"time":-9223372036854775808,"class_uid":3002,"status_id":2,"vigil":{"category":"login.failed","entity":{"type":"user","name":""}}}`))
	f.Add([]byte(`{"time":1,"class_uid":3002,"src_endpoint":{"ip":"::ffff:1.2.3.4","location":{"country":"X","lat":1e308,"long":-1e308},"autonomous_system":{"number":-5}},"vigil":{"category":"login","entity":{"type":"user","name":"a"}}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var ev event.Event
		if json.Unmarshal(b, &ev) != nil {
			return
		}
		d := New(DefaultConfig())
		for _, h := range hist[:40] {
			d.Observe(context.Background(), copyEvent(h), func(alert.Alert) {})
		}
		emit := func(a alert.Alert) {
			if a.Score < 0 || a.Score > 100 || a.ID == "" {
				t.Fatalf("alert %+v", a)
			}
		}
		for i := 0; i < 3; i++ { // the same event again and an hour later
			e := ev
			e.Time += int64(i) * time.Hour.Milliseconds()
			if err := d.Observe(context.Background(), &e, emit); err != nil {
				t.Fatal(err)
			}
			if e.Vigil.Score < 0 || e.Vigil.Score > 100 {
				t.Fatalf("score %d", e.Vigil.Score)
			}
		}
		var buf bytes.Buffer
		if err := d.Snapshot(&buf); err != nil {
			t.Fatal(err)
		}
		if err := New(DefaultConfig()).Restore(&buf); err != nil {
			t.Fatal(err)
		}
	})
}
