package activitylog

import (
	"strings"

	"github.com/goccy/go-json"

	"github.com/vigil-sec/vigil/internal/event"
	"github.com/vigil-sec/vigil/internal/normalize"
)

// tokenClaims are the caller's token claims the Activity Log copies into an event that
// Vigil reads; Azure writes some under their WS-Federation URIs, some under JWT short names.
type tokenClaims struct {
	UPNURI      normalize.Text `json:"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn"`
	NameURI     normalize.Text `json:"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name"`
	ObjectIDURI normalize.Text `json:"http://schemas.microsoft.com/identity/claims/objectidentifier"`
	TenantURI   normalize.Text `json:"http://schemas.microsoft.com/identity/claims/tenantid"`
	UPN         normalize.Text `json:"upn"`
	UniqueName  normalize.Text `json:"unique_name"`
	Name        normalize.Text `json:"name"`
	TID         normalize.Text `json:"tid"`
	AppID       normalize.Text `json:"appid"`
	AZP         normalize.Text `json:"azp"`
	IPAddr      normalize.Text `json:"ipaddr"`
	IDType      normalize.Text `json:"idtyp"`
}

// trim drops the padding some exports leave around claim values.
func (c *tokenClaims) trim() {
	for _, f := range []*normalize.Text{&c.UPNURI, &c.NameURI, &c.ObjectIDURI, &c.TenantURI, &c.UPN, &c.UniqueName, &c.Name, &c.TID, &c.AppID, &c.AZP, &c.IPAddr, &c.IDType} {
		*f = normalize.Text(strings.TrimSpace(string(*f)))
	}
}

// isGUID reports whether s is a GUID in its 8-4-4-4-12 text form (an object or app id).
func isGUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
				return false
			}
		}
	}
	return true
}

// setActor finds who acted: the caller (a UPN for people, an object id for service
// principals and managed identities) and the token claims.
func (p *Parser) setActor(r *record, props *properties, ev *event.Event) {
	claimsJSON := firstJSON(r.Claims, r.ClaimsD)
	authJSON := firstJSON(r.Authorization, r.AuthorizationD)
	if r.Identity.IsObject() {
		var id identity
		if r.Identity.Decode(&id) == nil {
			claimsJSON = firstJSON(claimsJSON, id.Claims, id.Claim)
			authJSON = firstJSON(authJSON, id.Authorization)
		}
	}
	var claims tokenClaims
	if claimsJSON.IsObject() {
		// A struct, not a map: the dozen claims Vigil does not read are skipped, not
		// allocated. Keys match case-insensitively, as the map lookups did.
		if json.Unmarshal(claimsJSON, &claims) != nil {
			claims = tokenClaims{}
		}
		claims.trim()
	}
	var auth authorization
	if authJSON.IsObject() {
		_ = authJSON.Decode(&auth)
	}
	if auth.Action != "" && ev.API.Operation == "" {
		ev.API.Operation = auth.Action
	}
	var httpReq struct {
		ClientIPAddress string `json:"clientIpAddress"`
	}
	if r.HTTPRequest.IsObject() {
		_ = r.HTTPRequest.Decode(&httpReq)
	}
	setSourceIP(ev, normalize.FirstNonEmpty(httpReq.ClientIPAddress, r.CallerIPAddress, props.ClientIP, claims.IPAddr.String()))

	caller := normalize.FirstNonEmpty(r.Caller, props.Caller)
	upn := normalize.FirstNonEmpty(claims.UPNURI.String(), claims.UPN.String(), claims.UniqueName.String())
	if caller == "" && !r.Identity.IsObject() && len(r.Identity) > 0 {
		var s string
		if json.Unmarshal(r.Identity, &s) == nil {
			caller = s
		}
	}
	u := &ev.Actor.User
	u.AccountUID = normalize.FirstNonEmpty(claims.TenantURI.String(), claims.TID.String())
	ev.Actor.AppUID = normalize.FirstNonEmpty(claims.AppID.String(), claims.AZP.String())
	switch {
	case strings.Contains(caller, "@") || (caller == "" && strings.Contains(upn, "@")):
		name := normalize.FirstNonEmpty(caller, upn)
		u.Name, u.UID, u.Type, u.TypeID = name, claims.ObjectIDURI.String(), "User", event.UserTypeUser
		if at := strings.IndexByte(name, '@'); at > 0 && !strings.ContainsAny(name, " /") {
			u.EmailAddr, u.Domain = strings.ToLower(name), strings.ToLower(name[at+1:])
		}
		ev.Vigil.Entity = event.UserEntity(name)
	case isGUID(caller) || (caller == "" && ev.Actor.AppUID != ""):
		u.UID = normalize.FirstNonEmpty(caller, claims.ObjectIDURI.String())
		u.Name = normalize.FirstNonEmpty(claims.Name.String(), claims.NameURI.String(), ev.Actor.AppUID, u.UID)
		u.Type = "ServicePrincipal"
		if claims.IDType.String() == "user" {
			u.Type = "User"
		}
		if auth.Evidence != nil && auth.Evidence.PrincipalType != "" {
			u.Type = auth.Evidence.PrincipalType
		}
		u.TypeID = event.UserTypeSystem
		ev.Vigil.Entity = event.Entity{Type: event.EntityServicePrincipal, Name: strings.ToLower(normalize.FirstNonEmpty(ev.Actor.AppUID, u.UID))}
	case caller != "":
		u.Name, u.TypeID = caller, event.UserTypeOther
		ev.Vigil.Entity = event.Entity{Type: event.EntityService, Name: caller}
	case auth.Evidence != nil && isGUID(auth.Evidence.PrincipalID):
		// No caller and no claims (a trimmed export): the principal whose role assignment
		// allowed the call is the caller when it is a user or a service principal (a
		// group's id is not: the caller is one of its members).
		id := strings.ToLower(auth.Evidence.PrincipalID)
		switch strings.ToLower(auth.Evidence.PrincipalType) {
		case "user":
			u.UID, u.Type, u.TypeID = id, "User", event.UserTypeUser
			ev.Vigil.Entity = event.Entity{Type: event.EntityUser, Name: id}
		case "serviceprincipal":
			u.UID, u.Type, u.TypeID = id, "ServicePrincipal", event.UserTypeSystem
			ev.Vigil.Entity = event.Entity{Type: event.EntityServicePrincipal, Name: id}
		}
	}
	if auth.Role != "" {
		ev.Privileges = []string{auth.Role}
	} else if auth.Evidence != nil && auth.Evidence.Role != "" {
		ev.Privileges = []string{auth.Evidence.Role}
	}
}

// resourceFromID describes the resource an ARM resource id names.
func resourceFromID(id, group, typ string) event.Resource {
	id = strings.TrimSpace(id)
	if id == "" {
		return event.Resource{}
	}
	r := event.Resource{UID: id, Group: group}
	parts := strings.Split(strings.Trim(id, "/"), "/")
	for i := 0; i+1 < len(parts); i++ {
		if strings.EqualFold(parts[i], "resourceGroups") && r.Group == "" {
			r.Group = parts[i+1]
		}
		if strings.EqualFold(parts[i], "providers") {
			// providers/Namespace/type/name[/subtype/subname…]
			rest := parts[i+1:]
			types := []string{rest[0]}
			for j := 1; j+1 < len(rest); j += 2 {
				types = append(types, rest[j])
				r.Name = strings.TrimSpace(rest[j+1])
			}
			if typ == "" {
				typ = strings.Join(types, "/")
			}
		}
	}
	if r.Name == "" {
		r.Name = strings.TrimSpace(parts[len(parts)-1])
	}
	r.Type = typ
	return r
}

// subscriptionOf reads the subscription id out of a resource id.
func subscriptionOf(id string) string {
	parts := strings.Split(strings.Trim(id, "/"), "/")
	for i := 0; i+1 < len(parts); i++ {
		if strings.EqualFold(parts[i], "subscriptions") {
			return parts[i+1]
		}
	}
	return ""
}

// providerOf reads the resource provider namespace out of an operation or resource id.
func providerOf(s string) string {
	if i := strings.Index(strings.ToLower(s), "/providers/"); i >= 0 {
		rest := s[i+len("/providers/"):]
		ns, _, _ := strings.Cut(rest, "/")
		return ns
	}
	if strings.HasPrefix(strings.ToLower(s), "microsoft.") {
		ns, _, _ := strings.Cut(s, "/")
		return ns
	}
	return ""
}
