package emulate

import (
	"bufio"
	"context"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Faults are switches that make data requests (Graph and ARM, not login) fail the ways
// the real services do. Counted faults apply to the next n data requests, in the order
// throttle, status, reset, truncate; slow applies to every request until cleared.
type Faults struct {
	mu         sync.Mutex
	throttle   int
	retryAfter time.Duration
	status     int
	statusN    int
	reset      int
	truncate   int
	slow       time.Duration
}

// SetThrottle makes the next n data requests 429 with Retry-After (whole seconds, ≥ 1).
func (f *Faults) SetThrottle(n int, retryAfter time.Duration) {
	f.mu.Lock()
	f.throttle, f.retryAfter = max(n, 0), retryAfter
	f.mu.Unlock()
}

// SetStatus makes the next n data requests answer code (500, 502, 503, 504 …) with the
// service's error body; 503 carries Retry-After: 5 as Graph's does.
func (f *Faults) SetStatus(code, n int) {
	f.mu.Lock()
	f.status, f.statusN = code, max(n, 0)
	f.mu.Unlock()
}

// SetReset makes the next n data requests end with a TCP reset and no answer.
func (f *Faults) SetReset(n int) {
	f.mu.Lock()
	f.reset = max(n, 0)
	f.mu.Unlock()
}

// SetTruncate makes the next n data answers stop halfway through their JSON body (the
// Content-Length promises the whole), then close the connection.
func (f *Faults) SetTruncate(n int) {
	f.mu.Lock()
	f.truncate = max(n, 0)
	f.mu.Unlock()
}

// SetSlow delays every data answer by d (wall time) until cleared; a client that gives up
// first sees its own timeout.
func (f *Faults) SetSlow(d time.Duration) {
	f.mu.Lock()
	f.slow = max(d, 0)
	f.mu.Unlock()
}

// Clear turns every fault off.
func (f *Faults) Clear() {
	f.mu.Lock()
	f.throttle, f.retryAfter, f.status, f.statusN, f.reset, f.truncate, f.slow = 0, 0, 0, 0, 0, 0, 0
	f.mu.Unlock()
}

type faultKind int

const (
	faultNone faultKind = iota
	faultThrottle
	faultStatus
	faultReset
	faultTruncate
)

// take consumes the next counted fault, if any, and reports the slow delay.
func (f *Faults) take() (kind faultKind, code int, retryAfter, slow time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	slow = f.slow
	switch {
	case f.throttle > 0:
		f.throttle--
		return faultThrottle, http.StatusTooManyRequests, f.retryAfter, slow
	case f.statusN > 0:
		f.statusN--
		return faultStatus, f.status, 0, slow
	case f.reset > 0:
		f.reset--
		return faultReset, 0, 0, slow
	case f.truncate > 0:
		f.truncate--
		return faultTruncate, 0, 0, slow
	}
	return faultNone, 0, 0, slow
}

// wait sleeps d unless ctx ends first; false when it ended.
func wait(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// resetConn takes the connection over and closes it with SO_LINGER 0, so the client
// reads a reset instead of an answer.
func resetConn(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		return
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		return
	}
	if nc, ok := underlying(conn).(*net.TCPConn); ok {
		_ = nc.SetLinger(0)
		_ = nc.Close()
	}
	_ = conn.Close()
}

// writeTruncated sends the status line, headers that promise the whole body, half of the
// body, and closes the connection.
func writeTruncated(w http.ResponseWriter, resp response) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		write(w, resp)
		return
	}
	conn, rw, err := hj.Hijack()
	if err != nil {
		return
	}
	defer conn.Close()
	writeRaw(rw.Writer, resp, len(resp.body)/2)
}

func writeRaw(bw *bufio.Writer, resp response, n int) {
	bw.WriteString("HTTP/1.1 " + strconv.Itoa(resp.status) + " " + http.StatusText(resp.status) + "\r\n")
	for k, vs := range resp.header {
		for _, v := range vs {
			bw.WriteString(k + ": " + v + "\r\n")
		}
	}
	bw.WriteString("Content-Length: " + strconv.Itoa(len(resp.body)) + "\r\nConnection: close\r\n\r\n")
	bw.Write(resp.body[:n])
	_ = bw.Flush()
}

func underlying(c net.Conn) net.Conn {
	type netConner interface{ NetConn() net.Conn }
	if t, ok := c.(netConner); ok {
		return t.NetConn()
	}
	return c
}
