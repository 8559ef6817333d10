package geoip

import "testing"

func TestRecordCacheSlotSharing(t *testing.T) {
	var c recordCache[asnRecord]
	first := uintptr(1234)
	other := first + 1
	for slotOf(other) != slotOf(first) {
		other++
	}
	c.put(&cachedRecord[asnRecord]{offset: first, rec: asnRecord{Number: 1}})
	if rec, ok := c.get(first); !ok || rec.Number != 1 {
		t.Fatalf("get(first) = %v, %v; want the stored record", rec, ok)
	}
	if rec, ok := c.get(other); ok {
		t.Fatalf("get(other) in the same slot = %v; want a miss", rec)
	}
	c.put(&cachedRecord[asnRecord]{offset: other, rec: asnRecord{Number: 2}})
	if _, ok := c.get(first); ok {
		t.Fatal("the replaced record is still found")
	}
}
