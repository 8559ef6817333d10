package store

import (
	"context"
	"time"
)

// ActivityStore answers the console's overview questions from the events' index rows
// alone, without decompressing events.
type ActivityStore interface {
	// EventsPerHour counts the events of [from, to) by hour of event time, oldest first;
	// hours without events are absent.
	EventsPerHour(ctx context.Context, from, to time.Time) ([]HourCount, error)
	// AddressActivity returns, for the source addresses of [from, to)'s newest events (an
	// engine may read a bounded sample of the newest), the busiest limit addresses: their events, distinct entities and one sample event
	// (whose location the caller may read).
	AddressActivity(ctx context.Context, from, to time.Time, limit int) ([]AddressCount, error)
}

// HourCount is the number of events in one hour.
type HourCount struct {
	Time  time.Time `json:"time"`
	Count int       `json:"count"`
}

// AddressCount is one source address's activity.
type AddressCount struct {
	IP, Country             string
	Events, Entities        int
	SampleSource, SampleUID string
}
