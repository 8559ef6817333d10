package event

// Class is an OCSF event class uid.
type Class int

// The OCSF classes Vigil emits.
const (
	ClassDetectionFinding     Class = 2004
	ClassAccountChange        Class = 3001
	ClassAuthentication       Class = 3002
	ClassUserAccessManagement Class = 3005
	ClassGroupManagement      Class = 3006
	ClassAPIActivity          Class = 6003
)

// Activity ids shared by several classes; see ActivityName for the per-class captions.
const (
	ActivityUnknown = 0
	ActivityOther   = 99

	// Authentication (3002).
	ActivityLogon  = 1
	ActivityLogoff = 2

	// Account Change (3001).
	ActivityAccountCreate    = 1
	ActivityAccountEnable    = 2
	ActivityPasswordChange   = 3
	ActivityPasswordReset    = 4
	ActivityAccountDisable   = 5
	ActivityAccountDelete    = 6
	ActivityAttachPolicy     = 7
	ActivityDetachPolicy     = 8
	ActivityAccountLock      = 9
	ActivityMFAFactorEnable  = 10
	ActivityMFAFactorDisable = 11

	// User Access Management (3005).
	ActivityAssignPrivileges = 1
	ActivityRevokePrivileges = 2

	// Group Management (3006).
	ActivityGroupAssignPrivileges = 1
	ActivityGroupRevokePrivileges = 2
	ActivityGroupAddUser          = 3
	ActivityGroupRemoveUser       = 4
	ActivityGroupDelete           = 5
	ActivityGroupCreate           = 6

	// API Activity (6003) and Detection Finding (2004: 1 Create, 2 Update, 3 Close).
	ActivityCreate = 1
	ActivityRead   = 2
	ActivityUpdate = 3
	ActivityDelete = 4
)

// Status ids.
const (
	StatusUnknown = 0
	StatusSuccess = 1
	StatusFailure = 2
	StatusOther   = 99
)

// Severity ids.
const (
	SeverityUnknown       = 0
	SeverityInformational = 1
	SeverityLow           = 2
	SeverityMedium        = 3
	SeverityHigh          = 4
	SeverityCritical      = 5
	SeverityFatal         = 6
)

// User type ids.
const (
	UserTypeUnknown = 0
	UserTypeUser    = 1
	UserTypeAdmin   = 2
	UserTypeSystem  = 3
	UserTypeOther   = 99
)

// Name is the class caption.
func (c Class) Name() string {
	switch c {
	case ClassDetectionFinding:
		return "Detection Finding"
	case ClassAccountChange:
		return "Account Change"
	case ClassAuthentication:
		return "Authentication"
	case ClassUserAccessManagement:
		return "User Access Management"
	case ClassGroupManagement:
		return "Group Management"
	case ClassAPIActivity:
		return "API Activity"
	}
	return "Base Event"
}

// CategoryUID is the OCSF category the class belongs to.
func (c Class) CategoryUID() int { return int(c) / 1000 }

// CategoryName is the OCSF category caption.
func (c Class) CategoryName() string {
	switch c.CategoryUID() {
	case 2:
		return "Findings"
	case 3:
		return "Identity & Access Management"
	case 6:
		return "Application Activity"
	}
	return "Other"
}

// ActivityName is the caption of activity id within the class.
func (c Class) ActivityName(id int) string {
	if id == ActivityUnknown {
		return "Unknown"
	}
	if id == ActivityOther {
		return "Other"
	}
	var names []string
	switch c {
	case ClassAuthentication:
		names = []string{"Logon", "Logoff", "Authentication Ticket", "Service Ticket Request", "Service Ticket Renew", "Preauth"}
	case ClassAccountChange:
		names = []string{"Create", "Enable", "Password Change", "Password Reset", "Disable", "Delete", "Attach Policy", "Detach Policy", "Lock", "MFA Factor Enable", "MFA Factor Disable"}
	case ClassUserAccessManagement:
		names = []string{"Assign Privileges", "Revoke Privileges"}
	case ClassGroupManagement:
		names = []string{"Assign Privileges", "Revoke Privileges", "Add User", "Remove User", "Delete", "Create"}
	case ClassAPIActivity:
		names = []string{"Create", "Read", "Update", "Delete"}
	case ClassDetectionFinding:
		names = []string{"Create", "Update", "Close"}
	}
	if id >= 1 && id <= len(names) {
		return names[id-1]
	}
	return "Other"
}

// StatusName is the caption of a status id.
func StatusName(id int) string {
	switch id {
	case StatusSuccess:
		return "Success"
	case StatusFailure:
		return "Failure"
	case StatusOther:
		return "Other"
	}
	return "Unknown"
}

// SeverityName is the caption of a severity id.
func SeverityName(id int) string {
	switch id {
	case SeverityInformational:
		return "Informational"
	case SeverityLow:
		return "Low"
	case SeverityMedium:
		return "Medium"
	case SeverityHigh:
		return "High"
	case SeverityCritical:
		return "Critical"
	case SeverityFatal:
		return "Fatal"
	case 99:
		return "Other"
	}
	return "Unknown"
}
