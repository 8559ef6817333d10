package entra

import (
	"strings"

	"github.com/vigil-sec/vigil/internal/event"
	"github.com/vigil-sec/vigil/internal/normalize"
	"github.com/vigil-sec/vigil/internal/rawjson"
)

// diagRecord is an Azure Monitor diagnostic record of Entra ID (Event Hubs, storage).
// Keys arrive camelCase, PascalCase or lower-cased; `properties` as an object or as a
// string of JSON.
type diagRecord struct {
	Time              normalize.Text     `json:"time"`
	ResourceID        string             `json:"resourceId"`
	OperationName     normalize.Text     `json:"operationName"`
	Category          string             `json:"category"`
	TenantID          string             `json:"tenantId"`
	ResultType        normalize.Text     `json:"resultType"`
	ResultSignature   normalize.Text     `json:"resultSignature"`
	ResultDescription normalize.Text     `json:"resultDescription"`
	CallerIPAddress   string             `json:"callerIpAddress"`
	CorrelationID     string             `json:"correlationId"`
	Level             normalize.Text     `json:"level"`
	Properties        normalize.JSONText `json:"properties"`
}

// diagKind says which body a diagnostic category carries.
type diagKind int

const (
	diagNone diagKind = iota
	diagSignIn
	diagAudit
	diagRisk
)

func diagKindOf(category string) diagKind {
	switch strings.ToLower(category) {
	case "signinlogs", "noninteractiveusersigninlogs", "serviceprincipalsigninlogs", "managedidentitysigninlogs",
		"microsoftserviceprincipalsigninlogs", "adfssigninlogs":
		return diagSignIn
	case "auditlogs", "provisioninglogs", "b2cauditlogs", "enrichedoffice365auditlogs":
		return diagAudit
	case "userriskevents", "riskyusers", "serviceprincipalriskevents", "riskyserviceprincipals":
		return diagRisk
	}
	return diagNone
}

// normalizeDiag maps a diagnostic record: the body comes from properties (or, for records
// that carry the body's fields at the top level, from the record itself).
func (p *Parser) normalizeDiag(rec []byte, ev *event.Event) error {
	var d diagRecord
	if err := decode(rec, &d, ev); err != nil {
		return err
	}
	body := []byte(d.Properties)
	if !d.Properties.IsObject() {
		body = rec
	}
	ev.Metadata.LogName = d.Category
	kind := diagKindOf(d.Category)
	if kind == diagNone {
		kind = diagAudit // claimed by Detect for its Entra audit body
	}
	switch kind {
	case diagSignIn:
		var s signIn
		if err := decode(body, &s, ev); err != nil {
			return err
		}
		if s.IPAddress == "" {
			s.IPAddress = d.CallerIPAddress
		}
		if s.CorrelationID == "" {
			s.CorrelationID = d.CorrelationID
		}
		p.normalizeSignIn(&s, d.Category, ev)
		if s.Status == nil && d.ResultType != "" {
			applyResultType(p, ev, &s, d.Category, d.ResultType, string(d.ResultDescription))
		}
	case diagAudit:
		var a directoryAudit
		if err := decode(body, &a, ev); err != nil {
			return err
		}
		if a.ActivityDisplayName == "" {
			a.ActivityDisplayName = string(d.OperationName)
		}
		if a.CorrelationID == "" {
			a.CorrelationID = d.CorrelationID
		}
		p.normalizeAudit(&a, ev)
		if ev.SrcEndpoint.IP == "" {
			setIP(ev, d.CallerIPAddress)
		}
	case diagRisk:
		var r riskDetection
		if err := decode(body, &r, ev); err != nil {
			return err
		}
		p.normalizeRisk(&r, ev)
	}
	// The record's own time is when Azure Monitor logged the event; prefer it, as the
	// Entra body's time may be in another zone or format.
	if d.Time != "" {
		if t, err := rawjson.ParseTime(string(d.Time)); err == nil {
			ev.SetTime(t)
			ev.Metadata.OriginalTime = string(d.Time)
		}
	}
	if d.TenantID != "" {
		ev.Cloud.Org = &event.Org{UID: d.TenantID}
		ev.Cloud.Account.UID = d.TenantID
	}
	return nil
}

// applyResultType sets the outcome of a sign-in whose body has no status, from the
// record's resultType (the AADSTS code) and resultDescription.
func applyResultType(p *Parser, ev *event.Event, s *signIn, category string, code normalize.Text, desc string) {
	n, ok := code.Int()
	if !ok {
		return
	}
	ev.StatusCode = code.String()
	ev.StatusDetail = normalize.FirstNonEmpty(desc, ev.StatusDetail)
	if n == 0 {
		ev.SetStatus(event.StatusSuccess)
	} else {
		ev.SetStatus(event.StatusFailure)
	}
	ev.Vigil.Category = p.codes.category(s.kind(category), n)
}
