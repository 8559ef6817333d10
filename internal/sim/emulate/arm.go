package emulate

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// The Activity Log API has one version; subscriptions accept the ones clients send.
const activityLogAPIVersion = "2015-04-01"

func subscriptionAPIVersions() []string {
	return []string{"2014-04-01", "2016-06-01", "2018-06-01", "2019-06-01", "2020-01-01", "2021-01-01", "2022-12-01"}
}

// activityLogRetention is how far back the Activity Log answers.
const activityLogRetention = 90 * 24 * time.Hour

func (s *Server) arm(w http.ResponseWriter, r *http.Request, segs, low []string) {
	switch {
	case len(low) == 1:
		s.data(w, r, audARM, "subscriptions", func(time.Time) response { return s.listSubscriptions(r.URL.Query()) })
	case len(low) == 2:
		s.data(w, r, audARM, "subscriptions", func(time.Time) response { return s.getSubscription(segs[1], r.URL.Query()) })
	case len(low) == 7 && low[2] == "providers" && low[3] == "microsoft.insights" && low[4] == "eventtypes" && low[5] == "management" && low[6] == "values":
		s.data(w, r, audARM, "activityLog", func(now time.Time) response { return s.activityLog(segs[1], r.URL.RawQuery, now) })
	default:
		s.serve(w, r, "unknown", armError(http.StatusNotFound, "InvalidResourceType",
			fmt.Sprintf("The resource type could not be found in the namespace for api version '%s'.", r.URL.Query().Get("api-version"))))
	}
}

func checkAPIVersion(q url.Values, allowed ...string) *response {
	v := q.Get("api-version")
	if v == "" {
		r := armError(http.StatusBadRequest, "MissingApiVersionParameter", "The api-version query parameter (?api-version=) is required for all requests.")
		return &r
	}
	for _, a := range allowed {
		if v == a {
			return nil
		}
	}
	r := armError(http.StatusBadRequest, "InvalidApiVersionParameter", fmt.Sprintf("The api-version '%s' is invalid. The supported versions are '%s'.", v, strings.Join(allowed, ",")))
	return &r
}

func (s *Server) subscriptionBody(id string) map[string]any {
	return map[string]any{
		"id": "/subscriptions/" + id, "authorizationSource": "RoleBased", "managedByTenants": []any{},
		"subscriptionId": id, "tenantId": s.opts.TenantID, "displayName": "Simulated subscription " + id[:min(8, len(id))],
		"state":                "Enabled",
		"subscriptionPolicies": map[string]any{"locationPlacementId": "Public_2014-09-01", "quotaId": "PayAsYouGo_2014-09-01", "spendingLimit": "Off"},
	}
}

func (s *Server) listSubscriptions(q url.Values) response {
	if bad := checkAPIVersion(q, subscriptionAPIVersions()...); bad != nil {
		return *bad
	}
	const page = 100
	subs := s.subscriptions()
	from := 0
	if tok := q.Get("$skiptoken"); tok != "" {
		n, err := strconv.Atoi(tok)
		if err != nil || n < 0 || n > len(subs) {
			return armError(http.StatusBadRequest, "InvalidSkipToken", "The $skiptoken '"+tok+"' is invalid.")
		}
		from = n
	}
	to := min(from+page, len(subs))
	value := []any{}
	for _, id := range subs[from:to] {
		value = append(value, s.subscriptionBody(id))
	}
	body := map[string]any{"value": value, "count": map[string]any{"type": "Total", "value": len(subs)}}
	if to < len(subs) {
		body["nextLink"] = s.url + "/subscriptions?api-version=" + url.QueryEscape(q.Get("api-version")) + "&%24skiptoken=" + strconv.Itoa(to)
	}
	resp := jsonResponse(http.StatusOK, body)
	resp.records = len(value)
	return resp
}

// subscriptions are Options.Subscriptions, or when that is empty every subscription the
// added Activity Log records name, in the order they first appeared.
func (s *Server) subscriptions() []string {
	if len(s.opts.Subscriptions) > 0 {
		return s.opts.Subscriptions
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	return append([]string(nil), s.seenSubs...)
}

func (s *Server) subscribed(id string) (string, bool) {
	for _, sub := range s.subscriptions() {
		if strings.EqualFold(sub, id) {
			return sub, true
		}
	}
	return "", false
}

func (s *Server) getSubscription(id string, q url.Values) response {
	if bad := checkAPIVersion(q, subscriptionAPIVersions()...); bad != nil {
		return *bad
	}
	sub, ok := s.subscribed(id)
	if !ok {
		return armError(http.StatusNotFound, "SubscriptionNotFound", fmt.Sprintf("The subscription '%s' could not be found.", id))
	}
	return jsonResponse(http.StatusOK, s.subscriptionBody(sub))
}

// activityLogOption reports the query options the Activity Log takes. ARM spells the
// continuation $skiptoken or $skipToken; both are taken.
func activityLogOption(k string) bool {
	switch k {
	case "api-version", "$filter", "$select", "$skiptoken", "$skipToken":
		return true
	}
	return false
}

// activityLog is GET /subscriptions/{id}/providers/Microsoft.Insights/eventtypes/management/values.
func (s *Server) activityLog(subID, rawQuery string, now time.Time) response {
	vals, err := url.ParseQuery(rawQuery)
	if err != nil {
		return armError(http.StatusBadRequest, "BadRequest", "The query string is malformed.")
	}
	if bad := checkAPIVersion(vals, activityLogAPIVersion); bad != nil {
		return *bad
	}
	sub, ok := s.subscribed(subID)
	if !ok {
		return armError(http.StatusForbidden, "AuthorizationFailed", fmt.Sprintf("The client '%s' with object id '%s' does not have authorization to perform action 'microsoft.insights/eventtypes/values/read' over scope '/subscriptions/%s/providers/microsoft.insights' or the scope is invalid. If access was recently granted, please refresh your credentials.", s.opts.ClientID, s.opts.ClientID, subID))
	}
	for k, v := range vals {
		if !activityLogOption(k) {
			return armError(http.StatusBadRequest, "BadRequest", fmt.Sprintf("The query parameter '%s' is not supported.", k))
		}
		if len(v) > 1 {
			return armError(http.StatusBadRequest, "BadRequest", fmt.Sprintf("The query parameter '%s' appears more than once.", k))
		}
	}
	filter := vals.Get("$filter")
	if filter == "" {
		return armError(http.StatusBadRequest, "BadRequest", "The $filter query parameter is required and must contain at least eventTimestamp ge '<start time>'.")
	}
	syn := filterSyntax{timeFields: map[string]bool{"eventtimestamp": true}, quoted: true,
		eqFields: map[string]bool{"resourcegroupname": true, "resourceuri": true, "resourceprovider": true, "correlationid": true}}
	n, eqs, err := parseFilter(filter, syn)
	if err == nil && (n.types != nil || len(eqs) > 1) {
		err = fmt.Errorf("The $filter allows eventTimestamp bounds and at most one of resourceGroupName, resourceUri, resourceProvider or correlationId.")
	}
	if err != nil {
		return armError(http.StatusBadRequest, "BadRequest", err.Error())
	}
	var start time.Time
	hasEnd := false
	for _, c := range n.conds {
		switch c.op {
		case "ge", "gt":
			start = c.t
		case "le", "lt":
			hasEnd = true
		}
	}
	if start.IsZero() {
		return armError(http.StatusBadRequest, "BadRequest", "The $filter must contain a start time: eventTimestamp ge '<start time>'.")
	}
	if start.Before(now.Add(-activityLogRetention)) {
		return armError(http.StatusBadRequest, "BadRequest", fmt.Sprintf("The start time '%s' is older than the Activity Log's 90 days of retention.", start.Format(time.RFC3339)))
	}
	q := listQuery{now: now, primary: "eventtimestamp", conds: n.conds, eqs: eqs, desc: true, top: 200}
	if !hasEnd {
		q.conds = append(q.conds, timeCond{field: "eventtimestamp", op: "le", t: now})
	}
	if s.opts.PageSize > 0 {
		q.top = min(s.opts.PageSize, 1000)
	}
	sel, err := selectFields(vals.Get("$select"))
	if err != nil {
		return armError(http.StatusBadRequest, "BadRequest", err.Error())
	}
	p := graphParams{filter: filter, sel: vals.Get("$select")}
	path := "/subscriptions/" + sub + "/providers/Microsoft.Insights/eventtypes/management/values"
	check := queryChecksum(activityLogAPIVersion, strings.ToLower(path), p)
	tok := vals.Get("$skiptoken")
	if tok == "" {
		tok = vals.Get("$skipToken")
	}
	if tok != "" {
		c, err := decodeSkipToken(tok, check)
		if err != nil {
			return armError(http.StatusBadRequest, "BadRequest", err.Error())
		}
		q.after = &c
	}
	page, more := s.list(streamActivityLog+"/"+strings.ToLower(sub), q)
	var b strings.Builder
	b.WriteString(`{"value":[`)
	for i := range page {
		if i > 0 {
			b.WriteByte(',')
		}
		b.Write(project(page[i].json, sel))
	}
	b.WriteString("]")
	if more {
		last := page[len(page)-1]
		link := s.url + path + "?api-version=" + activityLogAPIVersion + "&" + nextQuery(p, encodeSkipToken(cursor{at: last.at, seq: last.seq}, check))
		lb, _ := json.Marshal(link)
		b.WriteString(`,"nextLink":`)
		b.Write(lb)
	}
	b.WriteString("}")
	resp := response{status: http.StatusOK, header: http.Header{"Content-Type": {"application/json; charset=utf-8"}}, body: []byte(b.String()), records: len(page)}
	resp.header.Set("x-ms-request-id", newRequestID())
	return resp
}
