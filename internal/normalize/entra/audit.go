package entra

import (
	"strings"

	"github.com/vigil-sec/vigil/internal/event"
	"github.com/vigil-sec/vigil/internal/normalize"
)

// directoryAudit is a Graph directoryAudit, also the `properties` of AuditLogs diagnostic
// records and (with Log Analytics column names) an AuditLogs table row.
type directoryAudit struct {
	ID                  string             `json:"id"`
	Category            string             `json:"category"`
	CorrelationID       string             `json:"correlationId"`
	Result              normalize.Text     `json:"result"`
	ResultReason        string             `json:"resultReason"`
	ActivityDisplayName string             `json:"activityDisplayName"`
	ActivityDateTime    normalize.Text     `json:"activityDateTime"`
	LoggedByService     string             `json:"loggedByService"`
	OperationType       string             `json:"operationType"`
	InitiatedBy         normalize.JSONText `json:"initiatedBy"`
	TargetResources     normalize.JSONText `json:"targetResources"`
}

type initiatedBy struct {
	User *struct {
		ID                string `json:"id"`
		DisplayName       string `json:"displayName"`
		UserPrincipalName string `json:"userPrincipalName"`
		IPAddress         string `json:"ipAddress"`
	} `json:"user"`
	App *struct {
		AppID                string `json:"appId"`
		DisplayName          string `json:"displayName"`
		ServicePrincipalID   string `json:"servicePrincipalId"`
		ServicePrincipalName string `json:"servicePrincipalName"`
	} `json:"app"`
}

type targetResource struct {
	ID                 string `json:"id"`
	DisplayName        string `json:"displayName"`
	Type               string `json:"type"`
	UserPrincipalName  string `json:"userPrincipalName"`
	ModifiedProperties []struct {
		DisplayName string         `json:"displayName"`
		OldValue    normalize.Text `json:"oldValue"`
		NewValue    normalize.Text `json:"newValue"`
	} `json:"modifiedProperties"`
}

func (p *Parser) normalizeAudit(a *directoryAudit, ev *event.Event) {
	ev.Metadata.UID = a.ID
	ev.Metadata.CorrelationUID = a.CorrelationID
	ev.Metadata.Product = event.Product{Name: "Entra ID", VendorName: "Microsoft"}
	if ev.Metadata.LogName == "" {
		ev.Metadata.LogName = "directoryAudit"
	}
	setTime(ev, string(a.ActivityDateTime))
	ev.API.Operation = strings.TrimSpace(a.ActivityDisplayName)
	ev.API.Service.Name = a.LoggedByService
	ev.Cloud.Provider = "Azure"
	ev.SetSeverity(event.SeverityInformational)
	cat, ok := p.activities[activityKey(a.ActivityDisplayName)]
	if !ok {
		cat = event.CategoryOther
	}
	ev.Vigil.Category = cat

	var by initiatedBy
	_ = a.InitiatedBy.Decode(&by)
	u := &ev.Actor.User
	switch {
	case by.User != nil && (by.User.UserPrincipalName != "" || by.User.ID != ""):
		u.UID, u.Name, u.Type, u.TypeID = by.User.ID, normalize.FirstNonEmpty(by.User.UserPrincipalName, by.User.DisplayName), "User", event.UserTypeUser
		setEmail(u, by.User.UserPrincipalName)
		setIP(ev, by.User.IPAddress)
		ev.Vigil.Entity = event.UserEntity(normalize.FirstNonEmpty(by.User.UserPrincipalName, by.User.ID))
	case by.App != nil:
		u.UID = normalize.FirstNonEmpty(by.App.ServicePrincipalID, by.App.AppID)
		u.Name = normalize.FirstNonEmpty(by.App.DisplayName, by.App.ServicePrincipalName)
		u.Type, u.TypeID = "ServicePrincipal", event.UserTypeSystem
		ev.Actor.AppName, ev.Actor.AppUID = by.App.DisplayName, by.App.AppID
		if id := normalize.FirstNonEmpty(by.App.ServicePrincipalID, by.App.AppID, by.App.DisplayName); id != "" {
			ev.Vigil.Entity = event.Entity{Type: event.EntityServicePrincipal, Name: strings.ToLower(id)}
		}
	}

	var targets []targetResource
	if len(a.TargetResources) > 0 && a.TargetResources[0] == '[' {
		_ = a.TargetResources.Decode(&targets)
	}
	for _, t := range targets {
		ev.Resources = append(ev.Resources, event.Resource{UID: t.ID, Name: normalize.FirstNonEmpty(t.UserPrincipalName, t.DisplayName), Type: t.Type})
		switch strings.ToLower(t.Type) {
		case "user":
			if ev.User == nil {
				ev.User = &event.User{UID: t.ID, Name: normalize.FirstNonEmpty(t.UserPrincipalName, t.DisplayName), Type: "User"}
				setEmail(ev.User, t.UserPrincipalName)
			}
		case "group":
			if ev.Group == nil {
				ev.Group = &event.Group{UID: t.ID, Name: t.DisplayName}
			}
		case "role":
			ev.Privileges = appendUnique(ev.Privileges, t.DisplayName)
		}
		for _, m := range t.ModifiedProperties {
			switch m.DisplayName {
			case "Role.DisplayName", "ConsentAction.Permissions", "DelegatedPermissionGrant.Scope", "AppRole.Value":
				ev.Privileges = appendUnique(ev.Privileges, strings.Trim(string(m.NewValue), `"`))
			}
		}
	}

	switch strings.ToLower(string(a.Result)) {
	case "success":
		ev.SetStatus(event.StatusSuccess)
	case "failure", "timeout":
		ev.SetStatus(event.StatusFailure)
		ev.StatusDetail = a.ResultReason
		ev.StatusCode = string(a.Result)
	default:
		ev.SetStatus(event.StatusUnknown)
		ev.StatusDetail = a.ResultReason
	}
	setAuditClass(ev, cat, a)
}

// auditClasses are the OCSF class and activity of each directory-audit category that has
// one of its own; the rest are API Activity (MFA changes depend on the verb).
var auditClasses = map[event.Category]struct {
	class    event.Class
	activity int
}{
	event.CategoryUserCreate:        {event.ClassAccountChange, event.ActivityAccountCreate},
	event.CategoryGuestInvite:       {event.ClassAccountChange, event.ActivityAccountCreate},
	event.CategoryUserDelete:        {event.ClassAccountChange, event.ActivityAccountDelete},
	event.CategoryUserEnable:        {event.ClassAccountChange, event.ActivityAccountEnable},
	event.CategoryUserDisable:       {event.ClassAccountChange, event.ActivityAccountDisable},
	event.CategoryUserUpdate:        {event.ClassAccountChange, event.ActivityOther},
	event.CategoryPasswordChange:    {event.ClassAccountChange, event.ActivityPasswordChange},
	event.CategoryPasswordReset:     {event.ClassAccountChange, event.ActivityPasswordReset},
	event.CategoryGroupCreate:       {event.ClassGroupManagement, event.ActivityGroupCreate},
	event.CategoryGroupDelete:       {event.ClassGroupManagement, event.ActivityGroupDelete},
	event.CategoryGroupMemberAdd:    {event.ClassGroupManagement, event.ActivityGroupAddUser},
	event.CategoryGroupMemberRemove: {event.ClassGroupManagement, event.ActivityGroupRemoveUser},
	event.CategoryGroupUpdate:       {event.ClassGroupManagement, event.ActivityOther},
	event.CategoryRoleAssignment:    {event.ClassUserAccessManagement, event.ActivityAssignPrivileges},
	event.CategoryAppConsent:        {event.ClassUserAccessManagement, event.ActivityAssignPrivileges},
	event.CategoryRoleRemoval:       {event.ClassUserAccessManagement, event.ActivityRevokePrivileges},
}

// setAuditClass picks the OCSF class and activity of a directory audit from its category.
func setAuditClass(ev *event.Event, cat event.Category, a *directoryAudit) {
	if c, ok := auditClasses[cat]; ok {
		ev.SetClass(c.class, c.activity)
		return
	}
	if cat == event.CategoryMFAChange {
		n := strings.ToLower(a.ActivityDisplayName)
		activity := event.ActivityMFAFactorEnable
		if strings.Contains(n, "delete") || strings.Contains(n, "disable") || strings.Contains(n, "reset") {
			activity = event.ActivityMFAFactorDisable
		}
		ev.SetClass(event.ClassAccountChange, activity)
		return
	}
	ev.SetClass(event.ClassAPIActivity, operationActivity(a.OperationType, a.ActivityDisplayName))
}

// operationActivity reads the API activity from the audit's operationType or verb.
func operationActivity(opType, name string) int {
	verb := strings.ToLower(opType)
	if verb == "" {
		verb, _, _ = strings.Cut(strings.ToLower(strings.TrimSpace(name)), " ")
	}
	switch verb {
	case "add", "create", "invite", "register":
		return event.ActivityCreate
	case "update", "assign", "set", "change", "enable", "disable", "reset", "restore", "unassign", "consent":
		return event.ActivityUpdate
	case "delete", "remove", "hard":
		return event.ActivityDelete
	case "read", "get", "list":
		return event.ActivityRead
	}
	return event.ActivityOther
}

func appendUnique(list []string, s string) []string {
	s = strings.TrimSpace(s)
	if s == "" {
		return list
	}
	for _, x := range list {
		if x == s {
			return list
		}
	}
	return append(list, s)
}
