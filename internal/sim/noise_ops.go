package sim

import (
	"fmt"
	"time"
)

// sharedMailbox is an account several people sign in as (a shared mailbox whose sign-in was
// never blocked): its sign-ins come from each sharer's desk.
type sharedMailbox struct {
	acct    *user
	sharers []*user
}

func (n *noise) newSharedMailbox(o *org, i int) *sharedMailbox {
	name := []string{"support", "accounts-payable", "reception", "recruiting", "sales-desk"}[i%5]
	if i >= 5 {
		name = fmt.Sprintf("%s%d", name, i/5)
	}
	m := &sharedMailbox{acct: &user{upn: name + "@" + o.domain, display: name, id: uuid(n.rng), home: o.users[0].home, ipSuffix: 3}}
	m.acct.device = device{os: "Windows10", browser: "Edge 129.0.0", agent: userAgent("Windows10", "Edge")}
	m.acct.devices = []device{m.acct.device}
	for j := 0; j < 3+n.rng.IntN(3); j++ {
		m.sharers = append(m.sharers, o.users[n.rng.IntN(len(o.users))])
	}
	return m
}

// tenantNoise is an hour of the tenant-wide background behaviours: shared mailboxes, ROPC
// service accounts, partner guests, PIM activations, the CSPM scanner, root for billing and
// AWS SSO sessions.
func (s *sim) tenantNoise(h time.Time) []Record {
	n := s.noise
	defer s.drawFrom(n.rng)()
	var recs []Record
	at := func() time.Time { return h.Add(time.Duration(n.rng.IntN(3600)) * time.Second) }
	working := func(c city) bool {
		l := h.Add(time.Duration(c.utcOffset) * time.Hour)
		return weekday(l) && l.Hour() >= 8 && l.Hour() < 18
	}
	for _, m := range n.shared { // shared_mailbox
		for _, p := range m.sharers {
			if p.abroadAt(h) || !working(p.home) || n.rng.Float64() >= 0.05 {
				continue
			}
			t := at()
			dev := p.devices[0]
			ip, c := s.place(p, dev, t)
			recs = append(recs, s.signIn(t, signInSpec{u: m.acct, ip: ip, city: c, app: "Office 365 Exchange Online",
				deviceID: dev.id, os: dev.os, browser: dev.browser, agent: dev.agent}))
		}
	}
	for i, a := range n.ropc { // ropc_service_account: a password in a config file, every hour, day and night
		if n.rng.Float64() >= 0.9 {
			continue
		}
		ip, c := fmt.Sprintf("81.2.71.%d", a.ipSuffix), (*city)(nil)
		if i%2 == 1 {
			vm := city{"Amsterdam", "North Holland", "NL", 52.37, 4.9, 1, "20.50", 8075}
			ip, c = fmt.Sprintf("20.50.%d.%d", 100+i, a.ipSuffix), &vm
		}
		recs = append(recs, s.signIn(at(), signInSpec{u: a, ip: ip, city: c, app: a.display, appID: fmt.Sprintf("5e1f0000-0000-4000-8000-%012d", i),
			resource: "Office 365 Exchange Online", client: "Mobile Apps and Desktop clients", protocol: "ropc", bare: true, agent: "python-requests/2.28.1"}))
	}
	for _, g := range n.guests { // partner_guest
		if !working(g.home) || n.rng.Float64() >= 0.06 {
			continue
		}
		t := at()
		dev := g.devices[0]
		ip, c := s.guestPlace(g)
		recs = append(recs, s.signIn(t, signInSpec{u: g, ip: ip, city: c, app: []string{"Microsoft Teams", "Office 365 SharePoint Online"}[n.rng.IntN(2)], mfa: true,
			os: dev.os, browser: dev.browser, agent: dev.agent}))
		if n.rng.Float64() < 0.5 {
			recs = append(recs, s.signIn(t.Add(40*time.Minute), signInSpec{u: g, ip: ip, city: c, app: "Microsoft Teams", nonInteractive: true,
				os: dev.os, browser: dev.browser, agent: dev.agent}))
		}
	}
	for i, u := range s.org.users { // pim_activation
		if !u.admin {
			break
		}
		if u.abroadAt(h) || !working(u.home) || n.rng.Float64() >= 0.05 {
			continue
		}
		recs = append(recs, s.pimActivation(at(), u, pimRoles()[i%len(pimRoles())])...)
	}
	recs = append(recs, s.cspmScan(h)...)
	recs = append(recs, s.rootBilling(h)...)
	for _, u := range s.org.users { // aws_sso_session: the access portal, then the CLI
		if !u.awsSSO || u.abroadAt(h) || !working(u.home) || n.rng.Float64() >= 0.03 || u.hireDay > 0 || u.leaveDay > 0 || u == s.org.dormant {
			continue
		}
		recs = append(recs, s.ssoSession(at(), u)...)
	}
	return recs
}

func (s *sim) guestPlace(g *user) (string, *city) {
	hb := s.noise.habits[g]
	if hb != nil && hb.sse && s.noise.rng.Float64() < 0.8 {
		node := hb.sseNodes[0]
		return s.noise.poolAddr(node), &node
	}
	return g.ip(), nil
}

func pimRoles() []string {
	return []string{"Global Administrator", "User Administrator", "Exchange Administrator", "Security Administrator", "Intune Administrator", "Application Administrator"}
}

// pimActivation is an admin activating an eligible role for eight hours: PIM's request and
// completion, and the directory's own "Add member to role" by the MS-PIM service.
func (s *sim) pimActivation(t time.Time, u *user, role string) []Record {
	pim := &servicePrincipal{appID: "01fc33a7-78ba-4d2f-a4b7-768e336e890e", spID: "2ae6e2d4-0000-4000-8000-000000000001", name: "MS-PIM"}
	roleTarget := map[string]any{"id": fmt.Sprintf("62e90394-69f5-4237-9190-%012x", len(role)), "type": "Role", "displayName": role}
	userTarget := map[string]any{"id": u.id, "type": "User", "userPrincipalName": u.upn,
		"modifiedProperties": []map[string]any{{"displayName": "Role.DisplayName", "oldValue": nil, "newValue": `"` + role + `"`}}}
	return []Record{
		s.audit(t, u, nil, "Add member to role requested (PIM activation)", "RoleManagement", "PIM", []map[string]any{roleTarget, {"id": u.id, "type": "User", "userPrincipalName": u.upn}}),
		s.audit(t.Add(20*time.Second), u, nil, "Add member to role completed (PIM activation)", "RoleManagement", "PIM", []map[string]any{roleTarget, {"id": u.id, "type": "User", "userPrincipalName": u.upn}}),
		s.audit(t.Add(25*time.Second), nil, pim, "Add member to role", "RoleManagement", "Core Directory", []map[string]any{userTarget}),
		s.audit(t.Add(8*time.Hour), nil, pim, "Remove member from role", "RoleManagement", "Core Directory", []map[string]any{userTarget}),
	}
}

// cspmScan is cspm_scanner: a posture-management vendor that reads the whole estate every
// six hours from its own cloud — its service principal in Azure, a cross-account role with
// an external id in AWS, every region.
func (s *sim) cspmScan(h time.Time) []Record {
	if h.Hour()%6 != 3 {
		return nil
	}
	n, sc := s.noise, s.noise.scanner
	var recs []Record
	t := h.Add(time.Duration(5+n.rng.IntN(10)) * time.Minute)
	recs = append(recs, s.spSignIn(t, sc, sc.ip, 0))
	for i, sub := range s.org.subscriptions {
		recs = append(recs, s.arm(t.Add(time.Duration(1+i)*time.Minute), sub, sc.appID, sc.ip, "Microsoft.Web/sites/config/list/action", "rg-web", "Microsoft.Web/sites/app-portal/config/appsettings", "Succeeded", nil))
		if n.rng.Float64() < 0.3 {
			recs = append(recs, s.arm(t.Add(time.Duration(2+i)*time.Minute), sub, sc.appID, sc.ip, "Microsoft.Storage/storageAccounts/listKeys/action", "rg-data", "Microsoft.Storage/storageAccounts/stdata01", "Succeeded", nil))
		}
	}
	regions := []string{"us-east-1", "us-east-2", "us-west-2", "eu-west-1", "eu-central-1", "eu-north-1", "ap-southeast-1", "ap-northeast-1", "sa-east-1"}
	ops := [][2]string{{"ec2.amazonaws.com", "DescribeInstances"}, {"ec2.amazonaws.com", "DescribeSecurityGroups"}, {"ec2.amazonaws.com", "DescribeVpcs"},
		{"ec2.amazonaws.com", "DescribeSnapshots"}, {"lambda.amazonaws.com", "ListFunctions20150331"}, {"rds.amazonaws.com", "DescribeDBInstances"}, {"kms.amazonaws.com", "ListKeys"}}
	global := [][2]string{{"iam.amazonaws.com", "GetAccountAuthorizationDetails"}, {"iam.amazonaws.com", "ListUsers"}, {"iam.amazonaws.com", "ListRoles"},
		{"iam.amazonaws.com", "GenerateCredentialReport"}, {"s3.amazonaws.com", "ListBuckets"}, {"s3.amazonaws.com", "GetBucketPolicy"}, {"cloudtrail.amazonaws.com", "DescribeTrails"}}
	for _, acct := range s.org.awsAccounts {
		session := fmt.Sprintf("acme-scan-%d", n.rng.IntN(1000000))
		id := roleIdentity(acct, "AcmeCSPMReadOnly", session)
		recs = append(recs, s.ct(t, acct, "us-east-1", map[string]any{"type": "AWSAccount", "principalId": "AIDAVENDOR0000000001", "accountId": "012345678901"},
			"sts.amazonaws.com", "AssumeRole", sc.ip, "aws-sdk-go-v2/1.24.0", map[string]any{"roleArn": "arn:aws:iam::" + acct + ":role/AcmeCSPMReadOnly", "roleSessionName": session, "externalId": "acme-7f3a"}, nil, "", nil))
		k := 0
		for _, op := range global {
			k++
			recs = append(recs, s.ct(t.Add(time.Duration(k)*3*time.Second), acct, "us-east-1", id, op[0], op[1], sc.ip, "aws-sdk-go-v2/1.24.0", map[string]any{}, nil, "", map[string]any{"readOnly": true}))
		}
		for _, region := range regions {
			for _, op := range ops {
				k++
				recs = append(recs, s.ct(t.Add(time.Duration(k)*3*time.Second), acct, region, id, op[0], op[1], sc.ip, "aws-sdk-go-v2/1.24.0", map[string]any{}, nil, "", map[string]any{"readOnly": true}))
			}
		}
	}
	return recs
}

// rootBilling is root_for_billing: once in the period, finance signs in to each AWS account
// as root, with MFA, from the London office, to read the invoice and the cost forecast.
func (s *sim) rootBilling(h time.Time) []Record {
	day := int(h.Sub(s.start).Hours()) / 24
	if s.cfg.Days < 7 || day != s.cfg.Days/2 || h.Hour() != 11 {
		return nil
	}
	var recs []Record
	ip := "81.2.71.5"
	agent := userAgent("Windows10", "Edge")
	for i, acct := range s.org.awsAccounts {
		t := h.Add(time.Duration(10+i*25) * time.Minute)
		root := map[string]any{"type": "Root", "principalId": acct, "arn": "arn:aws:iam::" + acct + ":root", "accountId": acct}
		recs = append(recs, s.ct(t, acct, "us-east-1", root, "signin.amazonaws.com", "ConsoleLogin", ip, agent, nil, map[string]any{"ConsoleLogin": "Success"}, "",
			map[string]any{"eventType": "AwsConsoleSignIn", "additionalEventData": map[string]any{"MFAUsed": "Yes", "LoginTo": "https://console.aws.amazon.com/billing/home"}}))
		// The console session's calls carry its MFA, as CloudTrail records a console session's.
		session := map[string]any{"type": "Root", "principalId": acct, "arn": "arn:aws:iam::" + acct + ":root", "accountId": acct, "accessKeyId": "ASIA4EXAMPLEROOT0001",
			"sessionContext": map[string]any{"attributes": map[string]any{"creationDate": t.UTC().Format(time.RFC3339), "mfaAuthenticated": "true"}}}
		for j, op := range [][2]string{{"ce.amazonaws.com", "GetCostAndUsage"}, {"ce.amazonaws.com", "GetCostForecast"}, {"account.amazonaws.com", "GetContactInformation"}} {
			recs = append(recs, s.ct(t.Add(time.Duration(j+1)*time.Minute), acct, "us-east-1", session, op[0], op[1], ip, agent, map[string]any{}, nil, "", map[string]any{"readOnly": true}))
		}
	}
	return recs
}

// ssoSession is an engineer through the AWS access portal: the Entra sign-in to the IAM
// Identity Center app, the portal handing out role credentials, then CLI reads.
func (s *sim) ssoSession(t time.Time, u *user) []Record {
	n := s.noise
	dev := u.devices[0]
	ip, c := s.place(u, dev, t)
	acct := s.org.awsAccounts[n.rng.IntN(len(s.org.awsAccounts))]
	recs := []Record{s.signIn(t, signInSpec{u: u, ip: ip, city: c, app: "AWS IAM Identity Center", mfa: true, deviceID: dev.id, os: dev.os, browser: dev.browser, agent: dev.agent})}
	portal := map[string]any{"type": "Unknown", "principalId": u.id, "accountId": acct, "userName": u.upn}
	recs = append(recs, s.ct(t.Add(time.Minute), acct, "eu-west-1", portal, "sso.amazonaws.com", "GetRoleCredentials", ip, "aws-cli/2.15.30 Python/3.11.8",
		map[string]any{"roleName": "ReadOnly", "accountId": acct}, nil, "", map[string]any{"readOnly": true}))
	id := ssoIdentity(acct, "ReadOnly", u)
	for i := 0; i < 2+n.rng.IntN(5); i++ {
		op := [][2]string{{"ec2.amazonaws.com", "DescribeInstances"}, {"logs.amazonaws.com", "FilterLogEvents"}, {"s3.amazonaws.com", "ListBuckets"}, {"ecs.amazonaws.com", "DescribeServices"}}[n.rng.IntN(4)]
		recs = append(recs, s.ct(t.Add(time.Duration(2+i)*time.Minute), acct, "eu-west-1", id, op[0], op[1], ip, "aws-cli/2.15.30 Python/3.11.8", map[string]any{}, nil, "", map[string]any{"readOnly": true}))
	}
	return recs
}
