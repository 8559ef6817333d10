package cloudtrail

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/vigil-sec/vigil/internal/config"
)

// Config is a `type: cloudtrail` source: the CloudTrail log files a trail delivers to an
// S3 bucket, found by listing the bucket or announced by S3 event notifications on SQS.
type Config struct {
	// Name and Type are the source list entry's own keys; Name becomes the source's name.
	Name string `yaml:"name"`
	Type string `yaml:"type"`

	// Bucket is the trail's bucket (listing mode needs it; SQS mode reads the bucket
	// each notification names).
	Bucket string `yaml:"bucket"`
	// Prefix is the trail's key prefix, before AWSLogs/ (a Control Tower bucket's
	// o-ORG, or the trail's S3KeyPrefix).
	Prefix string `yaml:"prefix"`
	// Accounts and Regions limit the listing; empty discovers them from the bucket.
	Accounts []string `yaml:"accounts"`
	Regions  []string `yaml:"regions"`
	// QueueURL switches to SQS mode: the queue receives the bucket's ObjectCreated
	// notifications (directly or through SNS).
	QueueURL string `yaml:"queue_url"`
	// Workers is how many objects are fetched at once.
	Workers int `yaml:"workers"`

	// Endpoint overrides the S3 endpoint (SQSEndpoint and STSEndpoint the others) for
	// S3-compatible stores, VPC endpoints and tests; PathStyle addresses the bucket in the
	// path rather than the host.
	Endpoint    string `yaml:"endpoint"`
	SQSEndpoint string `yaml:"sqs_endpoint"`
	STSEndpoint string `yaml:"sts_endpoint"`
	Region      string `yaml:"region"`
	PathStyle   bool   `yaml:"path_style"`

	// Static keys; with none, the AWS default chain (environment, shared files, web
	// identity, ECS or EC2 roles). RoleARN is assumed with those credentials.
	AccessKeyID     string        `yaml:"access_key_id"`
	SecretAccessKey config.Secret `yaml:"secret_access_key"`
	SessionToken    config.Secret `yaml:"session_token"`
	RoleARN         string        `yaml:"role_arn"`
	ExternalID      string        `yaml:"external_id"`

	// PollInterval is the time from one listing pass's start to the next.
	PollInterval config.Duration `yaml:"poll_interval"`
	// LateWindow is how far behind the newest key each listing starts again, for files
	// CloudTrail delivers out of order; the keys done within it are skipped.
	LateWindow config.Duration `yaml:"late_window"`
	// Backfill is how far back the first listing starts (no checkpoint yet).
	Backfill config.Duration `yaml:"backfill"`
	// VisibilityTimeout is what a message's visibility is extended to, again and again,
	// while its object is read (SQS mode).
	VisibilityTimeout config.Duration `yaml:"visibility_timeout"`

	// DeleteAfter deletes processed objects older than it (0, the default, keeps them).
	DeleteAfter config.Duration `yaml:"delete_after"`
	// Restricted makes only s3:ListBucket and s3:GetObject calls (no delete, never the
	// CloudTrail API).
	Restricted bool `yaml:"restricted"`
	// WriteOnly drops read-only events (readOnly true) before they are stored.
	WriteOnly bool `yaml:"write_only"`

	// TrailCheck checks, at start and every TrailCheckInterval, that a trail delivers to
	// the bucket, logs, covers every region and selects management events, and that the
	// bucket has fresh, readable files; each failure is a finding (trail.go). Restricted
	// mode checks only the bucket, never calling the CloudTrail API.
	TrailCheck         bool            `yaml:"trail_check"`
	TrailCheckInterval config.Duration `yaml:"trail_check_interval"`
	// DeliveryMaxAge is how old the newest delivery may be before it is a finding.
	DeliveryMaxAge config.Duration `yaml:"delivery_max_age"`
	// TrailName names the trail to check (and to create); empty finds the trail by its
	// bucket and prefix, and names a created one "vigil".
	TrailName string `yaml:"trail_name"`
	// AutoConfigure creates the trail when none delivers to the bucket, or repairs the one
	// found (multi-region, logging, management event selectors; write-only ones with
	// write_only).
	AutoConfigure bool `yaml:"auto_configure"`
	// CloudTrailEndpoint overrides the CloudTrail API endpoint (VPC endpoints, tests).
	CloudTrailEndpoint string `yaml:"cloudtrail_endpoint"`
}

// DefaultConfig returns the defaults: a listing pass a minute, an hour of late window
// (CloudTrail delivers within 5 to 15 minutes, out of order across its producers), a day
// of backfill, 8 objects fetched at once, a 5 minute visibility timeout, nothing deleted,
// the trail checked hourly and a delivery older than an hour reported.
func DefaultConfig() Config {
	return Config{
		Type:               "cloudtrail",
		Workers:            8,
		PollInterval:       config.Duration(60 * time.Second),
		LateWindow:         config.Duration(time.Hour),
		Backfill:           config.Duration(24 * time.Hour),
		VisibilityTimeout:  config.Duration(5 * time.Minute),
		TrailCheck:         true,
		TrailCheckInterval: config.Duration(time.Hour),
		DeliveryMaxAge:     config.Duration(time.Hour),
	}
}

var (
	accountRE = regexp.MustCompile(`^\d{12}$`)
	regionRE  = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-\d$`)
	bucketRE  = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)
	roleRE    = regexp.MustCompile(`^arn:aws[a-z-]*:iam::\d{12}:role/.+$`)
)

// Validate checks the settings; each error names its key.
func (c Config) Validate() error {
	var errs []error
	add := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	if c.Type != "" && c.Type != "cloudtrail" {
		add("type: %q is not cloudtrail", c.Type)
	}
	switch {
	case c.QueueURL == "" && c.Bucket == "":
		add("bucket: required (or queue_url for SQS mode)")
	case c.Bucket != "" && !bucketRE.MatchString(c.Bucket):
		add("bucket: %q is not an S3 bucket name", c.Bucket)
	}
	if c.QueueURL != "" {
		if u, err := url.Parse(c.QueueURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			add("queue_url: %q is not an SQS queue URL (https://sqs.REGION.amazonaws.com/ACCOUNT/QUEUE)", c.QueueURL)
		}
		if c.DeleteAfter > 0 {
			add("delete_after: not supported in SQS mode (use an S3 lifecycle rule)")
		}
	}
	if strings.HasPrefix(c.Prefix, "/") || strings.Contains(c.Prefix, "AWSLogs") {
		add("prefix: %q must be the part before AWSLogs/, without a leading /", c.Prefix)
	}
	for i, a := range c.Accounts {
		if !accountRE.MatchString(a) {
			add("accounts[%d]: %q is not a 12-digit account id", i, a)
		}
	}
	for i, r := range c.Regions {
		if !regionRE.MatchString(r) {
			add("regions[%d]: %q is not an AWS region", i, r)
		}
	}
	for key, e := range map[string]string{"endpoint": c.Endpoint, "sqs_endpoint": c.SQSEndpoint, "sts_endpoint": c.STSEndpoint, "cloudtrail_endpoint": c.CloudTrailEndpoint} {
		if e == "" {
			continue
		}
		if u, err := url.Parse(e); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			add("%s: %q is not an http(s) URL", key, e)
		}
	}
	if c.Region != "" && !regionRE.MatchString(c.Region) {
		add("region: %q is not an AWS region", c.Region)
	}
	if (c.AccessKeyID == "") != (c.SecretAccessKey == "") {
		add("secret_access_key: access_key_id and secret_access_key go together")
	}
	if c.RoleARN != "" && !roleRE.MatchString(c.RoleARN) {
		add("role_arn: %q is not an IAM role ARN", c.RoleARN)
	}
	if c.ExternalID != "" && c.RoleARN == "" {
		add("external_id: needs role_arn")
	}
	if c.PollInterval.D() <= 0 {
		add("poll_interval: must be positive")
	}
	if c.LateWindow.D() < 0 || c.LateWindow.D() > 24*time.Hour {
		add("late_window: must be between 0 and 24h")
	}
	if c.Backfill.D() < 0 {
		add("backfill: must not be negative")
	}
	if c.Workers < 1 || c.Workers > 256 {
		add("workers: must be between 1 and 256")
	}
	if c.VisibilityTimeout.D() < 10*time.Second || c.VisibilityTimeout.D() > 12*time.Hour {
		add("visibility_timeout: must be between 10s and 12h (SQS's limit)")
	}
	if c.DeleteAfter.D() < 0 {
		add("delete_after: must not be negative")
	}
	if c.Restricted && c.DeleteAfter > 0 {
		add("delete_after: restricted mode may only list and get objects")
	}
	errs = append(errs, c.validateTrail()...)
	return errors.Join(errs...)
}

var trailNameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{1,126}[A-Za-z0-9]$|^arn:aws[a-z-]*:cloudtrail:[a-z0-9-]+:\d{12}:trail/.+$`)

// validateTrail checks the trail check's and auto-configure's keys.
func (c Config) validateTrail() []error {
	var errs []error
	if c.TrailCheck && c.TrailCheckInterval.D() < time.Minute {
		errs = append(errs, errors.New("trail_check_interval: must be at least 1m"))
	}
	if c.DeliveryMaxAge.D() < 0 {
		errs = append(errs, errors.New("delivery_max_age: must not be negative (0 turns the delivery check off)"))
	}
	if c.TrailName != "" && !trailNameRE.MatchString(c.TrailName) {
		errs = append(errs, fmt.Errorf("trail_name: %q is not a trail name (3 to 128 letters, digits, . _ -) or trail ARN", c.TrailName))
	}
	if c.AutoConfigure {
		switch {
		case c.Restricted:
			errs = append(errs, errors.New("auto_configure: restricted mode never calls the CloudTrail API"))
		case !c.TrailCheck:
			errs = append(errs, errors.New("auto_configure: needs trail_check (it repairs what the check finds)"))
		case c.Bucket == "":
			errs = append(errs, errors.New("auto_configure: needs bucket (where a created trail delivers)"))
		}
	}
	return errs
}

// region is the configured region, or the one SDK clients use when none is given and the
// environment does not name one.
func (c Config) region() string {
	if c.Region != "" {
		return c.Region
	}
	if r, ok := queueRegion(c.QueueURL); ok {
		return r
	}
	return ""
}

// queueRegion reads the region from an AWS queue URL (https://sqs.REGION.amazonaws.com/…).
func queueRegion(q string) (string, bool) {
	u, err := url.Parse(q)
	if err != nil {
		return "", false
	}
	parts := strings.Split(u.Hostname(), ".")
	if len(parts) >= 4 && parts[0] == "sqs" && regionRE.MatchString(parts[1]) {
		return parts[1], true
	}
	return "", false
}
