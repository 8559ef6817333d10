package behavior

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/vigil-sec/vigil/internal/alert"
	"github.com/vigil-sec/vigil/internal/detect"
	"github.com/vigil-sec/vigil/internal/event"
)

// egressNet is what the population has shown of a network. A security service edge, a
// consumer VPN, a relay or a cloud places the tenant's people in many countries; a home
// ISP or a national carrier places them in one. And a network that is the far end of hops
// too fast to travel for several people — a carrier's hubs, a VPN exit — shows itself so
// within hours of the first day, where an attacker's network does for its few victims.
// Fields are exported for the snapshot only.
type egressNet struct {
	Countries []string // distinct countries its sign-ins were located in, at most maxEgressCountries
	People    []string // distinct people signing in from it, at most maxEgressPeople
	Movers    []string // distinct people for whom it was the far end of an impossible hop
	Last      millis
}

const (
	maxEgressPeople    = 16
	maxEgressCountries = 8
	// egressCountries: a network placing at least this many people in this many
	// countries is not where any of them is.
	egressCountries = 3
)

// heldHop is an impossible-travel candidate waiting for the travel hold: by then the
// population may have shown either end's network to be shared egress.
type heldHop struct {
	Alert  alert.Alert
	Far    int // the network of the end that moved
	Near   int // the network of the other end
	Due    millis
	Entity event.Entity
	UID    string
}

// awayEnd orders the hop's networks: the one the person uses least (the end that moved)
// first.
func (d *Detector) awayEnd(p *profile, prev, cur *place) (far, near int) {
	if p == nil || prev.ASN == 0 {
		return cur.ASN, prev.ASN
	}
	if cur.ASN == 0 {
		return prev.ASN, cur.ASN
	}
	ps, _ := p.lookup(fASN, uint64(prev.ASN))
	cs, _ := p.lookup(fASN, uint64(cur.ASN))
	if ps < cs {
		return prev.ASN, cur.ASN
	}
	return cur.ASN, prev.ASN
}

// seeNetwork notes a located sign-in of user from the network asn in country cc.
func (d *Detector) seeNetwork(asn int, cc, user string, t millis) {
	if asn == 0 || d.cfg.ImpossibleTravel.SharedNetworkPeople == 0 {
		return
	}
	n := d.egressNet(asn, t)
	n.Countries = addCapped(n.Countries, cc, maxEgressCountries)
	n.People = addCapped(n.People, user, maxEgressPeople)
}

// creditEgress notes that the network asn was the far end of an impossible hop of user.
func (d *Detector) creditEgress(asn int, user string, t millis) {
	if asn == 0 || d.cfg.ImpossibleTravel.SharedNetworkPeople == 0 {
		return
	}
	n := d.egressNet(asn, t)
	n.Movers = addCapped(n.Movers, user, maxEgressPeople)
}

func (d *Detector) egressNet(asn int, t millis) *egressNet {
	n := d.st.Egress[asn]
	if n == nil {
		n = &egressNet{}
		d.st.Egress[asn] = n
	}
	n.Last = max(n.Last, t)
	return n
}

func addCapped(list []string, v string, limit int) []string {
	if v == "" || len(list) >= limit || slices.Contains(list, v) {
		return list
	}
	return append(list, strings.Clone(v))
}

// sharedNetwork says why the population has shown asn to be shared egress, or "".
func (d *Detector) sharedNetwork(asn int, far bool) string {
	n := d.st.Egress[asn]
	min := d.cfg.ImpossibleTravel.SharedNetworkPeople
	switch {
	case n == nil || min == 0:
		return ""
	case len(n.Countries) >= egressCountries && len(n.People) >= min:
		return fmt.Sprintf("AS%d places %d+ people in %d+ countries (%s)", asn, len(n.People), len(n.Countries), strings.Join(n.Countries, ", "))
	case far && len(n.Movers) >= min:
		return fmt.Sprintf("AS%d was the far end of impossible hops of %d people", asn, len(n.Movers))
	}
	return ""
}

// hold keeps a candidate until the travel hold has passed (raised at once when there is no hold).
func (d *Detector) hold(a alert.Alert, far, near int, uid string, raise func(alert.Alert)) {
	h := heldHop{Alert: a, Far: far, Near: near, Entity: a.Entity, UID: uid}
	wait := d.cfg.ImpossibleTravel.Hold
	if wait <= 0 {
		d.decide(h, raise)
		return
	}
	h.Due = toMillis(a.Time).Add(wait)
	d.st.Held = append(d.st.Held, h)
}

// releaseHeld decides every held candidate due by now, oldest first.
func (d *Detector) releaseHeld(now millis, raise func(alert.Alert)) {
	n := 0
	for n < len(d.st.Held) && d.st.Held[n].Due <= now {
		n++
	}
	if n == 0 {
		return
	}
	due := d.st.Held[:n:n]
	d.st.Held = slices.Clone(d.st.Held[n:])
	for _, h := range due {
		d.decide(h, raise)
	}
}

// decide raises a held candidate unless the population has meanwhile shown one of its
// networks to be shared egress: either end when it places people in many countries; the
// end that moved when it was that for several people (the person's own home network being
// a carrier others roam through says nothing about where this hop went).
func (d *Detector) decide(h heldHop, raise func(alert.Alert)) {
	if why := d.sharedEnd(h.Far, h.Near); why != "" {
		if d.suppressed != nil {
			d.suppressed(detect.Suppression{Detection: h.Alert.Rule.ID, Reason: detect.ReasonSharedEgress, Entity: h.Entity, Time: h.Alert.Time,
				EventUID: h.UID, Detail: why + ": shared egress, not travel (" + h.Alert.Reason + ")"})
		}
		return
	}
	raise(h.Alert)
}

// sharedEnd says which end of a hop the population has shown to be shared egress, or "".
func (d *Detector) sharedEnd(far, near int) string {
	if why := d.sharedNetwork(far, true); why != "" {
		return why
	}
	return d.sharedNetwork(near, false)
}

// suppress reports a candidate a detection removed (or lowered) and why.
func (d *Detector) suppress(ev *event.Event, detection string, r detect.SuppressReason, lowered bool, detail string) {
	if d.suppressed == nil {
		return
	}
	d.suppressed(detect.Suppression{Detection: detection, Reason: r, Lowered: lowered, Entity: ev.Vigil.Entity, Time: ev.Timestamp(),
		EventUID: ev.Metadata.UID, Detail: detail})
}

// WithSuppressed has the detections report every candidate they remove or lower, with a
// countable reason (vigil hunt and eval --show-suppressed).
func WithSuppressed(f detect.Suppressed) Option { return func(d *Detector) { d.suppressed = f } }

// sweepLearned forgets learned networks unseen for forget and routine hits past their window.
func (d *Detector) sweepLearned(now millis, forget time.Duration) {
	st := d.st
	for k, hits := range st.Routine {
		if len(hits) == 0 || now.Sub(hits[len(hits)-1]) > routineWindow {
			delete(st.Routine, k)
		}
	}
	for asn, n := range st.Egress {
		if now.Sub(n.Last) > forget {
			delete(st.Egress, asn)
		}
	}
}
