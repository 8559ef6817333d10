package emulate

import (
	"testing"
	"time"
)

func graphSyntax(eventTypes bool) filterSyntax {
	return filterSyntax{timeFields: map[string]bool{"createddatetime": true}, eventTypes: eventTypes, typeName: "microsoft.graph.signIn"}
}

func TestParseFilterBounds(t *testing.T) {
	n, _, err := parseFilter("(createdDateTime gt 2026-10-20T00:00:00.5Z) and createdDateTime lt 2026-10-20T02:00:00+01:00", graphSyntax(false))
	if err != nil || len(n.conds) != 2 || n.types != nil {
		t.Fatalf("%+v %v", n, err)
	}
	if !n.conds[0].t.Equal(time.Date(2026, 10, 20, 0, 0, 0, 5e8, time.UTC)) || !n.conds[1].t.Equal(time.Date(2026, 10, 20, 1, 0, 0, 0, time.UTC)) {
		t.Errorf("bounds = %v, %v", n.conds[0].t, n.conds[1].t)
	}
	n, _, err = parseFilter("signInEventTypes/any(t: t eq 'a' or t eq 'b') and signInEventTypes/any(x: x eq 'b')", graphSyntax(true))
	if err != nil || len(n.types) != 1 || !n.types["b"] {
		t.Errorf("and of two sets = %v, %v; want their intersection {b}", n.types, err)
	}
}

// FuzzParseFilter: no input makes the parser panic, and what it accepts names only the
// syntax's fields and operators.
func FuzzParseFilter(f *testing.F) {
	for _, s := range []string{
		"createdDateTime ge 2026-10-20T00:00:00Z and createdDateTime le 2026-10-21T00:00:00Z",
		"(signInEventTypes/any(t: t eq 'nonInteractiveUser'))",
		"eventTimestamp ge '2026-10-20T00:00:00Z' and resourceGroupName eq 'rg'",
		"((", "'", "signInEventTypes/any(", "createdDateTime ge", "a or b", ")",
	} {
		f.Add(s)
	}
	arm := filterSyntax{timeFields: map[string]bool{"eventtimestamp": true}, quoted: true, eqFields: map[string]bool{"resourcegroupname": true}}
	ops := map[string]bool{"ge": true, "gt": true, "le": true, "lt": true}
	f.Fuzz(func(t *testing.T, src string) {
		for _, syn := range []filterSyntax{graphSyntax(true), graphSyntax(false), arm} {
			n, eqs, err := parseFilter(src, syn)
			if err != nil {
				continue
			}
			for _, c := range n.conds {
				if !syn.timeFields[c.field] || !ops[c.op] {
					t.Fatalf("%q accepted with condition %+v", src, c)
				}
			}
			for k := range eqs {
				if !syn.eqFields[k] {
					t.Fatalf("%q accepted with eq on %s", src, k)
				}
			}
			if n.types != nil && !syn.eventTypes {
				t.Fatalf("%q accepted event types where there are none", src)
			}
		}
	})
}
