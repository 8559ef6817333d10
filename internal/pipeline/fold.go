package pipeline

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/vigil-sec/vigil/internal/alert"
	"github.com/vigil-sec/vigil/internal/store"
)

// Folding limits: the evidence a story lists and the member alerts it remembers (so an
// alert raised again after a restart is not counted twice).
const (
	maxStoryEvidence = 200
	maxStoryMembers  = 1000
	membersKey       = "folded_alerts"
)

// storyFolder makes one page per story in the daemon: alerts of one detection on one
// entity within one fold window are one stored alert, whose count, last seen, evidence and
// severity grow. Stories are anchored to fixed windows of event time (rule, entity,
// window start), not to their first alert, so the same alerts make the same stories
// whatever order they arrive in and however often the daemon restarts; a story is read
// back from the store when the daemon meets it again. Chains (correlations) and
// Vigil's own alerts keep their own alert.
type storyFolder struct {
	window    time.Duration
	open      map[string]*alert.Alert // by story id
	store     store.AlertStore
	forgotten time.Time // forget's last cut
}

func newStoryFolder(window time.Duration, st store.AlertStore) *storyFolder {
	return &storyFolder{window: window, open: map[string]*alert.Alert{}, store: st}
}

// add folds a into its story and returns the story as it now stands, whether the story
// is new (it pages), and whether a changed it at all (a repeat of a known member does not).
func (f *storyFolder) add(ctx context.Context, a alert.Alert) (story alert.Alert, isNew, changed bool, err error) {
	if a.Rule.Kind == alert.KindCorrelation || a.Rule.Kind == alert.KindBuiltin {
		return a, true, true, nil
	}
	anchor := a.Time.UTC().Truncate(f.window)
	id := alert.StableID("story/"+a.Rule.ID, a.Entity, []string{anchor.Format(time.RFC3339)})
	s := f.open[id]
	if s == nil {
		if s, err = f.load(ctx, id, a, anchor); err != nil {
			return a, false, false, err
		}
	}
	if s == nil {
		n := a
		n.ID, n.FirstSeen, n.LastSeen, n.Occurrences = id, a.Time, a.Time, 1
		n.EventUIDs = slices.Clone(a.EventUIDs)
		n.Details = cloneDetails(a.Details)
		n.Details[membersKey] = []string{a.ID}
		f.open[id] = &n
		return n, true, true, nil
	}
	members := memberIDs(s)
	if slices.Contains(members, a.ID) {
		return *s, false, false, nil
	}
	if len(members) < maxStoryMembers {
		s.Details[membersKey] = append(members, a.ID)
	}
	s.Occurrences++
	if a.Time.Before(s.FirstSeen) {
		s.FirstSeen = a.Time
	}
	if a.Time.After(s.LastSeen) {
		s.LastSeen, s.Latest = a.Time, a.Reason
	}
	if a.Severity.Rank() > s.Severity.Rank() {
		s.Severity = a.Severity
	}
	s.Score = max(s.Score, a.Score)
	for _, u := range a.EventUIDs {
		if len(s.EventUIDs) < maxStoryEvidence && !slices.Contains(s.EventUIDs, u) {
			s.EventUIDs = append(s.EventUIDs, u)
		}
	}
	s.Reason = fmt.Sprintf("%s [%d times between %s and %s]", firstReason(s), s.Occurrences,
		s.FirstSeen.UTC().Format(time.RFC3339), s.LastSeen.UTC().Format(time.RFC3339))
	return *s, false, true, nil
}

// load reads a story back from the store (after a restart, or once forgotten).
func (f *storyFolder) load(ctx context.Context, id string, a alert.Alert, anchor time.Time) (*alert.Alert, error) {
	q := store.AlertQuery{From: anchor, To: anchor.Add(f.window), Entity: a.Entity, RuleID: a.Rule.ID, Limit: 1000}
	for {
		p, err := f.store.Alerts(ctx, q)
		if err != nil {
			return nil, fmt.Errorf("pipeline: fold: %w", err)
		}
		for i := range p.Alerts {
			if p.Alerts[i].ID == id {
				s := p.Alerts[i]
				if s.Details == nil {
					s.Details = map[string]any{}
				}
				f.open[id] = &s
				return &s, nil
			}
		}
		if p.Next == "" {
			return nil, nil
		}
		q.Cursor = p.Next
	}
}

// forget drops the stories whose window ended before t (they are in the store), at most
// once per simulated hour of progress.
func (f *storyFolder) forget(t time.Time) {
	if t.Sub(f.forgotten) < time.Hour {
		return
	}
	f.forgotten = t
	for id, s := range f.open {
		if s.FirstSeen.UTC().Truncate(f.window).Add(f.window).Before(t) {
			delete(f.open, id)
		}
	}
}

// memberIDs reads the member list, as kept in memory or as decoded from the store.
func memberIDs(s *alert.Alert) []string {
	switch v := s.Details[membersKey].(type) {
	case []string:
		return v
	case []any:
		out := make([]string, 0, len(v))
		for _, x := range v {
			if id, ok := x.(string); ok {
				out = append(out, id)
			}
		}
		s.Details[membersKey] = out
		return out
	}
	return nil
}

// firstReason is the story's first reason, without the fold summary.
func firstReason(s *alert.Alert) string {
	r := s.Reason
	if i := strings.LastIndex(r, " ["); i > 0 && strings.HasSuffix(r, " times between "+s.FirstSeen.UTC().Format(time.RFC3339)+" and "+s.LastSeen.UTC().Format(time.RFC3339)+"]") {
		return r[:i]
	}
	return r
}

func cloneDetails(d map[string]any) map[string]any {
	out := make(map[string]any, len(d)+1)
	for k, v := range d {
		out[k] = v
	}
	return out
}
