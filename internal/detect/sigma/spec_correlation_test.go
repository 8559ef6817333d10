package sigma

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/vigil-sec/vigil/internal/alert"
	"github.com/vigil-sec/vigil/internal/event"
)

// specBruteForce is the correlation specification's closing example ("Failed Logins
// Followed by Successful Login"), with the base rules' logsource moved to CloudTrail so
// that Vigil routes events to them; fields and the chain are as the specification has them.
const specBruteForce = `title: Correlation - Multiple Failed Logins Followed by Successful Login
id: b180ead8-d58f-40b2-ae54-c8940995b9b6
correlation:
    type: temporal_ordered
    rules:
        - multiple_failed_login
        - successful_login
    group-by:
        - User
    timespan: 10m
level: high
---
title: Multiple failed logons
id: a8418a5a-5fc4-46b5-b23b-6c73beb19d41
name: multiple_failed_login
correlation:
    type: event_count
    rules:
        - failed_login
    group-by:
        - User
    timespan: 10m
    condition:
        gte: 10
---
title: Single failed login
id: 53ba33fd-3a50-4468-a5ef-c583635cfa92
name: failed_login
logsource:
    product: aws
    service: cloudtrail
detection:
    selection:
        EventID:
            - 529
            - 4625
    condition: selection
---
title: Successful login
id: 4d0a2c83-c62c-4ed4-b475-c7e23a9269b8
name: successful_login
logsource:
    product: aws
    service: cloudtrail
detection:
    selection:
        EventID:
            - 528
            - 4624
    condition: selection
`

// logon is one Windows-style logon record at a second offset.
type logon struct {
	second  int
	eventID int
	user    string
}

func runLogons(t *testing.T, rules string, logons []logon) []alert.Alert {
	t.Helper()
	base := time.Date(2026, 6, 1, 8, 0, 0, 0, time.UTC)
	var evs []*event.Event
	for i, l := range logons {
		raw := []byte(fmt.Sprintf(`{"EventID":%d,"User":%q}`, l.eventID, l.user))
		evs = append(evs, testEvent(i, raw, l.user, base.Add(time.Duration(l.second)*time.Second)))
	}
	return runRules(t, "spec.yml", rules, evs, base.Add(24*time.Hour))
}

func failures(user string, from, n int) []logon {
	var out []logon
	for i := range n {
		out = append(out, logon{from + i*10, 4625, user})
	}
	return out
}

func TestSpecificationBruteForceExample(t *testing.T) {
	tests := []struct {
		name   string
		logons []logon
		want   string
	}{
		{"ten failures then success", append(failures("alice", 0, 10), logon{200, 4624, "alice"}),
			"Correlation - Multiple Failed Logins Followed by Successful Login/2"},
		{"nine failures then success", append(failures("alice", 0, 9), logon{200, 4624, "alice"}), ""},
		{"success before the failures", append([]logon{{0, 4624, "alice"}}, failures("alice", 10, 10)...), ""},
		{"another user's success", append(failures("alice", 0, 10), logon{200, 4624, "bob"}), ""},
		{"success too late", append(failures("alice", 0, 10), logon{1300, 4624, "alice"}), ""},
		{"old event ids count too", append(failures("alice", 0, 9), logon{95, 529, "alice"}, logon{200, 528, "alice"}),
			"Correlation - Multiple Failed Logins Followed by Successful Login/2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			as := runLogons(t, specBruteForce, tt.logons)
			if got := titles(as); got != tt.want {
				t.Fatalf("alerts %q, want %q (neither the base rules nor the inner correlation generate)", got, tt.want)
			}
			if len(as) == 1 {
				a := as[0]
				if a.GroupBy["User"] != "alice" || a.Entity.Name != "alice" || a.Severity != "high" || len(a.EventUIDs) != 11 ||
					!strings.Contains(a.Reason, "User=alice") {
					t.Errorf("%+v", a)
				}
			}
		})
	}
}
