package console

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/vigil-sec/vigil/internal/event"
	"github.com/vigil-sec/vigil/internal/store"
)

// searchBudget bounds how many events one search request examines when free text or
// field filters (matched on the decoded events) are given; the answer's next cursor
// continues from where it stopped.
const (
	searchBudget = 5000
	searchCalls  = 100
)

// eventFilter is a search's free text and field filters, matched on the decoded event.
type eventFilter struct {
	text   string
	fields map[string]string
}

func (f eventFilter) empty() bool { return f.text == "" && len(f.fields) == 0 }

// match reports whether ev has every field value and (case-insensitively) the text
// somewhere in its normalized fields or raw record.
func (f eventFilter) match(ev *event.Event) bool {
	b, err := json.Marshal(ev)
	if err != nil {
		return false
	}
	if f.text != "" && !strings.Contains(strings.ToLower(string(b)), f.text) {
		return false
	}
	if len(f.fields) == 0 {
		return true
	}
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		return false
	}
	for path, want := range f.fields {
		if !fieldHas(doc, strings.Split(path, "."), want) {
			return false
		}
	}
	return true
}

// fieldHas reports whether the value at path in v (any element of an array on the way)
// equals want, compared as text, case-insensitively.
func fieldHas(v any, path []string, want string) bool {
	switch t := v.(type) {
	case []any:
		for _, e := range t {
			if fieldHas(e, path, want) {
				return true
			}
		}
		return false
	case map[string]any:
		if len(path) == 0 {
			return false
		}
		next, ok := t[path[0]]
		return ok && fieldHas(next, path[1:], want)
	}
	if len(path) > 0 {
		return false
	}
	var s string
	switch t := v.(type) {
	case string:
		s = t
	case float64:
		s = strconv.FormatFloat(t, 'f', -1, 64)
	case bool:
		s = strconv.FormatBool(t)
	default:
		return false
	}
	return strings.EqualFold(s, want)
}

func (s *Server) events(w http.ResponseWriter, r *http.Request) {
	p := params{r: r}
	q := store.Query{From: p.time("from"), To: p.time("to"), Category: event.Category(p.str("category")),
		Entity: p.entity("entity_type", "entity_name"), Source: p.str("source"), Cursor: p.cursor()}
	limit := p.limit()
	f := eventFilter{text: strings.ToLower(p.str("q")), fields: map[string]string{}}
	for k, vs := range r.URL.Query() {
		if name, ok := strings.CutPrefix(k, "field."); ok && len(vs) > 0 {
			if name == "" || len(name) > 200 {
				p.fail(k, "field.NAME=VALUE with NAME a dotted field of the schema, e.g. field.api.operation=ConsoleLogin")
				continue
			}
			f.fields[name] = vs[0]
		}
	}
	if p.err != nil {
		writeError(w, http.StatusBadRequest, p.err.Error())
		return
	}
	items, next, err := s.searchEvents(r, q, f, limit)
	if err != nil {
		s.internalError(w, r, "searching the events", err)
		return
	}
	writeJSON(w, http.StatusOK, List[*event.Event]{Items: items, Next: next})
}

// searchEvents reads pages of q until limit events match f (or the budget is spent).
func (s *Server) searchEvents(r *http.Request, q store.Query, f eventFilter, limit int) ([]*event.Event, string, error) {
	items := []*event.Event{}
	scanned := 0
	for calls := 1; ; calls++ {
		// A store page never holds more events than the answer still needs, so the
		// store's cursor after it is exact; the budget bounds the reads.
		q.Limit = limit - len(items)
		page, err := s.opts.Data.Query(r.Context(), q)
		if err != nil {
			return nil, "", err
		}
		scanned += len(page.Events)
		for _, ev := range page.Events {
			if f.empty() || f.match(ev) {
				ev.Raw, ev.Vigil.RawBase64 = nil, ""
				items = append(items, ev)
			}
		}
		if page.Next == "" || len(items) >= limit || scanned >= searchBudget || calls >= searchCalls {
			return items, page.Next, nil
		}
		q.Cursor = page.Next
	}
}

// EventDetail is an event with its native record as a JSON string.
type EventDetail struct {
	*event.Event
	Raw string `json:"raw"`
}

func (s *Server) eventDetail(w http.ResponseWriter, r *http.Request) {
	src, uid := r.PathValue("source"), r.PathValue("uid")
	ev, err := s.opts.Data.Get(r.Context(), src, uid)
	if errors.Is(err, store.ErrNotFound) {
		writeError(w, http.StatusNotFound, "no event "+uid+" from source "+src+"; search them at /api/v1/events")
		return
	}
	if err != nil {
		s.internalError(w, r, "reading the event", err)
		return
	}
	raw := string(ev.Raw)
	if ev.Vigil.RawBase64 != "" {
		raw = ev.Vigil.RawBase64
	}
	writeJSON(w, http.StatusOK, EventDetail{Event: ev, Raw: raw})
}
