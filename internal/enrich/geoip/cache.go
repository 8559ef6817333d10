package geoip

import "sync/atomic"

// recordCacheSlots is how many decoded records a database keeps. Addresses in a stream
// repeat (the same offices, VPN exits, cloud ranges), and many networks share one record,
// so a few thousand slots catch most lookups; a slot holds about 150 bytes.
const recordCacheSlots = 4096

// recordCache keeps decoded records by their offset in one database's data section, in a
// fixed number of slots: a new record replaces whatever shared its slot, so the cache
// never grows. Entries are immutable once stored, so readers need no lock. It belongs to
// one opened database and goes with it when a reload swaps the database out.
type recordCache[T any] struct {
	slots [recordCacheSlots]atomic.Pointer[cachedRecord[T]]
}

type cachedRecord[T any] struct {
	offset uintptr
	rec    T
}

func slotOf(offset uintptr) uintptr {
	// Fibonacci hashing spreads the offsets, which are clustered, over the slots.
	return uintptr(uint64(offset)*0x9e3779b97f4a7c15>>52) % recordCacheSlots
}

func (c *recordCache[T]) get(offset uintptr) (*T, bool) {
	if e := c.slots[slotOf(offset)].Load(); e != nil && e.offset == offset {
		return &e.rec, true
	}
	return nil, false
}

func (c *recordCache[T]) put(e *cachedRecord[T]) { c.slots[slotOf(e.offset)].Store(e) }
