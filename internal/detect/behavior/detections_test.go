package behavior

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/vigil-sec/vigil/internal/alert"
	"github.com/vigil-sec/vigil/internal/event"
)

// history is two weeks of routine before t0 for a tenant of n people.
func history(n int) (*tenant, []*event.Event) {
	tn := newTenant(1, n)
	return tn, tn.days(t0.Add(-14*24*time.Hour).Truncate(24*time.Hour), 14)
}

// observe runs evs through d and returns the alerts of rule (all when rule is "").
// Like the end of a hunt, event time is then advanced past every hold, so held
// candidates are decided.
func observe(d *Detector, evs []*event.Event, rule string) []alert.Alert {
	var out []alert.Alert
	keep := func(a alert.Alert) {
		if rule == "" || a.Rule.ID == rule {
			out = append(out, a)
		}
	}
	for _, ev := range evs {
		d.Observe(context.Background(), ev, keep)
	}
	if len(evs) > 0 {
		d.Advance(context.Background(), time.UnixMilli(evs[len(evs)-1].Time).Add(24*time.Hour), keep)
	}
	return out
}

// runCase trains a detector on history, then returns the alerts of rule over the case.
func runCase(t *testing.T, cfg Config, hist, evs []*event.Event, rule string) []alert.Alert {
	t.Helper()
	d := New(cfg)
	observe(d, hist, "")
	return observe(d, evs, rule)
}

// configWith is DefaultConfig changed by set.
func configWith(set func(*Config)) Config {
	c := DefaultConfig()
	set(&c)
	return c
}

func failed(ev *event.Event, code string) *event.Event {
	ev.SetStatus(event.StatusFailure)
	ev.Vigil.Category = event.CategoryLoginFailed
	ev.StatusCode = code
	return ev
}

func at(ev *event.Event, t time.Time) *event.Event {
	ev.SetTime(t)
	return ev
}

func from(ev *event.Event, ip string, asn int, c city) *event.Event {
	lat, long := c.lat, c.long
	ev.SrcEndpoint = event.Endpoint{IP: ip, AutonomousSystem: &event.AutonomousSystem{Number: asn},
		Location: &event.Location{City: c.name, Country: c.cc, Lat: &lat, Long: &long}}
	return ev
}

var moscow = city{"Moscow", "RU", 55.756, 37.617}

func TestBruteForce(t *testing.T) {
	tn, hist := history(12)
	p := tn.people[0]
	start := t0.Add(2 * time.Hour)
	var attack []*event.Event
	for i := 0; i < 12; i++ {
		attack = append(attack, from(failed(at(tn.signIn(p, start), start.Add(time.Duration(i)*time.Minute)), "50126"), "185.220.101.4", 60729, moscow))
	}
	attack = append(attack, from(at(tn.signIn(p, start), start.Add(13*time.Minute)), "185.220.101.4", 60729, moscow))
	got := runCase(t, DefaultConfig(), hist, attack, "")
	rules := map[string]alert.Alert{}
	for _, a := range got {
		rules[a.Rule.ID] = a
	}
	if a, ok := rules["vigil-brute-force"]; !ok || a.Severity != alert.SeverityHigh || len(a.EventUIDs) != 10 {
		t.Errorf("brute force: %+v", rules)
	}
	a, ok := rules["vigil-brute-force-success"]
	if !ok || a.Severity != alert.SeverityCritical || !strings.Contains(a.Reason, "after 12 failed sign-ins") || !strings.Contains(a.Reason, "Moscow") {
		t.Errorf("brute force success: %+v", a)
	}
	if _, ok := rules["vigil-behavior-chain"]; !ok {
		t.Errorf("brute force then its success should chain: %v", rules)
	}

	// Look-alikes: five typos at home then the right password; a token refresh after
	// failures elsewhere; a phone blocked by conditional access retrying.
	var typos []*event.Event
	for i := 0; i < 5; i++ {
		typos = append(typos, failed(at(tn.signIn(p, start), start.Add(time.Duration(i)*time.Minute)), "50126"))
	}
	typos = append(typos, at(tn.signIn(p, start), start.Add(6*time.Minute)))
	if got := runCase(t, DefaultConfig(), hist, typos, ""); len(got) != 0 {
		t.Errorf("typos at home: %+v", got)
	}
	var blocked []*event.Event
	for i := 0; i < 15; i++ {
		blocked = append(blocked, failed(at(tn.signIn(p, start), start.Add(time.Duration(i)*time.Minute)), "53003"))
	}
	if got := runCase(t, DefaultConfig(), hist, blocked, ""); len(got) != 0 {
		t.Errorf("conditional access blocks: %+v", got)
	}
	refresh := append(append([]*event.Event(nil), attack[:6]...), at(tn.signIn(p, start), start.Add(20*time.Minute)))
	refresh[6].Vigil.Category = event.CategoryLoginNonInteractive
	if got := runCase(t, DefaultConfig(), hist, refresh, "vigil-brute-force-success"); len(got) != 0 {
		t.Errorf("token refresh is no guess that worked: %+v", got)
	}
}

func mfaDenied(tn *tenant, p person, t time.Time) *event.Event {
	ev := failed(at(tn.signIn(p, t), t), "500121")
	ev.Vigil.Category = event.CategoryMFAFailed
	return ev
}

func TestMFAFatigue(t *testing.T) {
	tn, hist := history(12)
	p := tn.people[1]
	start := t0.Add(3 * time.Hour)
	var attack []*event.Event
	for i := 0; i < 4; i++ {
		attack = append(attack, mfaDenied(tn, p, start.Add(time.Duration(i)*3*time.Minute)))
	}
	attack = append(attack, at(tn.signIn(p, start), start.Add(15*time.Minute)))
	got := runCase(t, DefaultConfig(), hist, attack, "vigil-mfa-fatigue-success")
	if len(got) != 1 || got[0].Severity != alert.SeverityHigh || len(got[0].EventUIDs) != 5 {
		t.Fatalf("mfa fatigue: %+v", got)
	}
	// A missed prompt, then approved: nothing.
	missed := []*event.Event{mfaDenied(tn, p, start), at(tn.signIn(p, start), start.Add(time.Minute))}
	if got := runCase(t, DefaultConfig(), hist, missed, ""); len(got) != 0 {
		t.Errorf("missed prompt: %+v", got)
	}
	// Prompt bombing that never succeeds still says something, at medium.
	var bombing []*event.Event
	for i := 0; i < 8; i++ {
		bombing = append(bombing, mfaDenied(tn, p, start.Add(time.Duration(i)*time.Minute)))
	}
	if got := runCase(t, DefaultConfig(), hist, bombing, "vigil-mfa-fatigue"); len(got) != 1 || got[0].Severity != alert.SeverityMedium {
		t.Errorf("bombing: %+v", got)
	}
}

func TestSprayByAddressAndAgent(t *testing.T) {
	tn, hist := history(30)
	start := t0.Add(time.Hour)
	var attack []*event.Event
	for i, p := range tn.people[:25] {
		ev := from(failed(at(tn.signIn(p, start), start.Add(time.Duration(i)*2*time.Minute)), "50126"), "203.0.113.66", 64999, moscow)
		ev.HTTPRequest.UserAgent = "python-requests/2.31.0"
		attack = append(attack, ev)
	}
	got := runCase(t, DefaultConfig(), hist, attack, "vigil-password-spray")
	types := map[event.EntityType]bool{}
	for _, a := range got {
		types[a.Entity.Type] = true
	}
	if !types[event.EntityIP] || !types[event.EntityASN] || !types[event.EntityUserAgent] {
		t.Errorf("spray by address, network and client: %+v", got)
	}
	// A minimum of zero accounts watches no source of that kind: it does not mean "any".
	noIP := configWith(func(c *Config) { c.Spray.MinUsersIP = 0 })
	types = map[event.EntityType]bool{}
	for _, a := range runCase(t, noIP, hist, attack, "vigil-password-spray") {
		types[a.Entity.Type] = true
	}
	if types[event.EntityIP] || !types[event.EntityASN] || !types[event.EntityUserAgent] {
		t.Errorf("min_users_ip 0: sprays by %v, want network and client only", types)
	}
	// The same failures by few accounts, many guesses each, are brute force, not a spray.
	var guesses []*event.Event
	for i := 0; i < 40; i++ {
		p := tn.people[i%4]
		guesses = append(guesses, from(failed(at(tn.signIn(p, start), start.Add(time.Duration(i)*time.Minute)), "50126"), "203.0.113.66", 64999, moscow))
	}
	if got := runCase(t, DefaultConfig(), hist, guesses, "vigil-password-spray"); len(got) != 0 {
		t.Errorf("four accounts guessed ten times each: %+v", got)
	}
}

func TestRiskyNewSignIn(t *testing.T) {
	tn, hist := history(12)
	p := tn.people[2]
	t1 := t0.Add(26 * time.Hour)
	risky := from(at(tn.signIn(p, t1), t1), "102.89.1.1", 37148, moscow)
	risky.Device = &event.Device{OS: "Linux", Browser: "Firefox 128"}
	risky.SetSeverity(event.SeverityMedium)
	risky.Message = "sign-in risk medium"
	got := runCase(t, DefaultConfig(), hist, []*event.Event{risky}, "vigil-risky-new-signin")
	if len(got) != 1 || !strings.Contains(got[0].Reason, "new country RU") || !strings.Contains(got[0].Reason, "sign-in risk medium") {
		t.Fatalf("risky: %+v", got)
	}
	// A trip: new country and network, the usual device, no risk: nothing of this rule.
	trip := from(at(tn.signIn(p, t1), t1), "71.190.8.1", 701, newYork)
	if got := runCase(t, DefaultConfig(), hist, []*event.Event{trip}, "vigil-risky-new-signin"); len(got) != 0 {
		t.Errorf("trip: %+v", got)
	}
	// Risk at home on the usual device: the provider's own signal, not ours to repeat.
	home := at(tn.signIn(p, t1), t1)
	home.SetSeverity(event.SeverityHigh)
	if got := runCase(t, DefaultConfig(), hist, []*event.Event{home}, "vigil-risky-new-signin"); len(got) != 0 {
		t.Errorf("risk at home: %+v", got)
	}
}

func TestAnomalyScoreAndLearning(t *testing.T) {
	tn, hist := history(12)
	p := tn.people[3]
	t1 := t0.Add(27 * time.Hour)
	stolen := from(at(tn.signIn(p, t1), t1), "102.89.1.1", 37148, moscow)
	stolen.Device = &event.Device{OS: "Linux", Browser: "Firefox 128"}
	stolen.HTTPRequest.UserAgent = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
	d := New(DefaultConfig())
	observe(d, hist, "")
	got := observe(d, []*event.Event{stolen}, "vigil-anomalous-activity")
	if stolen.Vigil.Score < 70 || len(got) != 1 {
		t.Fatalf("score %d (%s), alerts %+v", stolen.Vigil.Score, stolen.Vigil.ScoreReason, got)
	}
	for _, want := range []string{"new country RU", "new network AS37148", "new device Linux", "earlier events from"} {
		if !strings.Contains(stolen.Vigil.ScoreReason, want) {
			t.Errorf("reason %q lacks %q", stolen.Vigil.ScoreReason, want)
		}
	}
	if got[0].Details["baseline"] == nil {
		t.Errorf("alert without the baseline: %+v", got[0])
	}
	// The usual sign-in scores nothing; a trip scores, but below an alert.
	usual := at(tn.signIn(p, t1), t1.Add(time.Hour))
	trip := from(at(tn.signIn(tn.people[4], t1), t1), "71.190.8.1", 701, newYork)
	if got := observe(d, []*event.Event{usual, trip}, "vigil-anomalous-activity"); len(got) != 0 || usual.Vigil.Score != 0 ||
		trip.Vigil.Score == 0 || trip.Vigil.Score >= 70 {
		t.Errorf("usual %d, trip %d (%s), alerts %+v", usual.Vigil.Score, trip.Vigil.Score, trip.Vigil.ScoreReason, got)
	}
	// A newcomer is being learned: no novelty, whatever it does.
	newcomer := person{upn: "new@corp.example", home: sydney, homeIP: "1.1.1.9", asn: 1221, device: "d"}
	var first []*event.Event
	for i := 0; i < 5; i++ {
		first = append(first, at(tn.signIn(newcomer, t1), t1.Add(time.Duration(i)*time.Hour)))
	}
	first = append(first, from(at(tn.signIn(newcomer, t1), t1.Add(6*time.Hour)), "102.89.1.1", 37148, moscow))
	observe(d, first, "")
	if last := first[len(first)-1]; last.Vigil.Score != 0 || last.Vigil.ScoreReason != learningReason {
		t.Errorf("newcomer scored %d: %s", last.Vigil.Score, last.Vigil.ScoreReason)
	}
}

func TestFirstPrivilegedOperation(t *testing.T) {
	tn, hist := history(12)
	eng := tn.people[0] // an engineer: describes instances twice a day
	t1 := t0.Add(25 * time.Hour)
	attach := tn.apiCall(eng, t1, "AttachUserPolicy", event.CategoryPolicyIAM, "us-east-1")
	got := runCase(t, DefaultConfig(), hist, []*event.Event{attach}, "vigil-first-privileged-operation")
	if len(got) != 1 || got[0].Severity != alert.SeverityMedium || !strings.Contains(got[0].Reason, "first policy.iam") {
		t.Fatalf("first privileged: %+v", got)
	}
	// The second time is no longer a first.
	again := tn.apiCall(eng, t1.Add(time.Hour), "AttachUserPolicy", event.CategoryPolicyIAM, "us-east-1")
	if got := runCase(t, DefaultConfig(), hist, []*event.Event{attach, again}, "vigil-first-privileged-operation"); len(got) != 1 {
		t.Errorf("twice: %+v", got)
	}
	// An admin whose peers (from directory data) change policies routinely.
	var admins []*event.Event
	peers := map[string]string{}
	for i, p := range tn.people[1:6] {
		peers[p.upn] = "cloud-admins"
		for d := 0; d < 10; d++ {
			admins = append(admins, tn.apiCall(p, t0.Add(-time.Duration(d*24+i)*time.Hour), "PutRolePolicy", event.CategoryPolicyIAM, "us-east-1"))
		}
	}
	peers[eng.upn] = "cloud-admins"
	all := append(append([]*event.Event(nil), hist...), admins...)
	sortEvents(all)
	attach2 := tn.apiCall(eng, t1, "AttachUserPolicy", event.CategoryPolicyIAM, "us-east-1")
	if got := runCase(t, configWith(func(c *Config) { c.PeerGroups = peers }), all, []*event.Event{attach2}, "vigil-first-privileged-operation"); len(got) != 0 {
		t.Errorf("routine among peers: %+v", got)
	}
	// A peer share of zero makes nothing routine.
	strict := configWith(func(c *Config) { c.PeerGroups, c.FirstPrivileged.PeerShare = peers, 0 })
	if got := runCase(t, strict, all, []*event.Event{attach2}, "vigil-first-privileged-operation"); len(got) != 1 {
		t.Errorf("peer_share 0: %+v", got)
	}
}

func TestManagementBurst(t *testing.T) {
	tn, hist := history(12)
	eng := tn.people[0]
	t1 := t0.Add(30 * time.Hour)
	var burst []*event.Event
	for i := 0; i < 40; i++ {
		burst = append(burst, tn.apiCall(eng, t1.Add(time.Duration(i)*40*time.Second), "RunInstances", event.CategoryResourceCreate, "sa-east-1"))
	}
	got := runCase(t, DefaultConfig(), hist, burst, "vigil-management-burst")
	if len(got) != 1 || got[0].Severity != alert.SeverityHigh || !strings.Contains(got[0].Reason, "new to it") {
		t.Fatalf("burst: %+v", got)
	}
	// Automation that creates thirty instances every day does it again.
	ci := person{upn: "ci@corp.example", homeIP: "52.1.1.1", asn: 16509}
	var routine []*event.Event
	for d := 0; d < 10; d++ {
		for i := 0; i < 30; i++ {
			routine = append(routine, tn.apiCall(ci, t0.Add(-time.Duration(d)*24*time.Hour+time.Duration(i)*time.Minute), "RunInstances",
				event.CategoryResourceCreate, "eu-west-1"))
		}
	}
	sortEvents(routine)
	if got := runCase(t, DefaultConfig(), routine[:270], routine[270:], "vigil-management-burst"); len(got) != 0 {
		t.Errorf("daily batch: %+v", got)
	}
}

func workloadSignIn(tn *tenant, sp string, t time.Time, ip string, asn int) *event.Event {
	tn.seq++
	ev := &event.Event{}
	ev.SetClass(event.ClassAuthentication, event.ActivityLogon)
	ev.SetTime(t)
	ev.SetStatus(event.StatusSuccess)
	ev.Metadata.UID = fmt.Sprintf("w-%d", tn.seq)
	ev.Vigil.Category = event.CategoryLoginService
	ev.Vigil.Entity = event.Entity{Type: event.EntityServicePrincipal, Name: sp}
	ev.SrcEndpoint = event.Endpoint{IP: ip}
	if asn > 0 {
		ev.SrcEndpoint.AutonomousSystem = &event.AutonomousSystem{Number: asn}
	}
	return ev
}

func TestWorkloadNewNetwork(t *testing.T) {
	tn := newTenant(1, 1)
	var hist []*event.Event
	for h := 0; h < 10*24; h++ {
		hist = append(hist, workloadSignIn(tn, "sp-backup", t0.Add(-time.Duration(h)*time.Hour), "20.50.82.31", 8075))
	}
	sortEvents(hist)
	t1 := t0.Add(time.Hour)
	got := runCase(t, DefaultConfig(), hist, []*event.Event{workloadSignIn(tn, "sp-backup", t1, "185.220.101.47", 60729)}, "vigil-workload-new-network")
	if len(got) != 1 || got[0].Severity != alert.SeverityHigh || !strings.Contains(got[0].Reason, "AS60729") {
		t.Fatalf("new network: %+v", got)
	}
	// Without ASNs the address range stands for the network.
	noASN := func(evs []*event.Event) []*event.Event {
		for _, ev := range evs {
			ev.SrcEndpoint.AutonomousSystem = nil
		}
		return evs
	}
	got = runCase(t, DefaultConfig(), noASN(hist), noASN([]*event.Event{workloadSignIn(tn, "sp-backup", t1, "185.220.101.47", 0)}), "vigil-workload-new-network")
	if len(got) != 1 || !strings.Contains(got[0].Reason, "address range") {
		t.Errorf("new range: %+v", got)
	}
	// Look-alike: a new address in the cloud it always ran in.
	if got := runCase(t, DefaultConfig(), hist, []*event.Event{workloadSignIn(tn, "sp-backup", t1, "20.50.90.7", 8075)}, "vigil-workload-new-network"); len(got) != 0 {
		t.Errorf("same cloud: %+v", got)
	}
	// A long-term access key of an IAM user used from a new network.
	user := person{upn: "arn:aws:iam::111122223333:user/reporting", homeIP: "198.51.100.20", asn: 64500}
	var keyHist []*event.Event
	for d := 0; d < 10; d++ {
		ev := tn.apiCall(user, t0.Add(-time.Duration(d)*24*time.Hour), "GetObject", event.CategoryStorageAccess, "eu-west-1")
		ev.Actor.User.CredentialUID = "AKIAEXAMPLEKEY000001"
		ev.Vigil.Entity = event.Entity{Type: event.EntityUser, Name: user.upn}
		keyHist = append(keyHist, ev)
	}
	sortEvents(keyHist)
	stolen := tn.apiCall(user, t1, "ListBuckets", event.CategoryResourceRead, "eu-west-1")
	stolen.Actor.User.CredentialUID = "AKIAEXAMPLEKEY000001"
	stolen.Vigil.Entity = event.Entity{Type: event.EntityUser, Name: user.upn}
	stolen.SrcEndpoint = event.Endpoint{IP: "45.9.1.1", AutonomousSystem: &event.AutonomousSystem{Number: 206728}}
	if got := runCase(t, DefaultConfig(), keyHist, []*event.Event{stolen}, "vigil-workload-new-network"); len(got) != 1 || !strings.Contains(got[0].Reason, "AKIAEXAMPLEKEY000001") {
		t.Errorf("access key: %+v", got)
	}
}

func TestDormantAfterSilence(t *testing.T) {
	tn, hist := history(25)
	p := tn.people[5]
	back := at(tn.signIn(p, t0), t0.Add(40*24*time.Hour))
	// Everyone else keeps working meanwhile; p is silent for 40 days.
	var rest []*event.Event
	for _, ev := range tn.days(t0.Truncate(24*time.Hour), 39) {
		if ev.Vigil.Entity.Name != p.upn {
			rest = append(rest, ev)
		}
	}
	got := runCase(t, DefaultConfig(), append(hist, rest...), []*event.Event{back}, "vigil-dormant-account-active")
	if len(got) != 1 || !strings.Contains(got[0].Reason, "first activity in 4") {
		t.Fatalf("dormant: %+v", got)
	}
	// A sparse export where everyone is silent for weeks says nothing about anyone.
	if got := runCase(t, DefaultConfig(), hist, []*event.Event{back}, "vigil-dormant-account-active"); len(got) != 0 {
		t.Errorf("sparse logs: %+v", got)
	}
	// Two weeks of holiday is not dormancy.
	holiday := at(tn.signIn(p, t0), t0.Add(15*24*time.Hour))
	if got := runCase(t, DefaultConfig(), hist, []*event.Event{holiday}, "vigil-dormant-account-active"); len(got) != 0 {
		t.Errorf("holiday: %+v", got)
	}
}

func TestTravelNetworksThatSayNothing(t *testing.T) {
	hop := func(asn1, asn2 int, ip2 string) []*event.Event {
		return []*event.Event{signIn("ann@x", 0, london, "81.2.1.1", true, asn1), signIn("ann@x", 30*time.Minute, sydney, ip2, true, asn2)}
	}
	tests := []struct {
		name string
		cfg  Config
		evs  []*event.Event
		want int
	}{
		{"different networks", DefaultConfig(), hop(5089, 1221, "101.160.4.9"), 1},
		{"one global network placing a user in two countries", DefaultConfig(), hop(14593, 14593, "98.97.1.1"), 0},
		{"a listed relay network", DefaultConfig(), hop(5089, 13335, "104.28.1.1"), 0},
		{"a listed range", configWith(func(c *Config) { c.SharedEgress.CIDRs = []string{"101.160.0.0/16"} }), hop(5089, 1221, "101.160.4.9"), 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := observe(New(tt.cfg), tt.evs, "vigil-impossible-travel"); len(got) != tt.want {
				t.Errorf("%d alerts, want %d: %+v", len(got), tt.want, got)
			}
		})
	}
	// Geolocation error: London to Paris in ten minutes is 340 km, within the error.
	if got := observe(New(configWith(func(c *Config) { c.ImpossibleTravel.MinDistanceKm = 1 })),
		[]*event.Event{signIn("ann@x", 0, london, "81.2.1.1", true, 5089), signIn("ann@x", 10*time.Minute, paris, "90.84.1.1", true, 3215)},
		"vigil-impossible-travel"); len(got) != 0 {
		t.Errorf("within geolocation error: %+v", got)
	}
	// Zero geolocation error is zero, not the default: 340 km in ten minutes is too fast.
	exact := configWith(func(c *Config) { c.ImpossibleTravel.MinDistanceKm, c.ImpossibleTravel.LocationErrorKm = 1, 0 })
	if got := observe(New(exact),
		[]*event.Event{signIn("ann@x", 0, london, "81.2.1.1", true, 5089), signIn("ann@x", 10*time.Minute, paris, "90.84.1.1", true, 3215)},
		"vigil-impossible-travel"); len(got) != 1 {
		t.Errorf("location_error_km 0: %d alerts, want 1", len(got))
	}
}

func TestChainNeedsIndependentEvidence(t *testing.T) {
	d := New(DefaultConfig())
	var got []alert.Alert
	emit := func(a alert.Alert) { got = append(got, a) }
	ent := event.UserEntity("ann@x")
	mk := func(rule string, uids ...string) alert.Alert {
		return newAlert(rule, rule, alert.KindBehavior, alert.SeverityMedium, 60, t0, ent, uids, []string{"T1078"}, "r")
	}
	d.raise(mk("a", "e1"), emit)
	d.raise(mk("b", "e1"), emit) // the same event seen by another detection
	if len(got) != 2 {
		t.Fatalf("one event, two detections chained: %+v", got)
	}
	d.raise(mk("c", "e2"), emit)
	if len(got) != 4 || got[3].Rule.ID != "vigil-behavior-chain" || got[3].Score != 84 || got[3].Severity != alert.SeverityHigh {
		t.Fatalf("chain: %+v", got)
	}
}

func TestOneSignInManyTransports(t *testing.T) {
	tn, hist := history(3)
	d := New(DefaultConfig())
	observe(d, hist, "")
	p := tn.people[0]
	n := d.st.Profiles[event.UserEntity(p.upn)].N
	ev := at(tn.signIn(p, t0), t0.Add(time.Hour))
	again := *ev
	again.Vigil.Source = "entra.signin.diag"
	observe(d, []*event.Event{ev, &again}, "")
	if got := d.st.Profiles[event.UserEntity(p.upn)].N; got != n+1 {
		t.Errorf("profile counted %d sign-ins, want 1", got-n)
	}
}

func TestProfileStaysBounded(t *testing.T) {
	tn := newTenant(1, 1)
	role := person{upn: "automation@corp.example", homeIP: "52.1.1.1", asn: 16509}
	d := New(DefaultConfig())
	var evs []*event.Event
	for i := 0; i < 5000; i++ {
		ev := tn.apiCall(role, t0.Add(time.Duration(i)*time.Minute), fmt.Sprintf("Op%d", i), event.CategoryResourceRead, fmt.Sprintf("region-%d", i%50))
		ev.SrcEndpoint.IP = fmt.Sprintf("52.%d.%d.1", i/256%256, i%256)
		evs = append(evs, ev)
	}
	observe(d, evs, "")
	p := d.st.Profiles[event.UserEntity(role.upn)]
	if p.distinct(fOperation) != featureInfo[fOperation].cap || p.distinct(fRegion) != featureInfo[fRegion].cap || p.size() > 4096 {
		t.Errorf("ops %d, regions %d, %d bytes", p.distinct(fOperation), p.distinct(fRegion), p.size())
	}
}

func TestConfigErrorsNameTheKey(t *testing.T) {
	tests := []struct {
		cfg  Config
		want string
	}{
		{configWith(func(c *Config) { c.Anomaly.Threshold = 120 }), "anomaly.threshold"},
		{configWith(func(c *Config) { c.SharedEgress.CIDRs = []string{"10.0.0.0/33"} }), "shared_egress.cidrs[0]"},
		{configWith(func(c *Config) { c.Spray.MaxSuccessShare = 2 }), "password_spray.max_success_share"},
		{configWith(func(c *Config) { c.BruteForce.Window = 0 }), "brute_force.window"},
		{configWith(func(c *Config) { c.Baseline.HalfLife = 0 }), "baseline.half_life"},
		{configWith(func(c *Config) { c.ImpossibleTravel.LocationErrorKm = -1 }), "impossible_travel.location_error_km"},
	}
	for _, tt := range tests {
		if err := tt.cfg.Validate(); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%+v: %v, want %s", tt.cfg, err, tt.want)
		}
	}
	if err := DefaultConfig().Validate(); err != nil {
		t.Errorf("defaults: %v", err)
	}
	// Zero is a setting wherever it means something.
	zeros := configWith(func(c *Config) {
		c.Anomaly.Threshold, c.Anomaly.Cooldown = 0, 0
		c.ImpossibleTravel.MinDistanceKm, c.ImpossibleTravel.LocationErrorKm, c.ImpossibleTravel.SharedAddressUsers = 0, 0, 0
		c.Spray.MinUsersIP, c.FirstPrivileged.PeerShare, c.Burst.Factor, c.RiskySignIn.RiskMemory = 0, 0, 0, 0
		c.BruteForce.Window, c.BruteForce.Disabled = 0, true // a disabled detection needs no window
	})
	if err := zeros.Validate(); err != nil {
		t.Errorf("zeros: %v", err)
	}
}

// TestRestartGivesTheSameScores stops the detector at several points of a stream (one in
// the middle of a millisecond holding several events), restores its snapshot in a new one
// and replays the stream from before the stop: every alert and every score must be as
// without the stop.
func TestRestartGivesTheSameScores(t *testing.T) {
	tn, evs := history(40)
	evs = append(evs, attackStream(tn)...)
	sortEvents(evs)
	type scored struct {
		score  int
		reason string
	}
	run := func(stops map[int]bool) ([]alert.Alert, []scored) {
		var alerts []alert.Alert
		var scores []scored
		d := New(DefaultConfig())
		emit := func(a alert.Alert) { alerts = append(alerts, a) }
		for i := 0; i < len(evs); i++ {
			if stops[i] {
				var buf bytes.Buffer
				if err := d.Snapshot(&buf); err != nil {
					t.Fatal(err)
				}
				d = New(DefaultConfig())
				if err := d.Restore(&buf); err != nil {
					t.Fatal(err)
				}
				// Replay from an hour before the stop: what was seen is skipped.
				j := i
				for j > 0 && evs[j-1].Time > evs[i].Time-3_600_000 {
					j--
				}
				for ; j < i; j++ {
					if !d.Replayed(copyEvent(evs[j])) {
						t.Fatalf("event %d before the stop at %d not recognised as replayed", j, i)
					}
				}
			}
			ev := copyEvent(evs[i])
			if d.Replayed(ev) && stops[i] {
				t.Fatalf("event %d after the stop taken for replayed", i)
			}
			if err := d.Observe(context.Background(), ev, emit); err != nil {
				t.Fatal(err)
			}
			scores = append(scores, scored{ev.Vigil.Score, ev.Vigil.ScoreReason})
		}
		return alerts, scores
	}
	wantAlerts, wantScores := run(nil)
	if len(wantAlerts) < 3 {
		t.Fatalf("the stream should raise alerts: %d", len(wantAlerts))
	}
	stops := map[int]bool{len(evs) / 3: true, len(evs) / 2: true, len(evs) - 5: true}
	for i := 1; i < len(evs); i++ { // a stop between two events of one millisecond
		if evs[i].Time == evs[i-1].Time {
			stops[i] = true
			break
		}
	}
	gotAlerts, gotScores := run(stops)
	if len(gotAlerts) != len(wantAlerts) {
		t.Fatalf("%d alerts with restarts, %d without", len(gotAlerts), len(wantAlerts))
	}
	for i := range wantAlerts {
		w, g := wantAlerts[i], gotAlerts[i]
		if w.ID != g.ID || w.Score != g.Score || w.Reason != g.Reason {
			t.Errorf("alert %d: %s %d %q, want %s %d %q", i, g.ID, g.Score, g.Reason, w.ID, w.Score, w.Reason)
		}
	}
	for i := range wantScores {
		if wantScores[i] != gotScores[i] {
			t.Fatalf("event %d scored %+v with restarts, %+v without", i, gotScores[i], wantScores[i])
		}
	}
}

// attackStream is a day of attacks on the tenant after its history: a brute force that
// succeeds, then impossible travel, a burst and a first privileged operation.
func attackStream(tn *tenant) []*event.Event {
	p, eng := tn.people[1], tn.people[0]
	start := t0.Add(2 * time.Hour)
	var out []*event.Event
	for i := 0; i < 12; i++ {
		out = append(out, from(failed(at(tn.signIn(p, start), start.Add(time.Duration(i)*time.Minute)), "50126"), "185.220.101.4", 60729, moscow))
	}
	out = append(out, from(at(tn.signIn(p, start), start.Add(13*time.Minute)), "185.220.101.4", 60729, moscow))
	for i := 0; i < 30; i++ {
		out = append(out, tn.apiCall(eng, start.Add(time.Duration(i)*time.Minute), "RunInstances", event.CategoryResourceCreate, "sa-east-1"))
	}
	out = append(out, tn.apiCall(eng, start.Add(40*time.Minute), "AttachUserPolicy", event.CategoryPolicyIAM, "us-east-1"))
	// Two sign-ins in one millisecond, for the stop between them.
	a, b := at(tn.signIn(tn.people[2], start), start.Add(time.Hour)), at(tn.signIn(tn.people[3], start), start.Add(time.Hour))
	return append(out, a, b)
}

// copyEvent gives each run its own event (Observe sets the score on it).
func copyEvent(ev *event.Event) *event.Event {
	c := *ev
	return &c
}

// TestIAMUserCreatedIsNotDormant: CloudTrail's CreateUser names the user; the user's own
// calls name its ARN. An IAM user created while watching is new, not dormant.
func TestIAMUserCreatedIsNotDormant(t *testing.T) {
	tn, hist := history(25)
	created := &event.Event{}
	created.SetTime(t0)
	created.Vigil.Category = event.CategoryUserCreate
	created.User = &event.User{Name: "svc-sync"}
	iam := person{upn: "arn:aws:iam::111122223333:user/svc-sync", homeIP: "198.51.100.9", asn: 64500}
	call := tn.apiCall(iam, t0.Add(time.Hour), "ListBuckets", event.CategoryResourceRead, "eu-west-1")
	call.Vigil.Entity = event.Entity{Type: event.EntityUser, Name: iam.upn}
	if got := runCase(t, DefaultConfig(), hist, []*event.Event{created, call}, "vigil-dormant-account-active"); len(got) != 0 {
		t.Errorf("created IAM user: %+v", got)
	}
	unknown := tn.apiCall(iam, t0.Add(time.Hour), "ListBuckets", event.CategoryResourceRead, "eu-west-1")
	unknown.Vigil.Entity = event.Entity{Type: event.EntityUser, Name: "arn:aws:iam::111122223333:user/old-deploy"}
	if got := runCase(t, DefaultConfig(), hist, []*event.Event{unknown}, "vigil-dormant-account-active"); len(got) != 1 {
		t.Errorf("IAM user nobody created while watching: %+v", got)
	}
}

// TestStaleStateIsForgotten: addresses unseen for forget_after leave memory; the
// identities' own profiles stay (dormancy needs them).
func TestStaleStateIsForgotten(t *testing.T) {
	tn := newTenant(1, 1)
	p := tn.people[0]
	d := New(DefaultConfig())
	for i := 0; i < 500; i++ {
		ev := at(tn.signIn(p, t0), t0.Add(time.Duration(i)*time.Minute))
		ev.SrcEndpoint.IP = fmt.Sprintf("203.0.%d.%d", i/250, i%250)
		observe(d, []*event.Event{ev}, "")
	}
	before := len(d.st.Contexts)
	for day := 1; day <= 100; day++ {
		observe(d, []*event.Event{at(tn.signIn(p, t0), t0.Add(time.Duration(day)*24*time.Hour))}, "")
	}
	if after := len(d.st.Contexts); before < 500 || after > 10 {
		t.Errorf("contexts: %d before, %d after 100 days", before, after)
	}
	if d.st.Profiles[event.UserEntity(p.upn)] == nil {
		t.Error("the identity's profile was forgotten")
	}
}

// TestAddressInfoFromGeoDatabase: what a geo database adds — accuracy radius, anonymisers,
// satellite networks — changes travel and risky sign-ins as it should.
func TestAddressInfoFromGeoDatabase(t *testing.T) {
	info := map[string]AddressInfo{
		"90.84.1.1":   {AccuracyKm: 400},      // a vague location
		"98.97.1.1":   {Satellite: true},      // a satellite network
		"185.220.1.1": {AnonymousProxy: true}, // an anonymiser
		"81.2.1.1":    {AccuracyKm: 5},        // home, precise
		"101.160.4.9": {AccuracyKm: 10},       // far away, precise
		"102.89.1.1":  {AccuracyKm: 50},       // somewhere new
		"71.190.8.1":  {AccuracyKm: 20},       // a trip
	}
	opt := WithAddressInfo(func(ip string) (AddressInfo, bool) { a, ok := info[ip]; return a, ok })
	cfg := configWith(func(c *Config) { c.ImpossibleTravel.MinDistanceKm = 1 })
	hop := func(ip2 string, c city, asn int) []*event.Event {
		return []*event.Event{signIn("ann@x", 0, london, "81.2.1.1", true, 5089), signIn("ann@x", 5*time.Minute, c, ip2, true, asn)}
	}
	if got := observe(New(cfg, opt), hop("90.84.1.1", paris, 3215), "vigil-impossible-travel"); len(got) != 0 {
		t.Errorf("London to a vague Paris: %+v", got)
	}
	if got := observe(New(cfg), hop("90.84.1.1", paris, 3215), "vigil-impossible-travel"); len(got) != 1 {
		t.Errorf("London to Paris in 5 minutes without the radius: %+v", got)
	}
	if got := observe(New(cfg, opt), hop("98.97.1.1", sydney, 14594), "vigil-impossible-travel"); len(got) != 0 {
		t.Errorf("satellite network: %+v", got)
	}
	if got := observe(New(cfg, opt), hop("101.160.4.9", sydney, 1221), "vigil-impossible-travel"); len(got) != 1 || !strings.Contains(got[0].Reason, "100 and 100 km") {
		t.Errorf("London to Sydney: %+v", got)
	}
	tn, hist := history(12)
	p := tn.people[2]
	t1 := t0.Add(26 * time.Hour)
	proxied := from(at(tn.signIn(p, t1), t1), "185.220.1.1", 60729, moscow)
	if got := runCaseWith(t, []Option{opt}, hist, []*event.Event{proxied}, "vigil-risky-new-signin"); len(got) != 1 || !strings.Contains(got[0].Reason, "anonymising proxy") {
		t.Errorf("anonymiser: %+v", got)
	}
}

func runCaseWith(t *testing.T, opts []Option, hist, evs []*event.Event, rule string) []alert.Alert {
	t.Helper()
	d := New(DefaultConfig(), opts...)
	observe(d, hist, "")
	return observe(d, evs, rule)
}

// TestTravelAcrossOwnDevices: a person flies to New York; the desktop they left at home
// keeps refreshing its tokens from home. That is two devices, not one person in two places.
// The same refresh from a device they never used is.
func TestTravelAcrossOwnDevices(t *testing.T) {
	tn, hist := history(8)
	p := tn.people[1] // lives in New York
	desktop := at(tn.signIn(p, t0), t0.Add(-24*time.Hour))
	desktop.Device = &event.Device{UID: "desktop-at-home", OS: "Windows 11"}
	hist = append(hist, desktop)
	sortEvents(hist)
	t1 := t0.Add(30 * time.Hour)
	arrived := from(at(tn.signIn(p, t1), t1), "90.84.1.1", 3215, paris)
	refresh := at(tn.signIn(p, t1), t1.Add(2*time.Hour))
	refresh.Vigil.Category = event.CategoryLoginNonInteractive
	refresh.Device = &event.Device{UID: "desktop-at-home", OS: "Windows 11"}
	if got := runCase(t, DefaultConfig(), hist, []*event.Event{arrived, refresh}, "vigil-impossible-travel"); len(got) != 0 {
		t.Errorf("own desktop at home: %+v", got)
	}
	stolen := at(tn.signIn(p, t1), t1.Add(2*time.Hour))
	stolen.Vigil.Category = event.CategoryLoginNonInteractive
	stolen.Device = &event.Device{UID: "someone-elses", OS: "Linux"}
	arrived2 := from(at(tn.signIn(p, t1), t1), "90.84.1.1", 3215, paris)
	if got := runCase(t, DefaultConfig(), hist, []*event.Event{arrived2, stolen}, "vigil-impossible-travel"); len(got) != 1 {
		t.Errorf("unknown device: %+v", got)
	}
}

// TestImplausibleTimesAreReported: an event without a plausible time is not learned from,
// and the detector says so (once), rather than dropping it without a trace.
func TestImplausibleTimesAreReported(t *testing.T) {
	var log bytes.Buffer
	d := New(DefaultConfig(), WithLogger(slog.New(slog.NewTextHandler(&log, nil))))
	for i := 0; i < 3; i++ {
		ev := signIn("ann@x", 0, london, "81.2.1.1", true, 5089)
		ev.Time = int64(i) // 1970
		observe(d, []*event.Event{ev}, "")
	}
	if n := strings.Count(log.String(), "implausible times"); n != 1 || len(d.st.Profiles) != 0 {
		t.Errorf("%d warnings, %d profiles:\n%s", n, len(d.st.Profiles), log.String())
	}
}
