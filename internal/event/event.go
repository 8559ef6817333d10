// Package event defines Vigil's normalized event: one OCSF 1.x aligned record that every
// stage after normalization reads, whatever provider or transport delivered it.
// It imports nothing else of Vigil's, so every stage can depend on it.
package event

import (
	"encoding/json"
	"time"
)

// SchemaVersion is the OCSF schema version the event follows.
const SchemaVersion = "1.3.0"

// Event is one normalized record. JSON names follow OCSF; Vigil's own fields live under
// "vigil". Raw holds the native record as delivered (after repair, see Vigil.Repairs), so
// rules can match the provider's field names.
type Event struct {
	Time         int64  `json:"time"`
	TimeDt       string `json:"time_dt,omitempty"`
	ClassUID     int    `json:"class_uid"`
	ClassName    string `json:"class_name"`
	CategoryUID  int    `json:"category_uid"`
	CategoryName string `json:"category_name,omitempty"`
	ActivityID   int    `json:"activity_id"`
	ActivityName string `json:"activity_name,omitempty"`
	TypeUID      int    `json:"type_uid"`
	SeverityID   int    `json:"severity_id"`
	Severity     string `json:"severity,omitempty"`
	StatusID     int    `json:"status_id"`
	Status       string `json:"status,omitempty"`
	StatusCode   string `json:"status_code,omitempty"`
	StatusDetail string `json:"status_detail,omitempty"`
	Message      string `json:"message,omitempty"`

	Actor       Actor        `json:"actor"`
	SrcEndpoint Endpoint     `json:"src_endpoint"`
	HTTPRequest HTTPRequest  `json:"http_request"`
	Device      *Device      `json:"device,omitempty"`
	API         API          `json:"api"`
	Cloud       Cloud        `json:"cloud"`
	Resources   []Resource   `json:"resources,omitempty"`
	User        *User        `json:"user,omitempty"`  // the target user (Account Change, User Access Management)
	Group       *Group       `json:"group,omitempty"` // the target group (Group Management)
	Privileges  []string     `json:"privileges,omitempty"`
	IsMFA       *bool        `json:"is_mfa,omitempty"`
	AuthProto   string       `json:"auth_protocol,omitempty"`
	LogonType   string       `json:"logon_type,omitempty"`
	FindingInfo *FindingInfo `json:"finding_info,omitempty"`

	Metadata Metadata        `json:"metadata"`
	Vigil    Vigil           `json:"vigil"`
	Raw      json.RawMessage `json:"raw,omitempty"`
}

// Actor is who did it.
type Actor struct {
	User      User     `json:"user"`
	Session   *Session `json:"session,omitempty"`
	AppName   string   `json:"app_name,omitempty"`
	AppUID    string   `json:"app_uid,omitempty"`
	InvokedBy string   `json:"invoked_by,omitempty"`
}

// User is an identity: a person, a service principal, an IAM role session.
// Type is the provider's identity type (IAMUser, AssumedRole, Root, ServicePrincipal, ...);
// TypeID is the OCSF user type: 1 User, 2 Admin, 3 System, 99 Other, 0 Unknown.
type User struct {
	UID           string `json:"uid,omitempty"`
	Name          string `json:"name,omitempty"`
	Type          string `json:"type,omitempty"`
	TypeID        int    `json:"type_id,omitempty"`
	EmailAddr     string `json:"email_addr,omitempty"`
	Domain        string `json:"domain,omitempty"`
	AccountUID    string `json:"account_uid,omitempty"`    // the cloud account / tenant the identity belongs to
	CredentialUID string `json:"credential_uid,omitempty"` // access key id, certificate or secret key id
}

// Session is the authenticated session the actor acted in.
type Session struct {
	UID         string `json:"uid,omitempty"`
	Issuer      string `json:"issuer,omitempty"` // the role or identity that issued it (AWS sessionIssuer ARN)
	CreatedTime int64  `json:"created_time,omitempty"`
	IsMFA       *bool  `json:"is_mfa,omitempty"`
}

// Endpoint is a network endpoint, with where it is.
type Endpoint struct {
	IP               string            `json:"ip,omitempty"`
	Port             int               `json:"port,omitempty"`
	Domain           string            `json:"domain,omitempty"` // e.g. an AWS service that called on the user's behalf
	Location         *Location         `json:"location,omitempty"`
	AutonomousSystem *AutonomousSystem `json:"autonomous_system,omitempty"`
}

// Location is where an endpoint is, as the provider or a geo database says.
type Location struct {
	City    string   `json:"city,omitempty"`
	Country string   `json:"country,omitempty"` // ISO 3166-1 alpha-2 where known
	Region  string   `json:"region,omitempty"`
	Lat     *float64 `json:"lat,omitempty"`
	Long    *float64 `json:"long,omitempty"`
}

// AutonomousSystem is the network an address belongs to.
type AutonomousSystem struct {
	Number int    `json:"number,omitempty"`
	Name   string `json:"name,omitempty"`
}

// HTTPRequest carries the client's user agent.
type HTTPRequest struct {
	UserAgent string `json:"user_agent,omitempty"`
}

// Device is the client device of a sign-in.
type Device struct {
	UID         string `json:"uid,omitempty"`
	Name        string `json:"name,omitempty"`
	OS          string `json:"os,omitempty"`
	Browser     string `json:"browser,omitempty"`
	TrustType   string `json:"trust_type,omitempty"`
	IsCompliant *bool  `json:"is_compliant,omitempty"`
	IsManaged   *bool  `json:"is_managed,omitempty"`
}

// API is the operation called.
type API struct {
	Operation string       `json:"operation,omitempty"`
	Version   string       `json:"version,omitempty"`
	Service   Service      `json:"service"`
	Request   APIRequest   `json:"request"`
	Response  *APIResponse `json:"response,omitempty"`
}

// Service names the provider service that handled the call.
type Service struct {
	Name string `json:"name,omitempty"`
}

// APIRequest identifies the request.
type APIRequest struct {
	UID string `json:"uid,omitempty"`
}

// APIResponse carries the error of a failed call.
type APIResponse struct {
	Error        string `json:"error,omitempty"`
	ErrorMessage string `json:"error_message,omitempty"`
}

// Cloud says where in which provider the event happened.
type Cloud struct {
	Provider string  `json:"provider,omitempty"` // "AWS" or "Azure"
	Account  Account `json:"account"`
	Org      *Org    `json:"org,omitempty"` // Entra tenant, AWS organization
	Region   string  `json:"region,omitempty"`
}

// Account is an AWS account or Azure subscription (or the tenant for tenant-wide events).
type Account struct {
	UID  string `json:"uid,omitempty"`
	Name string `json:"name,omitempty"`
}

// Org is a tenant or organization.
type Org struct {
	UID  string `json:"uid,omitempty"`
	Name string `json:"name,omitempty"`
}

// Resource is a thing the event acted on.
type Resource struct {
	UID    string `json:"uid,omitempty"`
	Name   string `json:"name,omitempty"`
	Type   string `json:"type,omitempty"`
	Group  string `json:"group,omitempty"` // Azure resource group
	Region string `json:"region,omitempty"`
}

// Group is a directory group.
type Group struct {
	UID  string `json:"uid,omitempty"`
	Name string `json:"name,omitempty"`
}

// FindingInfo describes a provider's alert or risk detection (Detection Finding, 2004).
type FindingInfo struct {
	UID     string   `json:"uid,omitempty"`
	Title   string   `json:"title,omitempty"`
	Desc    string   `json:"desc,omitempty"`
	Types   []string `json:"types,omitempty"`
	Attacks []string `json:"attacks,omitempty"` // MITRE ATT&CK technique ids
}

// Metadata says where the record came from. OriginalTime is the event time exactly as the
// provider wrote it; LoggedTime is when the provider made it available (or Vigil first saw
// it); ProcessedTime is when Vigil normalized it. All times are epoch ms.
type Metadata struct {
	UID            string  `json:"uid,omitempty"`
	CorrelationUID string  `json:"correlation_uid,omitempty"`
	Product        Product `json:"product"`
	Version        string  `json:"version"`
	LogName        string  `json:"log_name,omitempty"` // e.g. SignInLogs, Administrative, CloudTrail
	EventCode      string  `json:"event_code,omitempty"`
	OriginalTime   string  `json:"original_time,omitempty"`
	LoggedTime     int64   `json:"logged_time,omitempty"`
	ProcessedTime  int64   `json:"processed_time,omitempty"`
}

// Product is the product that logged the record.
type Product struct {
	Name       string `json:"name,omitempty"`
	VendorName string `json:"vendor_name,omitempty"`
}

// Vigil holds what Vigil adds: the category analysts model on, the source format, the
// primary entity, and what normalization had to do.
type Vigil struct {
	Category   Category `json:"category"`
	Source     string   `json:"source"` // the format that parsed it: cloudtrail, entra, activitylog (unparsed: none did)
	Entity     Entity   `json:"entity"`
	ParseError string   `json:"parse_error,omitempty"`
	Repairs    []string `json:"repairs,omitempty"`
	// RawBase64 holds the raw bytes of an unparsed record that is not valid UTF-8 (Raw
	// then is empty); for other unparsed records Raw is a JSON string of the bytes.
	RawBase64 string `json:"raw_base64,omitempty"`
	// Score is how unusual the event is for its entity and its peers, 0–100, with the
	// reason a person can check (behavioural baselines set both; 0 is usual or unknown).
	Score       int    `json:"score,omitempty"`
	ScoreReason string `json:"score_reason,omitempty"`
	// Collector is the configured source that collected the event (a daemon's source
	// name; empty for files read by the offline tools).
	Collector string `json:"collector,omitempty"`
	// AvailableTime is when the provider made the record available and StoredTime when
	// Vigil stored it, epoch ms: their difference and the event time's are the latencies.
	AvailableTime int64 `json:"available_time,omitempty"`
	StoredTime    int64 `json:"stored_time,omitempty"`
}

// SetTime sets Time and TimeDt from t.
func (e *Event) SetTime(t time.Time) {
	e.Time = t.UnixMilli()
	e.TimeDt = FormatMillis(t)
}

// FormatMillis writes t as RFC 3339 UTC with milliseconds ("2006-01-02T15:04:05.000Z"),
// by hand: it runs for every event, and time.Format costs several times as much.
func FormatMillis(t time.Time) string {
	t = t.UTC()
	y, mo, d := t.Date()
	h, mi, s := t.Clock()
	if y < 0 || y > 9999 {
		return t.Format("2006-01-02T15:04:05.000Z07:00")
	}
	ms := t.Nanosecond() / 1e6
	var b [24]byte
	put := func(i, v, width int) {
		for j := i + width - 1; j >= i; j-- {
			b[j] = byte('0' + v%10)
			v /= 10
		}
	}
	put(0, y, 4)
	b[4] = '-'
	put(5, int(mo), 2)
	b[7] = '-'
	put(8, d, 2)
	b[10] = 'T'
	put(11, h, 2)
	b[13] = ':'
	put(14, mi, 2)
	b[16] = ':'
	put(17, s, 2)
	b[19] = '.'
	put(20, ms, 3)
	b[23] = 'Z'
	return string(b[:])
}

// Timestamp is Time as a time.Time.
func (e *Event) Timestamp() time.Time { return time.UnixMilli(e.Time).UTC() }

// SetClass sets the OCSF class, its category and the activity, and derives type_uid.
func (e *Event) SetClass(c Class, activityID int) {
	e.ClassUID = int(c)
	e.ClassName = c.Name()
	e.CategoryUID = c.CategoryUID()
	e.CategoryName = c.CategoryName()
	e.ActivityID = activityID
	e.ActivityName = c.ActivityName(activityID)
	e.TypeUID = int(c)*100 + activityID
}

// SetStatus sets status_id and its caption.
func (e *Event) SetStatus(id int) {
	e.StatusID = id
	e.Status = StatusName(id)
}

// SetSeverity sets severity_id and its caption.
func (e *Event) SetSeverity(id int) {
	e.SeverityID = id
	e.Severity = SeverityName(id)
}

// IsUnparsed reports whether the record could not be normalized.
func (e *Event) IsUnparsed() bool { return e.Vigil.Category == CategoryUnparsed }
