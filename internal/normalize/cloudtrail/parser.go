// Package cloudtrail normalizes AWS CloudTrail: records as delivered to S3, single records,
// LookupEvents output, CloudTrail Insights events, and Log Analytics / Sentinel AWSCloudTrail
// rows. Digest files are recognised and skipped, never mistaken for events.
package cloudtrail

import (
	stdjson "encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/goccy/go-json"

	"github.com/vigil-sec/vigil/internal/event"
	"github.com/vigil-sec/vigil/internal/normalize"
	"github.com/vigil-sec/vigil/internal/rawjson"
)

// Parser normalizes CloudTrail records.
type Parser struct {
	categories categoryIndex
}

// New returns the CloudTrail parser.
func New() *Parser { return &Parser{categories: newCategoryIndex()} }

// Format names the format.
func (*Parser) Format() string { return "cloudtrail" }

// Detect claims CloudTrail records, LookupEvents items, digests and AWSCloudTrail rows.
// Azure's activity log also has an eventName, but never with these companions.
func (*Parser) Detect(p *rawjson.Probe) bool {
	if p.Has("eventName") && p.HasAny("eventSource", "eventVersion", "awsRegion", "eventID") {
		return true
	}
	return p.HasAny("userIdentity", "digestStartTime", "CloudTrailEvent", "AwsEventId", "insightDetails") ||
		p.StringIs("Type", "AWSCloudTrail")
}

// Parse normalizes one record.
func (p *Parser) Parse(rec []byte, probe *rawjson.Probe, ev *event.Event) error {
	if isSentinelRow(probe) {
		row, err := decodeRow(rec)
		if err != nil {
			return err
		}
		r := row.record()
		ev.Metadata.LogName = "AWSCloudTrail"
		return p.normalize(&r, ev)
	}
	var r record
	var typeErr string
	if err := json.Unmarshal(rec, &r); err != nil {
		// A field of an unexpected JSON type: encoding/json fills every other field and
		// names the first bad one, so the record is kept with a note.
		r = record{}
		var te *stdjson.UnmarshalTypeError
		if err2 := stdjson.Unmarshal(rec, &r); err2 != nil && !errors.As(err2, &te) {
			return fmt.Errorf("decode record: %w", err)
		} else if te != nil {
			typeErr = "type_mismatch:" + te.Field
		}
	}
	r.src = rec
	switch {
	case r.DigestStartTime != "" || r.DigestSignature != "":
		return normalize.ErrNotEvent
	case r.CloudTrailEvent != "":
		inner := []byte(r.CloudTrailEvent)
		if err := p.Parse(inner, rawjson.NewProbe(inner), ev); err != nil {
			return fmt.Errorf("LookupEvents CloudTrailEvent: %w", err)
		}
		return nil
	}
	if err := p.normalize(&r, ev); err != nil {
		return err
	}
	if typeErr != "" {
		ev.Vigil.Repairs = append(ev.Vigil.Repairs, typeErr)
	}
	return nil
}

func (p *Parser) normalize(r *record, ev *event.Event) error {
	if r.EventName == "" && r.UserIdentity == nil && r.InsightDetails == nil && r.EventID == "" {
		return errors.New("no eventName, eventID or userIdentity: not a CloudTrail event")
	}
	ev.Metadata.UID = r.EventID
	ev.Metadata.CorrelationUID = r.SharedEventID
	ev.Metadata.Product = event.Product{Name: "CloudTrail", VendorName: "AWS"}
	ev.Metadata.Version = event.SchemaVersion
	ev.Metadata.EventCode = r.EventType
	if ev.Metadata.LogName == "" {
		ev.Metadata.LogName = "CloudTrail"
	}
	ev.Vigil.Source = "cloudtrail"
	setTime(ev, r)
	ev.Cloud.Provider = "AWS"
	ev.Cloud.Region = r.AWSRegion
	ev.Cloud.Account.UID = r.RecipientAccountID
	if ev.Cloud.Account.UID == "" && r.UserIdentity != nil {
		ev.Cloud.Account.UID = r.UserIdentity.AccountID
	}
	ev.API.Operation = r.EventName
	ev.API.Service.Name = r.EventSource
	ev.API.Request.UID = r.RequestID
	ev.API.Version = r.APIVersion
	ev.HTTPRequest.UserAgent = r.UserAgent
	setSource(ev, r.SourceIPAddress)
	setActor(ev, r.UserIdentity)
	for _, res := range r.Resources {
		ev.Resources = append(ev.Resources, event.Resource{UID: res.ARN, Name: lastName(res.ARN), Type: res.Type})
	}
	if r.InsightDetails != nil || r.EventType == "AwsCloudTrailInsight" {
		insight(ev, r)
		return nil
	}
	p.classify(ev, r)
	setStatus(ev, r)
	return nil
}

// setTime reads eventTime (or Logstash's @timestamp). A record without a readable time is
// kept: the framework stamps it with the processing time and says so in vigil.repairs.
func setTime(ev *event.Event, r *record) {
	raw := r.EventTime
	if raw == "" {
		raw = r.LogstashTime
	}
	if raw == "" {
		return
	}
	ev.Metadata.OriginalTime = raw
	if t, err := rawjson.ParseTime(raw); err == nil {
		ev.SetTime(t)
	}
}

// setSource puts an address in src_endpoint.ip and a service name (the caller was an AWS
// service) in src_endpoint.domain.
func setSource(ev *event.Event, src string) {
	if ip, port, ok := normalize.ParseAddr(src); ok {
		ev.SrcEndpoint.IP, ev.SrcEndpoint.Port = ip, port
	} else {
		ev.SrcEndpoint.Domain = src
	}
}

// setStatus derives success from errorCode and, for console sign-ins, from the result.
func setStatus(ev *event.Event, r *record) {
	failed := r.ErrorCode != ""
	if ev.ClassUID == int(event.ClassAuthentication) {
		var res consoleResult
		if re := r.load().ResponseElements; len(re) > 0 && re[0] == '{' {
			_ = json.Unmarshal(re, &res)
		}
		if strings.EqualFold(res.ConsoleLogin, "Failure") || strings.EqualFold(serviceResult(r), "Failure") {
			failed = true
		}
	}
	if failed {
		ev.SetStatus(event.StatusFailure)
		ev.StatusCode = r.ErrorCode
		ev.StatusDetail = r.ErrorMessage
		if ev.StatusDetail == "" && r.ErrorCode == "" {
			ev.StatusDetail = "Failure"
		}
		ev.API.Response = &event.APIResponse{Error: r.ErrorCode, ErrorMessage: r.ErrorMessage}
		if ev.Vigil.Category == event.CategoryLogin {
			ev.Vigil.Category = event.CategoryLoginFailed
		}
		if ev.Vigil.Category == event.CategoryMFAChallenge {
			ev.Vigil.Category = event.CategoryMFAFailed
		}
		return
	}
	ev.SetStatus(event.StatusSuccess)
}

// serviceResult reads the outcome AWS sign-in and SSO service events report in
// serviceEventDetails (e.g. {"CredentialVerification":"Failure"}).
func serviceResult(r *record) string {
	sd := r.load().ServiceEventDetails
	if len(sd) == 0 || sd[0] != '{' {
		return ""
	}
	var d map[string]any
	if json.Unmarshal(sd, &d) != nil {
		return ""
	}
	for _, k := range []string{"CredentialVerification", "CredentialChallenge", "UserAuthentication", "ConsoleLogin", "CredentialVerificationResult"} {
		if s, ok := d[k].(string); ok {
			return s
		}
	}
	return ""
}

// insight maps a CloudTrail Insights event to a Detection Finding.
func insight(ev *event.Event, r *record) {
	ev.SetClass(event.ClassDetectionFinding, event.ActivityCreate)
	ev.SetSeverity(event.SeverityLow)
	ev.SetStatus(event.StatusSuccess)
	ev.Vigil.Category = event.CategoryProviderAlert
	ev.Metadata.LogName = "CloudTrail Insights"
	d := r.InsightDetails
	if d == nil {
		d = &insightDetails{}
	}
	ev.API.Operation = normalize.FirstNonEmpty(d.EventName, r.EventName)
	ev.API.Service.Name = normalize.FirstNonEmpty(d.EventSource, r.EventSource)
	title := fmt.Sprintf("CloudTrail Insights: %s %s", normalize.FirstNonEmpty(d.InsightType, "unusual activity"), ev.API.Operation)
	if d.State != "" {
		title += " (" + d.State + ")"
	}
	ev.FindingInfo = &event.FindingInfo{UID: r.EventID, Title: title, Types: []string{d.InsightType}}
	ev.Message = title
	if ev.Vigil.Entity.IsZero() && ev.Cloud.Account.UID != "" {
		ev.Vigil.Entity = event.Entity{Type: event.EntityAccount, Name: ev.Cloud.Account.UID}
	}
}

func lastName(arn string) string {
	if i := strings.LastIndexAny(arn, "/:"); i >= 0 {
		return arn[i+1:]
	}
	return arn
}

func parseMillis(s string) int64 {
	if s == "" {
		return 0
	}
	t, err := rawjson.ParseTime(s)
	if err != nil {
		return 0
	}
	return t.UnixMilli()
}

var (
	_ normalize.Parser     = (*Parser)(nil)
	_ normalize.Documenter = (*Parser)(nil)
)
