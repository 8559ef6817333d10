package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/vigil-sec/vigil/internal/config"
	"github.com/vigil-sec/vigil/internal/sim"
	"github.com/vigil-sec/vigil/internal/sim/emulate"
	"github.com/vigil-sec/vigil/internal/source"
	"github.com/vigil-sec/vigil/internal/source/cloudtrail"
	"github.com/vigil-sec/vigil/internal/source/eventhub"
)

// The demo's AWS side: the organisation trail's bucket and the queue its notifications go to.
const (
	demoTrailBucket = "vigil-demo-org-trail"
	demoTrailQueue  = "vigil-demo-cloudtrail"
	demoAWSKey      = "AKIAVIGILDEMO0000000"
)

// Azure Monitor sends diagnostic records a minute or two after they happen.
const hubLatency = 90 * time.Second

// demoFeeds are the Event Hubs namespace, the trail's S3 bucket and its SQS queue, and
// what the simulation delivers to them as simulated time passes.
type demoFeeds struct {
	hubs  *emulate.EventHubs
	s3    *emulate.S3
	sqs   *emulate.SQS
	clock emulate.Clock
	log   *slog.Logger

	hubRecs []sim.Record          // Azure Monitor diagnostic records, in time order
	objects []emulate.TrailObject // CloudTrail log files, in delivery order
	caFile  string                // the namespace's certificate, as a user keeps it in ca_file
}

// newDemoFeeds starts the emulators; dir keeps the namespace's certificate.
func newDemoFeeds(dir string, hubRecs, trail []sim.Record, clock emulate.Clock, seed uint64, log *slog.Logger) (*demoFeeds, error) {
	sort.SliceStable(hubRecs, func(i, j int) bool { return hubRecs[i].Time.Before(hubRecs[j].Time) })
	objs, err := emulate.TrailObjects(trail, seed)
	if err != nil {
		return nil, err
	}
	f := &demoFeeds{clock: clock, log: log, hubRecs: hubRecs, objects: objs}
	if f.hubs, err = emulate.NewEventHubs(emulate.EventHubsOptions{}); err != nil {
		return nil, err
	}
	f.caFile = filepath.Join(dir, "eventhubs-ca.pem")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		f.close()
		return nil, err
	}
	if err := os.WriteFile(f.caFile, f.hubs.CertPEM(), 0o600); err != nil {
		f.close()
		return nil, err
	}
	f.sqs = emulate.NewSQS(emulate.SQSOptions{Queues: []string{demoTrailQueue}})
	if f.s3, err = emulate.NewS3(emulate.S3Options{Clock: clock, Buckets: []string{demoTrailBucket}}); err != nil {
		f.close()
		return nil, err
	}
	f.s3.NotifyTo(demoTrailBucket, f.sqs, demoTrailQueue)
	return f, nil
}

func (f *demoFeeds) close() {
	if f.s3 != nil {
		f.s3.Close()
	}
	if f.sqs != nil {
		f.sqs.Close()
	}
	if f.hubs != nil {
		f.hubs.Close()
	}
}

// records is how many records the feeds will deliver in all.
func (f *demoFeeds) records() int {
	n := len(f.hubRecs)
	for _, o := range f.objects {
		n += len(o.IDs)
	}
	return n
}

// run delivers, every tick of wall time, what simulated time has made due: the diagnostic
// records older than Azure Monitor's latency as {"records":[…]} bodies of up to 100, and
// the trail's log files whose delivery time has come. The history is due at once.
func (f *demoFeeds) run(ctx context.Context) error {
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	hub, obj := 0, 0
	for {
		now := f.clock.Now()
		end := hub
		for end < len(f.hubRecs) && !f.hubRecs[end].Time.Add(hubLatency).After(now) {
			end++
		}
		if end > hub {
			if err := f.produce(ctx, f.hubRecs[hub:end], now); err != nil {
				return err
			}
			hub = end
		}
		for obj < len(f.objects) && !f.objects[obj].Deliver.After(now) {
			if err := f.s3.Put(demoTrailBucket, f.objects[obj].Key, f.objects[obj].Body); err != nil {
				return err
			}
			obj++
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

func (f *demoFeeds) produce(ctx context.Context, recs []sim.Record, at time.Time) error {
	var bodies [][]byte
	for i := 0; i < len(recs); i += 100 {
		raw := make([]json.RawMessage, 0, 100)
		for _, r := range recs[i:min(i+100, len(recs))] {
			raw = append(raw, r.JSON)
		}
		b, err := json.Marshal(map[string]any{"records": raw})
		if err != nil {
			return fmt.Errorf("demo: event hubs body: %w", err)
		}
		bodies = append(bodies, b)
	}
	for i := 0; i < len(bodies); i += 500 {
		if err := f.hubs.Produce(ctx, at, bodies[i:min(i+500, len(bodies))]...); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
	}
	return nil
}

// sources are the Event Hubs and CloudTrail (SQS mode) collectors, configured as a user
// would configure them for a real namespace and organisation trail.
func (f *demoFeeds) sources(backfill config.Duration) ([]source.Source, error) {
	hc := eventhub.DefaultConfig()
	hc.Name, hc.ConnectionString, hc.CAFile = "azure-eventhub", config.Secret(f.hubs.ConnectionString()), f.caFile
	hc.MaxWait = config.Duration(time.Second)
	hs, err := eventhub.New(hc, eventhub.WithDialer(f.hubs.Dial), eventhub.WithClock(f.clock.Now), eventhub.WithLogger(f.log))
	if err != nil {
		return nil, err
	}
	cc := cloudtrail.DefaultConfig()
	cc.Name, cc.QueueURL, cc.SQSEndpoint, cc.Endpoint = "aws-cloudtrail", f.sqs.QueueURL(demoTrailQueue), f.sqs.URL(), f.s3.URL()
	cc.Region, cc.PathStyle, cc.AccessKeyID, cc.SecretAccessKey = "us-east-1", true, demoAWSKey, config.Secret(randomToken())
	cc.VisibilityTimeout, cc.Backfill = config.Duration(30*time.Second), backfill
	cs, err := cloudtrail.New(cc, cloudtrail.WithClock(f.clock.Now), cloudtrail.WithLogger(f.log))
	if err != nil {
		return nil, err
	}
	return []source.Source{hs, cs}, nil
}
