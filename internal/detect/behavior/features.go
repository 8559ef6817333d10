package behavior

import (
	"net/netip"

	"github.com/vigil-sec/vigil/internal/event"
)

// fval is one feature's value in an event: a hash (exact for countries and ASNs) and the
// text a reason shows. Text points into the event; nothing is copied on the hot path.
type fval struct {
	ok   bool
	h    uint64
	text string
}

// featureSet is an event's values of every feature.
type featureSet [numFeatures]fval

// hash is 64-bit FNV-1a: stable across runs (snapshots keep hashes), fast on short strings.
func hash(s string) uint64 { return hashMore(14695981039346656037, s) }

// hashMore continues hash h over s.
func hashMore(h uint64, s string) uint64 {
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}

// hashFold is hash of s lower-cased, with runs of digits and dots left out: "Chrome
// 120.0.6099" and "Chrome 121.0.1" are one browser.
func hashFold(h uint64, s string) uint64 {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c >= '0' && c <= '9') || c == '.' {
			continue
		}
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		h ^= uint64(c)
		h *= 1099511628211
	}
	return h
}

func set(fs *featureSet, f feature, s string) {
	if s != "" {
		fs[f] = fval{ok: true, h: hash(s), text: s}
	}
}

// extract reads the features of ev.
func extract(ev *event.Event, fs *featureSet) {
	*fs = featureSet{}
	src := &ev.SrcEndpoint
	if l := src.Location; l != nil {
		if c := l.Country; len(c) == 2 {
			fs[fCountry] = fval{ok: true, h: uint64(upper(c[0]))<<8 | uint64(upper(c[1])), text: c}
		} else {
			set(fs, fCountry, c)
		}
		if l.City != "" {
			fs[fCity] = fval{ok: true, h: hashFold(hash(l.Country), l.City), text: l.City}
		}
	}
	if as := src.AutonomousSystem; as != nil && as.Number > 0 {
		fs[fASN] = fval{ok: true, h: uint64(as.Number), text: as.Name} // shown as AS<number>
	}
	if src.IP != "" {
		if a, err := netip.ParseAddr(src.IP); err == nil {
			bits := 24
			if !a.Is4() && !a.Is4In6() {
				bits = 48
			}
			if p, err := a.Unmap().Prefix(bits); err == nil {
				b := p.Addr().As16()
				h := uint64(14695981039346656037)
				for _, c := range b {
					h ^= uint64(c)
					h *= 1099511628211
				}
				fs[fPrefix] = fval{ok: true, h: h, text: src.IP}
			}
		}
	}
	if ua := ev.HTTPRequest.UserAgent; ua != "" {
		fs[fAgent] = fval{ok: true, h: hashFold(14695981039346656037, ua), text: clip(ua, 60)}
	}
	if d := ev.Device; d != nil {
		switch {
		case d.UID != "":
			fs[fDevice] = fval{ok: true, h: hash(d.UID), text: firstNonEmpty(d.Name, d.OS, d.Browser)}
		case d.OS != "" || d.Browser != "":
			h := hashFold(hashFold(hashFold(14695981039346656037, d.OS), "|"), d.Browser)
			fs[fDevice] = fval{ok: true, h: h, text: firstNonEmpty(d.OS, d.Browser)}
		}
	}
	set(fs, fApp, firstNonEmpty(ev.Actor.AppName, ev.Actor.AppUID))
	set(fs, fOperation, ev.API.Operation)
	set(fs, fService, ev.API.Service.Name)
	if len(ev.Resources) > 0 {
		set(fs, fResourceType, ev.Resources[0].Type)
	}
	set(fs, fRegion, ev.Cloud.Region)
	set(fs, fAccount, ev.Cloud.Account.UID)
	if ev.AuthProto != "" || ev.LogonType != "" {
		h := hashFold(hashFold(hashFold(14695981039346656037, ev.AuthProto), "|"), ev.LogonType)
		fs[fAuth] = fval{ok: true, h: h, text: firstNonEmpty(ev.AuthProto, ev.LogonType)}
	}
	set(fs, fCategory, string(ev.Vigil.Category))
	if e := ev.Vigil.Entity; e.Name != "" {
		fs[fActor] = fval{ok: true, h: hashMore(hashMore(14695981039346656037, string(e.Type)), e.Name), text: e.Name}
	}
}

func upper(c byte) byte {
	if c >= 'a' && c <= 'z' {
		return c - ('a' - 'A')
	}
	return c
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// countryText decodes a country remembered exactly.
func countryText(v uint64) string {
	if v > 0xffff {
		return "?"
	}
	return string([]byte{byte(v >> 8), byte(v)})
}
