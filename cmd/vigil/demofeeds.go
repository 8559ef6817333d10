package main

import (
	"context"
	"fmt"
	"io"
	stdlog "log"
	"log/slog"
	"net"
	"net/http"
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
	demoTrailName   = "vigil-demo-org-trail"
)

// Azure Monitor sends diagnostic records a minute or two after they happen.
const hubLatency = 90 * time.Second

// demoFeeds are the Event Hubs namespace, the trail's S3 bucket and its SQS queue, and
// what the simulation delivers to them as simulated time passes.
type demoFeeds struct {
	hubs     *emulate.EventHubs
	s3       *emulate.S3
	sqs      *emulate.SQS
	trailAPI *http.Server // the CloudTrail API the trail check asks
	trailURL string
	clock    emulate.Clock
	log      *slog.Logger

	hubRecs []sim.Record          // Azure Monitor diagnostic records, in time order
	objects []emulate.TrailObject // CloudTrail log files, in delivery order
	caFile  string                // the namespace's certificate, as a user keeps it in ca_file
	// nextHub and nextObj are the first record and object not delivered yet (run's own).
	nextHub, nextObj int
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
	// The trail behind the bucket, healthy, so the collector's trail check has a trail to
	// find and the console's sources page shows what it checked.
	api := emulate.NewCloudTrailAPI(emulate.CloudTrailAPIOptions{Clock: clock, Buckets: []string{demoTrailBucket}})
	api.PutTrail(emulate.TrailSpec{Name: demoTrailName, Bucket: demoTrailBucket, MultiRegion: true, GlobalEvents: true, Logging: true,
		Selectors: []emulate.TrailSelector{{ReadWriteType: "All", IncludeManagementEvents: &[]bool{true}[0]}}})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		f.close()
		return nil, fmt.Errorf("demo: cloudtrail api: %w", err)
	}
	f.trailURL = "http://" + ln.Addr().String()
	f.trailAPI = &http.Server{Handler: api, ReadHeaderTimeout: 10 * time.Second, ErrorLog: stdlog.New(io.Discard, "", 0)}
	go f.trailAPI.Serve(ln)
	return f, nil
}

func (f *demoFeeds) close() {
	if f.trailAPI != nil {
		f.trailAPI.Close()
	}
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

// run delivers, every tick of wall time, what simulated time has made due (deliverDue),
// until ctx ends.
func (f *demoFeeds) run(ctx context.Context) error {
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	for {
		if err := f.deliverDue(ctx); err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

// deliverDue delivers what simulated time has made due and the feeds have not delivered
// yet: the diagnostic records older than Azure Monitor's latency as {"records":[…]} bodies
// of up to 100, and the trail's log files whose delivery time has come. The first call
// delivers the whole history; the demo makes it before the collectors start, so the
// trail check finds the trail's deliveries already in the bucket, as on a real account.
func (f *demoFeeds) deliverDue(ctx context.Context) error {
	now := f.clock.Now()
	end := f.nextHub
	for end < len(f.hubRecs) && !f.hubRecs[end].Time.Add(hubLatency).After(now) {
		end++
	}
	if end > f.nextHub {
		if err := f.produce(ctx, f.hubRecs[f.nextHub:end], now); err != nil {
			return err
		}
		f.nextHub = end
	}
	for f.nextObj < len(f.objects) && !f.objects[f.nextObj].Deliver.After(now) {
		if err := f.s3.Put(demoTrailBucket, f.objects[f.nextObj].Key, f.objects[f.nextObj].Body); err != nil {
			return err
		}
		f.nextObj++
	}
	return nil
}

func (f *demoFeeds) produce(ctx context.Context, recs []sim.Record, at time.Time) error {
	bodies, err := emulate.HubBodies(recs, 100)
	if err != nil {
		return fmt.Errorf("demo: %w", err)
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
	cc.Bucket, cc.TrailName, cc.CloudTrailEndpoint = demoTrailBucket, demoTrailName, f.trailURL
	cs, err := cloudtrail.New(cc, cloudtrail.WithClock(f.clock.Now), cloudtrail.WithLogger(f.log))
	if err != nil {
		return nil, err
	}
	return []source.Source{hs, cs}, nil
}
