package entra

import (
	"strconv"
	"strings"

	"github.com/vigil-sec/vigil/internal/event"
	"github.com/vigil-sec/vigil/internal/normalize"
)

// signInCodes maps AADSTS error codes to categories; a failure not listed is login.failed.
func signInCodes() map[event.Category][]int {
	return map[event.Category][]int{
		event.CategoryLoginLockout: {50053, 50057}, // locked (smart lockout / malicious IP), disabled
		event.CategoryLoginInterrupted: {50072, 50074, 50076, 50079, 50097, 50125, 50129, 50140, 50158, 50199,
			65001, 16000, 16001, 16003, 50058, 50089, 70043, 81010, 81012, 81016},
		event.CategoryMFAFailed: {500121, 50088, 50078, 500122, 500123, 500131},
		event.CategoryLoginFailed: {50126, 50055, 50056, 50034, 50144, 50133, 50173, 53000, 53001, 53002, 53003,
			53004, 530032, 530034, 50105, 50020, 50059, 50064, 50131, 90094, 700016, 7000215, 7000222, 700027,
			50011, 50012, 90072, 500011, 50155},
	}
}

// codeIndex maps a code to its category.
type codeIndex map[int]event.Category

func newCodeIndex() codeIndex {
	idx := codeIndex{}
	for cat, codes := range signInCodes() {
		for _, c := range codes {
			if c > 0 {
				idx[c] = cat
			}
		}
	}
	return idx
}

// signInCategoryFor is the category of a sign-in of a kind with an error code.
func (idx codeIndex) category(kind signInKind, code int) event.Category {
	if kind == kindServicePrincipal || kind == kindManagedIdentity {
		if code == 0 {
			return event.CategoryLoginService
		}
		return event.CategoryLoginServiceFailed
	}
	if code == 0 {
		if kind == kindNonInteractive {
			return event.CategoryLoginNonInteractive
		}
		return event.CategoryLogin
	}
	if c, ok := idx[code]; ok {
		return c
	}
	return event.CategoryLoginFailed
}

// auditActivities maps Entra audit activityDisplayName values (as Microsoft's audit activity
// reference spells them) to categories; matching ignores case and surrounding spaces.
func auditActivities() map[event.Category][]string {
	return map[event.Category][]string{
		event.CategoryUserCreate: {"Add user", "Create user", "Add user (provisioned)"},
		event.CategoryUserDelete: {"Delete user", "Hard delete user", "Hard Delete user"},
		event.CategoryUserUpdate: {"Update user", "Set user manager", "Update user principal name", "Change user license",
			"Set force change user password", "Update user (provisioned)", "Change user password (SSPR)"},
		event.CategoryUserEnable:  {"Restore user", "Enable account", "Unblock user"},
		event.CategoryUserDisable: {"Disable account", "Block user", "Revoke user sessions", "Disable user"},
		event.CategoryGuestInvite: {"Invite external user", "Redeem external user invite", "Invite internal user to B2B collaboration",
			"Viral user creation", "Add external user"},
		event.CategoryPasswordChange: {"Change user password", "Change password (self-service)", "Self-service password reset flow activity progress"},
		event.CategoryPasswordReset: {"Reset user password", "Reset password (by admin)", "Reset password (self-service)",
			"Set force change user password (by admin)", "Admin reset user password"},
		event.CategoryMFAChange: {"User registered security info", "User deleted security info", "User changed default security info",
			"Admin registered security info", "Admin deleted security info", "Admin updated security info",
			"User registered all required security info", "Disable Strong Authentication", "Enable Strong Authentication",
			"Update per-user multifactor authentication state", "Delete authentication method",
			"Reset multifactor authentication", "Authentication Methods Policy Update", "User started security info registration"},
		event.CategoryGroupCreate:       {"Add group", "Create group"},
		event.CategoryGroupDelete:       {"Delete group", "Hard Delete group"},
		event.CategoryGroupUpdate:       {"Update group", "Set group license", "Restore Group"},
		event.CategoryGroupMemberAdd:    {"Add member to group", "Add owner to group"},
		event.CategoryGroupMemberRemove: {"Remove member from group", "Remove owner from group"},
		event.CategoryRoleAssignment: {"Add member to role", "Add eligible member to role", "Add scoped member to role",
			"Add member to role completed (PIM activation)", "Add eligible member to role in PIM completed (permanent)",
			"Add eligible member to role in PIM completed (timebound)", "Add member to role in PIM completed (permanent)",
			"Add member to role in PIM completed (timebound)", "Add member to role requested (PIM activation)",
			"Add member to role outside of PIM (permanent)", "Add role assignment to role definition"},
		event.CategoryRoleRemoval: {"Remove member from role", "Remove eligible member from role", "Remove scoped member from role",
			"Remove member from role (PIM activation expired)", "Remove member from role completed (PIM deactivate)",
			"Remove permanent direct role assignment", "Remove permanent eligible role assignment",
			"Remove member from role in PIM completed (permanent)", "Remove eligible member from role in PIM completed (permanent)"},
		event.CategoryRoleChange: {"Add role definition", "Update role definition", "Delete role definition",
			"Update role setting in PIM", "Update role setting", "Add administrative unit", "Delete administrative unit"},
		event.CategoryAppCreate: {"Add application"},
		event.CategoryAppUpdate: {"Update application", "Add owner to application", "Remove owner from application",
			"Update application – Redirect URIs", "Add app role assignment grant to user"},
		event.CategoryAppDelete: {"Delete application", "Hard delete application", "Hard Delete application"},
		event.CategoryAppConsent: {"Consent to application", "Add delegated permission grant", "Add app role assignment to service principal",
			"Add OAuth2PermissionGrant", "Update delegated permission grant", "Grant admin consent"},
		event.CategoryAppCredential: {"Update application – Certificates and secrets management", "Add service principal credentials",
			"Remove service principal credentials", "Update application - Certificates and secrets management",
			"Add service principal key credentials", "Update service principal credentials"},
		event.CategorySPCreate: {"Add service principal"},
		event.CategorySPUpdate: {"Update service principal", "Add owner to service principal", "Remove owner from service principal",
			"Remove app role assignment from service principal", "Remove delegated permission grant"},
		event.CategorySPDelete: {"Remove service principal", "Delete service principal", "Hard delete service principal"},
		event.CategoryPolicyConditionalAccess: {"Add conditional access policy", "Update conditional access policy",
			"Delete conditional access policy", "Add named location", "Update named location", "Delete named location",
			"Update security defaults", "Update continuous access evaluation"},
		event.CategoryFederationChange: {"Set domain authentication", "Set federation settings on domain", "Add unverified domain",
			"Add verified domain", "Verify domain", "Remove unverified domain", "Remove verified domain", "Update domain",
			"Add partner to company", "Remove partner from company", "Set DirSyncEnabled flag", "Add identity provider",
			"Update identity provider", "Delete identity provider", "Update external identities policy",
			"Add a partner to cross-tenant access setting", "Update a partner cross-tenant access setting"},
		event.CategoryTenantChange: {"Update company settings", "Set Company Information", "Update company", "Set company information",
			"Set password policy", "Update authorization policy", "Update tenant", "Set accidental deletion threshold",
			"Update organization branding", "Add policy", "Update policy", "Delete policy"},
		event.CategoryKeyChange: {"Update BitLocker Key", "Read BitLocker key"},
	}
}

// activityIndex maps a normalized activity name to its category.
type activityIndex map[string]event.Category

func newActivityIndex() activityIndex {
	idx := activityIndex{}
	for cat, names := range auditActivities() {
		for _, n := range names {
			idx[activityKey(n)] = cat
		}
	}
	return idx
}

// activityKey folds case, spaces and the dash variants Microsoft uses in activity names.
func activityKey(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	s = strings.NewReplacer("–", "-", "—", "-").Replace(s)
	return strings.Join(strings.Fields(s), " ")
}

// Mappings documents the tables for docs/categories.md.
func (p *Parser) Mappings() []normalize.OperationMapping {
	var out []normalize.OperationMapping
	for cat, codes := range signInCodes() {
		var ops []string
		for _, c := range codes {
			ops = append(ops, "AADSTS"+strconv.Itoa(c))
		}
		out = append(out, normalize.OperationMapping{Category: cat, Source: "Entra sign-ins (error code)", Operations: ops})
	}
	out = append(out,
		normalize.OperationMapping{Category: event.CategoryLogin, Source: "Entra sign-ins", Operations: []string{"interactive sign-in with errorCode 0"}},
		normalize.OperationMapping{Category: event.CategoryLoginNonInteractive, Source: "Entra sign-ins", Operations: []string{"NonInteractiveUserSignInLogs / signInEventTypes nonInteractiveUser with errorCode 0"}},
		normalize.OperationMapping{Category: event.CategoryLoginService, Source: "Entra sign-ins", Operations: []string{"ServicePrincipalSignInLogs, ManagedIdentitySignInLogs with errorCode 0"}},
		normalize.OperationMapping{Category: event.CategoryLoginServiceFailed, Source: "Entra sign-ins", Operations: []string{"ServicePrincipalSignInLogs, ManagedIdentitySignInLogs with a non-zero errorCode"}},
		normalize.OperationMapping{Category: event.CategoryIdentityRisk, Source: "Entra ID Protection", Operations: []string{"riskDetections", "UserRiskEvents", "RiskyUsers", "ServicePrincipalRiskEvents", "RiskyServicePrincipals"}},
		normalize.OperationMapping{Category: event.CategoryProviderAlert, Source: "Microsoft Graph security", Operations: []string{"security/alerts_v2"}},
	)
	for cat, names := range auditActivities() {
		out = append(out, normalize.OperationMapping{Category: cat, Source: "Entra directory audits", Operations: names})
	}
	return out
}
