package cloudtrail

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// object is one log file read: its records as the batch carries them and what the log
// says about it.
type object struct {
	bucket, key  string
	lastModified time.Time
	records      [][]byte
	events       int // records kept (write_only counts what is left)
	dropped      int // read-only records write_only dropped
	truncated    error
	rereads      int // reads after a first one whose gzip stream ended early
}

// truncatedRereads is how many more times a log file whose gzip stream ends early is
// read before what decompressed is taken for all there is. A body cut short on the way
// but framed as whole (a gateway, a cache) reads whole again; a stored truncated file
// reads the same.
const truncatedRereads = 2

// fetch gets and gunzips one log file. A body cut short in transit is an error (the
// supervisor retries). A truncated or corrupt gzip stream is read again up to
// truncatedRereads times; if it stays so, the stored object is cut: it keeps what
// decompressed from the longest read, and the reason is in truncated.
func (s *Source) fetch(ctx context.Context, bucket, key string) (*object, error) {
	o, err := s.fetchOnce(ctx, bucket, key)
	for i := 0; err == nil && o.truncated != nil && i < truncatedRereads; i++ {
		again, err := s.fetchOnce(ctx, bucket, key)
		if err != nil {
			return nil, err
		}
		if again.truncated == nil || recordBytes(again.records) > recordBytes(o.records) {
			o = again
		}
		o.rereads = i + 1
	}
	return o, err
}

// fetchOnce is one GET of a log file and its gunzipping.
func (s *Source) fetchOnce(ctx context.Context, bucket, key string) (*object, error) {
	out, err := s.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		return nil, fmt.Errorf("cloudtrail: get s3://%s/%s: %w", bucket, key, classify(err))
	}
	defer out.Body.Close()
	raw, err := io.ReadAll(out.Body)
	if err != nil {
		return nil, fmt.Errorf("cloudtrail: read s3://%s/%s: %w", bucket, key, err)
	}
	if n := aws.ToInt64(out.ContentLength); n > 0 && int64(len(raw)) < n {
		return nil, fmt.Errorf("cloudtrail: read s3://%s/%s: %d of %d bytes: %w", bucket, key, len(raw), n, io.ErrUnexpectedEOF)
	}
	o := &object{bucket: bucket, key: key, lastModified: aws.ToTime(out.LastModified)}
	doc := raw
	if len(raw) >= 2 && raw[0] == 0x1f && raw[1] == 0x8b {
		doc, o.truncated = gunzip(raw)
	}
	if s.cfg.WriteOnly {
		o.records, o.dropped, err = writeOnly(doc)
		o.events = len(o.records)
		if err != nil && o.truncated == nil {
			o.truncated = err
		}
		return o, nil
	}
	if len(doc) > 0 {
		o.records = [][]byte{doc}
	}
	return o, nil
}

// gunzip decompresses every member of a gzip stream, returning what decompressed before
// an error.
func gunzip(raw []byte) ([]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("gzip header: %w", err)
	}
	var buf bytes.Buffer
	buf.Grow(len(raw) * 8)
	if _, err := io.Copy(&buf, zr); err != nil {
		return buf.Bytes(), fmt.Errorf("gzip: %w after %d bytes", err, buf.Len())
	}
	return buf.Bytes(), nil
}

// writeOnly keeps the records of a {"Records":[…]} document whose readOnly is not true,
// each as its own record. A document cut short keeps every whole record before the cut
// and reports the cut.
func writeOnly(doc []byte) (kept [][]byte, dropped int, err error) {
	dec := json.NewDecoder(bytes.NewReader(doc))
	if err := seekRecords(dec); err != nil {
		return nil, 0, err
	}
	for dec.More() {
		var rec json.RawMessage
		if err := dec.Decode(&rec); err != nil {
			return kept, dropped, fmt.Errorf("record %d: %w", len(kept)+dropped+1, err)
		}
		if ro, ok := readOnlyOf(rec); ok && ro {
			dropped++
			continue
		}
		kept = append(kept, rec)
	}
	return kept, dropped, nil
}

// readOnlyOf is a record's readOnly field, when it has one.
func readOnlyOf(rec []byte) (readOnly, ok bool) {
	var probe struct {
		ReadOnly *bool `json:"readOnly"`
	}
	if json.Unmarshal(rec, &probe) != nil || probe.ReadOnly == nil {
		return false, false
	}
	return *probe.ReadOnly, true
}

// seekRecords moves dec into the Records array of the top-level object.
func seekRecords(dec *json.Decoder) error {
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return errors.New("not a {\"Records\":[…]} document")
	}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return err
		}
		if t == "Records" {
			if t, err := dec.Token(); err != nil || t != json.Delim('[') {
				return errors.New("the document's Records is not an array")
			}
			return nil
		}
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return err
		}
	}
	return errors.New("no Records array")
}
