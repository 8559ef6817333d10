package sigma

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/vigil-sec/vigil/internal/alert"
	"github.com/vigil-sec/vigil/internal/event"
)

// TestEscapesPrecedenceAndRegexFlags covers the rules specification's escaping, operator
// precedence (not > and > or) and the re flags i, m and s.
func TestEscapesPrecedenceAndRegexFlags(t *testing.T) {
	rec := `{"eventName":"StopLogging","path":"C:\\Windows\\x*y","ip6":"2001:db8::1","cmd":"a –enc b","multi":"line1\nline2","bs":"a\\b","q":"what?","n":"10","q2":"Windows","stop":"Stop","stoplower":"stop","nine":9}`
	tests := []struct {
		name, det string
		want      bool
	}{
		{"precedence or/and", "  a:\n    eventName: X\n  b:\n    eventName: StopLogging\n  c:\n    eventName: Y\n  condition: a or b and c", false},
		{"precedence or/and 2", "  a:\n    eventName: StopLogging\n  b:\n    eventName: X\n  c:\n    eventName: Y\n  condition: a or b and c", true},
		{"not binds tight", "  a:\n    eventName: X\n  b:\n    eventName: StopLogging\n  condition: not a and b", true},
		{"backslash literal", "  s:\n    path|startswith: 'C:\\Windows\\'\n  condition: s", true},
		{"escaped star literal", "  s:\n    path|endswith: 'x\\*y'\n  condition: s", true},
		{"escaped star not wildcard", "  s:\n    path|endswith: 'xz\\*y'\n  condition: s", false},
		{"double backslash then wildcard", "  s:\n    bs: 'a\\\\*'\n  condition: s", true},
		{"escaped question", "  s:\n    q: 'what\\?'\n  condition: s", true},
		{"escaped question literal", "  s:\n    q: 'whatx\\?'\n  condition: s", false},
		{"cidr v6", "  s:\n    ip6|cidr: '2001:db8::/32'\n  condition: s", true},
		{"windash en dash", "  s:\n    cmd|windash|contains: ' -enc '\n  condition: s", true},
		{"re m", "  s:\n    multi|re|m: '^line2$'\n  condition: s", true},
		{"re no m", "  s:\n    multi|re: '^line2$'\n  condition: s", false},
		{"re s", "  s:\n    multi|re|s: 'line1.line2'\n  condition: s", true},
		{"re no s", "  s:\n    multi|re: 'line1.line2'\n  condition: s", false},
		{"numeric string gt", "  s:\n    n|gt: 9\n  condition: s", true},
		{"exists false", "  s:\n    nothere|exists: false\n  condition: s", true},
		{"keyword wildcard", "  keywords:\n    - '*Logg*'\n  condition: keywords", true},
		{"keyword all", "  keywords:\n    '|all':\n      - Stop\n      - Windows\n  condition: keywords", true},
		{"keyword and", "  k1:\n    - StopLogging\n  k2:\n    - nothing-here\n  condition: k1 and not k2", true},
		{"1 of them leaves out _ names", "  a:\n    eventName: X\n  _b:\n    eventName: StopLogging\n  condition: 1 of them", false},
		{"empty list contains", "  s:\n    eventName|contains: ''\n  condition: s", true},
		{"startswith empty", "  s:\n    eventName|startswith: 'Stop'\n    eventName|endswith: ging\n  condition: s", true},
		{"condition list", "  a:\n    eventName: X\n  b:\n    eventName: StopLogging\n  condition:\n    - a\n    - b", true},
		{"all of x with one", "  sel1:\n    eventName: StopLogging\n  sel2:\n    eventName: X\n  condition: all of sel*", false},
		{"int field vs int", "  s:\n    n: 10\n  condition: s", true},
		{"fieldref contains", "  s:\n    path|fieldref|contains: q2\n  condition: s", true},
		{"fieldref startswith", "  s:\n    eventName|fieldref|startswith: stop\n  condition: s", true},
		{"fieldref startswith is cased", "  s:\n    eventName|fieldref|startswith: stoplower\n  condition: s", false},
		{"fieldref endswith", "  s:\n    eventName|fieldref|endswith: q2\n  condition: s", false},
		{"fieldref gt", "  s:\n    n|fieldref|gt: nine\n  condition: s", true},
		{"fieldref lt", "  s:\n    n|fieldref|lt: nine\n  condition: s", false},
		{"contains wildcard inside", "  s:\n    path|contains: 'Win*x'\n  condition: s", true},
	}
	ev := cloudtrailEvent(rec)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := rule(t, tt.det).Match(ev); got != tt.want {
				t.Errorf("match = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestContainsFold(t *testing.T) {
	tests := []struct {
		s, lit string
		want   bool
	}{
		{"MFA Denied; user declined", "mfa denied", true},
		{"xxMfA DENIEDxx", "mfa denied", true},
		{"MFA Denie", "mfa denied", false},
		{"", "a", false},
		{"abc", "", true},
		{"Ünïcode MFA", "mfa", true},
		{"ÄRGER", "ärger", true},
		{"[1,2]", "2]", true},
		{"aaaaAAAAab", "aab", true},
		{"xAxaxAB", "ab", true},
		{"abcABCabc", "cab", true},
		{"short", "longer than s", false},
		{"Stop", "stop", true},
		{"xxxSTO", "stop", false},
	}
	for _, tt := range tests {
		if got := containsFold(tt.s, tt.lit); got != tt.want {
			t.Errorf("containsFold(%q, %q) = %v, want %v", tt.s, tt.lit, got, tt.want)
		}
	}
}

// FuzzContainsFold checks the in-place search against lower-casing a copy.
func FuzzContainsFold(f *testing.F) {
	f.Add("xAxaxAB", "ab")
	f.Add("Ünïcode MFA", "mfa")
	f.Fuzz(func(t *testing.T, s, lit string) {
		lit = strings.ToLower(lit)
		if got, want := containsFold(s, lit), strings.Contains(strings.ToLower(s), lit); got != want {
			t.Errorf("containsFold(%q, %q) = %v, want %v", s, lit, got, want)
		}
	})
}

func TestUnknownLogsourceLoadsAndIsLoggedOnce(t *testing.T) {
	src := "title: a\nid: a1\nlogsource: {product: windows, service: security}\ndetection:\n  s:\n    EventID: 4625\n  condition: s\n" +
		"---\ntitle: b\nid: b1\nlogsource: {product: windows, service: security}\ndetection:\n  s:\n    EventID: 4624\n  condition: s\n"
	var logs bytes.Buffer
	rs, errs := Load(fstest.MapFS{"w.yml": {Data: []byte(src)}}, ".", Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if len(errs) > 0 || rs.Len() != 2 {
		t.Fatalf("%d rules, errors %v", rs.Len(), errs)
	}
	if n := strings.Count(logs.String(), "never match"); n != 1 || !strings.Contains(logs.String(), "rules=2") {
		t.Errorf("logged %d times: %s", n, logs.String())
	}
	hit := false
	rs.Detector().Observe(context.Background(), &event.Event{Raw: []byte(`{"EventID":4625}`), Vigil: event.Vigil{Source: "cloudtrail"}},
		func(alert.Alert) { hit = true })
	if hit {
		t.Error("a rule of a logsource Vigil has no events for matched")
	}
}

func TestFilterInAnotherFolderNarrowsTheRuleOnMerge(t *testing.T) {
	pack := fstest.MapFS{"r.yml": {Data: []byte("title: stop logging\nid: 6f3e2987-db24-4c78-a860-b4f4095a7095\nlogsource: {product: aws, service: cloudtrail}\ndetection:\n  s:\n    eventName: StopLogging\n  condition: s\n")}}
	user := fstest.MapFS{"mf_platform.yml": {Data: []byte("title: Filter the platform team\nlogsource: {product: aws, service: cloudtrail}\nfilter:\n  rules:\n    - 6f3e2987-db24-4c78-a860-b4f4095a7095\n  selection:\n    userIdentity.userName|startswith: 'platform-'\n  condition: not selection\n")}}
	rs, errs := Load(pack, ".", Options{})
	userSet, userErrs := Load(user, ".", Options{})
	if len(errs)+len(userErrs) > 0 {
		t.Fatalf("errors %v %v", errs, userErrs)
	}
	if err := rs.Merge(userSet); err != nil {
		t.Fatal(err)
	}
	if err := rs.Merge(&RuleSet{}); err != nil { // merging again must not apply the filter twice
		t.Fatal(err)
	}
	fired := func(user string) bool {
		hit := false
		ev := cloudtrailEvent(`{"eventName":"StopLogging","userIdentity":{"userName":"` + user + `"}}`)
		rs.Detector().Observe(context.Background(), ev, func(alert.Alert) { hit = true })
		return hit
	}
	if !fired("mallory") || fired("platform-ci") {
		t.Errorf("mallory fired %v (want true), platform-ci fired %v (want false)", fired("mallory"), fired("platform-ci"))
	}
	if n := len(rs.rules[0].condition.(andExpr)); n != 2 {
		t.Errorf("condition has %d parts, want the rule's and the filter's", n)
	}
}
