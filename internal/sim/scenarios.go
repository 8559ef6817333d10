package sim

import (
	"fmt"
	"math"
	"time"
)

// scenario is an attack or a benign look-alike, injected at a planned time.
type scenario struct {
	name      string
	lookalike bool
	run       func(s *sim, t time.Time) []Record
	entity    func(s *sim) string
	source    string
}

type plannedAttack struct {
	sc *scenario
	at time.Time
	// actors chosen when planned, so the truth names them
	victim, admin *user
}

func (p *plannedAttack) run(s *sim, t time.Time) ([]Record, Truth) {
	s.victim, s.admin = p.victim, p.admin
	recs := p.sc.run(s, t)
	tr := Truth{Scenario: p.sc.name, Entity: p.sc.entity(s), Start: t, End: t, Source: p.sc.source, Lookalike: p.sc.lookalike}
	for _, r := range recs {
		tr.EventIDs = append(tr.EventIDs, r.ID)
		if r.Time.After(tr.End) {
			tr.End = r.Time
		}
	}
	return recs, tr
}

const attackerIP = "185.220.101.47" // an anonymising exit node

// ScenarioNames lists the attack scenarios (look-alikes are always injected).
func ScenarioNames() []string {
	var out []string
	for _, sc := range append(scenarios(), behaviorScenarios()...) {
		if !sc.lookalike {
			out = append(out, sc.name)
		}
	}
	return out
}

func scenarios() []*scenario {
	victimUPN := func(s *sim) string { return s.victim.upn }
	adminUPN := func(s *sim) string { return s.admin.upn }
	return []*scenario{
		{name: "password_spray", source: "graph", entity: func(*sim) string { return attackerIP }, run: func(s *sim, t time.Time) []Record {
			var recs []Record
			for i, u := range s.org.users[:min(25, len(s.org.users))] {
				recs = append(recs, s.signIn(t.Add(time.Duration(i*90)*time.Second), signInSpec{u: u, ip: attackerIP, city: &cities()[5], code: 50126,
					reason: "Invalid username or password or Invalid on-premise username or password.", client: "Other clients", os: "Linux", browser: "", agent: "python-requests/2.31.0"}))
			}
			return recs
		}},
		{name: "brute_force_success", source: "graph", entity: victimUPN, run: func(s *sim, t time.Time) []Record {
			var recs []Record
			for i := 0; i < 30; i++ {
				recs = append(recs, s.signIn(t.Add(time.Duration(i*10)*time.Second), signInSpec{u: s.victim, ip: attackerIP, city: &cities()[7], code: 50126, reason: "Invalid username or password.", os: "Linux", agent: "python-requests/2.31.0"}))
			}
			return append(recs, s.signIn(t.Add(6*time.Minute), signInSpec{u: s.victim, ip: attackerIP, city: &cities()[7], code: 0, os: "Linux", agent: "python-requests/2.31.0"}))
		}},
		{name: "mfa_fatigue", source: "graph", entity: victimUPN, run: func(s *sim, t time.Time) []Record {
			var recs []Record
			for i := 0; i < 7; i++ {
				recs = append(recs, s.signIn(t.Add(time.Duration(i)*time.Minute), signInSpec{u: s.victim, ip: attackerIP, city: &cities()[3], code: 500121, reason: "Authentication failed during strong authentication request.", mfa: true}))
			}
			return append(recs, s.signIn(t.Add(8*time.Minute), signInSpec{u: s.victim, ip: attackerIP, city: &cities()[3], code: 0, mfa: true}))
		}},
		{name: "illicit_consent", source: "graph", entity: victimUPN, run: func(s *sim, t time.Time) []Record {
			return []Record{s.audit(t, s.victim, nil, "Consent to application", "ApplicationManagement", "Core Directory", []map[string]any{{
				"id": uuid(s.rng), "displayName": "Mail Backup Pro", "type": "ServicePrincipal",
				"modifiedProperties": []map[string]any{{"displayName": "ConsentAction.Permissions", "oldValue": "", "newValue": "\"Scope: Mail.Read Mail.Send Files.ReadWrite.All offline_access\""}}}})}
		}},
		{name: "global_admin_vm_burst", source: "graph+activitylog", entity: adminUPN, run: func(s *sim, t time.Time) []Record {
			recs := []Record{s.audit(t, s.admin, nil, "Add member to role", "RoleManagement", "Core Directory", []map[string]any{{
				"id": s.victim.id, "type": "User", "userPrincipalName": s.victim.upn,
				"modifiedProperties": []map[string]any{{"displayName": "Role.DisplayName", "oldValue": nil, "newValue": "\"Global Administrator\""}}}})}
			for i := 0; i < 25; i++ {
				recs = append(recs, s.arm(t.Add(time.Duration(10+i*20)*time.Second+10*time.Minute), s.org.subscriptions[1], s.victim.upn, attackerIP,
					"Microsoft.Compute/virtualMachines/write", "rg-gpu", fmt.Sprintf("Microsoft.Compute/virtualMachines/gpu-%02d", i), "Succeeded", map[string]any{"location": "brazilsouth"}))
			}
			return recs
		}},
		{name: "logging_deleted", source: "activitylog+cloudtrail", entity: adminUPN, run: func(s *sim, t time.Time) []Record {
			acct := s.org.awsAccounts[0]
			return []Record{
				s.arm(t, s.org.subscriptions[0], s.admin.upn, attackerIP, "Microsoft.Insights/diagnosticSettings/delete", "rg-core", "microsoft.insights/diagnosticSettings/to-siem", "Succeeded", nil),
				s.ct(t.Add(3*time.Minute), acct, "us-east-1", ssoIdentity(acct, "AdministratorAccess", s.admin), "cloudtrail.amazonaws.com", "StopLogging", attackerIP, "aws-cli/2.15.0",
					map[string]any{"name": "arn:aws:cloudtrail:us-east-1:" + acct + ":trail/org-trail"}, nil, "", nil),
				s.ct(t.Add(4*time.Minute), acct, "us-east-1", ssoIdentity(acct, "AdministratorAccess", s.admin), "cloudtrail.amazonaws.com", "DeleteTrail", attackerIP, "aws-cli/2.15.0",
					map[string]any{"name": "arn:aws:cloudtrail:us-east-1:" + acct + ":trail/org-trail"}, nil, "", nil),
			}
		}},
		{name: "root_login_without_mfa", source: "cloudtrail", entity: func(s *sim) string { return "arn:aws:iam::" + s.org.awsAccounts[1] + ":root" }, run: func(s *sim, t time.Time) []Record {
			acct := s.org.awsAccounts[1]
			root := map[string]any{"type": "Root", "principalId": acct, "arn": "arn:aws:iam::" + acct + ":root", "accountId": acct}
			return []Record{
				s.ct(t, acct, "us-east-1", root, "signin.amazonaws.com", "ConsoleLogin", attackerIP, "Mozilla/5.0", nil, map[string]any{"ConsoleLogin": "Success"}, "",
					map[string]any{"eventType": "AwsConsoleSignIn", "additionalEventData": map[string]any{"MFAUsed": "No", "LoginTo": "https://console.aws.amazon.com/console/home"}}),
				s.ct(t.Add(2*time.Minute), acct, "us-east-1", root, "iam.amazonaws.com", "CreateAccessKey", attackerIP, "Mozilla/5.0", map[string]any{}, nil, "", nil),
			}
		}},
		{name: "iam_user_s3_exfiltration", source: "cloudtrail", entity: func(s *sim) string { return "arn:aws:iam::" + s.org.awsAccounts[0] + ":user/deploy-legacy" }, run: func(s *sim, t time.Time) []Record {
			acct := s.org.awsAccounts[0]
			legacy := iamIdentity(acct, "deploy-legacy")
			recs := []Record{
				s.ct(t, acct, "us-east-1", legacy, "iam.amazonaws.com", "CreateUser", attackerIP, "aws-cli/2.15.0", map[string]any{"userName": "svc-sync"}, nil, "", nil),
				s.ct(t.Add(time.Minute), acct, "us-east-1", legacy, "iam.amazonaws.com", "CreateAccessKey", attackerIP, "aws-cli/2.15.0", map[string]any{"userName": "svc-sync"}, nil, "", nil),
				s.ct(t.Add(3*time.Minute), acct, "eu-west-1", iamIdentity(acct, "svc-sync"), "s3.amazonaws.com", "PutBucketPolicy", attackerIP, "aws-cli/2.15.0",
					map[string]any{"bucketName": "customer-exports", "bucketPolicy": map[string]any{"Version": "2012-10-17", "Statement": []any{map[string]any{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::customer-exports/*"}}}}, nil, "", nil),
			}
			recs = append(recs, s.ct(t.Add(4*time.Minute), acct, "eu-west-1", iamIdentity(acct, "svc-sync"), "s3.amazonaws.com", "PutBucketAcl", attackerIP, "aws-cli/2.15.0",
				map[string]any{"bucketName": "customer-exports", "AccessControlPolicy": map[string]any{"AccessControlList": map[string]any{"Grant": []any{map[string]any{"Grantee": map[string]any{"URI": "http://acs.amazonaws.com/groups/global/AllUsers"}, "Permission": "READ"}}}}}, nil, "", nil))
			for i := 0; i < 20; i++ {
				recs = append(recs, s.ct(t.Add(5*time.Minute+time.Duration(i)*5*time.Second), acct, "eu-west-1", iamIdentity(acct, "svc-sync"), "s3.amazonaws.com", "GetObject", attackerIP, "aws-cli/2.15.0",
					map[string]any{"bucketName": "customer-exports", "key": fmt.Sprintf("2026/export-%03d.csv.gz", i)}, nil, "", map[string]any{"eventCategory": "Data", "managementEvent": false, "readOnly": true}))
			}
			return recs
		}},
		{name: "security_group_opened", source: "cloudtrail", entity: func(s *sim) string { return s.victim.upn }, run: func(s *sim, t time.Time) []Record {
			acct := s.org.awsAccounts[0]
			return []Record{s.ct(t, acct, "eu-west-1", ssoIdentity(acct, "PowerUser", s.victim), "ec2.amazonaws.com", "AuthorizeSecurityGroupIngress", attackerIP, "aws-cli/2.15.0",
				map[string]any{"groupId": "sg-0a1b2c3d", "ipPermissions": map[string]any{"items": []any{
					map[string]any{"ipProtocol": "tcp", "fromPort": 22, "toPort": 22, "ipRanges": map[string]any{"items": []any{map[string]any{"cidrIp": "0.0.0.0/0"}}}},
					map[string]any{"ipProtocol": "tcp", "fromPort": 3389, "toPort": 3389, "ipRanges": map[string]any{"items": []any{map[string]any{"cidrIp": "0.0.0.0/0"}}}}}}}, nil, "", nil)}
		}},
		{name: "sp_credential_added", source: "graph+eventhub", entity: func(s *sim) string { return s.org.sps[0].spID }, run: func(s *sim, t time.Time) []Record {
			sp := s.org.sps[0]
			recs := []Record{s.audit(t, s.admin, nil, "Add service principal credentials", "ApplicationManagement", "Core Directory",
				[]map[string]any{{"id": sp.spID, "displayName": sp.name, "type": "ServicePrincipal"}})}
			for i := 0; i < 3; i++ {
				recs = append(recs, s.spSignIn(t.Add(time.Duration(20+i*5)*time.Minute), sp, attackerIP, 0))
			}
			return recs
		}},
		{name: "guest_invited_given_role", source: "graph", entity: adminUPN, run: func(s *sim, t time.Time) []Record {
			guest := "partner.consult_gmail.com#EXT#@" + s.org.domain
			gid := uuid(s.rng)
			return []Record{
				s.audit(t, s.admin, nil, "Invite external user", "UserManagement", "Invited Users", []map[string]any{{"id": gid, "type": "User", "userPrincipalName": guest}}),
				s.audit(t.Add(4*time.Minute), s.admin, nil, "Add member to role", "RoleManagement", "Core Directory", []map[string]any{{"id": gid, "type": "User", "userPrincipalName": guest,
					"modifiedProperties": []map[string]any{{"displayName": "Role.DisplayName", "newValue": "\"Privileged Role Administrator\""}}}}),
			}
		}},
		{name: "password_spray_low_slow", source: "graph", entity: func(*sim) string { return "AS204957" }, run: func(s *sim, t time.Time) []Record {
			// One attempt per account, spread over half a day, each from another address of
			// the same hosting network: no single address stands out.
			var recs []Record
			for i, u := range s.org.users[:min(40, len(s.org.users))] {
				ip := fmt.Sprintf("45.148.%d.%d", 10+i%4, 20+s.rng.IntN(200))
				c := cities()[7]
				c.asn = 204957
				recs = append(recs, s.signIn(t.Add(time.Duration(i*18)*time.Minute+time.Duration(s.rng.IntN(300))*time.Second), signInSpec{u: u, ip: ip, city: &c, code: 50126,
					reason: "Invalid username or password or Invalid on-premise username or password.", client: "Other clients", os: "Linux", agent: "Mozilla/5.0 (X11; Linux x86_64)"}))
			}
			return recs
		}},
		{name: "dormant_account_reactivated", source: "graph", entity: func(s *sim) string { return s.org.dormant.upn }, run: func(s *sim, t time.Time) []Record {
			far := cities()[12]
			return []Record{s.signIn(t, signInSpec{u: s.org.dormant, ip: "177.92.140.8", city: &far, code: 0, os: "Windows10", browser: "Chrome 129.0.0", agent: userAgent("Windows10", "Chrome")})}
		}},
		{name: "impossible_travel_new_device", source: "graph", entity: victimUPN, run: func(s *sim, t time.Time) []Record {
			// The person works as usual; an hour later their account signs in from the
			// other side of the world on a phone nobody has seen.
			far := cities()[15]
			return []Record{
				s.signIn(t, signInSpec{u: s.victim, ip: s.victim.ip(), code: 0, mfa: true}),
				s.signIn(t.Add(time.Duration(40+s.rng.IntN(40))*time.Minute), signInSpec{u: s.victim, ip: "101.160.44.9", city: &far, code: 0, mfa: true, os: "Android", browser: "Chrome Mobile 129", agent: "Mozilla/5.0 (Linux; Android 14)"}),
			}
		}},
		{name: "risky_signin_new_country", source: "graph", entity: victimUPN, run: func(s *sim, t time.Time) []Record {
			// A phished session (adversary in the middle): the person's password and MFA are
			// relayed from a hosting network in a country they never used, on a machine that
			// is not theirs; Entra rates the sign-in medium risk. Close enough to home that
			// no travel is impossible.
			vps := city{"Amsterdam", "North Holland", "NL", 52.37, 4.895, 1, "185.107", 206728}
			return []Record{
				s.signIn(t, signInSpec{u: s.victim, ip: "185.107.56.23", city: &vps, code: 0, mfa: true, app: "Office 365 Exchange Online",
					os: "Linux", browser: "Chrome 130.0", agent: "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/130.0.0.0", risk: "medium"}),
			}
		}},
		// Benign look-alikes: what real admins and travellers do.
		{name: "routine_role_assignment", lookalike: true, source: "graph", entity: adminUPN, run: func(s *sim, t time.Time) []Record {
			return []Record{s.audit(t, s.admin, nil, "Add member to role", "RoleManagement", "Core Directory", []map[string]any{{"id": s.victim.id, "type": "User", "userPrincipalName": s.victim.upn,
				"modifiedProperties": []map[string]any{{"displayName": "Role.DisplayName", "newValue": "\"Reports Reader\""}}}})}
		}},
		{name: "terraform_vm_batch", lookalike: true, source: "activitylog", entity: func(s *sim) string { return s.org.sps[1].appID }, run: func(s *sim, t time.Time) []Record {
			var recs []Record
			sp := s.org.sps[1]
			for i := 0; i < 20; i++ {
				recs = append(recs, s.arm(t.Add(time.Duration(i*15)*time.Second), s.org.subscriptions[0], sp.appID, sp.ip, "Microsoft.Compute/virtualMachines/write", "rg-build",
					fmt.Sprintf("Microsoft.Compute/virtualMachines/build-%02d", i), "Succeeded", map[string]any{"location": "westeurope"}))
			}
			return recs
		}},
		{name: "https_opened_to_internet", lookalike: true, source: "cloudtrail", entity: func(s *sim) string { return s.victim.upn }, run: func(s *sim, t time.Time) []Record {
			acct := s.org.awsAccounts[0]
			return []Record{s.ct(t, acct, "eu-west-1", ssoIdentity(acct, "PowerUser", s.victim), "ec2.amazonaws.com", "AuthorizeSecurityGroupIngress", s.victim.ip(), "aws-cli/2.15.0",
				map[string]any{"groupId": "sg-web", "ipPermissions": map[string]any{"items": []any{map[string]any{"ipProtocol": "tcp", "fromPort": 443, "toPort": 443, "ipRanges": map[string]any{"items": []any{map[string]any{"cidrIp": "0.0.0.0/0"}}}}}}}, nil, "", nil)}
		}},
		{name: "low_scope_consent", lookalike: true, source: "graph", entity: victimUPN, run: func(s *sim, t time.Time) []Record {
			return []Record{s.audit(t, s.victim, nil, "Consent to application", "ApplicationManagement", "Core Directory", []map[string]any{{
				"id": uuid(s.rng), "displayName": "Calendar Scheduler", "type": "ServicePrincipal",
				"modifiedProperties": []map[string]any{{"displayName": "ConsentAction.Permissions", "oldValue": "", "newValue": "\"Scope: User.Read openid profile offline_access\""}}}})}
		}},
		{name: "sanctioned_guest_invite", lookalike: true, source: "graph", entity: adminUPN, run: func(s *sim, t time.Time) []Record {
			return []Record{s.audit(t, s.admin, nil, "Invite external user", "UserManagement", "Invited Users", []map[string]any{{"id": uuid(s.rng), "type": "User", "userPrincipalName": "auditor_partnerfirm.example#EXT#@" + s.org.domain}})}
		}},
		{name: "planned_secret_rotation", lookalike: true, source: "graph", entity: adminUPN, run: func(s *sim, t time.Time) []Record {
			sp := s.org.sps[2]
			return []Record{s.audit(t, s.admin, nil, "Add service principal credentials", "ApplicationManagement", "Core Directory",
				[]map[string]any{{"id": sp.spID, "displayName": sp.name, "type": "ServicePrincipal"}})}
		}},
		{name: "admin_mistyped_password", lookalike: true, source: "graph", entity: adminUPN, run: func(s *sim, t time.Time) []Record {
			return []Record{
				s.signIn(t, signInSpec{u: s.admin, ip: s.admin.ip(), code: 50126, reason: "Invalid username or password.", app: "Azure Portal"}),
				s.signIn(t.Add(40*time.Second), signInSpec{u: s.admin, ip: s.admin.ip(), code: 0, app: "Azure Portal", mfa: true}),
			}
		}},
		{name: "new_hire_first_signin", lookalike: true, source: "graph", entity: func(s *sim) string { return s.org.users[len(s.org.users)-1].upn }, run: func(s *sim, t time.Time) []Record {
			u := s.org.users[len(s.org.users)-1]
			return []Record{s.signIn(t, signInSpec{u: u, ip: u.ip(), code: 0, mfa: true})}
		}},
		{name: "real_trip", lookalike: true, source: "graph", entity: victimUPN, run: func(s *sim, t time.Time) []Record {
			// A real flight: the last sign-in at home, the journey (airports plus the flight at
			// a jet's speed) without any, then the destination.
			dest := cities()[8]
			if dest.name == s.victim.home.name {
				dest = cities()[0]
			}
			trip := 3*time.Hour + time.Duration(distanceKm(s.victim.home, dest)/800*float64(time.Hour))
			s.victim.awayUntil = t.Add(trip)
			// Staying two days: their laptop's token refreshes come from the destination,
			// not from home (a device cannot be in both places).
			s.victim.abroad = [2]time.Time{t.Add(time.Minute), t.Add(trip + 48*time.Hour)}
			return []Record{
				s.signIn(t, signInSpec{u: s.victim, ip: s.victim.ip(), code: 0, mfa: true}),
				s.signIn(t.Add(trip), signInSpec{u: s.victim, ip: "71.190.80.12", city: &dest, code: 0, mfa: true}),
			}
		}},
	}
}

// planAttacks places each enabled scenario in the last 40% of the period, on distinct
// days and hours, with its actors.
func (s *sim) planAttacks() []plannedAttack {
	enabled := map[string]bool{}
	for _, n := range s.cfg.Scenarios {
		enabled[n] = true
	}
	var plan []plannedAttack
	first := int(float64(s.cfg.Days) * 0.6)
	span := max(1, s.cfg.Days-first-1)
	users := s.org.users
	for i, sc := range scenarios() {
		if !sc.lookalike && s.cfg.Scenarios != nil && !enabled[sc.name] {
			continue
		}
		day := first + (i*3)%span
		hour := 9 + s.rng.IntN(8)
		victim := users[len(users)/2+s.rng.IntN(len(users)/2)]
		admin := users[s.rng.IntN(max(2, len(users)/40))]
		at := s.start.Add(time.Duration(day*24+hour)*time.Hour + time.Duration(s.rng.IntN(3000))*time.Second)
		plan = append(plan, plannedAttack{sc: sc, at: at, victim: victim, admin: admin})
	}
	return plan
}

// distanceKm is the great-circle distance between two cities.
func distanceKm(a, b city) float64 {
	const r, rad = 6371.0, math.Pi / 180
	dLat, dLon := (b.lat-a.lat)*rad, (b.long-a.long)*rad
	h := math.Sin(dLat/2)*math.Sin(dLat/2) + math.Cos(a.lat*rad)*math.Cos(b.lat*rad)*math.Sin(dLon/2)*math.Sin(dLon/2)
	return 2 * r * math.Asin(math.Sqrt(h))
}
