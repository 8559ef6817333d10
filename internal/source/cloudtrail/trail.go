package cloudtrail

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"github.com/aws/smithy-go"

	"github.com/vigil-sec/vigil/internal/alert"
)

// trailAPI is the part of the CloudTrail API the trail check and auto-configure call.
type trailAPI interface {
	DescribeTrails(ctx context.Context, in *cloudtrail.DescribeTrailsInput, opts ...func(*cloudtrail.Options)) (*cloudtrail.DescribeTrailsOutput, error)
	GetTrailStatus(ctx context.Context, in *cloudtrail.GetTrailStatusInput, opts ...func(*cloudtrail.Options)) (*cloudtrail.GetTrailStatusOutput, error)
	GetEventSelectors(ctx context.Context, in *cloudtrail.GetEventSelectorsInput, opts ...func(*cloudtrail.Options)) (*cloudtrail.GetEventSelectorsOutput, error)
	CreateTrail(ctx context.Context, in *cloudtrail.CreateTrailInput, opts ...func(*cloudtrail.Options)) (*cloudtrail.CreateTrailOutput, error)
	UpdateTrail(ctx context.Context, in *cloudtrail.UpdateTrailInput, opts ...func(*cloudtrail.Options)) (*cloudtrail.UpdateTrailOutput, error)
	StartLogging(ctx context.Context, in *cloudtrail.StartLoggingInput, opts ...func(*cloudtrail.Options)) (*cloudtrail.StartLoggingOutput, error)
	PutEventSelectors(ctx context.Context, in *cloudtrail.PutEventSelectorsInput, opts ...func(*cloudtrail.Options)) (*cloudtrail.PutEventSelectorsOutput, error)
}

// newTrailAPI is the CloudTrail client, or nil in restricted mode or with the check off,
// so that no code path can call the API then.
func newTrailAPI(cfg aws.Config, c Config) trailAPI {
	if !c.usesTrailAPI() {
		return nil
	}
	return cloudtrail.NewFromConfig(cfg, func(o *cloudtrail.Options) {
		if c.CloudTrailEndpoint != "" {
			o.BaseEndpoint = aws.String(c.CloudTrailEndpoint)
		}
	})
}

// usesTrailAPI says whether the trail check calls the CloudTrail API: never in restricted
// mode, and only when there is a trail to find (by bucket, or by trail_name).
func (c Config) usesTrailAPI() bool {
	return c.TrailCheck && !c.Restricted && (c.Bucket != "" || c.TrailName != "")
}

// The checks a finding belongs to.
const (
	CheckAPIAccess        = "api_access"        // the CloudTrail API answered
	CheckTrailExists      = "trail_exists"      // a trail delivers to the bucket and prefix
	CheckLogging          = "logging"           // the trail is logging
	CheckDeliveryError    = "delivery_error"    // CloudTrail reports no delivery error
	CheckMultiRegion      = "multi_region"      // every region, and global service events
	CheckManagementEvents = "management_events" // management events are selected
	CheckRecentDelivery   = "recent_delivery"   // a file was delivered within delivery_max_age
	CheckBucketReadable   = "bucket_readable"   // the source can list and get the bucket's files
	CheckAutoConfigure    = "auto_configure"    // a repair auto-configure tried failed
)

// Finding is one thing wrong with the trail or its bucket, in plain words and with what
// to do about it.
type Finding struct {
	Check    string
	Trail    string // the trail's ARN, or "" when no trail is concerned
	Problem  string
	Fix      string
	Severity alert.Severity
	// Since is when the check first failed in this run of failures.
	Since time.Time
}

func (f Finding) String() string { return f.Problem + " — to fix: " + f.Fix }

// key is what makes two findings the same one: the check and the trail, and for a failed
// call which call it was (a denied GetTrailStatus and a denied GetEventSelectors are two).
func (f Finding) key() string {
	k := f.Check + "\x00" + f.Trail
	if f.Check == CheckAPIAccess || f.Check == CheckAutoConfigure {
		k += "\x00" + f.Problem
	}
	return k
}

// trailView is what the API said of one trail.
type trailView struct {
	trail     types.Trail
	status    *cloudtrail.GetTrailStatusOutput
	selectors *cloudtrail.GetEventSelectorsOutput
}

func (v *trailView) arn() string  { return aws.ToString(v.trail.TrailARN) }
func (v *trailView) name() string { return aws.ToString(v.trail.Name) }

// inspection is one check's result.
type inspection struct {
	findings []Finding
	view     *trailView // the trail found (nil: none, or the API is not used)
	missing  bool       // the API answered and no trail delivers to the bucket and prefix
	// elsewhere: a trail delivers to the bucket under another prefix (auto-configure then
	// creates no second trail, which would bill every management event twice).
	elsewhere bool
}

func (r *inspection) add(check, trail string, sev alert.Severity, problem, fix string) {
	r.findings = append(r.findings, Finding{Check: check, Trail: trail, Severity: sev, Problem: problem, Fix: fix})
}

// inspect runs every check: the bucket's through S3, the trail's through the CloudTrail
// API when the source may call it.
func (s *Source) inspect(ctx context.Context) (*inspection, error) {
	r := &inspection{}
	apiDelivery := false
	if s.trails != nil {
		if err := s.inspectTrail(ctx, r); err != nil {
			return nil, err
		}
		apiDelivery = r.view != nil && r.view.status != nil
	}
	if err := s.inspectBucket(ctx, r, !apiDelivery); err != nil {
		return nil, err
	}
	return r, nil
}

// inspectTrail finds the trail that delivers to the bucket (or the one trail_name names)
// and checks it. Only the context's end is returned as an error; the API's errors are
// findings.
func (s *Source) inspectTrail(ctx context.Context, r *inspection) error {
	in := &cloudtrail.DescribeTrailsInput{IncludeShadowTrails: aws.Bool(true)}
	if s.cfg.TrailName != "" {
		in.TrailNameList = []string{s.cfg.TrailName}
	}
	out, err := s.trails.DescribeTrails(ctx, in)
	if err != nil {
		return s.apiFinding(ctx, r, "", "DescribeTrails", "check the trail", err)
	}
	var candidates, elsewhere []types.Trail
	for _, t := range out.TrailList {
		switch {
		case s.cfg.TrailName != "" || (aws.ToString(t.S3BucketName) == s.cfg.Bucket && samePrefix(aws.ToString(t.S3KeyPrefix), s.cfg.Prefix)):
			candidates = append(candidates, t)
		case aws.ToString(t.S3BucketName) == s.cfg.Bucket:
			elsewhere = append(elsewhere, t)
		}
	}
	if len(candidates) == 0 {
		r.missing, r.elsewhere = true, len(elsewhere) > 0
		r.add(CheckTrailExists, "", alert.SeverityHigh, s.noTrailProblem(elsewhere), s.noTrailFix(elsewhere))
		return nil
	}
	var best *inspection
	for _, t := range candidates {
		one := &inspection{view: &trailView{trail: t}}
		if err := s.inspectOne(ctx, one); err != nil {
			return err
		}
		if best == nil || len(one.findings) < len(best.findings) {
			best = one
		}
	}
	r.view = best.view
	r.findings = append(r.findings, best.findings...)
	return nil
}

func samePrefix(a, b string) bool { return strings.Trim(a, "/") == strings.Trim(b, "/") }

func (s *Source) where() string {
	p := strings.Trim(s.cfg.Prefix, "/")
	if p != "" {
		p += "/"
	}
	return "s3://" + s.cfg.Bucket + "/" + p
}

func (s *Source) noTrailProblem(elsewhere []types.Trail) string {
	if s.cfg.TrailName != "" {
		return fmt.Sprintf("no trail named %s is visible to Vigil in %s: the trail it should read does not exist", s.cfg.TrailName, s.regionOr())
	}
	msg := fmt.Sprintf("no CloudTrail trail delivers to %s: nothing new will arrive there and Vigil will see no AWS activity", s.where())
	if len(elsewhere) > 0 {
		msg += fmt.Sprintf(" (trail %s delivers to the bucket under the prefix %q)", aws.ToString(elsewhere[0].Name), aws.ToString(elsewhere[0].S3KeyPrefix))
	}
	return msg
}

func (s *Source) noTrailFix(elsewhere []types.Trail) string {
	if len(elsewhere) > 0 {
		return fmt.Sprintf("set the source's prefix to %q, or point the trail at %s", aws.ToString(elsewhere[0].S3KeyPrefix), s.where())
	}
	return fmt.Sprintf("create a multi-region trail that delivers to %s and start logging (aws cloudtrail create-trail --name vigil --s3-bucket-name %s --is-multi-region-trail; aws cloudtrail start-logging --name vigil), or set auto_configure: true", s.where(), s.cfg.Bucket)
}

// inspectOne checks one trail's status and selectors.
func (s *Source) inspectOne(ctx context.Context, r *inspection) error {
	v := r.view
	arn := v.arn()
	if !aws.ToBool(v.trail.IsMultiRegionTrail) {
		r.add(CheckMultiRegion, arn, alert.SeverityMedium,
			fmt.Sprintf("trail %s records only %s: activity in every other region is not seen", v.name(), aws.ToString(v.trail.HomeRegion)),
			fmt.Sprintf("make it multi-region (aws cloudtrail update-trail --name %s --is-multi-region-trail --include-global-service-events), or set auto_configure: true", v.name()))
	} else if !aws.ToBool(v.trail.IncludeGlobalServiceEvents) {
		r.add(CheckMultiRegion, arn, alert.SeverityMedium,
			fmt.Sprintf("trail %s leaves out global service events: IAM, STS and sign-in activity is not seen", v.name()),
			fmt.Sprintf("aws cloudtrail update-trail --name %s --include-global-service-events, or set auto_configure: true", v.name()))
	}
	st, err := s.trails.GetTrailStatus(ctx, &cloudtrail.GetTrailStatusInput{Name: aws.String(arn)})
	if err != nil {
		if err := s.apiFinding(ctx, r, arn, "GetTrailStatus", "check whether trail "+v.name()+" is logging", err); err != nil {
			return err
		}
	} else {
		v.status = st
		s.checkStatus(r, v)
	}
	sel, err := s.trails.GetEventSelectors(ctx, &cloudtrail.GetEventSelectorsInput{TrailName: aws.String(arn)})
	if err != nil {
		return s.apiFinding(ctx, r, arn, "GetEventSelectors", "check which events trail "+v.name()+" records", err)
	}
	v.selectors = sel
	reads, writes := managementCoverage(sel)
	switch {
	case !reads && !writes:
		r.add(CheckManagementEvents, arn, alert.SeverityHigh,
			fmt.Sprintf("trail %s records no management events: sign-ins, IAM changes and every other control-plane call are not seen", v.name()),
			s.selectorFix(v))
	case !writes:
		r.add(CheckManagementEvents, arn, alert.SeverityHigh,
			fmt.Sprintf("trail %s records only read-only management events: every change made in the account is not seen", v.name()),
			s.selectorFix(v))
	case !reads && !s.cfg.WriteOnly:
		r.add(CheckManagementEvents, arn, alert.SeverityLow,
			fmt.Sprintf("trail %s records only write management events: read-only calls (List*, Describe*, Get*: reconnaissance) are not seen", v.name()),
			"select all management events, or set write_only: true if that is what you want; "+s.selectorFix(v))
	}
	return nil
}

func (s *Source) selectorFix(v *trailView) string {
	rw := "All"
	if s.cfg.WriteOnly {
		rw = "WriteOnly"
	}
	return fmt.Sprintf("aws cloudtrail put-event-selectors --trail-name %s --event-selectors '[{\"ReadWriteType\":\"%s\",\"IncludeManagementEvents\":true}]' (keep your data event selectors), or set auto_configure: true", v.name(), rw)
}

// checkStatus reads logging, the delivery error and the delivery's age from the status.
func (s *Source) checkStatus(r *inspection, v *trailView) {
	st, arn, now := v.status, v.arn(), s.now()
	if !aws.ToBool(st.IsLogging) {
		since := ""
		if t := aws.ToTime(st.StopLoggingTime); !t.IsZero() {
			since = " since " + t.UTC().Format(time.RFC3339)
		}
		r.add(CheckLogging, arn, alert.SeverityHigh,
			fmt.Sprintf("trail %s is not logging%s: CloudTrail records nothing, so Vigil sees no AWS activity (stopping a trail is also how an attacker hides)", v.name(), since),
			fmt.Sprintf("start it (aws cloudtrail start-logging --name %s) and find out who stopped it (StopLogging in the trail's events), or set auto_configure: true", v.name()))
	}
	if e := aws.ToString(st.LatestDeliveryError); e != "" {
		r.add(CheckDeliveryError, arn, alert.SeverityHigh,
			fmt.Sprintf("CloudTrail cannot deliver trail %s's files to %s: %s", v.name(), s.where(), e),
			"let cloudtrail.amazonaws.com s3:PutObject on the bucket in its bucket policy (and kms:GenerateDataKey* in the key policy when the trail encrypts with KMS); see docs/cloudtrail.md")
	}
	maxAge := s.cfg.DeliveryMaxAge.D()
	if maxAge <= 0 || !aws.ToBool(st.IsLogging) {
		return
	}
	last, started := aws.ToTime(st.LatestDeliveryTime), aws.ToTime(st.StartLoggingTime)
	switch {
	case !last.IsZero() && now.Sub(last) > maxAge:
		r.add(CheckRecentDelivery, arn, alert.SeverityMedium,
			fmt.Sprintf("trail %s last delivered a file at %s, %s ago (more than delivery_max_age %s)", v.name(), last.UTC().Format(time.RFC3339), now.Sub(last).Round(time.Minute), maxAge),
			"look at the trail's delivery error and the bucket policy; a quiet account may deliver rarely, then raise delivery_max_age")
	case last.IsZero() && now.Sub(started) > maxAge:
		r.add(CheckRecentDelivery, arn, alert.SeverityMedium,
			fmt.Sprintf("trail %s has never delivered a file", v.name()),
			"look at the trail's delivery error and the bucket policy (cloudtrail.amazonaws.com needs s3:PutObject)")
	}
}

// managementCoverage says whether the selectors record read-only and write management
// events, classic or advanced.
func managementCoverage(sel *cloudtrail.GetEventSelectorsOutput) (reads, writes bool) {
	for _, es := range sel.EventSelectors {
		if es.IncludeManagementEvents != nil && !*es.IncludeManagementEvents {
			continue
		}
		switch es.ReadWriteType {
		case types.ReadWriteTypeReadOnly:
			reads = true
		case types.ReadWriteTypeWriteOnly:
			writes = true
		default:
			reads, writes = true, true
		}
	}
	for _, as := range sel.AdvancedEventSelectors {
		if !isManagementSelector(as) {
			continue
		}
		r, w := true, true
		for _, f := range as.FieldSelectors {
			if aws.ToString(f.Field) != "readOnly" {
				continue
			}
			switch {
			case contains(f.Equals, "true") || contains(f.NotEquals, "false"):
				w = false
			case contains(f.Equals, "false") || contains(f.NotEquals, "true"):
				r = false
			}
		}
		reads, writes = reads || r, writes || w
	}
	return reads, writes
}

func isManagementSelector(as types.AdvancedEventSelector) bool {
	for _, f := range as.FieldSelectors {
		if aws.ToString(f.Field) == "eventCategory" && contains(f.Equals, "Management") {
			return true
		}
	}
	return false
}

func contains(vs []string, v string) bool {
	for _, x := range vs {
		if strings.EqualFold(x, v) {
			return true
		}
	}
	return false
}

// apiFinding turns a failed CloudTrail call into a finding that names the permission
// (cloudtrail:OP) when the call was denied. It returns only the context's end.
func (s *Source) apiFinding(ctx context.Context, r *inspection, arn, op, doing string, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	code := ""
	var ae smithy.APIError
	if errors.As(err, &ae) {
		code = ae.ErrorCode()
	}
	if code == "AccessDeniedException" || code == "AccessDenied" || code == "UnauthorizedOperation" {
		r.add(CheckAPIAccess, arn, alert.SeverityMedium,
			fmt.Sprintf("Vigil may not call cloudtrail:%s, so it cannot %s", op, doing),
			fmt.Sprintf("grant the source's IAM identity %s (docs/cloudtrail.md has the policy), or set trail_check: false", strings.Join(s.trailPermissions(), ", ")))
		return nil
	}
	r.add(CheckAPIAccess, arn, alert.SeverityMedium,
		fmt.Sprintf("the CloudTrail API's %s failed, so Vigil cannot %s: %v", op, doing, err),
		"check the region, the cloudtrail_endpoint and the network path to the CloudTrail API")
	return nil
}
