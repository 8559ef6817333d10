// Package cloudtrail collects AWS CloudTrail log files from a trail's S3 bucket: by
// listing AWSLogs/[o-ORG/]ACCOUNT/CloudTrail/REGION/YYYY/MM/DD/ with a cursor per prefix
// and a late window, or from the bucket's S3 event notifications on an SQS queue. Each
// object is one batch, its checkpoint moving (or its message deleted) only after the
// batch is stored.
package cloudtrail

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/vigil-sec/vigil/internal/source"
)

// Option configures New.
type Option func(*options)

type options struct {
	log  *slog.Logger
	http *http.Client
	now  func() time.Time
}

// WithLogger sets the logger.
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.log = l } }

// WithHTTPClient sets the HTTP client the AWS SDK uses (tests pass the emulator's).
func WithHTTPClient(c *http.Client) Option { return func(o *options) { o.http = c } }

// WithClock sets the clock the first listing's backfill and delete_after are read from.
func WithClock(now func() time.Time) Option { return func(o *options) { o.now = now } }

// Source reads one trail's log files. Run must not be called concurrently.
type Source struct {
	name string
	cfg  Config
	s3   objectStore
	sqs  queue
	// trails is the CloudTrail API; nil in restricted mode or with trail_check off.
	trails trailAPI
	watch  trailWatch
	log    *slog.Logger
	now    func() time.Time
	// heartbeat is how often a message's visibility is extended while it is read: a
	// third of the visibility timeout.
	heartbeat time.Duration
}

// New makes a source from a config; it loads the AWS configuration (environment and
// shared files, no network call).
func New(cfg Config, opts ...Option) (*Source, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("cloudtrail: %w", err)
	}
	o := options{log: slog.Default(), now: time.Now}
	for _, opt := range opts {
		opt(&o)
	}
	awsCfg, err := awsConfig(context.Background(), cfg, o.http, o.log)
	if err != nil {
		return nil, err
	}
	name := cfg.Name
	if name == "" {
		name = "cloudtrail-" + cfg.Bucket
		if cfg.QueueURL != "" {
			name = "cloudtrail-" + cfg.QueueURL[strings.LastIndex(cfg.QueueURL, "/")+1:]
		}
	}
	s := &Source{name: name, cfg: cfg, s3: newS3(awsCfg, cfg), trails: newTrailAPI(awsCfg, cfg),
		log: o.log.With("source", name), now: o.now, heartbeat: cfg.VisibilityTimeout.D() / 3}
	if cfg.QueueURL != "" {
		s.sqs = newSQS(awsCfg, cfg)
	}
	return s, nil
}

// Name is the configured source name.
func (s *Source) Name() string { return s.name }

// Run collects until ctx ends or a call fails (the supervisor restarts it from the
// stored checkpoint): in SQS mode from the queue, else by listing the bucket every
// poll_interval. The trail check runs beside it (trailwatch.go).
func (s *Source) Run(ctx context.Context, from []byte, emit source.Emit) error {
	stopWatch := s.startTrailWatch(ctx)
	defer stopWatch()
	if s.sqs != nil {
		return s.runQueue(ctx, emit)
	}
	cp, err := decodeCheckpoint(from, s.cfg.LateWindow.D())
	if err != nil {
		return err
	}
	for {
		start := time.Now()
		if err := s.pass(ctx, cp, emit); err != nil {
			return err
		}
		t := time.NewTimer(s.cfg.PollInterval.D() - time.Since(start))
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}

// Endpoints are the S3 (and SQS) endpoints the source calls.
func (s *Source) Endpoints() []string {
	var out []string
	switch {
	case s.cfg.Endpoint != "":
		out = append(out, s.cfg.Endpoint)
	case s.cfg.Bucket != "":
		out = append(out, "https://"+s.cfg.Bucket+".s3."+s.regionOr()+".amazonaws.com")
	default:
		out = append(out, "https://s3."+s.regionOr()+".amazonaws.com")
	}
	if s.cfg.QueueURL != "" {
		out = append(out, s.cfg.QueueURL)
	}
	if s.cfg.RoleARN != "" {
		out = append(out, "https://sts."+s.regionOr()+".amazonaws.com")
	}
	switch {
	case s.trails == nil:
	case s.cfg.CloudTrailEndpoint != "":
		out = append(out, s.cfg.CloudTrailEndpoint)
	default:
		out = append(out, "https://cloudtrail."+s.regionOr()+".amazonaws.com")
	}
	return out
}

func (s *Source) regionOr() string {
	if r := s.cfg.region(); r != "" {
		return r
	}
	return "us-east-1"
}

// Permissions are the IAM actions the configured mode needs (kms:Decrypt too when the
// trail encrypts with SSE-KMS). Restricted mode needs only the first two; the trail check
// adds the CloudTrail API's read actions, auto-configure its write actions.
func (s *Source) Permissions() []string {
	out := []string{"s3:GetObject"}
	if s.cfg.QueueURL == "" {
		out = append(out, "s3:ListBucket")
	} else {
		out = append(out, "sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility")
	}
	if s.cfg.DeleteAfter > 0 {
		out = append(out, "s3:DeleteObject")
	}
	if s.cfg.RoleARN != "" {
		out = append(out, "sts:AssumeRole")
	}
	return append(out, s.trailPermissions()...)
}

var (
	_ source.Source    = (*Source)(nil)
	_ source.Describer = (*Source)(nil)
	_ source.Checker   = (*Source)(nil)
)
