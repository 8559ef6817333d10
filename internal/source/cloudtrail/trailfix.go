package cloudtrail

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"

	"github.com/vigil-sec/vigil/internal/alert"
)

// defaultTrailName names the trail auto-configure creates when trail_name is not set.
const defaultTrailName = "vigil"

// vigilSelectorName names the advanced selector auto-configure adds for management events.
const vigilSelectorName = "Management events (Vigil)"

// repair creates the missing trail or mends the one the inspection found, and says
// whether it changed anything; each change it could not make is a finding in failed.
func (s *Source) repair(ctx context.Context, r *inspection) (changed bool, failed []Finding) {
	fail := func(arn, op, what string, err error) {
		f := &inspection{}
		_ = s.apiFinding(ctx, f, arn, op, what, err)
		for _, x := range f.findings {
			x.Check, x.Severity = CheckAutoConfigure, alert.SeverityMedium
			x.Problem = "auto-configure: " + x.Problem
			failed = append(failed, x)
		}
	}
	if r.missing && !r.elsewhere {
		changed = s.createTrail(ctx, fail)
		return changed, failed
	}
	if r.view == nil {
		return false, nil // the API could not be read, or the trail is the operator's to point
	}
	v, arn := r.view, r.view.arn()
	home := func(o *cloudtrail.Options) {
		if h := aws.ToString(v.trail.HomeRegion); h != "" {
			o.Region = h // CloudTrail changes a trail only from its home region
		}
	}
	if !aws.ToBool(v.trail.IsMultiRegionTrail) || !aws.ToBool(v.trail.IncludeGlobalServiceEvents) {
		_, err := s.trails.UpdateTrail(ctx, &cloudtrail.UpdateTrailInput{Name: aws.String(arn),
			IsMultiRegionTrail: aws.Bool(true), IncludeGlobalServiceEvents: aws.Bool(true)}, home)
		if err != nil {
			fail(arn, "UpdateTrail", "make trail "+v.name()+" multi-region", err)
		} else {
			changed = true
			s.log.Info("cloudtrail: auto-configure: trail made multi-region", "trail", arn)
		}
	}
	if v.status != nil && !aws.ToBool(v.status.IsLogging) {
		if _, err := s.trails.StartLogging(ctx, &cloudtrail.StartLoggingInput{Name: aws.String(arn)}, home); err != nil {
			fail(arn, "StartLogging", "start logging on trail "+v.name(), err)
		} else {
			changed = true
			s.log.Warn("cloudtrail: auto-configure: started logging on a stopped trail", "trail", arn)
		}
	}
	if v.selectors != nil {
		if in := s.wantSelectors(v.selectors); in != nil {
			in.TrailName = aws.String(arn)
			if _, err := s.trails.PutEventSelectors(ctx, in, home); err != nil {
				fail(arn, "PutEventSelectors", "select management events on trail "+v.name(), err)
			} else {
				changed = true
				s.log.Info("cloudtrail: auto-configure: management event selectors set", "trail", arn, "write_only", s.cfg.WriteOnly)
			}
		}
	}
	return changed, failed
}

// createTrail creates a multi-region trail delivering to the bucket, selects its
// management events and starts it.
func (s *Source) createTrail(ctx context.Context, fail func(arn, op, what string, err error)) bool {
	name := s.cfg.TrailName
	if name == "" {
		name = defaultTrailName
	}
	in := &cloudtrail.CreateTrailInput{Name: aws.String(name), S3BucketName: aws.String(s.cfg.Bucket),
		IsMultiRegionTrail: aws.Bool(true), IncludeGlobalServiceEvents: aws.Bool(true), EnableLogFileValidation: aws.Bool(true)}
	if p := trimSlashes(s.cfg.Prefix); p != "" {
		in.S3KeyPrefix = aws.String(p)
	}
	out, err := s.trails.CreateTrail(ctx, in)
	if err != nil {
		fail("", "CreateTrail", "create trail "+name+" delivering to "+s.where(), err)
		return false
	}
	arn := aws.ToString(out.TrailARN)
	s.log.Info("cloudtrail: auto-configure: trail created", "trail", arn, "bucket", s.cfg.Bucket)
	if s.cfg.WriteOnly {
		sel := s.wantSelectors(&cloudtrail.GetEventSelectorsOutput{})
		sel.TrailName = aws.String(arn)
		if _, err := s.trails.PutEventSelectors(ctx, sel); err != nil {
			fail(arn, "PutEventSelectors", "select write-only management events on trail "+name, err)
		}
	}
	if _, err := s.trails.StartLogging(ctx, &cloudtrail.StartLoggingInput{Name: aws.String(arn)}); err != nil {
		fail(arn, "StartLogging", "start logging on the new trail "+name, err)
	}
	return true
}

// wantSelectors is the PutEventSelectors input that makes the trail record the management
// events the source wants (all, or write-only with write_only), keeping its data event
// selectors; nil when it already does.
func (s *Source) wantSelectors(cur *cloudtrail.GetEventSelectorsOutput) *cloudtrail.PutEventSelectorsInput {
	if reads, writes := managementCoverage(cur); writes && reads == !s.cfg.WriteOnly {
		return nil
	}
	if len(cur.AdvancedEventSelectors) > 0 {
		var keep []types.AdvancedEventSelector
		for _, as := range cur.AdvancedEventSelectors {
			if !isManagementSelector(as) {
				keep = append(keep, as)
			}
		}
		mgmt := types.AdvancedEventSelector{Name: aws.String(vigilSelectorName), FieldSelectors: []types.AdvancedFieldSelector{
			{Field: aws.String("eventCategory"), Equals: []string{"Management"}}}}
		if s.cfg.WriteOnly {
			mgmt.FieldSelectors = append(mgmt.FieldSelectors, types.AdvancedFieldSelector{Field: aws.String("readOnly"), Equals: []string{"false"}})
		}
		return &cloudtrail.PutEventSelectorsInput{AdvancedEventSelectors: append(keep, mgmt)}
	}
	var keep []types.EventSelector
	for _, es := range cur.EventSelectors {
		if len(es.DataResources) > 0 {
			es.IncludeManagementEvents = aws.Bool(false)
			keep = append(keep, es)
		}
	}
	rw := types.ReadWriteTypeAll
	if s.cfg.WriteOnly {
		rw = types.ReadWriteTypeWriteOnly
	}
	return &cloudtrail.PutEventSelectorsInput{EventSelectors: append(keep, types.EventSelector{
		ReadWriteType: rw, IncludeManagementEvents: aws.Bool(true)})}
}

func trimSlashes(p string) string {
	for len(p) > 0 && p[len(p)-1] == '/' {
		p = p[:len(p)-1]
	}
	for len(p) > 0 && p[0] == '/' {
		p = p[1:]
	}
	return p
}

// trailPermissions are the CloudTrail API actions the configured mode calls.
func (s *Source) trailPermissions() []string {
	if !s.cfg.usesTrailAPI() {
		return nil
	}
	out := []string{"cloudtrail:DescribeTrails", "cloudtrail:GetTrailStatus", "cloudtrail:GetEventSelectors"}
	if s.cfg.AutoConfigure {
		out = append(out, "cloudtrail:CreateTrail", "cloudtrail:UpdateTrail", "cloudtrail:StartLogging", "cloudtrail:PutEventSelectors")
	}
	return out
}
