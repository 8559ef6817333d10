package emulate

import (
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// budgetWindow is one fixed window of a (client, tenant, API family) allowance.
type budgetWindow struct {
	start time.Time
	used  int
}

// spend takes one request from the client's allowance: the requests left after it, or
// how long until the window reopens when none was left.
func (s *Server) spend(family, client string, now time.Time) (left int, wait time.Duration) {
	b := s.opts.Budget
	if family == audARM {
		b = s.opts.ARMBudget
	}
	key := family + "|" + client + "|" + s.opts.TenantID
	s.authMu.Lock()
	defer s.authMu.Unlock()
	w := s.windows[key]
	if w == nil || !now.Before(w.start.Add(b.Per)) {
		w = &budgetWindow{start: now}
		s.windows[key] = w
	}
	if w.used >= b.Requests {
		return 0, w.start.Add(b.Per).Sub(now)
	}
	w.used++
	return b.Requests - w.used, 0
}

// throttled is the 429 each API family answers.
func throttled(family string, retry time.Duration, now time.Time) response {
	if family == audARM {
		secs := max(int((retry+time.Second-1)/time.Second), 1)
		r := armError(http.StatusTooManyRequests, "SubscriptionRequestsThrottled",
			fmt.Sprintf("Number of 'read' requests for subscription actor exceeded. Please try again after '%d' seconds after the last request.", secs))
		r.header.Set("x-ms-ratelimit-remaining-subscription-reads", "0")
		return r.retryAfter(retry)
	}
	id := newRequestID()
	r := jsonResponse(http.StatusTooManyRequests, map[string]any{"error": map[string]any{
		"code": "TooManyRequests", "message": "Please retry again later.",
		"innerError": map[string]any{"code": "429", "date": now.UTC().Format("2006-01-02T15:04:05"), "message": "Please retry after", "request-id": id, "status": "429"},
	}})
	r.header.Set("request-id", id)
	return r.retryAfter(retry)
}

// statusFault is a server-side failure as each family reports it.
func statusFault(family string, code int, now time.Time) response {
	name := map[int]string{500: "InternalServerError", 502: "BadGateway", 503: "ServiceUnavailable", 504: "GatewayTimeout"}[code]
	if name == "" {
		name = "UnknownError"
	}
	msg := http.StatusText(code)
	var r response
	if family == audARM {
		r = armError(code, name, msg)
	} else {
		r = graphError(code, name, msg, now)
	}
	if code == http.StatusServiceUnavailable {
		r = r.retryAfter(5 * time.Second)
	}
	return r
}

// data runs a Graph or ARM request: faults, then the bearer token, then the budget, then
// the handler. endpoint names it in Stats.
func (s *Server) data(w http.ResponseWriter, r *http.Request, family, endpoint string, handle func(now time.Time) response) {
	now := s.wall()
	kind, code, retry, slow := s.faults.take()
	if !wait(r.Context(), slow) {
		s.stats.count(endpoint, 0, 0)
		return
	}
	var resp response
	switch kind {
	case faultThrottle:
		s.stats.fault(endpoint)
		s.serve(w, r, endpoint, throttled(family, retry, now))
		return
	case faultStatus:
		s.stats.fault(endpoint)
		s.serve(w, r, endpoint, statusFault(family, code, now))
		return
	case faultReset:
		s.stats.fault(endpoint)
		s.stats.count(endpoint, 0, 0)
		resetConn(w)
		return
	}
	if r.Method != http.MethodGet {
		resp = s.methodNotAllowed(family, r.Method, now)
	} else if info, aerr := s.authorize(r, family, now); aerr != nil {
		resp = s.unauthorized(family, aerr, now)
	} else if left, wait := s.spend(family, info.client, now); wait > 0 {
		resp = throttled(family, wait, now)
	} else {
		resp = handle(s.opts.Clock.Now())
		if family == audARM {
			scope := "subscription"
			if endpoint == "subscriptions" { // listing subscriptions is a tenant-level read
				scope = "tenant"
			}
			resp.header.Set("x-ms-ratelimit-remaining-"+scope+"-reads", strconv.Itoa(left))
		}
	}
	if id := r.Header.Get("client-request-id"); id != "" && resp.header != nil {
		resp.header.Set("client-request-id", id) // Graph echoes it; so does ARM as x-ms-client-request-id
		resp.header.Set("x-ms-client-request-id", id)
	}
	if kind == faultTruncate && len(resp.body) > 1 {
		s.stats.fault(endpoint)
		s.stats.count(endpoint, resp.status, 0)
		writeTruncated(w, resp)
		return
	}
	s.serve(w, r, endpoint, resp)
}

func (s *Server) unauthorized(family string, e *authError, now time.Time) response {
	if family == audARM {
		r := armError(http.StatusUnauthorized, e.code, e.msg)
		r.header.Set("WWW-Authenticate", `Bearer authorization_uri="`+s.url+"/"+s.opts.TenantID+`", error="invalid_token", error_description="`+e.msg+`"`)
		return r
	}
	r := graphError(http.StatusUnauthorized, e.code, e.msg, now)
	r.header.Set("WWW-Authenticate", `Bearer realm="", authorization_uri="`+s.url+`/common/oauth2/authorize", client_id="00000003-0000-0000-c000-000000000000"`)
	return r
}

func (s *Server) methodNotAllowed(family, method string, now time.Time) response {
	if family == audARM {
		return armError(http.StatusMethodNotAllowed, "MethodNotAllowed", "The requested method '"+method+"' is not allowed; the emulator serves GET only.")
	}
	return graphError(http.StatusMethodNotAllowed, "Request_BadRequest", "Specified HTTP method is not allowed for the request target.", now)
}
