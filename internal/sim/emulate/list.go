package emulate

import (
	"sort"
	"time"
)

// cursor is the last entry a page served, in the listing's order.
type cursor struct {
	at  time.Time
	seq uint64
}

func (c cursor) less(e *entry) bool { // cursor < e
	if !c.at.Equal(e.at) {
		return c.at.Before(e.at)
	}
	return c.seq < e.seq
}

func (e *entry) before(c cursor) bool { // e < cursor
	if !e.at.Equal(c.at) {
		return e.at.Before(c.at)
	}
	return e.seq < c.seq
}

// listQuery is one page request against a stream.
type listQuery struct {
	now          time.Time
	primary      string // lower-case name of the stream's sort field (entry.at)
	conds        []timeCond
	types        map[string]bool // accepted sign-in event types; nil = defaultTypes
	defaultTypes map[string]bool // nil = every type
	eqs          map[string]string
	desc         bool
	top          int
	after        *cursor
}

func (q *listQuery) match(e *entry) bool {
	if e.visible.After(q.now) {
		return false
	}
	for _, c := range q.conds {
		v := e.at
		if c.field != q.primary {
			var ok bool
			if v, ok = e.alt[c.field]; !ok {
				return false
			}
		}
		if !c.holds(v) {
			return false
		}
	}
	if types := q.types; types != nil || q.defaultTypes != nil {
		if types == nil {
			types = q.defaultTypes
		}
		if !types[e.evType] {
			return false
		}
	}
	for k, v := range q.eqs {
		if e.attrs[k] != v {
			return false
		}
	}
	return true
}

// list returns up to q.top matching entries after q.after in q's order, and whether more
// match. The cursor walk never serves an entry twice nor skips one that was visible
// throughout the walk; one that becomes visible behind the cursor is left for the next
// poll, as Graph's late records are.
func (s *Server) list(name string, q listQuery) ([]entry, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	st := s.streams[name]
	if st == nil || q.top <= 0 { // $top=0 is an empty page with no next link
		return nil, false
	}
	es := st.entries
	lo, hi := 0, len(es)
	for _, c := range q.conds {
		if c.field != q.primary {
			continue
		}
		switch c.op {
		case "ge", "gt":
			lo = max(lo, sort.Search(len(es), func(i int) bool { return !es[i].at.Before(c.t) }))
		case "le", "lt":
			hi = min(hi, sort.Search(len(es), func(i int) bool { return es[i].at.After(c.t) }))
		}
	}
	if q.after != nil {
		c := *q.after
		if q.desc { // entries before the cursor
			hi = min(hi, sort.Search(len(es), func(i int) bool { return !es[i].before(c) }))
		} else { // entries after it
			lo = max(lo, sort.Search(len(es), func(i int) bool { return c.less(&es[i]) }))
		}
	}
	var page []entry
	more := false
	step := func(i int) bool { // false: stop
		e := &es[i]
		if !q.match(e) {
			return true
		}
		if len(page) == q.top {
			more = true
			return false
		}
		page = append(page, *e)
		return true
	}
	if q.desc {
		for i := hi - 1; i >= lo && step(i); i-- {
		}
	} else {
		for i := lo; i < hi && step(i); i++ {
		}
	}
	return page, more
}
