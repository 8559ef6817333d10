package cloudtrail

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/vigil-sec/vigil/internal/source"
)

// pass lists every account and region prefix from its cursor's late window on, emits
// each log file not done as one batch, sweeps delete_after, and ends with EndOfPoll.
func (s *Source) pass(ctx context.Context, cp *checkpoint, emit source.Emit) error {
	prefixes, err := s.discover(ctx)
	if err != nil {
		return err
	}
	var newest time.Time
	from := s.now().Add(-s.cfg.Backfill.D())
	for _, p := range prefixes {
		c := cp.cursor(p)
		after := c.start(p, from)
		if c.After == "" && c.Deleted == "" {
			c.Deleted = after
		}
		in := &s3.ListObjectsV2Input{Bucket: aws.String(s.cfg.Bucket), Prefix: aws.String(p), StartAfter: aws.String(after)}
		for {
			page, err := s.s3.ListObjectsV2(ctx, in)
			if err != nil {
				return fmt.Errorf("cloudtrail: list s3://%s/%s after %s: %w", s.cfg.Bucket, p, after, classify(err))
			}
			var keys []string
			for _, obj := range page.Contents {
				key := aws.ToString(obj.Key)
				if lm := aws.ToTime(obj.LastModified); lm.After(newest) {
					newest = lm
				}
				if logFile(key) && !c.isDone(p, key) {
					keys = append(keys, key)
				}
			}
			err = s.fetchOrdered(ctx, s.cfg.Bucket, keys, func(o *object) error {
				s.report(o)
				c.markDone(p, o.key)
				return emit(ctx, source.Batch{Stream: p, Records: o.records, Available: o.lastModified, Checkpoint: cp.encode()})
			})
			if err != nil {
				return err
			}
			if !aws.ToBool(page.IsTruncated) || page.NextContinuationToken == nil {
				break
			}
			in.ContinuationToken = page.NextContinuationToken
		}
		if s.cfg.DeleteAfter > 0 {
			if err := s.sweep(ctx, p, c); err != nil {
				return err
			}
		}
	}
	return emit(ctx, source.Batch{EndOfPoll: true, Watermark: newest, Checkpoint: cp.encode()})
}

// report logs what a reader of the store would otherwise not see: a truncated object
// (its readable records are kept) and the read-only records write_only dropped.
func (s *Source) report(o *object) {
	switch {
	case o.truncated != nil:
		s.log.Warn("cloudtrail: truncated log file: its readable records are kept, the rest is lost",
			"bucket", o.bucket, "key", o.key, "kept_bytes", recordBytes(o.records), "reads", o.rereads+1, "error", o.truncated)
	case o.rereads > 0:
		s.log.Info("cloudtrail: log file read cut short, whole when read again", "bucket", o.bucket, "key", o.key, "reads", o.rereads+1)
	}
	if o.dropped > 0 {
		s.log.Debug("cloudtrail: write_only dropped read-only records", "key", o.key, "dropped", o.dropped, "kept", o.events)
	}
}

func recordBytes(rs [][]byte) int {
	n := 0
	for _, r := range rs {
		n += len(r)
	}
	return n
}

// fetchOrdered gets up to workers objects at once and hands them to fn in the order of
// keys, so each checkpoint covers every key before it. It returns fn's or a fetch's first
// error once every fetch it started has ended.
func (s *Source) fetchOrdered(ctx context.Context, bucket string, keys []string, fn func(*object) error) error {
	if len(keys) == 0 {
		return nil
	}
	type result struct {
		o   *object
		err error
	}
	ctx, cancel := context.WithCancel(ctx)
	results := make([]chan result, len(keys))
	for i := range results {
		results[i] = make(chan result, 1)
	}
	slots := make(chan struct{}, s.cfg.Workers)
	var wg sync.WaitGroup
	defer func() { cancel(); wg.Wait() }() // cancel first: the launcher may wait for a slot
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i, key := range keys {
			select {
			case slots <- struct{}{}:
			case <-ctx.Done():
				for ; i < len(keys); i++ {
					results[i] <- result{err: ctx.Err()}
				}
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				o, err := s.fetch(ctx, bucket, key)
				results[i] <- result{o, err}
			}()
		}
	}()
	for i := range keys {
		r := <-results[i]
		<-slots
		if r.err != nil {
			return r.err
		}
		if err := fn(r.o); err != nil {
			return err
		}
	}
	return nil
}

// sweep deletes the prefix's log files older than delete_after that the listing has
// passed (from the first listing's start up to the late window before the cursor), so
// no object is deleted before it was read.
func (s *Source) sweep(ctx context.Context, p string, c *cursor) error {
	limit := c.start(p, time.Time{})
	cutoff := s.now().Add(-s.cfg.DeleteAfter.D())
	in := &s3.ListObjectsV2Input{Bucket: aws.String(s.cfg.Bucket), Prefix: aws.String(p), StartAfter: aws.String(c.Deleted)}
	for {
		page, err := s.s3.ListObjectsV2(ctx, in)
		if err != nil {
			return fmt.Errorf("cloudtrail: list s3://%s/%s for delete_after: %w", s.cfg.Bucket, p, classify(err))
		}
		for _, obj := range page.Contents {
			key := aws.ToString(obj.Key)
			if key > limit || key > c.After || !aws.ToTime(obj.LastModified).Before(cutoff) {
				return nil
			}
			if logFile(key) {
				if _, err := s.s3.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(s.cfg.Bucket), Key: aws.String(key)}); err != nil {
					return fmt.Errorf("cloudtrail: delete s3://%s/%s: %w", s.cfg.Bucket, key, classify(err))
				}
			}
			c.Deleted = key
		}
		if !aws.ToBool(page.IsTruncated) || page.NextContinuationToken == nil {
			return nil
		}
		in.ContinuationToken = page.NextContinuationToken
	}
}
