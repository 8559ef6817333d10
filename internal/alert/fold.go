package alert

import (
	"fmt"
	"sort"
	"time"
)

// DefaultFoldWindow is how long one detection on one entity stays one story.
const DefaultFoldWindow = 24 * time.Hour

// maxFoldedEvidence bounds the evidence list of a folded alert: the first events and the
// latest matter to an analyst, not the thousandth refresh in between.
const maxFoldedEvidence = 200

// A Folder makes one page of one story: alerts of the same detection on the same entity
// within a window of the first are folded into that first alert, which keeps its id (so a
// receiver that deduplicates on it sees the story grow, not a new page), counts the
// occurrences, keeps first and last seen, the highest severity and score, and a growing
// evidence list. Correlation alerts (chains) are never folded: each is its own story
// already, and its members' folding does not touch it. A Folder is not safe for concurrent
// use; the zero value is not usable, call NewFolder.
type Folder struct {
	window time.Duration
	open   map[foldKey]*Alert
	ended  []Alert // stories a later alert found past their window, for the next Close
}

type foldKey struct{ rule, entity string }

// NewFolder returns a folder with the given window; 0 or less means DefaultFoldWindow.
func NewFolder(window time.Duration) *Folder {
	if window <= 0 {
		window = DefaultFoldWindow
	}
	return &Folder{window: window, open: map[foldKey]*Alert{}}
}

// Add folds a into its open story, or opens one. It returns the story as it now stands and
// whether it is new (the first alert of the story, which pages).
func (f *Folder) Add(a Alert) (Alert, bool) {
	if a.Rule.Kind == KindCorrelation {
		return a, true
	}
	k := foldKey{a.Rule.ID, a.Entity.Key()}
	s := f.open[k]
	if s != nil && a.Time.Sub(s.FirstSeen) >= f.window {
		f.ended = append(f.ended, finish(*s)) // the window has passed: a new story
		s = nil
	}
	if s == nil {
		n := a
		n.FirstSeen, n.LastSeen, n.Occurrences = a.Time, a.Time, 1
		n.EventUIDs = append([]string(nil), a.EventUIDs...)
		f.open[k] = &n
		return n, true
	}
	s.Occurrences++
	if a.Time.After(s.LastSeen) {
		s.LastSeen = a.Time
	}
	if a.Severity.Rank() > s.Severity.Rank() {
		s.Severity = a.Severity
	}
	s.Score = max(s.Score, a.Score)
	for _, u := range a.EventUIDs {
		if len(s.EventUIDs) >= maxFoldedEvidence {
			break
		}
		s.EventUIDs = appendNew(s.EventUIDs, u)
	}
	s.Latest = a.Reason
	return *s, false
}

// Close returns the stories whose window ended by now, oldest first, and forgets them.
func (f *Folder) Close(now time.Time) []Alert {
	done := f.ended
	f.ended = nil
	for k, s := range f.open {
		if now.Sub(s.FirstSeen) >= f.window {
			done = append(done, finish(*s))
			delete(f.open, k)
		}
	}
	sortByFirst(done)
	return done
}

// Flush returns every open story, oldest first, and forgets them: the end of a hunt.
func (f *Folder) Flush() []Alert {
	done := f.ended
	f.ended = nil
	for k, s := range f.open {
		done = append(done, finish(*s))
		delete(f.open, k)
	}
	sortByFirst(done)
	return done
}

// finish writes the fold into the reason, so a person reading one line sees the story.
func finish(a Alert) Alert {
	if a.Occurrences > 1 {
		a.Reason = fmt.Sprintf("%s [%d times between %s and %s; latest: %s]", a.Reason, a.Occurrences,
			a.FirstSeen.UTC().Format(time.RFC3339), a.LastSeen.UTC().Format(time.RFC3339), a.Latest)
	}
	return a
}

func appendNew(list []string, u string) []string {
	for _, have := range list {
		if have == u {
			return list
		}
	}
	return append(list, u)
}

func sortByFirst(as []Alert) {
	sort.Slice(as, func(i, j int) bool {
		if !as[i].Time.Equal(as[j].Time) {
			return as[i].Time.Before(as[j].Time)
		}
		return as[i].ID < as[j].ID
	})
}

// Stream puts the folder in front of emit: add takes alerts as detectors raise them (in
// event-time order) and passes each story on once its window has closed; flush passes the
// rest at the end. Stories are checked for closing once per hour of alert time.
func (f *Folder) Stream(emit func(Alert) error) (add func(Alert) error, flush func() error) {
	var hour time.Time
	pass := func(as []Alert) error {
		for _, a := range as {
			if err := emit(a); err != nil {
				return err
			}
		}
		return nil
	}
	add = func(a Alert) error {
		if h := a.Time.Truncate(time.Hour); h.After(hour) {
			hour = h
			if err := pass(f.Close(a.Time)); err != nil {
				return err
			}
		}
		if a.Rule.Kind == KindCorrelation {
			return emit(a)
		}
		f.Add(a)
		return nil
	}
	return add, func() error { return pass(f.Flush()) }
}
