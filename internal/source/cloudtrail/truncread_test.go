package cloudtrail

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/vigil-sec/vigil/internal/config"
	"github.com/vigil-sec/vigil/internal/sim/emulate"
)

// TestCutReadIsReadAgain: S3 answers some GETs with the first half of a whole log file,
// well framed (a gateway or cache that lost the end). The object is whole, so the
// collector must not settle for the readable part: in both modes every record of every
// file is emitted, and nothing is reported lost.
func TestCutReadIsReadAgain(t *testing.T) {
	keys, files := simTrail(t)
	keys = keys[:60]
	for _, mode := range []string{"listing", "sqs"} {
		t.Run(mode, func(t *testing.T) {
			st, err := emulate.NewS3(emulate.S3Options{Buckets: []string{testBucket}})
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			q := emulate.NewSQS(emulate.SQSOptions{Queues: []string{"trail"}, MaxWait: 200 * time.Millisecond})
			defer q.Close()
			cfg := DefaultConfig()
			cfg.Name, cfg.Endpoint, cfg.PathStyle, cfg.Region = "ct", st.URL(), true, "us-east-1"
			cfg.AccessKeyID, cfg.SecretAccessKey, cfg.TrailCheck = "AKIDTEST", "test-secret", false
			cfg.Backfill = config.Duration(3650 * 24 * time.Hour)
			c := &collector{}
			if mode == "sqs" {
				st.NotifyTo(testBucket, q, "trail")
				cfg.QueueURL, cfg.SQSEndpoint = q.QueueURL("trail"), q.URL()
				c.until = func() bool { return q.Pending("trail") == 0 }
			} else {
				cfg.Bucket = testBucket
			}
			for _, k := range keys {
				if err := st.Put(testBucket, k, files[k]); err != nil {
					t.Fatal(err)
				}
			}
			st.SetTruncateReads(5)
			var logs bytes.Buffer
			if err := c.run(t, newSource(t, cfg, slog.New(slog.NewTextHandler(&logs, nil))), 1); err != nil {
				t.Fatal(err)
			}
			if n := st.Stats().TruncatedReads; n != 5 {
				t.Fatalf("%d reads cut, want 5", n)
			}
			want, got := fileIDs(t, files, keys), c.eventIDs(t)
			for id := range want {
				if got[id] == 0 {
					t.Errorf("event %s of a file read cut once was never emitted", id)
				}
			}
			if strings.Contains(logs.String(), "the rest is lost") {
				t.Errorf("a whole file was reported truncated:\n%s", logs.String())
			}
		})
	}
}
