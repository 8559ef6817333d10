package cloudtrail

import (
	"fmt"

	"github.com/goccy/go-json"

	"github.com/vigil-sec/vigil/internal/normalize"
	"github.com/vigil-sec/vigil/internal/rawjson"
)

// row is a Log Analytics / Sentinel AWSCloudTrail table row, as exported to JSON or to CSV
// (every CSV value arrives as a string; JSON columns as JSON text).
type row struct {
	TimeGenerated            string             `json:"TimeGenerated"`
	TimeGeneratedUTC         string             `json:"TimeGenerated [UTC]"`
	AwsEventID               string             `json:"AwsEventId"`
	EventVersion             string             `json:"EventVersion"`
	EventSource              string             `json:"EventSource"`
	EventTypeName            string             `json:"EventTypeName"`
	EventName                string             `json:"EventName"`
	UserIdentityType         string             `json:"UserIdentityType"`
	UserIdentityPrincipalID  string             `json:"UserIdentityPrincipalid"`
	UserIdentityARN          string             `json:"UserIdentityArn"`
	UserIdentityAccountID    string             `json:"UserIdentityAccountId"`
	UserIdentityInvokedBy    string             `json:"UserIdentityInvokedBy"`
	UserIdentityAccessKeyID  string             `json:"UserIdentityAccessKeyId"`
	UserIdentityUserName     string             `json:"UserIdentityUserName"`
	UserIdentityUserID       string             `json:"UserIdentityUserId"`
	UserIdentityStoreARN     string             `json:"UserIdentityStoreArn"`
	SessionMFA               normalize.Text     `json:"SessionMfaAuthenticated"`
	SessionCreation          string             `json:"SessionCreationDate"`
	SessionCreationUTC       string             `json:"SessionCreationDate [UTC]"`
	SessionIssuerType        string             `json:"SessionIssuerType"`
	SessionIssuerPrincipalID string             `json:"SessionIssuerPrincipalId"`
	SessionIssuerARN         string             `json:"SessionIssuerArn"`
	SessionIssuerAccountID   string             `json:"SessionIssuerAccountId"`
	SessionIssuerUserName    string             `json:"SessionIssuerUserName"`
	AWSRegion                string             `json:"AWSRegion"`
	SourceIPAddress          string             `json:"SourceIpAddress"`
	UserAgent                string             `json:"UserAgent"`
	ErrorCode                string             `json:"ErrorCode"`
	ErrorMessage             string             `json:"ErrorMessage"`
	RequestParameters        normalize.JSONText `json:"RequestParameters"`
	ResponseElements         normalize.JSONText `json:"ResponseElements"`
	AdditionalEventData      normalize.JSONText `json:"AdditionalEventData"`
	ServiceEventDetails      normalize.JSONText `json:"ServiceEventDetails"`
	AwsRequestID             string             `json:"AwsRequestId"`
	AwsRequestIDAlt          string             `json:"AwsRequestId_"`
	Resources                normalize.JSONText `json:"Resources"`
	APIVersion               string             `json:"APIVersion"`
	ReadOnly                 normalize.Text     `json:"ReadOnly"`
	RecipientAccountID       string             `json:"RecipientAccountId"`
	SharedEventID            string             `json:"SharedEventId"`
	VpcEndpointID            string             `json:"VpcEndpointId"`
	Category                 string             `json:"Category"`
	Type                     string             `json:"Type"`
}

// isSentinelRow tells an exported table row from a native record by its column names.
func isSentinelRow(p *rawjson.Probe) bool {
	return p.HasAny("AwsEventId", "TimeGenerated", "TimeGenerated [UTC]", "UserIdentityArn") && !p.Has("userIdentity")
}

func decodeRow(rec []byte) (*row, error) {
	var r row
	if err := json.Unmarshal(rec, &r); err != nil {
		return nil, fmt.Errorf("decode AWSCloudTrail row: %w", err)
	}
	return &r, nil
}

// record turns the row back into the native record shape, so one mapping serves both.
func (r *row) record() record {
	out := record{
		EventVersion:    r.EventVersion,
		EventSource:     r.EventSource,
		EventName:       r.EventName,
		AWSRegion:       r.AWSRegion,
		SourceIPAddress: r.SourceIPAddress,
		UserAgent:       r.UserAgent,
		ErrorCode:       r.ErrorCode,
		ErrorMessage:    r.ErrorMessage,
		payloads: &payloads{
			RequestParameters:   []byte(r.RequestParameters),
			ResponseElements:    []byte(r.ResponseElements),
			AdditionalEventData: []byte(r.AdditionalEventData),
			ServiceEventDetails: []byte(r.ServiceEventDetails),
		},
		RequestID:          normalize.FirstNonEmpty(r.AwsRequestID, r.AwsRequestIDAlt),
		EventID:            r.AwsEventID,
		EventType:          r.EventTypeName,
		APIVersion:         r.APIVersion,
		RecipientAccountID: r.RecipientAccountID,
		SharedEventID:      r.SharedEventID,
		VPCEndpointID:      r.VpcEndpointID,
	}
	if len(r.Resources) > 0 && r.Resources[0] == '[' {
		_ = json.Unmarshal(r.Resources, &out.Resources)
	}
	switch {
	case r.TimeGeneratedUTC != "":
		if t, err := rawjson.ParseDayFirstTime(r.TimeGeneratedUTC); err == nil {
			out.EventTime = t.Format("2006-01-02T15:04:05.000Z07:00")
		} else {
			out.EventTime = r.TimeGeneratedUTC
		}
	default:
		out.EventTime = r.TimeGenerated
	}
	if r.UserIdentityType != "" || r.UserIdentityARN != "" || r.UserIdentityUserName != "" {
		id := &userIdentity{
			Type: r.UserIdentityType, PrincipalID: r.UserIdentityPrincipalID, ARN: r.UserIdentityARN,
			AccountID: r.UserIdentityAccountID, AccessKeyID: r.UserIdentityAccessKeyID,
			UserName: r.UserIdentityUserName, InvokedBy: r.UserIdentityInvokedBy,
		}
		if r.SessionIssuerARN != "" || r.SessionMFA != "" {
			id.SessionContext = &sessionContext{}
			if r.SessionIssuerARN != "" {
				id.SessionContext.SessionIssuer = &struct {
					Type        string `json:"type"`
					PrincipalID string `json:"principalId"`
					ARN         string `json:"arn"`
					AccountID   string `json:"accountId"`
					UserName    string `json:"userName"`
				}{r.SessionIssuerType, r.SessionIssuerPrincipalID, r.SessionIssuerARN, r.SessionIssuerAccountID, r.SessionIssuerUserName}
			}
			id.SessionContext.Attributes = &struct {
				CreationDate     string `json:"creationDate"`
				MFAAuthenticated string `json:"mfaAuthenticated"`
			}{r.SessionCreation, string(r.SessionMFA)}
		}
		if r.UserIdentityUserID != "" {
			id.OnBehalfOf = &struct {
				UserID           string `json:"userId"`
				IdentityStoreARN string `json:"identityStoreArn"`
			}{r.UserIdentityUserID, r.UserIdentityStoreARN}
		}
		out.UserIdentity = id
	}
	return out
}
