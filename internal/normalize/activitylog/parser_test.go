package activitylog

import (
	"testing"

	"github.com/vigil-sec/vigil/internal/event"
	"github.com/vigil-sec/vigil/internal/normalize/normalizetest"
	"github.com/vigil-sec/vigil/internal/rawjson"
)

func TestGoldens(t *testing.T) { normalizetest.RunGoldens(t, "testdata", New()) }

func TestResourceFromID(t *testing.T) {
	tests := []struct{ id, name, typ, group string }{
		{"/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm1", "vm1", "Microsoft.Compute/virtualMachines", "rg"},
		{"/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/networkSecurityGroups/nsg/securityRules/r1", "r1", "Microsoft.Network/networkSecurityGroups/securityRules", "rg"},
		{"/subscriptions/s/resourcegroups/x/providers/Microsoft.Storage/storageAccounts/       msftstorageaccount", "msftstorageaccount", "Microsoft.Storage/storageAccounts", "x"},
		{"/subscriptions/s", "s", "", ""},
	}
	for _, tt := range tests {
		r := resourceFromID(tt.id, "", "")
		if r.Name != tt.name || r.Type != tt.typ || r.Group != tt.group {
			t.Errorf("resourceFromID(%q) = %+v", tt.id, r)
		}
	}
}

func TestOperationLookupPrefersSpecificRules(t *testing.T) {
	idx := newOperationIndex()
	for op, want := range map[string]event.Category{
		"MICROSOFT.NETWORK/NETWORKSECURITYGROUPS/SECURITYRULES/WRITE": event.CategoryNetworkExposure,
		"Microsoft.Network/virtualNetworks/write":                     event.CategoryNetworkChange,
		"Microsoft.Insights/diagnosticSettings/delete":                event.CategoryLoggingChange,
		"Microsoft.DBforMySQL/flexibleServers/firewallRules/write":    event.CategoryNetworkExposure,
		"SecretGet": event.CategorySecretAccess,
	} {
		if got, _ := idx.lookup(op); got != want {
			t.Errorf("lookup(%q) = %q, want %q", op, got, want)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(`{"eventDataId":"1","operationName":{"value":"a/write"},"claims":"{}","identity":"x"}`))
	f.Add([]byte(`{"time":"1/1/2020 1:00:00 PM","category":"Administrative","properties":"not json","resourceId":"/a/b"}`))
	p := New()
	f.Fuzz(func(t *testing.T, rec []byte) {
		var ev event.Event
		_ = p.Parse(rec, rawjson.NewProbe(rec), &ev)
	})
}
