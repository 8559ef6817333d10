package cloudtrail

import (
	"bytes"
	"errors"
	"log/slog"
	"path"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vigil-sec/vigil/internal/event"
	"github.com/vigil-sec/vigil/internal/normalize"
	"github.com/vigil-sec/vigil/internal/normalize/formats"
	"github.com/vigil-sec/vigil/internal/sim"
	"github.com/vigil-sec/vigil/internal/source"
)

// prefixOf is a log file's account and region prefix (the key less its day and name).
func prefixOf(key string) string {
	parts := strings.Split(key, "/")
	return strings.Join(parts[:len(parts)-4], "/") + "/"
}

// TestSimulatedTrailCollectedExactlyOnce uploads the simulator's trail in three steps —
// the first two days with one file held back, the held-back file (arriving late, behind
// its prefix's cursor), then the last day (a day rollover) — with a crash in between
// (a batch whose store failed), and checks that every record was emitted exactly once.
func TestSimulatedTrailCollectedExactlyOnce(t *testing.T) {
	keys, files := simTrail(t)
	if len(keys) < 20 {
		t.Fatalf("the simulator wrote %d CloudTrail files", len(keys))
	}
	cut := sim.DefaultEnd().Add(-24 * time.Hour)
	var early, lastDay []string
	for _, k := range keys {
		if kt, _ := keyTime(k); kt.Before(cut) {
			early = append(early, k)
		} else {
			lastDay = append(lastDay, k)
		}
	}
	late := ""
	for i := len(early) - 1; i > 0 && late == ""; i-- {
		a, b := early[i-1], early[i]
		ta, _ := keyTime(a)
		tb, _ := keyTime(b)
		if prefixOf(a) == prefixOf(b) && (i+1 == len(early) || prefixOf(early[i+1]) != prefixOf(b)) && tb.Sub(ta) < 50*time.Minute && tb.Sub(ta) > 0 {
			late = a
		}
	}
	if late == "" || len(lastDay) == 0 {
		t.Fatal("no file to hold back, or no last day")
	}
	f := newFakeS3(t)
	for _, k := range early {
		if k != late {
			f.put(t, k, files[k])
		}
	}
	c := &collector{}
	// The first start crashes on its 5th batch: that batch and its checkpoint are lost.
	c.failAt = 5
	if err := c.run(t, newSource(t, f.config(), nil), 1); !errors.Is(err, errStoreDown) {
		t.Fatalf("Run = %v, want the store's error", err)
	}
	c.failAt = 0
	for _, step := range []func(){
		func() {},
		func() { f.put(t, late, files[late]) },
		func() {
			for _, k := range lastDay {
				f.put(t, k, files[k])
			}
		},
	} {
		step()
		if err := c.run(t, newSource(t, f.config(), nil), 2); err != nil {
			t.Fatal(err)
		}
	}
	want := fileIDs(t, files, keys)
	got := c.eventIDs(t)
	for id, n := range want {
		if got[id] != n {
			t.Errorf("event %s emitted %d times, want %d", id, got[id], n)
		}
	}
	if len(got) != len(want) {
		t.Errorf("%d distinct events emitted, want %d", len(got), len(want))
	}
	if f.getsOf(late) != 1 {
		t.Errorf("the late file was read %d times, want once", f.getsOf(late))
	}
	var last source.Batch
	for _, b := range c.batches {
		if b.EndOfPoll {
			last = b
		}
	}
	if !last.Watermark.Equal(sim.DefaultEnd()) {
		t.Errorf("watermark %s, want the newest LastModified %s", last.Watermark, sim.DefaultEnd())
	}
}

func TestDigestsAndForeignKeysSkipped(t *testing.T) {
	keys, files := simTrail(t)
	f := newFakeS3(t)
	k0 := keys[0]
	f.put(t, k0, files[k0])
	dir := path.Dir(k0)
	acct := strings.Split(k0, "/")[1]
	digest := strings.Replace(dir, "/CloudTrail/", "/CloudTrail-Digest/", 1) + "/" + acct + "_CloudTrail-Digest_us-east-1_trail_us-east-1_20261031T000000Z.json.gz"
	foreign := []string{dir + "/notes.txt", dir + "/" + acct + "_CloudTrail_us-east-1_20261031T0000Z_Digest.json.gz", digest}
	for _, k := range foreign {
		f.put(t, k, files[k0])
	}
	c := &collector{}
	if err := c.run(t, newSource(t, f.config(), nil), 1); err != nil {
		t.Fatal(err)
	}
	for _, k := range foreign {
		if f.getsOf(k) != 0 {
			t.Errorf("%s was read", k)
		}
	}
	if f.getsOf(k0) != 1 || len(c.eventIDs(t)) == 0 {
		t.Errorf("the log file was read %d times, %d events", f.getsOf(k0), len(c.eventIDs(t)))
	}
}

// TestOrganisationAndControlTowerLayouts finds log files under AWSLogs/o-ORG/ACCOUNT/ and,
// with prefix o-ORG, Control Tower's o-ORG/AWSLogs/o-ORG/ACCOUNT/.
func TestOrganisationAndControlTowerLayouts(t *testing.T) {
	keys, files := simTrail(t)
	for _, prefix := range []string{"", "o-a1b2c3d4e5"} {
		f := newFakeS3(t)
		root := "AWSLogs/o-a1b2c3d4e5/"
		if prefix != "" {
			root = prefix + "/" + root
		}
		for _, k := range keys {
			f.put(t, root+strings.TrimPrefix(k, "AWSLogs/"), files[k])
		}
		cfg := f.config()
		cfg.Prefix = prefix
		c := &collector{}
		if err := c.run(t, newSource(t, cfg, nil), 1); err != nil {
			t.Fatal(err)
		}
		if got, want := len(c.eventIDs(t)), len(fileIDs(t, files, keys)); got != want {
			t.Errorf("prefix %q: %d events, want %d", prefix, got, want)
		}
	}
}

// TestTruncatedObjectReported stores a log file cut in half: it is read again, the same,
// then its batch carries what decompressed and the log names the key.
func TestTruncatedObjectReported(t *testing.T) {
	keys, files := simTrail(t)
	k := keys[0]
	for _, cand := range keys {
		if len(files[cand]) > len(files[k]) {
			k = cand
		}
	}
	f := newFakeS3(t)
	f.put(t, k, files[k][:len(files[k])/2])
	var logs bytes.Buffer
	c := &collector{}
	if err := c.run(t, newSource(t, f.config(), slog.New(slog.NewTextHandler(&logs, nil))), 1); err != nil {
		t.Fatal(err)
	}
	whole, _ := gunzip(files[k])
	var got []byte
	for _, b := range c.batches {
		for _, r := range b.Records {
			got = append(got, r...)
		}
	}
	if len(got) == 0 || !bytes.HasPrefix(whole, got) {
		t.Fatalf("emitted %d bytes of a truncated file; want a prefix of its %d", len(got), len(whole))
	}
	// The pipeline's normalizer salvages the whole records before the cut.
	parsed, unparsed := 0, 0
	if _, err := normalize.New(formats.All()...).Record(t.Context(), got, func(ev *event.Event) error {
		if ev.IsUnparsed() {
			unparsed++
		} else {
			parsed++
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if parsed == 0 || parsed >= len(idsOf(t, whole)) {
		t.Errorf("the normalizer kept %d of the %d records (and %d unparsed) of a file cut in half", parsed, len(idsOf(t, whole)), unparsed)
	}
	t.Logf("truncated file: %d of %d bytes, %d of %d records kept, %d unparsed", len(got), len(whole), parsed, len(idsOf(t, whole)), unparsed)
	if n := f.getsOf(k); n != 1+truncatedRereads {
		t.Errorf("the truncated file was read %d times, want %d (a cut read is read again)", n, 1+truncatedRereads)
	}
	if !strings.Contains(logs.String(), "truncated log file") || !strings.Contains(logs.String(), k) {
		t.Errorf("the truncated file was not reported: %s", logs.String())
	}
}

func TestSlowDownIsRetryAfter(t *testing.T) {
	f := newFakeS3(t)
	f.slowDown.Store(1)
	err := (&collector{}).run(t, newSource(t, f.config(), nil), 1)
	var ra *source.RetryAfter
	if !errors.As(err, &ra) || ra.Wait <= 0 {
		t.Fatalf("Run = %v, want a RetryAfter", err)
	}
}

// TestStoreFailureEndsRun fails the first batch while more fetches wait for a slot: Run
// returns the store's error (and every fetch it started has ended).
func TestStoreFailureEndsRun(t *testing.T) {
	keys, files := simTrail(t)
	f := newFakeS3(t)
	for _, k := range keys[:40] {
		f.put(t, k, files[k])
	}
	cfg := f.config()
	cfg.Workers = 2
	c := &collector{failAt: 1}
	if err := c.run(t, newSource(t, cfg, nil), 1); !errors.Is(err, errStoreDown) {
		t.Fatalf("Run = %v, want the store's error", err)
	}
}

// TestRestartsThroughSlowDown answers every 37th S3 request 503 SlowDown: each Run ends
// with a RetryAfter and the next starts from the stored checkpoint, like the supervisor's
// restarts. Once a pass completes, every record was emitted exactly once.
func TestRestartsThroughSlowDown(t *testing.T) {
	keys, files := simTrail(t)
	f := newFakeS3(t)
	for _, k := range keys {
		f.put(t, k, files[k])
	}
	f.slowEvery = 37
	c := &collector{}
	restarts := 0
	for ; restarts < 200; restarts++ {
		err := c.run(t, newSource(t, f.config(), nil), 1)
		if err == nil {
			break
		}
		var ra *source.RetryAfter
		if !errors.As(err, &ra) {
			t.Fatalf("Run = %v, want a RetryAfter", err)
		}
	}
	if restarts < 5 {
		t.Fatalf("only %d restarts: the fault did not bite", restarts)
	}
	want, got := fileIDs(t, files, keys), c.eventIDs(t)
	for id, n := range want {
		if got[id] != n {
			t.Errorf("event %s emitted %d times, want %d", id, got[id], n)
		}
	}
	if len(got) != len(want) {
		t.Errorf("%d distinct events, want %d", len(got), len(want))
	}
	t.Logf("%d restarts, %d events exactly once", restarts, len(got))
}

// TestConfiguredAccountsAndRegions reads only the configured account and region, without
// listing the others.
func TestConfiguredAccountsAndRegions(t *testing.T) {
	keys, files := simTrail(t)
	f := newFakeS3(t)
	for _, k := range keys {
		f.put(t, k, files[k])
	}
	parts := strings.Split(keys[len(keys)-1], "/")
	acct, region := parts[1], parts[3]
	cfg := f.config()
	cfg.Accounts, cfg.Regions = []string{acct}, []string{region}
	c := &collector{}
	if err := c.run(t, newSource(t, cfg, nil), 1); err != nil {
		t.Fatal(err)
	}
	var mine []string
	for _, k := range keys {
		if strings.HasPrefix(k, "AWSLogs/"+acct+"/CloudTrail/"+region+"/") {
			mine = append(mine, k)
		}
	}
	if len(mine) == len(keys) {
		t.Fatal("the trail has one account and region only: the filter is not tested")
	}
	if got, want := len(c.eventIDs(t)), len(fileIDs(t, files, mine)); got != want {
		t.Errorf("%d events, want the %d of %s/%s", got, want, acct, region)
	}
	for _, k := range keys {
		if f.getsOf(k) > 0 && !slices.Contains(mine, k) {
			t.Fatalf("%s read", k)
		}
	}
}
