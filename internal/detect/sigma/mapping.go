package sigma

import (
	"strconv"

	"github.com/vigil-sec/vigil/internal/event"
)

// fieldAliases maps field names as Sigma rules write them for Azure — Log Analytics /
// Sentinel columns mostly — to where the same value sits in the records Vigil receives
// (Graph objects, ARM REST events, diagnostic records). Keys are lower case; the lookup
// has already tried the name itself, ignoring case, in the record and in its properties.
func fieldAliases() map[string][]string {
	return map[string][]string{
		// SigninLogs
		"resulttype":           {"status.errorCode", "properties.status.errorCode", "resultType"},
		"resultdescription":    {"status.failureReason", "properties.status.failureReason", "resultDescription", "properties.resultDescription"},
		"ipaddress":            {"callerIpAddress", "properties.ipAddress"},
		"location":             {"location.countryOrRegion", "properties.location.countryOrRegion"},
		"locationdetails":      {"location", "properties.location"},
		"status.errorcode":     {"resultType"},
		"status.failurereason": {"resultDescription"},
		// AuditLogs
		"operationname":   {"activityDisplayName", "properties.activityDisplayName", "operationName.localizedValue", "operationName.value"},
		"initiatedby":     {"initiatedBy", "properties.initiatedBy"},
		"targetresources": {"targetResources", "properties.targetResources"},
		// AzureActivity
		"operationnamevalue":     {"operationName.value", "operationName", "authorization.action"},
		"categoryvalue":          {"category.value", "category"},
		"activitystatusvalue":    {"status.value", "resultType"},
		"activitysubstatusvalue": {"subStatus.value", "resultSignature"},
		"resourceprovidervalue":  {"resourceProviderName.value"},
		"calleripaddress":        {"httpRequest.clientIpAddress", "claims.ipaddr"},
		"resourcegroup":          {"resourceGroupName"},
		"_resourceid":            {"resourceId"},
		"caller":                 {"identity.claims.http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn", "properties.caller"},
		// properties.message is the old Azure AD audit shape's activity name.
		"properties.message": {"description", "activityDisplayName", "properties.activityDisplayName", "OperationName"},
		// AWSCloudTrail table columns, for rules written against Sentinel
		"eventname":       {"EventName"},
		"eventsource":     {"EventSource"},
		"useridentityarn": {"userIdentity.arn"},
		"sourceipaddress": {"SourceIpAddress"},
	}
}

// entraOutcomeFields hold an Entra audit's outcome and its reason (Graph and Sentinel
// names first, then the diagnostic record's): SigmaHQ's audit rules name them Status.
func entraOutcomeFields() []string {
	return []string{"result", "resultReason", "properties.result", "properties.resultReason"}
}

// ocsfAliases map Log Analytics columns to the normalized event's fields, the last resort
// when no native shape of the record carries the value (a diagnostic record has no
// resourceProviderName, but the parser derived the provider).
func ocsfAliases() map[string]string {
	return map[string]string{
		"resourceprovidervalue": "api.service.name",
		"operationnamevalue":    "api.operation",
		"categoryvalue":         "metadata.log_name",
		"caller":                "actor.user.name",
		"calleripaddress":       "src_endpoint.ip",
		"ipaddress":             "src_endpoint.ip",
		"userprincipalname":     "actor.user.name",
		"resulttype":            "status_code",
		"resultdescription":     "status_detail",
		"appdisplayname":        "actor.app_name",
		"useragent":             "http_request.user_agent",
	}
}

// ocsfField reads a field of the normalized event by its OCSF name, so rules may also be
// written against Vigil's own schema.
func ocsfField(ev *event.Event, field string) (any, bool) {
	str := func(s string) (any, bool) { return s, s != "" }
	switch field {
	case "time":
		return float64(ev.Time), true
	case "class_uid":
		return float64(ev.ClassUID), true
	case "activity_id":
		return float64(ev.ActivityID), true
	case "status_id":
		return float64(ev.StatusID), true
	case "severity_id":
		return float64(ev.SeverityID), true
	case "status":
		return str(ev.Status)
	case "status_code":
		return str(ev.StatusCode)
	case "status_detail":
		return str(ev.StatusDetail)
	case "actor.user.name":
		return str(ev.Actor.User.Name)
	case "actor.user.uid":
		return str(ev.Actor.User.UID)
	case "actor.user.type":
		return str(ev.Actor.User.Type)
	case "actor.user.email_addr":
		return str(ev.Actor.User.EmailAddr)
	case "actor.app_name":
		return str(ev.Actor.AppName)
	case "src_endpoint.ip":
		return str(ev.SrcEndpoint.IP)
	case "src_endpoint.location.country":
		if ev.SrcEndpoint.Location != nil {
			return str(ev.SrcEndpoint.Location.Country)
		}
	case "src_endpoint.autonomous_system.number":
		if ev.SrcEndpoint.AutonomousSystem != nil {
			return strconv.Itoa(ev.SrcEndpoint.AutonomousSystem.Number), true
		}
	case "http_request.user_agent":
		return str(ev.HTTPRequest.UserAgent)
	case "api.operation":
		return str(ev.API.Operation)
	case "api.service.name":
		return str(ev.API.Service.Name)
	case "cloud.provider":
		return str(ev.Cloud.Provider)
	case "cloud.account.uid":
		return str(ev.Cloud.Account.UID)
	case "cloud.region":
		return str(ev.Cloud.Region)
	case "metadata.uid":
		return str(ev.Metadata.UID)
	case "metadata.log_name":
		return str(ev.Metadata.LogName)
	case "vigil.category":
		return str(string(ev.Vigil.Category))
	case "vigil.source":
		return str(ev.Vigil.Source)
	case "vigil.entity.name":
		return str(ev.Vigil.Entity.Name)
	case "vigil.entity.type":
		return str(string(ev.Vigil.Entity.Type))
	case "is_mfa":
		if ev.IsMFA != nil {
			return *ev.IsMFA, true
		}
	}
	return nil, false
}

// logsourceFilter is which events a rule's logsource applies to; nil means none (a
// logsource Vigil has no data for: the rule loads but never matches).
type logsourceFilter func(ev *event.Event) bool

func logsourceFor(ls Logsource) logsourceFilter {
	product, service := lower(ls.Product), lower(ls.Service)
	switch product {
	case "aws":
		if service == "" || service == "cloudtrail" {
			return func(ev *event.Event) bool { return ev.Vigil.Source == "cloudtrail" }
		}
	case "azure":
		switch service {
		case "signinlogs":
			return func(ev *event.Event) bool {
				return ev.Vigil.Source == "entra" && ev.ClassUID == int(event.ClassAuthentication)
			}
		case "auditlogs", "pim":
			return func(ev *event.Event) bool {
				return ev.Vigil.Source == "entra" && ev.ClassUID != int(event.ClassAuthentication) &&
					ev.Vigil.Category != event.CategoryIdentityRisk && ev.Vigil.Category != event.CategoryProviderAlert
			}
		case "riskdetection":
			return func(ev *event.Event) bool {
				return ev.Vigil.Source == "entra" && ev.Vigil.Category == event.CategoryIdentityRisk
			}
		case "activitylogs":
			return func(ev *event.Event) bool { return ev.Vigil.Source == "activitylog" }
		case "":
			return func(ev *event.Event) bool { return ev.Vigil.Source == "entra" || ev.Vigil.Source == "activitylog" }
		}
	case "m365", "microsoft365":
		if service == "threat_detection" || service == "threat_management" || service == "" {
			return func(ev *event.Event) bool {
				return ev.Vigil.Category == event.CategoryProviderAlert && ev.Cloud.Provider == "Azure"
			}
		}
	}
	return nil
}
