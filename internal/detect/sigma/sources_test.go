package sigma

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/vigil-sec/vigil/internal/alert"
	"github.com/vigil-sec/vigil/internal/event"
	"github.com/vigil-sec/vigil/internal/normalize"
	"github.com/vigil-sec/vigil/internal/normalize/formats"
)

// TestSigmaHQRulesFireWhicheverSourceDeliveredTheRecord writes one activity in each shape
// Vigil receives it in and checks the SigmaHQ rule for it fires on every one.
func TestSigmaHQRulesFireWhicheverSourceDeliveredTheRecord(t *testing.T) {
	dir := filepath.Join(sigmaHQ, "rules")
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("SigmaHQ rules not present: %v", err)
	}
	rs, _ := Load(os.DirFS(dir), ".", Options{})
	tests := []struct {
		rule    string
		shapes  map[string]string
		nonHits map[string]string
	}{
		{
			rule: "Account Lockout",
			shapes: map[string]string{
				"graph":    `{"id":"l1","createdDateTime":"2026-01-01T00:00:00Z","userPrincipalName":"a@contoso.example","appDisplayName":"x","ipAddress":"203.0.113.1","status":{"errorCode":50053,"failureReason":"locked"}}`,
				"diag":     `{"time":"2026-01-01T00:00:00Z","category":"SignInLogs","operationName":"Sign-in activity","resultType":"50053","callerIpAddress":"203.0.113.1","properties":{"id":"l2","createdDateTime":"2026-01-01T00:00:00Z","userPrincipalName":"a@contoso.example","status":{"errorCode":50053}}}`,
				"diag-str": `{"time":"2026-01-01T00:00:00Z","category":"SignInLogs","operationName":"Sign-in activity","resultType":"50053","properties":"{\"id\":\"l3\",\"userPrincipalName\":\"a@contoso.example\"}"}`,
				"sentinel": `{"TimeGenerated":"2026-01-01T00:00:00Z","Type":"SigninLogs","Id":"l4","UserPrincipalName":"a@contoso.example","ResultType":"50053","ResultDescription":"locked"}`,
			},
			nonHits: map[string]string{
				"graph ok": `{"id":"l5","createdDateTime":"2026-01-01T00:00:00Z","userPrincipalName":"a@contoso.example","appDisplayName":"x","status":{"errorCode":0}}`,
			},
		},
		{
			rule: "Azure Active Directory Hybrid Health AD FS Service Delete",
			shapes: map[string]string{
				"rest":     `{"caller":"a@contoso.example","eventDataId":"h1","category":{"value":"Administrative","localizedValue":"Administrative"},"eventTimestamp":"2026-01-01T00:00:00Z","operationName":{"value":"Microsoft.ADHybridHealthService/services/delete"},"resourceProviderName":{"value":"Microsoft.ADHybridHealthService"},"resourceId":"/providers/Microsoft.ADHybridHealthService/services/AdFederationService-contoso.example","status":{"value":"Succeeded"}}`,
				"diag":     `{"time":"2026-01-01T00:00:00Z","category":"Administrative","operationName":"MICROSOFT.ADHYBRIDHEALTHSERVICE/SERVICES/DELETE","resourceId":"/PROVIDERS/MICROSOFT.ADHYBRIDHEALTHSERVICE/SERVICES/ADFEDERATIONSERVICE-CONTOSO.EXAMPLE","resultType":"Success","properties":{"eventCategory":"Administrative"}}`,
				"sentinel": `{"TimeGenerated":"2026-01-01T00:00:00Z","Type":"AzureActivity","OperationNameValue":"Microsoft.ADHybridHealthService/services/delete","CategoryValue":"Administrative","ResourceProviderValue":"Microsoft.ADHybridHealthService","ResourceId":"/providers/Microsoft.ADHybridHealthService/services/AdFederationService-x","ActivityStatusValue":"Success","EventDataId":"h3"}`,
			},
		},
		{
			rule: "Azure AD Only Single Factor Authentication Required", // Status: 'Success' on the status object
			shapes: map[string]string{
				"graph":    `{"id":"s1","createdDateTime":"2026-01-01T00:00:00Z","userPrincipalName":"a@contoso.example","appDisplayName":"x","ipAddress":"203.0.113.1","authenticationRequirement":"singleFactorAuthentication","status":{"errorCode":0,"failureReason":"Other.","additionalDetails":null}}`,
				"diag":     `{"time":"2026-01-01T00:00:00Z","category":"SignInLogs","operationName":"Sign-in activity","resultType":"0","callerIpAddress":"203.0.113.1","properties":{"id":"s2","createdDateTime":"2026-01-01T00:00:00Z","userPrincipalName":"a@contoso.example","authenticationRequirement":"singleFactorAuthentication","status":{"errorCode":0}}}`,
				"sentinel": `{"TimeGenerated":"2026-01-01T00:00:00Z","Type":"SigninLogs","Id":"s3","UserPrincipalName":"a@contoso.example","ResultType":"0","AuthenticationRequirement":"singleFactorAuthentication","Status":"{\"errorCode\":0}"}`,
			},
			nonHits: map[string]string{
				"graph failed": `{"id":"s4","createdDateTime":"2026-01-01T00:00:00Z","userPrincipalName":"a@contoso.example","appDisplayName":"x","authenticationRequirement":"singleFactorAuthentication","status":{"errorCode":50126,"failureReason":"Invalid username or password."}}`,
				"graph mfa":    `{"id":"s5","createdDateTime":"2026-01-01T00:00:00Z","userPrincipalName":"a@contoso.example","appDisplayName":"x","authenticationRequirement":"multiFactorAuthentication","status":{"errorCode":0}}`,
			},
		},
		{
			rule: "Multifactor Authentication Denied", // Status|contains on the object's details
			shapes: map[string]string{
				"graph":    `{"id":"m1","createdDateTime":"2026-01-01T00:00:00Z","userPrincipalName":"a@contoso.example","appDisplayName":"x","authenticationRequirement":"multiFactorAuthentication","status":{"errorCode":500121,"failureReason":"Authentication failed during strong authentication request.","additionalDetails":"MFA denied; user declined the authentication"}}`,
				"sentinel": `{"TimeGenerated":"2026-01-01T00:00:00Z","Type":"SigninLogs","Id":"m2","UserPrincipalName":"a@contoso.example","ResultType":"500121","AuthenticationRequirement":"multiFactorAuthentication","Status":"{\"errorCode\":500121,\"additionalDetails\":\"MFA denied; user declined the authentication\"}"}`,
			},
			nonHits: map[string]string{
				"graph approved": `{"id":"m3","createdDateTime":"2026-01-01T00:00:00Z","userPrincipalName":"a@contoso.example","appDisplayName":"x","authenticationRequirement":"multiFactorAuthentication","status":{"errorCode":0,"additionalDetails":"MFA completed in Azure AD"}}`,
			},
		},
		{
			rule: "Guest User Invited By Non Approved Inviters", // properties.message and Status on audits
			shapes: map[string]string{
				"graph":    `{"id":"g1","category":"UserManagement","correlationId":"c1","result":"failure","resultReason":"","activityDisplayName":"Invite external user","activityDateTime":"2026-01-01T00:00:00Z","loggedByService":"Invited Users","operationType":"Add","initiatedBy":{"user":{"id":"u1","userPrincipalName":"a@contoso.example"}},"targetResources":[{"id":"t1","type":"User","userPrincipalName":"guest@fabrikam.example"}],"additionalDetails":[]}`,
				"diag":     `{"time":"2026-01-01T00:00:00Z","category":"AuditLogs","operationName":"Invite external user","operationVersion":"1.0","resultSignature":"None","properties":{"id":"g2","category":"UserManagement","result":"failure","resultReason":"","activityDisplayName":"Invite external user","activityDateTime":"2026-01-01T00:00:00Z","loggedByService":"Invited Users","operationType":"Add","initiatedBy":{"user":{"id":"u1","userPrincipalName":"a@contoso.example"}},"targetResources":[{"id":"t1","type":"User"}]}}`,
				"sentinel": `{"TimeGenerated":"2026-01-01T00:00:00Z","Type":"AuditLogs","Id":"g3","OperationName":"Invite external user","Result":"failure","ResultReason":"","Category":"UserManagement","LoggedByService":"Invited Users","InitiatedBy":"{\"user\":{\"userPrincipalName\":\"a@contoso.example\"}}","TargetResources":"[]"}`,
			},
			nonHits: map[string]string{
				"graph success": `{"id":"g4","category":"UserManagement","result":"success","activityDisplayName":"Invite external user","activityDateTime":"2026-01-01T00:00:00Z","loggedByService":"Invited Users","initiatedBy":{"user":{"userPrincipalName":"a@contoso.example"}},"targetResources":[]}`,
			},
		},
		{
			rule: "Temporary Access Pass Added To An Account", // Status is the audit's result reason here
			shapes: map[string]string{
				"graph":    `{"id":"p1","category":"UserManagement","result":"success","resultReason":"Admin registered temporary access pass method for user","activityDisplayName":"Admin registered security info","activityDateTime":"2026-01-01T00:00:00Z","loggedByService":"Authentication Methods","operationType":"Update","initiatedBy":{"user":{"userPrincipalName":"admin@contoso.example"}},"targetResources":[{"id":"t2","type":"User","userPrincipalName":"a@contoso.example"}]}`,
				"diag":     `{"time":"2026-01-01T00:00:00Z","category":"AuditLogs","operationName":"Admin registered security info","resultSignature":"None","properties":{"id":"p2","category":"UserManagement","result":"success","resultReason":"Admin registered temporary access pass method for user","activityDisplayName":"Admin registered security info","activityDateTime":"2026-01-01T00:00:00Z","loggedByService":"Authentication Methods","initiatedBy":{"user":{"userPrincipalName":"admin@contoso.example"}},"targetResources":[]}}`,
				"sentinel": `{"TimeGenerated":"2026-01-01T00:00:00Z","Type":"AuditLogs","Id":"p3","OperationName":"Admin registered security info","Result":"success","ResultReason":"Admin registered temporary access pass method for user","Category":"UserManagement","LoggedByService":"Authentication Methods"}`,
			},
			nonHits: map[string]string{
				"graph phone": `{"id":"p4","category":"UserManagement","result":"success","resultReason":"Admin registered phone method for user","activityDisplayName":"Admin registered security info","activityDateTime":"2026-01-01T00:00:00Z","loggedByService":"Authentication Methods","initiatedBy":{"user":{"userPrincipalName":"admin@contoso.example"}},"targetResources":[]}`,
			},
		},
	}
	n := normalize.New(formats.All()...)
	for _, tt := range tests {
		check := func(shape, rec string, want bool) {
			d := rs.Detector()
			hit := false
			n.Record(context.Background(), []byte(rec), func(ev *event.Event) error {
				if ev.IsUnparsed() {
					t.Errorf("%s/%s: unparsed: %s", tt.rule, shape, ev.Vigil.ParseError)
				}
				return d.Observe(context.Background(), ev, func(a alert.Alert) {
					if a.Title == tt.rule {
						hit = true
					}
				})
			})
			if hit != want {
				t.Errorf("%q on the %s record: fired %v, want %v", tt.rule, shape, hit, want)
			}
		}
		for shape, rec := range tt.shapes {
			check(shape, rec, true)
		}
		for shape, rec := range tt.nonHits {
			check(shape, rec, false)
		}
	}
}
