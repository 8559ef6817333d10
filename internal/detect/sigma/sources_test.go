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
