// Package sim is the simulated organisation: an Entra ID tenant, two Azure subscriptions
// and two AWS accounts whose people and automation behave like real ones, with attacks and
// their benign look-alikes in the middle, emitted as a deterministic, time-ordered stream of
// native log records. It knows nothing of Vigil's detectors, so it can score them.
package sim

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"time"
)

// Config is a simulation.
type Config struct {
	Seed      uint64
	Users     int
	Days      int
	End       time.Time // the simulated period ends here (default 2026-11-01T00:00Z)
	Scenarios []string  // attack scenarios to inject; nil = all
}

// DefaultEnd is where simulated time ends unless configured: fixed, never the wall clock,
// so a seed always gives the same bytes.
func DefaultEnd() time.Time { return time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC) }

// Truth is one injected attack or benign look-alike.
type Truth struct {
	Scenario  string    `json:"scenario"`
	Entity    string    `json:"entity"`
	Start     time.Time `json:"start"`
	End       time.Time `json:"end"`
	Source    string    `json:"source"`
	EventIDs  []string  `json:"event_ids"`
	Lookalike bool      `json:"lookalike"`
}

// Simulator generates the stream.
type Simulator struct {
	cfg Config
}

// New validates cfg and returns a simulator.
func New(cfg Config) (*Simulator, error) {
	if cfg.Users < 10 {
		return nil, fmt.Errorf("sim: users must be at least 10, got %d", cfg.Users)
	}
	if cfg.Days < 3 {
		return nil, fmt.Errorf("sim: days must be at least 3, got %d", cfg.Days)
	}
	if cfg.End.IsZero() {
		cfg.End = DefaultEnd()
	}
	if cfg.Scenarios != nil {
		known := map[string]bool{}
		for _, s := range ScenarioNames() {
			known[s] = true
		}
		for _, s := range cfg.Scenarios {
			if !known[s] {
				return nil, fmt.Errorf("sim: unknown scenario %q (known: %v)", s, ScenarioNames())
			}
		}
	}
	return &Simulator{cfg: cfg}, nil
}

// sim is one run's state.
type sim struct {
	cfg           Config
	rng           *rand.Rand
	org           *org
	start         time.Time
	plan          []plannedAttack
	victim, admin *user // the actors of the scenario being generated
	cast          *behaviorCast
	noise         *noise
}

// Run emits every record in time order, then returns the ground truth. Memory holds one
// hour of records at a time.
func (s *Simulator) Run(ctx context.Context, emit func(Record) error) ([]Truth, error) {
	st := &sim{cfg: s.cfg, rng: rand.New(rand.NewPCG(s.cfg.Seed, s.cfg.Seed^0x9e3779b97f4a7c15))}
	st.org = newOrg(st.rng, s.cfg.Users)
	st.start = s.cfg.End.Add(-time.Duration(s.cfg.Days) * 24 * time.Hour)
	st.plan = st.planAttacks()
	st.cast = newBehaviorCast(s.cfg.Seed, st.org, st.plan)
	st.plan = append(st.plan, st.planBehavior()...)
	busy := map[*user]bool{st.cast.engineer: true, st.cast.traveller: true, st.cast.oncall: true}
	for _, p := range st.plan {
		busy[p.victim], busy[p.admin] = true, true
	}
	st.noise = newNoise(s.cfg.Seed, st.org, busy, st.start, s.cfg.Days)
	var truth []Truth
	var later []Record // records generated so far that fall in a coming hour
	for h := st.start; h.Before(s.cfg.End); h = h.Add(time.Hour) {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		next := h.Add(time.Hour)
		later = append(later, st.background(h)...)
		for i := range st.plan {
			p := &st.plan[i]
			if !p.at.Before(h) && p.at.Before(next) {
				attackRecs, t := p.run(st, p.at)
				later = append(later, attackRecs...)
				truth = append(truth, t)
			}
		}
		var recs []Record
		keep := later[:0]
		for _, r := range later {
			if r.Time.Before(next) {
				recs = append(recs, r)
			} else {
				keep = append(keep, r)
			}
		}
		later = keep
		sort.SliceStable(recs, func(i, j int) bool { return recs[i].Time.Before(recs[j].Time) })
		for _, r := range recs {
			if err := emit(r); err != nil {
				return nil, err
			}
		}
	}
	return truth, nil
}

// Records runs the simulation and returns its records of the given kinds (every kind when
// none is given), in time order: what tests and benchmarks feed one collector.
func (s *Simulator) Records(ctx context.Context, kinds ...Kind) ([]Record, error) {
	var out []Record
	_, err := s.Run(ctx, func(r Record) error {
		if len(kinds) == 0 || slices.Contains(kinds, r.Kind) {
			out = append(out, r)
		}
		return nil
	})
	return out, err
}

// Users is the number of people, for rates per user-day.
func (s *Simulator) Users() int { return s.cfg.Users }
