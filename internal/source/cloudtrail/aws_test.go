package cloudtrail

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/vigil-sec/vigil/internal/source"
)

// TestAssumeRoleWithExternalID assumes role_arn with external_id through an STS endpoint
// on loopback and checks S3 is called with the role's credentials, not the base keys.
func TestAssumeRoleWithExternalID(t *testing.T) {
	var mu sync.Mutex
	var forms []url.Values
	sts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		mu.Lock()
		forms = append(forms, r.PostForm)
		mu.Unlock()
		w.Header().Set("Content-Type", "text/xml")
		w.Write([]byte(`<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult>
<Credentials><AccessKeyId>ASIAROLEKEY</AccessKeyId><SecretAccessKey>role-secret</SecretAccessKey><SessionToken>role-session</SessionToken><Expiration>2099-01-01T00:00:00Z</Expiration></Credentials>
<AssumedRoleUser><Arn>arn:aws:sts::111122223333:assumed-role/vigil-read/vigil-cloudtrail</Arn><AssumedRoleId>AROA:vigil-cloudtrail</AssumedRoleId></AssumedRoleUser>
</AssumeRoleResult><ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></AssumeRoleResponse>`))
	}))
	defer sts.Close()
	f := newFakeS3(t)
	cfg := f.config()
	cfg.RoleARN, cfg.ExternalID, cfg.STSEndpoint = "arn:aws:iam::111122223333:role/vigil-read", "vigil-7f3a", sts.URL
	if err := (&collector{}).run(t, newSource(t, cfg, nil), 1); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(forms) == 0 || forms[0].Get("Action") != "AssumeRole" || forms[0].Get("RoleArn") != cfg.RoleARN || forms[0].Get("ExternalId") != "vigil-7f3a" {
		t.Fatalf("STS got %v", forms)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, a := range f.auth {
		if !strings.Contains(a, "Credential=ASIAROLEKEY/") || !strings.Contains(a, "token=role-session") {
			t.Fatalf("S3 called with %q, not the role's credentials", a)
		}
	}
	if len(f.auth) == 0 {
		t.Fatal("no S3 request")
	}
}

// TestAccessDeniedIsPermanent: a 403 from S3 is an error no retry mends.
func TestAccessDeniedIsPermanent(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(http.StatusForbidden)
		w.Write([]byte(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>`))
	}))
	defer srv.Close()
	cfg := DefaultConfig()
	cfg.Bucket, cfg.Endpoint, cfg.PathStyle, cfg.Region = testBucket, srv.URL, true, "us-east-1"
	cfg.AccessKeyID, cfg.SecretAccessKey = "AKIDTEST", "test-secret"
	cfg.TrailCheck = false // no CloudTrail API on this loopback
	err := (&collector{}).run(t, newSource(t, cfg, nil), 1)
	if !errors.Is(err, source.ErrPermanent) || !strings.Contains(err.Error(), "AccessDenied") || !strings.Contains(err.Error(), "s3://"+testBucket+"/AWSLogs/") {
		t.Fatalf("Run = %v, want a permanent AccessDenied naming the prefix", err)
	}
}

func TestCheckNamesAnEmptyLayout(t *testing.T) {
	f := newFakeS3(t)
	src := newSource(t, f.config(), nil)
	if err := src.Check(t.Context()); err == nil || !strings.Contains(err.Error(), "wrong bucket or prefix") {
		t.Fatalf("Check of an empty bucket = %v", err)
	}
	keys, files := simTrail(t)
	f.put(t, keys[0], files[keys[0]])
	if err := src.Check(t.Context()); err != nil {
		t.Fatalf("Check = %v", err)
	}
}
