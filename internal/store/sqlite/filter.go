package sqlite

import (
	"fmt"
	"strings"
	"time"

	"github.com/vigil-sec/vigil/internal/event"
)

// pageFilter builds the WHERE and ORDER BY of a page read in (time, seq) order, shared by
// events and alerts: a time range, an entity, more conditions, and the cursor.
type pageFilter struct {
	where []string
	args  []any
}

func (f *pageFilter) add(cond string, a ...any) {
	f.where = append(f.where, cond)
	f.args = append(f.args, a...)
}

// span adds the time range and the entity, each when set.
func (f *pageFilter) span(from, to time.Time, entity event.Entity) {
	if !from.IsZero() {
		f.add("time >= ?", from.UnixMilli())
	}
	if !to.IsZero() {
		f.add("time < ?", to.UnixMilli())
	}
	if !entity.IsZero() {
		f.add("entity_type = ? AND entity_name = ?", string(entity.Type), entity.Name)
	}
}

// eventSpan is span for the events table, where an address or a user agent is no event's
// actor: its events are those from it (as History reads them), so a spray's alert on
// 203.0.113.7 finds its evidence and an address's page its activity.
func (f *pageFilter) eventSpan(from, to time.Time, entity event.Entity) {
	switch entity.Type {
	case event.EntityIP:
		f.span(from, to, event.Entity{})
		f.add("ip = ?", entity.Name)
	case event.EntityUserAgent:
		f.span(from, to, event.Entity{})
		f.add("user_agent = ?", entity.Name)
	default:
		f.span(from, to, entity)
	}
}

// sql completes a SELECT with the conditions, the cursor and the order; it reads one row
// more than limit, to know whether a next page exists.
func (f *pageFilter) sql(sel, cursor string, ascending bool, limit int) (string, []any, error) {
	order, cmp := "DESC", "<"
	if ascending {
		order, cmp = "ASC", ">"
	}
	if cursor != "" {
		t, seq, err := parseCursor(cursor)
		if err != nil {
			return "", nil, err
		}
		f.add("(time, seq) "+cmp+" (?, ?)", t, seq)
	}
	if len(f.where) > 0 {
		sel += " WHERE " + strings.Join(f.where, " AND ")
	}
	return sel + fmt.Sprintf(" ORDER BY time %s, seq %s LIMIT %d", order, order, limit+1), f.args, nil
}

// pageLimit is a query's page size: 100 by default, at most 10,000.
func pageLimit(n int) int {
	if n <= 0 {
		return 100
	}
	return min(n, 10000)
}
