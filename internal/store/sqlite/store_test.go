package sqlite

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/vigil-sec/vigil/internal/event"
	"github.com/vigil-sec/vigil/internal/store"
	"github.com/vigil-sec/vigil/internal/store/storetest"
)

func openTemp(t *testing.T) store.Store {
	t.Helper()
	s, err := Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestConformance(t *testing.T) { storetest.Run(t, openTemp) }

// TestMigrationFromVersion1 opens a database written by schema 1 (before the summary
// columns) and checks its events survive the upgrade and new ones get the new columns.
func TestMigrationFromVersion1(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	old, err := open(ctx, dir, 1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := old.db.ExecContext(ctx, `INSERT INTO blocks (id, data) VALUES (1, ?)`, old.enc.EncodeAll([]byte(`{"time":5,"metadata":{"uid":"old-1"}}`), nil)); err != nil {
		t.Fatal(err)
	}
	if _, err := old.db.ExecContext(ctx, `INSERT INTO events (source, uid, time, class_uid, category, entity_type, entity_name, block, off, len)
		VALUES ('src', 'old-1', 5, 6003, 'other', 'user', 'a@example.com', 1, 0, 37)`); err != nil {
		t.Fatal(err)
	}
	old.Close()

	s, err := Open(ctx, dir)
	if err != nil {
		t.Fatalf("migrating: %v", err)
	}
	defer s.Close()
	var v int
	s.db.QueryRowContext(ctx, `SELECT MAX(version) FROM schema_version`).Scan(&v)
	if v != len(migrations()) {
		t.Errorf("schema version %d, want %d", v, len(migrations()))
	}
	got, err := s.Get(ctx, "src", "old-1")
	if err != nil || got.Time != 5 {
		t.Fatalf("old event after migration: %+v, %v", got, err)
	}
	ev := storetest.Event("new-1", 0, "a@example.com", event.CategoryLogin)
	if _, err := s.Append(ctx, "src", []*event.Event{ev}, nil); err != nil {
		t.Fatal(err)
	}
	sum, err := s.Summary(ctx, event.UserEntity("a@example.com"), time.Unix(0, 0), []string{"api.operation"})
	if err != nil || len(sum["api.operation"]) != 1 {
		t.Errorf("summary after migration: %v %v", sum, err)
	}
}

func TestRefusesNewerSchema(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	s.db.ExecContext(ctx, `INSERT INTO schema_version (version) VALUES (99)`)
	s.Close()
	if _, err := Open(ctx, dir); err == nil {
		t.Fatal("opened a database from a newer vigil")
	}
}

func benchEvents(n, from int) []*event.Event {
	evs := make([]*event.Event, n)
	pad := make([]byte, 1700) // ~1.9 KB raw records, as CloudTrail's are
	for i := range pad {
		pad[i] = 'a' + byte(i%26)
	}
	for i := range evs {
		ev := storetest.Event(fmt.Sprintf("bench-%d", from+i), from+i, fmt.Sprintf("user%d@example.com", (from+i)%500), event.CategoryResourceCreate)
		ev.Raw = []byte(fmt.Sprintf(`{"eventID":"bench-%d","requestParameters":{"blob":%q}}`, from+i, pad))
		evs[i] = ev
	}
	return evs
}

// BenchmarkAppend stores 1,000-event batches of new events with ~1.9 KB raw records.
func BenchmarkAppend(b *testing.B) {
	s, err := Open(context.Background(), b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	batches := make([][]*event.Event, b.N)
	for i := range batches {
		batches[i] = benchEvents(1000, i*1000)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := s.Append(context.Background(), "bench", batches[i], store.Checkpoint("x")); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N*1000)/b.Elapsed().Seconds(), "events/s")
	var pages, pageSize int64
	s.db.QueryRow(`PRAGMA page_count`).Scan(&pages)
	s.db.QueryRow(`PRAGMA page_size`).Scan(&pageSize)
	b.ReportMetric(float64(pages*pageSize)/float64(b.N*1000), "disk-bytes/event")
}

// BenchmarkAppendDuplicates re-appends batches already stored (an overlap window).
func BenchmarkAppendDuplicates(b *testing.B) {
	s, err := Open(context.Background(), b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	evs := benchEvents(1000, 0)
	s.Append(context.Background(), "bench", evs, nil)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if n, err := s.Append(context.Background(), "bench", evs, nil); err != nil || n != 0 {
			b.Fatal(n, err)
		}
	}
	b.ReportMetric(float64(b.N*1000)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkSummary counts distinct values for one entity among 200,000 events.
func BenchmarkSummary(b *testing.B) {
	ctx := context.Background()
	s, err := Open(ctx, b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	for i := 0; i < 200; i++ {
		if _, err := s.Append(ctx, "bench", benchEvents(1000, i*1000), nil); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := s.Summary(ctx, event.UserEntity("user7@example.com"), storetest.Base, store.SummaryFields()); err != nil {
			b.Fatal(err)
		}
	}
}
