package pipeline

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/vigil-sec/vigil/internal/alert"
	"github.com/vigil-sec/vigil/internal/event"
	"github.com/vigil-sec/vigil/internal/store"
	"github.com/vigil-sec/vigil/internal/store/sqlite"
)

// TestStoriesDoNotDependOnOrderOrRestarts: the same alerts, in any order, through a
// folder that is thrown away and rebuilt from the store part way, make the same stories
// with the same counts.
func TestStoriesDoNotDependOnOrderOrRestarts(t *testing.T) {
	base := time.Date(2026, 10, 20, 0, 0, 0, 0, time.UTC)
	var raised []alert.Alert
	for i := range 40 {
		raised = append(raised, alert.Alert{
			ID: fmt.Sprintf("a%d", i), Time: base.Add(time.Duration(i) * 90 * time.Minute),
			Rule: alert.Rule{ID: []string{"keys-listed", "ca-blocked"}[i%2], Kind: alert.KindSigma}, Severity: alert.SeverityLow,
			Entity: event.UserEntity(fmt.Sprintf("u%d@example.com", i%3)), EventUIDs: []string{fmt.Sprintf("e%d", i)}, Reason: "r",
		})
	}
	run := func(order []alert.Alert, restartAt int) map[string]int {
		st, err := sqlite.Open(context.Background(), t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		f := newStoryFolder(24*time.Hour, st)
		for i, a := range order {
			if i == restartAt {
				f = newStoryFolder(24*time.Hour, st)
				// A restart replays some alerts it had already folded.
				for _, again := range order[max(0, i-5):i] {
					s, _, changed, err := f.add(context.Background(), again)
					if err != nil || changed {
						t.Fatalf("a replayed alert changed its story %s: %v", s.ID, err)
					}
				}
			}
			s, _, changed, err := f.add(context.Background(), a)
			if err != nil {
				t.Fatal(err)
			}
			if changed {
				if _, err := st.PutAlerts(context.Background(), []alert.Alert{s}); err != nil {
					t.Fatal(err)
				}
			}
		}
		out := map[string]int{}
		p, _ := st.Alerts(context.Background(), storeAlerts())
		for _, s := range p.Alerts {
			out[s.ID] = s.Occurrences
		}
		return out
	}
	want := run(raised, -1)
	if len(want) == 0 || len(want) >= len(raised) {
		t.Fatalf("%d stories from %d alerts: want folding", len(want), len(raised))
	}
	shuffled := append([]alert.Alert(nil), raised...)
	rand.New(rand.NewPCG(1, 2)).Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	for _, restart := range []int{-1, 17} {
		got := run(shuffled, restart)
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("shuffled, restart at %d: stories %v, want %v", restart, got, want)
		}
	}
	total := 0
	for _, n := range want {
		total += n
	}
	if total != len(raised) {
		t.Errorf("stories count %d alerts, want %d", total, len(raised))
	}
}

func storeAlerts() store.AlertQuery { return store.AlertQuery{Limit: 1000} }
