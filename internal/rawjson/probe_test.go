package rawjson

import (
	"encoding/json"
	"testing"
)

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

// Issue 17 item 5: the probe reads a duplicated key as encoding/json does, the last value.
func TestProbeDuplicateKeyTakesLast(t *testing.T) {
	rec := []byte(`{"eventName":"ListUsers","x":1,"EventName":"DeleteTrail"}`)
	var v struct{ EventName string }
	if err := json.Unmarshal(rec, &v); err != nil {
		t.Fatal(err)
	}
	p := NewProbe(rec)
	if got, _ := p.String("eventName"); got != v.EventName {
		t.Errorf("probe reads eventName %q, the decoder %q", got, v.EventName)
	}
	if !p.HasDuplicateKey() || NewProbe([]byte(`{"a":1,"b":2}`)).HasDuplicateKey() {
		t.Error("HasDuplicateKey wrong")
	}
}
