package activitylog

import (
	"regexp"
	"strings"

	"github.com/goccy/go-json"

	"github.com/vigil-sec/vigil/internal/event"
	"github.com/vigil-sec/vigil/internal/normalize"
)

// Claim names Azure puts in tokens.
const (
	claimUPN      = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn"
	claimName     = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name"
	claimObjectID = "http://schemas.microsoft.com/identity/claims/objectidentifier"
	claimTenant   = "http://schemas.microsoft.com/identity/claims/tenantid"
)

var guidPattern = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

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
	claims := map[string]string{}
	if claimsJSON.IsObject() {
		var raw map[string]normalize.Text
		if json.Unmarshal(claimsJSON, &raw) == nil {
			for k, v := range raw {
				claims[strings.ToLower(k)] = strings.TrimSpace(string(v))
			}
		}
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
	setSourceIP(ev, normalize.FirstNonEmpty(httpReq.ClientIPAddress, r.CallerIPAddress, props.ClientIP, claims["ipaddr"]))

	caller := normalize.FirstNonEmpty(r.Caller, props.Caller)
	upn := normalize.FirstNonEmpty(claims[claimUPN], claims["upn"], claims["unique_name"])
	if caller == "" && !r.Identity.IsObject() && len(r.Identity) > 0 {
		var s string
		if json.Unmarshal(r.Identity, &s) == nil {
			caller = s
		}
	}
	u := &ev.Actor.User
	u.AccountUID = normalize.FirstNonEmpty(claims[claimTenant], claims["tid"])
	ev.Actor.AppUID = normalize.FirstNonEmpty(claims["appid"], claims["azp"])
	switch {
	case strings.Contains(caller, "@") || (caller == "" && strings.Contains(upn, "@")):
		name := normalize.FirstNonEmpty(caller, upn)
		u.Name, u.UID, u.Type, u.TypeID = name, claims[claimObjectID], "User", event.UserTypeUser
		if at := strings.IndexByte(name, '@'); at > 0 && !strings.ContainsAny(name, " /") {
			u.EmailAddr, u.Domain = strings.ToLower(name), strings.ToLower(name[at+1:])
		}
		ev.Vigil.Entity = event.UserEntity(name)
	case guidPattern.MatchString(caller) || (caller == "" && ev.Actor.AppUID != ""):
		u.UID = normalize.FirstNonEmpty(caller, claims[claimObjectID])
		u.Name = normalize.FirstNonEmpty(claims["name"], claims[claimName], ev.Actor.AppUID, u.UID)
		u.Type = "ServicePrincipal"
		if claims["idtyp"] == "user" {
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
