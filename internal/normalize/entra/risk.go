package entra

import (
	"strings"

	"github.com/vigil-sec/vigil/internal/event"
	"github.com/vigil-sec/vigil/internal/normalize"
	"github.com/vigil-sec/vigil/internal/rawjson"
)

// riskDetection is a Graph riskDetection (identityProtection/riskDetections), the
// properties of UserRiskEvents / ServicePrincipalRiskEvents diagnostic records, and, for
// RiskyUsers / RiskyServicePrincipals, a risky identity's state.
type riskDetection struct {
	ID                      string             `json:"id"`
	RequestID               string             `json:"requestId"`
	CorrelationID           string             `json:"correlationId"`
	RiskType                string             `json:"riskType"`
	RiskEventType           string             `json:"riskEventType"`
	RiskState               string             `json:"riskState"`
	RiskLevel               string             `json:"riskLevel"`
	RiskDetail              string             `json:"riskDetail"`
	Source                  string             `json:"source"`
	DetectionTimingType     string             `json:"detectionTimingType"`
	Activity                string             `json:"activity"`
	IPAddress               string             `json:"ipAddress"`
	UserID                  string             `json:"userId"`
	UserDisplayName         string             `json:"userDisplayName"`
	UserPrincipalName       string             `json:"userPrincipalName"`
	ServicePrincipalID      string             `json:"servicePrincipalId"`
	ServicePrincipalName    string             `json:"servicePrincipalDisplayName"`
	AppID                   string             `json:"appId"`
	DetectedDateTime        normalize.Text     `json:"detectedDateTime"`
	ActivityDateTime        normalize.Text     `json:"activityDateTime"`
	LastUpdatedDateTime     normalize.Text     `json:"lastUpdatedDateTime"`
	RiskLastUpdatedDateTime normalize.Text     `json:"riskLastUpdatedDateTime"`
	Location                normalize.JSONText `json:"location"`
	AdditionalInfo          normalize.Text     `json:"additionalInfo"`
}

func (p *Parser) normalizeRisk(r *riskDetection, ev *event.Event) {
	ev.SetClass(event.ClassDetectionFinding, event.ActivityCreate)
	ev.Metadata.UID = r.ID
	ev.Metadata.CorrelationUID = r.CorrelationID
	ev.Metadata.Product = event.Product{Name: "Entra ID Protection", VendorName: "Microsoft"}
	if ev.Metadata.LogName == "" {
		ev.Metadata.LogName = "riskDetection"
	}
	when := normalize.FirstNonEmpty(string(r.DetectedDateTime), string(r.ActivityDateTime), string(r.RiskLastUpdatedDateTime), string(r.LastUpdatedDateTime))
	setTime(ev, when)
	if t, err := rawjson.ParseTime(string(r.LastUpdatedDateTime)); err == nil {
		ev.Metadata.LoggedTime = t.UnixMilli()
	}
	ev.Vigil.Category = event.CategoryIdentityRisk
	ev.SetSeverity(riskSeverity(r.RiskLevel))
	ev.SetStatus(event.StatusSuccess)
	kind := normalize.FirstNonEmpty(r.RiskEventType, r.RiskType)
	title := "Entra ID risk: " + normalize.FirstNonEmpty(kind, "risky "+normalize.FirstNonEmpty(r.RiskState, "identity"))
	ev.FindingInfo = &event.FindingInfo{UID: r.ID, Title: title, Desc: r.RiskDetail, Types: nonEmpty(kind, r.RiskState)}
	ev.Message = title
	ev.StatusDetail = r.RiskState
	ev.API.Operation = normalize.FirstNonEmpty(kind, "riskyUser")
	ev.API.Service.Name = normalize.FirstNonEmpty(r.Source, "IdentityProtection")
	ev.Cloud.Provider = "Azure"
	setIP(ev, r.IPAddress)
	setLocationJSON(ev, r.Location)
	u := &ev.Actor.User
	if r.UserPrincipalName != "" || r.UserID != "" {
		u.UID, u.Name, u.Type, u.TypeID = r.UserID, normalize.FirstNonEmpty(r.UserPrincipalName, r.UserDisplayName), "User", event.UserTypeUser
		setEmail(u, r.UserPrincipalName)
		ev.Vigil.Entity = event.UserEntity(normalize.FirstNonEmpty(r.UserPrincipalName, r.UserID))
		ev.User = &event.User{UID: u.UID, Name: u.Name, Type: "User", EmailAddr: u.EmailAddr}
	} else if id := normalize.FirstNonEmpty(r.ServicePrincipalID, r.AppID); id != "" {
		u.UID, u.Name, u.Type, u.TypeID = id, r.ServicePrincipalName, "ServicePrincipal", event.UserTypeSystem
		ev.Vigil.Entity = event.Entity{Type: event.EntityServicePrincipal, Name: strings.ToLower(id)}
	}
}

// riskSeverity maps Entra risk levels to severities; none and hidden are informational.
func riskSeverity(level string) int {
	if s := levelSeverity(level); s != event.SeverityUnknown {
		return s
	}
	return event.SeverityInformational
}

// levelSeverity maps Microsoft's high/medium/low/informational levels, Unknown otherwise.
func levelSeverity(level string) int {
	switch strings.ToLower(strings.TrimSpace(level)) {
	case "high":
		return event.SeverityHigh
	case "medium":
		return event.SeverityMedium
	case "low":
		return event.SeverityLow
	case "informational":
		return event.SeverityInformational
	}
	return event.SeverityUnknown
}

func nonEmpty(ss ...string) []string {
	var out []string
	for _, s := range ss {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}
