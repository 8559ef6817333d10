package grouper

import (
	"context"
	"fmt"
	"strings"

	"github.com/vigil-sec/vigil/internal/incident"
	"github.com/vigil-sec/vigil/internal/store"
)

// maxRestore bounds how many incidents a restore reads.
const maxRestore = 100000

// Restore reads the incidents still open — those whose last alert is within the window of
// the newest stored one — back into the grouper, so alerts after a restart join them as
// they would have, and the ids stay the same.
func (g *Grouper) Restore(ctx context.Context) error {
	if g.st == nil {
		return nil
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	q := store.IncidentQuery{Singles: true, Limit: 1000}
	read := 0
	for {
		page, err := g.st.Incidents(ctx, q)
		if err != nil {
			return fmt.Errorf("incident: restore: %w", err)
		}
		for _, in := range page.Incidents {
			if len(in.Chain) == 0 {
				continue
			}
			if g.mark.IsZero() {
				g.mark = in.LastSeen
			}
			if g.mark.Sub(in.LastSeen) > g.cfg.Window {
				return nil // newest first: the rest are older still
			}
			g.restoreOne(in)
			read++
		}
		if page.Next == "" || read >= maxRestore {
			return nil
		}
		q.Cursor = page.Next
	}
}

func (g *Grouper) restoreOne(in incident.Incident) {
	gr := &group{steps: map[string]incident.Step{}, ids: map[string]bool{}, anchors: map[string]bool{}, uses: map[string]bool{},
		first: in.FirstSeen, last: in.LastSeen, stored: in.ID}
	for _, st := range in.Chain {
		gr.steps[st.AlertID] = st
		g.byAlert[st.AlertID] = gr
	}
	for _, l := range in.Links {
		switch {
		case strings.HasPrefix(l, "id:"):
			gr.ids[l[3:]] = true
		case strings.HasPrefix(l, "anchor:"):
			gr.anchors[l[7:]] = true
		case strings.HasPrefix(l, "use:"):
			gr.uses[l[4:]] = true
		}
	}
	g.groups[gr] = true
}
