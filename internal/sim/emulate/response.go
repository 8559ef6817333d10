package emulate

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strconv"
	"time"
)

// response is a whole answer, built before anything is written so a fault can cut it.
type response struct {
	status  int
	header  http.Header
	body    []byte
	records int // records in the body, for Stats
}

func jsonResponse(status int, v any) response {
	b, err := json.Marshal(v)
	if err != nil { // only our own maps and structs reach here
		b = []byte(`{"error":{"code":"InternalServerError","message":"emulator could not encode its answer"}}`)
		status = http.StatusInternalServerError
	}
	return response{status: status, header: http.Header{"Content-Type": {"application/json; charset=utf-8"}}, body: b}
}

func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// graphError is Graph's error body: {"error":{"code","message","innerError":{…}}}.
func graphError(status int, code, msg string, now time.Time) response {
	id := newRequestID()
	resp := jsonResponse(status, map[string]any{"error": map[string]any{
		"code": code, "message": msg,
		"innerError": map[string]any{"date": now.UTC().Format("2006-01-02T15:04:05"), "request-id": id, "client-request-id": id},
	}})
	resp.header.Set("request-id", id)
	return resp
}

// armError is ARM's error body: {"error":{"code","message"}}.
func armError(status int, code, msg string) response {
	resp := jsonResponse(status, map[string]any{"error": map[string]any{"code": code, "message": msg}})
	resp.header.Set("x-ms-request-id", newRequestID())
	return resp
}

// retryAfter sets Retry-After in whole seconds, at least 1.
func (r response) retryAfter(d time.Duration) response {
	secs := int((d + time.Second - 1) / time.Second)
	r.header.Set("Retry-After", strconv.Itoa(max(secs, 1)))
	return r
}

// serve writes resp for an endpoint that faults do not touch (login), counting it.
func (s *Server) serve(w http.ResponseWriter, r *http.Request, endpoint string, resp response) {
	s.stats.count(endpoint, resp.status, resp.records)
	s.log.Debug("emulator answered", "method", r.Method, "path", r.URL.Path, "endpoint", endpoint, "status", resp.status, "records", resp.records)
	write(w, resp)
}

func write(w http.ResponseWriter, resp response) {
	h := w.Header()
	for k, v := range resp.header {
		h[k] = v
	}
	h.Set("Content-Length", strconv.Itoa(len(resp.body)))
	w.WriteHeader(resp.status)
	_, _ = w.Write(resp.body)
}
