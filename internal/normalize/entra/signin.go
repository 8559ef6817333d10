package entra

import (
	"strings"

	"github.com/vigil-sec/vigil/internal/event"
	"github.com/vigil-sec/vigil/internal/normalize"
)

// signIn is a Microsoft Graph signIn (v1.0 and beta), which is also the `properties` of
// the SignInLogs family of diagnostic records. Names match case-insensitively.
type signIn struct {
	ID                        string         `json:"id"`
	CreatedDateTime           normalize.Text `json:"createdDateTime"`
	UserDisplayName           string         `json:"userDisplayName"`
	UserPrincipalName         string         `json:"userPrincipalName"`
	UserID                    string         `json:"userId"`
	UserType                  string         `json:"userType"`
	AppID                     string         `json:"appId"`
	AppDisplayName            string         `json:"appDisplayName"`
	IPAddress                 string         `json:"ipAddress"`
	ClientAppUsed             string         `json:"clientAppUsed"`
	UserAgent                 string         `json:"userAgent"`
	CorrelationID             string         `json:"correlationId"`
	ConditionalAccessStatus   normalize.Text `json:"conditionalAccessStatus"`
	IsInteractive             normalize.Text `json:"isInteractive"`
	SignInEventTypes          []string       `json:"signInEventTypes"`
	AuthenticationRequirement string         `json:"authenticationRequirement"`
	AuthenticationProtocol    string         `json:"authenticationProtocol"`
	IncomingTokenType         string         `json:"incomingTokenType"`
	ResourceDisplayName       string         `json:"resourceDisplayName"`
	ResourceID                string         `json:"resourceId"`
	ServicePrincipalID        string         `json:"servicePrincipalId"`
	ServicePrincipalName      string         `json:"servicePrincipalName"`
	ManagedIdentityType       string         `json:"managedIdentityType"`
	HomeTenantID              string         `json:"homeTenantId"`
	ResourceTenantID          string         `json:"resourceTenantId"`
	SessionID                 string         `json:"sessionId"`
	UniqueTokenIdentifier     string         `json:"uniqueTokenIdentifier"`
	AutonomousSystemNumber    normalize.Text `json:"autonomousSystemNumber"`
	RiskLevelDuringSignIn     string         `json:"riskLevelDuringSignIn"`
	RiskLevelAggregated       string         `json:"riskLevelAggregated"`
	RiskState                 string         `json:"riskState"`
	RiskEventTypesV2          []string       `json:"riskEventTypes_v2"`
	// Typed, so the hot path decodes them in one pass; exports that carry them as JSON
	// text fill them through sentinelExtra instead.
	Status       *signInStatus   `json:"status"`
	DeviceDetail *deviceDetail   `json:"deviceDetail"`
	Location     *signInLocation `json:"location"`
}

type signInStatus struct {
	ErrorCode         normalize.Text `json:"errorCode"`
	FailureReason     string         `json:"failureReason"`
	AdditionalDetails string         `json:"additionalDetails"`
}

type deviceDetail struct {
	DeviceID        string         `json:"deviceId"`
	DisplayName     string         `json:"displayName"`
	OperatingSystem string         `json:"operatingSystem"`
	Browser         string         `json:"browser"`
	IsCompliant     normalize.Text `json:"isCompliant"`
	IsManaged       normalize.Text `json:"isManaged"`
	TrustType       string         `json:"trustType"`
}

type signInLocation struct {
	City            string `json:"city"`
	State           string `json:"state"`
	CountryOrRegion string `json:"countryOrRegion"`
	GeoCoordinates  *struct {
		Latitude  normalize.Text `json:"latitude"`
		Longitude normalize.Text `json:"longitude"`
	} `json:"geoCoordinates"`
}

// signInKind says whose sign-in it is.
type signInKind int

const (
	kindInteractive signInKind = iota
	kindNonInteractive
	kindServicePrincipal
	kindManagedIdentity
)

// kind reads the sign-in's kind from the record, or from the diagnostic category.
func (s *signIn) kind(category string) signInKind {
	c := strings.ToLower(category)
	switch {
	case strings.Contains(c, "managedidentity"):
		return kindManagedIdentity
	case strings.Contains(c, "serviceprincipal"):
		return kindServicePrincipal
	case strings.Contains(c, "noninteractive"):
		return kindNonInteractive
	}
	for _, t := range s.SignInEventTypes {
		switch strings.ToLower(t) {
		case "managedidentity":
			return kindManagedIdentity
		case "serviceprincipal":
			return kindServicePrincipal
		case "noninteractiveuser":
			return kindNonInteractive
		}
	}
	if s.UserPrincipalName == "" && s.UserID == "" && (s.ServicePrincipalID != "" || s.ServicePrincipalName != "") {
		return kindServicePrincipal
	}
	if b := s.IsInteractive.Bool(); b != nil && !*b && c != "signinlogs" {
		return kindNonInteractive
	}
	return kindInteractive
}

// normalizeSignIn maps a sign-in onto ev. category is the diagnostic category, "" for Graph.
func (p *Parser) normalizeSignIn(s *signIn, category string, ev *event.Event) {
	ev.SetClass(event.ClassAuthentication, event.ActivityLogon)
	ev.SetSeverity(event.SeverityInformational)
	ev.Metadata.UID = s.ID
	ev.Metadata.CorrelationUID = s.CorrelationID
	ev.Metadata.Product = event.Product{Name: "Entra ID", VendorName: "Microsoft"}
	if ev.Metadata.LogName == "" {
		ev.Metadata.LogName = "signIn"
	}
	setTime(ev, string(s.CreatedDateTime))
	kind := s.kind(category)
	u := &ev.Actor.User
	switch kind {
	case kindServicePrincipal, kindManagedIdentity:
		u.UID = normalize.FirstNonEmpty(s.ServicePrincipalID, s.AppID)
		u.Name = normalize.FirstNonEmpty(s.ServicePrincipalName, s.AppDisplayName)
		u.Type = "ServicePrincipal"
		if kind == kindManagedIdentity {
			u.Type = "ManagedIdentity"
		}
		u.TypeID = event.UserTypeSystem
		ev.Vigil.Entity = event.Entity{Type: event.EntityServicePrincipal, Name: strings.ToLower(normalize.FirstNonEmpty(s.ServicePrincipalID, s.AppID, u.Name))}
		ev.LogonType = "Service"
	default:
		u.UID = s.UserID
		u.Name = normalize.FirstNonEmpty(s.UserPrincipalName, s.UserDisplayName)
		u.Type = "User"
		if strings.EqualFold(s.UserType, "guest") {
			u.Type = "Guest"
		}
		u.TypeID = event.UserTypeUser
		setEmail(u, s.UserPrincipalName)
		if upn := normalize.FirstNonEmpty(s.UserPrincipalName, s.UserID); upn != "" {
			ev.Vigil.Entity = event.UserEntity(upn)
		}
		ev.LogonType = "Interactive"
		if kind == kindNonInteractive {
			ev.LogonType = "NonInteractive"
		}
	}
	u.AccountUID = s.HomeTenantID
	ev.Actor.AppName = s.AppDisplayName
	ev.Actor.AppUID = s.AppID
	if sid := normalize.FirstNonEmpty(s.SessionID, s.UniqueTokenIdentifier); sid != "" {
		ev.Actor.Session = &event.Session{UID: sid}
	}
	setIP(ev, s.IPAddress)
	ev.HTTPRequest.UserAgent = s.UserAgent
	if asn, ok := s.AutonomousSystemNumber.Int(); ok && asn > 0 {
		ev.SrcEndpoint.AutonomousSystem = &event.AutonomousSystem{Number: asn}
	}
	setLocation(ev, s.Location)
	setDevice(ev, s.DeviceDetail)
	ev.AuthProto = normalize.FirstNonEmpty(s.AuthenticationProtocol, s.ClientAppUsed)
	if strings.EqualFold(s.AuthenticationProtocol, "none") {
		ev.AuthProto = s.ClientAppUsed
	}
	if strings.EqualFold(s.AuthenticationRequirement, "multiFactorAuthentication") {
		t := true
		ev.IsMFA = &t
	} else if s.AuthenticationRequirement != "" {
		f := false
		ev.IsMFA = &f
	}
	ev.Resources = append(ev.Resources, event.Resource{UID: s.ResourceID, Name: s.ResourceDisplayName, Type: "application"})
	ev.API.Operation = "Sign-in activity"
	ev.API.Service.Name = "Microsoft Entra ID"
	ev.Cloud.Provider = "Azure"
	if tenant := normalize.FirstNonEmpty(s.ResourceTenantID, s.HomeTenantID); tenant != "" {
		ev.Cloud.Org = &event.Org{UID: tenant}
		ev.Cloud.Account.UID = tenant
	}

	var st signInStatus
	if s.Status != nil {
		st = *s.Status
	}
	code, _ := st.ErrorCode.Int()
	ev.StatusCode = st.ErrorCode.String()
	if ev.StatusCode == "" {
		ev.StatusCode = "0"
	}
	ev.StatusDetail = normalize.FirstNonEmpty(st.FailureReason, st.AdditionalDetails)
	if code == 0 {
		ev.SetStatus(event.StatusSuccess)
	} else {
		ev.SetStatus(event.StatusFailure)
	}
	ev.Vigil.Category = p.codes.category(kind, code)
	if s.RiskLevelDuringSignIn != "" && !strings.EqualFold(s.RiskLevelDuringSignIn, "none") && !strings.EqualFold(s.RiskLevelDuringSignIn, "hidden") {
		ev.Message = "sign-in risk " + s.RiskLevelDuringSignIn
		if sev := riskSeverity(s.RiskLevelDuringSignIn); sev > event.SeverityInformational {
			ev.SetSeverity(sev)
		}
	}
}

// setIP keeps only a valid address in src_endpoint.ip, stripping a port or CIDR suffix.
func setIP(ev *event.Event, ip string) {
	if addr, port, ok := normalize.ParseAddr(ip); ok {
		ev.SrcEndpoint.IP, ev.SrcEndpoint.Port = addr, port
	}
}

// setLocationJSON is setLocation for a location held as JSON (risk detections, exports).
func setLocationJSON(ev *event.Event, raw normalize.JSONText) {
	var l signInLocation
	if raw.IsObject() && raw.Decode(&l) == nil {
		setLocation(ev, &l)
	}
}

func setLocation(ev *event.Event, l *signInLocation) {
	if l == nil {
		return
	}
	loc := &event.Location{City: l.City, Region: l.State, Country: strings.ToUpper(l.CountryOrRegion)}
	if g := l.GeoCoordinates; g != nil {
		lat, ok1 := g.Latitude.Float()
		long, ok2 := g.Longitude.Float()
		if ok1 && ok2 && !(lat == 0 && long == 0) {
			loc.Lat, loc.Long = &lat, &long
		}
	}
	if *loc != (event.Location{}) {
		ev.SrcEndpoint.Location = loc
	}
}

func setDevice(ev *event.Event, d *deviceDetail) {
	if d == nil {
		return
	}
	dev := &event.Device{UID: d.DeviceID, Name: d.DisplayName, OS: d.OperatingSystem, Browser: d.Browser,
		TrustType: d.TrustType, IsCompliant: d.IsCompliant.Bool(), IsManaged: d.IsManaged.Bool()}
	if dev.UID != "" || dev.OS != "" || dev.Browser != "" || dev.Name != "" {
		ev.Device = dev
	}
}
