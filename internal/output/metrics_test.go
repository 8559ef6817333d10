package output_test

import (
	"context"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/vigil-sec/vigil/internal/output"
)

func TestCollector(t *testing.T) {
	st := openStore(t, t.TempDir())
	defer st.Close()
	q := output.NewQueue(st, &receiver{}, fast)
	if err := q.Send(context.Background(), alerts(0, 4)); err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(output.NewCollector(q))
	want := `# HELP vigil_output_queue_depth Alerts waiting for delivery.
# TYPE vigil_output_queue_depth gauge
vigil_output_queue_depth{output="test"} 4
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "vigil_output_queue_depth"); err != nil {
		t.Error(err)
	}
	if n, err := testutil.GatherAndCount(reg); err != nil || n != 5 {
		t.Errorf("%d series, %v", n, err)
	}
}
