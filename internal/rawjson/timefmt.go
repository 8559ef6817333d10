package rawjson

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ParseTime reads the time formats the providers and their exporters write:
// RFC 3339 with 0–9+ fractional digits, with or without a zone (UTC assumed), a space
// instead of the T, single-digit hours ("2022-09-09T8:48:50Z"), US dates as Azure writes
// them ("8/22/2022 6:07:16 PM", "01/09/2007 09:41:00"), and epoch seconds or milliseconds.
func ParseTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, fmt.Errorf("empty time")
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC(), nil
	}
	if s[0] >= '0' && s[0] <= '9' && strings.IndexByte(s, '/') > 0 {
		return parseSlashTime(s)
	}
	if n, err := strconv.ParseFloat(s, 64); err == nil && !strings.ContainsAny(s, "-:") {
		return EpochTime(n), nil
	}
	return parseISOLoose(s)
}

// EpochTime reads seconds or milliseconds since the epoch, telling them apart by size.
func EpochTime(n float64) time.Time {
	if n > 1e11 {
		return time.UnixMilli(int64(n)).UTC()
	}
	sec := int64(n)
	return time.Unix(sec, int64((n-float64(sec))*1e9)).UTC().Truncate(time.Millisecond)
}

// parseISOLoose reads yyyy-mm-dd[T ]h[h]:mm[:ss[.f…]][Z|±hh[:]mm].
func parseISOLoose(s string) (time.Time, error) {
	bad := fmt.Errorf("unrecognised time %q", s)
	if len(s) < 10 || s[4] != '-' || s[7] != '-' {
		return time.Time{}, bad
	}
	y, err1 := strconv.Atoi(s[:4])
	mo, err2 := strconv.Atoi(s[5:7])
	d, err3 := strconv.Atoi(s[8:10])
	if err1 != nil || err2 != nil || err3 != nil || mo < 1 || mo > 12 || d < 1 || d > 31 {
		return time.Time{}, bad
	}
	rest := s[10:]
	if rest == "" {
		return time.Date(y, time.Month(mo), d, 0, 0, 0, 0, time.UTC), nil
	}
	if rest[0] != 'T' && rest[0] != 't' && rest[0] != ' ' {
		return time.Time{}, bad
	}
	clock, loc, err := splitZone(rest[1:])
	if err != nil {
		return time.Time{}, bad
	}
	h, mi, sec, ns, ok := parseClock(clock)
	if !ok {
		return time.Time{}, bad
	}
	return time.Date(y, time.Month(mo), d, h, mi, sec, ns, loc).UTC(), nil
}

// splitZone separates a trailing Z or ±hh:mm / ±hhmm zone from a clock.
func splitZone(s string) (string, *time.Location, error) {
	s = strings.TrimSpace(s)
	if strings.HasSuffix(s, "Z") || strings.HasSuffix(s, "z") {
		return s[:len(s)-1], time.UTC, nil
	}
	if strings.HasSuffix(s, " UTC") || strings.HasSuffix(s, " GMT") {
		return s[:len(s)-4], time.UTC, nil
	}
	if i := strings.LastIndexAny(s, "+-"); i > 0 {
		z := strings.ReplaceAll(s[i+1:], ":", "")
		if len(z) == 4 {
			h, err1 := strconv.Atoi(z[:2])
			m, err2 := strconv.Atoi(z[2:])
			if err1 == nil && err2 == nil {
				off := h*3600 + m*60
				if s[i] == '-' {
					off = -off
				}
				return strings.TrimSpace(s[:i]), time.FixedZone("", off), nil
			}
		}
		return "", nil, fmt.Errorf("bad zone")
	}
	return s, time.UTC, nil
}

// parseClock reads h[h]:mm[:ss[.fraction]].
func parseClock(s string) (h, m, sec, ns int, ok bool) {
	parts := strings.Split(s, ":")
	if len(parts) < 2 || len(parts) > 3 {
		return 0, 0, 0, 0, false
	}
	var err error
	if h, err = strconv.Atoi(parts[0]); err != nil || h > 23 {
		return 0, 0, 0, 0, false
	}
	if m, err = strconv.Atoi(parts[1]); err != nil || m > 59 {
		return 0, 0, 0, 0, false
	}
	if len(parts) == 3 {
		secStr, frac, _ := strings.Cut(parts[2], ".")
		if sec, err = strconv.Atoi(secStr); err != nil || sec > 60 {
			return 0, 0, 0, 0, false
		}
		if frac != "" {
			if len(frac) > 9 {
				frac = frac[:9]
			}
			f, err := strconv.Atoi(frac)
			if err != nil {
				return 0, 0, 0, 0, false
			}
			for i := len(frac); i < 9; i++ {
				f *= 10
			}
			ns = f
		}
	}
	return h, m, sec, ns, true
}

// parseSlashTime reads m/d/yyyy h:mm[:ss[.f]] [AM|PM] [zone], month first as Azure writes it.
func parseSlashTime(s string) (time.Time, error) {
	bad := fmt.Errorf("unrecognised time %q", s)
	date, rest, _ := strings.Cut(s, " ")
	dp := strings.Split(date, "/")
	if len(dp) != 3 {
		return time.Time{}, bad
	}
	mo, err1 := strconv.Atoi(dp[0])
	d, err2 := strconv.Atoi(dp[1])
	y, err3 := strconv.Atoi(dp[2])
	if err1 != nil || err2 != nil || err3 != nil || mo < 1 || mo > 12 || d < 1 || d > 31 {
		return time.Time{}, bad
	}
	return clockOnDate(y, mo, d, rest, bad)
}

// ParseDayFirstTime reads dd/mm/yyyy[,] hh:mm[:ss[.f]] [AM|PM], day first, as Log Analytics
// exports write it in many locales ("25/07/2023, 14:03:11.123").
func ParseDayFirstTime(s string) (time.Time, error) {
	bad := fmt.Errorf("unrecognised time %q", s)
	s = strings.TrimSpace(s)
	date, rest, _ := strings.Cut(s, " ")
	date = strings.TrimSuffix(date, ",")
	dp := strings.Split(date, "/")
	if len(dp) != 3 {
		return time.Time{}, bad
	}
	d, err1 := strconv.Atoi(dp[0])
	mo, err2 := strconv.Atoi(dp[1])
	y, err3 := strconv.Atoi(dp[2])
	if err1 != nil || err2 != nil || err3 != nil || mo < 1 || mo > 12 || d < 1 || d > 31 {
		return time.Time{}, bad
	}
	return clockOnDate(y, mo, d, rest, bad)
}

func clockOnDate(y, mo, d int, rest string, bad error) (time.Time, error) {
	rest = strings.TrimSpace(rest)
	if rest == "" {
		return time.Date(y, time.Month(mo), d, 0, 0, 0, 0, time.UTC), nil
	}
	pm, am := false, false
	fields := strings.Fields(rest)
	clock := fields[0]
	zone := ""
	for _, f := range fields[1:] {
		switch strings.ToUpper(f) {
		case "PM":
			pm = true
		case "AM":
			am = true
		default:
			zone += f
		}
	}
	clock, loc, err := splitZone(clock + zone)
	if err != nil {
		return time.Time{}, bad
	}
	h, mi, sec, ns, ok := parseClock(clock)
	if !ok {
		return time.Time{}, bad
	}
	if pm && h < 12 {
		h += 12
	}
	if am && h == 12 {
		h = 0
	}
	return time.Date(y, time.Month(mo), d, h, mi, sec, ns, loc).UTC(), nil
}
