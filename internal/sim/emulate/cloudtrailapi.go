package emulate

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"
)

// CloudTrailAPI emulates the trail-management part of the AWS CloudTrail API on the real
// wire protocol (AWS JSON 1.1: POST /, X-Amz-Target CloudTrail_20131101.OPERATION, errors
// as {"__type","message"} with X-Amzn-ErrorType), so the AWS SDK's own client runs
// against it: DescribeTrails, GetTrailStatus, GetEventSelectors, PutEventSelectors,
// CreateTrail, UpdateTrail, StartLogging and StopLogging, over one account's trails. The
// caller's region is read from the SigV4 credential scope (the signature is not checked).
// Serve it with httptest.NewServer or any listener.
type CloudTrailAPI struct {
	account string
	clock   Clock
	lag     time.Duration
	buckets []string

	mu     sync.Mutex
	trails map[string]*TrailSpec // by name
	calls  map[string]int
	denied map[string]bool
}

// CloudTrailAPIOptions configure NewCloudTrailAPI.
type CloudTrailAPIOptions struct {
	Account string // the account's 12-digit id; default 123456789012
	Clock   Clock  // the time trails deliver by; nil = the wall clock
	// DeliveryLag is how far behind the clock a logging trail's LatestDeliveryTime is,
	// unless pinned in its TrailSpec; default 5 minutes (CloudTrail delivers in 5–15).
	DeliveryLag time.Duration
	// Buckets are the buckets whose policy lets CloudTrail write (CreateTrail to another
	// gets InsufficientS3BucketPolicyException); empty allows any.
	Buckets []string
}

// TrailSpec is one trail's state, as a test or the demo sets it up and reads it back.
type TrailSpec struct {
	Name         string
	HomeRegion   string // default us-east-1
	Bucket       string
	Prefix       string
	MultiRegion  bool
	GlobalEvents bool
	Organization bool
	Logging      bool
	KMSKeyID     string
	// Selectors or Advanced (not both) are the trail's event selectors; a trail with
	// neither records every management event, as CloudTrail's default does.
	Selectors []TrailSelector
	Advanced  []TrailAdvancedSelector
	// LatestDelivery pins the last delivery time (zero follows the clock while logging);
	// DeliveryError is what GetTrailStatus reports as LatestDeliveryError.
	LatestDelivery time.Time
	DeliveryError  string
	StartedAt      time.Time
	StoppedAt      time.Time
}

// TrailSelector is a classic event selector, in the wire's field names.
type TrailSelector struct {
	ReadWriteType                 string              `json:"ReadWriteType,omitempty"`
	IncludeManagementEvents       *bool               `json:"IncludeManagementEvents,omitempty"`
	DataResources                 []TrailDataResource `json:"DataResources,omitempty"`
	ExcludeManagementEventSources []string            `json:"ExcludeManagementEventSources,omitempty"`
}

// TrailDataResource is a classic selector's data resource (S3 objects, Lambda calls).
type TrailDataResource struct {
	Type   string   `json:"Type,omitempty"`
	Values []string `json:"Values,omitempty"`
}

// TrailAdvancedSelector is an advanced event selector.
type TrailAdvancedSelector struct {
	Name           string               `json:"Name,omitempty"`
	FieldSelectors []TrailFieldSelector `json:"FieldSelectors"`
}

// TrailFieldSelector is one field condition of an advanced event selector.
type TrailFieldSelector struct {
	Field         string   `json:"Field"`
	Equals        []string `json:"Equals,omitempty"`
	StartsWith    []string `json:"StartsWith,omitempty"`
	EndsWith      []string `json:"EndsWith,omitempty"`
	NotEquals     []string `json:"NotEquals,omitempty"`
	NotStartsWith []string `json:"NotStartsWith,omitempty"`
	NotEndsWith   []string `json:"NotEndsWith,omitempty"`
}

// NewCloudTrailAPI returns an emulator with no trail.
func NewCloudTrailAPI(o CloudTrailAPIOptions) *CloudTrailAPI {
	if o.Account == "" {
		o.Account = "123456789012"
	}
	if o.Clock == nil {
		o.Clock = wallClock{}
	}
	if o.DeliveryLag == 0 {
		o.DeliveryLag = 5 * time.Minute
	}
	return &CloudTrailAPI{account: o.Account, clock: o.Clock, lag: o.DeliveryLag, buckets: o.Buckets,
		trails: map[string]*TrailSpec{}, calls: map[string]int{}, denied: map[string]bool{}}
}

// PutTrail adds or replaces a trail.
func (a *CloudTrailAPI) PutTrail(t TrailSpec) {
	if t.HomeRegion == "" {
		t.HomeRegion = "us-east-1"
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.trails[t.Name] = cloneTrail(&t)
}

// Trail returns a copy of a trail's state.
func (a *CloudTrailAPI) Trail(name string) (TrailSpec, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	t, ok := a.trails[name]
	if !ok {
		return TrailSpec{}, false
	}
	return *cloneTrail(t), true
}

// Deny makes the named operations (DescribeTrails, StartLogging…) answer
// AccessDeniedException, as a missing IAM permission does; Deny() clears it.
func (a *CloudTrailAPI) Deny(ops ...string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.denied = map[string]bool{}
	for _, op := range ops {
		a.denied[op] = true
	}
}

// Calls counts the requests each operation received, denied and failed ones included.
func (a *CloudTrailAPI) Calls() map[string]int {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := make(map[string]int, len(a.calls))
	for k, v := range a.calls {
		out[k] = v
	}
	return out
}

// TotalCalls is every request received, whatever it asked.
func (a *CloudTrailAPI) TotalCalls() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	n := 0
	for _, v := range a.calls {
		n += v
	}
	return n
}

// ctTargetPrefix ends every X-Amz-Target the service accepts; the SDKs send either
// CloudTrail_20131101.OP or com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.OP.
const ctTargetPrefix = "CloudTrail_20131101."

// credentialScopeRE reads the region out of a SigV4 Authorization header.
var credentialScopeRE = regexp.MustCompile(`Credential=[^/,]+/\d{8}/([a-z0-9-]+)/cloudtrail/aws4_request`)

func (a *CloudTrailAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	target := r.Header.Get("X-Amz-Target")
	i := strings.LastIndex(target, ctTargetPrefix)
	op := ""
	if i >= 0 && (i == 0 || strings.HasSuffix(target[:i], "com.amazonaws.cloudtrail.v20131101.")) {
		op = target[i+len(ctTargetPrefix):]
	}
	a.mu.Lock()
	a.calls[op]++
	denied := a.denied[op]
	a.mu.Unlock()
	switch {
	case r.Method != http.MethodPost:
		ctError(w, http.StatusMethodNotAllowed, "UnknownOperationException", "only POST is served")
		return
	case !strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-amz-json-1.1"):
		ctError(w, http.StatusBadRequest, "SerializationException", "Content-Type must be application/x-amz-json-1.1")
		return
	case !strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256 "):
		ctError(w, http.StatusForbidden, "MissingAuthenticationTokenException", "Missing Authentication Token")
		return
	}
	region := "us-east-1"
	if m := credentialScopeRE.FindStringSubmatch(r.Header.Get("Authorization")); m != nil {
		region = m[1]
	}
	if denied {
		ctError(w, http.StatusBadRequest, "AccessDeniedException", fmt.Sprintf(
			"User: arn:aws:iam::%s:user/vigil is not authorized to perform: cloudtrail:%s on resource: arn:aws:cloudtrail:%s:%s:trail/* because no identity-based policy allows the cloudtrail:%s action",
			a.account, op, region, a.account, op))
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		ctError(w, http.StatusBadRequest, "SerializationException", "request body unreadable")
		return
	}
	if len(body) == 0 {
		body = []byte("{}")
	}
	handle, ok := a.operations()[op]
	if !ok {
		ctError(w, http.StatusBadRequest, "UnknownOperationException", "unknown operation "+target)
		return
	}
	var in ctRequest
	if err := json.Unmarshal(body, &in); err != nil {
		ctError(w, http.StatusBadRequest, "SerializationException", "request body is not JSON: "+err.Error())
		return
	}
	a.mu.Lock()
	out, code, msg := handle(region, &in)
	a.mu.Unlock()
	if code != "" {
		ctError(w, http.StatusBadRequest, code, msg)
		return
	}
	b, err := json.Marshal(out)
	if err != nil {
		ctError(w, http.StatusInternalServerError, "InternalFailure", "emulator could not encode its answer")
		return
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-RequestId", newRequestID())
	_, _ = w.Write(b)
}

// ctError writes an AWS JSON 1.1 error.
func ctError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-ErrorType", code)
	w.Header().Set("X-Amzn-RequestId", newRequestID())
	w.WriteHeader(status)
	b, _ := json.Marshal(map[string]string{"__type": code, "message": msg})
	_, _ = w.Write(b)
}

func cloneTrail(t *TrailSpec) *TrailSpec {
	c := *t
	c.Selectors = slices.Clone(t.Selectors)
	c.Advanced = slices.Clone(t.Advanced)
	return &c
}
