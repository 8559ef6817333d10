package behavior

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-sec/vigil/internal/alert"
	"github.com/vigil-sec/vigil/internal/event"
)

// source is where failed sign-ins come from — one address, one network or one client —
// with its recent failures and successes. Fields are exported for the snapshot only.
type source struct {
	Fails    []attempt
	Success  []millis // times of recent successful sign-ins
	Reported millis   // when a spray from it was last reported
	// Users and IPs count Fails by account and address, kept as Fails changes, so a spray
	// of thousands of guesses is not recounted at every guess.
	Users, IPs map[string]int
}

// addFail appends a failure and counts it.
func (n *source) addFail(a attempt) {
	if n.Users == nil {
		n.Users, n.IPs = map[string]int{}, map[string]int{}
	}
	n.Fails = append(n.Fails, a)
	n.Users[a.User]++
	n.IPs[a.IP]++
}

// dropFails forgets the first k failures and their counts.
func (n *source) dropFails(k int) {
	for _, a := range n.Fails[:k] {
		uncount(n.Users, a.User)
		uncount(n.IPs, a.IP)
	}
	n.Fails = n.Fails[k:]
}

func uncount(m map[string]int, k string) {
	if m[k]--; m[k] <= 0 {
		delete(m, k)
	}
}

// maxSourceFails caps what one source keeps within the window.
const maxSourceFails = 5000

// spray counts, per address, per network (ASN) and per user agent, the accounts failing to
// sign in: many accounts with a guess or two each, from a source where almost nobody signs
// in successfully, is a spray — also when it is spread over hours and addresses.
func (d *Detector) spray(ev *event.Event, raise func(alert.Alert)) {
	cfg := d.cfg.Spray
	src := &ev.SrcEndpoint
	// A minimum of 0 watches no source of that kind.
	if src.IP != "" && cfg.MinUsersIP > 0 {
		d.sprayFrom(ctxKey{Kind: ctxIP, Name: src.IP}, cfg.MinUsersIP, ev, raise)
	}
	if as := src.AutonomousSystem; as != nil && as.Number > 0 && cfg.MinUsersASN > 0 {
		d.sprayFrom(ctxKey{Kind: ctxASN, Num: as.Number}, cfg.MinUsersASN, ev, raise)
	}
	if ua := ev.HTTPRequest.UserAgent; ua != "" && cfg.MinUsersAgent > 0 {
		d.sprayFrom(ctxKey{Kind: ctxAgent, Name: ua}, cfg.MinUsersAgent, ev, raise)
	}
}

// sprayEntity names a source as an alert's entity, and in words.
func sprayEntity(k ctxKey) (event.Entity, string) {
	switch k.Kind {
	case ctxIP:
		return event.Entity{Type: event.EntityIP, Name: k.Name}, "address " + k.Name
	case ctxASN:
		name := "AS" + strconv.Itoa(k.Num)
		return event.Entity{Type: event.EntityASN, Name: name}, "network " + name
	}
	return event.Entity{Type: event.EntityUserAgent, Name: k.Name}, "user agent " + strconv.Quote(clip(k.Name, 80))
}

func (d *Detector) sprayFrom(key ctxKey, minUsers int, ev *event.Event, raise func(alert.Alert)) {
	cfg := d.cfg.Spray
	success := ev.StatusID == event.StatusSuccess && ev.Vigil.Category != event.CategoryLoginInterrupted
	failed := ev.Vigil.Category == event.CategoryLoginFailed || ev.Vigil.Category == event.CategoryLoginLockout
	n := d.st.Sources[key]
	if n == nil {
		if !failed {
			return // only sources with failures are worth remembering
		}
		n = &source{}
		key.Name = strings.Clone(key.Name)
		d.st.Sources[key] = n
	}
	t := eventTime(ev)
	cut := t.Add(-cfg.Window)
	n.dropFails(len(n.Fails) - len(trim(n.Fails, cut)))
	i := 0
	for i < len(n.Success) && n.Success[i] < cut {
		i++
	}
	n.Success = n.Success[i:]
	switch {
	case success:
		n.Success = append(n.Success, t)
		if len(n.Success) > maxSourceFails {
			n.Success = n.Success[1:]
		}
	case failed:
		if len(n.Fails) >= maxSourceFails {
			n.dropFails(1)
		}
		n.addFail(attempt{T: t, User: strings.Clone(ev.Vigil.Entity.Name), UID: strings.Clone(ev.Metadata.UID),
			IP: strings.Clone(ev.SrcEndpoint.IP)})
	}
	if len(n.Fails) == 0 && len(n.Success) == 0 {
		delete(d.st.Sources, key)
		return
	}
	if !failed || len(n.Fails) < minUsers {
		return
	}
	users, ips := n.Users, n.IPs
	total := len(n.Fails) + len(n.Success)
	perUser := float64(len(n.Fails)) / float64(len(users))
	if len(users) < minUsers || perUser > cfg.MaxPerUser || float64(len(n.Success)) > cfg.MaxSuccessShare*float64(total) {
		return
	}
	if n.Reported != 0 && t.Sub(n.Reported) < cfg.Window {
		return // one alert per window
	}
	n.Reported = t
	ent, what := sprayEntity(key)
	uids := uidsOf(n.Fails)
	sort.Strings(uids)
	span := t.Sub(n.Fails[0].T)
	raise(newAlert("vigil-password-spray", "Password spray", alert.KindBuiltin, alert.SeverityHigh, min(100, 60+len(users)),
		ev.Timestamp(), ent, uids, []string{"T1110.003"},
		fmt.Sprintf("%d accounts failed to sign in from %s within %s (%.1f attempts each, %d addresses); %d successful sign-ins from it",
			len(users), what, span.Round(time.Minute), perUser, len(ips), len(n.Success))))
}
