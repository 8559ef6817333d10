package azure

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// A config printed, logged or encoded for a debug dump must not carry the client secret.
func TestCredentialsNeverPrintTheSecret(t *testing.T) {
	c := DefaultCredentials()
	c.TenantID, c.ClientID, c.ClientSecret = "tenant", "client", "do-not-print-0123456789"
	js, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	for _, out := range []string{fmt.Sprintf("%v", c), fmt.Sprintf("%+v", c), fmt.Sprintf("%#v", c), string(js)} {
		if strings.Contains(out, "do-not-print") {
			t.Errorf("the secret is in %q", out)
		}
	}
	if c.ClientSecret.Reveal() != "do-not-print-0123456789" {
		t.Error("Reveal lost the secret")
	}
}
