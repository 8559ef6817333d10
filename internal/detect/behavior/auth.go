package behavior

import (
	"fmt"
	"slices"
	"strings"

	"github.com/vigil-sec/vigil/internal/alert"
	"github.com/vigil-sec/vigil/internal/event"
)

// authLog is a person's recent failed sign-ins and MFA denials, and their latest open risk
// detection. Fields are exported for the snapshot encoding only.
type authLog struct {
	Fails, Denials []attempt
	BruteAt        millis // when brute force was last reported
	FatigueAt      millis // when MFA fatigue was last reported
	RiskAt         millis // when the latest open risk detection was seen
	Risk           string
}

// attempt is one failed sign-in or MFA denial.
type attempt struct {
	T       millis
	User    string
	UID, IP string
	ASN     int
}

func seenASN(p *profile, asn int) bool {
	_, ok := p.lookup(fASN, uint64(asn))
	return ok
}

// failuresSince counts failed sign-ins at or after t.
func (l *authLog) failuresSince(t millis) int {
	n := 0
	for _, a := range l.Fails {
		if a.T >= t {
			n++
		}
	}
	return n
}

// trim drops attempts before cut; attempts are in event order.
func trim(a []attempt, cut millis) []attempt {
	i := 0
	for i < len(a) && a[i].T < cut {
		i++
	}
	if i == len(a) {
		return a[:0]
	}
	return a[i:]
}

// maxAttempts caps what one person's log keeps: enough to prove a brute force.
const maxAttempts = 200

// noteRisk remembers an open risk detection on a person (Entra ID Protection), a signal
// for their next sign-in from somewhere new.
func (d *Detector) noteRisk(ev *event.Event) {
	user := ""
	switch {
	case ev.User != nil && ev.User.Name != "":
		user = event.UserEntity(ev.User.Name).Name
	case ev.Vigil.Entity.Type == event.EntityUser:
		user = ev.Vigil.Entity.Name
	}
	state := strings.ToLower(ev.StatusDetail)
	if user == "" || ev.SeverityID < event.SeverityLow || strings.Contains(state, "remediated") || strings.Contains(state, "dismissed") ||
		strings.Contains(state, "safe") {
		return
	}
	l := d.authLog(user)
	l.RiskAt = eventTime(ev)
	l.Risk = ev.API.Operation
}

func (d *Detector) authLog(user string) *authLog {
	l := d.st.Auth[user]
	if l == nil {
		l = &authLog{}
		d.st.Auth[strings.Clone(user)] = l
	}
	return l
}

// authFailures keeps a person's failures and MFA denials and raises brute force (many
// failures; critical when a success ends them) and MFA fatigue (denied or unanswered
// prompts, then one approved).
func (d *Detector) authFailures(ev *event.Event, p *profile, raise func(alert.Alert)) {
	user := ev.Vigil.Entity.Name
	cat := ev.Vigil.Category
	failed := (cat == event.CategoryLoginFailed || cat == event.CategoryLoginLockout) && !slices.Contains(d.cfg.BruteForce.IgnoreCodes, ev.StatusCode)
	denied := cat == event.CategoryMFAFailed
	l := d.st.Auth[user]
	if l == nil && !failed && !denied {
		return
	}
	if l == nil {
		l = d.authLog(user)
	}
	bf, mf := d.cfg.BruteForce, d.cfg.MFAFatigue
	t := eventTime(ev)
	l.Fails = trim(l.Fails, t.Add(-bf.Window))
	l.Denials = trim(l.Denials, t.Add(-mf.Window))
	a := attempt{T: t, UID: strings.Clone(ev.Metadata.UID), IP: strings.Clone(ev.SrcEndpoint.IP)}
	if as := ev.SrcEndpoint.AutonomousSystem; as != nil {
		a.ASN = as.Number
	}
	switch {
	case failed:
		if len(l.Fails) < maxAttempts {
			l.Fails = append(l.Fails, a)
		}
		if !bf.Disabled && len(l.Fails) >= bf.MinFailures && t.Sub(l.BruteAt) > bf.Window {
			l.BruteAt = t
			raise(newAlert("vigil-brute-force", "Brute force against an account", alert.KindBuiltin, alert.SeverityHigh, 70,
				ev.Timestamp(), ev.Vigil.Entity, uidsOf(l.Fails), []string{"T1110.001"},
				fmt.Sprintf("%d failed sign-ins within %s from %s", len(l.Fails), bf.Window, addresses(l.Fails))))
		}
	case denied:
		if len(l.Denials) < maxAttempts {
			l.Denials = append(l.Denials, a)
		}
		if !mf.Disabled && len(l.Denials) >= mf.MinDenialsAlone && t.Sub(l.FatigueAt) > mf.Window {
			l.FatigueAt = t
			raise(newAlert("vigil-mfa-fatigue", "MFA prompts denied again and again", alert.KindBuiltin, alert.SeverityMedium, 55,
				ev.Timestamp(), ev.Vigil.Entity, uidsOf(l.Denials), []string{"T1621"},
				fmt.Sprintf("%d MFA prompts denied or unanswered within %s from %s", len(l.Denials), mf.Window, addresses(l.Denials))))
		}
	case ev.StatusID == event.StatusSuccess && cat == event.CategoryLogin:
		// A guess that worked comes from where the guessing came from; a person's own typos
		// then success from home are not it, unless there were very many.
		same := 0
		asn := 0
		if as := ev.SrcEndpoint.AutonomousSystem; as != nil {
			asn = as.Number
		}
		for _, f := range l.Fails {
			if f.IP == ev.SrcEndpoint.IP || (asn != 0 && f.ASN == asn) {
				same++
			}
		}
		newNet := p == nil || (asn != 0 && !seenASN(p, asn))
		if !bf.Disabled && same >= bf.MinFailuresBeforeSuccess && (newNet || same >= bf.MinFailures) {
			uids := append(uidsOf(l.Fails), ev.Metadata.UID)
			reason := fmt.Sprintf("signed in from %s after %d failed sign-ins within %s from %s", where(ev), len(l.Fails), bf.Window,
				addresses(l.Fails))
			if p != nil {
				reason += fmt.Sprintf("; %d earlier events%s", p.N, usually(p))
			}
			raise(newAlert("vigil-brute-force-success", "Brute force ended in a successful sign-in", alert.KindBuiltin,
				alert.SeverityCritical, 95, ev.Timestamp(), ev.Vigil.Entity, uids, []string{"T1110.001", "T1078"}, reason))
			l.Fails = l.Fails[:0]
		}
		if !mf.Disabled && len(l.Denials) >= mf.MinDenials {
			uids := append(uidsOf(l.Denials), ev.Metadata.UID)
			raise(newAlert("vigil-mfa-fatigue-success", "MFA fatigue ended in an approved prompt", alert.KindBuiltin, alert.SeverityHigh,
				85, ev.Timestamp(), ev.Vigil.Entity, uids, []string{"T1621", "T1078"},
				fmt.Sprintf("signed in from %s after %d MFA prompts denied or unanswered within %s", where(ev), len(l.Denials), mf.Window)))
			l.Denials = l.Denials[:0]
		}
	}
	if len(l.Fails) == 0 && len(l.Denials) == 0 && l.RiskAt == 0 {
		delete(d.st.Auth, user)
	}
}

func uidsOf(as []attempt) []string {
	out := make([]string, 0, len(as))
	for _, a := range as {
		out = append(out, a.UID)
	}
	return out
}

// addresses summarises where attempts came from: "3 addresses (198.51.100.7, …)".
func addresses(as []attempt) string {
	var ips []string
	for _, a := range as {
		if a.IP != "" && !slices.Contains(ips, a.IP) {
			ips = append(ips, a.IP)
		}
	}
	switch len(ips) {
	case 0:
		return "unknown addresses"
	case 1:
		return ips[0]
	}
	shown := ips[:min(3, len(ips))]
	return fmt.Sprintf("%d addresses (%s%s)", len(ips), strings.Join(shown, ", "), map[bool]string{true: ", …"}[len(ips) > 3])
}
