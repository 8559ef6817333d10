package behavior

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/vigil-sec/vigil/internal/alert"
	"github.com/vigil-sec/vigil/internal/detect"
)

// chain is an identity's recent behavioural alerts. Fields are exported for the snapshot.
type chain struct {
	Links []link
}

// link is one alert of a chain.
type link struct {
	T      millis
	Rule   string
	Title  string
	Score  int
	UIDs   []string
	Attack []string
}

// maxLinks caps a chain; the oldest links go first.
const maxLinks = 32

// chain adds a behavioural alert to its identity's chain. When the chain holds different
// detections within the window, they are one story: an alert whose score combines theirs
// (1 − Π(1 − score/100)), raised again each time a new kind of detection joins.
func (d *Detector) chain(a alert.Alert, emit detect.Emit) {
	if a.Entity.IsZero() || !isIdentity(a.Entity.Type) || a.Details["lowered"] != nil {
		return // a finding lowered for what explains it is no evidence of a story
	}
	c := d.st.Chains[a.Entity]
	if c == nil {
		c = &chain{}
		ent := a.Entity
		ent.Name = strings.Clone(ent.Name)
		d.st.Chains[ent] = c
	}
	t := toMillis(a.Time)
	cut := t.Add(-d.cfg.Chain.Window)
	i := 0
	for i < len(c.Links) && c.Links[i].T < cut {
		i++
	}
	c.Links = c.Links[i:]
	// Two detections of one event are one observation: a detection without evidence of its
	// own adds nothing to the story (its link keeps the higher score).
	fresh := slices.ContainsFunc(a.EventUIDs, func(u string) bool {
		return !slices.ContainsFunc(c.Links, func(l link) bool { return slices.Contains(l.UIDs, u) })
	})
	if !fresh && len(c.Links) > 0 {
		for i := range c.Links {
			if slices.Equal(c.Links[i].UIDs, a.EventUIDs) || slices.ContainsFunc(a.EventUIDs, func(u string) bool { return slices.Contains(c.Links[i].UIDs, u) }) {
				c.Links[i].Score = max(c.Links[i].Score, a.Score)
				break
			}
		}
		return
	}
	joined := !slices.ContainsFunc(c.Links, func(l link) bool { return l.Rule == a.Rule.ID })
	if len(c.Links) >= maxLinks {
		c.Links = c.Links[1:]
	}
	c.Links = append(c.Links, link{T: t, Rule: a.Rule.ID, Title: a.Title, Score: a.Score, UIDs: a.EventUIDs, Attack: a.Attack})
	if !joined {
		return
	}
	rules := map[string]int{} // rule → best score
	var uids, attack, titles []string
	for _, l := range c.Links {
		if _, seen := rules[l.Rule]; !seen {
			titles = append(titles, l.Title)
		}
		rules[l.Rule] = max(rules[l.Rule], l.Score)
		uids = append(uids, l.UIDs...)
		for _, t := range l.Attack {
			if !slices.Contains(attack, t) {
				attack = append(attack, t)
			}
		}
	}
	if len(rules) < 2 {
		return
	}
	rest := 1.0
	for _, s := range rules {
		rest *= 1 - float64(s)/100
	}
	score := int(math.Round(100 * (1 - rest)))
	sev := alert.SeverityHigh
	if score >= 95 {
		sev = alert.SeverityCritical
	}
	sort.Strings(uids)
	uids = slices.Compact(uids)
	sort.Strings(attack)
	first := c.Links[0]
	reason := fmt.Sprintf("%d behavioural detections on this identity within %s: %s", len(rules),
		a.Time.Sub(first.T.Time()).Round(time.Minute), strings.Join(titles, ", then "))
	emit(newAlert("vigil-behavior-chain", "Chain of unusual behaviour on one identity", alert.KindCorrelation, sev, score, a.Time,
		a.Entity, uids, attack, reason))
}
