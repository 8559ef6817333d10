package sim

import (
	"fmt"
	"strings"
	"time"
)

// Addresses of the behavioural attacks: rented servers, none of them anonymisers, so
// nothing but the actor's own history says they are wrong.
const (
	keyThiefIP = "206.189.12.77" // a cloud VPS in another country, where the stolen key is tried
	minerIP    = "194.26.29.113" // a hosting provider's server, outside Azure
	minerZone  = "japaneast"     // a region the subscription never used
)

// behaviorScenarios break or imitate the cast's patterns of life. Each draws from the
// cast's generator (see behaviorCast).
func behaviorScenarios() []*scenario {
	return []*scenario{
		{name: "access_key_new_network", source: "cloudtrail", run: ownDraws((*sim).keyFromNewNetwork),
			entity: func(s *sim) string {
				return "arn:aws:iam::" + s.cast.reportAccount + ":user/" + s.cast.reportUser
			}},
		{name: "first_privileged_operation", source: "cloudtrail", run: ownDraws((*sim).firstPrivilegedOperation),
			entity: func(s *sim) string { return s.cast.engineer.upn }},
		{name: "service_principal_vm_burst", source: "activitylog+eventhub", run: ownDraws((*sim).minerBurst),
			entity: func(s *sim) string { return s.cast.reader.appID }},
		{name: "traveller_on_corporate_vpn", lookalike: true, source: "graph+eventhub", run: ownDraws((*sim).conferenceTrip),
			entity: func(s *sim) string { return s.cast.traveller.upn }},
		{name: "oncall_night_signin", lookalike: true, source: "graph+activitylog", run: ownDraws((*sim).oncallNight),
			entity: func(s *sim) string { return s.cast.oncall.upn }},
		{name: "sp_scaleout_usual_region", lookalike: true, source: "activitylog+eventhub", run: ownDraws((*sim).autoscale),
			entity: func(s *sim) string { return s.cast.scaler.appID }},
	}
}

func ownDraws(run func(*sim, time.Time) []Record) func(*sim, time.Time) []Record {
	return func(s *sim, t time.Time) []Record {
		defer s.drawFrom(s.cast.rng)()
		return run(s, t)
	}
}

// keyFromNewNetwork: the report job's access key, leaked, is tried from a rented server —
// who am I, what is there, then the reports themselves.
func (s *sim) keyFromNewNetwork(t time.Time) []Record {
	c := s.cast
	acct, id := c.reportAccount, iamIdentity(c.reportAccount, c.reportUser)
	agent := "aws-cli/2.15.30 Python/3.11.8 Linux/6.1.0-18-cloud-amd64 exe/x86_64.debian.12 prompt/off"
	read := map[string]any{"readOnly": true}
	recs := []Record{
		s.ct(t, acct, "us-east-1", id, "sts.amazonaws.com", "GetCallerIdentity", keyThiefIP, agent, map[string]any{}, nil, "", read),
		s.ct(t.Add(35*time.Second), acct, "us-east-1", id, "s3.amazonaws.com", "ListBuckets", keyThiefIP, agent, map[string]any{"Host": "s3.amazonaws.com"}, nil, "", read),
		s.ct(t.Add(70*time.Second), acct, "us-east-1", id, "iam.amazonaws.com", "ListUsers", keyThiefIP, agent, map[string]any{}, nil, "AccessDenied", read),
	}
	keys := []string{"exports/customers-2026-q3.csv.gz", "exports/payroll-2026-10.xlsx", "config/daily-revenue.sql"}
	for d := 1; d <= 3; d++ {
		keys = append(keys, "daily/"+t.AddDate(0, 0, -d).Format("2006-01-02")+"/revenue.csv")
	}
	for i, key := range keys {
		recs = append(recs, s.s3Read(t.Add(3*time.Minute+time.Duration(i*25)*time.Second), acct, id, keyThiefIP, agent, reportBucket, key, 20000+s.rng.IntN(4000000)))
	}
	return recs
}

// firstPrivilegedOperation: the engineer's session credentials, lifted from their laptop,
// grant administrator rights and mint a key — the same address and client as every day.
func (s *sim) firstPrivilegedOperation(t time.Time) []Record {
	u, acct := s.cast.engineer, s.org.awsAccounts[0]
	id, ip, agent := ssoIdentity(acct, "PlatformEngineer", u), u.ip(), cliAgent(u)
	const admin = "arn:aws:iam::aws:policy/AdministratorAccess"
	read := map[string]any{"readOnly": true}
	key := map[string]any{"accessKey": map[string]any{"userName": "backup-sync", "accessKeyId": "AKIA" + strings.ToUpper(randString(s.rng, 16)),
		"status": "Active", "createDate": t.Add(5 * time.Minute).UTC().Format("Jan 2, 2006 3:04:05 PM")}}
	return []Record{
		s.ct(t, acct, "us-east-1", id, "sts.amazonaws.com", "GetCallerIdentity", ip, agent, map[string]any{}, nil, "", read),
		s.ct(t.Add(time.Minute), acct, "us-east-1", id, "iam.amazonaws.com", "ListUsers", ip, agent, map[string]any{}, nil, "", read),
		s.ct(t.Add(3*time.Minute), acct, "us-east-1", id, "iam.amazonaws.com", "AttachUserPolicy", ip, agent, map[string]any{"userName": "backup-sync", "policyArn": admin}, nil, "", nil),
		s.ct(t.Add(4*time.Minute), acct, "us-east-1", id, "iam.amazonaws.com", "AttachRolePolicy", ip, agent, map[string]any{"roleName": "app-instance", "policyArn": admin}, nil, "", nil),
		s.ct(t.Add(5*time.Minute), acct, "us-east-1", id, "iam.amazonaws.com", "CreateAccessKey", ip, agent, map[string]any{"userName": "backup-sync"}, key, "", nil),
	}
}

// minerBurst: the inventory reader's secret, leaked, signs in from a hosting provider and
// fills a region nobody uses with GPU machines, one every 35 seconds.
func (s *sim) minerBurst(t time.Time) []Record {
	sp, sub := s.cast.reader, s.org.subscriptions[0]
	recs := []Record{s.spSignIn(t, sp, minerIP, 0)}
	for i := 0; i < 44; i++ {
		recs = append(recs, s.vmWrite(t.Add(3*time.Minute+time.Duration(i*35)*time.Second), sub, sp, minerIP, "rg-batch-jpe", fmt.Sprintf("vm-jpe-%02d", i), minerZone, "Standard_NC24ads_A100_v4"))
	}
	return recs
}

// conferenceTrip: the last sign-in at home, the flight, one sign-in from the hotel, then the
// conference days through the corporate VPN, whose egress is in London.
func (s *sim) conferenceTrip(t time.Time) []Record {
	c := s.cast
	u, dev, vpn := c.traveller, c.traveller.device, cities()[0]
	spec := func(ip string, at *city) signInSpec {
		return signInSpec{u: u, ip: ip, city: at, mfa: true, deviceID: dev.id, os: dev.os, browser: dev.browser, agent: dev.agent, app: "Microsoft Teams"}
	}
	recs := []Record{s.signIn(t, spec(u.ip(), nil))}
	for i, at := range c.trip.abroad {
		if i == 0 {
			recs = append(recs, s.signIn(at, spec(fmt.Sprintf("%s.231.%d", c.trip.dest.prefix, 2+s.rng.IntN(250)), &c.trip.dest)))
			continue
		}
		recs = append(recs, s.signIn(at, spec(s.org.vpnIP, &vpn)))
		refresh := spec(s.org.vpnIP, &vpn)
		refresh.nonInteractive = true
		recs = append(recs, s.signIn(at.Add(time.Duration(20+s.rng.IntN(30))*time.Minute), refresh))
	}
	return recs
}

// oncallNight: paged at three on a weekend night, the admin signs in from home on their
// laptop, looks at the queue machine and restarts it and the orders app.
func (s *sim) oncallNight(t time.Time) []Record {
	u, sub := s.cast.oncall, s.org.subscriptions[0]
	dev, ip := u.device, u.ip()
	vm := "Microsoft.Compute/virtualMachines/vm-queue-02"
	return []Record{
		s.signIn(t, signInSpec{u: u, ip: ip, app: "Azure Portal", mfa: true, deviceID: dev.id, os: dev.os, browser: dev.browser, agent: dev.agent}),
		s.arm(t.Add(3*time.Minute), sub, u.upn, ip, "Microsoft.Compute/virtualMachines/read", "rg-operations", vm, "Succeeded", map[string]any{"location": usualRegion}),
		s.arm(t.Add(6*time.Minute), sub, u.upn, ip, "Microsoft.Compute/virtualMachines/restart/action", "rg-operations", vm, "Succeeded", map[string]any{"location": usualRegion}),
		s.arm(t.Add(11*time.Minute), sub, u.upn, ip, "Microsoft.Web/sites/restart/action", "rg-operations", "Microsoft.Web/sites/app-orders", "Succeeded", map[string]any{"location": usualRegion}),
		s.arm(t.Add(18*time.Minute), sub, u.upn, ip, "Microsoft.Compute/virtualMachines/read", "rg-operations", vm, "Succeeded", map[string]any{"location": usualRegion}),
	}
}

// autoscale: a release build queue fills up and the scaler adds 15 agents at once, where
// and from where it always does; the evening scale-in removes them.
func (s *sim) autoscale(t time.Time) []Record {
	c := s.cast
	sp := c.scaler
	recs := []Record{s.spSignIn(t, sp, sp.ip, 0)}
	for i := 0; i < 15; i++ {
		c.scalerSeq++
		name := fmt.Sprintf("agent-%03d", c.scalerSeq)
		c.scalerVMs = append(c.scalerVMs, name)
		recs = append(recs, s.vmWrite(t.Add(time.Duration(40+i*25)*time.Second), s.org.subscriptions[0], sp, sp.ip, "rg-build-agents", name, usualRegion, "Standard_D4s_v5"))
	}
	return recs
}

// planBehavior places the behavioural scenarios in the last 40% of the period, each on a
// day that suits it (a weekday for work, a weekend night for the on-call page).
func (s *sim) planBehavior() []plannedAttack {
	c := s.cast
	enabled := map[string]bool{}
	for _, n := range s.cfg.Scenarios {
		enabled[n] = true
	}
	minute := func() time.Duration { return time.Duration(c.rng.IntN(3000)) * time.Second }
	localHour := func(u *user, hour int) func(time.Time) time.Time {
		jitter := minute()
		return func(day time.Time) time.Time {
			return day.Add(time.Duration(hour-u.home.utcOffset)*time.Hour + jitter)
		}
	}
	keyHour, minerHour := 13+c.rng.IntN(6), 20+c.rng.IntN(3)
	anyDay := func(time.Time) bool { return true }
	workday := func(u *user) func(time.Time) bool {
		return func(t time.Time) bool { return weekday(t.Add(time.Duration(u.home.utcOffset) * time.Hour)) }
	}
	leave := s.pickDay(0, localHour(c.traveller, 7), func(t time.Time) bool {
		return workday(c.traveller)(t) && t.Add(40*time.Hour).Before(s.cfg.End) // time to fly and to confer
	})
	at := map[string]time.Time{
		"access_key_new_network":     s.pickDay(1, func(d time.Time) time.Time { return d.Add(time.Duration(keyHour)*time.Hour + minute()) }, anyDay),
		"first_privileged_operation": s.pickDay(2, localHour(c.engineer, 14), workday(c.engineer)),
		"service_principal_vm_burst": s.pickDay(3, func(d time.Time) time.Time { return d.Add(time.Duration(minerHour)*time.Hour + minute()) }, anyDay),
		"traveller_on_corporate_vpn": leave,
		"sp_scaleout_usual_region":   s.pickDay(4, func(d time.Time) time.Time { return d.Add(13*time.Hour + minute()) }, weekday), // Europe's working day
		"oncall_night_signin":        s.pickDay(0, localHour(c.oncall, 3), func(t time.Time) bool { return !workday(c.oncall)(t) }),
	}
	c.planTrip(leave, s.cfg.End.Add(-time.Hour))
	var plan []plannedAttack
	for _, sc := range behaviorScenarios() {
		if !sc.lookalike && s.cfg.Scenarios != nil && !enabled[sc.name] {
			continue
		}
		plan = append(plan, plannedAttack{sc: sc, at: at[sc.name]})
	}
	return plan
}

// pickDay is at(day) for the first day from the k-th of the attack window on (the window's
// days in turn, then the period's last) where ok holds and the scenario has two hours
// before the period ends; at the k-th day if none does.
func (s *sim) pickDay(k int, at func(day time.Time) time.Time, ok func(time.Time) bool) time.Time {
	first := int(float64(s.cfg.Days) * 0.6)
	span := max(1, s.cfg.Days-first-1)
	day := func(d int) time.Time { return s.start.Add(time.Duration(d) * 24 * time.Hour) }
	inPeriod := func(t time.Time) bool { return !t.Before(day(1)) && t.Add(2*time.Hour).Before(s.cfg.End) }
	days := []int{}
	for i := 0; i < span; i++ {
		days = append(days, first+(k+i)%span)
	}
	for _, d := range append(days, s.cfg.Days-1) {
		if t := at(day(d)); inPeriod(t) && ok(t) {
			return t
		}
	}
	if t := at(day(first + k%span)); inPeriod(t) {
		return t
	}
	return day(first + k%span).Add(12 * time.Hour)
}
