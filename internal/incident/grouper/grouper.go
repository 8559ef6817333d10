// Package grouper is the live side of incidents: it takes alerts as the pipeline stores
// them, links each to the open incident it belongs to (see package incident for the
// rules), keeps the incidents in the store and restores the open ones after a restart.
package grouper

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"net/netip"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/vigil-sec/vigil/internal/alert"
	"github.com/vigil-sec/vigil/internal/event"
	"github.com/vigil-sec/vigil/internal/incident"
	"github.com/vigil-sec/vigil/internal/store"
)

// DefaultWindow is how far apart in event time two alerts of one incident may be.
const DefaultWindow = 24 * time.Hour

// Config sets how alerts group.
type Config struct {
	// Window joins an alert to an incident whose alerts are within it (event time);
	// default DefaultWindow.
	Window time.Duration
	// MaxAddressIdentities caps the identities an address links into one incident: past
	// it, a shared address joins no more victims (a spray from a corporate egress would
	// otherwise make the whole company one incident). Default 10.
	MaxAddressIdentities int
}

// Store is what a Grouper reads and writes: incidents, and the evidence events of alerts
// (to find the identities and addresses behind them).
type Store interface {
	store.IncidentStore
	store.HistoryStore
	Get(ctx context.Context, source, uid string) (*event.Event, error)
}

// A Grouper groups alerts into incidents as they are stored and keeps the incidents in the
// store. It is safe for concurrent use.
type Grouper struct {
	st  Store
	cfg Config
	log *slog.Logger

	mu      sync.Mutex
	groups  map[*group]bool
	byAlert map[string]*group
	mark    time.Time                    // the newest alert time seen: groups end a window after their last
	kept    map[string]incident.Incident // without a store: every incident, by id
}

// group is an open incident: its steps and the keys that link alerts to it.
type group struct {
	steps   map[string]incident.Step // by alert id
	ids     map[string]bool          // identity keys: "user:alice@…", "app:<appId>", "role:arn…"
	anchors map[string]bool          // addresses that are themselves alerts' entities (a spray source)
	uses    map[string]bool          // addresses of the alerts' evidence
	first   time.Time
	last    time.Time
	stored  string   // the id it is stored under, "" before it is
	retired []string // ids it took over, for the next put
}

// New returns a Grouper over st; call Restore before the first Observe after a restart.
// With a nil st (vigil hunt) it keeps the incidents in memory (see Incidents) and links by
// what the alerts say, without their evidence events.
func New(st Store, cfg Config, log *slog.Logger) *Grouper {
	if cfg.Window <= 0 {
		cfg.Window = DefaultWindow
	}
	if cfg.MaxAddressIdentities <= 0 {
		cfg.MaxAddressIdentities = 10
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Grouper{st: st, cfg: cfg, log: log, groups: map[*group]bool{}, byAlert: map[string]*group{}, kept: map[string]incident.Incident{}}
}

// keys are what one alert links by.
type keys struct {
	ids, anchors, uses []string
}

// maxUses bounds the evidence addresses one alert links by.
const maxUses = 20

// linkKeys finds what an alert links by: its identity, the Entra user behind an AWS role
// session (a session named by UPN or e-mail), the application behind a service principal
// (its appId); its entity when that is an address; its evidence's addresses.
func linkKeys(a alert.Alert, evidence []*event.Event) keys {
	var k keys
	switch a.Entity.Type {
	case event.EntityIP:
		k.anchors = append(k.anchors, a.Entity.Name)
	case event.EntityASN, event.EntityUserAgent, event.EntityNone:
		if !a.Entity.IsZero() {
			k.ids = append(k.ids, a.Entity.Key())
		}
	default:
		k.ids = append(k.ids, a.Entity.Key())
	}
	for _, v := range a.GroupBy {
		if ip, err := netip.ParseAddr(v); err == nil && !slices.Contains(k.anchors, ip.String()) {
			k.anchors = append(k.anchors, ip.String())
		}
	}
	for _, ev := range evidence {
		u := ev.Actor.User
		switch a.Entity.Type {
		case event.EntityRole:
			for _, n := range []string{u.EmailAddr, u.Name} {
				if strings.Contains(n, "@") {
					k.ids = appendNew(k.ids, event.UserEntity(n).Key())
				}
			}
		case event.EntityServicePrincipal, event.EntityApp:
			if ev.Actor.AppUID != "" {
				k.ids = appendNew(k.ids, "app:"+strings.ToLower(ev.Actor.AppUID))
			}
		}
		if ip := ev.SrcEndpoint.IP; ip != "" && len(k.uses) < maxUses {
			k.uses = appendNew(k.uses, ip)
		}
	}
	return k
}

func appendNew(list []string, v string) []string {
	if slices.Contains(list, v) {
		return list
	}
	return append(list, v)
}

// maxEvidence bounds the evidence events read per alert.
const maxEvidence = 50

// Observe takes stored alerts (new or grown), groups them and stores the incidents that
// changed. It has the signature of pipeline.Options.Incidents.
func (g *Grouper) Observe(ctx context.Context, alerts []alert.Alert) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	changed := map[*group]bool{}
	for _, a := range alerts {
		var evidence []*event.Event
		var err error
		if g.st != nil {
			evidence, err = store.Evidence(ctx, g.st, a, maxEvidence)
		}
		if err != nil {
			// Grouping goes on with what the alert itself says.
			g.log.Warn("incident: evidence not read; grouping by the alert alone", "alert", a.ID, "err", err)
		}
		gr := g.add(a, incident.StepOf(a, evidence), linkKeys(a, evidence))
		changed[gr] = true
		if a.Time.After(g.mark) {
			g.mark = a.Time
		}
	}
	var out []incident.Incident
	for gr := range changed {
		if !g.groups[gr] {
			continue // merged into another one in this batch
		}
		in := gr.build()
		in.Replaces = gr.retired
		if gr.stored != "" && gr.stored != in.ID {
			in.Replaces = append(in.Replaces, gr.stored)
		}
		out = append(out, in)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	if g.st == nil {
		g.keep(out)
	} else if err := g.st.PutIncidents(ctx, out); err != nil {
		return fmt.Errorf("incident: store %d incidents: %w", len(out), err)
	}
	for gr := range changed {
		if g.groups[gr] {
			gr.stored, gr.retired = gr.build().ID, nil
		}
	}
	g.expire()
	return nil
}

// add puts a's step into its group: the one holding it already, else the groups it links
// to (merged when several), else a new one. Groups sharing an identity always join; groups
// linked only by an address join, oldest first, while the identities together stay within
// the cap.
func (g *Grouper) add(a alert.Alert, st incident.Step, k keys) *group {
	gr := g.byAlert[a.ID]
	var byID, byAddr []*group
	for o := range g.groups {
		if o == gr {
			continue
		}
		switch g.links(o, st.Time, k) {
		case linkIdentity:
			byID = append(byID, o)
		case linkAddress:
			byAddr = append(byAddr, o)
		}
	}
	oldest := func(l []*group) {
		sort.Slice(l, func(i, j int) bool {
			if !l[i].first.Equal(l[j].first) {
				return l[i].first.Before(l[j].first)
			}
			return l[i].anchor() < l[j].anchor()
		})
	}
	oldest(byID)
	oldest(byAddr)
	ids := map[string]bool{}
	for _, v := range k.ids {
		ids[v] = true
	}
	for _, o := range append([]*group{gr}, byID...) {
		if o != nil {
			maps.Copy(ids, o.ids)
		}
	}
	linked := byID
	for _, o := range byAddr {
		n := len(ids)
		for v := range o.ids {
			if !ids[v] {
				n++
			}
		}
		if n > g.cfg.MaxAddressIdentities {
			continue
		}
		maps.Copy(ids, o.ids)
		linked = append(linked, o)
	}
	oldest(linked)
	if gr == nil && len(linked) > 0 {
		gr, linked = linked[0], linked[1:]
	}
	if gr == nil {
		gr = &group{steps: map[string]incident.Step{}, ids: map[string]bool{}, anchors: map[string]bool{}, uses: map[string]bool{}, first: st.Time, last: st.Time}
		g.groups[gr] = true
	}
	for _, o := range linked {
		g.merge(gr, o)
	}
	gr.steps[a.ID] = st
	g.byAlert[a.ID] = gr
	gr.widen(st.Time)
	for _, v := range k.ids {
		gr.ids[v] = true
	}
	for _, v := range k.anchors {
		gr.anchors[v] = true
	}
	for _, v := range k.uses {
		if len(gr.uses) < 4*maxUses {
			gr.uses[v] = true
		}
	}
	return gr
}

// How an alert links to a group.
const (
	linkNone = iota
	linkIdentity
	linkAddress
)

// links says how an alert at t with keys k belongs to o: within the window, and sharing an
// identity, or an address that is an alert's entity in one of them.
func (g *Grouper) links(o *group, t time.Time, k keys) int {
	if t.Before(o.first.Add(-g.cfg.Window)) || t.After(o.last.Add(g.cfg.Window)) {
		return linkNone
	}
	for _, v := range k.ids {
		if o.ids[v] {
			return linkIdentity
		}
	}
	for _, v := range k.anchors {
		if o.anchors[v] || o.uses[v] {
			return linkAddress
		}
	}
	for _, v := range k.uses {
		if o.anchors[v] {
			return linkAddress
		}
	}
	return linkNone
}

// anchor is the group's earliest alert id, a tie-break that does not depend on arrival.
func (gr *group) anchor() string {
	var best incident.Step
	for _, s := range gr.steps {
		if best.AlertID == "" || s.Time.Before(best.Time) || (s.Time.Equal(best.Time) && s.AlertID < best.AlertID) {
			best = s
		}
	}
	return best.AlertID
}

// merge moves o into gr.
func (g *Grouper) merge(gr, o *group) {
	for id, st := range o.steps {
		gr.steps[id] = st
		g.byAlert[id] = gr
	}
	for _, m := range []struct{ to, from map[string]bool }{{gr.ids, o.ids}, {gr.anchors, o.anchors}, {gr.uses, o.uses}} {
		maps.Copy(m.to, m.from)
	}
	gr.widen(o.first)
	gr.widen(o.last)
	gr.retired = append(gr.retired, o.retired...)
	if o.stored != "" {
		gr.retired = append(gr.retired, o.stored)
	}
	delete(g.groups, o)
}

func (gr *group) widen(t time.Time) {
	if t.Before(gr.first) {
		gr.first = t
	}
	if t.After(gr.last) {
		gr.last = t
	}
}

// build builds the group's incident.
func (gr *group) build() incident.Incident {
	steps := slices.Collect(maps.Values(gr.steps))
	var links []string
	for _, p := range []struct {
		prefix string
		set    map[string]bool
	}{{"id:", gr.ids}, {"anchor:", gr.anchors}, {"use:", gr.uses}} {
		for v := range p.set {
			links = append(links, p.prefix+v)
		}
	}
	sort.Strings(links)
	anchors := slices.Sorted(maps.Keys(gr.anchors))
	return incident.Build(steps, links, anchors)
}

// expire forgets groups whose window has passed (they are stored already).
func (g *Grouper) expire() {
	for gr := range g.groups {
		if g.mark.Sub(gr.last) > g.cfg.Window {
			for id := range gr.steps {
				delete(g.byAlert, id)
			}
			delete(g.groups, gr)
		}
	}
}

// Open returns how many incidents are open (within their window).
func (g *Grouper) Open() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.groups)
}
