package emulate

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

// graphAPI is one Graph list endpoint.
type graphAPI struct {
	stream     string
	path       string   // as Graph spells it: auditLogs/signIns
	primary    string   // the sort and default filter field, as spelled
	timeFields []string // filterable DateTimeOffset properties, as spelled
	maxTop     int
	typeName   string
	eventTypes bool // beta signIns: signInEventTypes filter
}

func graphAPIs() map[string]graphAPI {
	return map[string]graphAPI{
		"auditlogs/signins": {stream: streamSignIns, path: "auditLogs/signIns", primary: "createdDateTime",
			timeFields: []string{"createdDateTime"}, maxTop: 1000, typeName: "microsoft.graph.signIn", eventTypes: true},
		"auditlogs/directoryaudits": {stream: streamDirectoryAudits, path: "auditLogs/directoryAudits", primary: "activityDateTime",
			timeFields: []string{"activityDateTime"}, maxTop: 1000, typeName: "microsoft.graph.directoryAudit"},
		"identityprotection/riskdetections": {stream: streamRiskDetections, path: "identityProtection/riskDetections", primary: "detectedDateTime",
			timeFields: []string{"detectedDateTime", "lastUpdatedDateTime", "activityDateTime"}, maxTop: 500, typeName: "microsoft.graph.riskDetection"},
		"security/alerts_v2": {stream: streamAlerts, path: "security/alerts_v2", primary: "createdDateTime",
			timeFields: []string{"createdDateTime", "lastUpdateDateTime"}, maxTop: 2000, typeName: "microsoft.graph.security.alert"},
	}
}

// graphQueryOption reports the OData options the emulator understands; any other is a 400.
func graphQueryOption(k string) bool {
	switch k {
	case "$filter", "$top", "$orderby", "$skiptoken", "$select":
		return true
	}
	return false
}

func (s *Server) graph(w http.ResponseWriter, r *http.Request, version, path string) {
	api, ok := graphAPIs()[path]
	if !ok {
		s.serve(w, r, "unknown", graphError(http.StatusBadRequest, "BadRequest",
			fmt.Sprintf("Resource not found for the segment '%s'.", path), s.wall()))
		return
	}
	endpoint := api.path[strings.IndexByte(api.path, '/')+1:]
	s.data(w, r, audGraph, endpoint, func(now time.Time) response {
		resp, err := s.graphList(api, version, r.URL.RawQuery, now)
		if err != nil {
			return graphError(http.StatusBadRequest, "BadRequest", err.Error(), s.wall())
		}
		return resp
	})
}

// graphParams are a list request's OData options.
type graphParams struct {
	filter, top, orderby, skiptoken, sel string
}

func parseGraphParams(raw string) (graphParams, error) {
	vals, err := url.ParseQuery(raw)
	if err != nil {
		return graphParams{}, fmt.Errorf("The query string is malformed: %v.", err)
	}
	var p graphParams
	for k, v := range vals {
		if !graphQueryOption(k) {
			return p, fmt.Errorf("Query option '%s' is not supported by this request.", k)
		}
		if len(v) > 1 {
			return p, fmt.Errorf("Query option '%s' was specified more than once, but it must be specified at most once.", k)
		}
		switch k {
		case "$filter":
			p.filter = v[0]
		case "$top":
			p.top = v[0]
		case "$orderby":
			p.orderby = v[0]
		case "$skiptoken":
			p.skiptoken = v[0]
		case "$select":
			p.sel = v[0]
		}
	}
	return p, nil
}

func (s *Server) graphList(api graphAPI, version, rawQuery string, now time.Time) (response, error) {
	p, err := parseGraphParams(rawQuery)
	if err != nil {
		return response{}, err
	}
	syn := filterSyntax{timeFields: map[string]bool{}, eventTypes: api.eventTypes && version == "beta", typeName: api.typeName}
	for _, f := range api.timeFields {
		syn.timeFields[strings.ToLower(f)] = true
	}
	q := listQuery{now: now, primary: strings.ToLower(api.primary), desc: true}
	if api.eventTypes {
		// Without a signInEventTypes filter Graph lists interactive sign-ins only; v1.0
		// lists nothing else at all.
		q.defaultTypes = map[string]bool{"interactiveUser": true}
	}
	if p.filter != "" {
		n, _, err := parseFilter(p.filter, syn)
		if err != nil {
			return response{}, err
		}
		q.conds, q.types = n.conds, n.types
	}
	q.top = api.maxTop
	if s.opts.PageSize > 0 {
		q.top = min(s.opts.PageSize, api.maxTop)
	}
	if p.top != "" {
		n, err := strconv.Atoi(p.top)
		if err != nil || n < 0 {
			return response{}, fmt.Errorf("Invalid value '%s' for $top query option found. The $top query option requires a non-negative integer value.", p.top)
		}
		if n > api.maxTop {
			return response{}, fmt.Errorf("The limit of '%d' for Top query has been exceeded. The value from the incoming request is '%d'.", api.maxTop, n)
		}
		q.top = n
	}
	if p.orderby != "" {
		f := strings.Fields(p.orderby)
		if len(f) < 1 || len(f) > 2 || !strings.EqualFold(f[0], api.primary) || (len(f) == 2 && f[1] != "asc" && f[1] != "desc") {
			return response{}, fmt.Errorf("OrderBy '%s' is not supported; this API orders by %s asc or desc only.", p.orderby, api.primary)
		}
		q.desc = len(f) == 2 && f[1] == "desc" // OData's default direction is ascending
	}
	sel, err := selectFields(p.sel)
	if err != nil {
		return response{}, err
	}
	check := queryChecksum(version, api.path, p)
	if p.skiptoken != "" {
		c, err := decodeSkipToken(p.skiptoken, check)
		if err != nil {
			return response{}, err
		}
		q.after = &c
	}
	page, more := s.list(api.stream, q)
	base := s.url + "/" + version + "/"
	var b strings.Builder
	b.WriteString(`{"@odata.context":`)
	ctx, _ := json.Marshal(base + "$metadata#" + api.path)
	b.Write(ctx)
	if more {
		last := page[len(page)-1]
		link, _ := json.Marshal(base + api.path + "?" + nextQuery(p, encodeSkipToken(cursor{at: last.at, seq: last.seq}, check)))
		b.WriteString(`,"@odata.nextLink":`)
		b.Write(link)
	}
	b.WriteString(`,"value":[`)
	for i := range page {
		if i > 0 {
			b.WriteByte(',')
		}
		b.Write(project(page[i].json, sel))
	}
	b.WriteString("]}")
	resp := response{status: http.StatusOK, header: http.Header{"Content-Type": {"application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8"}},
		body: []byte(b.String()), records: len(page)}
	resp.header.Set("request-id", newRequestID())
	return resp, nil
}

// nextQuery is the request's own options plus the new skip token, as Graph's nextLink
// carries them.
func nextQuery(p graphParams, token string) string {
	var parts []string
	add := func(k, v string) {
		if v != "" {
			parts = append(parts, k+"="+strings.ReplaceAll(url.QueryEscape(v), "+", "%20"))
		}
	}
	add("$filter", p.filter)
	add("$orderby", p.orderby)
	add("$select", p.sel)
	add("$top", p.top)
	add("$skiptoken", token)
	return strings.Join(parts, "&")
}

func queryChecksum(version, path string, p graphParams) uint32 {
	h := fnv.New32a()
	for _, s := range []string{version, path, p.filter, p.top, p.orderby, p.sel} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return h.Sum32()
}

// The skip token is opaque to clients; inside it is the last served entry's sort key and
// a checksum of the query it belongs to, so a token replayed with another query is a 400.
func encodeSkipToken(c cursor, check uint32) string {
	raw := fmt.Sprintf("%d.%d.%08x", c.at.UnixNano(), c.seq, check)
	return base64.RawURLEncoding.EncodeToString([]byte(raw))
}

func decodeSkipToken(tok string, check uint32) (cursor, error) {
	bad := fmt.Errorf("The $skiptoken value '%s' is invalid or does not belong to this query.", tok)
	raw, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		return cursor{}, bad
	}
	parts := strings.Split(string(raw), ".")
	if len(parts) != 3 {
		return cursor{}, bad
	}
	ns, err1 := strconv.ParseInt(parts[0], 10, 64)
	seq, err2 := strconv.ParseUint(parts[1], 10, 64)
	sum, err3 := strconv.ParseUint(parts[2], 16, 32)
	if err1 != nil || err2 != nil || err3 != nil || uint32(sum) != check {
		return cursor{}, bad
	}
	return cursor{at: time.Unix(0, ns).UTC(), seq: seq}, nil
}

// selectFields parses $select: comma-separated top-level property names.
func selectFields(sel string) ([]string, error) {
	if sel == "" {
		return nil, nil
	}
	var out []string
	for _, f := range strings.Split(sel, ",") {
		f = strings.TrimSpace(f)
		if f == "" || strings.ContainsAny(f, "/() ") {
			return nil, fmt.Errorf("Parsing OData Select and Expand failed: '%s' is not a property name.", f)
		}
		out = append(out, f)
	}
	sort.Strings(out)
	return out, nil
}

// project keeps the selected top-level properties of a record (all when sel is nil).
func project(rec []byte, sel []string) []byte {
	if sel == nil {
		return rec
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(rec, &m) != nil {
		return rec
	}
	out := make(map[string]json.RawMessage, len(sel))
	for _, f := range sel {
		for k, v := range m {
			if strings.EqualFold(k, f) {
				out[k] = v
			}
		}
	}
	b, err := json.Marshal(out)
	if err != nil {
		return rec
	}
	return b
}
