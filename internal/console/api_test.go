package console

import (
	"context"
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/vigil-sec/vigil/internal/alert"
	"github.com/vigil-sec/vigil/internal/auth"
	"github.com/vigil-sec/vigil/internal/detect"
	"github.com/vigil-sec/vigil/internal/event"
	"github.com/vigil-sec/vigil/internal/incident"
	"github.com/vigil-sec/vigil/internal/store"
)

// getJSON decodes GET path's answer into v, which it first zeroes.
func (f *fixture) getJSON(path string, role auth.Role, v any) {
	f.t.Helper()
	reflect.ValueOf(v).Elem().SetZero()
	rec := f.do(call{method: "GET", path: path, bearer: f.tokens[role]})
	if rec.Code != http.StatusOK {
		f.t.Fatalf("GET %s: %d %s", path, rec.Code, rec.Body)
	}
	if err := json.Unmarshal(rec.Body.Bytes(), v); err != nil {
		f.t.Fatalf("GET %s: %v", path, err)
	}
}

func TestAlertLifecycle(t *testing.T) {
	f := newFixture(t)
	as := f.seed(3)
	cookie, csrf := f.login("analyst-user")
	id := as[1].ID
	rec := f.do(call{method: "POST", path: "/api/v1/alerts/" + id + "/acknowledge", cookie: cookie, csrf: csrf})
	var d AlertDetail
	json.Unmarshal(rec.Body.Bytes(), &d)
	if rec.Code != http.StatusOK || d.Status.State != "acknowledged" || d.Status.By != "analyst-user" || !d.Status.At.Equal(f.now) {
		t.Fatalf("acknowledge: %d %+v", rec.Code, d.Status)
	}
	f.do(call{method: "POST", path: "/api/v1/alerts/" + id + "/comments", body: `{"text":"  user confirmed travel  "}`, cookie: cookie, csrf: csrf})
	rec = f.do(call{method: "POST", path: "/api/v1/alerts/" + id + "/close", body: `{"reason":"benign: travel"}`, cookie: cookie, csrf: csrf})
	json.Unmarshal(rec.Body.Bytes(), &d)
	if d.Status.State != "closed" || d.Status.Reason != "benign: travel" || len(d.Comments) != 1 || d.Comments[0].Text != "user confirmed travel" {
		t.Fatalf("close: %+v %+v", d.Status, d.Comments)
	}
	var list List[AlertItem]
	f.getJSON("/api/v1/alerts?status=closed", auth.Viewer, &list)
	if len(list.Items) != 1 || list.Items[0].ID != id || list.Items[0].Status != "closed" {
		t.Errorf("status=closed: %+v", list.Items)
	}
	f.getJSON("/api/v1/alerts?status=new&limit=1", auth.Viewer, &list)
	if len(list.Items) != 1 || list.Items[0].ID != as[0].ID || list.Next == "" {
		t.Errorf("status=new page 1: %+v next %q", list.Items, list.Next)
	}
	f.getJSON("/api/v1/alerts?status=new&limit=1&cursor="+list.Next, auth.Viewer, &list)
	if len(list.Items) != 1 || list.Items[0].ID != as[2].ID || list.Next != "" {
		t.Errorf("status=new page 2: %+v next %q", list.Items, list.Next)
	}
	var o Overview
	f.getJSON("/api/v1/overview", auth.Viewer, &o)
	if o.AlertsBySeverity["high"] != 3 || o.AlertsByStatus["new"] != 2 || o.AlertsByStatus["closed"] != 1 || o.AlertsByStatus["acknowledged"] != 0 {
		t.Errorf("overview counts: %v %v", o.AlertsBySeverity, o.AlertsByStatus)
	}
	if len(o.EventsPerHour) == 0 || o.EventsPerHour[0].Count != 3 {
		t.Errorf("events per hour: %+v", o.EventsPerHour)
	}
	for _, bad := range []string{"?status=open", "?severity=huge", "?limit=501", "?from=yesterday", "?cursor=x", "?entity_type=user"} {
		if rec := f.do(call{method: "GET", path: "/api/v1/alerts" + bad, bearer: f.tokens[auth.Viewer]}); rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), `"error"`) {
			t.Errorf("alerts%s: %d %s", bad, rec.Code, rec.Body)
		}
	}
	if rec := f.do(call{method: "POST", path: "/api/v1/alerts/nope/acknowledge", bearer: f.tokens[auth.Analyst]}); rec.Code != http.StatusNotFound {
		t.Errorf("acknowledge unknown: %d", rec.Code)
	}
}

func TestIncidentLifecycle(t *testing.T) {
	f := newFixture(t)
	as := f.seed(2)
	in := incident.Incident{ID: "inc-1", Title: "Ada's chain", Score: 88, Severity: alert.SeverityHigh, Entities: []event.Entity{as[0].Entity},
		FirstSeen: as[1].Time, LastSeen: as[0].Time, Story: "story", AlertIDs: []string{as[1].ID, as[0].ID},
		Chain: []incident.Step{{Time: as[1].Time, AlertID: as[1].ID}, {Time: as[0].Time, AlertID: as[0].ID}}}
	if err := f.st.PutIncidents(context.Background(), []incident.Incident{in}); err != nil {
		t.Fatal(err)
	}
	rec := f.do(call{method: "POST", path: "/api/v1/incidents/inc-1/acknowledge", body: `{"reason":"on it"}`, bearer: f.tokens[auth.Analyst]})
	var d IncidentDetail
	json.Unmarshal(rec.Body.Bytes(), &d)
	if rec.Code != http.StatusOK || d.Status.State != "acknowledged" || len(d.Alerts) != 2 || len(d.Chain) != 2 || d.Status.By != "token:analyst-token" {
		t.Fatalf("acknowledge incident: %d %+v alerts %d", rec.Code, d.Status, len(d.Alerts))
	}
	var list List[IncidentItem]
	f.getJSON("/api/v1/incidents?status=acknowledged", auth.Viewer, &list)
	if len(list.Items) != 1 || list.Items[0].Status != "acknowledged" {
		t.Errorf("incidents: %+v", list.Items)
	}
	f.getJSON("/api/v1/incidents?status=new", auth.Viewer, &list)
	if len(list.Items) != 0 {
		t.Errorf("incidents status=new: %+v", list.Items)
	}
	var ad AlertDetail
	f.getJSON("/api/v1/alerts/"+as[0].ID, auth.Viewer, &ad)
	if ad.IncidentID != "inc-1" {
		t.Errorf("alert's incident: %q", ad.IncidentID)
	}
	var prof EntityProfile
	f.getJSON("/api/v1/entity?type=user&name=ada@contoso.com", auth.Viewer, &prof)
	if len(prof.Incidents) != 1 || len(prof.Alerts) != 2 || len(prof.HourOfWeek) != 168 {
		t.Errorf("entity: incidents %d alerts %d hours %d", len(prof.Incidents), len(prof.Alerts), len(prof.HourOfWeek))
	}
	sum := 0
	for _, n := range prof.HourOfWeek {
		sum += n
	}
	// f.now is Monday 2 March 2026 12:00 UTC: the events are at 11:58 and 11:59 that Monday.
	if sum != 2 || prof.HourOfWeek[11] != 2 {
		t.Errorf("hour of week: sum %d, Monday 11:00 %d", sum, prof.HourOfWeek[11])
	}
	if len(prof.FirstSeen) == 0 {
		t.Error("no first-seen history")
	}
}

func TestEventSearch(t *testing.T) {
	f := newFixture(t)
	f.seed(30)
	var list List[json.RawMessage]
	f.getJSON("/api/v1/events?limit=10", auth.Viewer, &list)
	if len(list.Items) != 10 || list.Next == "" || strings.Contains(string(list.Items[0]), `"raw"`) {
		t.Fatalf("events page: %d next %q first %s", len(list.Items), list.Next, list.Items[0])
	}
	f.getJSON("/api/v1/events?q=SIGN-IN+c&limit=50", auth.Viewer, &list)
	if len(list.Items) != 2 { // "sign-in c" is events 2 and 28
		t.Errorf("free text: %d items", len(list.Items))
	}
	f.getJSON("/api/v1/events?field.metadata.uid=uid-b0", auth.Viewer, &list)
	if len(list.Items) != 1 {
		t.Errorf("field filter: %d items", len(list.Items))
	}
	f.getJSON("/api/v1/events?field.src_endpoint.location.country=de&field.api.operation=ConsoleLogin&limit=5", auth.Viewer, &list)
	if len(list.Items) != 5 {
		t.Errorf("two field filters: %d items", len(list.Items))
	}
	f.getJSON("/api/v1/events?field.api.operation=Nothing", auth.Viewer, &list)
	if len(list.Items) != 0 || list.Next != "" {
		t.Errorf("no match: %d items next %q", len(list.Items), list.Next)
	}
	var d struct {
		Raw      string `json:"raw"`
		Metadata struct{ UID string }
	}
	f.getJSON("/api/v1/events/entra/uid-a0", auth.Viewer, &d)
	if d.Raw != `{"native":"record","n":0}` || d.Metadata.UID != "uid-a0" {
		t.Errorf("event detail: %+v", d)
	}
	if rec := f.do(call{method: "GET", path: "/api/v1/events/entra/nope", bearer: f.tokens[auth.Viewer]}); rec.Code != http.StatusNotFound {
		t.Errorf("unknown event: %d", rec.Code)
	}
	var tl List[json.RawMessage]
	f.getJSON("/api/v1/entity/timeline?type=user&name=ada@contoso.com&limit=25", auth.Viewer, &tl)
	if len(tl.Items) != 25 || tl.Next == "" {
		t.Errorf("timeline: %d next %q", len(tl.Items), tl.Next)
	}
}

func TestMapMarksEvidence(t *testing.T) {
	f := newFixture(t)
	as := f.seed(2)
	var m struct{ Points []MapPoint }
	f.getJSON("/api/v1/map", auth.Viewer, &m)
	if len(m.Points) != 1 {
		t.Fatalf("points: %+v", m.Points)
	}
	pt := m.Points[0]
	if pt.IP != "203.0.113.7" || pt.Lat != 52.52 || pt.Events != 2 || pt.Entities != 1 || !pt.Anomalous || len(pt.AlertIDs) != 2 || pt.City != "Berlin" {
		t.Errorf("point: %+v (alerts %v)", pt, as)
	}
}

const uploadRule = "title: Test rule\nid: 0e8f7a52-5b1c-4f43-9f0e-2d4c1f6a9b01\nstatus: test\nlogsource:\n  product: aws\n  service: cloudtrail\ndetection:\n  sel:\n    eventName: ConsoleLogin\n  condition: sel\nlevel: high\n"

func TestRulesUploadLintAndSwitch(t *testing.T) {
	f := newFixture(t)
	admin := f.tokens[auth.Admin]
	rec := f.do(call{method: "POST", path: "/api/v1/rules", body: "title: broken\ndetection: [\n", ctype: "application/yaml", bearer: admin})
	var lint struct {
		Error string
		Lint  []string
	}
	json.Unmarshal(rec.Body.Bytes(), &lint)
	if rec.Code != http.StatusUnprocessableEntity || len(lint.Lint) == 0 {
		t.Fatalf("broken rule: %d %s", rec.Code, rec.Body)
	}
	if rec := f.do(call{method: "POST", path: "/api/v1/rules", body: uploadRule, bearer: admin}); rec.Code != http.StatusUnsupportedMediaType {
		t.Errorf("JSON content type: %d", rec.Code)
	}
	rec = f.do(call{method: "POST", path: "/api/v1/rules", body: uploadRule, ctype: "application/yaml", bearer: admin})
	if rec.Code != http.StatusCreated {
		t.Fatalf("upload: %d %s", rec.Code, rec.Body)
	}
	if rec := f.do(call{method: "POST", path: "/api/v1/rules", body: uploadRule, ctype: "application/yaml", bearer: admin}); rec.Code != http.StatusConflict {
		t.Errorf("second upload: %d", rec.Code)
	}
	// The uploaded rule runs in the live detector, and disabling it silences it.
	det := f.srv.opts.Rules.Detector(detect.Fanout{})
	ev := &event.Event{Raw: []byte(`{"eventName":"ConsoleLogin"}`), Vigil: event.Vigil{Source: "cloudtrail", Entity: event.UserEntity("ada")}}
	ev.SetTime(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	ev.Metadata.UID = "e1"
	var got []alert.Alert
	emit := func(a alert.Alert) { got = append(got, a) }
	observe := func() {
		got = nil
		if err := det.Observe(context.Background(), ev, emit); err != nil {
			t.Fatal(err)
		}
		det.Advance(context.Background(), time.Now(), emit)
	}
	observe()
	if len(got) != 1 {
		t.Fatalf("uploaded rule raised %d alerts", len(got))
	}
	id := "0e8f7a52-5b1c-4f43-9f0e-2d4c1f6a9b01"
	if rec := f.do(call{method: "POST", path: "/api/v1/rules/" + id + "/disable", bearer: admin}); rec.Code != http.StatusOK {
		t.Fatalf("disable: %d", rec.Code)
	}
	observe()
	if len(got) != 0 {
		t.Errorf("disabled rule raised %d alerts", len(got))
	}
	var rules List[RuleItem]
	f.getJSON("/api/v1/rules?q=test+rule", auth.Viewer, &rules)
	if len(rules.Items) != 1 || rules.Items[0].Enabled {
		t.Errorf("rules: %+v", rules.Items)
	}
	// The switch is in the store: a new Rules over it sees the rule disabled.
	again, err := NewRules(context.Background(), nil, f.st, "", nil)
	if err != nil || !again.Disabled(id) {
		t.Errorf("disabled after restart: %v %v", again.Disabled(id), err)
	}
	f.do(call{method: "POST", path: "/api/v1/rules/" + id + "/enable", bearer: admin})
	observe()
	if len(got) != 1 {
		t.Errorf("re-enabled rule raised %d alerts", len(got))
	}
}

// TestReplacedIncidentLinkLeadsToItsSuccessor: a link to an incident a merge replaced
// opens the incident that took it over, with the status set before the merge, and an
// action on the old id acts on the new one.
func TestReplacedIncidentLinkLeadsToItsSuccessor(t *testing.T) {
	f := newFixture(t)
	as := f.seed(2)
	ctx := context.Background()
	first := incident.Incident{ID: "inc-old", Title: "first", Score: 60, Severity: alert.SeverityMedium, Entities: []event.Entity{as[0].Entity},
		FirstSeen: as[1].Time, LastSeen: as[1].Time, AlertIDs: []string{as[1].ID}, Chain: []incident.Step{{Time: as[1].Time, AlertID: as[1].ID}}}
	if err := f.st.PutIncidents(ctx, []incident.Incident{first}); err != nil {
		t.Fatal(err)
	}
	if rec := f.do(call{method: "POST", path: "/api/v1/incidents/inc-old/acknowledge", bearer: f.tokens[auth.Analyst]}); rec.Code != http.StatusOK {
		t.Fatalf("acknowledge: %d %s", rec.Code, rec.Body)
	}
	grown := first
	grown.ID, grown.Title, grown.Replaces = "inc-new", "grown", []string{"inc-old"}
	grown.AlertIDs = []string{as[1].ID, as[0].ID}
	grown.Chain = append(grown.Chain, incident.Step{Time: as[0].Time, AlertID: as[0].ID})
	if err := f.st.PutIncidents(ctx, []incident.Incident{grown}); err != nil {
		t.Fatal(err)
	}
	var d IncidentDetail
	f.getJSON("/api/v1/incidents/inc-old", auth.Viewer, &d)
	if d.ID != "inc-new" || d.Status.State != "acknowledged" || len(d.Alerts) != 2 {
		t.Errorf("the old link gives %q, status %q, %d alerts; want inc-new, acknowledged, 2", d.ID, d.Status.State, len(d.Alerts))
	}
	rec := f.do(call{method: "POST", path: "/api/v1/incidents/inc-old/close", body: `{"reason":"benign"}`, bearer: f.tokens[auth.Analyst]})
	if rec.Code != http.StatusOK {
		t.Fatalf("close through the old id: %d %s", rec.Code, rec.Body)
	}
	sts, err := f.st.Statuses(ctx, store.KindIncident, []string{"inc-new", "inc-old"})
	if err != nil || sts["inc-new"].State != "closed" || len(sts) != 1 {
		t.Errorf("statuses %+v (%v); want inc-new closed, nothing on the old id", sts, err)
	}
}
