package behavior

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"time"

	"github.com/vigil-sec/vigil/internal/event"
)

// tenant generates a small organisation's time-ordered events for the tests: people
// signing in from home and office on their devices in working hours, engineers calling a
// cloud API, a service principal signing in hourly from one address. It is the tests' own
// world, deliberately plainer than the simulator (which the detectors never import).
type tenant struct {
	rng    *rand.Rand
	people []person
	seq    int
}

type person struct {
	upn    string
	home   city
	homeIP string
	asn    int
	device string
	engr   bool
}

var cities = []city{london, newYork, paris, sydney}

func newTenant(seed uint64, n int) *tenant {
	tn := &tenant{rng: rand.New(rand.NewPCG(seed, 7))}
	for i := 0; i < n; i++ {
		c := cities[i%len(cities)]
		tn.people = append(tn.people, person{
			upn: fmt.Sprintf("p%03d@corp.example", i), home: c, homeIP: fmt.Sprintf("81.%d.%d.%d", i%4, i/250, i%250+1),
			asn: 5000 + i%4, device: fmt.Sprintf("dev-%03d", i), engr: i%3 == 0,
		})
	}
	return tn
}

// signIn is a successful interactive sign-in of p at t.
func (tn *tenant) signIn(p person, t time.Time) *event.Event {
	tn.seq++
	ev := signIn(p.upn, t.Sub(t0), p.home, p.homeIP, true, p.asn)
	ev.Metadata.UID = fmt.Sprintf("s-%d", tn.seq)
	ev.Vigil.Source = "entra.signin"
	ev.Device = &event.Device{UID: p.device, OS: "Windows 11", Browser: "Edge 120.0"}
	ev.HTTPRequest.UserAgent = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Edg/120.0.0.0"
	ev.Actor.AppName = "Office 365"
	ev.Cloud.Account.UID = "tenant-1"
	ev.AuthProto = "Browser"
	ev.LogonType = "Interactive"
	return ev
}

// apiCall is a cloud API call by p (or by a role when p.upn is an ARN) at t.
func (tn *tenant) apiCall(p person, t time.Time, op string, cat event.Category, region string) *event.Event {
	tn.seq++
	ev := &event.Event{}
	ev.SetClass(event.ClassAPIActivity, 1)
	ev.SetTime(t)
	ev.SetStatus(event.StatusSuccess)
	ev.Metadata.UID = fmt.Sprintf("a-%d", tn.seq)
	ev.Vigil.Source = "cloudtrail"
	ev.Vigil.Category = cat
	ev.Vigil.Entity = event.UserEntity(p.upn)
	ev.API.Operation = op
	ev.API.Service.Name = "ec2.amazonaws.com"
	ev.Cloud = event.Cloud{Provider: "AWS", Account: event.Account{UID: "111122223333"}, Region: region}
	ev.HTTPRequest.UserAgent = "aws-cli/2.15.0"
	ev.SrcEndpoint = event.Endpoint{IP: p.homeIP, AutonomousSystem: &event.AutonomousSystem{Number: p.asn}}
	ev.Resources = []event.Resource{{Type: "AWS::EC2::Instance"}}
	return ev
}

// days generates n days of routine from start: each person signs in on weekdays around
// 9:00 and 14:00 their time; engineers make a few describe calls.
func (tn *tenant) days(start time.Time, n int) []*event.Event {
	var out []*event.Event
	for d := 0; d < n; d++ {
		day := start.Add(time.Duration(d) * 24 * time.Hour)
		if wd := day.Weekday(); wd == time.Saturday || wd == time.Sunday {
			continue
		}
		for _, p := range tn.people {
			off := time.Duration(-p.home.long/15) * time.Hour // 9:00 local in UTC
			for _, h := range []time.Duration{9, 14} {
				t := day.Add(off + h*time.Hour + time.Duration(tn.rng.IntN(3600))*time.Second)
				out = append(out, tn.signIn(p, t))
				if p.engr {
					out = append(out, tn.apiCall(p, t.Add(5*time.Minute), "DescribeInstances", event.CategoryResourceRead, "eu-west-1"))
				}
			}
		}
	}
	sortEvents(out)
	return out
}

func sortEvents(evs []*event.Event) {
	sort.SliceStable(evs, func(i, j int) bool { return evs[i].Time < evs[j].Time })
}
