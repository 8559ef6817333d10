package console

import (
	"errors"
	"net/http"
	"time"

	"github.com/vigil-sec/vigil/internal/alert"
	"github.com/vigil-sec/vigil/internal/event"
	"github.com/vigil-sec/vigil/internal/incident"
	"github.com/vigil-sec/vigil/internal/pipeline"
	"github.com/vigil-sec/vigil/internal/store"
)

// defaultSpan is the overview's and the map's time range when none is given.
const defaultSpan = 24 * time.Hour

// span reads from and to, defaulting to the last day.
func (s *Server) span(p *params) (time.Time, time.Time) {
	from, to := p.time("from"), p.time("to")
	if to.IsZero() {
		to = s.opts.Clock().UTC().Add(time.Minute)
	}
	if from.IsZero() {
		from = to.Add(-defaultSpan)
	}
	if !from.Before(to) {
		p.fail("from", "a time before to")
	}
	return from, to
}

// Overview is GET /api/v1/overview.
type Overview struct {
	AlertsBySeverity map[string]int          `json:"alerts_by_severity"`
	AlertsByStatus   map[string]int          `json:"alerts_by_status"`
	Incidents        []incident.Incident     `json:"incidents"`
	Sources          []pipeline.SourceStatus `json:"sources"`
	EventsPerHour    []store.HourCount       `json:"events_per_hour"`
}

func (s *Server) overview(w http.ResponseWriter, r *http.Request) {
	p := params{r: r}
	from, to := s.span(&p)
	if p.err != nil {
		writeError(w, http.StatusBadRequest, p.err.Error())
		return
	}
	ctx := r.Context()
	counts, err := s.opts.Data.AlertCounts(ctx, from, to)
	if err != nil {
		s.internalError(w, r, "counting the alerts", err)
		return
	}
	o := Overview{AlertsBySeverity: counts.BySeverity, AlertsByStatus: counts.ByState, Incidents: []incident.Incident{},
		Sources: s.opts.Health.Sources(s.opts.Clock())}
	if o.Sources == nil {
		o.Sources = []pipeline.SourceStatus{}
	}
	if s.opts.Incidents != nil {
		page, err := s.opts.Incidents.Incidents(ctx, store.IncidentQuery{Limit: 10})
		if err != nil {
			s.internalError(w, r, "reading the incidents", err)
			return
		}
		o.Incidents = append(o.Incidents, page.Incidents...)
	}
	if o.EventsPerHour, err = s.opts.Data.EventsPerHour(ctx, from, to); err != nil {
		s.internalError(w, r, "counting the events", err)
		return
	}
	writeJSON(w, http.StatusOK, o)
}

// MapPoint is one located source address of the map.
type MapPoint struct {
	Lat       float64  `json:"lat"`
	Lon       float64  `json:"lon"`
	IP        string   `json:"ip"`
	Country   string   `json:"country,omitempty"`
	City      string   `json:"city,omitempty"`
	Events    int      `json:"events"`
	Entities  int      `json:"entities"`
	Anomalous bool     `json:"anomalous"`
	AlertIDs  []string `json:"alert_ids"`
}

// mapAddresses and mapAlerts bound the map's work: the busiest addresses, and the newest
// alerts whose evidence addresses are marked.
const (
	mapAddresses = 300
	mapAlerts    = 300
)

func (s *Server) worldMap(w http.ResponseWriter, r *http.Request) {
	p := params{r: r}
	from, to := s.span(&p)
	if p.err != nil {
		writeError(w, http.StatusBadRequest, p.err.Error())
		return
	}
	ctx := r.Context()
	evidence, err := s.evidenceAddresses(r, from, to)
	if err != nil {
		s.internalError(w, r, "reading the alerts' evidence", err)
		return
	}
	acts, err := s.opts.Data.AddressActivity(ctx, from, to, mapAddresses)
	if err != nil {
		s.internalError(w, r, "reading the activity by address", err)
		return
	}
	points := []MapPoint{}
	seen := map[string]bool{}
	for _, a := range acts {
		seen[a.IP] = true
		pt := MapPoint{IP: a.IP, Country: a.Country, Events: a.Events, Entities: a.Entities, AlertIDs: evidence[a.IP]}
		if !s.locate(r, &pt, a.SampleSource, a.SampleUID) {
			continue
		}
		points = append(points, pt)
	}
	// Evidence addresses outside the busiest still show: they are the point of the map.
	for ip, ids := range evidence {
		if seen[ip] {
			continue
		}
		pt := MapPoint{IP: ip, AlertIDs: ids}
		if s.locate(r, &pt, "", "") {
			points = append(points, pt)
		}
	}
	for i := range points {
		points[i].Anomalous = len(points[i].AlertIDs) > 0
		if points[i].AlertIDs == nil {
			points[i].AlertIDs = []string{}
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"points": points})
}

// locate fills pt's coordinates from the sample event's location, else from the Locate
// option; false when neither knows where the address is.
func (s *Server) locate(r *http.Request, pt *MapPoint, source, uid string) bool {
	if source != "" {
		ev, err := s.opts.Data.Get(r.Context(), source, uid)
		if err == nil && ev.SrcEndpoint.Location != nil {
			l := ev.SrcEndpoint.Location
			if l.Lat != nil && l.Long != nil {
				pt.Lat, pt.Lon, pt.City = *l.Lat, *l.Long, l.City
				if pt.Country == "" {
					pt.Country = l.Country
				}
				return true
			}
		} else if err != nil && !errors.Is(err, store.ErrNotFound) {
			s.opts.Logger.Warn("console: map sample event", "error", err.Error())
		}
	}
	if s.opts.Locate == nil {
		return false
	}
	loc, ok := s.opts.Locate(pt.IP)
	if !ok || loc.Lat == nil || loc.Long == nil {
		return false
	}
	pt.Lat, pt.Lon, pt.City = *loc.Lat, *loc.Long, loc.City
	if pt.Country == "" {
		pt.Country = loc.Country
	}
	return true
}

// evidenceAddresses maps the source addresses of [from, to)'s newest alerts' evidence
// (read from the index rows of the alert's entity) to those alerts' ids.
func (s *Server) evidenceAddresses(r *http.Request, from, to time.Time) (map[string][]string, error) {
	out := map[string][]string{}
	page, err := s.opts.Data.AlertsByStatus(r.Context(), store.StatusAlertQuery{AlertQuery: store.AlertQuery{From: from, To: to, Limit: mapAlerts}})
	if err != nil {
		return nil, err
	}
	for _, a := range page.Alerts {
		for _, ip := range s.alertAddresses(r, a) {
			if ids := out[ip]; len(ids) < 20 {
				out[ip] = append(ids, a.ID)
			}
		}
	}
	return out, nil
}

func (s *Server) alertAddresses(r *http.Request, a alert.Alert) []string {
	if a.Entity.Type == event.EntityIP {
		return []string{a.Entity.Name}
	}
	if s.opts.History == nil || len(a.EventUIDs) == 0 {
		return nil
	}
	first := a.Time
	if !a.FirstSeen.IsZero() && a.FirstSeen.Before(first) {
		first = a.FirstSeen
	}
	last := a.Time
	if a.LastSeen.After(last) {
		last = a.LastSeen
	}
	rows, err := s.opts.History.History(r.Context(), a.Entity, first.Add(-time.Hour), last.Add(time.Second), 5000)
	if err != nil {
		s.opts.Logger.Warn("console: alert evidence addresses", "alert", a.ID, "error", err.Error())
		return nil
	}
	want := map[string]bool{}
	for _, u := range a.EventUIDs {
		want[u] = true
	}
	var ips []string
	have := map[string]bool{}
	for _, row := range rows {
		if want[row.UID] && row.IP != "" && !have[row.IP] {
			have[row.IP] = true
			ips = append(ips, row.IP)
		}
	}
	return ips
}

// SourcesResponse is GET /api/v1/sources: items are the sources' health (Sources repeats
// them for `vigil status` and older clients).
type SourcesResponse struct {
	Items     []pipeline.SourceStatus `json:"items"`
	Sources   []pipeline.SourceStatus `json:"sources"`
	Watermark time.Time               `json:"watermark,omitzero"`
	Alerts    map[alert.Severity]int  `json:"alerts_by_severity"`
	// Finished is true once every source finished and detection read to the end.
	Finished bool `json:"finished"`
}

func (s *Server) sources(w http.ResponseWriter, _ *http.Request) {
	h := s.opts.Health
	src := h.Sources(s.opts.Clock())
	if src == nil {
		src = []pipeline.SourceStatus{}
	}
	writeJSON(w, http.StatusOK, SourcesResponse{Items: src, Sources: src, Watermark: h.Watermark(), Alerts: h.Alerts(), Finished: h.Finished()})
}

func (s *Server) outputs(w http.ResponseWriter, _ *http.Request) {
	items := []OutputStatus{}
	if s.opts.Outputs != nil {
		items = append(items, s.opts.Outputs()...)
	}
	writeJSON(w, http.StatusOK, List[OutputStatus]{Items: items})
}
