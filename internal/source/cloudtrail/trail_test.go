package cloudtrail

import (
	"bytes"
	"compress/gzip"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vigil-sec/vigil/internal/config"
	"github.com/vigil-sec/vigil/internal/sim"
	"github.com/vigil-sec/vigil/internal/sim/emulate"
)

const trailAccount = "111122223333"

type fixedClock time.Time

func (c fixedClock) Now() time.Time { return time.Time(c) }

// trailEnv is a bucket with one fresh log file (gofakes3) and the CloudTrail API emulator,
// both on loopback; the source's clock (newSource) is an hour after the file was written.
type trailEnv struct {
	s3  *fakeS3
	api *emulate.CloudTrailAPI
	url string
	now time.Time
}

func newTrailEnv(t *testing.T) *trailEnv {
	t.Helper()
	e := &trailEnv{s3: newFakeS3(t), now: sim.DefaultEnd().Add(time.Hour)}
	e.api = emulate.NewCloudTrailAPI(emulate.CloudTrailAPIOptions{Account: trailAccount, Clock: fixedClock(e.now), Buckets: []string{testBucket}})
	e.url = startAPI(t, e.api)
	written := sim.DefaultEnd().UTC()
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(`{"Records":[]}`))
	zw.Close()
	e.s3.put(t, "AWSLogs/"+trailAccount+"/CloudTrail/us-east-1/"+written.Format("2006/01/02/")+
		trailAccount+"_CloudTrail_us-east-1_"+written.Format("20060102T1504Z")+"_a1b2.json.gz", gz.Bytes())
	return e
}

// startAPI serves the emulator on loopback and returns its URL.
func startAPI(t *testing.T, api *emulate.CloudTrailAPI) string {
	t.Helper()
	srv := httptest.NewServer(api)
	t.Cleanup(srv.Close)
	return srv.URL
}

func (e *trailEnv) config() Config {
	c := e.s3.config()
	c.TrailCheck, c.CloudTrailEndpoint = true, e.url
	return c
}

// healthy is a trail with nothing to find.
func healthy() emulate.TrailSpec {
	return emulate.TrailSpec{Name: "org", Bucket: testBucket, MultiRegion: true, GlobalEvents: true, Logging: true}
}

func yes() *bool { b := true; return &b }
func no() *bool  { b := false; return &b }

func checks(fs []Finding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Check)
	}
	slices.Sort(out)
	return out
}

func mustCheck(t *testing.T, s *Source) []Finding {
	t.Helper()
	fs, err := s.checkTrail(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return fs
}

func TestTrailHealthyHasNoFinding(t *testing.T) {
	e := newTrailEnv(t)
	e.api.PutTrail(healthy())
	src := newSource(t, e.config(), nil)
	if fs := mustCheck(t, src); len(fs) != 0 {
		t.Fatalf("findings on a healthy trail: %v", fs)
	}
	if err := src.Check(t.Context()); err != nil {
		t.Fatalf("Check = %v", err)
	}
	if calls := e.api.Calls(); calls["DescribeTrails"] != 2 || calls["GetTrailStatus"] != 2 || calls["GetEventSelectors"] != 2 || e.api.TotalCalls() != 6 {
		t.Fatalf("calls = %v, want only the three read calls, twice", calls)
	}
}

// misconfigurations are the trails the check must find fault with, each with the check it
// fails and words its finding must say; repairable ones auto-configure must mend.
var misconfigurations = []struct {
	name       string
	trail      func(*emulate.TrailSpec) // nil: no trail at all
	check      string
	says       string
	repairable bool
}{
	{"no trail", nil, CheckTrailExists, "no CloudTrail trail delivers to s3://trail-logs/", true},
	{"another prefix", func(t *emulate.TrailSpec) { t.Prefix = "org-logs" }, CheckTrailExists, `under the prefix "org-logs"`, false},
	{"logging off", func(t *emulate.TrailSpec) { t.Logging, t.StoppedAt = false, sim.DefaultEnd() }, CheckLogging, "is not logging since", true},
	{"delivery error", func(t *emulate.TrailSpec) {
		t.DeliveryError, t.LatestDelivery = "AccessDenied", sim.DefaultEnd()
	}, CheckDeliveryError, "cannot deliver trail org's files to s3://trail-logs/: AccessDenied", false},
	{"one region", func(t *emulate.TrailSpec) { t.MultiRegion = false }, CheckMultiRegion, "records only us-east-1", true},
	{"no global events", func(t *emulate.TrailSpec) { t.GlobalEvents = false }, CheckMultiRegion, "IAM, STS and sign-in", true},
	{"data events only", func(t *emulate.TrailSpec) {
		t.Selectors = []emulate.TrailSelector{{ReadWriteType: "All", IncludeManagementEvents: no(),
			DataResources: []emulate.TrailDataResource{{Type: "AWS::S3::Object", Values: []string{"arn:aws:s3:::secrets/"}}}}}
	}, CheckManagementEvents, "records no management events", true},
	{"read-only", func(t *emulate.TrailSpec) {
		t.Selectors = []emulate.TrailSelector{{ReadWriteType: "ReadOnly", IncludeManagementEvents: yes()}}
	}, CheckManagementEvents, "only read-only management events", true},
	{"advanced, data only", func(t *emulate.TrailSpec) {
		t.Advanced = []emulate.TrailAdvancedSelector{{Name: "s3", FieldSelectors: []emulate.TrailFieldSelector{
			{Field: "eventCategory", Equals: []string{"Data"}}, {Field: "resources.type", Equals: []string{"AWS::S3::Object"}}}}}
	}, CheckManagementEvents, "records no management events", true},
	{"advanced, write only", func(t *emulate.TrailSpec) {
		t.Advanced = []emulate.TrailAdvancedSelector{{Name: "w", FieldSelectors: []emulate.TrailFieldSelector{
			{Field: "eventCategory", Equals: []string{"Management"}}, {Field: "readOnly", Equals: []string{"false"}}}}}
	}, CheckManagementEvents, "only write management events", true},
	{"stale delivery", func(t *emulate.TrailSpec) { t.LatestDelivery = sim.DefaultEnd().Add(-2 * time.Hour) }, CheckRecentDelivery, "last delivered a file at", false},
}

func TestTrailMisconfigurationsAreFindings(t *testing.T) {
	for _, m := range misconfigurations {
		t.Run(m.name, func(t *testing.T) {
			e := newTrailEnv(t)
			if m.trail != nil {
				tr := healthy()
				m.trail(&tr)
				e.api.PutTrail(tr)
			}
			src := newSource(t, e.config(), nil)
			fs := mustCheck(t, src)
			if got := checks(fs); !slices.Equal(got, []string{m.check}) {
				t.Fatalf("findings %v, want only %s: %v", got, m.check, fs)
			}
			if !strings.Contains(fs[0].Problem, m.says) || fs[0].Fix == "" || fs[0].Since.IsZero() {
				t.Fatalf("finding %+v does not say %q with a fix", fs[0], m.says)
			}
			err := src.Check(t.Context())
			if err == nil || !strings.Contains(err.Error(), m.check+": "+fs[0].Problem) {
				t.Fatalf("Check = %v, want the finding", err)
			}
			if e.api.Calls()["CreateTrail"]+e.api.Calls()["UpdateTrail"]+e.api.Calls()["StartLogging"]+e.api.Calls()["PutEventSelectors"] != 0 {
				t.Fatalf("the check changed the trail without auto_configure: %v", e.api.Calls())
			}
		})
	}
}

func TestAutoConfigureRepairsEachMisconfiguration(t *testing.T) {
	for _, m := range misconfigurations {
		if !m.repairable {
			continue
		}
		t.Run(m.name, func(t *testing.T) {
			e := newTrailEnv(t)
			name := "vigil"
			if m.trail != nil {
				tr := healthy()
				m.trail(&tr)
				e.api.PutTrail(tr)
				name = tr.Name
			}
			cfg := e.config()
			cfg.AutoConfigure = true
			src := newSource(t, cfg, nil)
			if fs := mustCheck(t, src); len(fs) != 0 {
				t.Fatalf("after auto-configure: %v (calls %v)", fs, e.api.Calls())
			}
			tr, ok := e.api.Trail(name)
			if !ok || tr.Bucket != testBucket || !tr.MultiRegion || !tr.GlobalEvents || !tr.Logging {
				t.Fatalf("trail after repair: %+v (found %v)", tr, ok)
			}
			if m.name == "data events only" && (len(tr.Selectors) != 2 || len(tr.Selectors[0].DataResources) != 1) {
				t.Fatalf("the data event selector was not kept: %+v", tr.Selectors)
			}
			if m.name == "advanced, data only" && (len(tr.Advanced) != 2 || tr.Advanced[0].Name != "s3") {
				t.Fatalf("the data event selector was not kept: %+v", tr.Advanced)
			}
			writes := e.api.TotalCalls()
			if fs := mustCheck(t, src); len(fs) != 0 {
				t.Fatalf("re-check: %v", fs)
			}
			if c := e.api.Calls(); e.api.TotalCalls()-writes != 3 {
				t.Fatalf("the clean re-check made %d calls, want the 3 reads: %v", e.api.TotalCalls()-writes, c)
			}
		})
	}
}

func TestAutoConfigureWriteOnlySelectsWriteOnly(t *testing.T) {
	cases := map[string]func(*emulate.TrailSpec){
		"default selectors": func(*emulate.TrailSpec) {},
		"advanced all": func(t *emulate.TrailSpec) {
			t.Advanced = []emulate.TrailAdvancedSelector{{Name: "all", FieldSelectors: []emulate.TrailFieldSelector{{Field: "eventCategory", Equals: []string{"Management"}}}}}
		},
		"no trail": nil,
	}
	for name, mutate := range cases {
		t.Run(name, func(t *testing.T) {
			e := newTrailEnv(t)
			trail := "vigil"
			if mutate != nil {
				tr := healthy()
				mutate(&tr)
				e.api.PutTrail(tr)
				trail = tr.Name
			}
			cfg := e.config()
			cfg.AutoConfigure, cfg.WriteOnly = true, true
			src := newSource(t, cfg, nil)
			if fs := mustCheck(t, src); len(fs) != 0 {
				t.Fatalf("after auto-configure: %v", fs)
			}
			tr, _ := e.api.Trail(trail)
			switch {
			case len(tr.Advanced) > 0:
				fsel := tr.Advanced[len(tr.Advanced)-1].FieldSelectors
				if len(tr.Advanced) != 1 || len(fsel) != 2 || fsel[1].Field != "readOnly" || !slices.Equal(fsel[1].Equals, []string{"false"}) {
					t.Fatalf("advanced selectors: %+v", tr.Advanced)
				}
			case len(tr.Selectors) != 1 || tr.Selectors[0].ReadWriteType != "WriteOnly" || !*tr.Selectors[0].IncludeManagementEvents:
				t.Fatalf("selectors: %+v", tr.Selectors)
			}
		})
	}
}

// TestRestrictedNeverCallsCloudTrail runs a restricted source, its trail check included,
// with the CloudTrail endpoint set to an emulator that counts every request.
func TestRestrictedNeverCallsCloudTrail(t *testing.T) {
	e := newTrailEnv(t)
	e.api.PutTrail(healthy())
	cfg := e.config()
	cfg.Restricted = true
	cfg.DeliveryMaxAge = config.Duration(30 * time.Minute) // the bucket's newest file is an hour old
	src := newSource(t, cfg, nil)
	c := &collector{until: func() bool { return src.TrailChecks() > 0 }}
	if err := c.run(t, src, 2); err != nil {
		t.Fatal(err)
	}
	checkErr := src.Check(t.Context())
	if n := e.api.TotalCalls(); n != 0 {
		t.Fatalf("restricted mode made %d CloudTrail calls: %v", n, e.api.Calls())
	}
	fs := src.Findings()
	if got := checks(fs); !slices.Equal(got, []string{CheckRecentDelivery}) || !strings.Contains(fs[0].Problem, "the newest CloudTrail log file in s3://trail-logs/ is from") {
		t.Fatalf("restricted findings from the bucket alone: %v", fs)
	}
	if checkErr == nil || !strings.Contains(checkErr.Error(), "recent_delivery") {
		t.Fatalf("Check = %v", checkErr)
	}
	if slices.ContainsFunc(src.Permissions(), func(p string) bool { return strings.HasPrefix(p, "cloudtrail:") }) {
		t.Fatalf("restricted permissions name the CloudTrail API: %v", src.Permissions())
	}
}
