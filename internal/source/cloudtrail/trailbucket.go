package cloudtrail

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"

	"github.com/vigil-sec/vigil/internal/alert"
)

// maxDeliveryPrefixes bounds the account and region folders the bucket check lists for the
// newest file when the CloudTrail API cannot say (restricted mode): two day-folder
// listings each, every trail_check_interval.
const maxDeliveryPrefixes = 200

// inspectBucket checks that the source can list the bucket's log folders and get a log
// file, and, when needDelivery (no trail status from the API), that the newest file is
// younger than delivery_max_age. SQS mode without a bucket has nothing to check here.
func (s *Source) inspectBucket(ctx context.Context, r *inspection, needDelivery bool) error {
	if s.cfg.Bucket == "" {
		return nil
	}
	prefixes, err := s.discover(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		r.add(CheckBucketReadable, "", alert.SeverityHigh,
			fmt.Sprintf("Vigil cannot list %sAWSLogs/: %s", s.where(), s3Reason(err)),
			fmt.Sprintf("grant s3:ListBucket on arn:aws:s3:::%s (docs/cloudtrail.md) and check the bucket and prefix", s.cfg.Bucket))
		return nil
	}
	if len(prefixes) == 0 {
		if !r.missing {
			r.add(CheckRecentDelivery, "", alert.SeverityMedium,
				fmt.Sprintf("there is no AWSLogs/[o-ORG/]ACCOUNT/CloudTrail/REGION/ folder under %s: no trail has delivered there", s.where()),
				"check the source's bucket and prefix against the trail's S3 bucket and key prefix")
		}
		return nil
	}
	var newestKey string
	var newest time.Time
	now := s.now().UTC()
	days := []string{now.Format("2006/01/02/"), now.Add(-24 * time.Hour).Format("2006/01/02/")}
	for i, p := range prefixes {
		if i == maxDeliveryPrefixes || (!needDelivery && newestKey != "") {
			break
		}
		for _, day := range days {
			key, lm, err := s.newestIn(ctx, p+day)
			if err != nil {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				r.add(CheckBucketReadable, "", alert.SeverityHigh,
					fmt.Sprintf("Vigil cannot list s3://%s/%s: %s", s.cfg.Bucket, p+day, s3Reason(err)),
					fmt.Sprintf("grant s3:ListBucket on arn:aws:s3:::%s for the whole AWSLogs/ prefix", s.cfg.Bucket))
				return nil
			}
			if key != "" && lm.After(newest) {
				newestKey, newest = key, lm
			}
			if key != "" {
				break // today's folder has files: yesterday's are older
			}
		}
	}
	maxAge := s.cfg.DeliveryMaxAge.D()
	switch {
	case needDelivery && maxAge > 0 && newestKey == "":
		r.add(CheckRecentDelivery, "", alert.SeverityMedium,
			fmt.Sprintf("no CloudTrail log file was delivered to %s today or yesterday (UTC)", s.where()),
			"check that the trail is logging and can write to the bucket (its bucket policy); a quiet account may deliver rarely, then raise delivery_max_age")
	case needDelivery && maxAge > 0 && now.Sub(newest) > maxAge:
		r.add(CheckRecentDelivery, "", alert.SeverityMedium,
			fmt.Sprintf("the newest CloudTrail log file in %s is from %s, %s ago (more than delivery_max_age %s)", s.where(), newest.Format(time.RFC3339), now.Sub(newest).Round(time.Minute), maxAge),
			"check that the trail is logging and can write to the bucket; a quiet account may deliver rarely, then raise delivery_max_age")
	}
	if newestKey == "" {
		return nil
	}
	obj, err := s.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(s.cfg.Bucket), Key: aws.String(newestKey)})
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		fix := fmt.Sprintf("grant s3:GetObject on arn:aws:s3:::%s/*", s.cfg.Bucket)
		if r.view != nil && aws.ToString(r.view.trail.KmsKeyId) != "" {
			fix += " and kms:Decrypt on " + aws.ToString(r.view.trail.KmsKeyId) + " (the trail encrypts with KMS)"
		} else {
			fix += " (and kms:Decrypt on the trail's key when it encrypts with SSE-KMS)"
		}
		r.add(CheckBucketReadable, "", alert.SeverityHigh,
			fmt.Sprintf("Vigil cannot read s3://%s/%s: %s", s.cfg.Bucket, newestKey, s3Reason(err)), fix)
		return nil
	}
	_, _ = io.CopyN(io.Discard, obj.Body, 1)
	_ = obj.Body.Close()
	return nil
}

// newestIn is the newest log file directly in a day folder.
func (s *Source) newestIn(ctx context.Context, folder string) (string, time.Time, error) {
	var key string
	var newest time.Time
	in := &s3.ListObjectsV2Input{Bucket: aws.String(s.cfg.Bucket), Prefix: aws.String(folder)}
	for {
		page, err := s.s3.ListObjectsV2(ctx, in)
		if err != nil {
			return "", time.Time{}, err
		}
		for _, o := range page.Contents {
			if k := aws.ToString(o.Key); logFile(k) && !aws.ToTime(o.LastModified).Before(newest) {
				key, newest = k, aws.ToTime(o.LastModified)
			}
		}
		if !aws.ToBool(page.IsTruncated) || page.NextContinuationToken == nil {
			return key, newest, nil
		}
		in.ContinuationToken = page.NextContinuationToken
	}
}

// s3Reason is an S3 error in a few words: its code and message when it has them.
func s3Reason(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		switch ae.ErrorCode() {
		case "AccessDenied":
			return "access denied"
		case "NoSuchBucket":
			return "the bucket does not exist"
		}
		return ae.ErrorCode() + ": " + ae.ErrorMessage()
	}
	return err.Error()
}
