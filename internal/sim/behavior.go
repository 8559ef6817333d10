package sim

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"time"
)

// behaviorCast is the actors of the pattern-of-life scenarios, with the habits those
// scenarios break or only seem to break: a reporting job's access key, an engineer who
// deploys, a read-only inventory service principal, an autoscaler, a traveller, an on-call
// admin. They draw from their own generator, so adding them leaves every other record of a
// seed as it was.
type behaviorCast struct {
	rng *rand.Rand

	reportAccount, reportUser, reportIP string // the IAM user of the nightly finance report
	engineer                            *user  // deploys through IAM Identity Center
	reader                              *servicePrincipal
	scaler                              *servicePrincipal
	scalerVMs                           []string // build agents up since this morning
	scalerSeq                           int
	traveller, oncall                   *user
	trip                                trip
}

// trip is the traveller's conference: where, and when they sign in there.
type trip struct {
	dest   city
	abroad []time.Time // the hotel sign-in, then the conference days' sign-ins through the VPN
}

const (
	reportBucket = "northwind-finance-reports"
	usualRegion  = "westeurope" // where the subscriptions' workloads run
	boto3Agent   = "Boto3/1.34.69 md/Botocore#1.34.69 ua/2.0 os/linux#5.15.0-1051-azure md/arch#x86_64 lang/python#3.11.8 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.34.69"
)

func newBehaviorCast(seed uint64, o *org, plan []plannedAttack) *behaviorCast {
	c := &behaviorCast{rng: rand.New(rand.NewPCG(seed^0x5bd1e995, seed+0x27d4eb2f165667c5))}
	c.reportAccount, c.reportUser = o.awsAccounts[0], "report-export"
	c.reportIP = fmt.Sprintf("%s.71.%d", cities()[0].prefix, 10+c.rng.IntN(40)) // the London office's server room
	c.reader = &servicePrincipal{appID: uuid(c.rng), spID: uuid(c.rng), name: "inventory-reader", ip: fmt.Sprintf("20.50.%d.%d", 210+c.rng.IntN(20), 1+c.rng.IntN(250))}
	c.scaler = &servicePrincipal{appID: uuid(c.rng), spID: uuid(c.rng), name: "build-agent-scaler", ip: fmt.Sprintf("20.50.%d.%d", 230+c.rng.IntN(20), 1+c.rng.IntN(250))}
	people := c.bystanders(o, plan)
	c.engineer = people[0]
	for _, u := range people {
		if u.department == "engineering" {
			c.engineer = u
			break
		}
	}
	people = slices.DeleteFunc(people, func(u *user) bool { return u == c.engineer })
	c.traveller = c.engineer
	if len(people) > 0 {
		c.traveller = people[c.rng.IntN(len(people))]
	}
	admins := o.users[:max(2, len(o.users)/40)]
	c.oncall = admins[c.rng.IntN(len(admins))]
	return c
}

// bystanders are people with an ordinary period: no admin, no leaver, no new hire, not the
// dormant account and, where the tenant is large enough, no actor of another scenario.
func (c *behaviorCast) bystanders(o *org, plan []plannedAttack) []*user {
	busy := map[*user]bool{o.dormant: true}
	for _, p := range plan {
		busy[p.victim], busy[p.admin] = true, true
	}
	var plain, free []*user
	for _, u := range o.users[max(2, len(o.users)/40):] {
		if u.hireDay == 0 && u.leaveDay == 0 && u != o.dormant {
			plain = append(plain, u)
			if !busy[u] {
				free = append(free, u)
			}
		}
	}
	if len(free) >= 2 {
		return free
	}
	return plain
}

// drawFrom makes the record builders draw from r until the returned func puts s.rng back.
func (s *sim) drawFrom(r *rand.Rand) (restore func()) {
	saved := s.rng
	s.rng = r
	return func() { s.rng = saved }
}

// behaviorBackground is an hour of the cast's habits.
func (s *sim) behaviorBackground(h time.Time) []Record {
	c := s.cast
	defer s.drawFrom(c.rng)()
	var recs []Record
	if h.Hour() == 6 {
		recs = append(recs, s.nightlyReport(h.Add(time.Duration(c.rng.IntN(240))*time.Second))...)
	}
	if h.Hour()%8 == 1 {
		recs = append(recs, s.inventoryRead(h.Add(time.Duration(120+c.rng.IntN(600))*time.Second), h.Hour() == 9 || (h.Hour() == 17 && c.rng.IntN(2) == 0))...)
	}
	if weekday(h) {
		recs = append(recs, s.scaleAgents(h)...)
	}
	if u := c.engineer; !u.abroadAt(h) {
		local := h.Add(time.Duration(u.home.utcOffset) * time.Hour)
		if weekday(local) && local.Hour() >= 9 && local.Hour() < 17 && c.rng.Float64() < 0.12 {
			recs = append(recs, s.routineDeploy(h.Add(time.Duration(c.rng.IntN(3000))*time.Second))...)
		}
	}
	return recs
}

func weekday(t time.Time) bool { return t.Weekday() != time.Saturday && t.Weekday() != time.Sunday }

func (u *user) abroadAt(h time.Time) bool {
	return h.Add(time.Hour).After(u.abroad[0]) && h.Before(u.abroad[1])
}

// nightlyReport is the finance report job: every morning, from the office's server, with
// the IAM user's long-lived access key, the same few calls.
func (s *sim) nightlyReport(t time.Time) []Record {
	c := s.cast
	id := iamIdentity(c.reportAccount, c.reportUser)
	qid := uuid(s.rng)
	day := t.Format("2006-01-02")
	recs := []Record{
		s.s3Read(t, c.reportAccount, id, c.reportIP, boto3Agent, reportBucket, "config/daily-revenue.sql", 1840),
		s.ct(t.Add(4*time.Second), c.reportAccount, "eu-west-1", id, "athena.amazonaws.com", "StartQueryExecution", c.reportIP, boto3Agent,
			map[string]any{"queryString": "SELECT region, sum(amount) FROM sales.orders WHERE day = date '" + day + "' GROUP BY region", "workGroup": "reporting"},
			map[string]any{"queryExecutionId": qid}, "", nil),
	}
	for i := 1; i <= 1+s.rng.IntN(3); i++ {
		recs = append(recs, s.ct(t.Add(time.Duration(4+i*15)*time.Second), c.reportAccount, "eu-west-1", id, "athena.amazonaws.com", "GetQueryExecution", c.reportIP, boto3Agent,
			map[string]any{"queryExecutionId": qid}, nil, "", map[string]any{"readOnly": true}))
	}
	return append(recs, s.ct(t.Add(90*time.Second), c.reportAccount, "eu-west-1", id, "s3.amazonaws.com", "PutObject", c.reportIP, boto3Agent,
		map[string]any{"bucketName": reportBucket, "key": "daily/" + day + "/revenue.csv"}, nil, "",
		map[string]any{"eventCategory": "Data", "managementEvent": false, "resources": s3Resources(c.reportAccount, reportBucket, "daily/"+day+"/revenue.csv")}))
}

// s3Read is a GetObject data event.
func (s *sim) s3Read(t time.Time, account string, id map[string]any, ip, agent, bucket, key string, size int) Record {
	return s.ct(t, account, "eu-west-1", id, "s3.amazonaws.com", "GetObject", ip, agent, map[string]any{"bucketName": bucket, "key": key}, nil, "",
		map[string]any{"eventCategory": "Data", "managementEvent": false, "readOnly": true, "resources": s3Resources(account, bucket, key),
			"additionalEventData": map[string]any{"bytesTransferredOut": size}})
}

func s3Resources(account, bucket, key string) []any {
	return []any{
		map[string]any{"type": "AWS::S3::Object", "ARN": "arn:aws:s3:::" + bucket + "/" + key},
		map[string]any{"accountId": account, "type": "AWS::S3::Bucket", "ARN": "arn:aws:s3:::" + bucket},
	}
}

// inventoryRead is the inventory service principal's round: a token, a few VM reads and,
// at most twice a day, a storage account's keys for the export.
func (s *sim) inventoryRead(t time.Time, listKeys bool) []Record {
	sp, sub := s.cast.reader, s.org.subscriptions[0]
	recs := []Record{s.spSignIn(t, sp, sp.ip, 0)}
	for i := 0; i < 2+s.rng.IntN(3); i++ {
		recs = append(recs, s.arm(t.Add(time.Duration(20+i*7)*time.Second), sub, sp.appID, sp.ip, "Microsoft.Compute/virtualMachines/read", "rg-app",
			fmt.Sprintf("Microsoft.Compute/virtualMachines/vm-app-%02d", 1+s.rng.IntN(12)), "Succeeded", map[string]any{"location": usualRegion}))
	}
	if listKeys {
		recs = append(recs, s.arm(t.Add(2*time.Minute), sub, sp.appID, sp.ip, "Microsoft.Storage/storageAccounts/listKeys/action", "rg-data",
			"Microsoft.Storage/storageAccounts/stdata01", "Succeeded", map[string]any{"location": usualRegion}))
	}
	return recs
}

// scaleAgents is the build-agent autoscaler on a working day: now and then one or two agents
// in the morning, removed in the evening — a few VMs a week.
func (s *sim) scaleAgents(h time.Time) []Record {
	c := s.cast
	sp, sub := c.scaler, s.org.subscriptions[0]
	var recs []Record
	switch {
	case h.Hour() == 11 && c.rng.Float64() < 0.6:
		t := h.Add(time.Duration(c.rng.IntN(1800)) * time.Second)
		recs = append(recs, s.spSignIn(t, sp, sp.ip, 0))
		for i := 0; i < 1+c.rng.IntN(2); i++ {
			c.scalerSeq++
			name := fmt.Sprintf("agent-%03d", c.scalerSeq)
			c.scalerVMs = append(c.scalerVMs, name)
			recs = append(recs, s.vmWrite(t.Add(time.Duration(40+i*30)*time.Second), sub, sp, sp.ip, "rg-build-agents", name, usualRegion, "Standard_D4s_v5"))
		}
	case h.Hour() == 18 && len(c.scalerVMs) > 0:
		t := h.Add(time.Duration(c.rng.IntN(1800)) * time.Second)
		recs = append(recs, s.spSignIn(t, sp, sp.ip, 0))
		for i, name := range c.scalerVMs {
			recs = append(recs, s.arm(t.Add(time.Duration(40+i*30)*time.Second), sub, sp.appID, sp.ip, "Microsoft.Compute/virtualMachines/delete", "rg-build-agents",
				"Microsoft.Compute/virtualMachines/"+name, "Succeeded", map[string]any{"location": usualRegion}))
		}
		c.scalerVMs = c.scalerVMs[:0]
	}
	return recs
}

// vmWrite is a VM created by a service principal, with the request body ARM records.
func (s *sim) vmWrite(t time.Time, sub string, sp *servicePrincipal, ip, group, name, region, size string) Record {
	body := fmt.Sprintf(`{"location":%q,"properties":{"hardwareProfile":{"vmSize":%q},"storageProfile":{"imageReference":{"publisher":"Canonical","offer":"ubuntu-24_04-lts","sku":"server","version":"latest"}}}}`, region, size)
	return s.arm(t, sub, sp.appID, ip, "Microsoft.Compute/virtualMachines/write", group, "Microsoft.Compute/virtualMachines/"+name, "Succeeded",
		map[string]any{"location": region, "requestbody": body})
}

// routineDeploy is the engineer rolling out a service from the command line.
func (s *sim) routineDeploy(t time.Time) []Record {
	u, acct := s.cast.engineer, s.org.awsAccounts[0]
	id, ip, agent := ssoIdentity(acct, "PlatformEngineer", u), u.ip(), cliAgent(u)
	service := []string{"orders-api", "billing-worker", "search-indexer"}[s.rng.IntN(3)]
	read := map[string]any{"readOnly": true}
	return []Record{
		s.ct(t, acct, "eu-west-1", id, "cloudformation.amazonaws.com", "DescribeStacks", ip, agent, map[string]any{"stackName": service}, nil, "", read),
		s.ct(t.Add(20*time.Second), acct, "eu-west-1", id, "ecr.amazonaws.com", "DescribeImages", ip, agent, map[string]any{"repositoryName": service}, nil, "", read),
		s.ct(t.Add(50*time.Second), acct, "eu-west-1", id, "ecs.amazonaws.com", "UpdateService", ip, agent,
			map[string]any{"cluster": "prod", "service": service, "taskDefinition": fmt.Sprintf("%s:%d", service, 100+s.rng.IntN(400)), "forceNewDeployment": false}, nil, "", nil),
		s.ct(t.Add(3*time.Minute), acct, "eu-west-1", id, "ecs.amazonaws.com", "DescribeServices", ip, agent, map[string]any{"cluster": "prod", "services": []string{service}}, nil, "", read),
		s.ct(t.Add(5*time.Minute), acct, "eu-west-1", id, "logs.amazonaws.com", "FilterLogEvents", ip, agent, map[string]any{"logGroupName": "/ecs/" + service}, nil, "", read),
	}
}

// cliAgent is the AWS CLI on a person's laptop.
func cliAgent(u *user) string {
	os := map[string]string{"MacOs": "macos#23.6.0", "Linux": "linux#6.8.0-45-generic"}[u.device.os]
	if os == "" {
		os = "windows#10"
	}
	return "aws-cli/2.17.20 md/awscrt#0.20.11 ua/2.0 os/" + os + " md/arch#x86_64 lang/python#3.11.9 md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe"
}

// planTrip sends the traveller to a conference abroad, leaving after a last sign-in at home:
// the flight takes 3 h plus the distance at 800 km/h, the hotel's network is the first
// sign-in there, the VPN every one after; they fly back after the second conference day.
// Sign-ins are kept before limit, the end of the period.
func (c *behaviorCast) planTrip(leave, limit time.Time) {
	u := c.traveller
	var far []city
	for _, ct := range cities() {
		if ct.country != u.home.country {
			far = append(far, ct)
		}
	}
	dest := far[c.rng.IntN(len(far))]
	flight := 3*time.Hour + time.Duration(distanceKm(u.home, dest)/800*float64(time.Hour))
	hotel := leave.Add(flight + time.Duration(40+c.rng.IntN(60))*time.Minute)
	offset := time.Duration(dest.utcOffset) * time.Hour
	arrivalDay := hotel.Add(offset).Truncate(24 * time.Hour).Add(-offset) // local midnight, in UTC
	var abroad []time.Time
	if hotel.Before(limit) {
		abroad = append(abroad, hotel)
	}
	for d := 1; d <= 2; d++ {
		for _, hour := range []time.Duration{8, 13} {
			t := arrivalDay.Add(time.Duration(d)*24*time.Hour + hour*time.Hour + time.Duration(c.rng.IntN(1800))*time.Second)
			if len(abroad) > 0 && t.After(hotel.Add(2*time.Hour)) && t.Add(time.Hour).Before(limit) {
				abroad = append(abroad, t)
			}
		}
	}
	c.trip = trip{dest: dest, abroad: abroad}
	back := leave.Add(flight)
	if len(abroad) > 0 {
		back = abroad[len(abroad)-1].Add(5*time.Hour + flight)
	}
	u.abroad = [2]time.Time{leave, back}
}
