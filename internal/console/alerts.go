package console

import (
	"errors"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/vigil-sec/vigil/internal/alert"
	"github.com/vigil-sec/vigil/internal/incident"
	"github.com/vigil-sec/vigil/internal/store"
)

// AlertItem is an alert in a list: the alert and its lifecycle state.
type AlertItem struct {
	alert.Alert
	Status string `json:"status"`
}

// AlertDetail is GET /api/v1/alerts/{id}.
type AlertDetail struct {
	alert.Alert
	Status     store.Status    `json:"status"`
	Comments   []store.Comment `json:"comments"`
	Triage     any             `json:"triage,omitempty"`
	IncidentID string          `json:"incident_id,omitempty"`
}

func (s *Server) alerts(w http.ResponseWriter, r *http.Request) {
	p := params{r: r}
	q := store.StatusAlertQuery{AlertQuery: store.AlertQuery{
		From: p.time("from"), To: p.time("to"), Entity: p.entity("entity_type", "entity_name"),
		RuleID: p.str("rule"), Limit: p.limit(), Cursor: p.cursor(),
	}, State: p.str("status"), Kind: p.str("kind")}
	if v := p.str("severity"); v != "" {
		q.MinSeverity = alert.Severity(strings.ToLower(v))
		if q.MinSeverity.Rank() < 0 {
			p.fail("severity", "informational, low, medium, high or critical (the least severity shown)")
		}
	}
	switch q.State {
	case "", store.StateNew, store.StateAcknowledged, store.StateClosed:
	default:
		p.fail("status", "new, acknowledged or closed")
	}
	if p.err != nil {
		writeError(w, http.StatusBadRequest, p.err.Error())
		return
	}
	page, err := s.opts.Data.AlertsByStatus(r.Context(), q)
	if err != nil {
		s.internalError(w, r, "reading the alerts", err)
		return
	}
	items, err := s.alertItems(r, page.Alerts)
	if err != nil {
		s.internalError(w, r, "reading the alerts' status", err)
		return
	}
	writeJSON(w, http.StatusOK, List[AlertItem]{Items: items, Next: page.Next})
}

// alertItems adds each alert's lifecycle state.
func (s *Server) alertItems(r *http.Request, alerts []alert.Alert) ([]AlertItem, error) {
	ids := make([]string, len(alerts))
	for i, a := range alerts {
		ids[i] = a.ID
	}
	sts, err := s.opts.Data.Statuses(r.Context(), store.KindAlert, ids)
	if err != nil {
		return nil, err
	}
	items := make([]AlertItem, len(alerts))
	for i, a := range alerts {
		st := sts[a.ID].State
		if st == "" {
			st = store.StateNew
		}
		items[i] = AlertItem{Alert: a, Status: st}
	}
	return items, nil
}

func (s *Server) alertDetail(w http.ResponseWriter, r *http.Request) {
	s.writeAlertDetail(w, r, r.PathValue("id"), http.StatusOK)
}

func (s *Server) writeAlertDetail(w http.ResponseWriter, r *http.Request, id string, code int) {
	ctx := r.Context()
	a, err := s.opts.Data.Alert(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		writeError(w, http.StatusNotFound, "no alert "+id+"; list them at /api/v1/alerts")
		return
	}
	if err != nil {
		s.internalError(w, r, "reading the alert", err)
		return
	}
	d := AlertDetail{Alert: a}
	if d.Status, d.Comments, err = s.lifecycle(r, store.KindAlert, id); err != nil {
		s.internalError(w, r, "reading the alert's status", err)
		return
	}
	if s.opts.Triage != nil {
		t, err := s.opts.Triage(ctx, a)
		if err != nil {
			s.opts.Logger.Warn("console: triage summary", "alert", id, "error", err.Error())
		} else {
			d.Triage = t
		}
	}
	if s.opts.Incidents != nil {
		page, err := s.opts.Incidents.Incidents(ctx, store.IncidentQuery{AlertID: id, Singles: true, Limit: 1})
		if err != nil {
			s.internalError(w, r, "reading the alert's incident", err)
			return
		}
		if len(page.Incidents) > 0 {
			d.IncidentID = page.Incidents[0].ID
		}
	}
	writeJSON(w, code, d)
}

// lifecycle reads (kind, id)'s status (new when untouched) and comments.
func (s *Server) lifecycle(r *http.Request, kind, id string) (store.Status, []store.Comment, error) {
	sts, err := s.opts.Data.Statuses(r.Context(), kind, []string{id})
	if err != nil {
		return store.Status{}, nil, err
	}
	st, ok := sts[id]
	if !ok {
		st = store.Status{State: store.StateNew}
	}
	cs, err := s.opts.Data.Comments(r.Context(), kind, id)
	return st, cs, err
}

func (s *Server) alertAcknowledge(w http.ResponseWriter, r *http.Request) {
	s.transition(w, r, store.KindAlert, store.StateAcknowledged)
}

func (s *Server) alertClose(w http.ResponseWriter, r *http.Request) {
	s.transition(w, r, store.KindAlert, store.StateClosed)
}

func (s *Server) alertComment(w http.ResponseWriter, r *http.Request) {
	s.comment(w, r, store.KindAlert)
}

// resolve finds (kind, id), answering 404 (or 500) when there is none. It returns the id
// to act on: an incident's id that a merge replaced gives the incident that took it over.
func (s *Server) resolve(w http.ResponseWriter, r *http.Request, kind, id string) (string, bool) {
	var err error
	if kind == store.KindAlert {
		_, err = s.opts.Data.Alert(r.Context(), id)
	} else if s.opts.Incidents == nil {
		err = store.ErrNotFound
	} else {
		var in incident.Incident
		if in, err = s.opts.Incidents.Incident(r.Context(), id); err == nil {
			id = in.ID
		}
	}
	if errors.Is(err, store.ErrNotFound) {
		writeError(w, http.StatusNotFound, "no "+kind+" "+id+"; list them at /api/v1/"+kind+"s")
		return "", false
	}
	if err != nil {
		s.internalError(w, r, "reading the "+kind, err)
		return "", false
	}
	return id, true
}

// transition sets (kind, id)'s state, with the body's optional reason.
func (s *Server) transition(w http.ResponseWriter, r *http.Request, kind, state string) {
	id := r.PathValue("id")
	var body struct {
		Reason string `json:"reason"`
	}
	if r.ContentLength != 0 {
		if err := readJSON(w, r, &body); err != nil {
			writeError(w, http.StatusBadRequest, err.Error()+`; send {"reason":"…"} or no body`)
			return
		}
	}
	if len(body.Reason) > 2000 || !utf8.ValidString(body.Reason) {
		writeError(w, http.StatusBadRequest, "reason: at most 2,000 characters of text")
		return
	}
	id, ok := s.resolve(w, r, kind, id)
	if !ok {
		return
	}
	st := store.Status{State: state, By: principal(r).User, At: s.opts.Clock().UTC(), Reason: body.Reason}
	if err := s.opts.Data.SetStatus(r.Context(), kind, id, st); err != nil {
		s.internalError(w, r, "saving the status", err)
		return
	}
	s.opts.Logger.Info("console: "+kind+" "+state, "id", id, "by", st.By)
	s.writeDetail(w, r, kind, id)
}

func (s *Server) comment(w http.ResponseWriter, r *http.Request, kind string) {
	id := r.PathValue("id")
	var body struct {
		Text string `json:"text"`
	}
	if err := readJSON(w, r, &body); err != nil {
		writeError(w, http.StatusBadRequest, err.Error()+`; send {"text":"…"}`)
		return
	}
	body.Text = strings.TrimSpace(body.Text)
	if body.Text == "" || len(body.Text) > 10000 || !utf8.ValidString(body.Text) {
		writeError(w, http.StatusBadRequest, "text: 1 to 10,000 characters")
		return
	}
	id, ok := s.resolve(w, r, kind, id)
	if !ok {
		return
	}
	c := store.Comment{By: principal(r).User, At: s.opts.Clock().UTC(), Text: body.Text}
	if err := s.opts.Data.AddComment(r.Context(), kind, id, c); err != nil {
		s.internalError(w, r, "saving the comment", err)
		return
	}
	s.writeDetail(w, r, kind, id)
}

func (s *Server) writeDetail(w http.ResponseWriter, r *http.Request, kind, id string) {
	if kind == store.KindAlert {
		s.writeAlertDetail(w, r, id, http.StatusOK)
		return
	}
	s.writeIncidentDetail(w, r, id)
}
