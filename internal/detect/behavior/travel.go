package behavior

import (
	"fmt"
	"math"
	"net/netip"
	"strings"
	"time"

	"github.com/vigil-sec/vigil/internal/alert"
	"github.com/vigil-sec/vigil/internal/detect"
	"github.com/vigil-sec/vigil/internal/event"
)

// place is where a person signed in. Fields are exported for the snapshot only.
type place struct {
	T         millis
	Lat, Long float64
	City, CC  string
	IP, UID   string
	ASN       int
	ErrKm     float64 // how far off its location may be
	Device    uint64  // hash of the registered device id, 0 when none
	Client    client  // what kind of client signed in: how much its location says of the person
}

// client is how much a sign-in's location says about where the person is.
type client uint8

const (
	// clientCloud is a client with no device of the person's: a SaaS application's server
	// refreshing a delegated token from its cloud, a script. Its location is its server's.
	clientCloud client = iota
	// clientRefresh is a token refresh by an app on one of the person's devices.
	clientRefresh
	// clientInteractive is the person signing in: the strongest evidence of where they are.
	clientInteractive
)

func (c client) String() string {
	return [...]string{"a cloud client", "a token refresh", "an interactive sign-in"}[c]
}

// classify says what kind of client ev is.
func classify(ev *event.Event) client {
	dev := ev.Device
	onDevice := dev != nil && (dev.UID != "" || dev.OS != "")
	switch {
	case ev.Vigil.Category != event.CategoryLoginNonInteractive:
		return clientInteractive
	case onDevice:
		return clientRefresh
	}
	return clientCloud
}

// hop is the move between two sign-ins.
type hop struct {
	km, effective, speed float64
	elapsed              time.Duration
}

func (d *Detector) measure(prev, cur *place) (hop, bool) {
	cfg := d.cfg.ImpossibleTravel
	h := hop{km: haversineKm(prev.Lat, prev.Long, cur.Lat, cur.Long), elapsed: cur.T.Sub(prev.T)}
	h.effective = math.Max(0, h.km-prev.ErrKm-cur.ErrKm) // both ends may be off by their geolocation error
	h.speed = h.effective / math.Max(h.elapsed.Hours(), 1.0/60)
	return h, h.km >= cfg.MinDistanceKm && h.speed > cfg.MaxSpeedKmh
}

// travel judges a person's successive located sign-ins of clients that say where the
// person is: a cloud client's location is its server's, so it is never compared (and never
// becomes the person's last place). A hop too fast to travel is a candidate; what makes it
// meaningless removes it, each with a countable reason: addresses many people share
// (learned), listed shared networks, a hop within one network (a global network placing
// one user in two countries is anycast or a relay; a carrier placing one user in two
// cities is its hubs), another registered device of the person's refreshing, and the way
// back from a jump already reported. A remaining candidate is held for the travel hold and
// then raised unless the network at its far end has meanwhile shown itself to be shared
// egress — impossible hops of several people through it (egress.go). Two interactive
// sign-ins page (high); a hop involving a token refresh is medium.
func (d *Detector) travel(ev *event.Event, p *profile, raise func(alert.Alert)) {
	loc := ev.SrcEndpoint.Location
	if loc == nil || loc.Lat == nil || loc.Long == nil {
		return
	}
	user := ev.Vigil.Entity.Name
	slot := d.st.Travel[user]
	if slot == nil {
		slot = &place{}
		d.st.Travel[strings.Clone(user)] = slot
	}
	prev := *slot // the slot is reused: a sign-in costs no new place
	signed := d.st.SignedIn[user]
	var cur place
	cur.T, cur.Lat, cur.Long, cur.UID = eventTime(ev), *loc.Lat, *loc.Long, ev.Metadata.UID
	cur.City, cur.CC, cur.IP = loc.City, loc.Country, ev.SrcEndpoint.IP
	cur.ErrKm = max(d.cfg.ImpossibleTravel.LocationErrorKm, float64(d.info.AccuracyKm))
	if dev := ev.Device; dev != nil && dev.UID != "" {
		cur.Device = d.fs[fDevice].h
	}
	if as := ev.SrcEndpoint.AutonomousSystem; as != nil {
		cur.ASN = as.Number
	}
	cur.Client = classify(ev)
	if cur.Client != clientCloud {
		d.seeNetwork(cur.ASN, cur.CC, user, cur.T)
	}
	store := func() {
		// Most sign-ins are from where the last one was: keep its strings.
		city, cc, ip := slot.City, slot.CC, slot.IP
		*slot = cur
		slot.UID = strings.Clone(cur.UID)
		if city != cur.City || cc != cur.CC || ip != cur.IP {
			slot.City, slot.CC, slot.IP = strings.Clone(cur.City), strings.Clone(cur.CC), strings.Clone(cur.IP)
		} else {
			slot.City, slot.CC, slot.IP = city, cc, ip
		}
	}
	if cur.Client == clientInteractive && !d.shared {
		// The strongest evidence: the person's last interactive sign-in against this one.
		if signed == nil {
			signed = &place{}
			d.st.SignedIn[strings.Clone(user)] = signed
		}
		last := *signed
		*signed = cur
		signed.UID, signed.City, signed.CC, signed.IP = strings.Clone(cur.UID), strings.Clone(cur.City), strings.Clone(cur.CC), strings.Clone(cur.IP)
		if last.T != 0 {
			if _, impossible := d.measure(&last, &cur); impossible {
				prev = last
			}
		}
	}
	if prev.T == 0 {
		if cur.Client != clientCloud && !d.shared {
			store()
		}
		return
	}
	h, impossible := d.measure(&prev, &cur)
	suppress := func(r detect.SuppressReason, detail func() string) {
		if impossible && d.suppressed != nil {
			d.suppress(ev, "vigil-impossible-travel", r, false, detail())
		}
	}
	switch {
	case cur.Client == clientCloud:
		suppress(detect.ReasonCloudClient, func() string {
			return fmt.Sprintf("%s from %s, %s (%s) is a server's location, not the person's", firstNonEmpty(ev.Actor.AppName, "an app"), cur.City, cur.CC, asText(cur.ASN))
		})
		return
	case d.shared:
		suppress(detect.ReasonSharedEgress, func() string { return fmt.Sprintf("%s (%s, %s) is shared egress", cur.IP, asText(cur.ASN), cur.City) })
		return
	}
	store()
	if !impossible {
		return
	}
	switch {
	case d.sharedAddress(prev.IP, cur.T): // the earlier address has since shown to be shared
		suppress(detect.ReasonSharedEgress, func() string { return fmt.Sprintf("the earlier address %s is shared egress", prev.IP) })
		return
	case prev.ASN != 0 && prev.ASN == cur.ASN:
		suppress(detect.ReasonSameNetwork, func() string {
			return fmt.Sprintf("%s placed the person in %s and %s", asText(cur.ASN), prev.City, cur.City)
		})
		return
	}
	// Both networks took part in an impossible hop of this person: what the population
	// learns shared egress from (egress.go).
	far, near := d.awayEnd(p, &prev, &cur)
	if d.usualNetwork(p, far) && d.usualNetwork(p, near) {
		// Two networks the person uses regularly — home and their carrier, their laptop's
		// service edge, their VPN: the hop is between two of their own egresses, not a
		// journey. (An attacker's network is new to them.)
		suppress(detect.ReasonUsualNetworks, func() string {
			return fmt.Sprintf("%s and %s are both networks the person uses regularly", asText(prev.ASN), asText(cur.ASN))
		})
		return
	}
	if why := d.sharedEnd(far, near); why != "" {
		// Explained already: it teaches nothing about the other end either (a Sydney
		// service-edge user's own home ISP is not shared egress because their laptop's
		// node is in Singapore).
		suppress(detect.ReasonSharedEgress, func() string { return why })
		return
	}
	if d.usualNetwork(p, near) {
		// The person's anchor is known and the other end is new or rare for them: that
		// end moved. Before the anchor is known nothing is learned.
		d.creditEgress(far, user, cur.T)
	}
	if (prev.Client != clientInteractive || cur.Client != clientInteractive) && !d.known(p, cur.T) {
		// A token refresh while the identity is still being learned: which of its networks
		// are home, carrier, service edge or VPN is not known yet, so a refresh far from the
		// last sign-in is far more often the person's own second egress than a stolen token
		// (on a tenant's first day every person's second network is such a hop). Microsoft
		// Defender for Cloud Apps' impossible travel has the same learning period. Two
		// interactive sign-ins still page from the first day.
		suppress(detect.ReasonLearning, func() string {
			return fmt.Sprintf("a token refresh while the identity's networks are still being learned (%s and %s)", asText(prev.ASN), asText(cur.ASN))
		})
		return
	}
	if cur.Device != 0 && prev.Device != 0 && p != nil && d.ownDevice(p, cur.Device) && d.ownDevice(p, prev.Device) {
		// Both ends are registered devices the person already used — the desktop left at
		// home refreshing while its owner travels, the laptop behind the service edge and
		// the phone on the carrier: one device cannot be in two places and two of theirs
		// are not two people, so one location is egress. (A session replayed from an
		// attacker's machine carries no registered device of theirs.)
		suppress(detect.ReasonOwnDevice, func() string { return "both sign-ins from registered devices the person already uses" })
		return
	}
	cfg := d.cfg.ImpossibleTravel
	if r := d.st.Returns[user]; r != nil && cur.T.Sub(r.T) < day && haversineKm(r.Lat, r.Long, cur.Lat, cur.Long) < cfg.MinDistanceKm {
		// Back where the person was before the jump already reported: the same story.
		delete(d.st.Returns, user)
		suppress(detect.ReasonSameJourney, func() string { return "back where the person was before a reported jump" })
		return
	}
	before := prev
	d.st.Returns[strings.Clone(user)] = &before
	reason := fmt.Sprintf("signed in from %s, %s (%s, %s) %s after %s, %s (%s, %s): %.0f km (%.0f km allowing %.0f and %.0f km of geolocation error) at %.0f km/h; at most %.0f km/h is plausible",
		cur.City, cur.CC, asText(cur.ASN), cur.Client, h.elapsed.Round(time.Minute), prev.City, prev.CC, asText(prev.ASN), prev.Client,
		h.km, h.effective, prev.ErrKm, cur.ErrKm, h.speed, cfg.MaxSpeedKmh)
	if ev.Device != nil && ev.Device.UID == "" {
		reason += "; unmanaged device"
	}
	sev := alert.SeverityHigh
	if prev.Client != clientInteractive || cur.Client != clientInteractive {
		sev = alert.SeverityMedium
		reason += "; a token refresh says less of where the person is than a sign-in"
	}
	a := newAlert("vigil-impossible-travel", "Impossible travel", alert.KindBuiltin, sev,
		60+int(math.Min(40, h.speed/cfg.MaxSpeedKmh*5)), ev.Timestamp(), ev.Vigil.Entity, []string{prev.UID, strings.Clone(cur.UID)},
		[]string{"T1078.004"}, reason)
	if sev == alert.SeverityMedium {
		a.Score = min(a.Score, 60)
	}
	a.Details = map[string]any{"distance_km": math.Round(h.km), "speed_kmh": math.Round(h.speed), "from": prev.City, "to": strings.Clone(cur.City),
		"from_ip": prev.IP, "to_ip": strings.Clone(cur.IP), "from_client": prev.Client.String(), "to_client": cur.Client.String()}
	d.hold(a, far, near, strings.Clone(cur.UID), raise)
}

// usualShare is the share of a person's sign-ins a network must have to be one they use
// regularly (home, office, their carrier, their service edge, their VPN).
const usualShare = 0.1

// usualSignIns is how many (decayed) sign-ins from a network make it regular, whatever its share.
const usualSignIns = 3

func (d *Detector) usualNetwork(p *profile, asn int) bool {
	if p == nil || asn == 0 {
		return false
	}
	i, ok := p.find(uint64(fASN)<<keyBits | uint64(asn)&(1<<keyBits-1))
	if !ok {
		return false
	}
	share, _ := p.lookup(fASN, uint64(asn))
	return share >= usualShare && p.Entries[i].W >= usualSignIns
}

func (d *Detector) ownDevice(p *profile, dev uint64) bool {
	_, own := p.lookup(fDevice, dev)
	return own
}

func asText(asn int) string {
	if asn == 0 {
		return "no ASN"
	}
	return fmt.Sprintf("AS%d", asn)
}

// sharedEgress reports whether ev comes from where a location says nothing about the
// person: a listed shared network or range, or an address many people use.
func (d *Detector) sharedEgress(ev *event.Event) bool {
	src := &ev.SrcEndpoint
	if as := src.AutonomousSystem; (as != nil && d.asns[as.Number]) || d.info.Satellite || d.info.AnonymousProxy {
		return true
	}
	if len(d.egress) > 0 && src.IP != "" {
		if a, err := netip.ParseAddr(src.IP); err == nil {
			a = a.Unmap()
			for _, p := range d.egress {
				if p.Contains(a) {
					return true
				}
			}
		}
	}
	return d.sharedAddress(src.IP, eventTime(ev))
}

// sharedAddress reports whether several people use an address again and again (a VPN
// egress, a carrier NAT): an attacker's address where each victim signs in once is not.
func (d *Detector) sharedAddress(ip string, t millis) bool {
	if ip == "" || d.cfg.ImpossibleTravel.SharedAddressUsers == 0 {
		return false
	}
	p := d.st.Contexts[ctxKey{Kind: ctxIP, Name: ip}]
	if p == nil || p.distinct(fActor) < d.cfg.ImpossibleTravel.SharedAddressUsers {
		return false
	}
	one := 1.5 * p.weightNow(t, d.cfg.Baseline.HalfLife.Hours())
	regulars := 0
	for _, e := range p.Entries {
		if e.feature() == fActor && float64(e.W) >= one {
			regulars++
		}
	}
	return regulars >= d.cfg.ImpossibleTravel.SharedAddressUsers
}

// haversineKm is the great-circle distance.
func haversineKm(lat1, lon1, lat2, lon2 float64) float64 {
	const r = 6371.0
	rad := math.Pi / 180
	dLat, dLon := (lat2-lat1)*rad, (lon2-lon1)*rad
	a := math.Sin(dLat/2)*math.Sin(dLat/2) + math.Cos(lat1*rad)*math.Cos(lat2*rad)*math.Sin(dLon/2)*math.Sin(dLon/2)
	return 2 * r * math.Asin(math.Sqrt(a))
}
