package graph

import (
	"fmt"
	"net/url"
	"strings"
	"time"
)

// maxAge is how long Entra ID keeps sign-ins and audits with a P1/P2 licence.
const maxAge = 30 * 24 * time.Hour

// streamSpec is one Graph log: where it is listed, which time it is filtered on, and
// the permission reading it needs.
type streamSpec struct {
	name       string
	path       string // below the Graph host, with its version
	timeField  string
	eventType  string // signInEventTypes value on beta sign-ins, "" otherwise
	permission string
	maxTop     int
	// minOverlap is the least overlap the stream needs, whatever `overlap` says:
	// Identity Protection reports risky sign-ins up to 2 hours late, and Defender
	// raises alerts well after the activity they are about.
	minOverlap time.Duration
}

// streams are the Graph logs in collection order. Interactive sign-ins come from v1.0;
// the others from beta, whose signIns list filters by signInEventTypes (v1.0 lists only
// interactive ones). Risk detections are filtered on detectedDateTime, not
// activityDateTime: offline detections are made hours after the sign-in they rate and
// would fall behind a cursor on activity time. Identity Protection refuses a $top above
// 500.
var streams = []streamSpec{
	{name: "signins", path: "/v1.0/auditLogs/signIns", timeField: "createdDateTime", permission: "AuditLog.Read.All", maxTop: 1000},
	{name: "noninteractive", path: "/beta/auditLogs/signIns", timeField: "createdDateTime", eventType: "nonInteractiveUser", permission: "AuditLog.Read.All", maxTop: 1000},
	{name: "serviceprincipal", path: "/beta/auditLogs/signIns", timeField: "createdDateTime", eventType: "servicePrincipal", permission: "AuditLog.Read.All", maxTop: 1000},
	{name: "managedidentity", path: "/beta/auditLogs/signIns", timeField: "createdDateTime", eventType: "managedIdentity", permission: "AuditLog.Read.All", maxTop: 1000},
	{name: "directory_audits", path: "/v1.0/auditLogs/directoryAudits", timeField: "activityDateTime", permission: "AuditLog.Read.All", maxTop: 1000},
	{name: "risk_detections", path: "/v1.0/identityProtection/riskDetections", timeField: "detectedDateTime", permission: "IdentityRiskEvent.Read.All", maxTop: 500, minOverlap: 3 * time.Hour},
	{name: "alerts", path: "/v1.0/security/alerts_v2", timeField: "createdDateTime", permission: "SecurityAlert.Read.All", maxTop: 2000, minOverlap: time.Hour},
}

func lookupStream(name string) (streamSpec, bool) {
	for _, s := range streams {
		if s.name == name {
			return s, true
		}
	}
	return streamSpec{}, false
}

func streamNames() []string {
	out := make([]string, len(streams))
	for i, s := range streams {
		out[i] = s.name
	}
	return out
}

// graphTime is how OData writes a DateTimeOffset literal in $filter (unquoted).
func graphTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05Z") }

// firstURL is the first page of records of s with time in [from, to].
func (s streamSpec) firstURL(base string, top int, from, to time.Time) string {
	filter := fmt.Sprintf("%s ge %s and %s le %s", s.timeField, graphTime(from), s.timeField, graphTime(to))
	if s.eventType != "" {
		filter += fmt.Sprintf(" and signInEventTypes/any(t: t eq '%s')", s.eventType)
	}
	return s.listURL(base, filter, min(top, s.maxTop))
}

func (s streamSpec) listURL(base, filter string, top int) string {
	q := "$filter=" + escape(filter) + "&$top=" + fmt.Sprint(top)
	return strings.TrimSuffix(base, "/") + s.path + "?" + q
}

// escape is query escaping with %20 for spaces, which every OData server reads ("+" is
// not a space to all of them).
func escape(s string) string { return strings.ReplaceAll(url.QueryEscape(s), "+", "%20") }
