package sim

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
)

// city is a place people sign in from, with the network its residents use.
type city struct {
	name, region, country string
	lat, long             float64
	utcOffset             int    // hours, standard time
	prefix                string // first two octets of the local ISP's addresses
	asn                   int
}

// cities of the simulated company. Addresses are drawn from each city's ISP prefix.
func cities() []city {
	return []city{
		{"London", "England", "GB", 51.507, -0.128, 0, "81.2", 5089},
		{"Manchester", "England", "GB", 53.48, -2.242, 0, "82.14", 2856},
		{"Dublin", "Leinster", "IE", 53.35, -6.26, 0, "89.100", 5466},
		{"Berlin", "Berlin", "DE", 52.52, 13.405, 1, "91.64", 3320},
		{"Munich", "Bavaria", "DE", 48.137, 11.575, 1, "93.104", 3209},
		{"Paris", "Ile-de-France", "FR", 48.857, 2.352, 1, "90.84", 3215},
		{"Madrid", "Madrid", "ES", 40.417, -3.704, 1, "88.26", 3352},
		{"Warsaw", "Mazowieckie", "PL", 52.23, 21.012, 1, "83.24", 5617},
		{"New York", "New York", "US", 40.713, -74.006, -5, "71.190", 701},
		{"Chicago", "Illinois", "US", 41.878, -87.63, -6, "73.44", 7922},
		{"Seattle", "Washington", "US", 47.606, -122.332, -8, "67.185", 7922},
		{"Toronto", "Ontario", "CA", 43.653, -79.383, -5, "99.230", 812},
		{"Sao Paulo", "Sao Paulo", "BR", -23.55, -46.633, -3, "177.92", 28573},
		{"Bangalore", "Karnataka", "IN", 12.972, 77.595, 5, "122.172", 24560},
		{"Singapore", "Singapore", "SG", 1.352, 103.82, 8, "116.14", 9506},
		{"Sydney", "New South Wales", "AU", -33.869, 151.209, 10, "101.160", 1221},
	}
}

// user is a person of the tenant.
type user struct {
	upn, display, id string
	home             city
	department       string
	admin            bool     // routinely administers Entra and Azure
	awsSSO           bool     // signs in to AWS through IAM Identity Center
	device           device   // the main device
	devices          []device // 1-3 devices: laptop, phone, maybe a home PC
	hireDay          int      // day of the simulation the user starts; 0 = before
	leaveDay         int      // day the user leaves (account disabled); 0 = stays
	ipSuffix         int
	awayUntil        time.Time    // travelling: no sign-ins until then
	abroad           [2]time.Time // away from home: background drawn but not emitted
	guestTenant      string       // a partner's tenant id, for a guest
}

type device struct {
	id, os, browser, agent string
}

// servicePrincipal is automation.
type servicePrincipal struct {
	appID, spID, name string
	ip                string
}

// org is the simulated organisation.
type org struct {
	tenantID, domain  string
	users             []*user
	sps               []*servicePrincipal
	managedIdentities []*servicePrincipal
	subscriptions     []string
	awsAccounts       []string
	vpnIP             string // corporate VPN egress many users share
	dormant           *user  // an account nobody has used for the whole period
}

func firstNames() []string {
	return []string{"Amelia", "Oliver", "Isla", "Noah", "Ava", "Leo", "Mia", "Arjun", "Sofia", "Lucas", "Chloe", "Mateo", "Hana", "Finn", "Zara", "Omar", "Lena", "Ravi", "Elena", "Tom", "Nina", "Kai", "Priya", "Jonas", "Maya", "Ethan", "Ines", "Yusuf", "Clara", "Diego"}
}
func lastNames() []string {
	return []string{"Hart", "Fischer", "Novak", "Silva", "Okafor", "Jensen", "Moreau", "Kowalski", "Tanaka", "Garcia", "Brennan", "Shah", "Rossi", "Lindqvist", "Mensah", "Dubois", "Kaur", "Schmidt", "Costa", "Walsh"}
}
func departments() []string {
	return []string{"engineering", "sales", "finance", "marketing", "support", "operations", "legal", "people"}
}

func newOrg(rng *rand.Rand, users int) *org {
	o := &org{tenantID: uuid(rng), domain: "northwind-sim.example", vpnIP: "81.2.69.160"}
	cs := cities()
	firstNames, lastNames, departments := firstNames(), lastNames(), departments()
	seen := map[string]bool{}
	for i := 0; i < users; i++ {
		first, last := firstNames[rng.IntN(len(firstNames))], lastNames[rng.IntN(len(lastNames))]
		upn := strings.ToLower(first + "." + last)
		for n := 2; seen[upn]; n++ {
			upn = strings.ToLower(fmt.Sprintf("%s.%s%d", first, last, n))
		}
		seen[upn] = true
		// Most staff sit in a few offices; a tail works remotely elsewhere.
		home := cs[rng.IntN(4)]
		if rng.Float64() < 0.35 {
			home = cs[rng.IntN(len(cs))]
		}
		os := []string{"Windows10", "MacOs", "Windows10", "Linux"}[rng.IntN(4)]
		browser := []string{"Edge 129.0.0", "Chrome 129.0.0", "Firefox 131.0", "Safari 17.6"}[rng.IntN(4)]
		u := &user{
			upn: upn + "@" + o.domain, display: first + " " + last, id: uuid(rng), home: home,
			department: departments[rng.IntN(len(departments))], ipSuffix: 2 + rng.IntN(250),
			device: device{id: uuid(rng), os: os, browser: browser, agent: userAgent(os, browser)},
		}
		u.devices = []device{u.device}
		if rng.Float64() < 0.7 { // most people also use a phone
			u.devices = append(u.devices, device{id: uuid(rng), os: "iOS", browser: "Mobile Safari", agent: "Mozilla/5.0 (iPhone; CPU iPhone OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Mobile/15E148 Safari/604.1"})
		}
		if rng.Float64() < 0.2 {
			u.devices = append(u.devices, device{id: "", os: "Windows10", browser: "Chrome 129.0.0", agent: userAgent("Windows10", "Chrome")})
		}
		u.admin = i < max(2, users/40)
		u.awsSSO = u.department == "engineering" || u.admin
		if i >= users-max(1, users/100) {
			u.hireDay = 3 + rng.IntN(5) // new hires joining during the period
		}
		o.users = append(o.users, u)
	}
	for i := 0; i < max(1, users/150); i++ { // leavers, part-way through
		o.users[len(o.users)/2-1-i].leaveDay = 2 + rng.IntN(3)
	}
	o.dormant = o.users[len(o.users)/3]
	o.dormant.hireDay = 1 << 30 // never active in the background
	for _, name := range []string{"billing-sync", "backup-orchestrator", "hr-connector", "monitoring-agent"} {
		o.sps = append(o.sps, &servicePrincipal{appID: uuid(rng), spID: uuid(rng), name: name, ip: fmt.Sprintf("20.50.%d.%d", rng.IntN(255), 1+rng.IntN(250))})
	}
	o.managedIdentities = []*servicePrincipal{{appID: uuid(rng), spID: uuid(rng), name: "vm-reporting-01", ip: "20.50.200.4"}, {appID: uuid(rng), spID: uuid(rng), name: "func-ingest", ip: "20.50.201.9"}}
	o.subscriptions = []string{uuid(rng), uuid(rng)}
	o.awsAccounts = []string{fmt.Sprintf("%012d", 100000000000+rng.Int64N(899999999999)), fmt.Sprintf("%012d", 100000000000+rng.Int64N(899999999999))}
	return o
}

func (u *user) ip() string {
	return fmt.Sprintf("%s.%d.%d", u.home.prefix, (u.ipSuffix*7)%250+1, u.ipSuffix)
}

func userAgent(os, browser string) string {
	switch {
	case strings.HasPrefix(browser, "Safari"):
		return "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Safari/605.1.15"
	case strings.HasPrefix(browser, "Firefox"):
		return "Mozilla/5.0 (X11; Linux x86_64; rv:131.0) Gecko/20100101 Firefox/131.0"
	case os == "MacOs":
		return "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/129.0.0.0 Safari/537.36"
	}
	return "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/129.0.0.0 Safari/537.36 Edg/129.0.0.0"
}

// uuid draws a version-4 UUID from rng, so ids are deterministic for a seed.
func uuid(rng *rand.Rand) string {
	a, b := rng.Uint64(), rng.Uint64()
	return fmt.Sprintf("%08x-%04x-4%03x-%04x-%012x", a>>32, (a>>16)&0xffff, a&0xfff, 0x8000|(b>>48)&0x3fff, b&0xffffffffffff)
}
