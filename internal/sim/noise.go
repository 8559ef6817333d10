package sim

import (
	"fmt"
	"math"
	"math/rand/v2"
	"time"
)

// noise is what a real tenant does that is neither an attack nor a look-alike: the named
// background behaviours of docs/simulator.md (token refreshes, third-party SaaS refreshing
// from its cloud, security-service-edge egress, consumer VPNs, iCloud Private Relay,
// carriers' hubs, real trips, stale passwords, MFA timeouts, shared mailboxes, ROPC service
// accounts, partner guests, PIM, CSPM scanners, root for billing, AWS SSO sessions). It
// draws from a generator of its own, so adding it leaves the attacks' records as they were.
type noise struct {
	rng     *rand.Rand
	habits  map[*user]*habits
	shared  []*sharedMailbox
	ropc    []*user // service accounts signing in with a password (ROPC)
	guests  []*user
	scanner *servicePrincipal // the CSPM vendor's app, reading from the vendor's cloud
	partner string            // the partner tenant the guests come from
	saas    []saasApp
}

// habits are one person's networks and quirks, fixed from the first day.
type habits struct {
	sse          bool // laptop traffic leaves through the corporate security service edge
	sseNodes     [2]city
	vpn          []city // a consumer privacy VPN's exit nodes they pick from
	relay        bool   // an iPhone with iCloud Private Relay on
	hub          city   // the carrier hub their phone's address geolocates to now
	apps         []int  // third-party SaaS apps holding their delegated token (index in noise.saas)
	staleUntil   time.Time
	staleLegacy  bool
	tripTo       *city
	tripFrom     time.Time // arrival abroad
	tripBack     time.Time // departure home
	roamingCarry bool      // their phone's data is home-routed while roaming
}

// saasApp is a third-party application that signs in on a user's behalf from its own cloud.
type saasApp struct {
	name, id, agent string
	region          city // where its servers are
	prefix          string
}

// networks of the real Internet the tenant's sign-ins come through. ASNs are the real
// operators' (Zscaler 62044, Cloudflare 13335, Akamai 36183, M247 9009, Datacamp 60068,
// Amazon 14618/16509, Google 396982, Microsoft 8075); addresses are drawn from documentation
// and example ranges of this simulator's own choosing.
func sseNodes() []city {
	return []city{
		{"London", "England", "GB", 51.507, -0.128, 0, "165.225.16", 62044},
		{"Frankfurt am Main", "Hesse", "DE", 50.11, 8.68, 1, "165.225.72", 62044},
		{"Amsterdam", "North Holland", "NL", 52.37, 4.9, 1, "165.225.240", 62044},
		{"Paris", "Ile-de-France", "FR", 48.857, 2.352, 1, "165.225.20", 62044},
		{"Washington", "District of Columbia", "US", 38.9, -77.04, -5, "165.225.8", 62044},
		{"Chicago", "Illinois", "US", 41.878, -87.63, -6, "165.225.0", 62044},
		{"Los Angeles", "California", "US", 34.05, -118.24, -8, "165.225.32", 62044},
		{"Sao Paulo", "Sao Paulo", "BR", -23.55, -46.633, -3, "165.225.214", 62044},
		{"Mumbai", "Maharashtra", "IN", 19.08, 72.88, 5, "165.225.104", 62044},
		{"Singapore", "Singapore", "SG", 1.352, 103.82, 8, "165.225.112", 62044},
		{"Sydney", "New South Wales", "AU", -33.869, 151.209, 10, "165.225.114", 62044},
	}
}

func vpnExits() []city {
	return []city{
		{"Amsterdam", "North Holland", "NL", 52.37, 4.9, 1, "185.107.56", 9009},
		{"Zurich", "Zurich", "CH", 47.37, 8.54, 1, "185.156.175", 9009},
		{"New York", "New York", "US", 40.713, -74.006, -5, "193.148.18", 9009},
		{"Los Angeles", "California", "US", 34.05, -118.24, -8, "185.230.126", 60068},
		{"Tokyo", "Tokyo", "JP", 35.68, 139.69, 9, "185.242.4", 60068},
		{"Bucharest", "Bucharest", "RO", 44.43, 26.1, 2, "86.106.137", 9009},
		{"Miami", "Florida", "US", 25.76, -80.19, -5, "37.120.215", 60068},
		{"Stockholm", "Stockholm", "SE", 59.33, 18.07, 1, "185.65.134", 9009},
	}
}

// majorCities are where a country's carriers' hubs (and Private Relay's egress, which keeps
// the country and approximate region) geolocate.
func majorCities(cc string) []city {
	hub := func(name, region string, lat, long float64) city {
		return city{name: name, region: region, country: cc, lat: lat, long: long}
	}
	switch cc {
	case "GB":
		return []city{hub("London", "England", 51.507, -0.128), hub("Manchester", "England", 53.48, -2.242), hub("Birmingham", "England", 52.48, -1.89), hub("Glasgow", "Scotland", 55.86, -4.25)}
	case "IE":
		return []city{hub("Dublin", "Leinster", 53.35, -6.26), hub("Cork", "Munster", 51.9, -8.47)}
	case "DE":
		return []city{hub("Frankfurt am Main", "Hesse", 50.11, 8.68), hub("Berlin", "Berlin", 52.52, 13.405), hub("Munich", "Bavaria", 48.137, 11.575), hub("Hamburg", "Hamburg", 53.55, 9.99), hub("Dusseldorf", "North Rhine-Westphalia", 51.23, 6.77)}
	case "FR":
		return []city{hub("Paris", "Ile-de-France", 48.857, 2.352), hub("Lyon", "Auvergne-Rhone-Alpes", 45.76, 4.84), hub("Marseille", "Provence", 43.3, 5.37)}
	case "ES":
		return []city{hub("Madrid", "Madrid", 40.417, -3.704), hub("Barcelona", "Catalonia", 41.39, 2.17), hub("Valencia", "Valencia", 39.47, -0.38)}
	case "PL":
		return []city{hub("Warsaw", "Mazowieckie", 52.23, 21.012), hub("Krakow", "Malopolskie", 50.06, 19.94), hub("Poznan", "Wielkopolskie", 52.41, 16.93)}
	case "US":
		return []city{hub("New York", "New York", 40.713, -74.006), hub("Dallas", "Texas", 32.78, -96.8), hub("Atlanta", "Georgia", 33.75, -84.39), hub("Chicago", "Illinois", 41.878, -87.63), hub("Seattle", "Washington", 47.606, -122.332), hub("Los Angeles", "California", 34.05, -118.24), hub("Kansas City", "Missouri", 39.1, -94.58)}
	case "CA":
		return []city{hub("Toronto", "Ontario", 43.653, -79.383), hub("Montreal", "Quebec", 45.5, -73.57), hub("Vancouver", "British Columbia", 49.28, -123.12)}
	case "BR":
		return []city{hub("Sao Paulo", "Sao Paulo", -23.55, -46.633), hub("Rio de Janeiro", "Rio de Janeiro", -22.9, -43.2)}
	case "IN":
		return []city{hub("Bangalore", "Karnataka", 12.972, 77.595), hub("Mumbai", "Maharashtra", 19.08, 72.88), hub("Delhi", "Delhi", 28.61, 77.21), hub("Chennai", "Tamil Nadu", 13.08, 80.27)}
	case "AU":
		return []city{hub("Sydney", "New South Wales", -33.869, 151.209), hub("Melbourne", "Victoria", -37.81, 144.96), hub("Brisbane", "Queensland", -27.47, 153.03)}
	}
	return []city{hub("Singapore", "Singapore", 1.352, 103.82)}
}

// carrier is the mobile operator of a country, as its addresses appear: one ASN, CGNAT
// pools whose geolocation is a hub, not the phone.
func carrier(cc string) (asn int, prefix string) {
	switch cc {
	case "GB":
		return 12576, "31.94"
	case "IE":
		return 15502, "37.228"
	case "DE":
		return 3320, "80.187"
	case "FR":
		return 51207, "37.164"
	case "ES":
		return 12430, "88.28"
	case "PL":
		return 12912, "37.47"
	case "US":
		return 21928, "172.56"
	case "CA":
		return 812, "174.88"
	case "BR":
		return 26599, "177.79"
	case "IN":
		return 45609, "106.207"
	case "AU":
		return 1221, "1.128"
	}
	return 4773, "118.200"
}

func saasApps() []saasApp {
	ashburn := city{"Ashburn", "Virginia", "US", 39.04, -77.49, -5, "3.80", 14618}
	dublin := city{"Dublin", "Leinster", "IE", 53.35, -6.26, 0, "52.18", 16509}
	frankfurt := city{"Frankfurt am Main", "Hesse", "DE", 50.11, 8.68, 1, "3.120", 16509}
	boardman := city{"Boardman", "Oregon", "US", 45.84, -119.7, -8, "44.226", 16509}
	iowa := city{"Council Bluffs", "Iowa", "US", 41.26, -95.86, -6, "34.70", 396982}
	virginia := city{"Boydton", "Virginia", "US", 36.67, -78.39, -5, "20.185", 8075}
	return []saasApp{
		{"Slack", "c1b2d3e4-0000-4a00-8000-51ac00000001", "Slack-Server/1.0", ashburn, ""},
		{"Zoom", "c1b2d3e4-0000-4a00-8000-200a00000002", "Zoom Server", boardman, ""},
		{"Miro", "c1b2d3e4-0000-4a00-8000-3d1200000003", "Apache-HttpClient/4.5.14 (Java/17.0.9)", frankfurt, ""},
		{"Grammarly", "c1b2d3e4-0000-4a00-8000-67a300000004", "python-requests/2.31.0", ashburn, ""},
		{"Calendly", "c1b2d3e4-0000-4a00-8000-ca1e00000005", "Ruby", iowa, ""},
		{"Notion", "c1b2d3e4-0000-4a00-8000-407100000006", "node-fetch/1.0", boardman, ""},
		{"Adobe Acrobat", "c1b2d3e4-0000-4a00-8000-ad0b00000007", "Mozilla/5.0 (compatible; AdobeSign)", virginia, ""},
		{"Salesforce", "c1b2d3e4-0000-4a00-8000-5a1e00000008", "SFDC-Callout/59.0", dublin, ""},
	}
}

func newNoise(seed uint64, o *org, busy map[*user]bool, start time.Time, days int) *noise {
	n := &noise{rng: rand.New(rand.NewPCG(seed^0x6a09e667f3bcc908, seed+0xbb67ae8584caa73b)), habits: map[*user]*habits{}, saas: saasApps()}
	n.partner = uuid(n.rng)
	vpns := vpnExits()
	for _, u := range o.users {
		h := &habits{}
		n.habits[u] = h
		if n.rng.Float64() < 0.30 { // security service edge for part of the staff, from the first day
			h.sse = true
			h.sseNodes = nearestTwo(u.home)
		}
		if n.rng.Float64() < 0.05 { // a consumer privacy VPN on their own devices
			for i := 0; i < 2+n.rng.IntN(2); i++ {
				h.vpn = append(h.vpn, vpns[n.rng.IntN(len(vpns))])
			}
		}
		if hasPhone(u) && n.rng.Float64() < 0.25 { // iCloud+ subscribers with Private Relay on
			h.relay = true
		}
		hubs := majorCities(u.home.country)
		h.hub = hubs[n.rng.IntN(len(hubs))]
		if n.rng.Float64() < 0.45 { // people with third-party apps holding a delegated token
			for i := 0; i < 1+n.rng.IntN(3); i++ {
				h.apps = append(h.apps, n.rng.IntN(len(n.saas)))
			}
		}
		// Real business trips: about 4% of staff in a fortnight, never the actors of an
		// attack (whose own records must stay coherent), nor who already travels.
		if !busy[u] && u.abroad[0].IsZero() && u.hireDay == 0 && u.leaveDay == 0 && days >= 6 && n.rng.Float64() < 0.04*float64(days)/14 {
			n.planTrip(u, h, start, days)
		}
	}
	for i := 0; i < max(2, len(o.users)/100); i++ {
		n.shared = append(n.shared, n.newSharedMailbox(o, i))
	}
	for i := 0; i < max(2, len(o.users)/150); i++ {
		name := []string{"svc-scan2mail", "svc-crm-sync", "svc-legacy-erp", "svc-badge-sync", "svc-reporting"}[i%5]
		if i >= 5 {
			name = fmt.Sprintf("%s%d", name, i/5)
		}
		n.ropc = append(n.ropc, &user{upn: name + "@" + o.domain, display: name, id: uuid(n.rng), home: cities()[0], ipSuffix: 10 + i})
	}
	cs := cities()
	seen := map[string]bool{}
	for i := 0; i < max(3, len(o.users)/30); i++ {
		first, last := firstNames()[n.rng.IntN(30)], lastNames()[n.rng.IntN(20)]
		name := first + "." + last
		for k := 2; seen[name]; k++ { // one guest per account: two people sharing one would be travel
			name = fmt.Sprintf("%s.%s%d", first, last, k)
		}
		seen[name] = true
		g := &user{upn: fmt.Sprintf("%s_fabrikam-partner.example#EXT#@%s", name, o.domain), display: first + " " + last + " (Fabrikam)",
			id: uuid(n.rng), home: cs[n.rng.IntN(len(cs))], ipSuffix: 2 + n.rng.IntN(250), guestTenant: n.partner}
		os, browser := "Windows10", "Edge 129.0.0"
		g.device = device{os: os, browser: browser, agent: userAgent(os, browser)}
		g.devices = []device{g.device}
		n.guests = append(n.guests, g)
		gh := &habits{}
		if n.rng.Float64() < 0.4 { // the partner's own security service edge
			gh.sse, gh.sseNodes = true, nearestTwo(g.home)
		}
		n.habits[g] = gh
	}
	n.scanner = &servicePrincipal{appID: uuid(n.rng), spID: uuid(n.rng), name: "Acme CSPM Scanner", ip: fmt.Sprintf("3.80.%d.%d", n.rng.IntN(255), 1+n.rng.IntN(250))}
	return n
}

// nearestTwo is the security service edge's nodes a person's traffic goes to: the nearest,
// and the next one the service fails over or balances to.
func nearestTwo(c city) [2]city {
	nodes := sseNodes()
	best, second := -1, -1
	dist := func(i int) float64 { return km(c, nodes[i]) }
	for i := range nodes {
		switch {
		case best < 0 || dist(i) < dist(best):
			best, second = i, best
		case second < 0 || dist(i) < dist(second):
			second = i
		}
	}
	return [2]city{nodes[best], nodes[second]}
}

func km(a, b city) float64 {
	const r = 6371.0
	rad := math.Pi / 180
	dLat, dLon := (b.lat-a.lat)*rad, (b.long-a.long)*rad
	x := math.Sin(dLat/2)*math.Sin(dLat/2) + math.Cos(a.lat*rad)*math.Cos(b.lat*rad)*math.Sin(dLon/2)*math.Sin(dLon/2)
	return 2 * r * math.Asin(math.Sqrt(x))
}

func hasPhone(u *user) bool {
	for _, d := range u.devices {
		if d.os == "iOS" {
			return true
		}
	}
	return false
}

// planTrip sends a person to another of the company's cities for two to four days, flying
// at a plausible speed: 3 h at the airports plus the distance at 800 km/h each way.
func (n *noise) planTrip(u *user, h *habits, start time.Time, days int) {
	cs := cities()
	dest := cs[n.rng.IntN(len(cs))]
	if dest.name == u.home.name {
		return
	}
	leaveDay := 1 + n.rng.IntN(days-4)
	leave := start.Add(time.Duration(leaveDay*24+7+n.rng.IntN(6)-u.home.utcOffset) * time.Hour)
	flight := 3*time.Hour + time.Duration(km(u.home, dest)/800*float64(time.Hour))
	stay := time.Duration(2+n.rng.IntN(3)) * 24 * time.Hour
	h.tripTo = &dest
	h.tripFrom = leave.Add(flight)
	h.tripBack = h.tripFrom.Add(stay)
	h.roamingCarry = n.rng.Float64() < 0.6 // home-routed roaming: the phone's data leaves at home
	u.abroad = [2]time.Time{leave, h.tripBack.Add(flight)}
}
