package sim

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
)

// Kind is where a record is delivered.
type Kind string

// Record kinds, one per delivery path.
const (
	KindGraphSignIn Kind = "graph-signins" // auditLogs/signIns pages
	KindGraphAudit  Kind = "graph-audits"  // auditLogs/directoryAudits pages
	KindGraphRisk   Kind = "graph-risk"    // identityProtection/riskDetections pages
	KindActivityLog Kind = "activitylog"   // ARM activity-log pages, per subscription
	KindEventHub    Kind = "eventhub"      // Azure Monitor diagnostic records ({"records":[...]})
	KindCloudTrail  Kind = "cloudtrail"    // CloudTrail S3 objects, per account and region
)

// Record is one native log record of the simulated tenant.
type Record struct {
	Time   time.Time
	Kind   Kind
	Scope  string // subscription id, AWS account id, or Event Hub name
	Region string // AWS region
	ID     string // the provider's id of the record (becomes metadata.uid)
	JSON   []byte
}

func ts(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.0000000Z") }

// signIn is a Graph signIn (interactive) or, with nonInteractive, the properties of a
// NonInteractiveUserSignInLogs diagnostic record.
type signInSpec struct {
	u              *user
	ip             string
	city           *city
	code           int
	reason         string
	app            string
	client         string
	nonInteractive bool
	mfa            bool
	deviceID       string
	os, browser    string
	agent          string
	risk           string
	appID          string // a third-party app's id (appID(app) otherwise)
	protocol       string // authenticationProtocol: ropc, deviceCode…; none by default
	bare           bool   // no device at all: a server-side client (a SaaS cloud refreshing its token)
	resource       string // resourceDisplayName when it is not the app itself
}

func appID(app string) string {
	switch app {
	case "Microsoft Teams":
		return "1fec8e78-bce4-4aaf-ab1b-5451cc387264"
	case "Azure Portal":
		return "c44b4083-3bb0-49c1-b47d-974e53cbdf3c"
	case "Microsoft Azure CLI":
		return "04b07795-8ddb-461a-bbee-02f9e1bf7b46"
	case "AWS IAM Identity Center":
		return "8c6b2f2e-1b50-4e49-9a44-7a5a1e7f7c10"
	}
	return "00000002-0000-0ff1-ce00-000000000000" // Office 365 Exchange Online
}

func (s *sim) signIn(t time.Time, sp signInSpec) Record {
	id := uuid(s.rng)
	c := sp.city
	if c == nil {
		c = &sp.u.home
	}
	app := sp.app
	if app == "" {
		app = "Office 365 Exchange Online"
	}
	client := sp.client
	if client == "" {
		client = "Browser"
		if sp.nonInteractive {
			client = "Mobile Apps and Desktop clients"
		}
	}
	req := "singleFactorAuthentication"
	if sp.mfa {
		req = "multiFactorAuthentication"
	}
	dev := sp.u.device
	if sp.os != "" || sp.bare {
		dev = device{id: sp.deviceID, os: sp.os, browser: sp.browser, agent: sp.agent}
	}
	aid := sp.appID
	if aid == "" {
		aid = appID(app)
	}
	resource := sp.resource
	if resource == "" {
		resource = app
	}
	protocol := sp.protocol
	if protocol == "" {
		protocol = "none"
	}
	userType, home, access := "member", s.org.tenantID, "none"
	if sp.u.guestTenant != "" {
		userType, home, access = "Guest", sp.u.guestTenant, "b2bCollaboration"
	}
	risk := sp.risk
	if risk == "" {
		risk = "none"
	}
	typ := "interactiveUser"
	if sp.nonInteractive {
		typ = "nonInteractiveUser"
	}
	body := map[string]any{
		"id": id, "createdDateTime": ts(t), "userDisplayName": sp.u.display, "userPrincipalName": sp.u.upn, "userId": sp.u.id,
		"appId": aid, "appDisplayName": app, "ipAddress": sp.ip, "clientAppUsed": client, "userAgent": dev.agent,
		"correlationId": uuid(s.rng), "conditionalAccessStatus": "success", "isInteractive": !sp.nonInteractive,
		"riskDetail": "none", "riskLevelAggregated": risk, "riskLevelDuringSignIn": risk, "riskState": map[bool]string{true: "atRisk", false: "none"}[risk != "none"],
		"resourceDisplayName": resource, "authenticationRequirement": req, "signInEventTypes": []string{typ}, "homeTenantId": home,
		"resourceTenantId": s.org.tenantID, "autonomousSystemNumber": c.asn, "userType": userType, "crossTenantAccessType": access,
		"authenticationProtocol": protocol, "incomingTokenType": map[bool]string{true: "refreshToken", false: "none"}[sp.nonInteractive],
		"status":       map[string]any{"errorCode": sp.code, "failureReason": sp.reason},
		"deviceDetail": map[string]any{"deviceId": dev.id, "displayName": "", "operatingSystem": dev.os, "browser": dev.browser, "isCompliant": dev.id != "", "isManaged": dev.id != "", "trustType": map[bool]string{true: "Azure AD joined", false: ""}[dev.id != ""]},
		"location":     map[string]any{"city": c.name, "state": c.region, "countryOrRegion": c.country, "geoCoordinates": map[string]any{"latitude": c.lat, "longitude": c.long}},
	}
	if !sp.nonInteractive {
		b, _ := json.Marshal(body)
		return Record{Time: t, Kind: KindGraphSignIn, ID: id, JSON: b}
	}
	rec := map[string]any{
		"time": ts(t), "resourceId": "/tenants/" + s.org.tenantID + "/providers/Microsoft.aadiam", "operationName": "Sign-in activity",
		"operationVersion": "1.0", "category": "NonInteractiveUserSignInLogs", "tenantId": s.org.tenantID, "resultType": fmt.Sprint(sp.code),
		"resultSignature": "None", "resultDescription": sp.reason, "durationMs": 0, "callerIpAddress": sp.ip, "correlationId": body["correlationId"],
		"identity": sp.u.display, "Level": 4, "location": c.country, "properties": body,
	}
	b, _ := json.Marshal(rec)
	return Record{Time: t, Kind: KindEventHub, Scope: "insights-logs-noninteractiveusersigninlogs", ID: id, JSON: b}
}

// spSignIn is a service principal sign-in, as a ServicePrincipalSignInLogs diagnostic record.
func (s *sim) spSignIn(t time.Time, sp *servicePrincipal, ip string, code int) Record {
	return s.workloadSignIn(t, sp, ip, code, "ServicePrincipalSignInLogs", "servicePrincipal")
}

// workloadSignIn is a service principal or managed identity sign-in as a diagnostic record.
func (s *sim) workloadSignIn(t time.Time, sp *servicePrincipal, ip string, code int, category, eventType string) Record {
	id := uuid(s.rng)
	body := map[string]any{
		"id": id, "createdDateTime": ts(t), "appId": sp.appID, "appDisplayName": sp.name, "servicePrincipalId": sp.spID,
		"servicePrincipalName": sp.name, "ipAddress": ip, "resourceDisplayName": "Microsoft Graph", "resourceId": "00000003-0000-0000-c000-000000000000",
		"status": map[string]any{"errorCode": code}, "signInEventTypes": []string{eventType}, "clientCredentialType": "clientSecret",
		"correlationId": uuid(s.rng),
	}
	rec := map[string]any{"time": ts(t), "resourceId": "/tenants/" + s.org.tenantID + "/providers/Microsoft.aadiam", "operationName": "Sign-in activity",
		"category": category, "tenantId": s.org.tenantID, "resultType": fmt.Sprint(code), "callerIpAddress": ip, "properties": body}
	b, _ := json.Marshal(rec)
	return Record{Time: t, Kind: KindEventHub, Scope: "insights-logs-" + strings.ToLower(category), ID: id, JSON: b}
}

// audit is a Graph directoryAudit.
func (s *sim) audit(t time.Time, by *user, byApp *servicePrincipal, activity, category, service string, targets []map[string]any) Record {
	id := fmt.Sprintf("Directory_%s_%s_%d", uuid(s.rng), randString(s.rng, 5), s.rng.IntN(900000000)+100000000)
	initiated := map[string]any{}
	if by != nil {
		initiated["user"] = map[string]any{"id": by.id, "displayName": nil, "userPrincipalName": by.upn, "ipAddress": by.ip()}
	} else if byApp != nil {
		initiated["app"] = map[string]any{"appId": byApp.appID, "displayName": byApp.name, "servicePrincipalId": byApp.spID}
	}
	op := "Update"
	switch {
	case len(activity) > 3 && activity[:3] == "Add", len(activity) > 6 && activity[:6] == "Invite", len(activity) > 7 && activity[:7] == "Consent":
		op = "Add"
	case len(activity) > 6 && activity[:6] == "Delete", len(activity) > 6 && activity[:6] == "Remove":
		op = "Delete"
	}
	body := map[string]any{"id": id, "category": category, "correlationId": uuid(s.rng), "result": "success", "resultReason": "",
		"activityDisplayName": activity, "activityDateTime": ts(t), "loggedByService": service, "operationType": op,
		"initiatedBy": initiated, "targetResources": targets, "additionalDetails": []any{}}
	b, _ := json.Marshal(body)
	return Record{Time: t, Kind: KindGraphAudit, ID: id, JSON: b}
}

// risk is a Graph riskDetection (identityProtection/riskDetections).
func (s *sim) risk(t time.Time, u *user, ip string, c *city, kind, level, state string) Record {
	id := uuid(s.rng)
	body := map[string]any{
		"id": id, "requestId": uuid(s.rng), "correlationId": uuid(s.rng), "riskEventType": kind, "riskState": state,
		"riskLevel": level, "riskDetail": map[bool]string{true: "userPassedMFADrivenByRiskBasedPolicy", false: "none"}[state == "remediated"],
		"source": "IdentityProtection", "detectionTimingType": "realtime", "activity": "signin", "tokenIssuerType": "AzureAD",
		"ipAddress": ip, "activityDateTime": ts(t), "detectedDateTime": ts(t.Add(30 * time.Second)), "lastUpdatedDateTime": ts(t.Add(5 * time.Minute)),
		"userId": u.id, "userDisplayName": u.display, "userPrincipalName": u.upn,
		"location": map[string]any{"city": c.name, "state": c.region, "countryOrRegion": c.country, "geoCoordinates": map[string]any{"latitude": c.lat, "longitude": c.long}},
	}
	b, _ := json.Marshal(body)
	return Record{Time: t.Add(30 * time.Second), Kind: KindGraphRisk, ID: id, JSON: b}
}

// arm is an Activity Log event in the ARM REST shape.
func (s *sim) arm(t time.Time, sub, caller, callerIP, op, resourceGroup, resource, status string, props map[string]any) Record {
	id := uuid(s.rng)
	rid := "/subscriptions/" + sub + "/resourceGroups/" + resourceGroup + "/providers/" + resource
	if props == nil {
		props = map[string]any{}
	}
	props["statusCode"] = map[bool]string{true: "Created", false: "OK"}[status == "Succeeded" && len(op) > 6 && op[len(op)-6:] == "/write"]
	if loc, ok := props["location"].(string); ok {
		// The Activity Log has no region of its own: a write's region is in the request
		// body it logs, as a JSON string.
		delete(props, "location")
		props["requestbody"] = `{"location":"` + loc + `"}`
	}
	claims := map[string]any{"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn": caller, "ipaddr": callerIP, "appid": "c44b4083-3bb0-49c1-b47d-974e53cbdf3c"}
	if !strings.Contains(caller, "@") {
		// An app-only token: the application itself is the caller, not the Azure Portal.
		claims = map[string]any{"appid": caller, "idtyp": "app", "ipaddr": callerIP}
	}
	body := map[string]any{
		"authorization": map[string]any{"action": op, "scope": rid}, "caller": caller, "channels": "Operation",
		"claims":        claims,
		"correlationId": uuid(s.rng), "description": "", "eventDataId": id,
		"eventName":      map[string]any{"value": "EndRequest", "localizedValue": "End request"},
		"category":       map[string]any{"value": "Administrative", "localizedValue": "Administrative"},
		"eventTimestamp": ts(t), "id": rid + "/events/" + id, "level": "Informational", "operationId": uuid(s.rng),
		"operationName": map[string]any{"value": op, "localizedValue": op}, "resourceGroupName": resourceGroup,
		"resourceProviderName": map[string]any{"value": providerOf(op)}, "resourceId": rid,
		"status": map[string]any{"value": status, "localizedValue": status}, "subStatus": map[string]any{"value": ""},
		"submissionTimestamp": ts(t.Add(time.Duration(30+s.rng.IntN(120)) * time.Second)), "subscriptionId": sub, "tenantId": s.org.tenantID,
		"httpRequest": map[string]any{"clientRequestId": uuid(s.rng), "clientIpAddress": callerIP, "method": httpMethod(op)}, "properties": props,
	}
	b, _ := json.Marshal(body)
	return Record{Time: t, Kind: KindActivityLog, Scope: sub, ID: id, JSON: b}
}

// httpMethod is the ARM request an operation comes from.
func httpMethod(op string) string {
	switch {
	case strings.HasSuffix(op, "/read"):
		return "GET"
	case strings.HasSuffix(op, "/delete"):
		return "DELETE"
	case strings.HasSuffix(op, "/action"):
		return "POST"
	}
	return "PUT"
}

func providerOf(op string) string {
	for i := 0; i < len(op); i++ {
		if op[i] == '/' {
			return op[:i]
		}
	}
	return op
}

// ct is a CloudTrail record.
func (s *sim) ct(t time.Time, account, region string, identity map[string]any, source, name, ip, agent string, params, resp map[string]any, errCode string, extra map[string]any) Record {
	id := uuid(s.rng)
	r := map[string]any{
		"eventVersion": "1.09", "userIdentity": identity, "eventTime": t.UTC().Format("2006-01-02T15:04:05Z"), "eventSource": source,
		"eventName": name, "awsRegion": region, "sourceIPAddress": ip, "userAgent": agent, "requestParameters": params,
		"responseElements": resp, "requestID": uuid(s.rng), "eventID": id, "readOnly": false, "eventType": "AwsApiCall",
		"managementEvent": true, "recipientAccountId": account, "eventCategory": "Management",
	}
	if errCode != "" {
		r["errorCode"], r["errorMessage"] = errCode, "User is not authorized to perform this operation"
	}
	for k, v := range extra {
		r[k] = v
	}
	b, _ := json.Marshal(r)
	return Record{Time: t, Kind: KindCloudTrail, Scope: account, Region: region, ID: id, JSON: b}
}

// ssoIdentity is an IAM Identity Center role session of a person.
func ssoIdentity(account, permissionSet string, u *user) map[string]any {
	role := "AWSReservedSSO_" + permissionSet + "_" + fmt.Sprintf("%016x", len(u.upn)*7919)
	return map[string]any{
		"type": "AssumedRole", "principalId": "AROA4EXAMPLE" + fmt.Sprintf("%06d", len(role)) + ":" + u.upn,
		"arn": "arn:aws:sts::" + account + ":assumed-role/" + role + "/" + u.upn, "accountId": account, "accessKeyId": "ASIA4EXAMPLE" + fmt.Sprintf("%08d", len(u.upn)),
		"sessionContext": map[string]any{"sessionIssuer": map[string]any{"type": "Role", "principalId": "AROA4EXAMPLE", "arn": "arn:aws:iam::" + account + ":role/aws-reserved/sso.amazonaws.com/" + role, "accountId": account, "userName": role},
			"attributes": map[string]any{"creationDate": "", "mfaAuthenticated": "false"}},
	}
}

func iamIdentity(account, name string) map[string]any {
	return map[string]any{"type": "IAMUser", "principalId": "AIDA" + fmt.Sprintf("%016X", len(name)*104729), "arn": "arn:aws:iam::" + account + ":user/" + name, "accountId": account, "accessKeyId": "AKIA" + fmt.Sprintf("%016X", len(name)*7), "userName": name}
}

func roleIdentity(account, role, session string) map[string]any {
	return map[string]any{"type": "AssumedRole", "principalId": "AROA" + fmt.Sprintf("%016X", len(role)) + ":" + session,
		"arn": "arn:aws:sts::" + account + ":assumed-role/" + role + "/" + session, "accountId": account,
		"sessionContext": map[string]any{"sessionIssuer": map[string]any{"type": "Role", "arn": "arn:aws:iam::" + account + ":role/" + role, "accountId": account, "userName": role}, "attributes": map[string]any{"mfaAuthenticated": "false"}}}
}

func randString(rng *rand.Rand, n int) string {
	const letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, n)
	for i := range b {
		b[i] = letters[rng.IntN(len(letters))]
	}
	return string(b)
}
