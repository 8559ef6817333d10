package sim

import (
	"fmt"
	"time"
)

// firstPartyRefresh is a Microsoft client refreshing its token in the background.
type firstPartyRefresh struct {
	app, id, resource string
	working, off      float64 // chance per hour, in and out of working hours
	phone             bool
}

// firstPartyRefreshes: desktop and mobile clients that refresh their tokens roughly hourly
// while they run (access tokens live 60-90 minutes), which is why non-interactive sign-ins
// outnumber interactive ones 5-10 times.
func firstPartyRefreshes() []firstPartyRefresh {
	return []firstPartyRefresh{
		{"Microsoft Office", "d3590ed6-52b3-4102-aeff-aad2292ab01c", "Office 365 Exchange Online", 0.3, 0.01, false},
		{"OneDrive SyncEngine", "ab9b8c07-8f02-4f72-87fa-80105867a763", "Office 365 SharePoint Online", 0.3, 0.02, false},
		{"Windows Sign In", "38aa3b87-a06d-4817-b275-7a316988d93b", "Windows Azure Active Directory", 0.15, 0.0, false},
		{"Microsoft Outlook", "27922004-5251-4030-b22d-91ecd9a37ea4", "Office 365 Exchange Online", 0.4, 0.12, true},
		{"Microsoft Teams", "1fec8e78-bce4-4aaf-ab1b-5451cc387264", "Microsoft Teams Services", 0.2, 0.03, true},
	}
}

// place is where a sign-in from dev appears to come from at t: its address and the
// location the provider gives that address. On a trip the person is at the destination.
func (s *sim) place(u *user, dev device, t time.Time) (string, *city) {
	n, hb := s.noise, s.noise.habits[u]
	r := n.rng.Float64()
	if hb == nil {
		return u.ip(), nil
	}
	if hb.tripTo != nil && !t.Before(hb.tripFrom) && t.Before(hb.tripBack) {
		home := *hb.tripTo
		if dev.os == "iOS" && hb.roamingCarry && r < 0.6 {
			return s.carrierAddr(u, hb) // home-routed roaming: the phone's data leaves at home
		}
		if dev.os != "iOS" && hb.sse {
			node := nearestTwo(home)[0]
			return n.poolAddr(node), &node
		}
		hotel := home
		hotel.asn += 100000 // the hotel's network, not a resident's ISP
		return fmt.Sprintf("%s.%d.%d", home.prefix, 150+n.rng.IntN(20), 1+n.rng.IntN(250)), &hotel
	}
	switch {
	case dev.os == "iOS":
		switch {
		case len(hb.vpn) > 0 && r < 0.3:
			exit := hb.vpn[n.rng.IntN(len(hb.vpn))]
			return n.poolAddr(exit), &exit
		case r < 0.55:
			return s.carrierAddr(u, hb)
		}
		return u.ip(), nil // home wifi
	case hb.sse && dev.id != "": // the managed laptop, through the service edge
		node := hb.sseNodes[0]
		if r < 0.15 {
			node = hb.sseNodes[1]
		}
		return n.poolAddr(node), &node
	case len(hb.vpn) > 0 && dev.id == "" && r < 0.5: // the personal PC behind the consumer VPN
		exit := hb.vpn[n.rng.IntN(len(hb.vpn))]
		return n.poolAddr(exit), &exit
	case r < 0.15 && u.guestTenant == "":
		london := cities()[0]
		london.asn = 64600 // the company's own range, registered in London
		return s.org.vpnIP, &london
	}
	return u.ip(), nil
}

// poolAddr is one of a shared network's addresses at a node: a few dozen per node, each
// used by many people at once.
func (n *noise) poolAddr(c city) string {
	return fmt.Sprintf("%s.%d", c.prefix, 10+n.rng.IntN(40))
}

// carrierAddr is a phone on its carrier: a CGNAT address geolocated to the carrier's hub,
// which moves to another hub of the country from time to time.
func (s *sim) carrierAddr(u *user, hb *habits) (string, *city) {
	n := s.noise
	if n.rng.Float64() < 0.15 {
		hubs := majorCities(u.home.country)
		hb.hub = hubs[n.rng.IntN(len(hubs))]
	}
	asn, prefix := carrier(u.home.country)
	c := hb.hub
	c.asn, c.prefix = asn, prefix
	return fmt.Sprintf("%s.%d.%d", prefix, int(c.lat*7)&0x7f+64, 1+n.rng.IntN(250)), &c
}

// relayAddr is Safari on an iPhone with iCloud Private Relay: an egress of Cloudflare or
// Akamai that keeps the country and approximate region, not the city.
func (s *sim) relayAddr(u *user) (string, *city) {
	n := s.noise
	hubs := majorCities(u.home.country)
	c := hubs[n.rng.IntN(len(hubs))]
	if n.rng.IntN(2) == 0 {
		c.asn = 13335
		return fmt.Sprintf("2a09:bac1:%x:%x::%x", 0x3000+int(c.lat*10)&0xfff, n.rng.IntN(0x100), 1+n.rng.IntN(0xfff)), &c
	}
	c.asn = 36183
	return fmt.Sprintf("172.225.%d.%d", int(c.long*3)&0xff, 1+n.rng.IntN(250)), &c
}

// personNoise is an hour of one person's background behaviours beyond the interactive
// sign-in of background(): token refreshes, SaaS refreshes, phone browsing, stale
// passwords, MFA timeouts, and their trip.
func (s *sim) personNoise(h time.Time, u *user) []Record {
	n := s.noise
	hb := n.habits[u]
	if hb == nil {
		return nil
	}
	defer s.drawFrom(n.rng)()
	var recs []Record
	at := func() time.Time { return h.Add(time.Duration(n.rng.IntN(3600)) * time.Second) }
	for _, i := range hb.apps { // third_party_saas: server-side refreshes, day and night, wherever the person is
		if n.rng.Float64() < 0.25 {
			app := n.saas[i]
			c := app.region
			ip := fmt.Sprintf("%s.%d.%d", c.prefix, 1+n.rng.IntN(20), 1+n.rng.IntN(250))
			recs = append(recs, s.signIn(at(), signInSpec{u: u, ip: ip, city: &c, app: app.name, appID: app.id, resource: "Microsoft Graph",
				nonInteractive: true, bare: true, agent: app.agent}))
		}
	}
	onTrip := hb.tripTo != nil && !h.Before(hb.tripFrom) && h.Before(hb.tripBack)
	if u.abroadAt(h) && !onTrip {
		return recs // in the air, or a traveller of a scenario
	}
	tz := u.home.utcOffset
	if onTrip {
		tz = hb.tripTo.utcOffset
	}
	local := h.Add(time.Duration(tz) * time.Hour)
	working := weekday(local) && local.Hour() >= 8 && local.Hour() < 18
	for _, fp := range firstPartyRefreshes() { // token_refresh
		p := fp.off
		if working {
			p = fp.working
		}
		for _, dev := range u.devices {
			if (dev.os == "iOS") != fp.phone || n.rng.Float64() >= p {
				continue
			}
			t := at()
			ip, c := s.place(u, dev, t)
			recs = append(recs, s.signIn(t, signInSpec{u: u, ip: ip, city: c, app: fp.app, appID: fp.id, resource: fp.resource, nonInteractive: true,
				deviceID: dev.id, os: dev.os, browser: dev.browser, agent: dev.agent}))
		}
	}
	phone, hasPh := iosDevice(u)
	if hasPh && n.rng.Float64() < map[bool]float64{true: 0.06, false: 0.03}[working] { // phone_browser: Safari on the phone
		t := at()
		ip, c := s.place(u, phone, t)
		if hb.relay && !onTrip {
			ip, c = s.relayAddr(u) // icloud_private_relay
		}
		if n.rng.Float64() < 0.05 { // mfa_timeout: the push not answered in time
			recs = append(recs, s.signIn(t, signInSpec{u: u, ip: ip, city: c, code: 500121, reason: "Authentication failed during strong authentication request.",
				deviceID: phone.id, os: phone.os, browser: phone.browser, agent: phone.agent}))
			t = t.Add(time.Duration(60+n.rng.IntN(240)) * time.Second)
		}
		risk := ""
		if c != nil && (c.asn == 13335 || c.asn == 36183 || c.asn == 9009 || c.asn == 60068) && n.rng.Float64() < 0.15 {
			// Identity Protection rates the anonymising egress: an anonymizedIPAddress
			// detection, low or medium, that the user's MFA remediates.
			risk = []string{"low", "medium"}[n.rng.IntN(2)]
			rc := *c
			recs = append(recs, s.risk(t, u, ip, &rc, "anonymizedIPAddress", risk, "remediated"))
		}
		recs = append(recs, s.signIn(t, signInSpec{u: u, ip: ip, city: c, app: "Office 365 SharePoint Online", mfa: true, risk: risk,
			deviceID: phone.id, os: phone.os, browser: phone.browser, agent: phone.agent}))
	}
	if working && n.rng.Float64() < 0.004 { // mfa_timeout, abandoned: the person gives up and tries later
		dev := u.devices[0]
		ip, c := s.place(u, dev, h)
		recs = append(recs, s.signIn(at(), signInSpec{u: u, ip: ip, city: c, code: 500121, reason: "Authentication failed during strong authentication request.",
			deviceID: dev.id, os: dev.os, browser: dev.browser, agent: dev.agent}))
	}
	recs = append(recs, s.stalePassword(h, u, hb, local, working)...)
	if onTrip && working && n.rng.Float64() < 0.2 { // business_travel: working from the destination
		dev := u.devices[0]
		t := at()
		ip, c := s.place(u, dev, t)
		recs = append(recs, s.signIn(t, signInSpec{u: u, ip: ip, city: c, app: "Office 365 Exchange Online", mfa: true,
			deviceID: dev.id, os: dev.os, browser: dev.browser, agent: dev.agent}))
	}
	return recs
}

// stalePassword is stale_password_device: after a self-service password change, a device
// still holding the old credential fails for days — a phone's mail app whose refresh token
// the change revoked (AADSTS50133), or a home PC's IMAP client with the old password saved.
func (s *sim) stalePassword(h time.Time, u *user, hb *habits, local time.Time, working bool) []Record {
	n := s.noise
	var recs []Record
	if working && local.Hour() == 10 && n.rng.Float64() < 1.0/90 {
		recs = append(recs, s.audit(h.Add(time.Duration(n.rng.IntN(3600))*time.Second), u, nil, "Change password (self-service)", "UserManagement",
			"Self-service Password Management", []map[string]any{{"id": u.id, "type": "User", "userPrincipalName": u.upn}}))
		if n.rng.Float64() < 0.35 {
			hb.staleUntil = h.Add(time.Duration(24+n.rng.IntN(72)) * time.Hour)
			hb.staleLegacy = n.rng.Float64() < 0.3
		}
		return recs
	}
	if !h.Before(hb.staleUntil) || n.rng.Float64() >= 0.7 {
		return nil
	}
	t := h.Add(time.Duration(n.rng.IntN(3600)) * time.Second)
	if hb.staleLegacy {
		return []Record{s.signIn(t, signInSpec{u: u, ip: u.ip(), code: 50126, reason: "Invalid username or password or Invalid on-premise username or password.",
			app: "Office 365 Exchange Online", client: "IMAP4", bare: true, agent: ""})}
	}
	if phone, ok := iosDevice(u); ok {
		ip, c := s.place(u, phone, t)
		return []Record{s.signIn(t, signInSpec{u: u, ip: ip, city: c, code: 50133, reason: "Session is invalid due to expiration or recent password change.",
			app: "Microsoft Outlook", appID: "27922004-5251-4030-b22d-91ecd9a37ea4", nonInteractive: true,
			deviceID: phone.id, os: phone.os, browser: phone.browser, agent: phone.agent})}
	}
	return nil
}

func iosDevice(u *user) (device, bool) {
	for _, d := range u.devices {
		if d.os == "iOS" {
			return d, true
		}
	}
	return device{}, false
}
