package sim

import (
	"fmt"
	"time"
)

// background is an hour of ordinary life: people signing in during their working hours,
// token refreshes, typos and MFA prompts, admins at work, automation, AWS engineers.
func (s *sim) background(h time.Time) []Record {
	var recs []Record
	day := int(h.Sub(s.start).Hours()) / 24
	o := s.org
	for _, u := range o.users {
		if u.hireDay > 0 && day == u.hireDay-2 && h.Hour() == 14 && len(o.users) > 0 {
			// HR onboarding creates the account two days before the first day.
			admin := o.users[0]
			recs = append(recs, s.audit(h.Add(17*time.Minute), admin, nil, "Add user", "UserManagement", "Core Directory",
				[]map[string]any{{"id": u.id, "type": "User", "userPrincipalName": u.upn, "modifiedProperties": []any{}}}))
		}
		if u.leaveDay > 0 && day == u.leaveDay && h.Hour() == 16 {
			recs = append(recs, s.audit(h.Add(5*time.Minute), o.users[0], nil, "Disable account", "UserManagement", "Core Directory",
				[]map[string]any{{"id": u.id, "type": "User", "userPrincipalName": u.upn}}))
		}
		if day < u.hireDay || h.Before(u.awayUntil) || (u.leaveDay > 0 && day >= u.leaveDay && h.Hour() >= 16) || (u.leaveDay > 0 && day > u.leaveDay) {
			continue
		}
		mark := len(recs)
		local := h.Add(time.Duration(u.home.utcOffset) * time.Hour)
		working := local.Weekday() != time.Saturday && local.Weekday() != time.Sunday && local.Hour() >= 8 && local.Hour() < 18
		p := 0.22
		if !working {
			p = 0.01
		}
		if day == u.hireDay && u.hireDay > 0 && local.Hour() == 9 {
			p = 1 // a new hire's first sign-in
		}
		if s.rng.Float64() < p {
			t := h.Add(time.Duration(s.rng.IntN(3600)) * time.Second)
			dev := u.devices[s.rng.IntN(len(u.devices))]
			ip, at := s.place(u, dev, t)
			if s.rng.Float64() < 0.03 { // a mistyped password, then the right one
				recs = append(recs, s.signIn(t, signInSpec{u: u, ip: ip, city: at, code: 50126, reason: "Invalid username or password or Invalid on-premise username or password."}))
				t = t.Add(time.Duration(20+s.rng.IntN(60)) * time.Second)
			}
			if s.rng.Float64() < 0.02 { // an MFA prompt that timed out
				recs = append(recs, s.signIn(t, signInSpec{u: u, ip: ip, city: at, code: 50074, reason: "Strong Authentication is required."}))
				t = t.Add(time.Duration(30+s.rng.IntN(90)) * time.Second)
			}
			switch r := s.rng.Float64(); { // the other everyday interruptions
			case r < 0.02:
				recs = append(recs, s.signIn(t, signInSpec{u: u, ip: ip, city: at, code: 50140, reason: "This error occurred due to 'Keep me signed in' interrupt when the user was signing in."}))
				t = t.Add(20 * time.Second)
			case r < 0.03:
				recs = append(recs, s.signIn(t, signInSpec{u: u, ip: ip, city: at, code: 50076, reason: "Due to a configuration change made by your administrator, or because you moved to a new location, you must use multi-factor authentication."}))
				t = t.Add(40 * time.Second)
			case r < 0.033 && u.device.id != "":
				// Signing in from an unmanaged browser: conditional access blocks it, then the
				// person switches to their laptop.
				recs = append(recs, s.signIn(t, signInSpec{u: u, ip: ip, city: at, code: 53003, reason: "Access has been blocked by Conditional Access policies.", os: "Windows10", browser: "Chrome 129.0.0", agent: userAgent("Windows10", "Chrome")}))
				t = t.Add(2 * time.Minute)
			case r < 0.034:
				// Identity Protection flags an unfamiliar sign-in, the user passes MFA, risk remediated.
				c := u.home
				if at != nil {
					c = *at
				}
				recs = append(recs, s.risk(t, u, ip, &c, "unfamiliarFeatures", "low", "remediated"))
			}
			app := []string{"Office 365 Exchange Online", "Microsoft Teams", "Office 365 SharePoint Online"}[s.rng.IntN(3)]
			if u.admin && s.rng.Float64() < 0.4 {
				app = "Azure Portal"
			}
			recs = append(recs, s.signIn(t, signInSpec{u: u, ip: ip, city: at, code: 0, app: app, mfa: true, deviceID: dev.id, os: dev.os, browser: dev.browser, agent: dev.agent}))
			if u.awsSSO && working && s.rng.Float64() < 0.3 {
				recs = append(recs, s.awsWork(t.Add(5*time.Minute), u, ip)...)
			}
			if u.admin && working && s.rng.Float64() < 0.35 {
				recs = append(recs, s.adminWork(t.Add(10*time.Minute), u, ip)...)
			}
		}
		if working && s.rng.Float64() < 0.0005 { // a phone retrying an old password until smart lockout
			t := h.Add(time.Duration(s.rng.IntN(3000)) * time.Second)
			ip, at := s.place(u, u.devices[len(u.devices)-1], t)
			for i := 0; i < 4; i++ {
				recs = append(recs, s.signIn(t.Add(time.Duration(i)*time.Minute), signInSpec{u: u, ip: ip, city: at, code: 50126, reason: "Invalid username or password.", app: "Office 365 Exchange Online", client: "Exchange ActiveSync", nonInteractive: true}))
			}
			recs = append(recs, s.signIn(t.Add(5*time.Minute), signInSpec{u: u, ip: ip, city: at, code: 50053, reason: "Account is locked because user tried to sign in too many times with an incorrect user ID or password.", app: "Office 365 Exchange Online", client: "Exchange ActiveSync", nonInteractive: true}))
		}
		if working && s.rng.Float64() < 0.5 { // token refreshes from the desktop apps
			t := h.Add(time.Duration(s.rng.IntN(3600)) * time.Second)
			ip, at := s.place(u, u.device, t)
			recs = append(recs, s.signIn(t, signInSpec{u: u, ip: ip, city: at, app: "Microsoft Teams", nonInteractive: true}))
		}
		if u.abroadAt(h) {
			// Abroad: nothing from home, but the draws were made, so every other record of
			// the seed stays as it was.
			recs = recs[:mark]
		}
		recs = append(recs, s.personNoise(h, u)...)
	}
	recs = append(recs, s.tenantNoise(h)...)
	for _, sp := range o.sps { // automation signs in every hour
		recs = append(recs, s.spSignIn(h.Add(time.Duration(60+s.rng.IntN(600))*time.Second), sp, sp.ip, 0))
	}
	for _, mi := range o.managedIdentities { // and so do managed identities
		recs = append(recs, s.workloadSignIn(h.Add(time.Duration(60+s.rng.IntN(600))*time.Second), mi, mi.ip, 0, "ManagedIdentitySignInLogs", "managedIdentity"))
	}
	if h.Hour()%6 == 2 { // the backup automation snapshots disks
		sp := o.sps[1]
		for i := 0; i < 3; i++ {
			recs = append(recs, s.arm(h.Add(time.Duration(i*40)*time.Second), o.subscriptions[0], sp.appID, sp.ip,
				"Microsoft.Compute/snapshots/write", "rg-backup", fmt.Sprintf("Microsoft.Compute/snapshots/snap-%d", s.rng.IntN(100000)), "Succeeded",
				map[string]any{"location": homeRegion}))
		}
	}
	recs = append(recs, s.awsAutomation(h)...)
	return append(recs, s.behaviorBackground(h)...)
}

// adminWork is routine administration by an admin.
func (s *sim) adminWork(t time.Time, u *user, ip string) []Record {
	o := s.org
	target := o.users[s.rng.IntN(len(o.users))]
	switch s.rng.IntN(4) {
	case 0:
		return []Record{s.audit(t, u, nil, "Update user", "UserManagement", "Core Directory",
			[]map[string]any{{"id": target.id, "type": "User", "userPrincipalName": target.upn, "modifiedProperties": []any{}}})}
	case 1:
		return []Record{s.audit(t, u, nil, "Add member to group", "GroupManagement", "Core Directory",
			[]map[string]any{{"id": uuid(s.rng), "type": "Group", "displayName": "team-" + target.department}, {"id": target.id, "type": "User", "userPrincipalName": target.upn}})}
	case 2:
		return []Record{s.arm(t, o.subscriptions[s.rng.IntN(2)], u.upn, ip, "Microsoft.Compute/virtualMachines/write", "rg-"+target.department,
			fmt.Sprintf("Microsoft.Compute/virtualMachines/vm-%s-%d", target.department, s.rng.IntN(40)), "Succeeded", map[string]any{"location": homeRegion})}
	}
	return []Record{s.arm(t, o.subscriptions[0], u.upn, ip, "Microsoft.Storage/storageAccounts/read", "rg-data", "Microsoft.Storage/storageAccounts/stdata01", "Succeeded", nil)}
}

// awsWork is an engineer in the AWS console through SSO.
func (s *sim) awsWork(t time.Time, u *user, ip string) []Record {
	acct := s.org.awsAccounts[s.rng.IntN(2)]
	id := ssoIdentity(acct, "PowerUser", u)
	agent := u.device.agent
	recs := []Record{s.ct(t, acct, "us-east-1", id, "signin.amazonaws.com", "ConsoleLogin", ip, agent, nil,
		map[string]any{"ConsoleLogin": "Success"}, "", map[string]any{"eventType": "AwsConsoleSignIn", "additionalEventData": map[string]any{"MFAUsed": "No", "LoginTo": "https://console.aws.amazon.com/console/home"}})}
	for i := 0; i < 1+s.rng.IntN(5); i++ {
		op := []string{"DescribeInstances", "DescribeSecurityGroups", "ListBuckets", "GetMetricData", "DescribeLogGroups"}[s.rng.IntN(5)]
		src := map[string]string{"DescribeInstances": "ec2.amazonaws.com", "DescribeSecurityGroups": "ec2.amazonaws.com", "ListBuckets": "s3.amazonaws.com", "GetMetricData": "monitoring.amazonaws.com", "DescribeLogGroups": "logs.amazonaws.com"}[op]
		recs = append(recs, s.ct(t.Add(time.Duration(i+1)*time.Minute), acct, "eu-west-1", id, src, op, ip, agent, map[string]any{}, nil, "", map[string]any{"readOnly": true}))
	}
	return recs
}

// awsAutomation is CI/CD and AWS services working every hour.
func (s *sim) awsAutomation(h time.Time) []Record {
	var recs []Record
	for _, acct := range s.org.awsAccounts {
		ci := roleIdentity(acct, "ci-deployer", "gha-"+fmt.Sprint(s.rng.IntN(100000)))
		for i := 0; i < 2+s.rng.IntN(3); i++ {
			t := h.Add(time.Duration(s.rng.IntN(3600)) * time.Second)
			op := []string{"DescribeInstances", "DescribeStacks", "GetObject", "PutObject", "UpdateService"}[s.rng.IntN(5)]
			src := map[string]string{"DescribeInstances": "ec2.amazonaws.com", "DescribeStacks": "cloudformation.amazonaws.com", "GetObject": "s3.amazonaws.com", "PutObject": "s3.amazonaws.com", "UpdateService": "ecs.amazonaws.com"}[op]
			recs = append(recs, s.ct(t, acct, "eu-west-1", ci, src, op, "3.248.10.14", "aws-sdk-go-v2/1.30.0 os/linux", map[string]any{"bucketName": "artifacts"}, nil, "", nil))
		}
		svc := map[string]any{"type": "AWSService", "invokedBy": "ec2.amazonaws.com"}
		recs = append(recs, s.ct(h.Add(time.Duration(s.rng.IntN(3600))*time.Second), acct, "eu-west-1", svc, "sts.amazonaws.com", "AssumeRole", "ec2.amazonaws.com", "ec2.amazonaws.com",
			map[string]any{"roleArn": "arn:aws:iam::" + acct + ":role/app-instance", "roleSessionName": "i-0abc"}, nil, "", map[string]any{"eventType": "AwsApiCall"}))
	}
	return recs
}

// homeRegion is where the organisation's Azure resources live: every write's request body
// names it.
const homeRegion = "westeurope"
