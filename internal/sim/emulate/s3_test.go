package emulate

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"io"
	"regexp"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/smithy-go"

	"github.com/vigil-sec/vigil/internal/sim"
)

func s3Client(s *S3, retries int) *s3.Client {
	return s3.New(s3.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(s.URL()), UsePathStyle: true, RetryMaxAttempts: retries,
		Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""),
	})
}

func trailRecords(t testing.TB) []sim.Record {
	t.Helper()
	s, err := sim.New(sim.Config{Seed: 3, Users: 10, Days: 3})
	if err != nil {
		t.Fatal(err)
	}
	var recs []sim.Record
	s.Run(context.Background(), func(r sim.Record) error {
		if r.Kind == sim.KindCloudTrail {
			recs = append(recs, r)
		}
		return nil
	})
	if len(recs) < 50 {
		t.Fatalf("only %d CloudTrail records", len(recs))
	}
	return recs
}

func TestTrailObjectsLayout(t *testing.T) {
	recs := trailRecords(t)
	objs, err := TrailObjects(recs, 1)
	if err != nil {
		t.Fatal(err)
	}
	keyRE := regexp.MustCompile(`^AWSLogs/(\d{12})/CloudTrail/([a-z]{2}-[a-z]+-\d)/\d{4}/\d{2}/\d{2}/(\d{12})_CloudTrail_([a-z0-9-]+)_\d{8}T\d{4}Z_[A-Za-z0-9]{16}\.json\.gz$`)
	ids := 0
	for i, o := range objs {
		if m := keyRE.FindStringSubmatch(o.Key); m == nil || m[1] != m[3] || m[2] != m[4] {
			t.Fatalf("key %q is not the trail layout", o.Key)
		}
		if i > 0 && o.Deliver.Before(objs[i-1].Deliver) {
			t.Fatal("objects not in delivery order")
		}
		zr, err := gzip.NewReader(bytes.NewReader(o.Body))
		if err != nil {
			t.Fatal(err)
		}
		var doc struct{ Records []struct{ EventID string } }
		if err := json.NewDecoder(zr).Decode(&doc); err != nil || len(doc.Records) != len(o.IDs) {
			t.Fatalf("%s: %v, %d records for %d ids", o.Key, err, len(doc.Records), len(o.IDs))
		}
		ids += len(o.IDs)
	}
	if ids != len(recs) {
		t.Fatalf("%d ids in objects, %d records", ids, len(recs))
	}
}

func TestS3NotifiesSQSAndFaults(t *testing.T) {
	q := NewSQS(SQSOptions{Queues: []string{"trail"}})
	defer q.Close()
	st, err := NewS3(S3Options{Buckets: []string{"trail-logs"}})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	st.NotifyTo("trail-logs", q, "trail")
	objs, _ := TrailObjects(trailRecords(t), 1)
	ctx := context.Background()
	c := s3Client(st, 1)
	// An HTTP PUT notifies, as a direct Put does.
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("trail-logs"), Key: aws.String(objs[0].Key), Body: bytes.NewReader(objs[0].Body)}); err != nil {
		t.Fatal(err)
	}
	st.SetTruncate(1)
	if err := st.Put("trail-logs", objs[1].Key, objs[1].Body); err != nil {
		t.Fatal(err)
	}
	if got := st.Truncated(); len(got) != 1 || got[0] != objs[1].Key {
		t.Fatalf("truncated %v", got)
	}
	sc := sqsClient(q)
	out, err := sc.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(q.QueueURL("trail")), MaxNumberOfMessages: 10})
	if err != nil || len(out.Messages) != 2 {
		t.Fatalf("notifications: %v, %d", err, len(out.Messages))
	}
	var n struct {
		Records []struct {
			EventSource, EventName string
			S3                     struct{ Object struct{ Key string } } `json:"s3"`
		}
	}
	json.Unmarshal([]byte(aws.ToString(out.Messages[0].Body)), &n)
	if len(n.Records) != 1 || n.Records[0].EventSource != "aws:s3" || n.Records[0].EventName != "ObjectCreated:Put" || n.Records[0].S3.Object.Key != objs[0].Key {
		t.Fatalf("notification %s", aws.ToString(out.Messages[0].Body))
	}
	got, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("trail-logs"), Key: aws.String(objs[1].Key)})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(got.Body)
	zr, _ := gzip.NewReader(bytes.NewReader(body))
	if _, err := io.ReadAll(zr); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("the truncated object read without error: %v", err)
	}
	// The visibility fault: reading an announced object brings its message back.
	q.SetExpireMidObject(1)
	if _, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("trail-logs"), Key: aws.String(objs[0].Key)}); err != nil {
		t.Fatal(err)
	}
	again, err := sc.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(q.QueueURL("trail")), WaitTimeSeconds: 1})
	if err != nil || len(again.Messages) != 1 || aws.ToString(again.Messages[0].MessageId) != aws.ToString(out.Messages[0].MessageId) {
		t.Fatalf("after the expiry fault: %v %+v", err, again)
	}
	st.SetSlowDown(1)
	_, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("trail-logs"), Key: aws.String(objs[0].Key)})
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "SlowDown" {
		t.Fatalf("slow-down fault: %v", err)
	}
	if s := st.Stats(); s.SlowDowns != 1 {
		t.Fatalf("stats %+v", s)
	}
}

// TestS3TruncateReadsServesOnceCut: the cut-read fault answers one GET of an object with
// half of it, framed as a whole answer; the next GET of that object is whole, though the
// fault has a cut left (for another object).
func TestS3TruncateReadsServesOnceCut(t *testing.T) {
	st, err := NewS3(S3Options{Buckets: []string{"trail-logs"}})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	objs, _ := TrailObjects(trailRecords(t), 1)
	if err := st.Put("trail-logs", objs[0].Key, objs[0].Body); err != nil {
		t.Fatal(err)
	}
	c := s3Client(st, 1)
	read := func() ([]byte, int64) {
		t.Helper()
		out, err := c.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String("trail-logs"), Key: aws.String(objs[0].Key)})
		if err != nil {
			t.Fatal(err)
		}
		defer out.Body.Close()
		b, err := io.ReadAll(out.Body)
		if err != nil {
			t.Fatalf("the cut body is not well framed: %v", err)
		}
		return b, aws.ToInt64(out.ContentLength)
	}
	st.SetTruncateReads(2)
	cut, n := read()
	if len(cut) != len(objs[0].Body)/2 || n != int64(len(cut)) || !bytes.HasPrefix(objs[0].Body, cut) {
		t.Fatalf("cut read: %d bytes, Content-Length %d, of %d", len(cut), n, len(objs[0].Body))
	}
	if whole, _ := read(); !bytes.Equal(whole, objs[0].Body) {
		t.Fatalf("the read after the fault: %d bytes of %d", len(whole), len(objs[0].Body))
	}
	if s := st.Stats(); s.TruncatedReads != 1 || s.Gets != 2 {
		t.Fatalf("stats %+v", s)
	}
}
