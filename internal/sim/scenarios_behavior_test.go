package sim

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigil-sec/vigil/internal/event"
	"github.com/vigil-sec/vigil/internal/normalize"
	"github.com/vigil-sec/vigil/internal/normalize/formats"
)

// parsedRun is a simulation read back through Vigil's parsers, as a detector would see it.
type parsedRun struct {
	truth  map[string]Truth
	events []*event.Event // in stream order
	byUID  map[string]*event.Event
}

// split is the truth entity's events before the scenario, and the scenario's own events.
func (r *parsedRun) split(tr Truth) (before, during []*event.Event) {
	ids := map[string]bool{}
	for _, id := range tr.EventIDs {
		ids[id] = true
	}
	for _, ev := range r.events {
		switch {
		case ids[ev.Metadata.UID]:
			during = append(during, ev)
		case strings.EqualFold(ev.Vigil.Entity.Name, tr.Entity) && time.UnixMilli(ev.Time).Before(tr.Start):
			before = append(before, ev)
		}
	}
	return before, during
}

var behaviorRun = sync.OnceValues(func() (*parsedRun, error) {
	s, err := New(Config{Seed: 11, Users: 60, Days: 10})
	if err != nil {
		return nil, err
	}
	n := normalize.New(formats.All()...)
	r := &parsedRun{truth: map[string]Truth{}, byUID: map[string]*event.Event{}}
	truth, err := s.Run(context.Background(), func(rec Record) error {
		_, err := n.Record(context.Background(), rec.JSON, func(ev *event.Event) error {
			if ev.IsUnparsed() {
				return fmt.Errorf("%s record %s unparsed: %s", rec.Kind, rec.ID, ev.Vigil.ParseError)
			}
			r.events = append(r.events, ev)
			r.byUID[ev.Metadata.UID] = ev
			return nil
		})
		return err
	})
	for _, t := range truth {
		r.truth[t.Scenario] = t
	}
	return r, err
})

// scenarioRun is the parsed run and the scenario's truth, checked to parse back: every
// record of the scenario an event, none unparsed, and the actor's events carry the truth's
// entity.
func scenarioRun(t *testing.T, name string, lookalike bool) (*parsedRun, Truth) {
	t.Helper()
	r, err := behaviorRun()
	if err != nil {
		t.Fatal(err)
	}
	tr, ok := r.truth[name]
	if !ok || tr.Lookalike != lookalike || len(tr.EventIDs) == 0 {
		t.Fatalf("truth for %s: %+v (present %v)", name, tr, ok)
	}
	named := 0
	for _, id := range tr.EventIDs {
		ev := r.byUID[id]
		if ev == nil || ev.IsUnparsed() {
			t.Fatalf("%s: record %s did not parse back: %+v", name, id, ev)
		}
		if ev.Vigil.Entity.Name == tr.Entity {
			named++
		}
	}
	if named == 0 {
		t.Errorf("%s: no event names the entity %q", name, tr.Entity)
	}
	return r, tr
}

func raw(t *testing.T, ev *event.Event, path ...string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(ev.Raw, &v); err != nil {
		t.Fatal(err)
	}
	for _, k := range path {
		m, _ := v.(map[string]any)
		v = m[k]
	}
	return v
}

func days(evs []*event.Event) map[string]bool {
	out := map[string]bool{}
	for _, ev := range evs {
		out[time.UnixMilli(ev.Time).UTC().Format("2006-01-02")] = true
	}
	return out
}

func ips(evs []*event.Event) map[string]bool {
	out := map[string]bool{}
	for _, ev := range evs {
		out[ev.SrcEndpoint.IP] = true
	}
	return out
}

func operations(evs []*event.Event) []string {
	var out []string
	for _, ev := range evs {
		out = append(out, ev.API.Operation)
	}
	return out
}

func TestAccessKeyUsedFromANewNetwork(t *testing.T) {
	r, tr := scenarioRun(t, "access_key_new_network", false)
	before, during := r.split(tr)
	if len(days(before)) < 5 || len(ips(before)) != 1 {
		t.Fatalf("history: %d days from %d addresses", len(days(before)), len(ips(before)))
	}
	key := before[0].Actor.User.CredentialUID
	if !strings.HasPrefix(key, "AKIA") {
		t.Errorf("the job's key is %q, not a long-lived access key", key)
	}
	for _, ev := range during {
		if ips(before)[ev.SrcEndpoint.IP] || ev.Actor.User.CredentialUID != key {
			t.Errorf("%s from %s with %s: want the same key from a new address", ev.API.Operation, ev.SrcEndpoint.IP, ev.Actor.User.CredentialUID)
		}
	}
	ops := operations(during)
	for _, want := range []string{"GetCallerIdentity", "ListBuckets", "ListUsers", "GetObject"} {
		if !slices.Contains(ops, want) {
			t.Errorf("attack lacks %s: %v", want, ops)
		}
	}
	if slices.Contains(operations(before), "ListBuckets") {
		t.Error("the job listed buckets before: the reconnaissance would not be new")
	}
}

func TestFirstPrivilegedOperation(t *testing.T) {
	r, tr := scenarioRun(t, "first_privileged_operation", false)
	before, during := r.split(tr)
	if len(days(before)) < 5 {
		t.Fatalf("the engineer has %d days of history", len(days(before)))
	}
	privileged := []string{"AttachUserPolicy", "AttachRolePolicy", "CreateAccessKey"}
	for _, ev := range before {
		if slices.Contains(privileged, ev.API.Operation) || ev.API.Service.Name == "iam.amazonaws.com" {
			t.Errorf("the engineer did %s before the attack", ev.API.Operation)
		}
	}
	for _, op := range privileged {
		if !slices.Contains(operations(during), op) {
			t.Errorf("attack lacks %s", op)
		}
	}
	usual := ips(before)
	for _, ev := range during {
		if !usual[ev.SrcEndpoint.IP] {
			t.Errorf("%s from %s, not the engineer's usual address", ev.API.Operation, ev.SrcEndpoint.IP)
		}
		if ev.API.Operation == "AttachUserPolicy" {
			if p := raw(t, ev, "requestParameters", "policyArn"); p != "arn:aws:iam::aws:policy/AdministratorAccess" {
				t.Errorf("policy %v", p)
			}
		}
		if ev.API.Operation == "CreateAccessKey" && raw(t, ev, "requestParameters", "userName") == nil {
			t.Error("the key is not for another user")
		}
	}
}

// armRegion is where an ARM event's resource is.
// armRegion is the region of an Activity Log record, as the parser reads it (from the
// request body the record logs).
func armRegion(t *testing.T, ev *event.Event) string {
	if ev.Cloud.Region == "" {
		t.Errorf("%s without a region", ev.API.Operation)
	}
	return ev.Cloud.Region
}

func TestServicePrincipalVMBurstInANewRegion(t *testing.T) {
	r, tr := scenarioRun(t, "service_principal_vm_burst", false)
	before, during := r.split(tr)
	if len(days(before)) < 5 {
		t.Fatalf("the service principal has %d days of history", len(days(before)))
	}
	regions, keysPerDay := map[string]bool{}, map[string]int{}
	for _, ev := range before {
		switch op := ev.API.Operation; {
		case op == "Microsoft.Storage/storageAccounts/listKeys/action":
			keysPerDay[time.UnixMilli(ev.Time).UTC().Format("2006-01-02")]++
		case strings.HasPrefix(op, "Microsoft.") && !strings.HasSuffix(op, "/read"):
			t.Errorf("the reader did %s before the attack", op)
		}
		if ev.Vigil.Source == "activitylog" {
			regions[armRegion(t, ev)] = true
		}
	}
	for day, n := range keysPerDay {
		if n > 2 {
			t.Errorf("%d key listings on %s", n, day)
		}
	}
	var writes []*event.Event
	for _, ev := range during {
		if ips(before)[ev.SrcEndpoint.IP] || strings.HasPrefix(ev.SrcEndpoint.IP, "20.") {
			t.Errorf("%s from %s: not a new address outside Azure", ev.API.Operation, ev.SrcEndpoint.IP)
		}
		if ev.API.Operation == "Microsoft.Compute/virtualMachines/write" {
			writes = append(writes, ev)
			if regions[armRegion(t, ev)] {
				t.Errorf("burst in %s, a region the reader used before", armRegion(t, ev))
			}
		}
	}
	if len(writes) < 40 || writes[len(writes)-1].Time-writes[0].Time > (30*time.Minute).Milliseconds() {
		t.Errorf("%d VMs, not 40 or more within 30 minutes", len(writes))
	}
}

func TestTravellerOnTheCorporateVPN(t *testing.T) {
	r, tr := scenarioRun(t, "traveller_on_corporate_vpn", true)
	_, during := r.split(tr)
	if len(during) < 4 {
		t.Fatalf("%d sign-ins on the trip", len(during))
	}
	home, hotel := during[0], during[1]
	if hotel.SrcEndpoint.Location.Country == home.SrcEndpoint.Location.Country {
		t.Errorf("the hotel is in the home country %s", home.SrcEndpoint.Location.Country)
	}
	loc := func(ev *event.Event) city {
		l := ev.SrcEndpoint.Location
		if l == nil || l.Lat == nil || l.Long == nil {
			t.Fatalf("sign-in %s has no coordinates", ev.Metadata.UID)
		}
		return city{lat: *l.Lat, long: *l.Long}
	}
	flight := 3*time.Hour + time.Duration(distanceKm(loc(home), loc(hotel))/800*float64(time.Hour))
	if gap := time.Duration(hotel.Time-home.Time) * time.Millisecond; gap < flight {
		t.Errorf("at the hotel %v after leaving, the flight takes %v", gap, flight)
	}
	vpn := 0
	for _, ev := range during[2:] {
		if ev.SrcEndpoint.IP == "81.2.69.160" {
			vpn++
		} else {
			t.Errorf("sign-in from %s during the conference, not through the VPN", ev.SrcEndpoint.IP)
		}
	}
	injected := map[string]bool{} // every scenario's records: sprays reach the traveller too
	for _, other := range r.truth {
		for _, id := range other.EventIDs {
			injected[id] = true
		}
	}
	for _, ev := range r.events { // nothing from home while away
		at := time.UnixMilli(ev.Time)
		if ev.Vigil.Entity.Name == tr.Entity && at.After(tr.Start) && !at.After(tr.End) && !injected[ev.Metadata.UID] {
			t.Errorf("%s signed in from %s at %v, during the trip", tr.Entity, ev.SrcEndpoint.IP, at)
		}
	}
	if vpn < 2 {
		t.Errorf("%d sign-ins through the VPN", vpn)
	}
}

func TestOncallNightSignin(t *testing.T) {
	r, tr := scenarioRun(t, "oncall_night_signin", true)
	before, during := r.split(tr)
	signIn := during[0]
	home := slices.IndexFunc(cities(), func(c city) bool { return c.name == signIn.SrcEndpoint.Location.City })
	if home < 0 {
		t.Fatalf("signed in from %+v", signIn.SrcEndpoint.Location)
	}
	local := time.UnixMilli(signIn.Time).UTC().Add(time.Duration(cities()[home].utcOffset) * time.Hour)
	if local.Hour() != 3 || weekday(local) {
		t.Errorf("signed in at %s local time, not 03:00 on a weekend", local.Format("Mon 15:04"))
	}
	addresses, devices, portal := map[string]int{}, map[string]bool{}, 0
	for _, ev := range before {
		if ev.Vigil.Source == "entra" && ev.Device != nil {
			addresses[ev.SrcEndpoint.IP]++
			devices[ev.Device.UID] = true
			if ev.Actor.AppName == "Azure Portal" {
				portal++
			}
		}
	}
	usual := ""
	for ip, n := range addresses {
		if n > addresses[usual] || (n == addresses[usual] && ip < usual) {
			usual = ip
		}
	}
	if signIn.SrcEndpoint.IP != usual || signIn.Device == nil || !devices[signIn.Device.UID] {
		t.Errorf("signed in from %s (usually %s) on device %+v", signIn.SrcEndpoint.IP, usual, signIn.Device)
	}
	if portal == 0 {
		t.Error("the admin never used the Azure Portal before")
	}
	for _, ev := range during[1:] {
		if op := ev.API.Operation; !strings.HasSuffix(op, "/read") && !strings.HasSuffix(op, "/restart/action") {
			t.Errorf("on-call did %s", op)
		}
	}
}

func TestAutoscalerScaleOutInItsUsualRegion(t *testing.T) {
	r, tr := scenarioRun(t, "sp_scaleout_usual_region", true)
	before, during := r.split(tr)
	regions, perDay := map[string]bool{}, map[string]int{}
	for _, ev := range before {
		if ev.API.Operation == "Microsoft.Compute/virtualMachines/write" {
			regions[armRegion(t, ev)] = true
			perDay[time.UnixMilli(ev.Time).UTC().Format("2006-01-02")]++
		}
	}
	if len(perDay) < 2 {
		t.Fatalf("the scaler created VMs on %d days before", len(perDay))
	}
	for day, n := range perDay {
		if n > 3 {
			t.Errorf("%d VMs on %s: not a few a week", n, day)
		}
	}
	writes := 0
	for _, ev := range during {
		if !ips(before)[ev.SrcEndpoint.IP] {
			t.Errorf("%s from a new address %s", ev.API.Operation, ev.SrcEndpoint.IP)
		}
		if ev.API.Operation == "Microsoft.Compute/virtualMachines/write" {
			writes++
			if !regions[armRegion(t, ev)] {
				t.Errorf("scale-out in %s, not the usual region", armRegion(t, ev))
			}
		}
	}
	at := tr.Start.UTC()
	if writes != 15 || !weekday(at) || at.Hour() < 8 || at.Hour() >= 17 {
		t.Errorf("%d VMs at %s", writes, at.Format("Mon 15:04"))
	}
}
