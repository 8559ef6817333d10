package cef

import (
	"strconv"
	"time"

	"github.com/vigil-sec/vigil/internal/alert"
)

// header is a syslog header writer for one output's settings.
type header struct {
	format   string
	facility int
	hostname string
	appName  string
}

// appendMessage appends one syslog message (header and CEF line, no framing) to buf.
func (h header) appendMessage(buf []byte, now time.Time, a alert.Alert, line string) []byte {
	pri := h.facility*8 + syslogSeverity(a.Severity)
	buf = append(buf, '<')
	buf = strconv.AppendInt(buf, int64(pri), 10)
	buf = append(buf, '>')
	now = now.UTC()
	if h.format == FormatRFC3164 {
		// RFC 3164 §4.1.2: "Mmm dd hh:mm:ss HOSTNAME TAG: MSG", the day space-padded.
		buf = now.AppendFormat(buf, time.Stamp)
		buf = append(buf, ' ')
		buf = append(buf, h.hostname...)
		buf = append(buf, ' ')
		buf = append(buf, h.appName...)
		buf = append(buf, ": "...)
	} else {
		// RFC 5424 §6: "1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID SD MSG".
		buf = append(buf, "1 "...)
		buf = now.AppendFormat(buf, "2006-01-02T15:04:05.000Z07:00")
		buf = append(buf, ' ')
		buf = append(buf, h.hostname...)
		buf = append(buf, ' ')
		buf = append(buf, h.appName...)
		buf = append(buf, " - alert - "...)
	}
	return append(buf, line...)
}

// syslogName makes s a valid RFC 5424 HOSTNAME or APP-NAME: printable US-ASCII without
// spaces, "-" when empty.
func syslogName(s string, maxLen int) string {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s) && len(out) < maxLen; i++ {
		if c := s[i]; c > 32 && c < 127 {
			out = append(out, c)
		}
	}
	if len(out) == 0 {
		return "-"
	}
	return string(out)
}
