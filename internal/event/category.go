package event

// Category is Vigil's taxonomy of activity: the "metric" analysts model on. A category
// says what kind of thing happened, independent of the provider; whether it succeeded is in
// the status. docs/categories.md lists the native operations each parser maps to it.
type Category string

// The categories. Keep CategoryInfos in step when adding one.
const (
	// Sign-ins.
	CategoryLogin               Category = "login"                // a successful interactive user sign-in
	CategoryLoginFailed         Category = "login.failed"         // a failed user sign-in (bad password, blocked, ...)
	CategoryLoginLockout        Category = "login.lockout"        // sign-in refused because the account is locked
	CategoryLoginInterrupted    Category = "login.interrupted"    // sign-in needing more (MFA required, consent, device) before it can succeed
	CategoryLoginNonInteractive Category = "login.noninteractive" // token refresh and other sign-ins a client made for the user
	CategoryLoginService        Category = "login.service"        // service principal, managed identity or access-key sign-in
	CategoryLoginServiceFailed  Category = "login.service.failed" // failed workload identity sign-in
	CategoryLogout              Category = "logout"
	CategorySessionAssume       Category = "session.assume" // a role assumed or a federated session issued (AssumeRole, SSO)

	// MFA and passwords.
	CategoryMFAChallenge   Category = "mfa.challenge"   // an MFA prompt answered, denied or timed out
	CategoryMFAFailed      Category = "mfa.failed"      // an MFA challenge failed or was denied
	CategoryMFAChange      Category = "mfa.change"      // an MFA method registered, removed, enabled or disabled
	CategoryPasswordChange Category = "password.change" // a user changed their own password
	CategoryPasswordReset  Category = "password.reset"  // an admin or a flow reset someone's password

	// Directory administration.
	CategoryUserCreate        Category = "user.create"
	CategoryUserDelete        Category = "user.delete"
	CategoryUserUpdate        Category = "user.update"
	CategoryUserEnable        Category = "user.enable"
	CategoryUserDisable       Category = "user.disable"
	CategoryGuestInvite       Category = "user.invite" // an external / guest user invited
	CategoryGroupCreate       Category = "group.create"
	CategoryGroupDelete       Category = "group.delete"
	CategoryGroupUpdate       Category = "group.update"
	CategoryGroupMemberAdd    Category = "group.member_add"
	CategoryGroupMemberRemove Category = "group.member_remove"
	CategoryRoleAssignment    Category = "admin.role_assignment" // a privileged role or admin policy granted to an identity
	CategoryRoleRemoval       Category = "admin.role_removal"
	CategoryRoleChange        Category = "admin.role_change" // a role definition created, changed or deleted

	// Applications and service principals.
	CategoryAppCreate     Category = "app.create"
	CategoryAppUpdate     Category = "app.update"
	CategoryAppDelete     Category = "app.delete"
	CategoryAppConsent    Category = "app.consent"    // consent or permission grant to an application
	CategoryAppCredential Category = "app.credential" // a secret or certificate added to an app or service principal
	CategorySPCreate      Category = "sp.create"      // a service principal created
	CategorySPUpdate      Category = "sp.update"
	CategorySPDelete      Category = "sp.delete"

	// Credentials of identities.
	CategoryCredentialCreate Category = "credential.create" // access keys, login profiles, SSH keys, signing certificates
	CategoryCredentialDelete Category = "credential.delete"
	CategoryCredentialUpdate Category = "credential.update"

	// Policy and tenant configuration.
	CategoryPolicyConditionalAccess Category = "policy.conditional_access" // Entra conditional access policies
	CategoryPolicyIAM               Category = "policy.iam"                // IAM / resource policies created, attached, changed
	CategoryPolicyGovernance        Category = "policy.governance"         // Azure Policy, SCPs, AWS Config rules
	CategoryFederationChange        Category = "federation.change"         // domains, federation, identity providers
	CategoryTenantChange            Category = "tenant.change"             // tenant, organization and account settings

	// Resources (management plane).
	CategoryResourceCreate Category = "resource.create"
	CategoryResourceUpdate Category = "resource.update"
	CategoryResourceDelete Category = "resource.delete"
	CategoryResourceRead   Category = "resource.read"   // read-only and list calls
	CategoryResourceAction Category = "resource.action" // start, stop, restart, run command ...

	// Network.
	CategoryNetworkExposure Category = "network.exposure" // inbound access opened: security group, NSG, firewall, public IP
	CategoryNetworkChange   Category = "network.change"

	// Logging and security tooling.
	CategoryLoggingChange  Category = "logging.change"  // audit logging stopped, deleted or reconfigured
	CategorySecurityChange Category = "security.change" // GuardDuty, Security Hub, Defender, Config disabled or changed

	// Keys and secrets.
	CategorySecretAccess Category = "secret.access" // a secret or key read
	CategoryKeyChange    Category = "key.change"    // a key or vault created, disabled, scheduled for deletion, purged

	// Storage.
	CategoryStorageAccess Category = "storage.access" // object reads, writes and deletes (data events)
	CategoryStoragePolicy Category = "storage.policy" // bucket / container policy, ACL, public access, encryption

	// Findings.
	CategoryIdentityRisk  Category = "identity.risk"  // risk detections and risky-user state
	CategoryProviderAlert Category = "alert.provider" // the provider's own security alerts and insights

	// Platform.
	CategoryPlatformHealth Category = "platform.health" // service and resource health, autoscale, recommendations

	CategoryOther    Category = "other"
	CategoryUnparsed Category = "unparsed"
)

// CategoryInfo describes a category for people.
type CategoryInfo struct {
	Category    Category
	Group       string
	Description string
}

// CategoryInfos lists every category in taxonomy order.
func CategoryInfos() []CategoryInfo {
	return []CategoryInfo{
		{CategoryLogin, "sign-in", "successful interactive user sign-in"},
		{CategoryLoginFailed, "sign-in", "failed user sign-in: wrong password, blocked, expired, conditional access failure"},
		{CategoryLoginLockout, "sign-in", "sign-in refused because the account is locked or disabled"},
		{CategoryLoginInterrupted, "sign-in", "sign-in interrupted for more proof: MFA required, device registration, consent"},
		{CategoryLoginNonInteractive, "sign-in", "non-interactive sign-in a client made on the user's behalf (token refresh)"},
		{CategoryLoginService, "sign-in", "service principal, managed identity or workload sign-in"},
		{CategoryLoginServiceFailed, "sign-in", "failed workload identity sign-in"},
		{CategoryLogout, "sign-in", "sign-out"},
		{CategorySessionAssume, "sign-in", "role assumed or federated session issued"},
		{CategoryMFAChallenge, "mfa", "MFA challenge sent or completed"},
		{CategoryMFAFailed, "mfa", "MFA challenge denied, failed or timed out"},
		{CategoryMFAChange, "mfa", "MFA method registered, removed, enabled or disabled"},
		{CategoryPasswordChange, "password", "user changed their own password"},
		{CategoryPasswordReset, "password", "password reset by an admin or a flow"},
		{CategoryUserCreate, "directory", "user created"},
		{CategoryUserDelete, "directory", "user deleted"},
		{CategoryUserUpdate, "directory", "user attributes changed"},
		{CategoryUserEnable, "directory", "user enabled or restored"},
		{CategoryUserDisable, "directory", "user disabled or blocked"},
		{CategoryGuestInvite, "directory", "external or guest user invited"},
		{CategoryGroupCreate, "directory", "group created"},
		{CategoryGroupDelete, "directory", "group deleted"},
		{CategoryGroupUpdate, "directory", "group settings changed"},
		{CategoryGroupMemberAdd, "directory", "member added to a group"},
		{CategoryGroupMemberRemove, "directory", "member removed from a group"},
		{CategoryRoleAssignment, "privilege", "privileged role or admin policy granted to an identity"},
		{CategoryRoleRemoval, "privilege", "role or policy removed from an identity"},
		{CategoryRoleChange, "privilege", "role definition created, changed or deleted"},
		{CategoryAppCreate, "application", "application registered"},
		{CategoryAppUpdate, "application", "application changed"},
		{CategoryAppDelete, "application", "application deleted"},
		{CategoryAppConsent, "application", "consent or permission grant to an application"},
		{CategoryAppCredential, "application", "secret or certificate added to, or removed from, an application or service principal"},
		{CategorySPCreate, "application", "service principal created"},
		{CategorySPUpdate, "application", "service principal changed"},
		{CategorySPDelete, "application", "service principal deleted"},
		{CategoryCredentialCreate, "credential", "access key, login profile, SSH key or signing certificate created for an identity"},
		{CategoryCredentialDelete, "credential", "identity credential deleted"},
		{CategoryCredentialUpdate, "credential", "identity credential changed (activated, deactivated, rotated)"},
		{CategoryPolicyConditionalAccess, "policy", "conditional access policy created, changed or deleted"},
		{CategoryPolicyIAM, "policy", "IAM or resource policy created, attached, changed or deleted"},
		{CategoryPolicyGovernance, "policy", "Azure Policy assignments, service control policies, config rules"},
		{CategoryFederationChange, "policy", "domain, federation or identity provider changed"},
		{CategoryTenantChange, "policy", "tenant, organization or account settings changed"},
		{CategoryResourceCreate, "resource", "management-plane resource created"},
		{CategoryResourceUpdate, "resource", "management-plane resource changed"},
		{CategoryResourceDelete, "resource", "management-plane resource deleted"},
		{CategoryResourceRead, "resource", "read-only or list call"},
		{CategoryResourceAction, "resource", "action on a resource: start, stop, run command, snapshot share"},
		{CategoryNetworkExposure, "network", "inbound access opened: security group, NSG, firewall, public address"},
		{CategoryNetworkChange, "network", "other network configuration changed"},
		{CategoryLoggingChange, "defense", "audit logging stopped, deleted or reconfigured"},
		{CategorySecurityChange, "defense", "security service disabled or reconfigured"},
		{CategorySecretAccess, "secret", "secret or key read"},
		{CategoryKeyChange, "secret", "key or vault created, disabled, scheduled for deletion or purged"},
		{CategoryStorageAccess, "storage", "object read, written or deleted"},
		{CategoryStoragePolicy, "storage", "bucket or container policy, ACL, public access or encryption changed"},
		{CategoryIdentityRisk, "finding", "identity risk detection or risky-user state"},
		{CategoryProviderAlert, "finding", "the provider's own security alert or insight"},
		{CategoryPlatformHealth, "platform", "service or resource health, autoscale, advisor recommendations"},
		{CategoryOther, "other", "recognised record with no more specific category"},
		{CategoryUnparsed, "other", "record that could not be parsed; the reason is in vigil.parse_error"},
	}
}

// Known reports whether c is one of the categories.
func (c Category) Known() bool {
	for _, ci := range CategoryInfos() {
		if ci.Category == c {
			return true
		}
	}
	return false
}
