package azure

import (
	"log/slog"
	"net/http"
	"time"
)

// Options are what a Microsoft source takes besides its Config.
type Options struct {
	Log     *slog.Logger
	HTTP    *http.Client // nil: NewHTTPClient(ca_file)
	Now     func() time.Time
	Budgets *Budgets // nil: a budget of the source's own
}

// Option sets one of Options.
type Option func(*Options)

// WithLogger sets the logger (default: discard).
func WithLogger(l *slog.Logger) Option { return func(o *Options) { o.Log = l } }

// WithHTTPClient sets the HTTP client for token and API requests (tests pass one that
// trusts the emulator); it replaces the one ca_file would make.
func WithHTTPClient(c *http.Client) Option { return func(o *Options) { o.HTTP = c } }

// WithClock sets the clock the query windows and availability times are read from.
func WithClock(now func() time.Time) Option { return func(o *Options) { o.Now = now } }

// WithBudgets shares request budgets between sources of the same app and tenant.
func WithBudgets(b *Budgets) Option { return func(o *Options) { o.Budgets = b } }

// Resolve applies opts over the defaults, making the HTTP client from caFile if none
// was given.
func Resolve(caFile string, opts []Option) (Options, error) {
	var o Options
	for _, opt := range opts {
		opt(&o)
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Budgets == nil {
		o.Budgets = NewBudgets()
	}
	if o.HTTP == nil {
		hc, err := NewHTTPClient(caFile)
		if err != nil {
			return o, err
		}
		o.HTTP = hc
	}
	return o, nil
}
