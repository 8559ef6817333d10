package detect_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"testing"
	"testing/fstest"
	"time"

	"github.com/vigil-sec/vigil/internal/alert"
	"github.com/vigil-sec/vigil/internal/detect"
	"github.com/vigil-sec/vigil/internal/detect/behavior"
	"github.com/vigil-sec/vigil/internal/detect/detecttest"
	"github.com/vigil-sec/vigil/internal/detect/sigma"
	"github.com/vigil-sec/vigil/internal/event"
	"github.com/vigil-sec/vigil/internal/normalize"
	"github.com/vigil-sec/vigil/internal/normalize/formats"
	"github.com/vigil-sec/vigil/rules"
)

// stream is the rule pack's test records and the example logs, in event-time order.
func stream(t *testing.T) []*event.Event {
	t.Helper()
	ctx := context.Background()
	n := normalize.New(formats.All()...)
	var evs []*event.Event
	keep := func(ev *event.Event) error {
		if !ev.IsUnparsed() {
			evs = append(evs, ev)
		}
		return nil
	}
	scripts, _ := filepath.Glob(filepath.Join("..", "..", "rules", "testdata", "*.test"))
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
			for _, r := range c.Records {
				n.Record(ctx, r, keep)
			}
		}
	}
	files, _ := normalize.Files([]string{filepath.Join("..", "..", "examples", "logs")})
	for _, f := range files {
		n.StreamFile(ctx, f, nil, keep)
	}
	sort.SliceStable(evs, func(i, j int) bool { return evs[i].Time < evs[j].Time })
	if len(evs) < 100 {
		t.Fatalf("%d events in the stream", len(evs))
	}
	return evs
}

// TestFanoutOrderChangesNoAlert: the behavioural detector sets each event's score, and no
// detector reads it (the Detector contract), so sigma before or after behavior in a Fanout
// raises the same alerts — even with a rule written against the score.
func TestFanoutOrderChangesNoAlert(t *testing.T) {
	evs := stream(t)
	pack, errs := sigma.Load(rules.FS(), ".", sigma.Options{})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	scored, errs := sigma.Load(fstest.MapFS{"score.yml": {Data: []byte(`title: scored
id: 00000000-0000-4000-8000-0000000000e1
logsource: {product: azure, service: signinlogs}
detection:
  s: {vigil.score|gte: 1}
  condition: s
level: low
`)}}, ".", sigma.Options{})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	if err := pack.Merge(scored); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	run := func(order func(s, b detect.Detector) detect.Fanout) []string {
		f := order(pack.Detector(), behavior.New(behavior.DefaultConfig()))
		var ids []string
		emit := func(a alert.Alert) { ids = append(ids, a.ID) }
		for _, ev := range evs {
			c := *ev // each run scores its own copy
			if err := f.Observe(ctx, &c, emit); err != nil {
				t.Fatal(err)
			}
		}
		f.Advance(ctx, time.UnixMilli(evs[len(evs)-1].Time).Add(30*24*time.Hour), emit)
		sort.Strings(ids)
		return ids
	}
	sigmaFirst := run(func(s, b detect.Detector) detect.Fanout { return detect.Fanout{s, b} })
	behaviorFirst := run(func(s, b detect.Detector) detect.Fanout { return detect.Fanout{b, s} })
	if !slices.Equal(sigmaFirst, behaviorFirst) {
		t.Errorf("sigma first: %d alerts; behavior first: %d", len(sigmaFirst), len(behaviorFirst))
	}
	if len(sigmaFirst) == 0 {
		t.Error("the stream raised nothing")
	}
	// No rule sees the score, whatever it is.
	d := pack.Detector()
	for _, ev := range evs {
		c := *ev
		c.Vigil.Score = 90
		d.Observe(ctx, &c, func(a alert.Alert) {
			if a.Title == "scored" {
				t.Fatalf("a rule read the score of %s", c.Metadata.UID)
			}
		})
	}
}
