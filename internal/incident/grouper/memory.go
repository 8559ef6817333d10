package grouper

import (
	"sort"

	"github.com/vigil-sec/vigil/internal/incident"
)

// keep replaces the in-memory incidents (no store).
func (g *Grouper) keep(out []incident.Incident) {
	for _, in := range out {
		for _, old := range in.Replaces {
			delete(g.kept, old)
		}
		in.Replaces = nil
		g.kept[in.ID] = in
	}
}

// Incidents returns, for a grouper without a store, the incidents of two alerts or more
// made so far, oldest first.
func (g *Grouper) Incidents() []incident.Incident {
	g.mu.Lock()
	defer g.mu.Unlock()
	var out []incident.Incident
	for _, in := range g.kept {
		if len(in.Chain) >= 2 {
			out = append(out, in)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].FirstSeen.Equal(out[j].FirstSeen) {
			return out[i].FirstSeen.Before(out[j].FirstSeen)
		}
		return out[i].ID < out[j].ID
	})
	return out
}
