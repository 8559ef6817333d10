package cloudtrail

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// Check tests listing mode's credentials and layout: it lists the trail's account and
// region prefixes (s3:ListBucket) and fails when there are none, the usual sign of a wrong
// bucket or prefix. SQS mode has nothing it can check without taking messages off the
// queue, so it checks only the bucket when one is configured. With trail_check on, every
// finding of the trail check (trail.go) is an error too; Check never repairs anything.
func (s *Source) Check(ctx context.Context) error {
	var errs []error
	bucketOK := true
	if err := s.checkListing(ctx); err != nil {
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			return err
		}
		errs, bucketOK = append(errs, err), false
	}
	if !s.cfg.TrailCheck {
		return errors.Join(errs...)
	}
	r := &inspection{}
	if s.trails != nil {
		if err := s.inspectTrail(ctx, r); err != nil {
			return err
		}
	}
	if bucketOK {
		if err := s.inspectBucket(ctx, r, r.view == nil || r.view.status == nil); err != nil {
			return err
		}
	}
	for _, f := range r.findings {
		errs = append(errs, fmt.Errorf("cloudtrail: %s: %s", f.Check, f))
	}
	return errors.Join(errs...)
}

func (s *Source) checkListing(ctx context.Context) error {
	if s.cfg.Bucket == "" {
		return nil
	}
	prefixes, err := s.discover(ctx)
	if err != nil {
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			return err
		}
		return fmt.Errorf("%w (the source needs %s)", err, strings.Join(s.Permissions(), ", "))
	}
	if len(prefixes) == 0 {
		root := strings.TrimSuffix(s.cfg.Prefix, "/")
		if root != "" {
			root += "/"
		}
		return fmt.Errorf("cloudtrail: no AWSLogs/[o-ORG/]ACCOUNT/CloudTrail/REGION/ folder under s3://%s/%sAWSLogs/: wrong bucket or prefix, or the trail has not delivered yet", s.cfg.Bucket, root)
	}
	return nil
}
