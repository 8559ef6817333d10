package cloudtrail

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/vigil-sec/vigil/internal/alert"
	"github.com/vigil-sec/vigil/internal/event"
)

// trailWatch is the trail check's last result, shared by Run's watcher and health.
type trailWatch struct {
	mu       sync.Mutex
	findings []Finding
	checked  time.Time // wall time the last check ended
	checks   int
}

// record keeps a check's findings, each with the time its check first failed in this run
// of failures (a check that passes and fails again starts a new one).
func (w *trailWatch) record(fs []Finding, now time.Time) (added, resolved []Finding) {
	w.mu.Lock()
	defer w.mu.Unlock()
	key := Finding.key
	prev := map[string]Finding{}
	for _, f := range w.findings {
		prev[key(f)] = f
	}
	seen := map[string]bool{}
	out := make([]Finding, 0, len(fs))
	for _, f := range fs {
		k := key(f)
		if seen[k] {
			continue // one finding per check and trail (and call)
		}
		seen[k] = true
		if p, ok := prev[k]; ok {
			f.Since = p.Since
		} else {
			f.Since = now
			added = append(added, f)
		}
		out = append(out, f)
	}
	for k, p := range prev {
		if !seen[k] {
			resolved = append(resolved, p)
		}
	}
	w.findings, w.checked = out, time.Now()
	w.checks++
	return added, resolved
}

// due is how long until the next check is due (0 or less: now).
func (w *trailWatch) due(every time.Duration) time.Duration {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.checks == 0 {
		return 0
	}
	return every - time.Since(w.checked)
}

// checkTrail inspects the trail and the bucket, repairs what auto-configure may and checks
// again after a repair, and keeps the findings for health. Only the context's end is an
// error: everything else the check meets is a finding.
func (s *Source) checkTrail(ctx context.Context) ([]Finding, error) {
	r, err := s.inspect(ctx)
	if err != nil {
		return nil, err
	}
	if s.cfg.AutoConfigure && s.trails != nil {
		changed, failed := s.repair(ctx, r)
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if changed {
			if r, err = s.inspect(ctx); err != nil {
				return nil, err
			}
		}
		r.findings = append(r.findings, failed...)
	}
	added, resolved := s.watch.record(r.findings, s.now())
	for _, f := range added {
		s.log.Warn("cloudtrail: trail check: "+f.Problem, "check", f.Check, "trail", f.Trail, "fix", f.Fix)
	}
	for _, f := range resolved {
		s.log.Info("cloudtrail: trail check passes again", "check", f.Check, "trail", f.Trail)
	}
	return s.Findings(), nil
}

// startTrailWatch checks the trail now and every trail_check_interval until the returned
// stop is called (Run calls it on return, and it waits for a check under way).
func (s *Source) startTrailWatch(ctx context.Context) (stop func()) {
	if !s.cfg.TrailCheck {
		return func() {}
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		every := s.cfg.TrailCheckInterval.D()
		for {
			// Run restarts after a failure: a check done in the last interval stands.
			if wait := s.watch.due(every); wait > 0 {
				t := time.NewTimer(wait)
				select {
				case <-ctx.Done():
					t.Stop()
					return
				case <-t.C:
				}
			}
			if _, err := s.checkTrail(ctx); err != nil {
				return
			}
		}
	}()
	return func() { cancel(); <-done }
}

// Findings are the last trail check's findings (none before the first check ends).
func (s *Source) Findings() []Finding {
	s.watch.mu.Lock()
	defer s.watch.mu.Unlock()
	return slices.Clone(s.watch.findings)
}

// TrailChecks counts the trail checks completed.
func (s *Source) TrailChecks() int {
	s.watch.mu.Lock()
	defer s.watch.mu.Unlock()
	return s.watch.checks
}

// checkTitles are the alert titles of the checks.
var checkTitles = map[string]string{
	CheckAPIAccess:        "CloudTrail trail cannot be checked",
	CheckTrailExists:      "No CloudTrail trail delivers to the bucket",
	CheckLogging:          "CloudTrail trail is not logging",
	CheckDeliveryError:    "CloudTrail cannot deliver to the bucket",
	CheckMultiRegion:      "CloudTrail trail does not cover every region",
	CheckManagementEvents: "CloudTrail trail does not record management events",
	CheckRecentDelivery:   "No recent CloudTrail delivery",
	CheckBucketReadable:   "CloudTrail bucket is not readable",
	CheckAutoConfigure:    "CloudTrail auto-configure failed",
}

// blinding are the checks whose failure is what an attacker who stops or narrows a trail
// causes (ATT&CK T1562.008, Disable or Modify Cloud Logs).
var blinding = map[string]bool{CheckTrailExists: true, CheckLogging: true, CheckMultiRegion: true, CheckManagementEvents: true}

// SetupAlerts are the current findings as alerts, for the pipeline's health to show and
// raise once each: the entity is the source, the id stable for one run of a failure.
func (s *Source) SetupAlerts() []alert.Alert {
	fs := s.Findings()
	out := make([]alert.Alert, 0, len(fs))
	ent := event.Entity{Type: event.EntityService, Name: "vigil/source/" + s.name}
	for _, f := range fs {
		rule := "vigil-cloudtrail-" + f.Check
		title := checkTitles[f.Check]
		a := alert.Alert{
			ID:        alert.StableID(rule, ent, []string{f.key(), f.Since.UTC().Format(time.RFC3339Nano)}),
			Time:      f.Since.UTC(),
			Title:     title + ": " + s.name,
			Rule:      alert.Rule{ID: rule, Kind: alert.KindBuiltin, Title: title},
			Severity:  f.Severity,
			Score:     alert.SeverityScore(f.Severity),
			Entity:    ent,
			EventUIDs: []string{},
			Reason:    f.String(),
			Attack:    []string{},
			Details:   map[string]any{"check": f.Check, "fix": f.Fix, "source": s.name},
		}
		if f.Trail != "" {
			a.Details["trail"] = f.Trail
		}
		if blinding[f.Check] {
			a.Attack = []string{"T1562.008"}
		}
		out = append(out, a)
	}
	return out
}

// The pipeline's health shows and raises SetupAlerts (its setupAlerter interface).
var _ interface{ SetupAlerts() []alert.Alert } = (*Source)(nil)
