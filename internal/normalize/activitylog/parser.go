// Package activitylog normalizes the Azure Activity Log (the management plane) and other
// Azure resource logs: the ARM REST API's events, Azure Monitor diagnostic records streamed
// to Event Hubs or storage, and Log Analytics / Sentinel AzureActivity rows.
package activitylog

import (
	"errors"
	"fmt"
	"strings"

	"github.com/goccy/go-json"

	"github.com/vigil-sec/vigil/internal/event"
	"github.com/vigil-sec/vigil/internal/normalize"
	"github.com/vigil-sec/vigil/internal/rawjson"
)

// Parser normalizes Azure Activity Log and resource-log records.
type Parser struct {
	operations operationIndex
}

// New returns the parser.
func New() *Parser { return &Parser{operations: newOperationIndex()} }

// Format names the format.
func (*Parser) Format() string { return "activitylog" }

// Detect claims activity-log events of every shape and, as the last Azure parser, any
// Azure resource log (an operationName with a resource, category or caller address).
func (*Parser) Detect(p *rawjson.Probe) bool {
	if p.HasAny("eventDataId", "eventTimestamp", "OperationNameValue", "submissionTimestamp") || p.StringIs("Type", "AzureActivity") {
		return true
	}
	if p.Has("operationName") && p.HasAny("resourceId", "category", "callerIpAddress", "properties", "identity", "resultType") {
		return true
	}
	// The minimal diagnostic record: a time and a category.
	return p.Has("time") && p.Has("category")
}

// Parse normalizes one record.
func (p *Parser) Parse(rec []byte, _ *rawjson.Probe, ev *event.Event) error {
	var r record
	if err := json.Unmarshal(rec, &r); err != nil {
		var te *json.UnmarshalTypeError
		if !errors.As(err, &te) {
			return fmt.Errorf("decode: %w", err)
		}
		ev.Vigil.Repairs = append(ev.Vigil.Repairs, "type_mismatch:"+te.Field)
	}
	p.normalize(&r, ev)
	return nil
}

func (p *Parser) normalize(r *record, ev *event.Event) {
	ev.Vigil.Source = "activitylog"
	ev.Metadata.Version = event.SchemaVersion
	ev.Cloud.Provider = "Azure"
	category := normalize.FirstNonEmpty(r.CategoryValue, r.Category.String())
	op := normalize.FirstNonEmpty(r.OperationNameValue, r.OperationName.Value, r.OperationName.LocalizedValue)
	var props properties
	propsJSON := firstJSON(r.Properties, r.PropertiesD)
	if propsJSON.IsObject() {
		_ = propsJSON.Decode(&props)
	}
	resourceLog := isResourceLog(category)
	ev.Metadata.UID = normalize.FirstNonEmpty(r.EventDataID, props.EventDataID)
	ev.Metadata.CorrelationUID = r.CorrelationID
	ev.Metadata.LogName = category
	ev.Metadata.Product = event.Product{Name: "Azure Activity Log", VendorName: "Microsoft"}
	if resourceLog {
		ev.Metadata.Product.Name = "Azure Monitor"
	}
	p.setTimes(r, ev)
	ev.API.Operation = op
	ev.API.Service.Name = normalize.FirstNonEmpty(r.ResourceProviderValue, r.ResourceProviderName.String(), providerOf(op), providerOf(r.ResourceID))
	ev.API.Request.UID = normalize.FirstNonEmpty(r.OperationID, r.CorrelationID)
	ev.Message = normalize.FirstNonEmpty(props.Message, r.Description)
	ev.HTTPRequest.UserAgent = props.UserAgent

	res := resourceFromID(normalize.FirstNonEmpty(r.ResourceID, r.ResourceIDAlt), normalize.FirstNonEmpty(r.ResourceGroupName, r.ResourceGroup), r.ResourceType.String())
	if res.UID != "" {
		ev.Resources = append(ev.Resources, res)
	}
	ev.Cloud.Account.UID = normalize.FirstNonEmpty(r.SubscriptionID, subscriptionOf(normalize.FirstNonEmpty(r.ResourceID, r.ResourceIDAlt)))
	ev.Cloud.Region = regionOf(r.Location, &props)
	if tenant := normalize.FirstNonEmpty(r.TenantID); tenant != "" {
		ev.Cloud.Org = &event.Org{UID: tenant}
	}
	p.setActor(r, &props, ev)
	setStatus(r, &props, ev)
	ev.SetSeverity(levelSeverity(r.Level))
	p.classify(category, op, &props, ev)
}

// regionOf is the Azure region an event happened in: the record's location (resource
// logs), else the location of the resource in the request or response body of a write
// (Activity Log records carry no region of their own). "global" is no region.
func regionOf(location string, props *properties) string {
	if location != "" && !strings.EqualFold(location, "global") {
		return location
	}
	for _, body := range [...]normalize.JSONText{props.RequestBody, props.ResponseBody} {
		if !body.IsObject() {
			continue
		}
		var b struct {
			Location string `json:"location"`
		}
		if body.Decode(&b) == nil && b.Location != "" && !strings.EqualFold(b.Location, "global") {
			return b.Location
		}
	}
	return ""
}

func (p *Parser) setTimes(r *record, ev *event.Event) {
	raw := normalize.FirstNonEmpty(string(r.EventTimestamp), string(r.Time), string(r.TimeGenerated))
	if raw != "" {
		ev.Metadata.OriginalTime = raw
		if t, err := rawjson.ParseTime(raw); err == nil {
			ev.SetTime(t)
		}
	} else if r.TimeGeneratedUTC != "" {
		ev.Metadata.OriginalTime = string(r.TimeGeneratedUTC)
		if t, err := rawjson.ParseDayFirstTime(string(r.TimeGeneratedUTC)); err == nil {
			ev.SetTime(t)
		}
	}
	if t, err := rawjson.ParseTime(string(r.SubmissionTimestamp)); err == nil {
		ev.Metadata.LoggedTime = t.UnixMilli()
	}
}

// setStatus reads the outcome from status/subStatus (REST), resultType (diagnostic) or
// ActivityStatusValue (Log Analytics); HTTP status codes of resource logs count too.
func setStatus(r *record, props *properties, ev *event.Event) {
	st := normalize.FirstNonEmpty(r.ActivityStatusValue, r.Status.String(), string(r.ResultType), string(r.ResultSignature))
	ev.StatusDetail = normalize.FirstNonEmpty(r.ActivitySubstatus, r.SubStatus.String(), r.StatusText)
	switch strings.ToLower(st) {
	case "succeeded", "success", "resolved", "ok", "created", "accepted":
		ev.SetStatus(event.StatusSuccess)
	case "failed", "failure", "error", "badrequest", "forbidden", "conflict":
		ev.SetStatus(event.StatusFailure)
	case "started", "start", "active", "inprogress", "in progress", "updated", "in-progress":
		ev.SetStatus(event.StatusOther)
	default:
		ev.SetStatus(event.StatusUnknown)
	}
	code := normalize.FirstNonEmpty(string(r.StatusCode), string(props.StatusCode))
	if n, ok := normalize.Text(code).Int(); ok && n >= 100 {
		ev.StatusCode = code
		if n >= 400 {
			ev.SetStatus(event.StatusFailure)
		} else if ev.StatusID == event.StatusUnknown {
			ev.SetStatus(event.StatusSuccess)
		}
	} else if code != "" {
		ev.StatusCode = code
	}
	if ev.StatusCode == "" && st != "" {
		ev.StatusCode = st
	}
}

// levelSeverity maps the Activity Log level (name or Azure's number) to a severity.
func levelSeverity(level normalize.Text) int {
	switch strings.ToLower(strings.TrimSpace(string(level))) {
	case "critical", "1":
		return event.SeverityCritical
	case "error", "2":
		return event.SeverityHigh
	case "warning", "3":
		return event.SeverityMedium
	}
	return event.SeverityInformational
}

// setSourceIP keeps the first valid address, without port or CIDR suffix.
func setSourceIP(ev *event.Event, s string) {
	if ev.SrcEndpoint.IP != "" {
		return
	}
	if ip, port, ok := normalize.ParseAddr(s); ok {
		ev.SrcEndpoint.IP, ev.SrcEndpoint.Port = ip, port
	}
}

func firstJSON(js ...normalize.JSONText) normalize.JSONText {
	for _, j := range js {
		if len(j) > 0 {
			return j
		}
	}
	return nil
}

var (
	_ normalize.Parser     = (*Parser)(nil)
	_ normalize.Documenter = (*Parser)(nil)
)
