package emulate

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"github.com/aws/smithy-go"
)

type fixedClock time.Time

func (c fixedClock) Now() time.Time { return time.Time(c) }

func newCloudTrailClient(t *testing.T, api *CloudTrailAPI, region string) *cloudtrail.Client {
	t.Helper()
	srv := httptest.NewServer(api)
	t.Cleanup(srv.Close)
	return cloudtrail.New(cloudtrail.Options{
		Region:       region,
		BaseEndpoint: aws.String(srv.URL),
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""),
		Retryer:      aws.NopRetryer{},
	})
}

// TestCloudTrailAPIWithTheSDK drives the emulator with the AWS SDK's own client: a trail
// created in one region is a shadow trail in another, is changed only from its home
// region, and logs after StartLogging; errors arrive as the SDK's typed exceptions.
func TestCloudTrailAPIWithTheSDK(t *testing.T) {
	now := time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)
	api := NewCloudTrailAPI(CloudTrailAPIOptions{Account: "111122223333", Clock: fixedClock(now), Buckets: []string{"logs"}})
	east := newCloudTrailClient(t, api, "us-east-1")
	west := newCloudTrailClient(t, api, "eu-west-1")
	ctx := t.Context()

	if _, err := east.CreateTrail(ctx, &cloudtrail.CreateTrailInput{Name: aws.String("main"), S3BucketName: aws.String("other")}); !isCode(err, "InsufficientS3BucketPolicyException") {
		t.Fatalf("CreateTrail to a bucket CloudTrail may not write = %v", err)
	}
	out, err := east.CreateTrail(ctx, &cloudtrail.CreateTrailInput{Name: aws.String("main"), S3BucketName: aws.String("logs"), IsMultiRegionTrail: aws.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	arn := aws.ToString(out.TrailARN)
	if arn != "arn:aws:cloudtrail:us-east-1:111122223333:trail/main" || !aws.ToBool(out.IsMultiRegionTrail) {
		t.Fatalf("CreateTrail = %s multi=%v", arn, aws.ToBool(out.IsMultiRegionTrail))
	}
	if _, err := east.CreateTrail(ctx, &cloudtrail.CreateTrailInput{Name: aws.String("main"), S3BucketName: aws.String("logs")}); !errors.As(err, new(*types.TrailAlreadyExistsException)) {
		t.Fatalf("second CreateTrail = %v", err)
	}

	dt, err := west.DescribeTrails(ctx, &cloudtrail.DescribeTrailsInput{})
	if err != nil || len(dt.TrailList) != 1 || aws.ToString(dt.TrailList[0].HomeRegion) != "us-east-1" {
		t.Fatalf("DescribeTrails from eu-west-1 = %+v, %v (want the shadow trail)", dt, err)
	}
	if dt, _ := west.DescribeTrails(ctx, &cloudtrail.DescribeTrailsInput{IncludeShadowTrails: aws.Bool(false)}); len(dt.TrailList) != 0 {
		t.Fatalf("without shadow trails: %d trails", len(dt.TrailList))
	}
	if _, err := west.GetTrailStatus(ctx, &cloudtrail.GetTrailStatusInput{Name: aws.String("main")}); !errors.As(err, new(*types.TrailNotFoundException)) {
		t.Fatalf("a shadow trail by name = %v, want TrailNotFoundException", err)
	}
	st, err := west.GetTrailStatus(ctx, &cloudtrail.GetTrailStatusInput{Name: aws.String(arn)})
	if err != nil || aws.ToBool(st.IsLogging) || st.LatestDeliveryTime != nil {
		t.Fatalf("status of a new trail = %+v, %v", st, err)
	}
	if _, err := west.StartLogging(ctx, &cloudtrail.StartLoggingInput{Name: aws.String(arn)}); !isCode(err, "InvalidHomeRegionException") {
		t.Fatalf("StartLogging outside the home region = %v", err)
	}
	if _, err := east.StartLogging(ctx, &cloudtrail.StartLoggingInput{Name: aws.String(arn)}); err != nil {
		t.Fatal(err)
	}
	if st, _ := east.GetTrailStatus(ctx, &cloudtrail.GetTrailStatusInput{Name: aws.String("main")}); !aws.ToBool(st.IsLogging) || !aws.ToTime(st.StartLoggingTime).Equal(now) {
		t.Fatalf("status after StartLogging = %+v", st)
	}

	sel, err := east.GetEventSelectors(ctx, &cloudtrail.GetEventSelectorsInput{TrailName: aws.String(arn)})
	if err != nil || len(sel.EventSelectors) != 1 || sel.EventSelectors[0].ReadWriteType != types.ReadWriteTypeAll {
		t.Fatalf("default selectors = %+v, %v", sel, err)
	}
	_, err = east.PutEventSelectors(ctx, &cloudtrail.PutEventSelectorsInput{TrailName: aws.String(arn),
		AdvancedEventSelectors: []types.AdvancedEventSelector{{Name: aws.String("mgmt"), FieldSelectors: []types.AdvancedFieldSelector{
			{Field: aws.String("eventCategory"), Equals: []string{"Management"}}, {Field: aws.String("readOnly"), Equals: []string{"false"}}}}}})
	if err != nil {
		t.Fatal(err)
	}
	sel, _ = east.GetEventSelectors(ctx, &cloudtrail.GetEventSelectorsInput{TrailName: aws.String(arn)})
	if len(sel.EventSelectors) != 0 || len(sel.AdvancedEventSelectors) != 1 || len(sel.AdvancedEventSelectors[0].FieldSelectors) != 2 {
		t.Fatalf("advanced selectors read back = %+v", sel)
	}
	if _, err := east.UpdateTrail(ctx, &cloudtrail.UpdateTrailInput{Name: aws.String(arn), IncludeGlobalServiceEvents: aws.Bool(false)}); !isCode(err, "InvalidParameterCombinationException") {
		t.Fatalf("a multi-region trail without global events = %v", err)
	}

	api.Deny("DescribeTrails")
	_, err = east.DescribeTrails(ctx, &cloudtrail.DescribeTrailsInput{})
	if !isCode(err, "AccessDeniedException") || !strings.Contains(err.Error(), "cloudtrail:DescribeTrails") {
		t.Fatalf("denied DescribeTrails = %v", err)
	}
	calls := api.Calls()
	if calls["CreateTrail"] != 3 || calls["DescribeTrails"] != 3 || calls["StartLogging"] != 2 || api.TotalCalls() != 15 {
		t.Fatalf("calls = %v (total %d)", calls, api.TotalCalls())
	}
}

// TestCloudTrailAPIWire checks what the SDK does not exercise: the long X-Amz-Target form
// other SDKs send, and the error shape of an unsigned or unknown request.
func TestCloudTrailAPIWire(t *testing.T) {
	api := NewCloudTrailAPI(CloudTrailAPIOptions{})
	api.PutTrail(TrailSpec{Name: "t1", Bucket: "b", Logging: true})
	srv := httptest.NewServer(api)
	defer srv.Close()
	post := func(target, auth string) (*http.Response, string) {
		req, _ := http.NewRequest(http.MethodPost, srv.URL, strings.NewReader(`{"Name":"t1"}`))
		req.Header.Set("Content-Type", "application/x-amz-json-1.1")
		req.Header.Set("X-Amz-Target", target)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	auth := "AWS4-HMAC-SHA256 Credential=AKID/20261102/us-east-1/cloudtrail/aws4_request, SignedHeaders=host, Signature=00"
	resp, body := post("com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.GetTrailStatus", auth)
	if resp.StatusCode != 200 || !strings.Contains(body, `"IsLogging":true`) || !strings.Contains(body, `"LatestDeliveryTime":`) {
		t.Fatalf("long target: %d %s", resp.StatusCode, body)
	}
	resp, body = post("CloudTrail_20131101.GetTrailStatus", "")
	if resp.StatusCode != 403 || resp.Header.Get("X-Amzn-ErrorType") != "MissingAuthenticationTokenException" {
		t.Fatalf("unsigned: %d %s", resp.StatusCode, body)
	}
	resp, body = post("CloudTrail_20131101.DeleteTrail", auth)
	if resp.StatusCode != 400 || !strings.Contains(body, `"__type":"UnknownOperationException"`) {
		t.Fatalf("unknown operation: %d %s", resp.StatusCode, body)
	}
}

func isCode(err error, code string) bool {
	var ae smithy.APIError
	return errors.As(err, &ae) && ae.ErrorCode() == code
}
