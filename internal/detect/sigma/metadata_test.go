package sigma

import (
	"strings"
	"testing"
	"testing/fstest"
)

// TestUnknownLevelStatusAndLogsourceKeysAreErrors: a typo in a rule's metadata is a load
// error naming it, not a rule that runs as something else.
func TestUnknownLevelStatusAndLogsourceKeysAreErrors(t *testing.T) {
	rule := func(extra string) string {
		return "title: t\nid: 11111111-1111-1111-1111-111111111111\n" + extra +
			"logsource:\n  product: azure\n  service: signinlogs\ndetection:\n  sel:\n    ResultType: 50126\n  condition: sel\n"
	}
	for _, tc := range []struct{ rule, want string }{
		{rule("level: hgih\n"), `unknown level "hgih"`},
		{rule("status: experimantal\n"), `unknown status "experimantal"`},
		{strings.Replace(rule(""), "  service:", "  servize:", 1), `unknown logsource key "servize"`},
	} {
		_, errs := Load(fstest.MapFS{"r.yml": {Data: []byte(tc.rule)}}, ".", Options{})
		if len(errs) != 1 || !strings.Contains(errs[0].Error(), tc.want) {
			t.Errorf("%q: errors %v, want %s", tc.want, errs, tc.want)
		}
	}
	rs, errs := Load(fstest.MapFS{"r.yml": {Data: []byte(rule("level: High\nstatus: test\n"))}}, ".", Options{})
	if len(errs) != 0 || rs.Len() != 1 {
		t.Errorf("a good rule: %v", errs)
	}
}
