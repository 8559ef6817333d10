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
// queue, so it checks only the bucket when one is configured.
func (s *Source) Check(ctx context.Context) error {
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
