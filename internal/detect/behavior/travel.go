package behavior

import (
	"fmt"
	"math"
	"net/netip"
	"strings"
	"time"

	"github.com/vigil-sec/vigil/internal/alert"
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
}

// travel raises when a person's successive successful sign-ins are farther apart than
// anyone could have travelled in between. What makes a location meaningless is left out:
// addresses many people share (VPN egress, relays, carrier NAT, learned), listed shared
// networks (relays, satellite, in-flight), and a hop within one network (a global network
// placing one user in two countries is anycast or a relay; a carrier placing one user in
// two cities is its hubs) — nobody crosses an ocean without changing networks.
func (d *Detector) travel(ev *event.Event, p *profile, raise func(alert.Alert)) {
	loc := ev.SrcEndpoint.Location
	if loc == nil || loc.Lat == nil || loc.Long == nil || d.shared {
		return
	}
	user := ev.Vigil.Entity.Name
	slot := d.st.Travel[user]
	if slot == nil {
		slot = &place{}
		d.st.Travel[strings.Clone(user)] = slot
	}
	prev := *slot // the slot is reused: a sign-in costs no new place
	cur := slot
	cur.T, cur.Lat, cur.Long, cur.UID = eventTime(ev), *loc.Lat, *loc.Long, strings.Clone(ev.Metadata.UID)
	// Most sign-ins are from where the last one was: keep its strings.
	if prev.City != loc.City || prev.CC != loc.Country || prev.IP != ev.SrcEndpoint.IP {
		cur.City, cur.CC, cur.IP = strings.Clone(loc.City), strings.Clone(loc.Country), strings.Clone(ev.SrcEndpoint.IP)
	}
	cur.ErrKm = max(d.cfg.ImpossibleTravel.LocationErrorKm, float64(d.info.AccuracyKm))
	cur.Device = 0
	if dev := ev.Device; dev != nil && dev.UID != "" {
		cur.Device = d.fs[fDevice].h
	}
	cur.ASN = 0
	if as := ev.SrcEndpoint.AutonomousSystem; as != nil {
		cur.ASN = as.Number
	}
	if prev.T == 0 || d.sharedAddress(prev.IP, cur.T) { // the earlier address has since shown to be shared
		return
	}
	cfg := d.cfg.ImpossibleTravel
	if prev.ASN != 0 && prev.ASN == cur.ASN {
		return
	}
	if ev.Vigil.Category == event.CategoryLoginNonInteractive && cur.Device != 0 && cur.Device != prev.Device && p != nil {
		// A token refresh by another registered device the person owns: the desktop left
		// at home keeps refreshing while its owner travels. (A stolen token replayed from
		// an attacker's machine carries no device of theirs.)
		if _, own := p.lookup(fDevice, cur.Device); own {
			return
		}
	}
	km := haversineKm(prev.Lat, prev.Long, cur.Lat, cur.Long)
	if km < cfg.MinDistanceKm {
		return
	}
	if r := d.st.Returns[user]; r != nil && cur.T.Sub(r.T) < day && haversineKm(r.Lat, r.Long, cur.Lat, cur.Long) < cfg.MinDistanceKm {
		// Back where the person was before the jump already reported: the same story.
		delete(d.st.Returns, user)
		return
	}
	elapsed := cur.T.Sub(prev.T)
	effective := math.Max(0, km-prev.ErrKm-cur.ErrKm) // both ends may be off by their geolocation error
	speed := effective / math.Max(elapsed.Hours(), 1.0/60)
	if speed <= cfg.MaxSpeedKmh {
		return
	}
	reason := fmt.Sprintf("signed in from %s, %s %s after %s, %s: %.0f km (%.0f km allowing %.0f and %.0f km of geolocation error) at %.0f km/h; at most %.0f km/h is plausible",
		cur.City, cur.CC, elapsed.Round(time.Minute), prev.City, prev.CC, km, effective, prev.ErrKm, cur.ErrKm, speed, cfg.MaxSpeedKmh)
	if ev.Device != nil && ev.Device.UID == "" {
		reason += "; unmanaged device"
	}
	before := prev // a copy: taking prev's address would put every sign-in's on the heap
	d.st.Returns[strings.Clone(user)] = &before
	a := newAlert("vigil-impossible-travel", "Impossible travel", alert.KindBuiltin, alert.SeverityHigh,
		60+int(math.Min(40, speed/cfg.MaxSpeedKmh*5)), ev.Timestamp(), ev.Vigil.Entity, []string{prev.UID, cur.UID},
		[]string{"T1078.004"}, reason)
	a.Details = map[string]any{"distance_km": math.Round(km), "speed_kmh": math.Round(speed), "from": prev.City, "to": cur.City,
		"from_ip": prev.IP, "to_ip": cur.IP}
	raise(a)
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
