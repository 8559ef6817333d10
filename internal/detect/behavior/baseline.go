package behavior

import (
	"strings"
	"time"

	"github.com/vigil-sec/vigil/internal/event"
)

// ctxKind is the kind of a context entity: what an identity acts from or on.
type ctxKind uint8

const (
	ctxIP ctxKind = iota + 1
	ctxASN
	ctxApp
	ctxAccount
	ctxResourceGroup
	ctxAccessKey
	ctxAgent // a user agent, as a source of failed sign-ins
)

// ctxKey names a context entity; Num holds an ASN.
type ctxKey struct {
	Kind ctxKind
	Name string
	Num  int
}

// contextFeatures are what each kind of context entity remembers. Who acts is kept where
// it is used (an address or network many people share); an account or application has
// too many identities for a capped set to say anything.
var contextFeatures = [...][]feature{
	ctxIP:            {fActor, fAgent},
	ctxASN:           {fActor, fCountry},
	ctxApp:           {fCountry, fASN},
	ctxAccount:       {fRegion, fOperation, fResourceType, fCountry, fASN, fService, fCategory},
	ctxResourceGroup: {fOperation, fCategory},
	ctxAccessKey:     {fASN, fPrefix, fCountry, fAgent},
	ctxAgent:         nil,
}

// known reports whether an entity has enough history for novelty to mean something:
// Learning of history or LearningEvents events, never before MinHistory, and at least a
// fifth of LearningEvents (one sign-in a week ago is not a pattern).
func (d *Detector) known(p *profile, t millis) bool {
	if p == nil {
		return false
	}
	b := d.cfg.Baseline
	age := t.Sub(p.First)
	return age >= b.MinHistory && int(p.N)*5 >= b.LearningEvents && (age >= b.Learning || int(p.N) >= b.LearningEvents)
}

// learn adds a successful event to its identity's profile, its peer group's and its
// context entities'.
func (d *Detector) learn(ev *event.Event, p *profile) {
	st := d.st
	t := eventTime(ev)
	actor := ev.Vigil.Entity
	if p == nil {
		p = &profile{First: t, Last: t, Land: int32(t.hour())}
		actor.Name = strings.Clone(actor.Name)
		st.Profiles[actor] = p
	}
	if actor.Type == event.EntityUser {
		d.markActive(p, t)
	}
	hl := d.cfg.Baseline.HalfLife.Hours()
	w := p.weight(t, hl)
	for f := feature(0); f < fActor; f++ {
		if v := d.fs[f]; v.ok {
			p.learn(f, v.h, w, t)
		}
	}
	if p.R == nil {
		p.R = &rhythm{}
	}
	if l := ev.SrcEndpoint.Location; l != nil && l.Long != nil && !d.shared {
		p.R.learnTZ(*l.Long, p.N)
	}
	p.R.learnHour(t)
	p.N++
	p.Last = max(p.Last, t)
	p.First = min(p.First, t)

	if id := d.peerOf(actor, p, ev); id != 0 {
		p.Peer = id
		pp := st.Peers[id]
		if pp == nil {
			pp = &profile{First: t, Last: t, Land: int32(t.hour())}
			st.Peers[id] = pp
		}
		pw := pp.weight(t, hl)
		for f := feature(0); f < numFeatures; f++ {
			if v := d.fs[f]; v.ok {
				pp.learn(f, v.h, pw, t)
			}
		}
		pp.N++
		pp.Last = max(pp.Last, t)
	}

	src := &ev.SrcEndpoint
	d.learnContext(ctxKey{Kind: ctxIP, Name: src.IP}, t)
	if as := src.AutonomousSystem; as != nil && as.Number > 0 {
		d.learnContext(ctxKey{Kind: ctxASN, Num: as.Number}, t)
	}
	d.learnContext(ctxKey{Kind: ctxApp, Name: d.fs[fApp].text}, t)
	d.learnContext(ctxKey{Kind: ctxAccount, Name: ev.Cloud.Account.UID}, t)
	if len(ev.Resources) > 0 {
		d.learnContext(ctxKey{Kind: ctxResourceGroup, Name: ev.Resources[0].Group}, t)
	}
	if k := ev.Actor.User.CredentialUID; isLongTermKey(k) {
		d.learnContext(ctxKey{Kind: ctxAccessKey, Name: k}, t)
	}
}

// isLongTermKey reports whether a credential is an AWS IAM user's long-term access key:
// temporary (ASIA) keys change with every session and say nothing about their use.
func isLongTermKey(k string) bool { return strings.HasPrefix(k, "AKIA") }

// learnContext adds the event's features to a context entity's profile.
func (d *Detector) learnContext(k ctxKey, t millis) {
	if k.Name == "" && k.Num == 0 {
		return
	}
	cp := d.st.Contexts[k]
	if cp == nil {
		cp = &profile{First: t, Last: t, Land: int32(t.hour())}
		k.Name = strings.Clone(k.Name)
		d.st.Contexts[k] = cp
	}
	w := cp.weight(t, d.cfg.Baseline.HalfLife.Hours())
	for _, f := range contextFeatures[k.Kind] {
		if v := d.fs[f]; v.ok {
			cp.learn(f, v.h, w, t)
		}
	}
	cp.N++
	cp.Last = max(cp.Last, t)
	cp.First = min(cp.First, t)
}

// markActive keeps the count of people by the day of their latest activity, so the number
// active in any recent period is known without scanning everyone.
func (d *Detector) markActive(p *profile, t millis) {
	day := t.day()
	if p.N > 0 {
		old := p.Last.day()
		if old >= day {
			return
		}
		if d.st.ActiveDays[old]--; d.st.ActiveDays[old] <= 0 {
			delete(d.st.ActiveDays, old)
		}
	}
	d.st.ActiveDays[day]++
}

// activeWithin counts people whose latest activity is within span before t.
func (d *Detector) activeWithin(t millis, span time.Duration) int {
	from := t.Add(-span).day()
	n := 0
	for day, c := range d.st.ActiveDays {
		if day >= from {
			n += c
		}
	}
	return n
}

// peerOf is the identity's peer group: from directory data in the configuration when
// given; else, for people, derived from what they do — the families of activity they have
// a share of (signing in only, directory administration, Azure management, AWS), with the
// IAM Identity Center permission set they use in AWS: people in one role do the same kinds
// of things. It is re-derived every 32 events, as the history grows.
func (d *Detector) peerOf(actor event.Entity, p *profile, ev *event.Event) uint32 {
	if g, ok := d.cfg.PeerGroups[actor.Name]; ok {
		return uint32(hashMore(hash("directory:"), g)) | 1
	}
	if actor.Type != event.EntityUser || (p.Peer != 0 && p.N%32 != 0) {
		return p.Peer
	}
	h := hash("derived:")
	for i, fam := range d.families {
		for _, c := range fam {
			if share, ok := p.lookup(fCategory, c); ok && share >= 0.01 {
				h = hashMore(h, string(rune('a'+i)))
				break
			}
		}
	}
	if s := ev.Actor.Session; s != nil {
		if i := strings.Index(s.Issuer, "AWSReservedSSO_"); i >= 0 {
			set := s.Issuer[i+len("AWSReservedSSO_"):]
			if j := strings.LastIndexByte(set, '_'); j > 0 {
				set = set[:j]
			}
			h = hashMore(hashMore(h, "|"), set)
		}
	}
	return uint32(h) | 1
}

// activityFamilies are the kinds of work that tell roles apart.
var activityFamilies = [...][]event.Category{
	{event.CategoryUserCreate, event.CategoryUserUpdate, event.CategoryUserDisable, event.CategoryGroupMemberAdd,
		event.CategoryRoleAssignment, event.CategoryGuestInvite, event.CategoryAppCredential, event.CategoryPolicyConditionalAccess},
	{event.CategoryResourceCreate, event.CategoryResourceUpdate, event.CategoryResourceDelete, event.CategoryResourceAction},
	{event.CategoryResourceRead, event.CategorySessionAssume, event.CategoryStorageAccess},
	{event.CategorySecretAccess, event.CategoryKeyChange, event.CategoryNetworkChange, event.CategoryNetworkExposure},
}
