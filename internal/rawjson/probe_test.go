package rawjson

import "testing"

func TestProbeScan(t *testing.T) {
	rec := []byte(` {"eventName":"ListUsers", "n": 3, "o":{"a":"}"}} trailing`)
	var p Probe
	end := p.Scan(rec)
	if want := len(rec) - len(" trailing"); end != want {
		t.Errorf("Scan end %d, want %d", end, want)
	}
	if v, ok := p.String("EVENTNAME"); !ok || v != "ListUsers" {
		t.Errorf("String(eventName) = %q, %v", v, ok)
	}
	if v, isStr, ok := p.Lookup("o"); !ok || isStr || string(v) != `{"a":"}"}` {
		t.Errorf("Lookup(o) = %s, %v, %v", v, isStr, ok)
	}
	if got := p.KeyList(2); got != "eventName, n, … (3 keys)" {
		t.Errorf("KeyList = %q", got)
	}
	if p.Scan([]byte(`{"a":"unterminated`)) != -1 {
		t.Error("an object that does not close must give -1")
	}
}

func FuzzProbe(f *testing.F) {
	for _, s := range []string{`{"a":"b"}`, `{"a":[1,{"b":"}"}]}`, `{a:1}`, `{"a":"\"}`, `[]`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, rec []byte) {
		var p Probe
		end := p.Scan(rec)
		if end < -1 || end > len(rec) {
			t.Fatalf("Scan end %d outside [-1,%d]", end, len(rec))
		}
		for i := 0; i < p.Len(); i++ {
			_ = p.KeyList(i)
		}
	})
}
