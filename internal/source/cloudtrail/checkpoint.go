package cloudtrail

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// maxDone bounds the keys remembered per prefix: an hour of late window holds about 12
// files per account and region (one per 5 minutes), more for busy accounts.
const maxDone = 2000

// checkpoint is the listing's whole position: one cursor per account and region prefix.
type checkpoint struct {
	Prefixes map[string]*cursor `json:"prefixes"`

	late time.Duration
}

// cursor is one prefix's position: the greatest key done and the keys done within the
// late window before it (relative to the prefix), which a re-listing skips.
type cursor struct {
	After string `json:"after,omitempty"`
	// Done are the keys done from the late window's start on, relative to the prefix.
	Done []string `json:"done,omitempty"`
	// Deleted is the greatest key delete_after has swept up to.
	Deleted string `json:"deleted,omitempty"`

	done map[string]bool
	late time.Duration
}

func decodeCheckpoint(b []byte, late time.Duration) (*checkpoint, error) {
	cp := &checkpoint{Prefixes: map[string]*cursor{}, late: late}
	if len(b) == 0 {
		return cp, nil
	}
	if err := json.Unmarshal(b, cp); err != nil {
		return nil, fmt.Errorf("cloudtrail: read checkpoint: %w", err)
	}
	if cp.Prefixes == nil {
		cp.Prefixes = map[string]*cursor{}
	}
	for _, c := range cp.Prefixes {
		c.done, c.late = map[string]bool{}, late
		for _, k := range c.Done {
			c.done[k] = true
		}
	}
	return cp, nil
}

func (cp *checkpoint) cursor(prefix string) *cursor {
	c := cp.Prefixes[prefix]
	if c == nil {
		c = &cursor{done: map[string]bool{}, late: cp.late}
		cp.Prefixes[prefix] = c
	}
	return c
}

func (cp *checkpoint) encode() []byte {
	for _, c := range cp.Prefixes {
		c.Done = slices.Sorted(maps.Keys(c.done))
	}
	b, _ := json.Marshal(cp) // strings and slices only: cannot fail
	return b
}

// isDone says whether key (under prefix) was done: remembered, or at or before the
// cursor and older than the late window (so no longer remembered one by one).
func (c *cursor) isDone(prefix, key string) bool {
	return c.done[strings.TrimPrefix(key, prefix)] || (key <= c.After && !c.inWindow(key))
}

// inWindow says whether key is at or after the late window's start, where done keys are
// remembered one by one. A key without a delivery time in its name counts as inside.
func (c *cursor) inWindow(key string) bool {
	t, ok := keyTime(key)
	at, aok := keyTime(c.After)
	return !ok || !aok || !t.Before(at.Add(-c.late))
}

// markDone records key (under prefix) as done and forgets the keys that fell out of the
// late window, keeping at most maxDone.
func (c *cursor) markDone(prefix, key string) {
	c.done[strings.TrimPrefix(key, prefix)] = true
	if key <= c.After {
		return
	}
	c.After = key
	for k := range c.done {
		if !c.inWindow(prefix + k) {
			delete(c.done, k)
		}
	}
	if len(c.done) > maxDone {
		keys := slices.Sorted(maps.Keys(c.done))
		for _, k := range keys[:len(keys)-maxDone] {
			delete(c.done, k)
		}
	}
}

// start is the key a listing of the prefix starts after: the late window's start before
// the cursor, or, on a first start, the day folder of from.
func (c *cursor) start(prefix string, from time.Time) string {
	if c.After == "" {
		return lowKey(prefix, "", from)
	}
	at, ok := keyTime(c.After)
	if !ok {
		return c.After
	}
	return lowKey(prefix, c.After, at.Add(-c.late))
}
