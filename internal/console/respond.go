package console

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-sec/vigil/internal/event"
)

// List is the shape of every paged list.
type List[T any] struct {
	Items []T    `json:"items"`
	Next  string `json:"next,omitempty"`
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(true)
	enc.Encode(v)
}

// writeError answers {"error": msg}: plain words of what was wrong and what to do.
func writeError(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, code, map[string]string{"error": msg})
}

// internalError logs err (never a secret) and answers 500.
func (s *Server) internalError(w http.ResponseWriter, r *http.Request, action string, err error) {
	s.opts.Logger.Error("console: "+action, "path", r.URL.Path, "error", err.Error())
	writeError(w, http.StatusInternalServerError, action+" failed; see the daemon's log")
}

// badParam is a query parameter that could not be read.
type badParam struct{ name, want string }

func (e *badParam) Error() string { return e.name + ": " + e.want }

// params reads a request's query parameters, remembering the first error.
type params struct {
	r   *http.Request
	err error
}

func (p *params) str(name string) string { return strings.TrimSpace(p.r.URL.Query().Get(name)) }

func (p *params) fail(name, want string) {
	if p.err == nil {
		p.err = &badParam{name, want}
	}
}

func (p *params) time(name string) time.Time {
	v := p.str(name)
	if v == "" {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		p.fail(name, "an RFC 3339 time, e.g. 2026-01-02T15:04:05Z")
	}
	return t
}

// limit is ?limit=, default 50, at most 500.
func (p *params) limit() int {
	v := p.str("limit")
	if v == "" {
		return 50
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > 500 {
		p.fail("limit", "a number from 1 to 500")
		return 50
	}
	return n
}

func (p *params) intv(name string) int {
	v := p.str(name)
	if v == "" {
		return 0
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		p.fail(name, "a whole number")
	}
	return n
}

// entity is entity_type and entity_name (or type and name), both or neither.
func (p *params) entity(typeKey, nameKey string) event.Entity {
	t, n := p.str(typeKey), p.str(nameKey)
	if (t == "") != (n == "") {
		p.fail(typeKey, "give "+typeKey+" and "+nameKey+" together, e.g. "+typeKey+"=user&"+nameKey+"=ada@contoso.com")
	}
	return event.Entity{Type: event.EntityType(t), Name: n}
}

// cursor is ?cursor= when it has the store's shape (milliseconds.sequence).
func (p *params) cursor() string {
	v := p.str("cursor")
	if v == "" {
		return ""
	}
	a, b, ok := strings.Cut(v, ".")
	if _, err := strconv.ParseInt(a, 10, 64); !ok || err != nil {
		p.fail("cursor", "the next value of a previous page")
		return ""
	}
	if _, err := strconv.ParseInt(b, 10, 64); err != nil {
		p.fail("cursor", "the next value of a previous page")
		return ""
	}
	return v
}

// maxBody bounds every request body the API reads.
const maxBody = 1 << 20

// readJSON decodes a small JSON body into v, refusing unknown fields.
func readJSON(w http.ResponseWriter, r *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		if errors.Is(err, io.EOF) {
			return errors.New("the request needs a JSON body")
		}
		return fmt.Errorf("the body is not the JSON expected: %w", err)
	}
	return nil
}
