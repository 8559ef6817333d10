package config

import (
	"testing"
)

func TestAliasesAndMergeKeys(t *testing.T) {
	cfg, err := Parse([]byte(`sources:
  - &contoso
    name: contoso
    type: graph
    tenant_id: contoso.onmicrosoft.com
    client_secret: ${SECRET}
    poll_interval: 30s
  - <<: *contoso
    name: contoso-azure
    type: activitylog
    subscriptions: [a]
`), ".", env(map[string]string{"SECRET": "s3cr3t"}))
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Sources) != 2 || cfg.Sources[1].Name != "contoso-azure" || cfg.Sources[1].Type != "activitylog" {
		t.Fatalf("sources %+v", cfg.Sources)
	}
	var p provider
	if err := cfg.Sources[1].Decode(&p); err != nil {
		t.Fatal(err)
	}
	if p.TenantID != "contoso.onmicrosoft.com" || p.ClientSecret.Reveal() != "s3cr3t" || p.PollInterval.D().Seconds() != 30 || len(p.Subscriptions) != 1 {
		t.Errorf("merged %+v", p)
	}
}

func TestAliasBombsAndCyclesAreErrors(t *testing.T) {
	bomb := "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
	prev := "a"
	for _, name := range []string{"b", "c", "d", "e", "f", "g"} {
		bomb += name + ": &" + name + " [*" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + "]\n"
		prev = name
	}
	for doc, want := range map[string]string{
		bomb:              "config: aliases expand to more than 100000 values",
		"a: &x {b: *x}\n": "config: an alias refers to a value that contains it",
	} {
		if _, err := Parse([]byte(doc), ".", env(nil)); err == nil || err.Error() != want {
			t.Errorf("got %v, want %s", err, want)
		}
	}
}
