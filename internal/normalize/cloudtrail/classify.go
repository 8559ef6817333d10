package cloudtrail

import (
	"strings"

	"github.com/goccy/go-json"

	"github.com/vigil-sec/vigil/internal/event"
)

// classify sets the OCSF class and activity, the Vigil category, and the targets of writes.
func (p *Parser) classify(ev *event.Event, r *record) {
	service := shortService(r.EventSource)
	cat, known := p.categories.lookup(service, r.EventName)
	verbCat, verbActivity := verbCategory(r.EventName)
	if !known {
		cat = verbCat
	}
	if strings.EqualFold(r.EventCategory, "Data") && service == "s3" && !known {
		cat = event.CategoryStorageAccess
	}
	ev.Vigil.Category = cat
	ev.SetSeverity(event.SeverityInformational)

	switch {
	case service == "signin" || r.EventType == "AwsConsoleSignIn" || cat == event.CategoryLogin || cat == event.CategoryLogout:
		activity := event.ActivityLogon
		if cat == event.CategoryLogout {
			activity = event.ActivityLogoff
		}
		ev.SetClass(event.ClassAuthentication, activity)
		consoleSignIn(ev, r)
		return
	}
	var t targets
	if wantsTargets(service, cat) {
		if rp := r.load().RequestParameters; len(rp) > 0 && rp[0] == '{' {
			_ = json.Unmarshal(rp, &t) // best effort: targets are extra detail
		}
	}
	switch {
	case service == "iam" && accountChangeActivity(r.EventName) != 0 && t.UserName != "":
		ev.SetClass(event.ClassAccountChange, accountChangeActivity(r.EventName))
		ev.User = &event.User{Name: t.UserName, Type: "IAMUser"}
	case service == "iam" && (r.EventName == "AddUserToGroup" || r.EventName == "RemoveUserFromGroup"):
		activity := event.ActivityGroupAddUser
		if r.EventName == "RemoveUserFromGroup" {
			activity = event.ActivityGroupRemoveUser
		}
		ev.SetClass(event.ClassGroupManagement, activity)
		ev.User = &event.User{Name: t.UserName, Type: "IAMUser"}
		ev.Group = &event.Group{Name: t.GroupName}
	case service == "iam" && strings.HasSuffix(r.EventName, "GroupPolicy") && t.GroupName != "":
		activity := event.ActivityGroupAssignPrivileges
		if cat == event.CategoryRoleRemoval {
			activity = event.ActivityGroupRevokePrivileges
		}
		ev.SetClass(event.ClassGroupManagement, activity)
		ev.Group = &event.Group{Name: t.GroupName}
	case service == "iam" && (cat == event.CategoryRoleAssignment || cat == event.CategoryRoleRemoval) && t.RoleName != "":
		activity := event.ActivityAssignPrivileges
		if cat == event.CategoryRoleRemoval {
			activity = event.ActivityRevokePrivileges
		}
		ev.SetClass(event.ClassUserAccessManagement, activity)
	default:
		ev.SetClass(event.ClassAPIActivity, verbActivity)
	}
	if t.PolicyARN != "" {
		ev.Privileges = []string{t.PolicyARN}
	} else if t.PolicyName != "" && (cat == event.CategoryRoleAssignment || cat == event.CategoryRoleRemoval) {
		ev.Privileges = []string{t.PolicyName}
	}
	addTargets(ev, service, &t)
}

// wantsTargets reports whether a call's request parameters name targets worth a second
// decode: security-relevant categories and the identity, storage, key and logging services.
// Routine resource calls (most of the volume) skip it.
func wantsTargets(service string, cat event.Category) bool {
	switch service {
	case "iam", "s3", "cloudtrail", "kms", "secretsmanager", "guardduty", "organizations", "sso":
		return cat != event.CategoryResourceRead && cat != event.CategoryStorageAccess
	}
	switch cat {
	case event.CategoryResourceCreate, event.CategoryResourceUpdate, event.CategoryResourceDelete,
		event.CategoryResourceRead, event.CategoryResourceAction, event.CategoryStorageAccess, event.CategoryOther:
		return false
	}
	return true
}

// accountChangeActivity is the Account Change activity of IAM user operations, 0 if the
// operation is not one.
func accountChangeActivity(name string) int {
	switch name {
	case "CreateUser":
		return event.ActivityAccountCreate
	case "DeleteUser":
		return event.ActivityAccountDelete
	case "UpdateLoginProfile", "CreateLoginProfile":
		return event.ActivityPasswordReset
	case "ChangePassword":
		return event.ActivityPasswordChange
	case "AttachUserPolicy", "PutUserPolicy", "PutUserPermissionsBoundary":
		return event.ActivityAttachPolicy
	case "DetachUserPolicy", "DeleteUserPolicy", "DeleteUserPermissionsBoundary":
		return event.ActivityDetachPolicy
	case "EnableMFADevice":
		return event.ActivityMFAFactorEnable
	case "DeactivateMFADevice":
		return event.ActivityMFAFactorDisable
	case "CreateAccessKey", "DeleteAccessKey", "UpdateAccessKey", "UpdateUser", "DeleteLoginProfile",
		"UploadSSHPublicKey", "UploadSigningCertificate", "CreateServiceSpecificCredential":
		return event.ActivityOther
	}
	return 0
}

// addTargets records what a write acted on, beyond CloudTrail's own resources[].
func addTargets(ev *event.Event, service string, t *targets) {
	add := func(typ, name string) {
		if name == "" {
			return
		}
		for _, r := range ev.Resources {
			if r.Name == name || r.UID == name {
				return
			}
		}
		ev.Resources = append(ev.Resources, event.Resource{Name: name, Type: typ})
	}
	add("AWS::IAM::User", t.UserName)
	add("AWS::IAM::Role", t.RoleName)
	add("AWS::IAM::Group", t.GroupName)
	add("AWS::S3::Bucket", t.BucketName)
	add("AWS::CloudTrail::Trail", t.TrailName)
	add("AWS::KMS::Key", t.KeyID)
	add("AWS::EC2::SecurityGroup", t.GroupID)
	add("AWS::SecretsManager::Secret", t.SecretID)
	add("AWS::GuardDuty::Detector", t.DetectorID)
	add("AWS::EC2::Instance", t.InstanceID)
	if service == "cloudtrail" {
		add("AWS::CloudTrail::Trail", string(t.Name))
	}
}

// consoleSignIn reads MFA use and the sign-in result of console and SSO sign-ins.
func consoleSignIn(ev *event.Event, r *record) {
	var extra consoleResult
	if ad := r.load().AdditionalEventData; len(ad) > 0 && ad[0] == '{' {
		_ = json.Unmarshal(ad, &extra)
	}
	switch strings.ToLower(extra.MFAUsed) {
	case "yes":
		t := true
		ev.IsMFA = &t
	case "no":
		f := false
		ev.IsMFA = &f
	}
	if extra.LoginTo != "" {
		ev.Resources = append(ev.Resources, event.Resource{UID: extra.LoginTo, Type: "console"})
	}
	ev.AuthProto = extra.CredentialType
	ev.LogonType = "Interactive"
	if ev.Vigil.Category != event.CategoryLogout && ev.Vigil.Category != event.CategoryMFAChallenge && ev.Vigil.Category != event.CategoryPasswordChange && ev.Vigil.Category != event.CategoryPasswordReset && ev.Vigil.Category != event.CategoryMFAChange {
		ev.Vigil.Category = event.CategoryLogin
	}
	if r.EventName == "CredentialChallenge" {
		ev.Vigil.Category = event.CategoryMFAChallenge
	}
}
