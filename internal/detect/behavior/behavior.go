// Package behavior holds Vigil's built-in behavioural detections: what a rule cannot see
// because it depends on what is normal for this identity or this network. This first part
// covers impossible travel and password sprays spread across a network's addresses; the
// per-entity pattern-of-life baselines and anomaly scores build on the same state.
package behavior

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/vigil-sec/vigil/internal/alert"
	"github.com/vigil-sec/vigil/internal/detect"
	"github.com/vigil-sec/vigil/internal/event"
)

// Config tunes the detections. Zero values take the defaults of DefaultConfig.
type Config struct {
	ImpossibleTravel TravelConfig  `yaml:"impossible_travel"`
	Spray            SprayConfig   `yaml:"network_spray"`
	Dormant          DormantConfig `yaml:"dormant_account"`
}

// DormantConfig tunes the first activity of an account nobody created: after the learning
// period, an identity signing in for the first time that no directory audit created is an
// account that was dormant (or unknown) and has come back to life.
type DormantConfig struct {
	Disabled bool          `yaml:"disabled"`
	Learning time.Duration `yaml:"learning_period"` // history needed before "first time" means anything
	// MinPopulation is how many people must have been active during the learning period
	// before a first sign-in says anything: sparse or partial logs make everyone look new.
	MinPopulation int `yaml:"min_population"`
}

// TravelConfig tunes impossible travel.
type TravelConfig struct {
	Disabled bool `yaml:"disabled"`
	// MaxSpeedKmh is the fastest plausible travel (a long-haul flight with its ground time).
	MaxSpeedKmh float64 `yaml:"max_speed_kmh"`
	// MinDistanceKm ignores hops shorter than this: IP geolocation is often off by a country.
	MinDistanceKm float64 `yaml:"min_distance_km"`
	// SharedAddressUsers marks an address used by this many people as shared egress (VPN,
	// relays, carrier NAT): its location says nothing about where a person is.
	SharedAddressUsers int `yaml:"shared_address_users"`
}

// SprayConfig tunes password sprays spread across one network's addresses.
type SprayConfig struct {
	Disabled bool          `yaml:"disabled"`
	MinUsers int           `yaml:"min_users"` // distinct accounts failing from one network
	Window   time.Duration `yaml:"window"`
	// MaxSuccessShare: a network most of whose sign-ins succeed is where staff work; its
	// failures are typos, not a spray.
	MaxSuccessShare float64 `yaml:"max_success_share"`
}

// DefaultConfig is the configuration used when none is given.
func DefaultConfig() Config {
	return Config{
		ImpossibleTravel: TravelConfig{MaxSpeedKmh: 1000, MinDistanceKm: 500, SharedAddressUsers: 5},
		Spray:            SprayConfig{MinUsers: 20, Window: 24 * time.Hour, MaxSuccessShare: 0.2},
		Dormant:          DormantConfig{Learning: 7 * 24 * time.Hour, MinPopulation: 20},
	}
}

// Detector is the behavioural detector. It keeps state per entity and per network and is
// used by one goroutine.
type Detector struct {
	cfg      Config
	lastSeen map[string]*place          // user entity → last successful sign-in with a location
	returns  map[string]*place          // user entity → where they were before a reported jump
	ipUsers  map[string]map[string]bool // address → people seen signing in from it (capped)
	networks map[int]*network           // ASN → recent sign-in outcomes
	active   map[string]time.Time       // user entity → last successful sign-in
	created  map[string]bool            // user accounts created (directory audits) while watched
	first    time.Time                  // the first event seen: when watching began
}

type place struct {
	t         time.Time
	lat, long float64
	city, cc  string
	ip, uid   string
}

type network struct {
	fails    []attempt
	success  []time.Time
	reported time.Time
}

type attempt struct {
	t             time.Time
	user, uid, ip string
}

// New returns a detector.
func New(cfg Config) *Detector {
	def := DefaultConfig()
	if cfg.ImpossibleTravel.MaxSpeedKmh == 0 {
		cfg.ImpossibleTravel.MaxSpeedKmh = def.ImpossibleTravel.MaxSpeedKmh
	}
	if cfg.ImpossibleTravel.MinDistanceKm == 0 {
		cfg.ImpossibleTravel.MinDistanceKm = def.ImpossibleTravel.MinDistanceKm
	}
	if cfg.ImpossibleTravel.SharedAddressUsers == 0 {
		cfg.ImpossibleTravel.SharedAddressUsers = def.ImpossibleTravel.SharedAddressUsers
	}
	if cfg.Spray.MinUsers == 0 {
		cfg.Spray.MinUsers = def.Spray.MinUsers
	}
	if cfg.Spray.Window == 0 {
		cfg.Spray.Window = def.Spray.Window
	}
	if cfg.Spray.MaxSuccessShare == 0 {
		cfg.Spray.MaxSuccessShare = def.Spray.MaxSuccessShare
	}
	if cfg.Dormant.Learning == 0 {
		cfg.Dormant.Learning = def.Dormant.Learning
	}
	if cfg.Dormant.MinPopulation == 0 {
		cfg.Dormant.MinPopulation = def.Dormant.MinPopulation
	}
	return &Detector{cfg: cfg, lastSeen: map[string]*place{}, returns: map[string]*place{}, ipUsers: map[string]map[string]bool{},
		networks: map[int]*network{}, active: map[string]time.Time{}, created: map[string]bool{}}
}

// Name names the detector.
func (*Detector) Name() string { return "behavior" }

// Observe looks at user sign-ins (and at account creations, to know new accounts).
func (d *Detector) Observe(ctx context.Context, ev *event.Event, emit detect.Emit) error {
	if d.first.IsZero() {
		d.first = ev.Timestamp()
	}
	if (ev.Vigil.Category == event.CategoryUserCreate || ev.Vigil.Category == event.CategoryGuestInvite) && ev.User != nil {
		d.created[event.UserEntity(ev.User.Name).Name] = true
	}
	if ev.ClassUID != int(event.ClassAuthentication) || ev.Vigil.Entity.Type != event.EntityUser {
		return nil
	}
	user := ev.Vigil.Entity.Name
	if ip := ev.SrcEndpoint.IP; ip != "" {
		set := d.ipUsers[ip]
		if set == nil {
			set = map[string]bool{}
			d.ipUsers[ip] = set
		}
		if len(set) < 64 {
			set[user] = true
		}
	}
	if !d.cfg.Spray.Disabled {
		d.spray(ev, user, emit)
	}
	if ev.StatusID == event.StatusSuccess {
		if !d.cfg.Dormant.Disabled {
			d.dormant(ev, user, emit)
		}
		if !d.cfg.ImpossibleTravel.Disabled {
			d.travel(ev, user, emit)
		}
	}
	return nil
}

// dormant raises an alert for the first successful sign-in, after the learning period, of
// an account that nothing created while Vigil was watching.
func (d *Detector) dormant(ev *event.Event, user string, emit detect.Emit) {
	t := ev.Timestamp()
	_, seen := d.active[user]
	d.active[user] = t
	if seen || t.Sub(d.first) < d.cfg.Dormant.Learning || d.created[user] {
		return
	}
	// Only a tenant watched continuously says anything about a first sign-in: count the
	// people active during the learning period just before it.
	recent := 0
	for _, last := range d.active {
		if t.Sub(last) <= d.cfg.Dormant.Learning {
			recent++
		}
	}
	if recent-1 < d.cfg.Dormant.MinPopulation {
		return
	}
	where := ""
	if l := ev.SrcEndpoint.Location; l != nil {
		where = " from " + strings.TrimSpace(l.City+", "+l.Country)
	}
	uids := []string{ev.Metadata.UID}
	rule := "vigil-dormant-account-active"
	emit(alert.Alert{
		ID: alert.StableID(rule, ev.Vigil.Entity, uids), Time: t, Title: "Dormant account became active",
		Rule:     alert.Rule{ID: rule, Kind: alert.KindBuiltin, Title: "Dormant account became active", Level: "medium"},
		Severity: alert.SeverityMedium, Score: 55, Entity: ev.Vigil.Entity, EventUIDs: uids, Attack: []string{"T1078"},
		Reason: fmt.Sprintf("first sign-in in %s of watching%s; no directory audit created this account in that time", t.Sub(d.first).Round(time.Hour), where),
	})
}

// Advance has nothing pending: both detections decide on the event that completes them.
func (*Detector) Advance(context.Context, time.Time, detect.Emit) error { return nil }

// travel raises an alert when a person's successive successful sign-ins are farther apart
// than anyone could have travelled in between.
func (d *Detector) travel(ev *event.Event, user string, emit detect.Emit) {
	loc := ev.SrcEndpoint.Location
	if loc == nil || loc.Lat == nil || loc.Long == nil {
		return
	}
	cur := &place{t: ev.Timestamp(), lat: *loc.Lat, long: *loc.Long, city: loc.City, cc: loc.Country, ip: ev.SrcEndpoint.IP, uid: ev.Metadata.UID}
	if d.shared(cur.ip) {
		return // a shared egress's location says nothing about where the person is
	}
	prev := d.lastSeen[user]
	d.lastSeen[user] = cur
	if prev == nil || d.shared(prev.ip) { // the earlier address has since shown to be shared
		return
	}
	km := haversineKm(prev.lat, prev.long, cur.lat, cur.long)
	if km < d.cfg.ImpossibleTravel.MinDistanceKm {
		return
	}
	if r := d.returns[user]; r != nil && cur.t.Sub(r.t) < 24*time.Hour && haversineKm(r.lat, r.long, cur.lat, cur.long) < d.cfg.ImpossibleTravel.MinDistanceKm {
		// Back where the person was before the jump already reported: the same story,
		// not a new one.
		delete(d.returns, user)
		return
	}
	hours := cur.t.Sub(prev.t).Hours()
	speed := km / math.Max(hours, 1.0/60)
	if speed <= d.cfg.ImpossibleTravel.MaxSpeedKmh {
		return
	}
	reason := fmt.Sprintf("signed in from %s, %s %s after %s, %s: %.0f km at %.0f km/h (at most %.0f km/h is plausible)",
		cur.city, cur.cc, cur.t.Sub(prev.t).Round(time.Minute), prev.city, prev.cc, km, speed, d.cfg.ImpossibleTravel.MaxSpeedKmh)
	if ev.Device != nil && ev.Device.UID == "" {
		reason += "; unmanaged device"
	}
	d.returns[user] = prev
	uids := []string{prev.uid, cur.uid}
	rule := "vigil-impossible-travel"
	emit(alert.Alert{
		ID: alert.StableID(rule, ev.Vigil.Entity, uids), Time: cur.t, Title: "Impossible travel",
		Rule:     alert.Rule{ID: rule, Kind: alert.KindBuiltin, Title: "Impossible travel", Level: "high"},
		Severity: alert.SeverityHigh, Score: min(100, 60+int(speed/d.cfg.ImpossibleTravel.MaxSpeedKmh*5)),
		Entity: ev.Vigil.Entity, EventUIDs: uids, Reason: reason, Attack: []string{"T1078.004"},
		Details: map[string]any{"distance_km": math.Round(km), "speed_kmh": math.Round(speed), "from": prev.city, "to": cur.city},
	})
}

// shared reports whether an address is used by several people (VPN, relay, carrier NAT).
func (d *Detector) shared(ip string) bool {
	return ip != "" && len(d.ipUsers[ip]) >= d.cfg.ImpossibleTravel.SharedAddressUsers
}

// spray counts, per network (ASN), the accounts failing to sign in with a bad password:
// many accounts, a guess or two each, from a network where almost nobody signs in
// successfully, is a spray even when every attempt comes from another address.
func (d *Detector) spray(ev *event.Event, user string, emit detect.Emit) {
	as := ev.SrcEndpoint.AutonomousSystem
	if as == nil || as.Number == 0 {
		return
	}
	n := d.networks[as.Number]
	if n == nil {
		n = &network{}
		d.networks[as.Number] = n
	}
	t := ev.Timestamp()
	cut := t.Add(-d.cfg.Spray.Window)
	n.fails = trimAttempts(n.fails, cut)
	n.success = trimTimes(n.success, cut)
	switch {
	case ev.StatusID == event.StatusSuccess:
		n.success = append(n.success, t)
		return
	case ev.Vigil.Category != event.CategoryLoginFailed && ev.Vigil.Category != event.CategoryLoginLockout:
		return
	}
	n.fails = append(n.fails, attempt{t: t, user: user, uid: ev.Metadata.UID, ip: ev.SrcEndpoint.IP})
	users, ips := map[string]int{}, map[string]bool{}
	for _, a := range n.fails {
		users[a.user]++
		ips[a.ip] = true
	}
	total := len(n.fails) + len(n.success)
	if len(users) < d.cfg.Spray.MinUsers || float64(len(n.success)) > d.cfg.Spray.MaxSuccessShare*float64(total) {
		return
	}
	if !n.reported.IsZero() && t.Sub(n.reported) < d.cfg.Spray.Window {
		return // one alert per window
	}
	n.reported = t
	var uids []string
	for _, a := range n.fails {
		uids = append(uids, a.uid)
	}
	sort.Strings(uids)
	name := fmt.Sprintf("AS%d", as.Number)
	entity := event.Entity{Type: event.EntityASN, Name: name}
	rule := "vigil-network-password-spray"
	emit(alert.Alert{
		ID: alert.StableID(rule, entity, uids), Time: t, Title: "Password spray from one network",
		Rule:     alert.Rule{ID: rule, Kind: alert.KindBuiltin, Title: "Password spray from one network", Level: "high"},
		Severity: alert.SeverityHigh, Score: min(100, 60+len(users)),
		Entity: entity, EventUIDs: uids, Attack: []string{"T1110.003"},
		Reason: fmt.Sprintf("%d accounts failed to sign in from %s within %s: %d attempts from %d addresses, %d successful sign-ins from that network",
			len(users), name, d.cfg.Spray.Window, len(n.fails), len(ips), len(n.success)),
	})
}

func trimAttempts(a []attempt, cut time.Time) []attempt {
	i := 0
	for i < len(a) && a[i].t.Before(cut) {
		i++
	}
	return a[i:]
}

func trimTimes(a []time.Time, cut time.Time) []time.Time {
	i := 0
	for i < len(a) && a[i].Before(cut) {
		i++
	}
	return a[i:]
}

// haversineKm is the great-circle distance.
func haversineKm(lat1, lon1, lat2, lon2 float64) float64 {
	const r = 6371.0
	rad := math.Pi / 180
	dLat, dLon := (lat2-lat1)*rad, (lon2-lon1)*rad
	a := math.Sin(dLat/2)*math.Sin(dLat/2) + math.Cos(lat1*rad)*math.Cos(lat2*rad)*math.Sin(dLon/2)*math.Sin(dLon/2)
	return 2 * r * math.Asin(math.Sqrt(a))
}

var _ detect.Detector = (*Detector)(nil)
