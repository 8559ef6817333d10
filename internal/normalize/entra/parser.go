// Package entra normalizes Microsoft Entra ID data in every shape it is delivered in:
// Microsoft Graph sign-ins, directory audits, risk detections and security alerts; the same
// data as Azure Monitor diagnostic records (Event Hubs, storage); and Log Analytics /
// Sentinel table rows exported as JSON or CSV.
package entra

import (
	"errors"
	"fmt"
	"strings"

	"github.com/goccy/go-json"

	"github.com/vigil-sec/vigil/internal/event"
	"github.com/vigil-sec/vigil/internal/normalize"
	"github.com/vigil-sec/vigil/internal/rawjson"
)

// Parser normalizes Entra ID records.
type Parser struct {
	codes      codeIndex
	activities activityIndex
}

// New returns the Entra ID parser.
func New() *Parser { return &Parser{codes: newCodeIndex(), activities: newActivityIndex()} }

// Format names the format.
func (*Parser) Format() string { return "entra" }

// shape is which of the Entra record shapes a record has.
type shape int

const (
	shapeNone shape = iota
	shapeDiag
	shapeRow
	shapeSignIn
	shapeAudit
	shapeRisk
	shapeAlert
)

// Detect claims Entra records of every shape.
func (*Parser) Detect(p *rawjson.Probe) bool { return shapeOf(p) != shapeNone }

func shapeOf(p *rawjson.Probe) shape {
	if cat, ok := p.String("category"); ok && p.HasAny("properties", "operationName", "resourceId", "time") {
		if diagKindOf(cat) != diagNone {
			return shapeDiag
		}
		if body, ok := p.Value("properties"); ok && isAuditBody(body) {
			return shapeDiag
		}
	}
	if t, ok := p.String("Type"); ok && tableCategory(t) != "" {
		return shapeRow
	}
	switch {
	case p.StringIs("@odata.type", "#microsoft.graph.security.alert") || p.StringIs("at_sign_odata_type", "#microsoft.graph.security.alert"),
		p.Has("serviceSource") && p.HasAny("alertWebUrl", "evidence", "mitreTechniques", "detectionSource", "severity"):
		return shapeAlert
	case p.Has("riskEventType"), p.HasAll("riskLevel", "riskState", "userPrincipalName") && !p.Has("createdDateTime"):
		return shapeRisk
	case p.Has("activityDisplayName") && p.HasAny("activityDateTime", "initiatedBy", "targetResources"):
		return shapeAudit
	case p.Has("createdDateTime") && p.HasAny("userPrincipalName", "appId", "servicePrincipalId") &&
		p.HasAny("status", "clientAppUsed", "signInEventTypes", "appDisplayName", "ipAddress"):
		if p.HasAny("TimeGenerated", "TimeGenerated [UTC]") {
			return shapeRow
		}
		return shapeSignIn
	case p.HasAny("TimeGenerated", "TimeGenerated [UTC]") && p.Has("ResultType") && p.HasAny("UserPrincipalName", "AppId"):
		return shapeRow
	}
	return shapeNone
}

// isAuditBody reports whether a diagnostic record's properties are an Entra directory audit.
func isAuditBody(body []byte) bool {
	var q rawjson.Probe
	q.Reset(body)
	return q.Has("activityDisplayName") && q.HasAny("initiatedBy", "targetResources", "loggedByService")
}

// Parse normalizes one record.
func (p *Parser) Parse(rec []byte, probe *rawjson.Probe, ev *event.Event) error {
	ev.Vigil.Source = "entra"
	ev.Metadata.Version = event.SchemaVersion
	ev.Cloud.Provider = "Azure"
	switch shapeOf(probe) {
	case shapeDiag:
		return p.normalizeDiag(rec, ev)
	case shapeRow:
		t, _ := probe.String("Type")
		cat := tableCategory(t)
		if cat == "" {
			cat = "SignInLogs"
			if probe.Has("ActivityDisplayName") {
				cat = "AuditLogs"
			}
		}
		return p.normalizeRow(rec, cat, ev)
	case shapeSignIn:
		var s signIn
		if err := decode(rec, &s, ev); err != nil {
			return err
		}
		p.normalizeSignIn(&s, "", ev)
	case shapeAudit:
		var a directoryAudit
		if err := decode(rec, &a, ev); err != nil {
			return err
		}
		p.normalizeAudit(&a, ev)
	case shapeRisk:
		var r riskDetection
		if err := decode(rec, &r, ev); err != nil {
			return err
		}
		p.normalizeRisk(&r, ev)
	case shapeAlert:
		var a securityAlert
		if err := decode(rec, &a, ev); err != nil {
			return err
		}
		p.normalizeAlert(&a, ev)
	default:
		return errors.New("not an Entra ID record")
	}
	return nil
}

// decode fills v from rec. A field of an unexpected JSON type does not lose the record:
// the decoder fills every other field, and the mismatch is noted in vigil.repairs.
func decode(rec []byte, v any, ev *event.Event) error {
	err := json.Unmarshal(rec, v)
	if err == nil {
		return nil
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		ev.Vigil.Repairs = appendUnique(ev.Vigil.Repairs, "type_mismatch:"+te.Field)
		return nil
	}
	return fmt.Errorf("decode: %w", err)
}

// setTime sets the event time from the record's own time text, keeping the original.
func setTime(ev *event.Event, raw string) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return
	}
	ev.Metadata.OriginalTime = raw
	if t, err := rawjson.ParseTime(raw); err == nil {
		ev.SetTime(t)
	}
}

// setEmail records a UPN as the user's address and domain when it is one.
func setEmail(u *event.User, upn string) {
	at := strings.IndexByte(upn, '@')
	if at <= 0 || at == len(upn)-1 || strings.ContainsAny(upn, " /") {
		return
	}
	u.EmailAddr = strings.ToLower(upn)
	u.Domain = strings.ToLower(upn[at+1:])
}

var (
	_ normalize.Parser     = (*Parser)(nil)
	_ normalize.Documenter = (*Parser)(nil)
)
