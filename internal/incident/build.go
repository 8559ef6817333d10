package incident

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/vigil-sec/vigil/internal/alert"
	"github.com/vigil-sec/vigil/internal/event"
)

// Score combines the scores of an incident's alerts as independent evidence:
// 1 − Π(1 − s/100), so the whole is above its parts, capped at 100.
func Score(scores []int) int {
	rest := 1.0
	for _, s := range scores {
		s = min(max(s, 0), 100)
		rest *= 1 - float64(s)/100
	}
	return min(100, int(math.Round(100*(1-rest))))
}

// SeverityOf is the severity of an incident's score.
func SeverityOf(score int) alert.Severity {
	switch {
	case score >= 90:
		return alert.SeverityCritical
	case score >= 70:
		return alert.SeverityHigh
	case score >= 40:
		return alert.SeverityMedium
	case score >= 20:
		return alert.SeverityLow
	}
	return alert.SeverityInfo
}

// ID is the id of an incident whose earliest alert (by time, then id) is anchor: the same
// alerts give the same id whatever order they arrived in, and after a restart.
func ID(anchor string) string {
	h := sha256.Sum256([]byte("incident\x00" + anchor))
	return hex.EncodeToString(h[:16])
}

// sortSteps orders a chain by time, then alert id.
func sortSteps(steps []Step) {
	sort.Slice(steps, func(i, j int) bool {
		if !steps[i].Time.Equal(steps[j].Time) {
			return steps[i].Time.Before(steps[j].Time)
		}
		return steps[i].AlertID < steps[j].AlertID
	})
}

// StepOf is an alert's step, its detail sentence written from the evidence.
func StepOf(a alert.Alert, evidence []*event.Event) Step {
	t := a.Time
	if !a.FirstSeen.IsZero() && a.FirstSeen.Before(t) {
		t = a.FirstSeen
	}
	st := Step{Time: t.UTC(), AlertID: a.ID, Title: a.Title, Rule: a.Rule.ID, Severity: a.Severity, Score: a.Score, Entity: a.Entity}
	if len(a.Attack) > 0 {
		st.Technique = a.Attack[0]
	}
	st.Detail = detail(a, t, evidence)
	return st
}

// maxReason bounds the reason quoted in a step's sentence.
const maxReason = 160

// detail is one sentence of the story: when, what, who, from where, and the reason.
func detail(a alert.Alert, t time.Time, evidence []*event.Event) string {
	var b strings.Builder
	fmt.Fprintf(&b, "at %s %s", t.UTC().Format("15:04"), firstNonEmpty(a.Title, a.Rule.ID))
	if a.Entity.Name != "" {
		fmt.Fprintf(&b, " (%s)", a.Entity.Name)
	}
	if from := whereFrom(evidence); from != "" {
		b.WriteString(" from " + from)
	}
	if a.Occurrences > 1 {
		fmt.Fprintf(&b, ", %d times", a.Occurrences)
	}
	if r := strings.TrimSpace(a.Reason); r != "" {
		if len(r) > maxReason {
			r = cutUTF8(r, maxReason) + "…"
		}
		b.WriteString(": " + r)
	}
	return b.String()
}

// whereFrom names the evidence's most frequent source address with its place.
func whereFrom(evidence []*event.Event) string {
	count := map[string]int{}
	var best string
	var where *event.Event
	for _, ev := range evidence {
		ip := ev.SrcEndpoint.IP
		if ip == "" {
			continue
		}
		count[ip]++
		if count[ip] > count[best] || (count[ip] == count[best] && ip < best) {
			best, where = ip, ev
		}
	}
	if best == "" {
		return ""
	}
	var place []string
	if l := where.SrcEndpoint.Location; l != nil && l.Country != "" {
		place = append(place, l.Country)
	}
	if as := where.SrcEndpoint.AutonomousSystem; as != nil && as.Number > 0 {
		place = append(place, fmt.Sprintf("AS%d", as.Number))
	}
	if len(count) > 1 {
		place = append(place, fmt.Sprintf("and %d other addresses", len(count)-1))
	}
	if len(place) == 0 {
		return best
	}
	return best + " (" + strings.Join(place, ", ") + ")"
}

// Build writes the incident of a chain's steps (any order): its id, score, severity,
// entities (the steps' and the linking addresses), title and story.
func Build(steps []Step, links []string, anchors []string) Incident {
	sortSteps(steps)
	in := Incident{
		ID: ID(steps[0].AlertID), Chain: steps, FirstSeen: steps[0].Time, LastSeen: steps[0].Time, Links: links,
	}
	scores := make([]int, len(steps))
	seen := map[string]bool{}
	for i, s := range steps {
		scores[i] = s.Score
		in.AlertIDs = append(in.AlertIDs, s.AlertID)
		if s.Time.After(in.LastSeen) {
			in.LastSeen = s.Time
		}
		if k := s.Entity.Key(); !s.Entity.IsZero() && !seen[k] {
			seen[k] = true
			in.Entities = append(in.Entities, s.Entity)
		}
	}
	for _, a := range anchors {
		if e := (event.Entity{Type: event.EntityIP, Name: a}); !seen[e.Key()] {
			seen[e.Key()] = true
			in.Entities = append(in.Entities, e)
		}
	}
	in.Score = Score(scores)
	in.Severity = SeverityOf(in.Score)
	in.Title = title(in)
	in.Story = story(in)
	return in
}

// primary is the identity the incident is most about: the entity of most steps, people
// and workloads before addresses.
func primary(in Incident) event.Entity {
	count := map[string]int{}
	var best event.Entity
	for _, s := range in.Chain {
		k := s.Entity.Key()
		count[k]++
		better := count[k] > count[best.Key()]
		if isAddress(best.Type) && !isAddress(s.Entity.Type) {
			better = true
		} else if !isAddress(best.Type) && isAddress(s.Entity.Type) && !best.IsZero() {
			better = false
		}
		if better {
			best = s.Entity
		}
	}
	return best
}

func isAddress(t event.EntityType) bool {
	return t == event.EntityIP || t == event.EntityUserAgent || t == event.EntityASN
}

func title(in Incident) string {
	first, last := in.Chain[0], in.Chain[len(in.Chain)-1]
	if len(in.Chain) == 1 {
		return first.Title
	}
	who := primary(in).Name
	if first.Title == last.Title {
		return fmt.Sprintf("%s: %s (%d alerts)", who, first.Title, len(in.Chain))
	}
	return fmt.Sprintf("%s: %s → %s (%d alerts)", who, first.Title, last.Title, len(in.Chain))
}

// maxStorySteps bounds the steps the story tells one by one.
const maxStorySteps = 12

func story(in Incident) string {
	var names []string
	for _, e := range in.Entities {
		names = append(names, e.Name)
	}
	if len(names) > 4 {
		names = append(names[:4], fmt.Sprintf("%d more", len(names)-4))
	}
	span := "at " + in.FirstSeen.Format("2006-01-02 15:04 UTC")
	if !in.LastSeen.Equal(in.FirstSeen) {
		end := in.LastSeen.Format("15:04 UTC")
		if in.LastSeen.YearDay() != in.FirstSeen.YearDay() || in.LastSeen.Year() != in.FirstSeen.Year() {
			end = in.LastSeen.Format("2006-01-02 15:04 UTC")
		}
		span = "from " + in.FirstSeen.Format("2006-01-02 15:04") + " to " + end
	}
	var parts []string
	for i, s := range in.Chain {
		if i == maxStorySteps {
			parts = append(parts, fmt.Sprintf("and %d more alerts", len(in.Chain)-i))
			break
		}
		parts = append(parts, s.Detail)
	}
	return fmt.Sprintf("%d alert(s) on %s %s, scored %d together: %s.", len(in.Chain), strings.Join(names, ", "), span, in.Score,
		strings.Join(parts, "; then "))
}

func firstNonEmpty(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}

func cutUTF8(s string, n int) string {
	for n > 0 && n < len(s) && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}
