package console

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vigil-sec/vigil/internal/alert"
	"github.com/vigil-sec/vigil/internal/auth"
	"github.com/vigil-sec/vigil/internal/event"
	"github.com/vigil-sec/vigil/internal/normalize"
	"github.com/vigil-sec/vigil/internal/pipeline"
	"github.com/vigil-sec/vigil/internal/store"
	"github.com/vigil-sec/vigil/internal/store/sqlite"
)

// benchEvents and benchAlerts are the store's size in BenchmarkConsoleAt10M, spread over
// benchDays of event time ending at benchEnd.
const (
	benchEvents = 10_000_000
	benchAlerts = 100_000
	benchDays   = 30
)

var benchEnd = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)

// BenchmarkConsoleAt10M measures the overview, the alert list (unfiltered, by status and
// by severity) and the map with 10 million events and 100,000 alerts in the embedded
// store, and reports each one's p95. Building the store takes minutes: it runs only with
// -bench, and VIGIL_BENCH_DIR keeps the built store in a folder for the next run.
func BenchmarkConsoleAt10M(b *testing.B) {
	ctx := context.Background()
	dir := os.Getenv("VIGIL_BENCH_DIR")
	if dir == "" {
		dir = b.TempDir()
	}
	st, err := sqlite.Open(ctx, dir)
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	if err := fillBenchStore(ctx, b, st); err != nil {
		b.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	p, err := pipeline.New(pipeline.Options{Config: pipeline.DefaultConfig(), Store: st, Normalizer: normalize.New(), Metrics: pipeline.NewMetrics(reg)})
	if err != nil {
		b.Fatal(err)
	}
	svc := auth.New(auth.Options{Store: st})
	id, tok, err := svc.CreateToken(ctx, "bench"+strconv.Itoa(rand.IntN(1e9)), auth.Viewer, "bench")
	if err != nil {
		b.Fatal(err)
	}
	defer svc.DeleteToken(ctx, id)
	srv, err := New(Options{Auth: svc, Data: st, Health: p.Health(), Incidents: st, History: st, Gatherer: reg,
		Clock: func() time.Time { return benchEnd }})
	if err != nil {
		b.Fatal(err)
	}
	for _, path := range []string{
		"/api/v1/overview",
		"/api/v1/alerts",
		"/api/v1/alerts?status=new",
		"/api/v1/alerts?severity=high",
		"/api/v1/alerts?status=acknowledged",
		"/api/v1/map",
	} {
		b.Run(strings.TrimPrefix(path, "/api/v1/"), func(b *testing.B) {
			var took []time.Duration
			for b.Loop() {
				req := httptest.NewRequest("GET", path, nil)
				req.Header.Set("Authorization", "Bearer "+tok)
				rec := httptest.NewRecorder()
				start := time.Now()
				srv.ServeHTTP(rec, req)
				took = append(took, time.Since(start))
				if rec.Code != http.StatusOK {
					b.Fatalf("%s: %d %s", path, rec.Code, rec.Body)
				}
			}
			sort.Slice(took, func(i, j int) bool { return took[i] < took[j] })
			b.ReportMetric(float64(took[len(took)*95/100].Microseconds())/1000, "p95-ms")
			b.ReportMetric(float64(took[len(took)/2].Microseconds())/1000, "p50-ms")
		})
	}
}

// fillBenchStore appends the benchmark's events and alerts unless the store has them.
func fillBenchStore(ctx context.Context, b *testing.B, st *sqlite.Store) error {
	if page, err := st.Alerts(ctx, storeAlertQuery1()); err != nil {
		return err
	} else if len(page.Alerts) > 0 {
		return nil
	}
	start := time.Now()
	rng := rand.New(rand.NewPCG(1, 2))
	span := int64(benchDays * 24 * time.Hour / time.Millisecond)
	t0 := benchEnd.UnixMilli() - span
	cats := []event.Category{event.CategoryLogin, event.CategoryLoginNonInteractive, event.CategoryLoginFailed, "api.read", "api.write"}
	countries := []string{"US", "DE", "GB", "FR", "NL", "IE", "IN", "JP", "BR", "CA", "AU", "SE"}
	const batch = 5000
	lat, lon := 40.0, -3.0
	for n := 0; n < benchEvents; n += batch {
		evs := make([]*event.Event, batch)
		for i := range evs {
			k := n + i
			ev := &event.Event{ClassUID: 6003}
			ev.Time = t0 + span*int64(k)/benchEvents
			ev.Metadata.UID = "e" + strconv.Itoa(k)
			u := rng.IntN(5000)
			ev.Vigil.Entity = event.Entity{Type: event.EntityUser, Name: fmt.Sprintf("user%04d@contoso.com", u)}
			ev.Vigil.Category = cats[rng.IntN(len(cats))]
			ev.API.Operation = "Op" + strconv.Itoa(rng.IntN(40))
			ev.SrcEndpoint.IP = fmt.Sprintf("198.51.%d.%d", rng.IntN(80), rng.IntN(250))
			ev.SrcEndpoint.Location = &event.Location{Country: countries[rng.IntN(len(countries))], Lat: &lat, Long: &lon}
			evs[i] = ev
		}
		if _, err := st.Append(ctx, "bench", evs, nil); err != nil {
			return err
		}
		if n%(1_000_000) == 0 {
			b.Logf("%d events stored (%s)", n, time.Since(start).Round(time.Second))
		}
	}
	sevs := []alert.Severity{alert.SeverityInfo, alert.SeverityLow, alert.SeverityMedium, alert.SeverityHigh, alert.SeverityCritical}
	for n := 0; n < benchAlerts; n += 1000 {
		as := make([]alert.Alert, 1000)
		for i := range as {
			k := n + i
			tm := time.UnixMilli(t0 + span*int64(k)/benchAlerts).UTC()
			e := event.Entity{Type: event.EntityUser, Name: fmt.Sprintf("user%04d@contoso.com", rng.IntN(5000))}
			as[i] = alert.Alert{ID: "a" + strconv.Itoa(k), Time: tm, Title: "bench alert", Rule: alert.Rule{ID: "rule-" + strconv.Itoa(k%60), Kind: alert.KindSigma},
				Severity: sevs[rng.IntN(len(sevs))], Score: 50, Entity: e, EventUIDs: []string{"e" + strconv.Itoa(rng.IntN(benchEvents))}, Reason: "bench"}
		}
		if _, err := st.PutAlerts(ctx, as); err != nil {
			return err
		}
	}
	// One alert in a hundred acknowledged, one in fifty closed.
	for k := 0; k < benchAlerts; k += 100 {
		state := "acknowledged"
		if k%200 == 0 {
			state = "closed"
		}
		if err := st.SetStatus(ctx, "alert", "a"+strconv.Itoa(k), storeStatus(state)); err != nil {
			return err
		}
	}
	b.Logf("store built in %s", time.Since(start).Round(time.Second))
	return nil
}

func storeAlertQuery1() store.AlertQuery { return store.AlertQuery{Limit: 1} }

func storeStatus(state string) store.Status {
	return store.Status{State: state, By: "bench", At: benchEnd}
}
