package entra

import (
	"strings"

	"github.com/vigil-sec/vigil/internal/event"
	"github.com/vigil-sec/vigil/internal/normalize"
	"github.com/vigil-sec/vigil/internal/rawjson"
)

// sentinelTables maps the Log Analytics / Sentinel tables of Entra data to the diagnostic
// category whose body they carry.
func sentinelTables() map[string]string {
	return map[string]string{
		"signinlogs":                      "SignInLogs",
		"aadnoninteractiveusersigninlogs": "NonInteractiveUserSignInLogs",
		"aadserviceprincipalsigninlogs":   "ServicePrincipalSignInLogs",
		"aadmanagedidentitysigninlogs":    "ManagedIdentitySignInLogs",
		"adfssigninlogs":                  "ADFSSignInLogs",
		"auditlogs":                       "AuditLogs",
		"aaduserriskevents":               "UserRiskEvents",
		"aadriskyusers":                   "RiskyUsers",
		"aadserviceprincipalriskevents":   "ServicePrincipalRiskEvents",
		"aadriskyserviceprincipals":       "RiskyServicePrincipals",
		"aadprovisioninglogs":             "ProvisioningLogs",
	}
}

// sentinelExtra holds the columns of table rows whose names differ from the Graph body.
type sentinelExtra struct {
	Type              string             `json:"Type"`
	TimeGenerated     normalize.Text     `json:"TimeGenerated"`
	TimeGeneratedUTC  normalize.Text     `json:"TimeGenerated [UTC]"`
	LocationDetails   normalize.JSONText `json:"LocationDetails"`
	Status            normalize.JSONText `json:"Status"`
	DeviceDetail      normalize.JSONText `json:"DeviceDetail"`
	ResultType        normalize.Text     `json:"ResultType"`
	ResultDescription normalize.Text     `json:"ResultDescription"`
	Category          string             `json:"Category"`
}

// tableCategory is the diagnostic category of a row's table, "" when it is not an Entra table.
func tableCategory(table string) string {
	return sentinelTables()[strings.ToLower(strings.TrimSpace(table))]
}

// normalizeRow maps a table row exported from Log Analytics (JSON or CSV).
func (p *Parser) normalizeRow(rec []byte, category string, ev *event.Event) error {
	var x sentinelExtra
	if err := decode(rec, &x, ev); err != nil {
		return err
	}
	ev.Metadata.LogName = normalize.FirstNonEmpty(x.Type, category)
	switch diagKindOf(category) {
	case diagSignIn:
		var s signIn
		if err := decodeRowSignIn(rec, &s, &x); err != nil {
			return err
		}
		p.normalizeSignIn(&s, category, ev)
		if s.Status == nil || x.ResultType != "" {
			applyResultType(p, ev, &s, category, x.ResultType, string(x.ResultDescription))
		}
	case diagRisk:
		var r riskDetection
		if err := decode(rec, &r, ev); err != nil {
			return err
		}
		p.normalizeRisk(&r, ev)
	default:
		var a directoryAudit
		if err := decode(rec, &a, ev); err != nil {
			return err
		}
		p.normalizeAudit(&a, ev)
	}
	if ev.TimeDt == "" {
		rowTime(ev, x)
	}
	return nil
}

// rowTime falls back to the row's ingestion time.
func rowTime(ev *event.Event, x sentinelExtra) {
	if x.TimeGeneratedUTC != "" {
		if t, err := rawjson.ParseDayFirstTime(string(x.TimeGeneratedUTC)); err == nil {
			ev.SetTime(t)
			ev.Metadata.OriginalTime = string(x.TimeGeneratedUTC)
			return
		}
	}
	setTime(ev, string(x.TimeGenerated))
}

// decodeRowSignIn decodes a sign-in row whose dynamic columns (Status, DeviceDetail,
// LocationDetails) may be JSON text: what the text holds replaces whatever the plain decode
// made of it.
func decodeRowSignIn(rec []byte, s *signIn, x *sentinelExtra) error {
	var scratch event.Event // type mismatches on the dynamic columns are expected here
	if err := decode(rec, s, &scratch); err != nil {
		return err
	}
	if x.Status.IsObject() {
		s.Status = new(signInStatus)
		_ = x.Status.Decode(s.Status)
	}
	if x.DeviceDetail.IsObject() {
		s.DeviceDetail = new(deviceDetail)
		_ = x.DeviceDetail.Decode(s.DeviceDetail)
	}
	if x.LocationDetails.IsObject() {
		s.Location = new(signInLocation)
		_ = x.LocationDetails.Decode(s.Location)
	}
	return nil
}
