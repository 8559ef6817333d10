package activitylog

import (
	"github.com/goccy/go-json"

	"github.com/vigil-sec/vigil/internal/normalize"
)

// record is an Azure Activity Log event in any of its three shapes, which share most names:
// the ARM REST EventData (localized {value, localizedValue} objects), the Azure Monitor
// diagnostic record (plain strings, `time`, `identity`), and the Log Analytics AzureActivity
// row (…Value columns, JSON text). Names match case-insensitively.
type record struct {
	// ARM REST
	Authorization        normalize.JSONText `json:"authorization"`
	Caller               string             `json:"caller"`
	Claims               normalize.JSONText `json:"claims"`
	CorrelationID        string             `json:"correlationId"`
	Description          string             `json:"description"`
	EventDataID          string             `json:"eventDataId"`
	EventName            valueText          `json:"eventName"`
	Category             valueText          `json:"category"`
	EventTimestamp       normalize.Text     `json:"eventTimestamp"`
	ID                   string             `json:"id"`
	Level                normalize.Text     `json:"level"`
	OperationID          string             `json:"operationId"`
	OperationName        valueText          `json:"operationName"`
	ResourceGroupName    string             `json:"resourceGroupName"`
	ResourceProviderName valueText          `json:"resourceProviderName"`
	ResourceType         valueText          `json:"resourceType"`
	ResourceID           string             `json:"resourceId"`
	Status               valueText          `json:"status"`
	SubStatus            valueText          `json:"subStatus"`
	SubmissionTimestamp  normalize.Text     `json:"submissionTimestamp"`
	SubscriptionID       string             `json:"subscriptionId"`
	TenantID             string             `json:"tenantId"`
	HTTPRequest          normalize.JSONText `json:"httpRequest"`
	Properties           normalize.JSONText `json:"properties"`

	// Azure Monitor diagnostic records
	Time            normalize.Text     `json:"time"`
	ResultType      normalize.Text     `json:"resultType"`
	ResultSignature normalize.Text     `json:"resultSignature"`
	CallerIPAddress string             `json:"callerIpAddress"`
	Identity        normalize.JSONText `json:"identity"`
	Location        string             `json:"location"`
	StatusCode      normalize.Text     `json:"statusCode"`
	StatusText      string             `json:"statusText"`

	// Log Analytics AzureActivity rows
	TimeGenerated         normalize.Text     `json:"TimeGenerated"`
	TimeGeneratedUTC      normalize.Text     `json:"TimeGenerated [UTC]"`
	OperationNameValue    string             `json:"OperationNameValue"`
	CategoryValue         string             `json:"CategoryValue"`
	ActivityStatusValue   string             `json:"ActivityStatusValue"`
	ActivitySubstatus     string             `json:"ActivitySubstatusValue"`
	ResourceProviderValue string             `json:"ResourceProviderValue"`
	ResourceGroup         string             `json:"ResourceGroup"`
	ResourceIDAlt         string             `json:"_ResourceId"`
	PropertiesD           normalize.JSONText `json:"Properties_d"`
	ClaimsD               normalize.JSONText `json:"Claims_d"`
	AuthorizationD        normalize.JSONText `json:"Authorization_d"`
}

// valueText is an ARM localized value ({"value": …, "localizedValue": …}) or a plain string.
type valueText struct {
	Value          string
	LocalizedValue string
}

// UnmarshalJSON accepts both shapes.
func (v *valueText) UnmarshalJSON(b []byte) error {
	*v = valueText{}
	if len(b) == 0 || string(b) == "null" {
		return nil
	}
	if b[0] == '{' {
		// Plain strings first: goccy decodes them natively, without Text's per-field
		// UnmarshalJSON call and copy. Other value types fall back to Text.
		var plain struct {
			Value          string `json:"value"`
			LocalizedValue string `json:"localizedValue"`
		}
		if json.Unmarshal(b, &plain) == nil {
			v.Value, v.LocalizedValue = plain.Value, plain.LocalizedValue
			return nil
		}
		var o struct {
			Value          normalize.Text `json:"value"`
			LocalizedValue normalize.Text `json:"localizedValue"`
		}
		if err := json.Unmarshal(b, &o); err != nil {
			return err
		}
		v.Value, v.LocalizedValue = string(o.Value), string(o.LocalizedValue)
		return nil
	}
	var t normalize.Text
	if err := t.UnmarshalJSON(b); err != nil {
		return err
	}
	v.Value = string(t)
	return nil
}

// String is the value, else its localized form.
func (v valueText) String() string {
	if v.Value != "" {
		return v.Value
	}
	return v.LocalizedValue
}

// authorization is what ARM checked.
type authorization struct {
	Action   string `json:"action"`
	Scope    string `json:"scope"`
	Role     string `json:"role"`
	Evidence *struct {
		PrincipalID   string `json:"principalId"`
		PrincipalType string `json:"principalType"`
		Role          string `json:"role"`
	} `json:"evidence"`
}

// identity is a diagnostic record's identity block (an object; sometimes a bare string).
type identity struct {
	Authorization normalize.JSONText `json:"authorization"`
	Claims        normalize.JSONText `json:"claims"`
	Claim         normalize.JSONText `json:"claim"` // Key Vault AuditEvent: {"upn":…, "oid":…, "appid":…}
	Type          string             `json:"type"`
}

// properties holds the fields of `properties` Vigil reads.
type properties struct {
	EventCategory    string             `json:"eventCategory"`
	Entity           string             `json:"entity"`
	Message          string             `json:"message"`
	StatusCode       normalize.Text     `json:"statusCode"`
	Caller           string             `json:"caller"`
	EventDataID      string             `json:"eventDataId"`
	ObjectKey        string             `json:"objectKey"`
	AccountName      string             `json:"accountName"`
	UserAgent        string             `json:"userAgentHeader"`
	ClientIP         string             `json:"clientIpAddress"`
	RequestBody      normalize.JSONText `json:"requestbody"`
	ResponseBody     normalize.JSONText `json:"responseBody"`
	Title            string             `json:"title"`
	AlertName        string             `json:"alertDisplayName"`
	AttackedResource string             `json:"attackedResourceType"`
	Severity         string             `json:"severity"`
	Intent           string             `json:"intent"`
}
