package console

import (
	"errors"
	"net/http"

	"github.com/vigil-sec/vigil/internal/alert"
	"github.com/vigil-sec/vigil/internal/incident"
	"github.com/vigil-sec/vigil/internal/store"
)

// IncidentItem is an incident in a list, with its lifecycle state.
type IncidentItem struct {
	incident.Incident
	Status string `json:"status"`
}

// IncidentDetail is GET /api/v1/incidents/{id}.
type IncidentDetail struct {
	incident.Incident
	Status   store.Status    `json:"status"`
	Alerts   []AlertItem     `json:"alerts"`
	Comments []store.Comment `json:"comments"`
}

func (s *Server) incidents(w http.ResponseWriter, r *http.Request) {
	p := params{r: r}
	q := store.IncidentQuery{From: p.time("from"), To: p.time("to"), Entity: p.entity("entity_type", "entity_name"),
		MinScore: p.intv("min_score"), Limit: p.limit(), Cursor: p.cursor()}
	state := p.str("status")
	switch state {
	case "", store.StateNew, store.StateAcknowledged, store.StateClosed:
	default:
		p.fail("status", "new, acknowledged or closed")
	}
	if p.err != nil {
		writeError(w, http.StatusBadRequest, p.err.Error())
		return
	}
	if s.opts.Incidents == nil {
		writeJSON(w, http.StatusOK, List[IncidentItem]{Items: []IncidentItem{}})
		return
	}
	items, next, err := s.incidentPage(r, q, state)
	if err != nil {
		s.internalError(w, r, "reading the incidents", err)
		return
	}
	writeJSON(w, http.StatusOK, List[IncidentItem]{Items: items, Next: next})
}

// incidentPage reads a page of incidents with their states; with a state filter it reads
// on until the page is full or a bounded number of store pages were read (incidents are
// few, so this stays small), and its next cursor continues after the last one read.
func (s *Server) incidentPage(r *http.Request, q store.IncidentQuery, state string) ([]IncidentItem, string, error) {
	want := q.Limit
	items := []IncidentItem{}
	for range 20 {
		page, err := s.opts.Incidents.Incidents(r.Context(), q)
		if err != nil {
			return nil, "", err
		}
		ids := make([]string, len(page.Incidents))
		for i, in := range page.Incidents {
			ids[i] = in.ID
		}
		sts, err := s.opts.Data.Statuses(r.Context(), store.KindIncident, ids)
		if err != nil {
			return nil, "", err
		}
		for _, in := range page.Incidents {
			st := sts[in.ID].State
			if st == "" {
				st = store.StateNew
			}
			if state == "" || st == state {
				items = append(items, IncidentItem{Incident: in, Status: st})
			}
		}
		if page.Next == "" || state == "" || len(items) >= want {
			return items, page.Next, nil
		}
		q.Cursor = page.Next
	}
	return items, q.Cursor, nil
}

func (s *Server) incidentDetail(w http.ResponseWriter, r *http.Request) {
	s.writeIncidentDetail(w, r, r.PathValue("id"))
}

func (s *Server) writeIncidentDetail(w http.ResponseWriter, r *http.Request, id string) {
	if s.opts.Incidents == nil {
		writeError(w, http.StatusNotFound, "no incident "+id+"; this daemon groups no incidents")
		return
	}
	in, err := s.opts.Incidents.Incident(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		writeError(w, http.StatusNotFound, "no incident "+id+"; list them at /api/v1/incidents")
		return
	}
	if err != nil {
		s.internalError(w, r, "reading the incident", err)
		return
	}
	// A replaced id gives the incident that took it over: its status and comments are
	// under its own id.
	d := IncidentDetail{Incident: in}
	if d.Status, d.Comments, err = s.lifecycle(r, store.KindIncident, in.ID); err != nil {
		s.internalError(w, r, "reading the incident's status", err)
		return
	}
	var as []alert.Alert
	for _, aid := range in.AlertIDs {
		a, err := s.opts.Data.Alert(r.Context(), aid)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			s.internalError(w, r, "reading the incident's alerts", err)
			return
		}
		as = append(as, a)
	}
	if d.Alerts, err = s.alertItems(r, as); err != nil {
		s.internalError(w, r, "reading the alerts' status", err)
		return
	}
	writeJSON(w, http.StatusOK, d)
}

func (s *Server) incidentAcknowledge(w http.ResponseWriter, r *http.Request) {
	s.transition(w, r, store.KindIncident, store.StateAcknowledged)
}

func (s *Server) incidentClose(w http.ResponseWriter, r *http.Request) {
	s.transition(w, r, store.KindIncident, store.StateClosed)
}

func (s *Server) incidentComment(w http.ResponseWriter, r *http.Request) {
	s.comment(w, r, store.KindIncident)
}
