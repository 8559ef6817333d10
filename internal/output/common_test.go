package output_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/vigil-sec/vigil/internal/alert"
	"github.com/vigil-sec/vigil/internal/config"
	"github.com/vigil-sec/vigil/internal/output"
)

func TestFilter(t *testing.T) {
	a := alert.Alert{ID: "x", Score: 60, Severity: alert.SeverityHigh,
		Rule: alert.Rule{ID: "login.failed/spray", Kind: alert.KindBehavior}}
	for _, c := range []struct {
		name string
		f    output.Common
		want bool
	}{
		{"empty", output.Common{}, true},
		{"score met", output.Common{MinScore: 60}, true},
		{"score below", output.Common{MinScore: 61}, false},
		{"severity", output.Common{Severities: []string{"critical", "HIGH"}}, true},
		{"other severity", output.Common{Severities: []string{"critical"}}, false},
		{"kind", output.Common{RuleKinds: []string{"behavior"}}, true},
		{"other kind", output.Common{RuleKinds: []string{"sigma"}}, false},
		{"category from rule id", output.Common{Categories: []string{"login.failed"}}, true},
		{"other category", output.Common{Categories: []string{"role.assign"}}, false},
	} {
		if got := c.f.Match(a); got != c.want {
			t.Errorf("%s: Match = %v, want %v", c.name, got, c.want)
		}
	}
	a.Details = map[string]any{"category": "role.assign"}
	if !(output.Common{Categories: []string{"role.assign"}}).Match(a) {
		t.Error("details category not used")
	}
}

func TestCommonValidate(t *testing.T) {
	err := output.Common{MinScore: 101, Severities: []string{"urgent"}, RuleKinds: []string{"ml"},
		TimeOffset: config.Duration(25 * time.Hour)}.Validate()
	for _, key := range []string{"min_score:", "severities[0]:", "rule_kinds[0]:", "time_offset:"} {
		if err == nil || !strings.Contains(err.Error(), key) {
			t.Errorf("error %v does not name %s", err, key)
		}
	}
	if err := (output.Common{MinScore: 50, Severities: []string{"high"}}).Validate(); err != nil {
		t.Error(err)
	}
}

// capture is a Sender that keeps the alerts it was given.
type capture struct{ got chan []alert.Alert }

func (c capture) Name() string { return "capture" }
func (c capture) Deliver(_ context.Context, as []alert.Alert) error {
	c.got <- as
	return nil
}

func TestTimeOffsetAndFilterInQueue(t *testing.T) {
	ctx := context.Background()
	st := openStore(t, t.TempDir())
	defer st.Close()
	c := capture{got: make(chan []alert.Alert, 10)}
	q := output.NewQueue(st, c, output.QueueOptions{Filter: output.Common{MinScore: 40, TimeOffset: config.Duration(-2 * time.Hour)}})
	in := alerts(0, 2)
	in[0].Score = 10 // filtered out
	if err := q.Send(ctx, in); err != nil {
		t.Fatal(err)
	}
	stop := run(t, q)
	defer stop()
	select {
	case got := <-c.got:
		if len(got) != 1 || got[0].ID != in[1].ID || !got[0].Time.Equal(in[1].Time.Add(-2*time.Hour)) {
			t.Fatalf("delivered %+v", got)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("nothing delivered")
	}
}
