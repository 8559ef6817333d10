package sim

import (
	"context"
	"encoding/json"
	"testing"
)

// signInBody is what the tests read of a sign-in record, interactive or not.
type signInBody struct {
	UPN      string `json:"userPrincipalName"`
	App      string `json:"appDisplayName"`
	ASN      int    `json:"autonomousSystemNumber"`
	Protocol string `json:"authenticationProtocol"`
	UserType string `json:"userType"`
	Status   struct {
		Code int `json:"errorCode"`
	} `json:"status"`
	Device struct {
		ID string `json:"deviceId"`
		OS string `json:"operatingSystem"`
	} `json:"deviceDetail"`
	Location struct {
		Country string `json:"countryOrRegion"`
	} `json:"location"`
}

func signIns(t *testing.T, cfg Config) (interactive, refreshes []signInBody) {
	t.Helper()
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Run(context.Background(), func(r Record) error {
		switch {
		case r.Kind == KindGraphSignIn:
			var b signInBody
			if err := json.Unmarshal(r.JSON, &b); err != nil {
				return err
			}
			interactive = append(interactive, b)
		case r.Scope == "insights-logs-noninteractiveusersigninlogs":
			var rec struct {
				Properties signInBody `json:"properties"`
			}
			if err := json.Unmarshal(r.JSON, &rec); err != nil {
				return err
			}
			refreshes = append(refreshes, rec.Properties)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return interactive, refreshes
}

// TestBackgroundBehavioursOfARealTenant: the named background behaviours are there from
// the first days, at the volumes docs/simulator.md gives.
func TestBackgroundBehavioursOfARealTenant(t *testing.T) {
	interactive, refreshes := signIns(t, Config{Seed: 3, Users: 60, Days: 4, Scenarios: []string{}})
	ratio := float64(len(refreshes)) / float64(len(interactive))
	if ratio < 5 || ratio > 10 {
		t.Errorf("non-interactive sign-ins are %.1f× the interactive ones, want 5-10× (Microsoft's estimate)", ratio)
	}
	kinds := map[string]int{}
	for _, b := range refreshes {
		switch {
		case b.Device.ID == "" && b.Device.OS == "" && (b.ASN == 14618 || b.ASN == 16509 || b.ASN == 396982 || b.ASN == 8075):
			kinds["third_party_saas from its cloud, no device"]++
		case b.Status.Code == 50133:
			kinds["stale_password_device"]++
		}
	}
	for _, b := range interactive {
		switch {
		case b.ASN == 62044:
			kinds["corporate_sse"]++
		case b.ASN == 13335 || b.ASN == 36183:
			kinds["icloud_private_relay"]++
		case b.ASN == 9009 || b.ASN == 60068:
			kinds["consumer_vpn"]++
		case b.Protocol == "ropc":
			kinds["ropc_service_account"]++
		case b.UserType == "Guest":
			kinds["partner_guest"]++
		case b.Status.Code == 500121:
			kinds["mfa_timeout"]++
		}
	}
	for _, k := range []string{"third_party_saas from its cloud, no device", "corporate_sse", "icloud_private_relay", "consumer_vpn", "ropc_service_account", "partner_guest", "mfa_timeout"} {
		if kinds[k] == 0 {
			t.Errorf("no %s in four days of 60 people (%v)", k, kinds)
		}
	}
}
