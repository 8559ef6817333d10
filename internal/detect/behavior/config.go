package behavior

import (
	"errors"
	"fmt"
	"net/netip"
	"time"
)

// Config tunes the baselines and every detection. Every field means what it says, zero
// included: start from DefaultConfig and change what differs (a YAML section is decoded
// over DefaultConfig, so keys left out keep their defaults). A detection is turned off by
// its Disabled; where a zero turns part of one off, the field says so.
type Config struct {
	Baseline BaselineConfig `yaml:"baseline"`
	Anomaly  AnomalyConfig  `yaml:"anomaly"`
	// PeerGroups assigns identities (entity names: UPNs, e-mails, role names) to peer
	// groups, from directory data (department, job). Identities not listed are grouped
	// from their history (see docs/behavior.md).
	PeerGroups map[string]string `yaml:"peer_groups"`
	// SharedEgress lists networks whose location says nothing about where a person is:
	// relays, satellite and in-flight networks, the organisation's own VPN. Addresses used
	// by many people are learned as shared on top of these.
	SharedEgress SharedEgressConfig `yaml:"shared_egress"`

	ImpossibleTravel TravelConfig      `yaml:"impossible_travel"`
	Spray            SprayConfig       `yaml:"password_spray"`
	BruteForce       BruteForceConfig  `yaml:"brute_force"`
	MFAFatigue       MFAFatigueConfig  `yaml:"mfa_fatigue"`
	RiskySignIn      RiskySignInConfig `yaml:"risky_new_signin"`
	FirstPrivileged  FirstPrivConfig   `yaml:"first_privileged_operation"`
	Burst            BurstConfig       `yaml:"management_burst"`
	WorkloadNetwork  WorkloadConfig    `yaml:"workload_new_network"`
	Dormant          DormantConfig     `yaml:"dormant_account"`
	Chain            ChainConfig       `yaml:"chain"`
}

// BaselineConfig tunes the per-entity profiles.
type BaselineConfig struct {
	// HalfLife is how fast what an entity did fades: a count is worth half after it.
	HalfLife time.Duration `yaml:"half_life"`
	// Learning and LearningEvents: an entity is known, and novelty about it means
	// something, once it has this much history or this many events (whichever comes
	// first) — but never before MinHistory, so a burst on day one is not a history.
	Learning       time.Duration `yaml:"learning_period"`
	LearningEvents int           `yaml:"learning_events"`
	MinHistory     time.Duration `yaml:"min_history"`
	// ForgetAfter: context entities (addresses, networks, keys, …) unseen this long are
	// forgotten, so memory follows the live population.
	ForgetAfter time.Duration `yaml:"forget_after"`
	// PeerMinEvents is how much a peer group must have seen before "common among peers"
	// lowers a score.
	PeerMinEvents int `yaml:"peer_min_events"`
}

// AnomalyConfig tunes the alert on a single event's score.
type AnomalyConfig struct {
	Disabled bool `yaml:"disabled"`
	// Threshold is the score (0–100) at which an event is worth an alert.
	Threshold int `yaml:"threshold"`
	// Cooldown: after an alert, an entity alerts again only on a higher score until then
	// (0: every event at the threshold alerts).
	Cooldown time.Duration `yaml:"cooldown"`
}

// SharedEgressConfig lists shared networks by ASN and address range.
type SharedEgressConfig struct {
	ASNs  []int    `yaml:"asns"`
	CIDRs []string `yaml:"cidrs"`
}

// TravelConfig tunes impossible travel.
type TravelConfig struct {
	Disabled bool `yaml:"disabled"`
	// MaxSpeedKmh is the fastest plausible travel (a long-haul flight with its ground time).
	MaxSpeedKmh float64 `yaml:"max_speed_kmh"`
	// MinDistanceKm ignores hops shorter than this: IP geolocation is often off by a country.
	MinDistanceKm float64 `yaml:"min_distance_km"`
	// LocationErrorKm is taken off the distance for each end: IP geolocation places an
	// address tens to hundreds of kilometres from its user (0: locations are exact, unless
	// the geo database gives an accuracy).
	LocationErrorKm float64 `yaml:"location_error_km"`
	// SharedAddressUsers marks an address used by this many people as shared egress (VPN,
	// relays, carrier NAT): its location says nothing about where a person is. 0 learns no
	// address as shared (listed networks and ranges still are).
	SharedAddressUsers int `yaml:"shared_address_users"`
	// SharedNetworkPeople marks a network as shared egress once it was the far end of
	// impossible hops of this many people (a service edge, VPN, relay, carrier or cloud
	// shows itself so within hours; an attacker's network does for its few victims). 0
	// learns no network as shared.
	SharedNetworkPeople int `yaml:"shared_network_people"`
	// Hold is how long a candidate waits before it is raised, so the population can show
	// its far end to be shared egress from the first day (0: raised at once).
	Hold time.Duration `yaml:"hold"`
}

// SprayConfig tunes password sprays: many accounts, a few guesses each, from one address,
// one network or one client.
type SprayConfig struct {
	Disabled bool          `yaml:"disabled"`
	Window   time.Duration `yaml:"window"`
	// MinUsersIP, MinUsersASN and MinUsersAgent: distinct accounts failing from one
	// address, network or user agent within Window. 0 does not watch that kind of source.
	MinUsersIP    int `yaml:"min_users_ip"`
	MinUsersASN   int `yaml:"min_users_asn"`
	MinUsersAgent int `yaml:"min_users_user_agent"`
	// MaxPerUser: more guesses per account than this on average is brute force, not a spray.
	MaxPerUser float64 `yaml:"max_attempts_per_user"`
	// MaxSuccessShare: a source most of whose sign-ins succeed is where staff work; its
	// failures are typos, not a spray.
	MaxSuccessShare float64 `yaml:"max_success_share"`
}

// BruteForceConfig tunes brute force against one account.
type BruteForceConfig struct {
	Disabled bool          `yaml:"disabled"`
	Window   time.Duration `yaml:"window"`
	// MinFailures in Window raise an alert; MinFailuresBeforeSuccess failures followed by
	// a success within Window raise a critical one.
	MinFailures              int `yaml:"min_failures"`
	MinFailuresBeforeSuccess int `yaml:"min_failures_before_success"`
	// IgnoreCodes are failure codes that are not guesses (conditional access, device
	// compliance): a blocked phone retrying is not brute force.
	IgnoreCodes []string `yaml:"ignore_codes"`
}

// MFAFatigueConfig tunes MFA fatigue: prompts denied or left unanswered, then one approved.
type MFAFatigueConfig struct {
	Disabled bool          `yaml:"disabled"`
	Window   time.Duration `yaml:"window"`
	// MinDenials before a success raise a high alert; MinDenialsAlone raise a medium one
	// even without success.
	MinDenials      int `yaml:"min_denials"`
	MinDenialsAlone int `yaml:"min_denials_alone"`
}

// RiskySignInConfig tunes sign-ins from a new country, network or device that also carry
// a risky signal (provider sign-in risk, an open risk detection, failures just before,
// legacy authentication from an unmanaged device, a listed anonymiser).
type RiskySignInConfig struct {
	Disabled bool `yaml:"disabled"`
	// RiskMemory is how long an open risk detection on a user counts as a signal (0: open
	// risk detections are not a signal).
	RiskMemory time.Duration `yaml:"risk_memory"`
}

// FirstPrivConfig tunes the first privileged operation of a known identity.
type FirstPrivConfig struct {
	Disabled bool `yaml:"disabled"`
	// PeerShare: when at least this share of its peers' activity is the same kind of
	// operation, it is routine for the role and not reported (0: peers make nothing routine).
	PeerShare float64 `yaml:"peer_share"`
}

// BurstConfig tunes bursts of management-plane operations.
type BurstConfig struct {
	Disabled bool `yaml:"disabled"`
	// MinEvents in an hour before a burst is considered (MinReads for read-only calls).
	MinEvents int `yaml:"min_events"`
	MinReads  int `yaml:"min_reads"`
	// Factor over the entity's busiest earlier hour (decayed) that makes a burst (0: MinEvents
	// and MinReads alone decide).
	Factor float64 `yaml:"factor"`
}

// WorkloadConfig tunes service principals, roles and long-term access keys used from a
// network they never used.
type WorkloadConfig struct {
	Disabled bool `yaml:"disabled"`
	// MaxNetworks: identities already seen on more networks than this roam by design (0
	// reports nothing: every identity roams).
	MaxNetworks int `yaml:"max_networks"`
}

// DormantConfig tunes dormant identities becoming active.
type DormantConfig struct {
	Disabled bool `yaml:"disabled"`
	// Learning is how long Vigil must have watched before a first activity means anything.
	Learning time.Duration `yaml:"learning_period"`
	// MinPopulation is how many people must have been active during the learning period
	// before a first sign-in says anything: sparse or partial logs make everyone look new.
	MinPopulation int `yaml:"min_population"`
	// Silence: an identity active again after this long without activity is dormant.
	Silence time.Duration `yaml:"silence"`
}

// ChainConfig tunes chains: different behavioural detections on one identity within
// Window become one story with a higher score.
type ChainConfig struct {
	Disabled bool          `yaml:"disabled"`
	Window   time.Duration `yaml:"window"`
}

// DefaultConfig is the configuration used when none is given.
func DefaultConfig() Config {
	return Config{
		Baseline: BaselineConfig{HalfLife: 30 * 24 * time.Hour, Learning: 7 * 24 * time.Hour, LearningEvents: 50,
			MinHistory: 24 * time.Hour, PeerMinEvents: 200, ForgetAfter: 90 * 24 * time.Hour},
		Anomaly: AnomalyConfig{Threshold: 70, Cooldown: 6 * time.Hour},
		// Public relays and satellite networks, not any one organisation's: Cloudflare
		// (WARP, Private Relay), Akamai's Private Relay egress, Starlink.
		SharedEgress: SharedEgressConfig{ASNs: []int{13335, 36183, 14593}},
		ImpossibleTravel: TravelConfig{MaxSpeedKmh: 1000, MinDistanceKm: 500, LocationErrorKm: 100, SharedAddressUsers: 5,
			SharedNetworkPeople: 3, Hold: time.Hour},
		Spray: SprayConfig{Window: 24 * time.Hour, MinUsersIP: 10, MinUsersASN: 20, MinUsersAgent: 20, MaxPerUser: 3,
			MaxSuccessShare: 0.2},
		BruteForce: BruteForceConfig{Window: time.Hour, MinFailures: 10, MinFailuresBeforeSuccess: 5,
			IgnoreCodes: []string{"53000", "53001", "53002", "53003", "530032", "50097", "50129", "50140"}},
		MFAFatigue:      MFAFatigueConfig{Window: time.Hour, MinDenials: 3, MinDenialsAlone: 8},
		RiskySignIn:     RiskySignInConfig{RiskMemory: 24 * time.Hour},
		FirstPrivileged: FirstPrivConfig{PeerShare: 0.02},
		Burst:           BurstConfig{MinEvents: 20, MinReads: 500, Factor: 5},
		WorkloadNetwork: WorkloadConfig{MaxNetworks: 3},
		Dormant:         DormantConfig{Learning: 7 * 24 * time.Hour, MinPopulation: 20, Silence: 30 * 24 * time.Hour},
		Chain:           ChainConfig{Window: 24 * time.Hour},
	}
}

// Validate reports every setting that cannot work, naming its key. Zero is valid wherever
// it has a meaning (see the fields); windows and spans of enabled detections must be
// positive, since an empty window would make every event a detection or none.
func (c Config) Validate() error {
	var errs []error
	check := func(ok bool, key, why string) {
		if !ok {
			errs = append(errs, fmt.Errorf("behavior: %s: %s", key, why))
		}
	}
	nonNegative := func(v float64, key string) { check(v >= 0, key, "must not be negative") }
	window := func(disabled bool, w time.Duration, key string) {
		check(disabled || w > 0, key, "must be positive (set disabled to turn the detection off)")
	}
	b := c.Baseline
	check(b.HalfLife >= time.Hour, "baseline.half_life", "must be at least 1h")
	nonNegative(b.Learning.Hours(), "baseline.learning_period")
	nonNegative(float64(b.LearningEvents), "baseline.learning_events")
	nonNegative(b.MinHistory.Hours(), "baseline.min_history")
	check(b.ForgetAfter >= b.Learning && b.ForgetAfter > 0, "baseline.forget_after", "must be positive and at least the learning period")
	nonNegative(float64(b.PeerMinEvents), "baseline.peer_min_events")
	check(c.Anomaly.Threshold >= 0 && c.Anomaly.Threshold <= 100, "anomaly.threshold", "must be between 0 and 100")
	nonNegative(c.Anomaly.Cooldown.Hours(), "anomaly.cooldown")
	tr := c.ImpossibleTravel
	check(tr.Disabled || tr.MaxSpeedKmh > 0, "impossible_travel.max_speed_kmh", "must be positive")
	nonNegative(tr.MinDistanceKm, "impossible_travel.min_distance_km")
	nonNegative(tr.LocationErrorKm, "impossible_travel.location_error_km")
	nonNegative(float64(tr.SharedAddressUsers), "impossible_travel.shared_address_users")
	nonNegative(float64(tr.SharedNetworkPeople), "impossible_travel.shared_network_people")
	nonNegative(tr.Hold.Hours(), "impossible_travel.hold")
	sp := c.Spray
	window(sp.Disabled, sp.Window, "password_spray.window")
	nonNegative(float64(sp.MinUsersIP), "password_spray.min_users_ip")
	nonNegative(float64(sp.MinUsersASN), "password_spray.min_users_asn")
	nonNegative(float64(sp.MinUsersAgent), "password_spray.min_users_user_agent")
	nonNegative(sp.MaxPerUser, "password_spray.max_attempts_per_user")
	check(sp.MaxSuccessShare >= 0 && sp.MaxSuccessShare <= 1, "password_spray.max_success_share", "must be in [0, 1]")
	bf := c.BruteForce
	window(bf.Disabled, bf.Window, "brute_force.window")
	nonNegative(float64(bf.MinFailures), "brute_force.min_failures")
	nonNegative(float64(bf.MinFailuresBeforeSuccess), "brute_force.min_failures_before_success")
	mf := c.MFAFatigue
	window(mf.Disabled, mf.Window, "mfa_fatigue.window")
	nonNegative(float64(mf.MinDenials), "mfa_fatigue.min_denials")
	nonNegative(float64(mf.MinDenialsAlone), "mfa_fatigue.min_denials_alone")
	nonNegative(c.RiskySignIn.RiskMemory.Hours(), "risky_new_signin.risk_memory")
	check(c.FirstPrivileged.PeerShare >= 0 && c.FirstPrivileged.PeerShare <= 1, "first_privileged_operation.peer_share", "must be in [0, 1]")
	nonNegative(float64(c.Burst.MinEvents), "management_burst.min_events")
	nonNegative(float64(c.Burst.MinReads), "management_burst.min_reads")
	nonNegative(c.Burst.Factor, "management_burst.factor")
	nonNegative(float64(c.WorkloadNetwork.MaxNetworks), "workload_new_network.max_networks")
	dm := c.Dormant
	nonNegative(dm.Learning.Hours(), "dormant_account.learning_period")
	nonNegative(float64(dm.MinPopulation), "dormant_account.min_population")
	window(dm.Disabled, dm.Silence, "dormant_account.silence")
	window(c.Chain.Disabled, c.Chain.Window, "chain.window")
	for i, s := range c.SharedEgress.CIDRs {
		if _, err := netip.ParsePrefix(s); err != nil {
			check(false, fmt.Sprintf("shared_egress.cidrs[%d]", i), err.Error())
		}
	}
	return errors.Join(errs...)
}
