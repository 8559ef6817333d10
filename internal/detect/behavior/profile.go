package behavior

import (
	"math"
	"sort"
)

// feature is one dimension of an entity's pattern of life.
type feature uint8

const (
	fCountry feature = iota
	fCity
	fASN
	fPrefix // the /24 (IPv4) or /48 (IPv6) the address is in
	fAgent  // user agent with its version numbers left out
	fDevice // device id, else operating system and browser family
	fApp
	fOperation
	fService
	fResourceType
	fRegion
	fAccount // AWS account, Azure subscription, tenant
	fAuth    // authentication protocol and logon type
	fCategory
	fActor // for networks, apps, accounts and resource groups: who acts there
	numFeatures
)

// featureInfo is the fixed description of each feature: its name in reasons, how many
// distinct values a profile remembers, and how much a value never seen before adds to
// an event's score. The table never changes.
var featureInfo = [numFeatures]struct {
	name    string
	cap     int
	novelty float64
}{
	fCountry:      {"country", 12, 0.45},
	fCity:         {"city", 16, 0.15},
	fASN:          {"network", 16, 0.30},
	fPrefix:       {"address range", 24, 0.10},
	fAgent:        {"user agent", 12, 0.15},
	fDevice:       {"device", 8, 0.25},
	fApp:          {"application", 24, 0.20},
	fOperation:    {"operation", 32, 0.25},
	fService:      {"service", 16, 0.20},
	fResourceType: {"resource type", 24, 0.15},
	fRegion:       {"region", 8, 0.35},
	fAccount:      {"account", 8, 0.30},
	fAuth:         {"authentication", 8, 0.20},
	fCategory:     {"kind of activity", 24, 0.30},
	fActor:        {"identity", 32, 0.10},
}

const keyBits = 56

// entry is one remembered value of one feature: its decayed weight (in the profile's
// landmark units, see profile.weight) and the hour it was first seen.
type entry struct {
	Key   uint64 // feature<<56 | 56-bit value hash (exact for countries and ASNs)
	W     float32
	First uint32 // hours since the Unix epoch
}

func (e entry) feature() feature { return feature(e.Key >> keyBits) }
func (e entry) value() uint64    { return e.Key & (1<<keyBits - 1) }

// rate is an entity's hourly volume of one kind of activity: the count in the current
// hour and the busiest earlier hour, decayed so a busy month long ago fades.
type rate struct {
	Cat    uint8  // index in the detector's table of tracked categories
	Hour   uint32 // current hour, since the Unix epoch
	Cur    uint32 // events of Cat in Hour
	Prev   uint32 // events of Cat in the hour before Hour
	Peak   float32
	PeakH  uint32 // hour Peak was last decayed to
	AlertH uint32 // hour a burst was last reported
}

// alerted reports whether a burst was reported this hour or the one before: one burst,
// one alert, even across an hour boundary.
func (r *rate) alerted(hour uint32) bool { return r.AlertH != 0 && hour-r.AlertH <= 1 }

// profile is the pattern of life of one entity: what it was seen doing, where from, with
// what, when and how much. Values are capped per feature (the lightest is forgotten),
// weights decay with a half-life, so the profile stays small and follows change.
// Fields are exported for the snapshot encoding only.
type profile struct {
	First, Last millis // event times of the first and the latest learned event
	N           uint32
	Land        int32  // landmark hour of the weights
	Peer        uint32 // peer group id, 0 for none
	Totals      [numFeatures]float32
	Entries     []entry // sorted by Key
	R           *rhythm // identities only: when and how much
}

// rhythm is the part of an identity's profile that addresses, networks and accounts do
// not need: when it is active, in its own time, and how much it does per hour.
type rhythm struct {
	TZ         int8 // hours east of UTC the entity lives in, learned from its locations
	TZSet      bool
	Hours      [168]uint8
	HoursN     uint32
	Rates      []rate
	AlertAt    millis // when an anomaly alert was last raised
	AlertScore uint8
}

// weight is what an event at t adds: 2^((hour(t)-Land)/halfLife). Comparing weights of
// one profile needs no decay of the stored ones (forward decay); the landmark moves when
// the exponent grows large, rescaling all weights at once.
func (p *profile) weight(t millis, halfLifeH float64) float32 {
	hour := t.hour()
	exp := float64(hour-int64(p.Land)) / halfLifeH
	if exp > 30 {
		shift := math.Floor(exp)
		scale := float32(math.Exp2(-shift))
		for i := range p.Entries {
			p.Entries[i].W *= scale
		}
		for i := range p.Totals {
			p.Totals[i] *= scale
		}
		p.Land += int32(shift * halfLifeH)
		exp = float64(hour-int64(p.Land)) / halfLifeH
	}
	return float32(math.Exp2(exp))
}

// weightNow is what an event at t would add, without moving the landmark.
func (p *profile) weightNow(t millis, halfLifeH float64) float64 {
	return math.Exp2(float64(t.hour()-int64(p.Land)) / halfLifeH)
}

// find returns the index of key and whether it is there.
func (p *profile) find(key uint64) (int, bool) {
	i := sort.Search(len(p.Entries), func(i int) bool { return p.Entries[i].Key >= key })
	return i, i < len(p.Entries) && p.Entries[i].Key == key
}

// lookup returns the value's share of the feature's weight and whether it was seen.
func (p *profile) lookup(f feature, v uint64) (share float64, ok bool) {
	i, ok := p.find(uint64(f)<<keyBits | v&(1<<keyBits-1))
	if !ok {
		return 0, false
	}
	if t := p.Totals[f]; t > 0 {
		return float64(p.Entries[i].W) / float64(t), true
	}
	return 0, true
}

// distinct counts the remembered values of f.
func (p *profile) distinct(f feature) int {
	lo, _ := p.find(uint64(f) << keyBits)
	hi, _ := p.find(uint64(f+1) << keyBits)
	return hi - lo
}

// values returns the remembered values of f, heaviest first.
func (p *profile) values(f feature) []entry {
	lo, _ := p.find(uint64(f) << keyBits)
	hi, _ := p.find(uint64(f+1) << keyBits)
	out := append([]entry(nil), p.Entries[lo:hi]...)
	sort.Slice(out, func(i, j int) bool {
		if out[i].W != out[j].W {
			return out[i].W > out[j].W
		}
		return out[i].Key < out[j].Key
	})
	return out
}

// learn adds weight w to value v of f, seen at t. When f is at its cap, the lightest
// value is forgotten to make room.
func (p *profile) learn(f feature, v uint64, w float32, t millis) {
	key := uint64(f)<<keyBits | v&(1<<keyBits-1)
	p.Totals[f] += w
	i, ok := p.find(key)
	if ok {
		p.Entries[i].W += w
		return
	}
	lo, _ := p.find(uint64(f) << keyBits)
	hi, _ := p.find(uint64(f+1) << keyBits)
	if hi-lo >= featureInfo[f].cap {
		light := lo
		for j := lo + 1; j < hi; j++ {
			if p.Entries[j].W < p.Entries[light].W {
				light = j
			}
		}
		p.Totals[f] -= p.Entries[light].W
		p.Entries = append(p.Entries[:light], p.Entries[light+1:]...)
		i, _ = p.find(key)
	}
	p.Entries = append(p.Entries, entry{})
	copy(p.Entries[i+1:], p.Entries[i:])
	p.Entries[i] = entry{Key: key, W: w, First: uint32(t.hour())}
}

// hourOfWeek is the bucket of t in the entity's own time zone (Monday 00:00 is 0).
func (p *rhythm) hourOfWeek(t millis) int {
	h := t.hour() + int64(p.TZ)
	// 1970-01-01 was a Thursday: hour 0 of the epoch is hour 72 of its week.
	return int(((h+72)%168 + 168) % 168)
}

// learnHour counts an event in its hour of the week; counts halve when one is full, so the
// profile follows a changed routine.
func (p *rhythm) learnHour(t millis) {
	i := p.hourOfWeek(t)
	if p.Hours[i] == math.MaxUint8 {
		p.HoursN = 0
		for j := range p.Hours {
			p.Hours[j] /= 2
			p.HoursN += uint32(p.Hours[j])
		}
	}
	p.Hours[i]++
	p.HoursN++
}

// hourShare is the share of the entity's events within an hour either side of t's hour
// of the day (any day), and the share on the same kind of day (weekday or weekend).
func (p *rhythm) hourShare(t millis) (nearHour, sameDayKind float64) {
	if p.HoursN == 0 {
		return 1, 1
	}
	how := p.hourOfWeek(t)
	hod, weekend := how%24, how >= 120
	var near, kind uint32
	for d := 0; d < 7; d++ {
		for dh := -1; dh <= 1; dh++ {
			near += uint32(p.Hours[d*24+(hod+dh+24)%24])
		}
		if (d >= 5) == weekend {
			for h := 0; h < 24; h++ {
				kind += uint32(p.Hours[d*24+h])
			}
		}
	}
	n := float64(p.HoursN)
	return float64(near) / n, float64(kind) / n
}

// learnTZ moves the entity's time zone toward the longitude of where it is: one hour per
// 15 degrees, a running estimate that settles once the entity has a home.
func (p *rhythm) learnTZ(long float64, n uint32) {
	tz := int8(math.Round(long / 15))
	if !p.TZSet {
		p.TZ, p.TZSet = tz, true
		return
	}
	if tz != p.TZ && n%8 == 0 { // a trip does not move home; a move does, slowly
		if tz > p.TZ {
			p.TZ++
		} else {
			p.TZ--
		}
	}
}

// size estimates the profile's memory in bytes.
func (p *profile) size() int {
	n := 8 + 8 + 4 + 4 + 4 + 4*int(numFeatures) + 24 + 8 + cap(p.Entries)*16
	if p.R != nil {
		n += 1 + 1 + 168 + 4 + 24 + 8 + 1 + cap(p.R.Rates)*32
	}
	return n
}
