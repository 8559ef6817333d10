package cloudtrail

import (
	"github.com/goccy/go-json"

	"github.com/vigil-sec/vigil/internal/normalize"
)

// record is one CloudTrail event as AWS documents it (eventVersion 1.0–1.11). Fields whose
// JSON type varies between producers use normalize.Text, so a type change never loses the record.
type record struct {
	EventVersion       string          `json:"eventVersion"`
	UserIdentity       *userIdentity   `json:"userIdentity"`
	EventTime          string          `json:"eventTime"`
	LogstashTime       string          `json:"@timestamp"`
	EventSource        string          `json:"eventSource"`
	EventName          string          `json:"eventName"`
	AWSRegion          string          `json:"awsRegion"`
	SourceIPAddress    string          `json:"sourceIPAddress"`
	UserAgent          string          `json:"userAgent"`
	ErrorCode          string          `json:"errorCode"`
	ErrorMessage       string          `json:"errorMessage"`
	RequestID          string          `json:"requestID"`
	EventID            string          `json:"eventID"`
	EventType          string          `json:"eventType"`
	EventCategory      string          `json:"eventCategory"`
	APIVersion         string          `json:"apiVersion"`
	Resources          []resource      `json:"resources"`
	RecipientAccountID string          `json:"recipientAccountId"`
	SharedEventID      string          `json:"sharedEventID"`
	VPCEndpointID      string          `json:"vpcEndpointId"`
	InsightDetails     *insightDetails `json:"insightDetails"`

	// A LookupEvents item carries the record as a JSON string.
	CloudTrailEvent string `json:"CloudTrailEvent"`
	// The request and response payloads are most of a record's bytes and matter for few
	// events, so they are decoded on demand (see payloads) instead of copied for every one.
	src      []byte
	payloads *payloads

	// Digest files are recognised by these.
	DigestStartTime string `json:"digestStartTime"`
	DigestSignature string `json:"digestSignatureAlgorithm"`
}

// payloads are the parts of a record decoded only when an event needs them.
type payloads struct {
	RequestParameters   json.RawMessage `json:"requestParameters"`
	ResponseElements    json.RawMessage `json:"responseElements"`
	AdditionalEventData json.RawMessage `json:"additionalEventData"`
	ServiceEventDetails json.RawMessage `json:"serviceEventDetails"`
}

// load returns the record's payloads, decoding them from the record the first time.
func (r *record) load() *payloads {
	if r.payloads == nil {
		r.payloads = &payloads{}
		_ = json.Unmarshal(r.src, r.payloads) // best effort: the record already decoded once
	}
	return r.payloads
}

type userIdentity struct {
	Type             string          `json:"type"`
	PrincipalID      string          `json:"principalId"`
	ARN              string          `json:"arn"`
	AccountID        string          `json:"accountId"`
	AccessKeyID      string          `json:"accessKeyId"`
	UserName         string          `json:"userName"`
	InvokedBy        string          `json:"invokedBy"`
	IdentityProvider string          `json:"identityProvider"`
	SessionContext   *sessionContext `json:"sessionContext"`
	OnBehalfOf       *struct {
		UserID           string `json:"userId"`
		IdentityStoreARN string `json:"identityStoreArn"`
	} `json:"onBehalfOf"`
	CredentialID string `json:"credentialId"`
}

type sessionContext struct {
	SessionIssuer *struct {
		Type        string `json:"type"`
		PrincipalID string `json:"principalId"`
		ARN         string `json:"arn"`
		AccountID   string `json:"accountId"`
		UserName    string `json:"userName"`
	} `json:"sessionIssuer"`
	Attributes *struct {
		CreationDate     string `json:"creationDate"`
		MFAAuthenticated string `json:"mfaAuthenticated"`
	} `json:"attributes"`
	SourceIdentity string `json:"sourceIdentity"`
}

type resource struct {
	ARN       string `json:"ARN"`
	AccountID string `json:"accountId"`
	Type      string `json:"type"`
}

type insightDetails struct {
	State       string `json:"state"`
	EventSource string `json:"eventSource"`
	EventName   string `json:"eventName"`
	InsightType string `json:"insightType"`
	ErrorCode   string `json:"errorCode"`
}

// targets are the request parameters that name what a write acted on.
type targets struct {
	UserName   string         `json:"userName"`
	RoleName   string         `json:"roleName"`
	GroupName  string         `json:"groupName"`
	PolicyARN  string         `json:"policyArn"`
	PolicyName string         `json:"policyName"`
	BucketName string         `json:"bucketName"`
	Name       normalize.Text `json:"name"` // a string, or an object in some services
	TrailName  string         `json:"trailName"`
	KeyID      string         `json:"keyId"`
	GroupID    string         `json:"groupId"`
	SecretID   string         `json:"secretId"`
	DetectorID string         `json:"detectorId"`
	InstanceID string         `json:"instanceId"`
}

// consoleResult is what sign-in events put in responseElements and additionalEventData.
type consoleResult struct {
	ConsoleLogin   string `json:"ConsoleLogin"`
	MFAUsed        string `json:"MFAUsed"`
	LoginTo        string `json:"LoginTo"`
	CredentialType string `json:"CredentialType"`
}
