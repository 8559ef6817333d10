package hunt

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/maxmind/mmdbwriter"
	"github.com/maxmind/mmdbwriter/mmdbtype"

	"github.com/vigil-sec/vigil/internal/alert"
	"github.com/vigil-sec/vigil/internal/enrich/geoip"
)

// writeMMDB builds a small MaxMind database of networks → records.
func writeMMDB(t *testing.T, path, dbType string, recs map[string]mmdbtype.Map) {
	t.Helper()
	tree, err := mmdbwriter.New(mmdbwriter.Options{DatabaseType: dbType, RecordSize: 28, Description: map[string]string{"en": "Vigil hunt test"}})
	if err != nil {
		t.Fatal(err)
	}
	for cidr, rec := range recs {
		_, n, err := net.ParseCIDR(cidr)
		if err != nil {
			t.Fatal(err)
		}
		if err := tree.Insert(n, rec); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	if _, err := tree.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
}

func place(city, cc string, lat, long float64) mmdbtype.Map {
	return mmdbtype.Map{
		"city":     mmdbtype.Map{"names": mmdbtype.Map{"en": mmdbtype.String(city)}},
		"country":  mmdbtype.Map{"iso_code": mmdbtype.String(cc)},
		"location": mmdbtype.Map{"latitude": mmdbtype.Float64(lat), "longitude": mmdbtype.Float64(long), "accuracy_radius": mmdbtype.Uint16(20)},
	}
}

// consoleLogin is a successful AWS console sign-in of an IAM user.
func consoleLogin(id, ip string, min int) string {
	return fmt.Sprintf(`{"eventVersion":"1.08","userIdentity":{"type":"IAMUser","principalId":"AIDAEXAMPLE","arn":"arn:aws:iam::111122223333:user/alice","accountId":"111122223333","userName":"alice"},`+
		`"eventTime":"2026-03-04T10:%02d:00Z","eventSource":"signin.amazonaws.com","eventName":"ConsoleLogin","awsRegion":"us-east-1","sourceIPAddress":%q,`+
		`"userAgent":"Mozilla/5.0","requestParameters":null,"responseElements":{"ConsoleLogin":"Success"},"additionalEventData":{"MFAUsed":"Yes"},`+
		`"eventID":"%s","eventType":"AwsConsoleSignIn","managementEvent":true,"recipientAccountId":"111122223333","eventCategory":"Management"}`, min, ip, id)
}

// TestHuntLocatesWithGeoDatabase: CloudTrail carries addresses, not places. With City and
// ASN databases the same two console sign-ins, London then Sydney 30 minutes later, are
// impossible travel; without them nothing can be said.
func TestHuntLocatesWithGeoDatabase(t *testing.T) {
	dir := t.TempDir()
	logs := filepath.Join(dir, "trail.json")
	records := `{"Records":[` + consoleLogin("e1", "81.2.69.160", 0) + "," + consoleLogin("e2", "101.160.4.9", 30) + `]}`
	if err := os.WriteFile(logs, []byte(records), 0o600); err != nil {
		t.Fatal(err)
	}
	city, asn := filepath.Join(dir, "city.mmdb"), filepath.Join(dir, "asn.mmdb")
	writeMMDB(t, city, "GeoLite2-City", map[string]mmdbtype.Map{
		"81.2.69.0/24": place("London", "GB", 51.5, -0.13), "101.160.0.0/16": place("Sydney", "AU", -33.87, 151.2)})
	writeMMDB(t, asn, "GeoLite2-ASN", map[string]mmdbtype.Map{
		"81.2.69.0/24":   {"autonomous_system_number": mmdbtype.Uint32(2856), "autonomous_system_organization": mmdbtype.String("BT")},
		"101.160.0.0/16": {"autonomous_system_number": mmdbtype.Uint32(1221), "autonomous_system_organization": mmdbtype.String("Telstra")}})

	travel := func(enrich func(*geoip.Enricher) Options) []alert.Alert {
		e, err := geoip.Open(geoip.Config{CityPath: city, ASNPath: asn}, nil)
		if err != nil {
			t.Fatal(err)
		}
		var got []alert.Alert
		if _, err := Run(context.Background(), []string{logs}, enrich(e), func(a alert.Alert) error {
			if a.Rule.ID == "vigil-impossible-travel" {
				got = append(got, a)
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		return got
	}
	got := travel(func(e *geoip.Enricher) Options { return Options{Enrich: e.Enrich} })
	if len(got) != 1 || !strings.Contains(got[0].Reason, "Sydney, AU") || !strings.Contains(got[0].Reason, "London, GB") {
		t.Fatalf("with databases: %+v", got)
	}
	if got := travel(func(*geoip.Enricher) Options { return Options{} }); len(got) != 0 {
		t.Errorf("without databases: %+v", got)
	}
}
