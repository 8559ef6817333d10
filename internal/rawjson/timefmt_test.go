package rawjson

import (
	"testing"
	"time"
)

func TestParseTime(t *testing.T) {
	ms := func(s string) int64 {
		tt, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			panic(err)
		}
		return tt.UnixMilli()
	}
	tests := []struct {
		in   string
		want int64
	}{
		{"2023-07-10T12:05:13Z", ms("2023-07-10T12:05:13Z")},
		{"2023-07-10T12:05:13.1234567Z", ms("2023-07-10T12:05:13.123Z")},
		{"2023-07-10T12:05:13.123456789123Z", ms("2023-07-10T12:05:13.123Z")},
		{"2023-07-10T12:05:13", ms("2023-07-10T12:05:13Z")},
		{"2023-07-10 12:05:13.456", ms("2023-07-10T12:05:13.456Z")},
		{"2022-09-09T8:48:50.361Z", ms("2022-09-09T08:48:50.361Z")},
		{"2023-07-10T12:05:13+01:00", ms("2023-07-10T11:05:13Z")},
		{"2023-07-10T12:05:13.5-0500", ms("2023-07-10T17:05:13.5Z")},
		{"8/22/2022 6:07:16 PM", ms("2022-08-22T18:07:16Z")},
		{"1/9/2007 9:41:00 AM", ms("2007-01-09T09:41:00Z")},
		{"12/12/2025 12:03:58 AM", ms("2025-12-12T00:03:58Z")},
		{"01/09/2007 09:41:00", ms("2007-01-09T09:41:00Z")},
		{"1700000000", 1700000000000},
		{"1700000000123", 1700000000123},
	}
	for _, tt := range tests {
		got, err := ParseTime(tt.in)
		if err != nil {
			t.Errorf("ParseTime(%q): %v", tt.in, err)
			continue
		}
		if got.UnixMilli() != tt.want {
			t.Errorf("ParseTime(%q) = %v, want %v", tt.in, got, time.UnixMilli(tt.want).UTC())
		}
	}
	for _, bad := range []string{"", "yesterday", "2023-13-45", "99/99/2020 1:00"} {
		if _, err := ParseTime(bad); err == nil {
			t.Errorf("ParseTime(%q) should fail", bad)
		}
	}
	got, err := ParseDayFirstTime("25/07/2023, 14:03:11.123")
	if err != nil || got.UnixMilli() != ms("2023-07-25T14:03:11.123Z") {
		t.Errorf("ParseDayFirstTime = %v, %v", got, err)
	}
}

func FuzzParseTime(f *testing.F) {
	f.Add("2023-07-10T12:05:13Z")
	f.Add("8/22/2022 6:07:16 PM")
	f.Fuzz(func(t *testing.T, s string) {
		ParseTime(s)
		ParseDayFirstTime(s)
	})
}
