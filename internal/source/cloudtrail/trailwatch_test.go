package cloudtrail

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigil-sec/vigil/internal/config"
	"github.com/vigil-sec/vigil/internal/sim"
	"github.com/vigil-sec/vigil/internal/sim/emulate"
)

// TestTrailAccessDeniedNamesThePermission: each read call the IAM policy lacks is a
// finding that names the action to grant; the bucket is still checked.
func TestTrailAccessDeniedNamesThePermission(t *testing.T) {
	for _, op := range []string{"DescribeTrails", "GetTrailStatus", "GetEventSelectors"} {
		t.Run(op, func(t *testing.T) {
			e := newTrailEnv(t)
			e.api.PutTrail(healthy())
			e.api.Deny(op)
			src := newSource(t, e.config(), nil)
			fs := mustCheck(t, src)
			if got := checks(fs); !slices.Equal(got, []string{CheckAPIAccess}) {
				t.Fatalf("findings %v: %v", got, fs)
			}
			if !strings.Contains(fs[0].Problem, "may not call cloudtrail:"+op) ||
				!strings.Contains(fs[0].Fix, "cloudtrail:DescribeTrails, cloudtrail:GetTrailStatus, cloudtrail:GetEventSelectors") {
				t.Fatalf("finding %+v", fs[0])
			}
			if logFileGets(e) != 1 {
				t.Fatal("the bucket's newest log file was not read")
			}
		})
	}
}

// logFileGets counts the GETs of log files the bucket answered.
func logFileGets(e *trailEnv) int {
	e.s3.mu.Lock()
	defer e.s3.mu.Unlock()
	n := 0
	for key, gets := range e.s3.gets {
		if logFile(key) {
			n += gets
		}
	}
	return n
}

// TestAutoConfigureFailureIsAFinding: a repair the policy does not allow leaves the
// problem's finding and adds one naming the write action.
func TestAutoConfigureFailureIsAFinding(t *testing.T) {
	e := newTrailEnv(t)
	tr := healthy()
	tr.Logging = false
	e.api.PutTrail(tr)
	e.api.Deny("StartLogging")
	cfg := e.config()
	cfg.AutoConfigure = true
	fs := mustCheck(t, newSource(t, cfg, nil))
	if got := checks(fs); !slices.Equal(got, []string{CheckAutoConfigure, CheckLogging}) {
		t.Fatalf("findings %v: %v", got, fs)
	}
	for _, f := range fs {
		if f.Check == CheckAutoConfigure && !strings.Contains(f.Problem, "auto-configure: Vigil may not call cloudtrail:StartLogging") {
			t.Fatalf("finding %+v", f)
		}
	}

	// A bucket whose policy does not let CloudTrail write: CreateTrail is refused.
	e = newTrailEnv(t)
	e.api = emulate.NewCloudTrailAPI(emulate.CloudTrailAPIOptions{Account: trailAccount, Buckets: []string{"another-bucket"}})
	srv := startAPI(t, e.api)
	cfg = e.config()
	cfg.AutoConfigure, cfg.CloudTrailEndpoint = true, srv
	fs = mustCheck(t, newSource(t, cfg, nil))
	if got := checks(fs); !slices.Equal(got, []string{CheckAutoConfigure, CheckTrailExists}) ||
		!strings.Contains(fs[0].Problem+fs[1].Problem, "InsufficientS3BucketPolicyException") {
		t.Fatalf("findings %v: %v", got, fs)
	}
}

// movingClock is a provider clock the test moves.
type movingClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *movingClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *movingClock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// TestSetupAlertsOnePerRunOfFailure: a finding is one alert whose id holds while the
// trail stays broken, is gone once it is mended, and comes back with a new id when it
// breaks again; stopping a trail is tagged T1562.008.
func TestSetupAlertsOnePerRunOfFailure(t *testing.T) {
	e := newTrailEnv(t)
	stopped := healthy()
	stopped.Logging = false
	e.api.PutTrail(stopped)
	clock := &movingClock{t: e.now}
	src, err := New(e.config(), WithLogger(slog.New(slog.DiscardHandler)), WithClock(clock.now))
	if err != nil {
		t.Fatal(err)
	}
	mustCheck(t, src)
	first := src.SetupAlerts()
	if len(first) != 1 || first[0].Rule.ID != "vigil-cloudtrail-logging" || !slices.Equal(first[0].Attack, []string{"T1562.008"}) ||
		!strings.Contains(first[0].Reason, "to fix: start it") || first[0].Entity.Name != "vigil/source/ct" || !first[0].Time.Equal(e.now) {
		t.Fatalf("alerts %+v", first)
	}
	clock.add(10 * time.Minute)
	mustCheck(t, src)
	if again := src.SetupAlerts(); len(again) != 1 || again[0].ID != first[0].ID {
		t.Fatalf("the same failure became a new alert: %+v", again)
	}
	e.api.PutTrail(healthy())
	mustCheck(t, src)
	if a := src.SetupAlerts(); len(a) != 0 {
		t.Fatalf("alerts after the trail was mended: %+v", a)
	}
	e.api.PutTrail(stopped)
	clock.add(10 * time.Minute)
	mustCheck(t, src)
	if a := src.SetupAlerts(); len(a) != 1 || a[0].ID == first[0].ID {
		t.Fatalf("a second stop: %+v", a)
	}
}

// TestTrailWatchRechecks: while running, the check repeats every trail_check_interval and
// sees the trail change; auto-configure mends a trail stopped between two checks.
func TestTrailWatchRechecks(t *testing.T) {
	e := newTrailEnv(t)
	e.api.PutTrail(healthy())
	cfg := e.config()
	cfg.AutoConfigure = true
	src := newSource(t, cfg, nil)
	src.cfg.TrailCheckInterval = config.Duration(10 * time.Millisecond) // Validate wants ≥ 1m; the test need not wait

	stop := src.startTrailWatch(t.Context())
	defer stop()
	waitFor(t, "a first check", func() bool { return src.TrailChecks() >= 1 })
	stopped := healthy()
	stopped.Logging, stopped.StoppedAt = false, sim.DefaultEnd()
	e.api.PutTrail(stopped)
	waitFor(t, "logging restarted by a later check", func() bool {
		tr, _ := e.api.Trail("org")
		return tr.Logging && e.api.Calls()["StartLogging"] == 1
	})
	n := src.TrailChecks()
	waitFor(t, "another check", func() bool { return src.TrailChecks() > n })
	if fs := src.Findings(); len(fs) != 0 {
		t.Fatalf("findings after the repair: %v", fs)
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	tick := time.NewTicker(2 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("no %s within 10s", what)
		}
		<-tick.C
	}
}

// TestBucketUnreadableIsAFinding: a bucket that lists but refuses GetObject, and one that
// does not exist, are findings naming what to grant or check.
func TestBucketUnreadableIsAFinding(t *testing.T) {
	e := newTrailEnv(t)
	e.api.PutTrail(healthy())
	target, _ := url.Parse(e.s3.srv.URL)
	proxy := httputil.NewSingleHostReverseProxy(target)
	deny := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && r.URL.Query().Get("list-type") == "" && strings.Count(r.URL.Path, "/") > 1 {
			w.Header().Set("Content-Type", "application/xml")
			w.WriteHeader(http.StatusForbidden)
			w.Write([]byte(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>`))
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	defer deny.Close()
	cfg := e.config()
	cfg.Endpoint = deny.URL
	fs := mustCheck(t, newSource(t, cfg, nil))
	if got := checks(fs); !slices.Equal(got, []string{CheckBucketReadable}) ||
		!strings.Contains(fs[0].Problem, "cannot read s3://trail-logs/AWSLogs/"+trailAccount) || !strings.Contains(fs[0].Fix, "s3:GetObject") {
		t.Fatalf("findings %v: %v", got, fs)
	}

	cfg = e.config()
	cfg.Bucket = "no-such-bucket"
	missing := healthy()
	missing.Bucket = "no-such-bucket"
	e.api.PutTrail(missing)
	fs = mustCheck(t, newSource(t, cfg, nil))
	if got := checks(fs); !slices.Equal(got, []string{CheckBucketReadable}) || !strings.Contains(fs[0].Problem, "the bucket does not exist") {
		t.Fatalf("findings %v: %v", got, fs)
	}
}

// TestTrailCheckLeavesWhatIsNotItsOwn: a trail on the bucket under another prefix is
// reported, not duplicated by auto-configure; SQS mode without a bucket has no trail to
// find and makes no CloudTrail call; two denied calls are two findings.
func TestTrailCheckLeavesWhatIsNotItsOwn(t *testing.T) {
	e := newTrailEnv(t)
	other := healthy()
	other.Prefix = "org-logs"
	e.api.PutTrail(other)
	cfg := e.config()
	cfg.AutoConfigure = true
	if fs := mustCheck(t, newSource(t, cfg, nil)); !slices.Equal(checks(fs), []string{CheckTrailExists}) {
		t.Fatalf("findings %v", fs)
	}
	if n := e.api.Calls()["CreateTrail"]; n != 0 {
		t.Fatalf("auto-configure created a second trail on the bucket (%d CreateTrail)", n)
	}

	queue := e.config()
	queue.Bucket, queue.QueueURL = "", "https://sqs.us-east-1.amazonaws.com/"+trailAccount+"/ct"
	src := newSource(t, queue, nil)
	before := e.api.TotalCalls()
	if fs := mustCheck(t, src); len(fs) != 0 {
		t.Fatalf("SQS mode without a bucket: %v", fs)
	}
	if err := src.Check(t.Context()); err != nil || e.api.TotalCalls() != before {
		t.Fatalf("Check = %v, %d CloudTrail calls", err, e.api.TotalCalls()-before)
	}
	if slices.ContainsFunc(src.Permissions(), func(p string) bool { return strings.HasPrefix(p, "cloudtrail:") }) {
		t.Fatalf("permissions %v", src.Permissions())
	}

	e.api.PutTrail(healthy())
	e.api.Deny("GetTrailStatus", "GetEventSelectors")
	src = newSource(t, e.config(), nil)
	mustCheck(t, src)
	if fs := src.Findings(); !slices.Equal(checks(fs), []string{CheckAPIAccess, CheckAPIAccess}) {
		t.Fatalf("findings %v", fs)
	}
	if a := src.SetupAlerts(); len(a) != 2 || a[0].ID == a[1].ID {
		t.Fatalf("alerts %+v", a)
	}
}
