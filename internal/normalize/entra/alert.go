package entra

import (
	"strings"

	"github.com/vigil-sec/vigil/internal/event"
	"github.com/vigil-sec/vigil/internal/normalize"
	"github.com/vigil-sec/vigil/internal/rawjson"
)

// securityAlert is a Microsoft Graph security alert (security/alerts_v2).
type securityAlert struct {
	ID                 string             `json:"id"`
	ProviderAlertID    string             `json:"providerAlertId"`
	IncidentID         string             `json:"incidentId"`
	Status             string             `json:"status"`
	Severity           string             `json:"severity"`
	Classification     normalize.Text     `json:"classification"`
	Determination      normalize.Text     `json:"determination"`
	ServiceSource      string             `json:"serviceSource"`
	DetectionSource    string             `json:"detectionSource"`
	TenantID           string             `json:"tenantId"`
	Title              string             `json:"title"`
	Description        string             `json:"description"`
	Category           string             `json:"category"`
	CreatedDateTime    normalize.Text     `json:"createdDateTime"`
	LastUpdateDateTime normalize.Text     `json:"lastUpdateDateTime"`
	MitreTechniques    []string           `json:"mitreTechniques"`
	Evidence           normalize.JSONText `json:"evidence"`
}

type alertEvidence struct {
	UserAccount *struct {
		AccountName       string `json:"accountName"`
		UserPrincipalName string `json:"userPrincipalName"`
		AzureAdUserID     string `json:"azureAdUserId"`
		DomainName        string `json:"domainName"`
	} `json:"userAccount"`
	IPAddress string `json:"ipAddress"`
}

func (p *Parser) normalizeAlert(a *securityAlert, ev *event.Event) {
	ev.SetClass(event.ClassDetectionFinding, event.ActivityCreate)
	ev.Metadata.UID = a.ID
	ev.Metadata.Product = event.Product{Name: normalize.FirstNonEmpty(serviceName(a.ServiceSource), "Microsoft Defender XDR"), VendorName: "Microsoft"}
	ev.Metadata.LogName = "alert"
	setTime(ev, string(a.CreatedDateTime))
	if t, err := rawjson.ParseTime(string(a.LastUpdateDateTime)); err == nil {
		ev.Metadata.LoggedTime = t.UnixMilli()
	}
	ev.Vigil.Category = event.CategoryProviderAlert
	ev.SetSeverity(levelSeverity(a.Severity))
	ev.SetStatus(event.StatusSuccess)
	ev.StatusDetail = a.Status
	ev.Message = a.Title
	ev.FindingInfo = &event.FindingInfo{UID: normalize.FirstNonEmpty(a.ProviderAlertID, a.ID), Title: a.Title, Desc: a.Description,
		Types: nonEmpty(a.Category), Attacks: a.MitreTechniques}
	ev.API.Operation = normalize.FirstNonEmpty(a.Category, "alert")
	ev.API.Service.Name = a.DetectionSource
	ev.Cloud.Provider = "Azure"
	if a.TenantID != "" {
		ev.Cloud.Org = &event.Org{UID: a.TenantID}
		ev.Cloud.Account.UID = a.TenantID
	}
	var evidence []alertEvidence
	if len(a.Evidence) > 0 && a.Evidence[0] == '[' {
		_ = a.Evidence.Decode(&evidence)
	}
	for _, e := range evidence {
		if ua := e.UserAccount; ua != nil && ev.Vigil.Entity.IsZero() {
			upn := ua.UserPrincipalName
			if upn == "" && ua.AccountName != "" && ua.DomainName != "" && strings.Contains(ua.DomainName, ".") {
				upn = ua.AccountName + "@" + ua.DomainName
			}
			if upn != "" {
				ev.Vigil.Entity = event.UserEntity(upn)
				ev.User = &event.User{UID: ua.AzureAdUserID, Name: upn, Type: "User"}
				setEmail(ev.User, upn)
			}
		}
		if e.IPAddress != "" && ev.SrcEndpoint.IP == "" {
			setIP(ev, e.IPAddress)
		}
	}
}

// serviceName turns Graph's serviceSource enum into a product name.
func serviceName(s string) string {
	switch strings.ToLower(s) {
	case "microsoftdefenderforendpoint":
		return "Microsoft Defender for Endpoint"
	case "microsoftdefenderforidentity":
		return "Microsoft Defender for Identity"
	case "microsoftdefenderforcloudapps":
		return "Microsoft Defender for Cloud Apps"
	case "microsoftdefenderforoffice365":
		return "Microsoft Defender for Office 365"
	case "microsoft365defender":
		return "Microsoft Defender XDR"
	case "azureadidentityprotection", "microsoftentraidprotection":
		return "Microsoft Entra ID Protection"
	case "microsoftdefenderforcloud":
		return "Microsoft Defender for Cloud"
	case "microsoftsentinel":
		return "Microsoft Sentinel"
	}
	return s
}
