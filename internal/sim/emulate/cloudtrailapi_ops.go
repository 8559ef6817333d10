package emulate

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
)

// ctRequest holds every request field the emulated operations read (each operation names
// its trail in a different key: Name, TrailName, trailNameList).
type ctRequest struct {
	Name                       string                  `json:"Name"`
	TrailName                  string                  `json:"TrailName"`
	TrailNameList              []string                `json:"trailNameList"`
	IncludeShadowTrails        *bool                   `json:"includeShadowTrails"`
	S3BucketName               *string                 `json:"S3BucketName"`
	S3KeyPrefix                *string                 `json:"S3KeyPrefix"`
	IsMultiRegionTrail         *bool                   `json:"IsMultiRegionTrail"`
	IncludeGlobalServiceEvents *bool                   `json:"IncludeGlobalServiceEvents"`
	IsOrganizationTrail        *bool                   `json:"IsOrganizationTrail"`
	KmsKeyID                   *string                 `json:"KmsKeyId"`
	EventSelectors             []TrailSelector         `json:"EventSelectors"`
	AdvancedEventSelectors     []TrailAdvancedSelector `json:"AdvancedEventSelectors"`
}

// ctHandler answers one operation with a.mu held: the output, or an error code and message.
type ctHandler func(region string, in *ctRequest) (out any, code, msg string)

func (a *CloudTrailAPI) operations() map[string]ctHandler {
	return map[string]ctHandler{
		"DescribeTrails":    a.describeTrails,
		"GetTrailStatus":    a.getTrailStatus,
		"GetEventSelectors": a.getEventSelectors,
		"PutEventSelectors": a.putEventSelectors,
		"CreateTrail":       a.createTrail,
		"UpdateTrail":       a.updateTrail,
		"StartLogging":      a.startLogging,
		"StopLogging":       a.stopLogging,
	}
}

func (a *CloudTrailAPI) arn(t *TrailSpec) string {
	return fmt.Sprintf("arn:aws:cloudtrail:%s:%s:trail/%s", t.HomeRegion, a.account, t.Name)
}

// lookup finds a trail by ARN (any region: how shadow trails are addressed) or by name
// (the caller's region only), as CloudTrail resolves them.
func (a *CloudTrailAPI) lookup(region, id string) (*TrailSpec, string, string) {
	if id == "" {
		return nil, "InvalidTrailNameException", "Trail name or ARN can only contain uppercase letters, lowercase letters, numbers, periods (.), hyphens (-), and underscores (_)."
	}
	for _, t := range a.trails {
		if a.arn(t) == id || (t.Name == id && t.HomeRegion == region) {
			return t, "", ""
		}
	}
	return nil, "TrailNotFoundException", fmt.Sprintf("Unknown trail: %s for the user: %s", id, a.account)
}

// home finds a trail that may be changed from the caller's region.
func (a *CloudTrailAPI) home(region, id string) (*TrailSpec, string, string) {
	t, code, msg := a.lookup(region, id)
	if code == "" && t.HomeRegion != region {
		return nil, "InvalidHomeRegionException", "This operation must be called from the trail's home region " + t.HomeRegion
	}
	return t, code, msg
}

func (a *CloudTrailAPI) trailJSON(t *TrailSpec) map[string]any {
	m := map[string]any{
		"Name": t.Name, "S3BucketName": t.Bucket, "HomeRegion": t.HomeRegion, "TrailARN": a.arn(t),
		"IsMultiRegionTrail": t.MultiRegion, "IncludeGlobalServiceEvents": t.GlobalEvents,
		"IsOrganizationTrail": t.Organization, "LogFileValidationEnabled": true,
		"HasCustomEventSelectors": len(t.Selectors) > 0 || len(t.Advanced) > 0, "HasInsightSelectors": false,
	}
	if t.Prefix != "" {
		m["S3KeyPrefix"] = t.Prefix
	}
	if t.KMSKeyID != "" {
		m["KmsKeyId"] = t.KMSKeyID
	}
	return m
}

func (a *CloudTrailAPI) describeTrails(region string, in *ctRequest) (any, string, string) {
	shadow := in.IncludeShadowTrails == nil || *in.IncludeShadowTrails
	list := []map[string]any{}
	names := slices.Sorted(func(yield func(string) bool) {
		for n := range a.trails {
			if !yield(n) {
				return
			}
		}
	})
	for _, n := range names {
		t := a.trails[n]
		visible := t.HomeRegion == region || (shadow && t.MultiRegion)
		if len(in.TrailNameList) > 0 {
			visible = visible && slices.ContainsFunc(in.TrailNameList, func(id string) bool { return id == t.Name || id == a.arn(t) })
		}
		if visible {
			list = append(list, a.trailJSON(t))
		}
	}
	return map[string]any{"trailList": list}, "", ""
}

func epoch(t time.Time) float64 { return float64(t.UnixMilli()) / 1000 }

func (a *CloudTrailAPI) getTrailStatus(region string, in *ctRequest) (any, string, string) {
	t, code, msg := a.lookup(region, in.Name)
	if code != "" {
		return nil, code, msg
	}
	out := map[string]any{"IsLogging": t.Logging}
	delivered := t.LatestDelivery
	if delivered.IsZero() && t.Logging && t.DeliveryError == "" {
		delivered = a.clock.Now().Add(-a.lag)
		if delivered.Before(t.StartedAt) {
			delivered = time.Time{} // nothing delivered since logging started
		}
	}
	if !delivered.IsZero() {
		out["LatestDeliveryTime"] = epoch(delivered)
		out["LatestDeliveryAttemptTime"] = delivered.UTC().Format(time.RFC3339)
		out["LatestDeliveryAttemptSucceeded"] = delivered.UTC().Format(time.RFC3339)
	}
	if t.DeliveryError != "" {
		out["LatestDeliveryError"] = t.DeliveryError
	}
	if !t.StartedAt.IsZero() {
		out["StartLoggingTime"] = epoch(t.StartedAt)
	}
	if !t.StoppedAt.IsZero() {
		out["StopLoggingTime"] = epoch(t.StoppedAt)
	}
	return out, "", ""
}

func (a *CloudTrailAPI) selectorsJSON(t *TrailSpec) map[string]any {
	out := map[string]any{"TrailARN": a.arn(t)}
	switch {
	case len(t.Advanced) > 0:
		out["AdvancedEventSelectors"] = t.Advanced
	case len(t.Selectors) > 0:
		out["EventSelectors"] = t.Selectors
	default:
		yes := true
		out["EventSelectors"] = []TrailSelector{{ReadWriteType: "All", IncludeManagementEvents: &yes}}
	}
	return out
}

func (a *CloudTrailAPI) getEventSelectors(region string, in *ctRequest) (any, string, string) {
	t, code, msg := a.lookup(region, in.TrailName)
	if code != "" {
		return nil, code, msg
	}
	return a.selectorsJSON(t), "", ""
}

func (a *CloudTrailAPI) putEventSelectors(region string, in *ctRequest) (any, string, string) {
	t, code, msg := a.home(region, in.TrailName)
	if code != "" {
		return nil, code, msg
	}
	if (len(in.EventSelectors) > 0) == (len(in.AdvancedEventSelectors) > 0) {
		return nil, "InvalidEventSelectorsException", "Specify either EventSelectors or AdvancedEventSelectors, not both and not neither."
	}
	if len(in.EventSelectors) > 5 {
		return nil, "InvalidEventSelectorsException", "A trail can have at most 5 event selectors."
	}
	for _, s := range in.EventSelectors {
		if s.ReadWriteType != "" && s.ReadWriteType != "All" && s.ReadWriteType != "ReadOnly" && s.ReadWriteType != "WriteOnly" {
			return nil, "InvalidEventSelectorsException", "ReadWriteType must be ReadOnly, WriteOnly or All, not " + s.ReadWriteType
		}
	}
	for _, s := range in.AdvancedEventSelectors {
		if !slices.ContainsFunc(s.FieldSelectors, func(f TrailFieldSelector) bool { return f.Field == "eventCategory" }) {
			return nil, "InvalidEventSelectorsException", "Each advanced event selector needs an eventCategory field selector."
		}
	}
	t.Selectors, t.Advanced = slices.Clone(in.EventSelectors), slices.Clone(in.AdvancedEventSelectors)
	for i := range t.Selectors {
		if t.Selectors[i].ReadWriteType == "" {
			t.Selectors[i].ReadWriteType = "All"
		}
		if t.Selectors[i].IncludeManagementEvents == nil {
			yes := true
			t.Selectors[i].IncludeManagementEvents = &yes
		}
	}
	return a.selectorsJSON(t), "", ""
}

var trailNameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{1,126}[A-Za-z0-9]$`)

func (a *CloudTrailAPI) createTrail(region string, in *ctRequest) (any, string, string) {
	if !trailNameRE.MatchString(in.Name) || strings.Contains(in.Name, "..") {
		return nil, "InvalidTrailNameException", "Trail name must be 3 to 128 letters, numbers, periods, underscores or hyphens, starting and ending with a letter or number."
	}
	if _, ok := a.trails[in.Name]; ok {
		return nil, "TrailAlreadyExistsException", "Trail " + in.Name + " already exists for customer: " + a.account
	}
	if in.S3BucketName == nil || *in.S3BucketName == "" {
		return nil, "InvalidS3BucketNameException", "S3 bucket name is required."
	}
	if len(a.buckets) > 0 && !slices.Contains(a.buckets, *in.S3BucketName) {
		return nil, "InsufficientS3BucketPolicyException", "Incorrect S3 bucket policy is detected for bucket: " + *in.S3BucketName
	}
	t := &TrailSpec{Name: in.Name, HomeRegion: region, Bucket: *in.S3BucketName, GlobalEvents: true}
	if code, msg := applyTrailFields(t, in); code != "" {
		return nil, code, msg
	}
	a.trails[t.Name] = t
	return a.trailJSON(t), "", ""
}

func (a *CloudTrailAPI) updateTrail(region string, in *ctRequest) (any, string, string) {
	t, code, msg := a.home(region, in.Name)
	if code != "" {
		return nil, code, msg
	}
	c := *t
	if in.S3BucketName != nil {
		if len(a.buckets) > 0 && !slices.Contains(a.buckets, *in.S3BucketName) {
			return nil, "InsufficientS3BucketPolicyException", "Incorrect S3 bucket policy is detected for bucket: " + *in.S3BucketName
		}
		c.Bucket = *in.S3BucketName
	}
	if code, msg := applyTrailFields(&c, in); code != "" {
		return nil, code, msg
	}
	*t = c
	return a.trailJSON(t), "", ""
}

// applyTrailFields sets the optional fields CreateTrail and UpdateTrail share, and checks
// CloudTrail's rule that a multi-region trail records global service events.
func applyTrailFields(t *TrailSpec, in *ctRequest) (string, string) {
	if in.S3KeyPrefix != nil {
		t.Prefix = *in.S3KeyPrefix
	}
	if in.IsMultiRegionTrail != nil {
		t.MultiRegion = *in.IsMultiRegionTrail
	}
	if in.IncludeGlobalServiceEvents != nil {
		t.GlobalEvents = *in.IncludeGlobalServiceEvents
	}
	if in.IsOrganizationTrail != nil {
		t.Organization = *in.IsOrganizationTrail
	}
	if in.KmsKeyID != nil {
		t.KMSKeyID = *in.KmsKeyID
	}
	if t.MultiRegion && !t.GlobalEvents {
		return "InvalidParameterCombinationException", "Multi-Region trail must include global service events."
	}
	return "", ""
}

func (a *CloudTrailAPI) startLogging(region string, in *ctRequest) (any, string, string) {
	t, code, msg := a.home(region, in.Name)
	if code != "" {
		return nil, code, msg
	}
	if !t.Logging {
		t.Logging, t.StartedAt = true, a.clock.Now()
		if !t.LatestDelivery.IsZero() {
			t.LatestDelivery = time.Time{} // deliveries follow the clock again
		}
	}
	return map[string]any{}, "", ""
}

func (a *CloudTrailAPI) stopLogging(region string, in *ctRequest) (any, string, string) {
	t, code, msg := a.home(region, in.Name)
	if code != "" {
		return nil, code, msg
	}
	if t.Logging {
		now := a.clock.Now()
		t.Logging, t.StoppedAt, t.LatestDelivery = false, now, now.Add(-a.lag)
	}
	return map[string]any{}, "", ""
}
