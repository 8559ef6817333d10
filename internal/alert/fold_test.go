package alert

import (
	"testing"
	"time"

	"github.com/vigil-sec/vigil/internal/event"
)

func foldAlert(rule, who string, t time.Time, sev Severity, uid string) Alert {
	e := event.Entity{Type: event.EntityUser, Name: who}
	return Alert{ID: StableID(rule, e, []string{uid}), Time: t, Rule: Rule{ID: rule, Kind: KindBuiltin}, Severity: sev, Score: SeverityScore(sev),
		Entity: e, EventUIDs: []string{uid}, Reason: "hop " + uid}
}

func TestFolderOneStoryPerDetectionAndEntity(t *testing.T) {
	t0 := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	f := NewFolder(0)
	first, isNew := f.Add(foldAlert("travel", "ann", t0, SeverityMedium, "e1"))
	if !isNew {
		t.Fatal("the first alert of a story must be new")
	}
	if _, isNew := f.Add(foldAlert("travel", "ann", t0.Add(3*time.Hour), SeverityHigh, "e2")); isNew {
		t.Fatal("a second hop within the window opened a new story")
	}
	if _, isNew := f.Add(foldAlert("travel", "bob", t0.Add(time.Hour), SeverityHigh, "e3")); !isNew {
		t.Fatal("another entity must be its own story")
	}
	if _, isNew := f.Add(foldAlert("spray", "ann", t0.Add(time.Hour), SeverityHigh, "e4")); !isNew {
		t.Fatal("another detection must be its own story")
	}
	got, _ := f.Add(foldAlert("travel", "ann", t0.Add(23*time.Hour), SeverityLow, "e2"))
	if got.ID != first.ID || got.Occurrences != 3 || got.Severity != SeverityHigh || !got.LastSeen.Equal(t0.Add(23*time.Hour)) || !got.FirstSeen.Equal(t0) {
		t.Fatalf("folded story = id %s occurrences %d severity %s last %s", got.ID, got.Occurrences, got.Severity, got.LastSeen)
	}
	if len(got.EventUIDs) != 2 {
		t.Fatalf("evidence = %v, want e1 and e2 once each", got.EventUIDs)
	}
	if _, isNew := f.Add(foldAlert("travel", "ann", t0.Add(25*time.Hour), SeverityHigh, "e5")); !isNew {
		t.Fatal("after the window a new story must start")
	}
	closed := f.Close(t0.Add(26 * time.Hour))
	if len(closed) != 3 { // ann's first travel story, bob's, ann's spray
		t.Fatalf("closed %d stories, want 3", len(closed))
	}
	if closed[0].ID != first.ID || closed[0].Occurrences != 3 {
		t.Fatalf("first closed story = %s ×%d", closed[0].ID, closed[0].Occurrences)
	}
	rest := f.Flush()
	if len(rest) != 1 || rest[0].Occurrences != 1 || rest[0].EventUIDs[0] != "e5" {
		t.Fatalf("flush = %+v", rest)
	}
}

func TestFolderKeepsChainsApart(t *testing.T) {
	t0 := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	f := NewFolder(time.Hour)
	a := foldAlert("chain", "ann", t0, SeverityHigh, "e1")
	a.Rule.Kind = KindCorrelation
	for i := 0; i < 2; i++ {
		if _, isNew := f.Add(a); !isNew {
			t.Fatal("a chain was folded")
		}
	}
	if n := len(f.Flush()); n != 0 {
		t.Fatalf("chains held by the folder: %d", n)
	}
}

func TestFolderStreamPassesEachStoryOnce(t *testing.T) {
	t0 := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	var got []Alert
	add, flush := NewFolder(0).Stream(func(a Alert) error { got = append(got, a); return nil })
	for i := 0; i < 30; i++ { // a hop every two hours for 60 hours: three stories
		if err := add(foldAlert("travel", "ann", t0.Add(time.Duration(2*i)*time.Hour), SeverityHigh, "e"+string(rune('a'+i)))); err != nil {
			t.Fatal(err)
		}
	}
	if len(got) != 2 {
		t.Fatalf("%d stories passed before the end, want the two whose windows closed", len(got))
	}
	if err := flush(); err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || got[0].Occurrences != 12 || got[1].Occurrences != 12 || got[2].Occurrences != 6 {
		t.Fatalf("stories: %d", len(got))
	}
}
