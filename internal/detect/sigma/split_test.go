package sigma

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/vigil-sec/vigil/internal/alert"
	"github.com/vigil-sec/vigil/internal/detect"
	"github.com/vigil-sec/vigil/internal/detect/detecttest"
	"github.com/vigil-sec/vigil/internal/event"
	"github.com/vigil-sec/vigil/internal/normalize"
	"github.com/vigil-sec/vigil/internal/normalize/formats"
	"github.com/vigil-sec/vigil/rules"
)

func alertIDs(as []alert.Alert) []string {
	ids := make([]string, 0, len(as))
	for _, a := range as {
		ids = append(ids, a.ID)
	}
	sort.Strings(ids)
	return ids
}

// TestArrivalAndOrderedAreDetector: the pack's single-event rules on arrival plus its
// correlations in event-time order raise exactly the alerts one Detector raises, over
// every case of the pack's test scripts and over one stream of all their records with the
// example logs; the arrival half raises the same in any order of events.
func TestArrivalAndOrderedAreDetector(t *testing.T) {
	rs, errs := Load(rules.FS(), ".", Options{})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	scripts, _ := filepath.Glob(filepath.Join("..", "..", "..", "rules", "testdata", "*.test"))
	if len(scripts) == 0 {
		t.Fatal("no rule pack scripts")
	}
	ctx := context.Background()
	var stream [][]byte
	kinds := map[alert.Kind]int{}
	for _, s := range scripts {
		data, err := os.ReadFile(s)
		if err != nil {
			t.Fatal(err)
		}
		cases, err := detecttest.Parse(s, data)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cases {
			stream = append(stream, c.Records...)
			whole, err := c.Run(ctx, rs.Detector())
			if err != nil {
				t.Fatalf("%s %s: %v", s, c.Name, err)
			}
			split, err := c.Run(ctx, detect.Fanout{rs.ArrivalDetector(), rs.OrderedDetector()})
			if err != nil {
				t.Fatalf("%s %s: %v", s, c.Name, err)
			}
			if w, g := alertIDs(whole), alertIDs(split); !slices.Equal(w, g) {
				t.Errorf("%s %q: arrival+ordered raised %v, Detector %v", filepath.Base(s), c.Name, g, w)
			}
			for _, a := range whole {
				kinds[a.Rule.Kind]++
			}
		}
	}
	if kinds[alert.KindSigma] == 0 || kinds[alert.KindCorrelation] == 0 {
		t.Fatalf("the scripts should raise both kinds of alert: %v", kinds)
	}

	evs := normalizeAll(t, stream)
	files, _ := normalize.Files([]string{filepath.Join("..", "..", "..", "examples", "logs")})
	n := normalize.New(formats.All()...)
	for _, f := range files {
		n.StreamFile(ctx, f, nil, func(ev *event.Event) error {
			if !ev.IsUnparsed() {
				evs = append(evs, ev)
			}
			return nil
		})
	}
	sort.SliceStable(evs, func(i, j int) bool { return evs[i].Time < evs[j].Time })
	end := time.UnixMilli(evs[len(evs)-1].Time).Add(30 * 24 * time.Hour)
	run := func(d detect.Detector, evs []*event.Event) []alert.Alert {
		var out []alert.Alert
		emit := func(a alert.Alert) { out = append(out, a) }
		for _, ev := range evs {
			if err := d.Observe(ctx, ev, emit); err != nil {
				t.Fatal(err)
			}
		}
		d.Advance(ctx, end, emit)
		return out
	}
	whole := run(rs.Detector(), evs)
	arrival := run(rs.ArrivalDetector(), evs)
	ordered := run(rs.OrderedDetector(), evs)
	if w, g := alertIDs(whole), alertIDs(append(slices.Clip(arrival), ordered...)); !slices.Equal(w, g) {
		t.Errorf("stream of %d events: arrival+ordered raised %d alerts, Detector %d", len(evs), len(g), len(w))
	}
	for _, a := range arrival {
		if a.Rule.Kind == alert.KindCorrelation {
			t.Errorf("arrival raised correlation %s", a.Rule.ID)
		}
	}
	for _, a := range ordered {
		if a.Rule.Kind != alert.KindCorrelation {
			t.Errorf("ordered raised single-event %s", a.Rule.ID)
		}
	}
	if len(arrival) == 0 || len(ordered) == 0 {
		t.Errorf("stream: %d arrival and %d ordered alerts, want some of each", len(arrival), len(ordered))
	}
	reversed := slices.Clone(evs)
	slices.Reverse(reversed)
	if w, g := alertIDs(arrival), alertIDs(run(rs.ArrivalDetector(), reversed)); !slices.Equal(w, g) {
		t.Errorf("arrival in reverse order: %d alerts, in order %d", len(g), len(w))
	}
	t.Logf("stream of %d events: %d single-event and %d correlation alerts", len(evs), len(arrival), len(ordered))
}

func normalizeAll(t *testing.T, recs [][]byte) []*event.Event {
	t.Helper()
	n := normalize.New(formats.All()...)
	var evs []*event.Event
	for _, r := range recs {
		n.Record(context.Background(), r, func(ev *event.Event) error {
			if !ev.IsUnparsed() {
				evs = append(evs, ev)
			}
			return nil
		})
	}
	return evs
}

// TestSplitWithGeneratingCorrelation: a correlation with generate: true lets its base rule
// alert by itself too — on arrival — while the ordered half raises the correlation only.
func TestSplitWithGeneratingCorrelation(t *testing.T) {
	rules := baseRules + `---
title: brute force
id: 00000000-0000-4000-8000-0000000000d1
correlation:
  type: event_count
  rules: [failed_login]
  group-by: [userIdentity.userName]
  timespan: 10m
  condition: {gte: 3}
  generate: true
level: high
`
	parsed, errs := parseFile("c.yml", []byte(rules), Options{})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	rs := &RuleSet{}
	for _, r := range parsed {
		rs.add(r)
	}
	base := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	var evs []*event.Event
	for i := 0; i < 3; i++ {
		evs = append(evs, testEvent(i, []byte(`{"eventName":"ConsoleLogin","userIdentity":{"userName":"ann"},"responseElements":{"ConsoleLogin":"Failure"}}`),
			"ann", base.Add(time.Duration(i)*time.Minute)))
	}
	run := func(d detect.Detector) string {
		var out []alert.Alert
		emit := func(a alert.Alert) { out = append(out, a) }
		for _, ev := range evs {
			d.Observe(context.Background(), ev, emit)
		}
		d.Advance(context.Background(), base.Add(time.Hour), emit)
		return titles(out)
	}
	for _, tt := range []struct {
		d    detect.Detector
		want string
	}{
		{rs.Detector(), "failed login/0 failed login/0 failed login/0 brute force/3"},
		{rs.ArrivalDetector(), "failed login/0 failed login/0 failed login/0"},
		{rs.OrderedDetector(), "brute force/3"},
	} {
		if got := run(tt.d); got != tt.want {
			t.Errorf("%T: %q, want %q", tt.d, got, tt.want)
		}
	}
}
