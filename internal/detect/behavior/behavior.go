// Package behavior is Vigil's pattern of life: per-entity baselines (identities, their
// access keys, addresses, networks, applications, accounts, resource groups and peer
// groups) that score how unusual each event is for its entity, with a reason a person can
// check, and the built-in behavioural detections that need such state — impossible
// travel, password spray, brute force, MFA fatigue, risky sign-ins from somewhere new,
// first privileged operations, management-plane bursts, workloads on new networks,
// dormant identities, and chains of these on one identity. State is snapshotted and
// restored (snapshot.go) so a restart changes no score.
package behavior

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"strings"
	"time"

	"github.com/vigil-sec/vigil/internal/alert"
	"github.com/vigil-sec/vigil/internal/detect"
	"github.com/vigil-sec/vigil/internal/event"
)

// Detector is the behavioural detector. It keeps state per entity and is used by one
// goroutine; partition events by entity to run several.
type Detector struct {
	cfg    Config
	log    *slog.Logger
	st     *state
	fs     featureSet  // scratch for the event being observed
	shared bool        // the event comes from shared egress (see sharedEgress)
	info   AddressInfo // what the geo database says of the event's address, when asked
	lookup func(ip string) (AddressInfo, bool)
	// suppressed, when set, hears of every candidate a detection removes or lowers.
	suppressed detect.Suppressed
	rated      map[event.Category]uint8
	priv       map[event.Category]bool
	egress     []netip.Prefix
	asns       map[int]bool
	// families are the hashes of activityFamilies' categories, as profiles keep them.
	families [len(activityFamilies)][]uint64
	// warnedLocation and warnedTime: degradations and dropped input are said once.
	warnedLocation, warnedTime bool
}

// state is everything the detector has learned: what a snapshot saves. Fields are
// exported for the encoding only.
type state struct {
	First, Last millis // event times of the first and latest events observed
	Profiles    map[event.Entity]*profile
	Peers       map[uint32]*profile
	Contexts    map[ctxKey]*profile // addresses, networks, apps, accounts, resource groups, keys
	Travel      map[string]*place   // person → last successful located sign-in of a client on their device
	SignedIn    map[string]*place   // person → last successful located interactive sign-in
	Returns     map[string]*place   // person → where they were before a reported jump
	Sources     map[ctxKey]*source  // address, network, user agent → failed sign-ins (sprays)
	Auth        map[string]*authLog // person → recent failures and MFA denials
	Created     map[string]bool     // accounts created (directory audits) while watching
	ActiveDays  map[int64]int       // day since the epoch (millis.day) → people whose latest activity fell on it
	Seen        map[string]millis   // sign-in uid → event time: one sign-in, many transports
	Chains      map[event.Entity]*chain
	SeenPruned  millis              // event time of the last pruning of Seen
	Tail        []uint64            // events observed at Last (see Replayed)
	SweptAt     millis              // event time of the last sweep of stale state
	Egress      map[int]*egressNet  // ASN → people it was the far end of an impossible hop for
	Held        []heldHop           // impossible-travel candidates waiting for the travel hold
	Routine     map[string][]millis // rule and identity → earlier paging hits (see contextualize)
}

func newState() *state {
	return &state{Profiles: map[event.Entity]*profile{}, Peers: map[uint32]*profile{}, Contexts: map[ctxKey]*profile{}, Travel: map[string]*place{}, SignedIn: map[string]*place{},
		Returns: map[string]*place{}, Sources: map[ctxKey]*source{}, Auth: map[string]*authLog{}, Created: map[string]bool{},
		ActiveDays: map[int64]int{}, Seen: map[string]millis{}, Chains: map[event.Entity]*chain{}, Egress: map[int]*egressNet{}, Routine: map[string][]millis{}}
}

// Option configures a Detector.
type Option func(*Detector)

// WithLogger sets where degradations (no locations, say) are reported, once each.
func WithLogger(l *slog.Logger) Option { return func(d *Detector) { d.log = l } }

// AddressInfo is what a geo database says about an address beyond the event's own fields.
type AddressInfo struct {
	AccuracyKm     int  // radius around the location the address is likely within
	AnonymousProxy bool // a known anonymiser
	Satellite      bool // a satellite provider: its location says nothing of the user
}

// WithAddressInfo lets the detections ask a geo database about sign-in addresses: the
// accuracy of their location (impossible travel takes it off the distance), anonymisers (a
// risky signal) and satellite networks (shared egress).
func WithAddressInfo(lookup func(ip string) (AddressInfo, bool)) Option {
	return func(d *Detector) { d.lookup = lookup }
}

// New returns a detector configured by cfg as it is (start from DefaultConfig). An invalid
// setting (see Config.Validate) is taken as it is too, so call Validate first where configs
// come from users.
func New(cfg Config, opts ...Option) *Detector {
	d := &Detector{cfg: cfg, log: slog.New(slog.DiscardHandler), st: newState()}
	for _, o := range opts {
		o(d)
	}
	d.rated = map[event.Category]uint8{}
	for i, c := range ratedCategories {
		d.rated[c] = uint8(i)
	}
	for i, fam := range activityFamilies {
		for _, c := range fam {
			d.families[i] = append(d.families[i], hash(string(c)))
		}
	}
	d.priv = map[event.Category]bool{}
	for _, c := range privilegedCategories {
		d.priv[c] = true
	}
	d.asns = map[int]bool{}
	for _, n := range d.cfg.SharedEgress.ASNs {
		d.asns[n] = true
	}
	for _, s := range d.cfg.SharedEgress.CIDRs {
		if p, err := netip.ParsePrefix(s); err == nil {
			d.egress = append(d.egress, p.Masked())
		}
	}
	return d
}

// ratedCategories are the kinds of activity whose hourly volume is tracked per identity.
var ratedCategories = []event.Category{
	event.CategoryResourceCreate, event.CategoryResourceDelete, event.CategoryResourceUpdate, event.CategoryResourceAction,
	event.CategoryResourceRead, event.CategoryNetworkExposure, event.CategoryNetworkChange, event.CategoryStorageAccess,
	event.CategoryStoragePolicy, event.CategorySecretAccess, event.CategoryKeyChange, event.CategoryCredentialCreate,
	event.CategoryUserCreate, event.CategoryUserDelete, event.CategoryRoleAssignment, event.CategoryPolicyIAM,
	event.CategoryGroupMemberAdd, event.CategoryAppCredential,
}

// privilegedCategories are operations that change who can do what, or what is watched.
var privilegedCategories = []event.Category{
	event.CategoryRoleAssignment, event.CategoryRoleChange, event.CategoryPolicyIAM, event.CategoryPolicyConditionalAccess,
	event.CategoryFederationChange, event.CategoryTenantChange, event.CategoryCredentialCreate, event.CategoryAppCredential,
	event.CategoryAppConsent, event.CategoryLoggingChange, event.CategorySecurityChange, event.CategoryKeyChange,
	event.CategoryStoragePolicy, event.CategoryNetworkExposure, event.CategoryPasswordReset, event.CategorySPCreate,
	event.CategoryPolicyGovernance,
}

// Name names the detector.
func (*Detector) Name() string { return "behavior" }

// isIdentity reports whether an entity type acts and has a pattern of life.
func isIdentity(t event.EntityType) bool {
	switch t {
	case event.EntityUser, event.EntityServicePrincipal, event.EntityRole, event.EntityRoot:
		return true
	}
	return false
}

// Observe scores ev for its entity (setting ev.Vigil.Score and ScoreReason), runs the
// detections on it and then learns from it.
func (d *Detector) Observe(ctx context.Context, ev *event.Event, emit detect.Emit) error {
	if ev.IsUnparsed() {
		return nil
	}
	t := eventTime(ev)
	if t < minTime || t > maxTime {
		// No pattern of life is learned from a record without a plausible time; say so once.
		if !d.warnedTime {
			d.warnedTime = true
			d.log.Warn("behavior: events with implausible times are left out of the baselines",
				"time", ev.Time, "uid", ev.Metadata.UID, "source", ev.Vigil.Source)
		}
		return nil
	}
	st := d.st
	if st.First == 0 || t < st.First {
		st.First = t
	}
	switch {
	case t > st.Last:
		st.Last = t
		st.Tail = append(st.Tail[:0], tailHash(ev))
	case t == st.Last:
		st.Tail = append(st.Tail, tailHash(ev))
	}
	if st.Last.Sub(st.SweptAt) >= sweepEvery {
		d.sweep()
	}
	if ev.ClassUID == int(event.ClassAuthentication) && ev.Metadata.UID != "" {
		// Entra delivers a sign-in through Graph and through Event Hubs alike: one sign-in.
		d.pruneSeen()
		if _, dup := st.Seen[ev.Metadata.UID]; dup {
			return nil
		}
		st.Seen[strings.Clone(ev.Metadata.UID)] = t
	}
	switch ev.Vigil.Category {
	case event.CategoryUserCreate, event.CategoryGuestInvite:
		if ev.User != nil && ev.User.Name != "" {
			st.Created[strings.Clone(createdKey(ev.User.Name))] = true
		}
	case event.CategoryIdentityRisk:
		d.noteRisk(ev)
	}
	if ev.ClassUID == int(event.ClassDetectionFinding) {
		return nil // a provider's finding about an identity is not its behaviour
	}
	raise := func(a alert.Alert) { d.raise(a, emit) }
	if len(st.Held) > 0 {
		d.releaseHeld(st.Last, raise)
	}

	actor := ev.Vigil.Entity
	if !isIdentity(actor.Type) {
		return nil
	}
	extract(ev, &d.fs)
	d.info = AddressInfo{}
	if d.lookup != nil && ev.ClassUID == int(event.ClassAuthentication) && ev.SrcEndpoint.IP != "" {
		d.info, _ = d.lookup(ev.SrcEndpoint.IP)
	}
	d.shared = d.sharedEgress(ev)
	d.checkLocation(ev)
	p := st.Profiles[actor]
	success := ev.StatusID != event.StatusFailure
	auth := ev.ClassUID == int(event.ClassAuthentication)

	if auth && actor.Type == event.EntityUser {
		if !d.cfg.Spray.Disabled {
			d.spray(ev, raise)
		}
		d.authFailures(ev, p, raise)
		if success && !d.cfg.ImpossibleTravel.Disabled {
			d.travel(ev, p, raise)
		}
	}
	learnable := success
	var b *burst
	if learnable {
		b = d.rateStep(ev, p)
	}
	sc := d.score(ev, p, b)
	ev.Vigil.Score, ev.Vigil.ScoreReason = sc.total, sc.reason
	if learnable {
		d.baselineDetections(ev, p, &sc, raise)
		d.learn(ev, p)
	}
	return nil
}

// sweepEvery is how often (in event time) stale state is swept.
const sweepEvery = 24 * time.Hour

// day is the span of recent failures, denials and returns from a reported jump kept.
const day = 24 * time.Hour

// sweep forgets what can no longer matter, so memory follows the live population rather
// than everything ever seen: addresses, networks, keys and other context entities unseen
// for forget_after; travel, failure, spray and chain state past its window. Identities'
// own profiles stay: a long-silent identity coming back is what dormancy is about.
func (d *Detector) sweep() {
	st := d.st
	st.SweptAt = st.Last
	now := st.Last
	forget := d.cfg.Baseline.ForgetAfter
	for k, p := range st.Contexts {
		if now.Sub(p.Last) > forget {
			delete(st.Contexts, k)
		}
	}
	for u, p := range st.Travel {
		if now.Sub(p.T) > forget {
			delete(st.Travel, u)
		}
	}
	for u, p := range st.SignedIn {
		if now.Sub(p.T) > forget {
			delete(st.SignedIn, u)
		}
	}
	d.sweepLearned(now, forget)
	for u, p := range st.Returns {
		if now.Sub(p.T) > day {
			delete(st.Returns, u)
		}
	}
	for u, l := range st.Auth {
		recent := now.Sub(l.RiskAt) < d.cfg.RiskySignIn.RiskMemory
		for _, a := range append(l.Fails, l.Denials...) {
			recent = recent || now.Sub(a.T) < day
		}
		if !recent {
			delete(st.Auth, u)
		}
	}
	window := d.cfg.Spray.Window
	for k, s := range st.Sources {
		last := s.Reported
		if n := len(s.Fails); n > 0 {
			last = max(last, s.Fails[n-1].T)
		}
		if n := len(s.Success); n > 0 {
			last = max(last, s.Success[n-1])
		}
		if now.Sub(last) > window {
			delete(st.Sources, k)
		}
	}
	for e, c := range st.Chains {
		if n := len(c.Links); n == 0 || now.Sub(c.Links[n-1].T) > d.cfg.Chain.Window {
			delete(st.Chains, e)
		}
	}
	for dd := range st.ActiveDays {
		if dd < now.day()-int64(max(d.cfg.Dormant.Learning, d.cfg.Baseline.Learning)/day)-1 {
			delete(st.ActiveDays, dd)
		}
	}
}

// createdKey is how an account is remembered as created: lower-cased, an IAM user by its
// name (the audit names the user, the user's own calls name its ARN).
func createdKey(name string) string {
	if i := strings.Index(name, ":user/"); i >= 0 {
		name = name[strings.LastIndexByte(name, '/')+1:]
	}
	return strings.ToLower(strings.TrimSpace(name))
}

// Advance forgets what has aged out; detections decide on the event that completes them.
func (d *Detector) Advance(_ context.Context, now time.Time, emit detect.Emit) error {
	d.releaseHeld(toMillis(now), func(a alert.Alert) { d.raise(a, emit) })
	d.pruneSeen()
	return nil
}

// pruneSeen forgets sign-in ids older than two hours, checked every ten minutes of event time.
func (d *Detector) pruneSeen() {
	st := d.st
	if st.Last.Sub(st.SeenPruned) < 10*time.Minute {
		return
	}
	st.SeenPruned = st.Last
	cut := st.Last.Add(-2 * time.Hour)
	for uid, t := range st.Seen {
		if t < cut {
			delete(st.Seen, uid)
		}
	}
}

// checkLocation says once that sign-ins arrive without locations: the detections that need
// them (impossible travel, new country) then run on what the provider gives only.
func (d *Detector) checkLocation(ev *event.Event) {
	if ev.ClassUID != int(event.ClassAuthentication) || ev.SrcEndpoint.IP == "" || d.warnedLocation {
		return
	}
	if l := ev.SrcEndpoint.Location; l == nil || l.Lat == nil {
		d.warnedLocation = true
		d.log.Warn("behavior: sign-ins arrive without a location and no geo database filled one; impossible travel and new-country scoring skip them",
			"source", ev.Vigil.Source)
	}
}

// raise emits a behavioural alert and adds it to its entity's chain.
func (d *Detector) raise(a alert.Alert, emit detect.Emit) {
	emit(a)
	if !d.cfg.Chain.Disabled && a.Rule.Kind != alert.KindCorrelation {
		d.chain(a, emit)
	}
}

// newAlert fills the fields every behavioural alert has.
func newAlert(rule, title string, kind alert.Kind, sev alert.Severity, score int, t time.Time, ent event.Entity, uids []string,
	attack []string, reason string) alert.Alert {
	return alert.Alert{
		ID: alert.StableID(rule, ent, uids), Time: t, Title: title,
		Rule:     alert.Rule{ID: rule, Kind: kind, Title: title, Level: string(sev)},
		Severity: sev, Score: min(100, max(0, score)), Entity: ent, EventUIDs: uids, Attack: attack, Reason: reason,
	}
}

// where describes an event's origin for reasons: "Lagos, NG (AS37148, 102.89.1.1)".
func where(ev *event.Event) string {
	var parts []string
	if l := ev.SrcEndpoint.Location; l != nil {
		parts = append(parts, strings.Trim(strings.TrimSpace(l.City+", "+l.Country), ", "))
	}
	var net []string
	if as := ev.SrcEndpoint.AutonomousSystem; as != nil && as.Number > 0 {
		net = append(net, fmt.Sprintf("AS%d", as.Number))
	}
	if ev.SrcEndpoint.IP != "" {
		net = append(net, ev.SrcEndpoint.IP)
	}
	if len(net) > 0 {
		parts = append(parts, "("+strings.Join(net, ", ")+")")
	}
	return strings.Join(parts, " ")
}

var _ detect.Detector = (*Detector)(nil)
