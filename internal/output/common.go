package output

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-sec/vigil/internal/alert"
	"github.com/vigil-sec/vigil/internal/config"
)

// StateStore is the part of the store the queue keeps its entries in
// (internal/store.StateStore satisfies it).
type StateStore interface {
	PutState(ctx context.Context, key string, value []byte) error
	GetState(ctx context.Context, key string) ([]byte, bool, error)
	DeleteState(ctx context.Context, key string) error
	ListState(ctx context.Context, prefix string) (map[string][]byte, error)
}

// A Sender hands a batch of alerts to one receiver. Deliver returns nil only once the
// receiver has accepted every alert of the batch; it must not retry on its own (the
// queue owns retries and backoff). An error that retrying cannot fix (a malformed
// alert, a 4xx answer) is wrapped with Permanent.
type Sender interface {
	Name() string
	Deliver(ctx context.Context, alerts []alert.Alert) error
}

// PermanentError marks a delivery error that retrying the same alerts will not fix.
type PermanentError struct{ Err error }

func (e *PermanentError) Error() string { return e.Err.Error() }
func (e *PermanentError) Unwrap() error { return e.Err }

// Permanent wraps err as a PermanentError; nil stays nil.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &PermanentError{Err: err}
}

// IsPermanent reports whether err is, or wraps, a PermanentError.
func IsPermanent(err error) bool {
	var p *PermanentError
	return errors.As(err, &p)
}

// Common holds the keys every output has beside its own: which alerts it receives and
// how their times are shifted. Output configs embed it inline.
type Common struct {
	// MinScore drops alerts scored below it (0–100).
	MinScore int `yaml:"min_score"`
	// Severities, when set, are the only severities sent (informational … critical).
	Severities []string `yaml:"severities"`
	// RuleKinds, when set, are the only detector kinds sent (sigma, builtin, behavior,
	// correlation).
	RuleKinds []string `yaml:"rule_kinds"`
	// Categories, when set, are the only event categories sent (login.failed,
	// role.assign, …): an alert's category is its details' "category" value, or the
	// first part of its rule id before a slash for rules named by category.
	Categories []string `yaml:"categories"`
	// TimeOffset is added to every time an alert carries when it is sent, for receivers
	// that read times in another zone (the Darktrace connector's "time offset").
	TimeOffset config.Duration `yaml:"time_offset"`
}

// Validate checks the filter; each error names its key.
func (c Common) Validate() error {
	var errs []error
	if c.MinScore < 0 || c.MinScore > 100 {
		errs = append(errs, errors.New("min_score: must be between 0 and 100"))
	}
	for i, s := range c.Severities {
		if alert.Severity(strings.ToLower(s)).Rank() < 0 {
			errs = append(errs, fmt.Errorf("severities[%d]: %q: want informational, low, medium, high or critical", i, s))
		}
	}
	kinds := []alert.Kind{alert.KindSigma, alert.KindBuiltin, alert.KindBehavior, alert.KindCorrelation}
	for i, k := range c.RuleKinds {
		if !slices.Contains(kinds, alert.Kind(strings.ToLower(k))) {
			errs = append(errs, fmt.Errorf("rule_kinds[%d]: %q: want sigma, builtin, behavior or correlation", i, k))
		}
	}
	for i, cat := range c.Categories {
		if strings.TrimSpace(cat) == "" {
			errs = append(errs, fmt.Errorf("categories[%d]: empty", i))
		}
	}
	if d := c.TimeOffset.D(); d < -24*time.Hour || d > 24*time.Hour {
		errs = append(errs, errors.New("time_offset: must be within 24h either way"))
	}
	return errors.Join(errs...)
}

// Match reports whether the filter lets a through.
func (c Common) Match(a alert.Alert) bool {
	if a.Score < c.MinScore {
		return false
	}
	if len(c.Severities) > 0 && !containsFold(c.Severities, string(a.Severity)) {
		return false
	}
	if len(c.RuleKinds) > 0 && !containsFold(c.RuleKinds, string(a.Rule.Kind)) {
		return false
	}
	if len(c.Categories) > 0 && !containsFold(c.Categories, Category(a)) {
		return false
	}
	return true
}

// Category is the event category an alert is about, "" when it names none: its details'
// "category", or the part of its rule id before the first slash ("login.failed/spray").
func Category(a alert.Alert) string {
	if s, ok := a.Details["category"].(string); ok {
		return s
	}
	if before, _, ok := strings.Cut(a.Rule.ID, "/"); ok {
		return before
	}
	return ""
}

// Shift returns a with every time moved by d (a copy; the maps are shared).
func Shift(a alert.Alert, d time.Duration) alert.Alert {
	if d == 0 {
		return a
	}
	a.Time = shiftTime(a.Time, d)
	a.FirstSeen = shiftTime(a.FirstSeen, d)
	a.LastSeen = shiftTime(a.LastSeen, d)
	return a
}

func shiftTime(t time.Time, d time.Duration) time.Time {
	if t.IsZero() {
		return t
	}
	return t.Add(d)
}

// Version is what makes a changed alert worth sending again under the same id: the number
// of detections folded into it. A receiver sees each id and version once.
func Version(a alert.Alert) string {
	return strconv.Itoa(max(a.Occurrences, 1))
}

func containsFold(list []string, s string) bool {
	for _, v := range list {
		if strings.EqualFold(v, s) {
			return true
		}
	}
	return false
}
