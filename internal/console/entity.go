package console

import (
	"net/http"
	"sort"
	"time"

	"github.com/vigil-sec/vigil/internal/event"
	"github.com/vigil-sec/vigil/internal/incident"
	"github.com/vigil-sec/vigil/internal/store"
)

// profileWindow is how far back the entity page's pattern of life reads.
const profileWindow = 28 * 24 * time.Hour

// FirstSeen is when a value of a feature (address, country, operation…) first appeared
// in the entity's history.
type FirstSeen struct {
	Feature string    `json:"feature"`
	Value   string    `json:"value"`
	Time    time.Time `json:"time"`
}

// EntityProfile is GET /api/v1/entity.
type EntityProfile struct {
	Entity     event.Entity        `json:"entity"`
	Triage     any                 `json:"triage,omitempty"`
	HourOfWeek []int               `json:"hour_of_week"`
	FirstSeen  []FirstSeen         `json:"first_seen"`
	Alerts     []AlertItem         `json:"alerts"`
	Incidents  []incident.Incident `json:"incidents"`
}

func (s *Server) entity(w http.ResponseWriter, r *http.Request) {
	p := params{r: r}
	e := p.entity("type", "name")
	if p.err == nil && e.IsZero() {
		p.fail("type", "give type and name, e.g. ?type=user&name=ada@contoso.com")
	}
	if p.err != nil {
		writeError(w, http.StatusBadRequest, p.err.Error())
		return
	}
	ctx := r.Context()
	now := s.opts.Clock().UTC()
	prof := EntityProfile{Entity: e, HourOfWeek: make([]int, 168), FirstSeen: []FirstSeen{}, Incidents: []incident.Incident{}}
	if s.opts.EntityTriage != nil {
		t, err := s.opts.EntityTriage(ctx, e, now)
		if err != nil {
			s.opts.Logger.Warn("console: entity triage summary", "entity", e.Key(), "error", err.Error())
		} else {
			prof.Triage = t
		}
	}
	if s.opts.History != nil {
		rows, err := s.opts.History.History(ctx, e, now.Add(-profileWindow), now.Add(time.Minute), 100000)
		if err != nil {
			s.internalError(w, r, "reading the entity's history", err)
			return
		}
		prof.HourOfWeek, prof.FirstSeen = patternOfLife(rows)
	}
	page, err := s.opts.Data.AlertsByStatus(ctx, store.StatusAlertQuery{AlertQuery: store.AlertQuery{Entity: e, Limit: 20}})
	if err != nil {
		s.internalError(w, r, "reading the entity's alerts", err)
		return
	}
	if prof.Alerts, err = s.alertItems(r, page.Alerts); err != nil {
		s.internalError(w, r, "reading the alerts' status", err)
		return
	}
	if s.opts.Incidents != nil {
		ip, err := s.opts.Incidents.Incidents(ctx, store.IncidentQuery{Entity: e, Singles: true, Limit: 20})
		if err != nil {
			s.internalError(w, r, "reading the entity's incidents", err)
			return
		}
		prof.Incidents = append(prof.Incidents, ip.Incidents...)
	}
	writeJSON(w, http.StatusOK, prof)
}

// patternOfLife counts rows by hour of the week (Monday 00:00 UTC first) and finds when
// each address, country, network, client, application and operation first appeared.
func patternOfLife(rows []store.HistoryRow) ([]int, []FirstSeen) {
	how := make([]int, 168)
	first := map[[2]string]int64{}
	for _, row := range rows {
		t := time.UnixMilli(row.Time).UTC()
		how[(int(t.Weekday())+6)%7*24+t.Hour()]++
		for _, fv := range [][2]string{{"ip", row.IP}, {"country", row.Country}, {"asn", row.ASN}, {"user_agent", row.UserAgent},
			{"app", row.App}, {"operation", row.Operation}} {
			if fv[1] == "" {
				continue
			}
			if old, ok := first[fv]; !ok || row.Time < old {
				first[fv] = row.Time
			}
		}
	}
	out := make([]FirstSeen, 0, len(first))
	for fv, t := range first {
		out = append(out, FirstSeen{Feature: fv[0], Value: fv[1], Time: time.UnixMilli(t).UTC()})
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].Time.Equal(out[j].Time) {
			return out[i].Time.After(out[j].Time)
		}
		return out[i].Feature+out[i].Value < out[j].Feature+out[j].Value
	})
	return how, out[:min(len(out), 200)]
}

func (s *Server) entityTimeline(w http.ResponseWriter, r *http.Request) {
	p := params{r: r}
	e := p.entity("type", "name")
	if p.err == nil && e.IsZero() {
		p.fail("type", "give type and name, e.g. ?type=user&name=ada@contoso.com")
	}
	q := store.Query{From: p.time("from"), To: p.time("to"), Entity: e, Cursor: p.cursor()}
	limit := p.limit()
	if p.err != nil {
		writeError(w, http.StatusBadRequest, p.err.Error())
		return
	}
	items, next, err := s.searchEvents(r, q, eventFilter{}, limit)
	if err != nil {
		s.internalError(w, r, "reading the entity's events", err)
		return
	}
	writeJSON(w, http.StatusOK, List[*event.Event]{Items: items, Next: next})
}
