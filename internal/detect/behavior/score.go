package behavior

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/vigil-sec/vigil/internal/event"
)

// partKind is what made part of a score.
type partKind uint8

const (
	partNew partKind = iota
	partRare
	partHour
	partWeekend
	partBurst
	partAccountNew // a value nobody in the account/subscription/tenant used before
)

// The scorer's tuning. A score is made of parts, each a contribution c in [0, 1) that
// combine as 1 − Π(1 − c): no one part reaches 100 alone and each adds less the more there
// are. How much a value never seen before contributes is each feature's novelty
// (featureInfo); the constants below scale it or add the parts that are not about one value.
const (
	// diversityFree: an identity using at most this many values of a feature gets the full
	// novelty of a new one; beyond, novelty is scaled by diversityFree/distinct (a tenth
	// region is less news than a second).
	diversityFree = 2
	// A new value that is at least peerCommonShare of the peer group's activity is usual
	// among peers: its novelty is scaled by peerCommonFactor.
	peerCommonShare  = 0.05
	peerCommonFactor = 0.3
	// A network new to the identity that sharedNetworkUsers or more other identities here
	// use (the national carrier, the office across town) is scaled by sharedNetworkFactor.
	sharedNetworkUsers  = 5
	sharedNetworkFactor = 0.5
	// A known value below rareShare of the identity's activity, once it has rareMinEvents
	// events, is rare: it contributes rareFactor of the feature's novelty.
	rareShare     = 0.01
	rareMinEvents = 100
	rareFactor    = 0.3
	// Time of activity, for people with at least hourMinEvents counted in their week: an
	// hour (±1) holding less than hourRareShare of their activity contributes up to
	// hourWeight, linearly more the emptier it is; a kind of day (weekday or weekend)
	// holding less than dayKindRareShare up to dayKindWeight.
	hourMinEvents    = 50
	hourRareShare    = 0.02
	hourWeight       = 0.25
	dayKindRareShare = 0.03
	dayKindWeight    = 0.15
	// A burst contributes burstPerDoubling per doubling of the hour's count over the
	// busiest earlier hour (at least 1), at most burstMax.
	burstPerDoubling = 0.2
	burstMax         = 0.6
	// accountNewWeight: a region or network that nobody in the (known) account, subscription
	// or tenant used before.
	accountNewWeight = 0.3
	// Parts below minShownPart are left out of the reason.
	minShownPart = 0.01
)

// part is one contribution to a score, in [0, 1).
type part struct {
	c     float64
	kind  partKind
	f     feature
	share float64
}

// scoring is an event's score and what it is made of.
type scoring struct {
	total        int
	reason       string
	known        bool
	novel        uint32 // features whose value the identity never used
	peerCommon   uint32 // of those, values common among its peers
	networkUsers int    // identities here that use the event's network, when it is new to this one and common
	parts        [numFeatures + 8]part
	n            int
	burst        *burst
}

func (s *scoring) add(p part) {
	if p.c > 0 && s.n < len(s.parts) {
		s.parts[s.n] = p
		s.n++
	}
}

func (s *scoring) isNovel(f feature) bool { return s.novel&(1<<f) != 0 }

// without is the score of the parts about none of the given features.
func (s *scoring) without(fs ...feature) int {
	rest := 1.0
	for _, pt := range s.parts[:s.n] {
		if (pt.kind == partNew || pt.kind == partRare || pt.kind == partAccountNew) && slices.Contains(fs, pt.f) {
			continue
		}
		rest *= 1 - pt.c
	}
	return int(math.Round(100 * (1 - rest)))
}

// impliedByAccount reports features that are new anyway in an account the identity never used.
func impliedByAccount(f feature) bool {
	switch f {
	case fRegion, fService, fOperation, fResourceType, fAuth, fCategory, fApp, fAgent:
		return true
	}
	return false
}

// learningReason is the reason of events of identities still being learned.
const learningReason = "learning: not enough history for this identity yet"

// diversity lowers novelty for identities that already use many values of a feature: a
// tenth region is less surprising than a second.
func diversity(distinct int) float64 {
	if distinct <= diversityFree {
		return 1
	}
	return diversityFree / float64(distinct)
}

// score rates how unusual ev is for its identity p (before ev is learned) and its peers:
// novelty and rarity of each feature, the hour in the identity's own time, volume above
// its usual rate, and values new to the whole account or tenant.
func (d *Detector) score(ev *event.Event, p *profile, b *burst) scoring {
	s := scoring{burst: b}
	t := eventTime(ev)
	if !d.known(p, t) {
		s.reason = learningReason
		return s
	}
	s.known = true
	var peer *profile
	if p.Peer != 0 {
		if pp := d.st.Peers[p.Peer]; pp != nil && int(pp.N) >= d.cfg.Baseline.PeerMinEvents {
			peer = pp
		}
	}
	located := !d.shared
	// A first step into another account or cloud makes everything there new: one story,
	// told once by the account (the other features are still marked new).
	_, knownAccount := p.lookup(fAccount, d.fs[fAccount].h)
	newAccount := d.fs[fAccount].ok && !knownAccount
	for f := feature(0); f < fActor; f++ {
		v := d.fs[f]
		if !v.ok || (!located && (f == fCountry || f == fCity)) || (f == fCategory && ev.StatusID == event.StatusFailure) {
			continue
		}
		share, seen := p.lookup(f, v.h)
		if !seen {
			if (f == fPrefix && s.isNovel(fASN)) || (f == fCity && s.isNovel(fCountry)) {
				continue // said by the network or the country already
			}
			s.novel |= 1 << f
			if newAccount && impliedByAccount(f) {
				continue
			}
			c := featureInfo[f].novelty * diversity(p.distinct(f))
			if peer != nil {
				if ps, ok := peer.lookup(f, v.h); ok && ps >= peerCommonShare {
					c *= peerCommonFactor
					s.peerCommon |= 1 << f
				}
			}
			if f == fASN {
				// A network many colleagues use (the national carrier, a partner's office)
				// is less of a surprise than one nobody here has used.
				if np := d.st.Contexts[ctxKey{Kind: ctxASN, Num: int(v.h)}]; np != nil && np.distinct(fActor) >= sharedNetworkUsers {
					c *= sharedNetworkFactor
					s.networkUsers = np.distinct(fActor)
				}
			}
			s.add(part{c: c, kind: partNew, f: f})
		} else if share < rareShare && p.N >= rareMinEvents {
			s.add(part{c: featureInfo[f].novelty * rareFactor, kind: partRare, f: f, share: share})
		}
	}
	if ev.Vigil.Entity.Type == event.EntityUser && p.R != nil && p.R.HoursN >= hourMinEvents {
		near, kind := p.R.hourShare(t)
		if near < hourRareShare {
			s.add(part{c: hourWeight * (1 - near/hourRareShare), kind: partHour, share: near})
		}
		if kind < dayKindRareShare {
			s.add(part{c: dayKindWeight * (1 - kind/dayKindRareShare), kind: partWeekend, share: kind})
		}
	}
	if b != nil {
		s.add(part{c: math.Min(burstMax, burstPerDoubling*math.Log2(float64(b.count)/math.Max(b.peak, 1))), kind: partBurst})
	}
	if acct := d.st.Contexts[ctxKey{Kind: ctxAccount, Name: ev.Cloud.Account.UID}]; d.known(acct, t) {
		for _, f := range [...]feature{fRegion, fASN} {
			if v := d.fs[f]; v.ok && s.isNovel(f) {
				if _, seen := acct.lookup(f, v.h); !seen {
					s.add(part{c: accountNewWeight, kind: partAccountNew, f: f})
				}
			}
		}
	}
	if s.n == 0 {
		return s
	}
	rest := 1.0
	for _, pt := range s.parts[:s.n] {
		rest *= 1 - pt.c
	}
	s.total = int(math.Round(100 * (1 - rest)))
	if s.total > 0 {
		s.reason = d.explain(ev, p, &s)
	}
	return s
}

// explain writes a score's reason: its parts, largest first, then what the identity
// usually does, so a person can check it against the history.
func (d *Detector) explain(ev *event.Event, p *profile, s *scoring) string {
	parts := s.parts[:s.n]
	// slices, not sort: sort.SliceStable would move every event's scoring to the heap.
	slices.SortStableFunc(parts, func(a, b part) int { return cmp.Compare(b.c, a.c) })
	var out []string
	for _, pt := range parts {
		if pt.c < minShownPart {
			continue
		}
		out = append(out, d.describe(ev, p, s, pt))
	}
	if s.novel&(1<<fCountry|1<<fASN|1<<fCity) != 0 {
		out = append(out, fmt.Sprintf("%d earlier events%s", p.N, usually(p)))
	}
	return strings.Join(out, "; ")
}

// usually lists an identity's usual countries and networks: " from GB/US on AS2856/AS5089".
func usually(p *profile) string {
	var b strings.Builder
	if cs := p.values(fCountry); len(cs) > 0 {
		b.WriteString(" from ")
		for i, c := range cs[:min(3, len(cs))] {
			if i > 0 {
				b.WriteByte('/')
			}
			b.WriteString(countryText(c.value()))
		}
		if len(cs) > 3 {
			fmt.Fprintf(&b, " and %d more", len(cs)-3)
		}
	}
	if as := p.values(fASN); len(as) > 0 {
		b.WriteString(" on ")
		for i, a := range as[:min(3, len(as))] {
			if i > 0 {
				b.WriteByte('/')
			}
			fmt.Fprintf(&b, "AS%d", a.value())
		}
		if len(as) > 3 {
			fmt.Fprintf(&b, " and %d more", len(as)-3)
		}
	}
	return b.String()
}

// valueText shows a feature's value in the event.
func (d *Detector) valueText(ev *event.Event, f feature) string {
	v := d.fs[f]
	switch f {
	case fASN:
		if v.text != "" {
			return fmt.Sprintf("AS%d (%s)", v.h, v.text)
		}
		return fmt.Sprintf("AS%d", v.h)
	case fPrefix:
		return ev.SrcEndpoint.IP
	}
	return v.text
}

func (d *Detector) describe(ev *event.Event, p *profile, s *scoring, pt part) string {
	name := featureInfo[pt.f].name
	switch pt.kind {
	case partNew:
		txt := fmt.Sprintf("new %s %s", name, d.valueText(ev, pt.f))
		if n := p.distinct(pt.f); n > 2 {
			txt += fmt.Sprintf(" (%d others known)", n)
		}
		if s.peerCommon&(1<<pt.f) != 0 {
			txt += ", usual among its peers"
		}
		if pt.f == fASN && s.networkUsers > 0 {
			n := fmt.Sprint(s.networkUsers)
			if s.networkUsers >= featureInfo[fActor].cap {
				n += "+"
			}
			txt += ", used by " + n + " others here"
		}
		return txt
	case partRare:
		return fmt.Sprintf("rare %s %s (%.1f%% of its activity)", name, d.valueText(ev, pt.f), 100*pt.share)
	case partHour:
		how := p.R.hourOfWeek(eventTime(ev))
		return fmt.Sprintf("active at %02d:00 on %s in its own time (%.1f%% of its activity within an hour of that)",
			how%24, time.Weekday((how/24+1)%7), 100*pt.share)
	case partWeekend:
		return fmt.Sprintf("active on a weekend (%.1f%% of its activity is on weekends)", 100*pt.share)
	case partBurst:
		b := s.burst
		return fmt.Sprintf("%d %s in an hour; its busiest hour before had %.0f", b.count, b.cat, b.peak)
	case partAccountNew:
		return fmt.Sprintf("first %s %s anyone used in account %s", name, d.valueText(ev, pt.f), ev.Cloud.Account.UID)
	}
	return ""
}
