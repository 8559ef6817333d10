package behavior

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/vigil-sec/vigil/internal/alert"
	"github.com/vigil-sec/vigil/internal/detect"
	"github.com/vigil-sec/vigil/internal/event"
)

// burst is an hour of one kind of activity far above the identity's usual volume.
type burst struct {
	cat   event.Category
	count int
	peak  float64
	first bool // the event that crossed the threshold
}

// rateStep counts ev in its identity's hourly volume and reports a burst. The count is an
// estimate over the last 60 minutes: this hour's events plus the previous hour's, weighted
// by how much of it is still within the hour.
func (d *Detector) rateStep(ev *event.Event, p *profile) *burst {
	idx, ok := d.rated[ev.Vigil.Category]
	if !ok || p == nil || p.R == nil {
		return nil
	}
	rs := p.R
	t := eventTime(ev)
	hour := uint32(t.hour())
	var r *rate
	for i := range rs.Rates {
		if rs.Rates[i].Cat == idx {
			r = &rs.Rates[i]
		}
	}
	if r == nil {
		rs.Rates = append(rs.Rates, rate{Cat: idx, Hour: hour, PeakH: hour})
		r = &rs.Rates[len(rs.Rates)-1]
	}
	hl := d.cfg.Baseline.HalfLife.Hours()
	if hour > r.Hour {
		// Close the hour: its count becomes a candidate peak, the peak decays meanwhile.
		r.Peak = float32(float64(r.Peak) * math.Exp2(-float64(r.Hour-r.PeakH)/hl))
		r.PeakH = r.Hour
		r.Peak = max(r.Peak, float32(r.Cur))
		if hour == r.Hour+1 {
			r.Prev = r.Cur
		} else {
			r.Prev = 0
		}
		r.Hour, r.Cur = hour, 0
	}
	if hour < r.Hour { // late event: counted in no window
		return nil
	}
	r.Cur++
	frac := t.hourFraction()
	count := int(float64(r.Cur) + float64(r.Prev)*(1-frac))
	peak := float64(r.Peak) * math.Exp2(-float64(r.Hour-r.PeakH)/hl)
	least := d.cfg.Burst.MinEvents
	if ev.Vigil.Category == event.CategoryResourceRead || ev.Vigil.Category == event.CategoryStorageAccess {
		least = d.cfg.Burst.MinReads
	}
	threshold := max(float64(least), d.cfg.Burst.Factor*peak)
	if float64(count) < threshold {
		return nil
	}
	b := &burst{cat: ev.Vigil.Category, count: count, peak: peak}
	if !r.alerted(hour) {
		b.first = true
		r.AlertH = hour
	}
	return b
}

// baselineDetections raises what the identity's baseline says about ev.
func (d *Detector) baselineDetections(ev *event.Event, p *profile, s *scoring, raise func(alert.Alert)) {
	actor := ev.Vigil.Entity
	now := eventTime(ev)
	t := now.Time()
	uids := []string{ev.Metadata.UID}
	if !d.cfg.Dormant.Disabled && actor.Type == event.EntityUser {
		d.dormant(ev, p, raise)
	}
	if !s.known {
		return
	}
	cat := ev.Vigil.Category
	if !d.cfg.Anomaly.Disabled && s.total >= d.cfg.Anomaly.Threshold {
		if now.Sub(p.R.AlertAt) >= d.cfg.Anomaly.Cooldown || uint8(s.total) > p.R.AlertScore {
			p.R.AlertAt, p.R.AlertScore = now, uint8(s.total)
			sev := alert.SeverityMedium
			if s.total >= 95 {
				sev = alert.SeverityHigh
			}
			a := newAlert("vigil-anomalous-activity", "Activity unlike this identity", alert.KindBehavior, sev, s.total, t, actor, uids,
				[]string{"T1078"}, fmt.Sprintf("%s scored %d: %s", cat, s.total, s.reason))
			a.Details = map[string]any{"baseline": d.baselineSummary(p)}
			raise(a)
		}
	}
	if !d.cfg.FirstPrivileged.Disabled && d.priv[cat] && s.isNovel(fCategory) {
		peerShare := 0.0
		if pp := d.st.Peers[p.Peer]; pp != nil {
			peerShare, _ = pp.lookup(fCategory, d.fs[fCategory].h)
		}
		if routine := d.cfg.FirstPrivileged.PeerShare; routine == 0 || peerShare < routine {
			sev, score := alert.SeverityMedium, 55
			// What the operation is makes it new anyway; where, on what and when it came from
			// does not: privileged and from somewhere unusual is high.
			if s.without(fCategory, fOperation, fService, fResourceType, fRegion, fAccount) >= 50 {
				sev, score = alert.SeverityHigh, 75
			}
			reason := fmt.Sprintf("first %s by this identity in %d events over %s (%s); %.1f%% of its peers' activity is of this kind",
				cat, p.N, now.Sub(p.First).Truncate(time.Hour), opText(ev), 100*peerShare)
			if s.total > 0 {
				reason += "; also: " + s.reason
			}
			a := newAlert("vigil-first-privileged-operation", "First privileged operation by an identity", alert.KindBehavior, sev, score,
				t, actor, uids, []string{"T1098"}, reason)
			a.Details = map[string]any{"baseline": d.baselineSummary(p)}
			raise(a)
		}
	}
	if b := s.burst; b != nil && b.first && !d.cfg.Burst.Disabled {
		sev, score := alert.SeverityMedium, 60
		extra := ""
		// Automation rolling out in its usual region is a deployment; the same in a region
		// the identity never used is how stolen cloud credentials mine coin.
		if d.newInBurst(p, fRegion, ev) {
			sev, score = alert.SeverityHigh, 80
			extra = fmt.Sprintf(", in %s new to it", newWhat(d, p, ev))
		}
		raise(newAlert("vigil-management-burst", "Burst of management operations", alert.KindBehavior, sev, score, t, actor, uids,
			[]string{"T1496", "T1578"}, fmt.Sprintf("%d %s operations within an hour (%s)%s; its busiest hour before had %.0f",
				b.count, b.cat, opText(ev), extra, b.peak)))
	}
	if !d.cfg.WorkloadNetwork.Disabled {
		d.workloadNetwork(ev, p, s, raise)
	}
	if !d.cfg.RiskySignIn.Disabled && ev.ClassUID == int(event.ClassAuthentication) && actor.Type == event.EntityUser {
		d.riskySignIn(ev, p, s, raise)
	}
}

// newInBurst reports whether the event's value of f is new to the identity, or was first
// used within the hour before (by the burst itself).
func (d *Detector) newInBurst(p *profile, f feature, ev *event.Event) bool {
	v := d.fs[f]
	if !v.ok {
		return false
	}
	i, ok := p.find(uint64(f)<<keyBits | v.h&(1<<keyBits-1))
	hour := eventTime(ev).hour()
	return !ok || (int64(p.Entries[i].First) >= hour-1 && p.First.hour() < hour-1)
}

// newWhat names what was new for a burst: "region sa-east-1 and operation RunInstances".
func newWhat(d *Detector, p *profile, ev *event.Event) string {
	var w []string
	for _, f := range [...]feature{fRegion, fOperation} {
		if d.newInBurst(p, f, ev) {
			w = append(w, featureInfo[f].name+" "+d.valueText(ev, f))
		}
	}
	return strings.Join(w, " and ")
}

// opText names an event's operation and where: "RunInstances in us-west-2".
func opText(ev *event.Event) string {
	s := firstNonEmpty(ev.API.Operation, string(ev.Vigil.Category))
	if r := ev.Cloud.Region; r != "" {
		s += " in " + r
	}
	return s
}

// workloadNetwork raises when a service principal, a role or a long-term access key that
// works from a few networks appears on a network it never used: workloads do not travel.
func (d *Detector) workloadNetwork(ev *event.Event, p *profile, s *scoring, raise func(alert.Alert)) {
	actor := ev.Vigil.Entity
	// The network is the ASN; without one (no geo database, a provider that gives none)
	// the address range stands for it.
	f := fASN
	if !d.fs[f].ok {
		f = fPrefix
	}
	v := d.fs[f]
	if !v.ok || (f == fASN && d.asns[int(v.h)]) {
		return
	}
	var subject string
	var base *profile
	switch {
	case actor.Type == event.EntityServicePrincipal || actor.Type == event.EntityRole:
		if _, seen := p.lookup(f, v.h); seen {
			return
		}
		subject, base = "workload identity", p
	case isLongTermKey(ev.Actor.User.CredentialUID):
		k := d.st.Contexts[ctxKey{Kind: ctxAccessKey, Name: ev.Actor.User.CredentialUID}]
		if !d.known(k, eventTime(ev)) {
			return
		}
		if _, seen := k.lookup(f, v.h); seen {
			return
		}
		subject, base = "access key "+ev.Actor.User.CredentialUID, k
	default:
		return
	}
	n := base.distinct(f)
	if n == 0 || n > d.cfg.WorkloadNetwork.MaxNetworks {
		return
	}
	reason := fmt.Sprintf("%s used from new %s %s, %s (%s); %d earlier events%s", subject, featureInfo[f].name, d.valueText(ev, f),
		where(ev), opText(ev), base.N, usually(base))
	if f == fPrefix {
		reason += fmt.Sprintf(" from %d address ranges", n)
	}
	raise(newAlert("vigil-workload-new-network", "Workload identity or access key used from a new network", alert.KindBehavior,
		alert.SeverityHigh, 75, ev.Timestamp(), actor, []string{ev.Metadata.UID}, []string{"T1078.004", "T1552"}, reason))
}

// riskySignIn raises when a person signs in from a new country, network or device and the
// sign-in also carries a risky signal.
func (d *Detector) riskySignIn(ev *event.Event, p *profile, s *scoring, raise func(alert.Alert)) {
	if s.novel&(1<<fCountry|1<<fASN|1<<fDevice) == 0 {
		return
	}
	var signals []string
	if ev.SeverityID >= event.SeverityMedium || (ev.SeverityID == event.SeverityLow && s.isNovel(fCountry)) {
		signals = append(signals, firstNonEmpty(ev.Message, "provider sign-in risk"))
	}
	if l := d.st.Auth[ev.Vigil.Entity.Name]; l != nil {
		t := eventTime(ev)
		if l.RiskAt > 0 && t.Sub(l.RiskAt) <= d.cfg.RiskySignIn.RiskMemory {
			signals = append(signals, "open risk detection: "+l.Risk)
		}
		if n := l.failuresSince(t.Add(-time.Hour)); n >= 3 {
			signals = append(signals, fmt.Sprintf("%d failed sign-ins in the hour before", n))
		}
	}
	if d.info.AnonymousProxy {
		signals = append(signals, "an anonymising proxy (geo database)")
	}
	if legacyAuth(ev.AuthProto) && (ev.Device == nil || ev.Device.UID == "") {
		signals = append(signals, "legacy authentication ("+ev.AuthProto+") from an unmanaged device")
	}
	if len(signals) == 0 {
		return
	}
	var what []string
	for _, f := range [...]feature{fCountry, fASN, fDevice} {
		if s.isNovel(f) {
			what = append(what, featureInfo[f].name+" "+d.valueText(ev, f))
		}
	}
	reason := fmt.Sprintf("sign-in from new %s %s with %s; %d earlier events%s", strings.Join(what, ", new "), where(ev),
		strings.Join(signals, ", "), p.N, usually(p))
	a := newAlert("vigil-risky-new-signin", "Sign-in from somewhere new with a risky signal", alert.KindBehavior, alert.SeverityHigh,
		max(75, s.total), ev.Timestamp(), ev.Vigil.Entity, []string{ev.Metadata.UID}, []string{"T1078.004"}, reason)
	if d.shared && !s.isNovel(fDevice) {
		// Only the network is new, and it is shared egress (a relay, a VPN) on the person's
		// own device: the provider rates such egress risky by itself.
		why := "only the network is new, it is shared egress, and the device is the person's"
		a.Severity, a.Score = alert.SeverityMedium, min(a.Score, alert.SeverityScore(alert.SeverityMedium))
		a.Reason += "; lowered: " + why
		a.Details = map[string]any{"lowered": why} // and no link of a chain: it is explained
		d.suppress(ev, a.Rule.ID, detect.ReasonSharedEgress, true, why)
	}
	raise(a)
}

// legacyAuth reports protocols that cannot do MFA.
func legacyAuth(proto string) bool {
	p := strings.ToLower(proto)
	for _, l := range [...]string{"imap", "pop", "smtp", "activesync", "exchange web services", "other clients", "mapi", "autodiscover"} {
		if strings.Contains(p, l) {
			return true
		}
	}
	return false
}

// dormant raises when a person's account acts for the first time after Vigil has watched
// long enough (and no directory audit created it meanwhile), or acts again after a long
// silence.
func (d *Detector) dormant(ev *event.Event, p *profile, raise func(alert.Alert)) {
	st, cfg := d.st, d.cfg.Dormant
	t := eventTime(ev)
	user := ev.Vigil.Entity.Name
	var reason string
	switch {
	case p == nil:
		watched := t.Sub(st.First)
		if watched < cfg.Learning || st.Created[createdKey(user)] {
			return
		}
		// Only a tenant watched continuously says anything about a first activity: count
		// the people active during the learning period just before it.
		if d.activeWithin(t, cfg.Learning) < cfg.MinPopulation {
			return
		}
		reason = fmt.Sprintf("first activity in %s of watching, from %s; no directory audit created this account in that time",
			watched.Round(time.Hour), where(ev))
	case t.Sub(p.Last) >= cfg.Silence:
		// Silence means something only where others were seen meanwhile: a sparse export
		// spanning years is silent for everyone.
		if d.activeWithin(t, cfg.Learning) < cfg.MinPopulation {
			return
		}
		reason = fmt.Sprintf("first activity in %d days (last %s), from %s; %d earlier events%s",
			int64(t.Sub(p.Last)/day), p.Last.Time().Format("2006-01-02"), where(ev), p.N, usually(p))
	default:
		return
	}
	raise(newAlert("vigil-dormant-account-active", "Dormant account became active", alert.KindBehavior, alert.SeverityMedium, 55,
		ev.Timestamp(), ev.Vigil.Entity, []string{ev.Metadata.UID}, []string{"T1078"}, reason))
}

// baselineSummary is what an identity normally does, for an alert's details.
func (d *Detector) baselineSummary(p *profile) map[string]any {
	out := map[string]any{
		"events":     p.N,
		"first_seen": p.First.Time().Format(time.RFC3339),
		"last_seen":  p.Last.Time().Format(time.RFC3339),
	}
	for _, f := range [...]feature{fCountry, fASN, fCity, fDevice, fApp, fOperation, fRegion} {
		if n := p.distinct(f); n > 0 {
			out[strings.ReplaceAll(featureInfo[f].name, " ", "_")+"_count"] = n
		}
	}
	if u := usually(p); u != "" {
		out["usually"] = strings.TrimSpace(u)
	}
	return out
}
