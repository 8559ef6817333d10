package emulate

import (
	"crypto/md5"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"time"
)

// SQSOptions configure an SQS emulator.
type SQSOptions struct {
	// Account is the queues' owner in their URLs (default 111122223333).
	Account string
	// Queues are created at the start (more with CreateQueue).
	Queues []string
	// VisibilityTimeout is a queue's default (30 s, as SQS's).
	VisibilityTimeout time.Duration
	// MaxWait caps a long poll (default: the WaitTimeSeconds asked, up to SQS's 20 s).
	MaxWait time.Duration
}

// SQS is an SQS-compatible queue service on loopback, speaking the JSON protocol
// (X-Amz-Target: AmazonSQS.<Action>, application/x-amz-json-1.0) that aws-sdk-go-v2's SQS
// client sends: CreateQueue, GetQueueUrl, SendMessage, ReceiveMessage (long polls,
// visibility timeouts, a new receipt handle each delivery), DeleteMessage,
// DeleteMessageBatch, ChangeMessageVisibility and GetQueueAttributes. As SQS documents, a
// delete with an older delivery's receipt handle succeeds without deleting the message.
// Fault switches: duplicate deliveries, and visibility that runs out while an object a
// message announced is being read (with an S3 emulator that notifies it).
type SQS struct {
	o   SQSOptions
	srv *httptest.Server

	mu      sync.Mutex
	queues  map[string]*queue // by name
	wake    chan struct{}     // closed and replaced when a message becomes available
	dupes   int               // the next dupes deliveries are delivered again at once
	expires int               // the next expires object reads make their message visible
	stats   SQSStats
}

// SQSStats are what the queues did.
type SQSStats struct {
	Sent, Received, Deleted, Duplicated, Expired, StaleDeletes int
}

type queue struct {
	name    string
	vis     time.Duration
	msgs    []*message // in arrival order; deleted ones removed
	nextSeq int
}

type message struct {
	id, body       string
	sent           time.Time
	invisibleUntil time.Time
	receives       int
	receipt        string // the latest delivery's handle
}

// NewSQS starts the service.
func NewSQS(o SQSOptions) *SQS {
	if o.Account == "" {
		o.Account = "111122223333"
	}
	if o.VisibilityTimeout <= 0 {
		o.VisibilityTimeout = 30 * time.Second
	}
	if o.MaxWait <= 0 || o.MaxWait > 20*time.Second {
		o.MaxWait = 20 * time.Second
	}
	q := &SQS{o: o, queues: map[string]*queue{}, wake: make(chan struct{})}
	for _, n := range o.Queues {
		q.queues[n] = &queue{name: n, vis: o.VisibilityTimeout}
	}
	q.srv = httptest.NewServer(http.HandlerFunc(q.serve))
	return q
}

// URL is the service's endpoint (the client's BaseEndpoint).
func (q *SQS) URL() string { return q.srv.URL }

// QueueURL is a queue's URL.
func (q *SQS) QueueURL(name string) string { return q.srv.URL + "/" + q.o.Account + "/" + name }

// Close stops the service.
func (q *SQS) Close() { q.srv.Close() }

// Send puts a message on a queue (created if missing), as S3's notifications do.
func (q *SQS) Send(queueName, body string) string {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.sendLocked(q.queue(queueName), body)
}

func (q *SQS) queue(name string) *queue {
	qu := q.queues[name]
	if qu == nil {
		qu = &queue{name: name, vis: q.o.VisibilityTimeout}
		q.queues[name] = qu
	}
	return qu
}

func (q *SQS) sendLocked(qu *queue, body string) string {
	qu.nextSeq++
	id := fmt.Sprintf("%08x-%s-%d", qu.nextSeq, qu.name, time.Now().UnixNano()%1e6)
	qu.msgs = append(qu.msgs, &message{id: id, body: body, sent: time.Now()})
	q.stats.Sent++
	q.wakeLocked()
	return id
}

func (q *SQS) wakeLocked() {
	close(q.wake)
	q.wake = make(chan struct{})
}

// SetDuplicate makes the next n deliveries come again at once (SQS is at-least-once).
func (q *SQS) SetDuplicate(n int) { q.mu.Lock(); q.dupes = n; q.mu.Unlock() }

// SetExpireMidObject makes the next n object reads (announced by a message in flight)
// end that message's visibility, so it is delivered again while it is still being read.
func (q *SQS) SetExpireMidObject(n int) { q.mu.Lock(); q.expires = n; q.mu.Unlock() }

// Pending is how many messages a queue holds (visible or in flight).
func (q *SQS) Pending(queueName string) int {
	q.mu.Lock()
	defer q.mu.Unlock()
	if qu := q.queues[queueName]; qu != nil {
		return len(qu.msgs)
	}
	return 0
}

// Stats are the counts so far.
func (q *SQS) Stats() SQSStats { q.mu.Lock(); defer q.mu.Unlock(); return q.stats }

// objectRead is the S3 emulator's signal that key is being read: with the expiry fault on,
// the in-flight message that announced it becomes visible again.
func (q *SQS) objectRead(key string) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.expires <= 0 {
		return
	}
	now := time.Now()
	for _, qu := range q.queues {
		for _, m := range qu.msgs {
			if m.receives > 0 && now.Before(m.invisibleUntil) && strings.Contains(m.body, jsonKey(key)) {
				m.invisibleUntil = time.Time{}
				q.expires--
				q.stats.Expired++
				q.wakeLocked()
				return
			}
		}
	}
}

// jsonKey is key as it appears in a notification (URL-encoded, then JSON-quoted).
func jsonKey(key string) string {
	b, _ := json.Marshal(s3EventKey(key))
	return string(b)
}

type sqsRequest struct {
	QueueName           string
	QueueURL            string `json:"QueueUrl"`
	MessageBody         string
	MaxNumberOfMessages int
	VisibilityTimeout   *int
	WaitTimeSeconds     *int
	ReceiptHandle       string
	Entries             []struct{ ID, ReceiptHandle string } `json:"Entries"`
	Attributes          map[string]string
}

func (q *SQS) serve(w http.ResponseWriter, r *http.Request) {
	target, ok := strings.CutPrefix(r.Header.Get("X-Amz-Target"), "AmazonSQS.")
	if r.Method != http.MethodPost || !ok {
		sqsError(w, http.StatusBadRequest, "InvalidAction", "only the JSON protocol (X-Amz-Target: AmazonSQS.<Action>) is served")
		return
	}
	var in sqsRequest
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&in); err != nil {
		sqsError(w, http.StatusBadRequest, "InvalidParameterValue", "request body: "+err.Error())
		return
	}
	if target == "ReceiveMessage" {
		q.receive(w, r, in)
		return
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	switch target {
	case "CreateQueue":
		qu := q.queue(in.QueueName)
		if v, err := strconv.Atoi(in.Attributes["VisibilityTimeout"]); err == nil {
			qu.vis = time.Duration(v) * time.Second
		}
		sqsReply(w, map[string]string{"QueueUrl": q.QueueURL(in.QueueName)})
		return
	case "GetQueueUrl":
		if q.queues[in.QueueName] == nil {
			sqsError(w, http.StatusBadRequest, "QueueDoesNotExist", "The specified queue does not exist.")
			return
		}
		sqsReply(w, map[string]string{"QueueUrl": q.QueueURL(in.QueueName)})
		return
	}
	qu := q.byURL(in.QueueURL)
	if qu == nil {
		sqsError(w, http.StatusBadRequest, "QueueDoesNotExist", "The specified queue does not exist.")
		return
	}
	switch target {
	case "SendMessage":
		id := q.sendLocked(qu, in.MessageBody)
		sqsReply(w, map[string]string{"MessageId": id, "MD5OfMessageBody": md5Hex(in.MessageBody)})
	case "DeleteMessage":
		if err := q.deleteLocked(qu, in.ReceiptHandle); err != "" {
			sqsError(w, http.StatusBadRequest, "ReceiptHandleIsInvalid", err)
			return
		}
		sqsReply(w, map[string]string{})
	case "DeleteMessageBatch":
		var ok, failed []map[string]any
		for _, e := range in.Entries {
			if err := q.deleteLocked(qu, e.ReceiptHandle); err != "" {
				failed = append(failed, map[string]any{"Id": e.ID, "Code": "ReceiptHandleIsInvalid", "Message": err, "SenderFault": true})
				continue
			}
			ok = append(ok, map[string]any{"Id": e.ID})
		}
		sqsReply(w, map[string]any{"Successful": ok, "Failed": failed})
	case "ChangeMessageVisibility":
		m := qu.byReceipt(in.ReceiptHandle)
		if m == nil || m.receipt != in.ReceiptHandle {
			sqsError(w, http.StatusBadRequest, "ReceiptHandleIsInvalid", "The receipt handle is not the message's latest: it was delivered again or deleted.")
			return
		}
		if in.VisibilityTimeout == nil || *in.VisibilityTimeout < 0 || *in.VisibilityTimeout > 43200 {
			sqsError(w, http.StatusBadRequest, "InvalidParameterValue", "VisibilityTimeout must be 0 to 43200 seconds")
			return
		}
		m.invisibleUntil = time.Now().Add(time.Duration(*in.VisibilityTimeout) * time.Second)
		if *in.VisibilityTimeout == 0 {
			q.wakeLocked()
		}
		sqsReply(w, map[string]string{})
	case "GetQueueAttributes":
		visible, inFlight := 0, 0
		now := time.Now()
		for _, m := range qu.msgs {
			if now.Before(m.invisibleUntil) {
				inFlight++
			} else {
				visible++
			}
		}
		sqsReply(w, map[string]any{"Attributes": map[string]string{
			"ApproximateNumberOfMessages": strconv.Itoa(visible), "ApproximateNumberOfMessagesNotVisible": strconv.Itoa(inFlight),
			"VisibilityTimeout": strconv.Itoa(int(qu.vis / time.Second)),
		}})
	default:
		sqsError(w, http.StatusBadRequest, "InvalidAction", "the emulator does not serve "+target)
	}
}

func (q *SQS) byURL(u string) *queue {
	i := strings.LastIndex(u, "/")
	if i < 0 {
		return nil
	}
	return q.queues[u[i+1:]]
}

func (qu *queue) byReceipt(h string) *message {
	id, _, ok := strings.Cut(h, "#")
	if !ok {
		return nil
	}
	for _, m := range qu.msgs {
		if m.id == id {
			return m
		}
	}
	return nil
}

// deleteLocked deletes the message of receipt handle h; an older delivery's handle is
// accepted and deletes nothing, as SQS does.
func (q *SQS) deleteLocked(qu *queue, h string) string {
	id, _, ok := strings.Cut(h, "#")
	if !ok {
		return "The input receipt handle is not a valid receipt handle."
	}
	for i, m := range qu.msgs {
		if m.id != id {
			continue
		}
		if m.receipt != h {
			q.stats.StaleDeletes++
			return ""
		}
		qu.msgs = append(qu.msgs[:i], qu.msgs[i+1:]...)
		q.stats.Deleted++
		return ""
	}
	return "" // already deleted: SQS answers success
}

// receive answers ReceiveMessage, waiting up to WaitTimeSeconds for a message.
func (q *SQS) receive(w http.ResponseWriter, r *http.Request, in sqsRequest) {
	max := in.MaxNumberOfMessages
	if max == 0 {
		max = 1
	}
	if max < 1 || max > 10 {
		sqsError(w, http.StatusBadRequest, "InvalidParameterValue", "MaxNumberOfMessages must be 1 to 10")
		return
	}
	wait := time.Duration(0)
	if in.WaitTimeSeconds != nil {
		wait = min(time.Duration(*in.WaitTimeSeconds)*time.Second, q.o.MaxWait)
	}
	deadline := time.NewTimer(wait)
	defer deadline.Stop()
	for {
		q.mu.Lock()
		qu := q.byURL(in.QueueURL)
		if qu == nil {
			q.mu.Unlock()
			sqsError(w, http.StatusBadRequest, "QueueDoesNotExist", "The specified queue does not exist.")
			return
		}
		vis := qu.vis
		if in.VisibilityTimeout != nil {
			vis = time.Duration(*in.VisibilityTimeout) * time.Second
		}
		out, next := q.deliverLocked(qu, max, vis)
		wake := q.wake
		q.mu.Unlock()
		if len(out) > 0 {
			sqsReply(w, map[string]any{"Messages": out})
			return
		}
		back := time.Hour
		if !next.IsZero() { // an invisible message comes back before the deadline
			back = time.Until(next)
		}
		t := time.NewTimer(back)
		select {
		case <-wake:
		case <-t.C:
		case <-deadline.C:
			t.Stop()
			sqsReply(w, map[string]any{"Messages": []any{}})
			return
		case <-r.Context().Done():
			t.Stop()
			return
		}
		t.Stop()
	}
}

// deliverLocked takes up to max visible messages; next is when the first invisible one
// becomes visible.
func (q *SQS) deliverLocked(qu *queue, max int, vis time.Duration) (out []map[string]any, next time.Time) {
	now := time.Now()
	for _, m := range qu.msgs {
		if now.Before(m.invisibleUntil) {
			if next.IsZero() || m.invisibleUntil.Before(next) {
				next = m.invisibleUntil
			}
			continue
		}
		if len(out) == max {
			break
		}
		m.receives++
		m.receipt = m.id + "#" + strconv.Itoa(m.receives) + "#" + randomHex(8)
		m.invisibleUntil = now.Add(vis)
		if q.dupes > 0 {
			q.dupes--
			q.stats.Duplicated++
			m.invisibleUntil = time.Time{} // delivered again to the next receive
		}
		q.stats.Received++
		out = append(out, map[string]any{
			"MessageId": m.id, "ReceiptHandle": m.receipt, "Body": m.body, "MD5OfBody": md5Hex(m.body),
			"Attributes": map[string]string{
				"ApproximateReceiveCount": strconv.Itoa(m.receives),
				"SentTimestamp":           strconv.FormatInt(m.sent.UnixMilli(), 10),
			},
		})
	}
	return out, next
}

func md5Hex(s string) string {
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func sqsReply(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	json.NewEncoder(w).Encode(v)
}

func sqsError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	w.Header().Set("X-Amzn-Query-Error", code+";Sender")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"__type": "com.amazonaws.sqs#" + code, "message": msg})
}
