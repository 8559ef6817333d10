package cloudtrail

import (
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// fakeSQS speaks SQS's JSON protocol (what aws-sdk-go-v2 sends) on loopback for the three
// calls the collector makes, with fault switches: duplicate delivers every message a second
// time, and each ChangeMessageVisibility is signalled on extended.
type fakeSQS struct {
	srv      *httptest.Server
	mu       sync.Mutex
	msgs     map[string]*fakeMessage
	receipts map[string]*fakeMessage // every delivery's receipt handle
	order    []string
	next     int
	arrived  chan struct{}
	extended chan string

	duplicate bool
	// latestOnly accepts only a message's latest receipt handle for deletes and
	// extensions (SQS may refuse an older one once the message was delivered again).
	latestOnly bool
}

type fakeMessage struct {
	id, body       string
	invisibleUntil time.Time
	receives       int
	extensions     int
	deleted        bool
}

func newFakeSQS(t testing.TB) *fakeSQS {
	f := &fakeSQS{msgs: map[string]*fakeMessage{}, receipts: map[string]*fakeMessage{}, arrived: make(chan struct{}, 1), extended: make(chan string, 1024)}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeSQS) queueURL() string { return f.srv.URL + "/111122223333/cloudtrail-objects" }

func (f *fakeSQS) send(body string) {
	f.mu.Lock()
	f.next++
	id := fmt.Sprintf("m-%d", f.next)
	f.msgs[id] = &fakeMessage{id: id, body: body}
	f.order = append(f.order, id)
	f.mu.Unlock()
	select {
	case f.arrived <- struct{}{}:
	default:
	}
}

// undeleted are the messages not deleted yet.
func (f *fakeSQS) undeleted() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, id := range f.order {
		if !f.msgs[id].deleted {
			out = append(out, id)
		}
	}
	return out
}

// expire makes every undeleted message visible again, as its timeout running out would.
func (f *fakeSQS) expire() {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, m := range f.msgs {
		m.invisibleUntil = time.Time{}
	}
}

func (f *fakeSQS) serve(w http.ResponseWriter, r *http.Request) {
	var in struct {
		QueueURL            string `json:"QueueUrl"`
		MaxNumberOfMessages int
		VisibilityTimeout   int
		WaitTimeSeconds     int
		ReceiptHandle       string
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		f.fail(w, 400, "InvalidParameterValue", err.Error())
		return
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	switch r.Header.Get("X-Amz-Target") {
	case "AmazonSQS.ReceiveMessage":
		msgs := f.receive(in.MaxNumberOfMessages, time.Duration(in.VisibilityTimeout)*time.Second)
		if len(msgs) == 0 { // a long poll, kept short: wait for a message or 20ms
			select {
			case <-f.arrived:
			case <-time.After(20 * time.Millisecond):
			case <-r.Context().Done():
			}
			msgs = f.receive(in.MaxNumberOfMessages, time.Duration(in.VisibilityTimeout)*time.Second)
		}
		json.NewEncoder(w).Encode(map[string]any{"Messages": msgs})
	case "AmazonSQS.DeleteMessage":
		f.mu.Lock()
		m := f.byReceipt(in.ReceiptHandle)
		if m != nil {
			m.deleted = true
		}
		f.mu.Unlock()
		if m == nil {
			f.fail(w, 400, "ReceiptHandleIsInvalid", "no such receipt handle")
			return
		}
		w.Write([]byte("{}"))
	case "AmazonSQS.ChangeMessageVisibility":
		f.mu.Lock()
		m := f.byReceipt(in.ReceiptHandle)
		if m != nil {
			m.extensions++
			m.invisibleUntil = time.Now().Add(time.Duration(in.VisibilityTimeout) * time.Second)
		}
		f.mu.Unlock()
		if m == nil {
			f.fail(w, 400, "ReceiptHandleIsInvalid", "no such receipt handle")
			return
		}
		select {
		case f.extended <- m.id:
		default:
		}
		w.Write([]byte("{}"))
	default:
		f.fail(w, 400, "InvalidAction", r.Header.Get("X-Amz-Target"))
	}
}

// byReceipt finds a message by a receipt handle of any of its deliveries.
func (f *fakeSQS) byReceipt(h string) *fakeMessage {
	m := f.receipts[h]
	if m != nil && f.latestOnly && h != fmt.Sprintf("%s#%d", m.id, m.receives) {
		return nil
	}
	return m
}

func (f *fakeSQS) receive(max int, vis time.Duration) []map[string]string {
	f.mu.Lock()
	defer f.mu.Unlock()
	now := time.Now()
	var out []map[string]string
	for _, id := range f.order {
		m := f.msgs[id]
		if m.deleted || now.Before(m.invisibleUntil) || len(out) == max {
			continue
		}
		m.receives++
		m.invisibleUntil = now.Add(vis)
		if f.duplicate && m.receives == 1 {
			m.invisibleUntil = time.Time{} // delivered again at once, as SQS may
		}
		receipt := fmt.Sprintf("%s#%d", id, m.receives)
		f.receipts[receipt] = m
		sum := md5.Sum([]byte(m.body))
		out = append(out, map[string]string{
			"MessageId": id, "ReceiptHandle": receipt,
			"Body": m.body, "MD5OfBody": hex.EncodeToString(sum[:]),
		})
	}
	return out
}

func (f *fakeSQS) fail(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"__type": code, "message": msg})
}
