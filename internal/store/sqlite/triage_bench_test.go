package sqlite

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/vigil-sec/vigil/internal/alert"
	"github.com/vigil-sec/vigil/internal/event"
	"github.com/vigil-sec/vigil/internal/store/storetest"
	"github.com/vigil-sec/vigil/internal/triage"
)

// BenchmarkTriage10M measures the triage summary of one alert against a store of 10
// million events: 30 days of 10,000 identities, plus one workload identity doing 2% of
// everything. It builds the store once (minutes: run it alone, with -bench Triage10M).
// The bulk history goes in as index rows through SQL, pointing at one real block: triage
// reads index rows, and decompresses only the evidence and the directory events, which
// are appended through Append. VIGIL_TRIAGE_EVENTS sets another size.
func BenchmarkTriage10M(b *testing.B) {
	if testing.Short() {
		b.Skip("builds a 10-million-event store")
	}
	total := 10_000_000
	if v, err := strconv.Atoi(os.Getenv("VIGIL_TRIAGE_EVENTS")); err == nil && v > 0 {
		total = v
	}
	ctx := context.Background()
	s, err := Open(ctx, b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	const identities, span = 10000, 30 * 24 * time.Hour
	end := storetest.Base.Add(span)
	// The real events: evidence of the two alerts, a sign-in before each, a group given.
	var real []*event.Event
	mkReal := func(uid, who string, at time.Time, cat event.Category, op, country string) *event.Event {
		ev := storetest.Event(uid, 0, who, cat)
		ev.SetTime(at)
		ev.API.Operation = op
		ev.SrcEndpoint.Location = &event.Location{Country: country}
		real = append(real, ev)
		return ev
	}
	for _, who := range []string{"user42@corp.example", "svc-heavy@corp.example"} {
		mkReal("login-"+who, who, end.Add(-2*time.Hour), event.CategoryLogin, "", "DE")
		for i := range 5 {
			mkReal(fmt.Sprintf("ev-%s-%d", who, i), who, end.Add(-time.Hour+time.Duration(i)*time.Second), event.CategoryResourceCreate, "op3", "DE")
		}
		g := mkReal("grp-"+who, "admin@corp.example", end.Add(-3*time.Hour), event.CategoryGroupMemberAdd, "Add member to group", "US")
		g.User, g.Group = &event.User{Name: who}, &event.Group{Name: "Admins"}
	}
	if _, err := s.Append(ctx, "real", real, nil); err != nil {
		b.Fatal(err)
	}
	var blockLen int
	if err := s.db.QueryRowContext(ctx, `SELECT len FROM events LIMIT 1`).Scan(&blockLen); err != nil {
		b.Fatal(err)
	}
	started := time.Now()
	step := span.Milliseconds() / int64(total)
	const chunk = 1_000_000
	for from := 0; from < total; from += chunk {
		to := min(from+chunk, total)
		if _, err := s.db.ExecContext(ctx, `WITH RECURSIVE n(i) AS (SELECT ? UNION ALL SELECT i + 1 FROM n WHERE i + 1 < ?)
			INSERT INTO events (source, uid, time, class_uid, category, entity_type, entity_name, block, off, len,
				operation, service, ip, country, asn, account, region, user_agent, app, mfa, status, rgroup, auth, resource, target)
			SELECT 'bulk', 'b' || i, ? + i * ?, 6003,
				CASE WHEN i % 20 = 0 THEN 'login' ELSE 'resource.read' END,
				'user', CASE WHEN i % 50 = 0 THEN 'svc-heavy@corp.example' ELSE 'user' || (i % ?) || '@corp.example' END,
				1, 0, ?,
				'op' || (i % 37), 'svc' || (i % 7), '10.' || (i % 200) || '.' || (i % 13) || '.1',
				CASE WHEN i % 97 = 0 THEN 'GB' ELSE 'US' END, CAST(64500 + i % 11 AS TEXT), 'acct' || (i % 5), 'eu-west-1',
				'agent/' || (i % 17), '', CASE WHEN i % 3 = 0 THEN 'true' ELSE 'false' END, 'Success',
				'rg' || (i % 23), 'oauth', 'res' || (i % 301), ''
			FROM n`, from, to, storetest.Base.UnixMilli(), step, identities, blockLen); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := s.db.ExecContext(ctx, `ANALYZE`); err != nil {
		b.Fatal(err)
	}
	b.Logf("built %d events in %s", total+len(real), time.Since(started).Round(time.Second))
	// cold: the first alert on the identity in a while (nothing kept); burst: one alert a
	// minute on it, as a VM burst or a spray raises them (the week read once, then the
	// minutes since).
	for _, mode := range []string{"cold", "burst"} {
		for _, who := range []string{"user42@corp.example", "svc-heavy@corp.example"} {
			cfg := triage.Config{CacheRows: -1}
			if mode == "burst" {
				cfg = triage.Config{}
			}
			tr := triage.New(s, cfg, nil)
			a := alert.Alert{ID: "a-" + who, Time: end.Add(-time.Hour + 4*time.Second), Entity: event.UserEntity(who)}
			for i := range 5 {
				a.EventUIDs = append(a.EventUIDs, fmt.Sprintf("ev-%s-%d", who, i))
			}
			b.Run(mode+"/"+who, func(b *testing.B) {
				times := make([]time.Duration, 0, b.N)
				var sum triage.Summary
				at := a
				for b.Loop() {
					t := time.Now()
					if sum, err = tr.Summarize(ctx, at); err != nil {
						b.Fatal(err)
					}
					times = append(times, time.Since(t))
					if mode == "burst" {
						at.Time = at.Time.Add(time.Minute)
					}
				}
				if len(sum.Memberships) != 1 || (mode == "cold" && !sum.UnusualSignIn) {
					b.Fatalf("summary does not answer: %+v", sum)
				}
				sort.Slice(times, func(i, j int) bool { return times[i] < times[j] })
				b.ReportMetric(float64(times[len(times)*95/100].Nanoseconds()), "p95-ns")
				b.ReportMetric(float64(sum.Events), "history-events")
			})
		}
	}
}
