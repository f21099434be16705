// Package fakegraph is a Microsoft Graph stand-in for tests, listening on the
// loopback interface only. It serves the three Intune collections publish
// uses and enforces their documented request contract (docs/intune-publish.md):
// paths and API versions, @odata.type, required and known properties, and the
// assign actions' bodies. Like Graph it pages lists (with a small page size),
// leaves script content out of lists, returns string OMA values encrypted,
// and throttles when asked to. It serves the three status summaries `status
// intune` reads, with Graph's documented property names.
//
// Hostile modes make it behave as a compromised or broken Graph would:
// nextLinks to another host (NextLinkBase), redirects (RedirectTo), endless
// paging (EndlessPages), any Retry-After (RetryAfter), objects with odd ids
// (SeedID) and, through Fail, any error text.
package fakegraph

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// Token is the bearer token the server accepts.
const Token = "fake-graph-token"

// The collections, version included, and the @odata.type of their objects.
const (
	Configurations = "/v1.0/deviceManagement/deviceConfigurations"
	Scripts        = "/beta/deviceManagement/deviceManagementScripts"
	HealthScripts  = "/beta/deviceManagement/deviceHealthScripts"
)

// Request is one request the server answered (throttled ones excluded).
type Request struct {
	Method, Path string
	Body         map[string]any
}

// Failure is an error the test wants Graph to return.
type Failure struct {
	Status        int
	Code, Message string
}

// Server is the fake Graph.
type Server struct {
	*httptest.Server
	// PageSize is the number of objects per page of a list (default 2).
	PageSize int
	// ThrottleEvery answers every n-th request with 429 (and every second
	// throttle with 503), Retry-After: RetryAfter; 0 never throttles.
	ThrottleEvery int
	RetryAfter    string
	// Fail, when it returns non-nil, fails a request that passed the contract.
	Fail func(method, path string, body map[string]any) *Failure
	// NextLinkBase, when set, replaces the server's own URL in the
	// @odata.nextLink of every page (another host: the token must not go
	// there).
	NextLinkBase string
	// RedirectTo, when set, answers every request with 307 to this base
	// URL plus the request's path.
	RedirectTo string
	// EndlessPages makes every page of a list name a further page.
	EndlessPages bool

	mu          sync.Mutex
	seen        []string
	requests    int
	log         []Request
	throttled   int
	nextLinks   int
	nextID      int
	objects     map[string]map[string]map[string]any
	assignments map[string]map[string][]map[string]any
	summaries   map[string]map[string]any
}

// New starts a fake Graph on 127.0.0.1.
func New() *Server {
	s := &Server{PageSize: 2, RetryAfter: "1",
		objects:     map[string]map[string]map[string]any{Configurations: {}, Scripts: {}, HealthScripts: {}},
		assignments: map[string]map[string][]map[string]any{Configurations: {}, Scripts: {}, HealthScripts: {}},
		summaries:   map[string]map[string]any{},
	}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// Log returns the requests answered so far.
func (s *Server) Log() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.log...)
}

// Seen returns every request that reached the server, answered or not, as
// "METHOD escaped-path".
func (s *Server) Seen() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.seen...)
}

// Writes returns the answered requests that change something (not GET).
func (s *Server) Writes() []Request {
	var out []Request
	for _, r := range s.Log() {
		if r.Method != http.MethodGet {
			out = append(out, r)
		}
	}
	return out
}

// ResetLog forgets the requests seen and answered so far.
func (s *Server) ResetLog() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.log, s.seen = nil, nil
}

// Stats are how often the server throttled and served a further page.
func (s *Server) Stats() (throttled, nextLinks int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.throttled, s.nextLinks
}

// Objects returns copies of a collection's objects (content included), by id.
func (s *Server) Objects(collection string) map[string]map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]map[string]any{}
	for id, o := range s.objects[collection] {
		out[id] = clone(o)
	}
	return out
}

// Assignments returns an object's assignments.
func (s *Server) Assignments(collection, id string) []map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []map[string]any
	for _, a := range s.assignments[collection][id] {
		out = append(out, clone(a))
	}
	return out
}

// Seed stores an object as if someone had created it, bypassing the contract
// (objects made in the portal or by other tools).
func (s *Server) Seed(collection string, obj map[string]any) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := s.newID()
	o := clone(obj)
	o["id"] = id
	s.objects[collection][id] = o
	return id
}

// SeedID stores an object under the id given, however odd (empty, "..",
// holding '/' or escape sequences): what a hostile Graph could list.
func (s *Server) SeedID(collection, id string, obj map[string]any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o := clone(obj)
	o["id"] = id
	s.objects[collection][id] = o
}

// Edit changes a stored object in place, as an edit in the portal would.
func (s *Server) Edit(collection, id string, edit func(obj map[string]any)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	edit(s.objects[collection][id])
}

// SetAssignments replaces an object's assignments as an edit in the portal
// would, bypassing the assign action's contract (a run-once schedule, a
// filter, a target twice).
func (s *Server) SetAssignments(collection, id string, list []map[string]any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var stored []map[string]any
	for _, a := range list {
		stored = append(stored, clone(a))
	}
	s.assignments[collection][id] = stored
}

// The summaries' paths under an object and their @odata.type, as Graph's
// reference gives them (docs/intune-publish.md, "status intune").
var summaryOf = map[string]struct{ path, odataType string }{
	Configurations: {"deviceStatusOverview", "#microsoft.graph.deviceConfigurationDeviceOverview"},
	Scripts:        {"runSummary", "#microsoft.graph.deviceManagementScriptRunSummary"},
	HealthScripts:  {"runSummary", "#microsoft.graph.deviceHealthScriptRunSummary"},
}

// SummaryFields are each summary's documented count properties.
var SummaryFields = map[string][]string{
	Configurations: {"pendingCount", "notApplicableCount", "successCount", "errorCount", "failedCount"},
	Scripts:        {"successDeviceCount", "errorDeviceCount", "successUserCount", "errorUserCount"},
	HealthScripts: {"noIssueDetectedDeviceCount", "issueDetectedDeviceCount", "detectionScriptErrorDeviceCount",
		"detectionScriptPendingDeviceCount", "detectionScriptNotApplicableDeviceCount", "issueRemediatedDeviceCount",
		"remediationSkippedDeviceCount", "issueReoccurredDeviceCount", "remediationScriptErrorDeviceCount",
		"issueRemediatedCumulativeDeviceCount"},
}

// SetSummary sets counts of an object's summary (deviceStatusOverview or
// runSummary); properties not given are 0. A name that is not one of
// SummaryFields is a test's mistake and panics.
func (s *Server) SetSummary(collection, id string, counts map[string]int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sum := map[string]any{}
	for k, v := range counts {
		if !contains(SummaryFields[collection], k) {
			panic("fakegraph: " + k + " is not a property of " + summaryOf[collection].odataType)
		}
		sum[k] = v
	}
	s.summaries[collection+"/"+id] = sum
}

func (s *Server) summary(coll, id string) map[string]any {
	out := map[string]any{"@odata.type": summaryOf[coll].odataType, "id": id}
	for _, f := range SummaryFields[coll] {
		out[f] = 0
	}
	if coll == HealthScripts {
		out["lastScriptRunDateTime"] = "2026-01-01T00:00:00Z"
	}
	if coll == Configurations {
		out["lastUpdateDateTime"] = "2026-01-01T00:00:00Z"
		out["configurationVersion"] = 1
	}
	for k, v := range s.summaries[coll+"/"+id] {
		out[k] = v
	}
	return out
}

func (s *Server) newID() string {
	s.nextID++
	return fmt.Sprintf("00000000-0000-4000-8000-%012d", s.nextID)
}

func clone(m map[string]any) map[string]any {
	data, _ := json.Marshal(m)
	var out map[string]any
	_ = json.Unmarshal(data, &out)
	return out
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{"code": code, "message": msg}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

var (
	guidRE  = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
	timeRE  = regexp.MustCompile(`^([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]$`)
	plainRE = regexp.MustCompile(`^getOmaSettingPlainTextValue\(secretReferenceValueId='([^']*)'\)$`)
)

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seen = append(s.seen, r.Method+" "+r.URL.EscapedPath())
	s.requests++
	if s.ThrottleEvery > 0 && s.requests%s.ThrottleEvery == 0 {
		s.throttled++
		w.Header().Set("Retry-After", s.RetryAfter)
		status := http.StatusTooManyRequests
		if s.throttled%2 == 0 {
			status = http.StatusServiceUnavailable
		}
		writeError(w, status, "TooManyRequests", "Too many requests; retry after "+s.RetryAfter+" s")
		return
	}
	if s.RedirectTo != "" {
		http.Redirect(w, r, s.RedirectTo+r.URL.RequestURI(), http.StatusTemporaryRedirect)
		return
	}
	if r.Header.Get("Authorization") != "Bearer "+Token {
		writeError(w, http.StatusUnauthorized, "InvalidAuthenticationToken", "Access token is empty or invalid.")
		return
	}
	var body map[string]any
	if r.Method == http.MethodPost || r.Method == http.MethodPatch {
		if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
			writeError(w, http.StatusUnsupportedMediaType, "BadRequest", "Content-Type must be application/json, not "+ct)
			return
		}
		data, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(data, &body); err != nil {
			writeError(w, http.StatusBadRequest, "BadRequest", "The request body is not a JSON object: "+err.Error())
			return
		}
	}
	coll, rest := "", ""
	for _, c := range []string{Configurations, Scripts, HealthScripts} {
		if r.URL.Path == c || strings.HasPrefix(r.URL.Path, c+"/") {
			coll, rest = c, strings.TrimPrefix(strings.TrimPrefix(r.URL.Path, c), "/")
		}
	}
	if coll == "" {
		writeError(w, http.StatusNotFound, "BadRequest", "Resource not found for the segment in "+r.URL.Path)
		return
	}
	parts := strings.Split(rest, "/")
	id := parts[0]
	if rest == "" {
		switch r.Method {
		case http.MethodGet:
			s.list(w, r, coll)
		case http.MethodPost:
			s.create(w, r, coll, body)
		default:
			writeError(w, http.StatusMethodNotAllowed, "BadRequest", r.Method+" is not allowed on "+coll)
		}
		return
	}
	obj := s.objects[coll][id]
	if obj == nil {
		writeError(w, http.StatusNotFound, "ResourceNotFound", "No object with id "+id+" in "+coll)
		return
	}
	switch {
	case len(parts) == 1 && r.Method == http.MethodGet:
		s.done(r, nil)
		writeJSON(w, http.StatusOK, s.shown(coll, obj, false))
	case len(parts) == 1 && r.Method == http.MethodPatch:
		s.update(w, r, coll, obj, body)
	case len(parts) == 1 && r.Method == http.MethodDelete:
		if s.fail(w, r, body) {
			return
		}
		s.done(r, nil)
		delete(s.objects[coll], id)
		delete(s.assignments[coll], id)
		w.WriteHeader(http.StatusNoContent)
	case len(parts) == 2 && parts[1] == "assignments" && r.Method == http.MethodGet:
		s.page(w, r, s.assignments[coll][id])
	case len(parts) == 2 && parts[1] == summaryOf[coll].path && r.Method == http.MethodGet:
		if s.fail(w, r, nil) {
			return
		}
		s.done(r, nil)
		writeJSON(w, http.StatusOK, s.summary(coll, id))
	case len(parts) == 2 && parts[1] == "assign" && r.Method == http.MethodPost:
		s.assign(w, r, coll, id, body)
	case len(parts) == 2 && coll == Configurations && r.Method == http.MethodGet && plainRE.MatchString(parts[1]):
		ref := plainRE.FindStringSubmatch(parts[1])[1]
		for i, st := range obj["omaSettings"].([]any) {
			if ref == secretRef(id, i) {
				s.done(r, nil)
				writeJSON(w, http.StatusOK, map[string]any{"value": st.(map[string]any)["value"]})
				return
			}
		}
		writeError(w, http.StatusNotFound, "ResourceNotFound", "No OMA setting with secretReferenceValueId "+ref)
	default:
		writeError(w, http.StatusBadRequest, "BadRequest", r.Method+" "+r.URL.Path+" is not a documented request")
	}
}

func (s *Server) done(r *http.Request, body map[string]any) {
	s.log = append(s.log, Request{Method: r.Method, Path: r.URL.Path, Body: body})
}

func (s *Server) fail(w http.ResponseWriter, r *http.Request, body map[string]any) bool {
	if s.Fail == nil {
		return false
	}
	if f := s.Fail(r.Method, r.URL.Path, body); f != nil {
		writeError(w, f.Status, f.Code, f.Message)
		return true
	}
	return false
}

func secretRef(id string, i int) string { return fmt.Sprintf("%s-oma-%d", id, i) }

// shown is an object as Graph returns it: string OMA values encrypted, and
// in lists no script content.
func (s *Server) shown(coll string, obj map[string]any, inList bool) map[string]any {
	o := clone(obj)
	if settings, ok := o["omaSettings"].([]any); ok {
		for i, st := range settings {
			m := st.(map[string]any)
			if m["@odata.type"] == "#microsoft.graph.omaSettingString" {
				m["value"] = "****"
				m["isEncrypted"] = true
				m["secretReferenceValueId"] = secretRef(str(o, "id"), i)
			}
		}
	}
	if inList {
		for _, k := range contentFields[coll] {
			if _, ok := o[k]; ok {
				o[k] = nil
			}
		}
	}
	return o
}

var contentFields = map[string][]string{
	Scripts:       {"scriptContent"},
	HealthScripts: {"detectionScriptContent", "remediationScriptContent"},
}

func (s *Server) list(w http.ResponseWriter, r *http.Request, coll string) {
	var all []map[string]any
	for _, o := range s.objects[coll] {
		all = append(all, s.shown(coll, o, true))
	}
	s.page(w, r, all)
}

// page answers one page of items, sorted by id, with @odata.nextLink when
// more follow.
func (s *Server) page(w http.ResponseWriter, r *http.Request, items []map[string]any) {
	sort.Slice(items, func(i, j int) bool { return str(items[i], "id") < str(items[j], "id") })
	skip := 0
	if t := r.URL.Query().Get("$skiptoken"); t != "" {
		n, err := strconv.Atoi(t)
		if err != nil || n < 0 || n > len(items) && !s.EndlessPages {
			writeError(w, http.StatusBadRequest, "BadRequest", "invalid $skiptoken")
			return
		}
		skip = n
		s.nextLinks++
	}
	if s.EndlessPages {
		// A page of nothing, and a further page, for ever.
		s.done(r, nil)
		writeJSON(w, http.StatusOK, map[string]any{"value": []any{}, "@odata.nextLink": s.URL + r.URL.Path + "?$skiptoken=" + strconv.Itoa(skip+1)})
		return
	}
	end := min(skip+s.PageSize, len(items))
	out := map[string]any{"value": append([]map[string]any{}, items[skip:end]...)}
	if end < len(items) {
		base := s.URL
		if s.NextLinkBase != "" {
			base = s.NextLinkBase
		}
		out["@odata.nextLink"] = base + r.URL.Path + "?$skiptoken=" + strconv.Itoa(end)
	}
	s.done(r, nil)
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) create(w http.ResponseWriter, r *http.Request, coll string, body map[string]any) {
	if msg := checkBody(coll, body, true); msg != "" {
		writeError(w, http.StatusBadRequest, "BadRequest", msg)
		return
	}
	if s.fail(w, r, body) {
		return
	}
	s.done(r, body)
	id := s.newID()
	o := clone(body)
	o["id"] = id
	o["createdDateTime"] = "2026-01-01T00:00:00Z"
	s.objects[coll][id] = o
	writeJSON(w, http.StatusCreated, s.shown(coll, o, false))
}

func (s *Server) update(w http.ResponseWriter, r *http.Request, coll string, obj, body map[string]any) {
	if msg := checkBody(coll, body, false); msg != "" {
		writeError(w, http.StatusBadRequest, "BadRequest", msg)
		return
	}
	if s.fail(w, r, body) {
		return
	}
	s.done(r, body)
	for k, v := range clone(body) {
		obj[k] = v
	}
	w.WriteHeader(http.StatusNoContent)
}

// The properties each type documents, and those its create requires.
var (
	known = map[string][]string{
		Configurations: {"@odata.type", "displayName", "description", "omaSettings", "version"},
		Scripts:        {"@odata.type", "displayName", "description", "scriptContent", "runAsAccount", "enforceSignatureCheck", "fileName", "runAs32Bit", "roleScopeTagIds"},
		HealthScripts:  {"@odata.type", "publisher", "version", "displayName", "description", "detectionScriptContent", "remediationScriptContent", "runAsAccount", "enforceSignatureCheck", "runAs32Bit", "roleScopeTagIds"},
	}
	required = map[string][]string{
		Configurations: {"displayName", "omaSettings"},
		Scripts:        {"displayName", "scriptContent", "runAsAccount", "fileName"},
		HealthScripts:  {"displayName", "publisher", "detectionScriptContent", "remediationScriptContent", "runAsAccount"},
	}
	types = map[string]string{
		Configurations: "#microsoft.graph.windows10CustomConfiguration",
		Scripts:        "#microsoft.graph.deviceManagementScript",
		HealthScripts:  "#microsoft.graph.deviceHealthScript",
	}
	omaKnown = []string{"@odata.type", "displayName", "description", "omaUri", "value", "isReadOnly"}
)

// checkBody enforces the documented body of a create (or update).
func checkBody(coll string, b map[string]any, create bool) string {
	if b["@odata.type"] != types[coll] {
		return fmt.Sprintf("@odata.type must be %q, not %v", types[coll], b["@odata.type"])
	}
	for k := range b {
		if !contains(known[coll], k) {
			return fmt.Sprintf("Property '%s' does not exist on type '%s'", k, strings.TrimPrefix(types[coll], "#"))
		}
	}
	if create {
		for _, k := range required[coll] {
			if v, ok := b[k]; !ok || v == nil || v == "" {
				return "the required property " + k + " is missing"
			}
		}
	}
	for _, k := range []string{"scriptContent", "detectionScriptContent", "remediationScriptContent"} {
		if v, ok := b[k]; ok {
			if s, _ := v.(string); s == "" || !isBase64(s) {
				return k + " must be base64 (Edm.Binary)"
			}
		}
	}
	if v, ok := b["runAsAccount"]; ok && v != "system" && v != "user" {
		return fmt.Sprintf("runAsAccount must be system or user, not %v", v)
	}
	for _, k := range []string{"enforceSignatureCheck", "runAs32Bit"} {
		if v, ok := b[k]; ok {
			if _, isBool := v.(bool); !isBool {
				return k + " must be a Boolean"
			}
		}
	}
	if v, ok := b["fileName"]; ok {
		if s, _ := v.(string); !strings.HasSuffix(strings.ToLower(s), ".ps1") {
			return "fileName must name a .ps1 file"
		}
	}
	if v, ok := b["omaSettings"]; ok {
		list, isList := v.([]any)
		if !isList || len(list) == 0 {
			return "omaSettings must be a non-empty collection"
		}
		for i, st := range list {
			m, _ := st.(map[string]any)
			if m == nil {
				return fmt.Sprintf("omaSettings[%d] is not an object", i)
			}
			for k := range m {
				if !contains(omaKnown, k) {
					return fmt.Sprintf("omaSettings[%d]: Property '%s' does not exist", i, k)
				}
			}
			if s, _ := m["omaUri"].(string); !strings.HasPrefix(s, "./") {
				return fmt.Sprintf("omaSettings[%d].omaUri must start with ./", i)
			}
			if s, _ := m["displayName"].(string); s == "" {
				return fmt.Sprintf("omaSettings[%d].displayName is required", i)
			}
			switch m["@odata.type"] {
			case "#microsoft.graph.omaSettingString":
				if _, ok := m["value"].(string); !ok {
					return fmt.Sprintf("omaSettings[%d].value must be a string", i)
				}
			case "#microsoft.graph.omaSettingInteger":
				if f, ok := m["value"].(float64); !ok || f != float64(int32(f)) {
					return fmt.Sprintf("omaSettings[%d].value must be an Int32", i)
				}
			default:
				return fmt.Sprintf("omaSettings[%d].@odata.type %v is not an OMA setting type publish sends", i, m["@odata.type"])
			}
		}
	}
	return ""
}

func isBase64(s string) bool {
	_, err := base64.StdEncoding.DecodeString(s)
	return err == nil
}

// The assign actions' body properties and element types.
var assignKeys = map[string]struct{ key, elem string }{
	Configurations: {"assignments", "#microsoft.graph.deviceConfigurationAssignment"},
	Scripts:        {"deviceManagementScriptAssignments", "#microsoft.graph.deviceManagementScriptAssignment"},
	HealthScripts:  {"deviceHealthScriptAssignments", "#microsoft.graph.deviceHealthScriptAssignment"},
}

func (s *Server) assign(w http.ResponseWriter, r *http.Request, coll, id string, body map[string]any) {
	spec := assignKeys[coll]
	for k := range body {
		if k != spec.key && !(coll == Scripts && k == "deviceManagementScriptGroupAssignments") {
			writeError(w, http.StatusBadRequest, "BadRequest", "assign: unknown parameter "+k)
			return
		}
	}
	list, ok := body[spec.key].([]any)
	if !ok {
		writeError(w, http.StatusBadRequest, "BadRequest", "assign: "+spec.key+" is required and must be a collection")
		return
	}
	var stored []map[string]any
	for i, a := range list {
		m, _ := a.(map[string]any)
		if msg := checkAssignment(coll, spec.elem, m); msg != "" {
			writeError(w, http.StatusBadRequest, "BadRequest", fmt.Sprintf("assign: %s[%d]: %s", spec.key, i, msg))
			return
		}
		c := clone(m)
		c["id"] = fmt.Sprintf("%s_%d", id, i)
		stored = append(stored, c)
	}
	if s.fail(w, r, body) {
		return
	}
	s.done(r, body)
	s.assignments[coll][id] = stored
	if coll == Configurations {
		writeJSON(w, http.StatusOK, map[string]any{"value": stored})
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func checkAssignment(coll, elem string, m map[string]any) string {
	if m == nil {
		return "not an object"
	}
	if m["@odata.type"] != elem {
		return fmt.Sprintf("@odata.type must be %q", elem)
	}
	t, _ := m["target"].(map[string]any)
	if t == nil {
		return "target is required"
	}
	tt := t["@odata.type"]
	switch tt {
	case "#microsoft.graph.groupAssignmentTarget", "#microsoft.graph.exclusionGroupAssignmentTarget":
		if g, _ := t["groupId"].(string); !guidRE.MatchString(g) {
			return "target.groupId must be a group's object ID"
		}
	case "#microsoft.graph.allDevicesAssignmentTarget":
		if _, has := t["groupId"]; has {
			return "allDevicesAssignmentTarget has no groupId"
		}
	default:
		return fmt.Sprintf("target.@odata.type %v is not an assignment target", tt)
	}
	allowed := []string{"@odata.type", "id", "target"}
	if coll == HealthScripts {
		allowed = append(allowed, "runRemediationScript", "runSchedule")
		if _, ok := m["runRemediationScript"].(bool); !ok {
			return "runRemediationScript must be a Boolean"
		}
		if tt != "#microsoft.graph.exclusionGroupAssignmentTarget" {
			rs, _ := m["runSchedule"].(map[string]any)
			if rs == nil || rs["@odata.type"] != "#microsoft.graph.deviceHealthScriptDailySchedule" {
				return "runSchedule must be a deviceHealthScriptDailySchedule"
			}
			if n, _ := rs["interval"].(float64); n < 1 || n > 23 || n != float64(int(n)) {
				return "runSchedule.interval must be 1 to 23"
			}
			if tm, _ := rs["time"].(string); !timeRE.MatchString(tm) {
				return "runSchedule.time must be a time of day hh:mm:ss"
			}
			if _, ok := rs["useUtc"].(bool); !ok {
				return "runSchedule.useUtc must be a Boolean"
			}
		}
	}
	for k := range m {
		if !contains(allowed, k) {
			return "Property '" + k + "' does not exist on " + elem
		}
	}
	return ""
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

func str(m map[string]any, k string) string {
	s, _ := m[k].(string)
	return s
}

// Sink is another host on the loopback interface, where hostile modes point
// nextLinks and redirects: it answers 200 with an empty page and records
// every request that reaches it, so a test can prove none did.
type Sink struct {
	*httptest.Server
	mu   sync.Mutex
	seen []http.Header
}

// NewSink starts a sink on 127.0.0.1.
func NewSink() *Sink {
	k := &Sink{}
	k.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		k.mu.Lock()
		k.seen = append(k.seen, r.Header.Clone())
		k.mu.Unlock()
		writeJSON(w, http.StatusOK, map[string]any{"value": []any{}})
	}))
	return k
}

// Requests returns the headers of the requests that reached the sink.
func (k *Sink) Requests() []http.Header {
	k.mu.Lock()
	defer k.mu.Unlock()
	return append([]http.Header(nil), k.seen...)
}
