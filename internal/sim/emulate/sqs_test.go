package emulate

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/smithy-go"
)

// sqsClient is aws-sdk-go-v2's SQS client pointed at the emulator.
func sqsClient(q *SQS) *sqs.Client {
	return sqs.New(sqs.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(q.URL()),
		Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""),
	})
}

func TestSQSDeliversWithVisibilityAndReceipts(t *testing.T) {
	q := NewSQS(SQSOptions{Queues: []string{"objects"}})
	defer q.Close()
	c, ctx := sqsClient(q), context.Background()
	url := aws.String(q.QueueURL("objects"))
	if _, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: url, MessageBody: aws.String("one")}); err != nil {
		t.Fatal(err)
	}
	first, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: url, MaxNumberOfMessages: 10, VisibilityTimeout: 30})
	if err != nil || len(first.Messages) != 1 || aws.ToString(first.Messages[0].Body) != "one" {
		t.Fatalf("receive: %v %+v", err, first)
	}
	// Invisible now: a short long-poll brings nothing.
	again, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: url, WaitTimeSeconds: 1})
	if err != nil || len(again.Messages) != 0 {
		t.Fatalf("an in-flight message was delivered again: %v %d", err, len(again.Messages))
	}
	// Visibility 0 brings it back with a new receipt handle; the old one deletes nothing.
	if _, err := c.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: url, ReceiptHandle: first.Messages[0].ReceiptHandle, VisibilityTimeout: 0}); err != nil {
		t.Fatal(err)
	}
	second, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: url, WaitTimeSeconds: 1})
	if err != nil || len(second.Messages) != 1 || aws.ToString(second.Messages[0].ReceiptHandle) == aws.ToString(first.Messages[0].ReceiptHandle) {
		t.Fatalf("second delivery: %v %+v", err, second)
	}
	if second.Messages[0].Attributes["ApproximateReceiveCount"] != "2" {
		t.Errorf("receive count %q, want 2", second.Messages[0].Attributes["ApproximateReceiveCount"])
	}
	if _, err := c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: url, ReceiptHandle: first.Messages[0].ReceiptHandle}); err != nil {
		t.Fatal(err)
	}
	if q.Pending("objects") != 1 || q.Stats().StaleDeletes != 1 {
		t.Fatalf("a stale receipt handle deleted the message: pending %d, %+v", q.Pending("objects"), q.Stats())
	}
	_, err = c.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: url, ReceiptHandle: first.Messages[0].ReceiptHandle, VisibilityTimeout: 60})
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "ReceiptHandleIsInvalid" {
		t.Fatalf("extending with a stale handle: %v, want ReceiptHandleIsInvalid", err)
	}
	if _, err := c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: url, ReceiptHandle: second.Messages[0].ReceiptHandle}); err != nil {
		t.Fatal(err)
	}
	if q.Pending("objects") != 0 {
		t.Fatal("the latest receipt handle did not delete the message")
	}
	_, err = c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(q.QueueURL("nope"))})
	if !errors.As(err, &ae) || ae.ErrorCode() != "QueueDoesNotExist" {
		t.Fatalf("unknown queue: %v", err)
	}
}

func TestSQSLongPollWakesOnSend(t *testing.T) {
	q := NewSQS(SQSOptions{Queues: []string{"objects"}})
	defer q.Close()
	c := sqsClient(q)
	got := make(chan int, 1)
	go func() {
		out, err := c.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{QueueUrl: aws.String(q.QueueURL("objects")), WaitTimeSeconds: 20})
		if err != nil {
			got <- -1
			return
		}
		got <- len(out.Messages)
	}()
	// Send until the waiting receive has taken one (it may not have arrived yet).
	deadline := time.After(10 * time.Second)
	q.Send("objects", "late")
	select {
	case n := <-got:
		if n != 1 {
			t.Fatalf("the long poll returned %d messages", n)
		}
	case <-deadline:
		t.Fatal("the long poll did not return when a message arrived")
	}
}

func TestSQSDuplicateFault(t *testing.T) {
	q := NewSQS(SQSOptions{Queues: []string{"objects"}})
	defer q.Close()
	c, ctx := sqsClient(q), context.Background()
	q.Send("objects", "dup")
	q.SetDuplicate(1)
	url := aws.String(q.QueueURL("objects"))
	a, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: url})
	if err != nil || len(a.Messages) != 1 {
		t.Fatal(err)
	}
	b, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: url})
	if err != nil || len(b.Messages) != 1 || aws.ToString(b.Messages[0].MessageId) != aws.ToString(a.Messages[0].MessageId) {
		t.Fatalf("the duplicate fault did not deliver the message twice: %v %+v", err, b)
	}
	if q.Stats().Duplicated != 1 {
		t.Fatalf("stats %+v", q.Stats())
	}
}
