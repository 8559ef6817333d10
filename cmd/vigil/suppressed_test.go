package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestHuntFoldsAndExplainsSuppressions: three StopLogging calls by one identity in an hour
// are one story (one alert line, three occurrences); a SaaS app refreshing the person's
// token from its cloud is shown as suppressed, with its reason, and counted.
func TestHuntFoldsAndExplainsSuppressions(t *testing.T) {
	dir := t.TempDir()
	var trail []string
	for i := 0; i < 3; i++ {
		trail = append(trail, fmt.Sprintf(`{"eventVersion":"1.08","eventID":"stop-%d","eventTime":"2026-06-01T00:%02d:00Z","eventSource":"cloudtrail.amazonaws.com","eventName":"StopLogging","awsRegion":"us-east-1","recipientAccountId":"1","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::1:user/a","userName":"a","accountId":"1"}}`, i, 10*i))
	}
	os.WriteFile(filepath.Join(dir, "trail.json"), []byte(`{"Records":[`+strings.Join(trail, ",")+`]}`), 0o644)
	signIn := func(id, at, ip, city, cc string, lat, long float64, asn int, interactive bool, device string) string {
		return fmt.Sprintf(`{"id":%q,"createdDateTime":%q,"userPrincipalName":"ann@x.example","userId":"u1","appDisplayName":"Slack","ipAddress":%q,"isInteractive":%v,"signInEventTypes":[%q],"autonomousSystemNumber":%d,"status":{"errorCode":0},"deviceDetail":%s,"location":{"city":%q,"countryOrRegion":%q,"geoCoordinates":{"latitude":%v,"longitude":%v}}}`,
			id, at, ip, interactive, map[bool]string{true: "interactiveUser", false: "nonInteractiveUser"}[interactive], asn, device, city, cc, lat, long)
	}
	laptop := `{"deviceId":"d1","operatingSystem":"Windows10"}`
	page := `{"value":[` + strings.Join([]string{
		signIn("s1", "2026-06-01T09:00:00Z", "81.2.1.1", "London", "GB", 51.5, -0.12, 5089, true, laptop),
		signIn("s2", "2026-06-01T09:20:00Z", "3.80.1.1", "Ashburn", "US", 39.04, -77.49, 14618, false, `{}`),
	}, ",") + `]}`
	os.WriteFile(filepath.Join(dir, "signins.json"), []byte(page), 0o644)
	stdout, stderr, code := runCmd(t, "hunt", "--show-suppressed", dir)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var stops int
	for _, l := range strings.Split(strings.TrimSpace(stdout), "\n") {
		if strings.Contains(l, "stop-0") {
			stops++
			if !strings.Contains(l, `"occurrences":3`) || !strings.Contains(l, "stop-2") {
				t.Errorf("folded alert lacks its count or evidence: %s", l)
			}
		}
	}
	if stops != 1 {
		t.Errorf("StopLogging raised %d alert lines, want one story:\n%s", stops, stdout)
	}
	for _, want := range []string{"suppressed vigil-impossible-travel cloud-client user:ann@x.example", "SUPPRESSED BY", "after folding"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
}
