// Package openapi checks HTTP exchanges against Kiosk's OpenAPI 3.1 document
// (infra/topology/openapi.json), the app team's contract: the end-to-end
// tests send every request through Conformance.Transport, so an undocumented
// status, header or field fails them.
package openapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// Spec checks HTTP exchanges against the OpenAPI 3.1 document: the status is one the operation
// documents, every response header is documented for it (the transport's own
// are exempt), and the body matches the documented schema (which declares
// additionalProperties: false, so an undocumented field fails). The schemas
// are the document's own, compiled as JSON Schema 2020-12 (OpenAPI 3.1's
// dialect) by santhosh-tekuri/jsonschema; no other OpenAPI tooling is needed.
type Spec struct {
	doc   map[string]any
	paths []specPath

	mu       sync.Mutex
	compiler *jsonschema.Compiler
	compiled map[string]*jsonschema.Schema
}

type specPath struct {
	template string
	segs     []string
	item     map[string]any
}

// specURL names the document for the schema compiler; nothing is fetched.
const specURL = "file:///kiosk/openapi.json"

// transportHeaders are set by HTTP itself, not by the API: never documented.
var transportHeaders = map[string]bool{
	"Content-Type": true, "Content-Length": true, "Date": true, "Connection": true,
	"Transfer-Encoding": true, "Keep-Alive": true, "Vary": true,
}

// Load reads and compiles the OpenAPI document at path.
func Load(path string) (*Spec, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	m, ok := doc.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%s is not a JSON object", path)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	if err := c.AddResource(specURL, m); err != nil {
		return nil, err
	}
	s := &Spec{doc: m, compiler: c, compiled: map[string]*jsonschema.Schema{}}
	paths, _ := m["paths"].(map[string]any)
	for tmpl, item := range paths {
		it, _ := item.(map[string]any)
		s.paths = append(s.paths, specPath{template: tmpl, segs: strings.Split(strings.TrimPrefix(tmpl, "/"), "/"), item: it})
	}
	// Literal segments win over {params}, as API Gateway routes.
	sort.Slice(s.paths, func(i, j int) bool {
		return strings.Count(s.paths[i].template, "{") < strings.Count(s.paths[j].template, "{")
	})
	return s, nil
}

// InScope says whether path is part of the app contract: the /v1 API and the
// admin API (the console's HTML pages are for browsers, not the contract).
func InScope(path string) bool {
	return strings.HasPrefix(path, "/v1/") || strings.HasPrefix(path, "/admin/api/")
}

// Exchange is one request and its response, bodies read.
type Exchange struct {
	Method     string
	Path       string // unescaped
	Query      url.Values
	ReqHeader  http.Header
	ReqBody    []byte
	Status     int
	RespHeader http.Header
	RespBody   []byte
}

// Check returns what the exchange breaks: the request's departures from the
// spec and the response's. A request the spec calls invalid is no violation
// by itself (hostile tests send them on purpose), but its answer must be a
// documented 4xx: a service that accepts what the spec refuses breaks it.
func (s *Spec) Check(x Exchange) (request, response []string) {
	op, params, allowed, known := s.operation(x.Method, x.Path)
	switch {
	case !known:
		request = append(request, "no documented path matches "+x.Path)
		response = s.checkResponse(x, s.ref("#/components/responses/NotFound"), 404)
	case op == nil:
		request = append(request, fmt.Sprintf("%s is not documented on %s (documented: %s)", x.Method, x.Path, strings.Join(allowed, ", ")))
		response = s.checkResponse(x, s.ref("#/x-kiosk-method-not-allowed"), 405)
	default:
		request = s.checkRequest(x, op, params)
		responses, _ := op["responses"].(map[string]any)
		r, ok := responses[strconv.Itoa(x.Status)]
		if !ok {
			r, ok = responses["default"]
		}
		if !ok {
			response = append(response, fmt.Sprintf("status %d is not documented (documented: %s)", x.Status, strings.Join(sortedKeys(responses), ", ")))
		} else {
			rr := s.deref(r)
			if _, ok := rr["x-pointer"]; !ok {
				rr = map[string]any{"x-pointer": s.opPointer(op) + "/responses/" + strconv.Itoa(x.Status)}
				for k, v := range s.deref(r) {
					rr[k] = v
				}
			}
			response = s.checkResponse(x, rr, 0)
		}
	}
	if len(request) > 0 && x.Status < 400 {
		response = append(response, fmt.Sprintf("answered %d to a request the spec calls invalid (%s)", x.Status, strings.Join(request, "; ")))
	}
	return request, response
}

func sortedKeys(m map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Template returns the documented path template that path matches ("" for
// none).
func (s *Spec) Template(path string) string {
	if p, _ := s.match(path); p != nil {
		return p.template
	}
	return ""
}

// match finds the documented path that path matches, and its parameters.
// Literal segments win over {params}, as API Gateway routes (s.paths is in
// that order).
func (s *Spec) match(path string) (*specPath, map[string]string) {
	segs := strings.Split(strings.TrimPrefix(path, "/"), "/")
	for i := range s.paths {
		p := &s.paths[i]
		if len(p.segs) != len(segs) {
			continue
		}
		params := map[string]string{}
		for j, ps := range p.segs {
			switch {
			case segs[j] == "":
				params = nil
			case strings.HasPrefix(ps, "{"):
				params[strings.Trim(ps, "{}")] = segs[j]
			case ps != segs[j]:
				params = nil
			}
			if params == nil {
				break
			}
		}
		if params != nil {
			return p, params
		}
	}
	return nil, nil
}

// Documented returns every documented "METHOD template status".
func (s *Spec) Documented() []string {
	var out []string
	for _, p := range s.paths {
		for m, o := range p.item {
			op, ok := o.(map[string]any)
			if !ok || strings.HasPrefix(m, "x-") || m == "parameters" {
				continue
			}
			responses, _ := op["responses"].(map[string]any)
			for code := range responses {
				out = append(out, strings.ToUpper(m)+" "+p.template+" "+code)
			}
		}
	}
	sort.Strings(out)
	return out
}

// operation finds the documented operation of method and path, its path
// parameters, and the documented methods of the path.
func (s *Spec) operation(method, path string) (map[string]any, map[string]string, []string, bool) {
	p, params := s.match(path)
	if p == nil {
		return nil, nil, nil, false
	}
	var allowed []string
	for m := range p.item {
		if m != "parameters" && !strings.HasPrefix(m, "x-") {
			allowed = append(allowed, strings.ToUpper(m))
		}
	}
	sort.Strings(allowed)
	op, _ := p.item[strings.ToLower(method)].(map[string]any)
	return op, params, allowed, true
}

func (s *Spec) checkRequest(x Exchange, op map[string]any, pathParams map[string]string) []string {
	var errs []string
	params, _ := op["parameters"].([]any)
	for _, raw := range params {
		p := s.deref(raw)
		name, _ := p["name"].(string)
		in, _ := p["in"].(string)
		required, _ := p["required"].(bool)
		var value string
		var present bool
		switch in {
		case "path":
			value, present = pathParams[name]
		case "query":
			present = x.Query.Has(name)
			value = x.Query.Get(name)
		case "header":
			present = x.ReqHeader.Get(name) != ""
			value = x.ReqHeader.Get(name)
		}
		if !present {
			if required || in == "path" {
				errs = append(errs, fmt.Sprintf("%s parameter %s is required", in, name))
			}
			continue
		}
		ptr := s.pointerOf(raw) + "/schema"
		if err := s.validateParam(ptr, p, value); err != nil {
			errs = append(errs, fmt.Sprintf("%s parameter %s=%q: %v", in, name, value, err))
		}
	}
	if sec, ok := op["security"].([]any); ok && len(sec) > 0 && x.ReqHeader.Get("Authorization") == "" {
		errs = append(errs, "no Authorization header")
	}
	body, hasBody := op["requestBody"].(map[string]any)
	switch {
	case !hasBody && len(x.ReqBody) > 0 && x.Method != "GET" && x.Method != "DELETE" && x.Method != "HEAD":
		// (a GET's or DELETE's body has no meaning in HTTP; the spec is silent)
		errs = append(errs, "a body on an operation that takes none")
	case hasBody && len(x.ReqBody) == 0:
		if req, _ := body["required"].(bool); req {
			errs = append(errs, "no body; one is required")
		}
	case hasBody:
		content, _ := body["content"].(map[string]any)
		mt, _, _ := mime.ParseMediaType(x.ReqHeader.Get("Content-Type"))
		if _, ok := content[mt]; !ok {
			errs = append(errs, fmt.Sprintf("Content-Type %q is not one of %s", mt, strings.Join(sortedKeys(content), ", ")))
			break
		}
		ptr := s.opPointer(op) + "/requestBody/content/" + escape(mt) + "/schema"
		if err := s.validateBody(ptr, mt, x.ReqBody); err != nil {
			errs = append(errs, "body: "+err.Error())
		}
	}
	return errs
}

// checkResponse checks status (when want is not 0), headers and body against
// the response object r.
func (s *Spec) checkResponse(x Exchange, r map[string]any, want int) []string {
	var errs []string
	if want != 0 && x.Status != want {
		return []string{fmt.Sprintf("answered %d where the spec has only %d", x.Status, want)}
	}
	ptr, _ := r["x-pointer"].(string)
	headers, _ := r["headers"].(map[string]any)
	documented := map[string]bool{}
	for name, h := range headers {
		canon := http.CanonicalHeaderKey(name)
		documented[canon] = true
		hd := s.deref(h)
		value := x.RespHeader.Get(canon)
		if value == "" {
			if req, _ := hd["required"].(bool); req {
				errs = append(errs, "header "+name+" is required but absent")
			}
			continue
		}
		if err := s.validateParam(s.headerPointer(ptr, name, h), hd, value); err != nil {
			errs = append(errs, fmt.Sprintf("header %s: %q: %v", name, value, err))
		}
	}
	for name := range x.RespHeader {
		if !documented[name] && !transportHeaders[name] && !strings.HasPrefix(name, "Access-Control-") {
			errs = append(errs, "header "+name+" is not documented for this response")
		}
	}
	content, _ := r["content"].(map[string]any)
	if len(content) == 0 {
		if len(bytes.TrimSpace(x.RespBody)) > 0 {
			errs = append(errs, fmt.Sprintf("a body where the spec has none: %.200s", x.RespBody))
		}
		return errs
	}
	mt, _, _ := mime.ParseMediaType(x.RespHeader.Get("Content-Type"))
	if _, ok := content[mt]; !ok {
		return append(errs, fmt.Sprintf("Content-Type %q is not one of %s", mt, strings.Join(sortedKeys(content), ", ")))
	}
	if err := s.validateBody(ptr+"/content/"+escape(mt)+"/schema", mt, x.RespBody); err != nil {
		errs = append(errs, fmt.Sprintf("body: %v: %.300s", err, x.RespBody))
	}
	return errs
}

// validateBody validates a body of media type mt: JSON as JSON, any other
// (a WebSub hub's XML, a challenge's text/plain) as one string.
func (s *Spec) validateBody(ptr, mt string, raw []byte) error {
	if mt == "application/json" || strings.HasSuffix(mt, "+json") {
		return s.validateJSON(ptr, raw)
	}
	sch, err := s.schema(ptr)
	if err != nil {
		return err
	}
	return flatten(sch.Validate(string(raw)))
}

// validateJSON validates raw against the schema at the document pointer ptr.
func (s *Spec) validateJSON(ptr string, raw []byte) error {
	sch, err := s.schema(ptr)
	if err != nil {
		return err
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return fmt.Errorf("not JSON: %v", err)
	}
	return flatten(sch.Validate(v))
}

// validateParam validates a parameter or header value, a string on the wire,
// as the type its schema names.
func (s *Spec) validateParam(ptr string, p map[string]any, value string) error {
	sch, err := s.schema(ptr)
	if err != nil {
		return err
	}
	var v any = value
	schema, _ := p["schema"].(map[string]any)
	if ref, ok := schema["$ref"].(string); ok {
		schema = s.ref(ref)
	}
	switch schema["type"] {
	case "integer", "number":
		if _, err := strconv.ParseFloat(value, 64); err != nil {
			return fmt.Errorf("not a number")
		}
		v = json.Number(value)
	case "boolean":
		b, err := strconv.ParseBool(value)
		if err != nil {
			return fmt.Errorf("not a boolean")
		}
		v = b
	}
	return flatten(sch.Validate(v))
}

var english = message.NewPrinter(language.English)

func flatten(err error) error {
	if err == nil {
		return nil
	}
	if ve, ok := err.(*jsonschema.ValidationError); ok {
		var msgs []string
		var walk func(e *jsonschema.ValidationError)
		walk = func(e *jsonschema.ValidationError) {
			if len(e.Causes) == 0 {
				msgs = append(msgs, "/"+strings.Join(e.InstanceLocation, "/")+": "+e.ErrorKind.LocalizedString(english))
			}
			for _, c := range e.Causes {
				walk(c)
			}
		}
		walk(ve)
		return fmt.Errorf("%s", strings.Join(msgs, "; "))
	}
	return err
}

func (s *Spec) schema(ptr string) (*jsonschema.Schema, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if sch, ok := s.compiled[ptr]; ok {
		return sch, nil
	}
	sch, err := s.compiler.Compile(specURL + "#" + ptr)
	if err != nil {
		return nil, fmt.Errorf("compile %s: %w", ptr, err)
	}
	s.compiled[ptr] = sch
	return sch, nil
}

// deref follows a $ref to a component and remembers where the object lives
// (x-pointer) so that its schemas can be compiled by location.
func (s *Spec) deref(v any) map[string]any {
	m, _ := v.(map[string]any)
	if ref, ok := m["$ref"].(string); ok {
		return s.ref(ref)
	}
	return m
}

func (s *Spec) ref(ref string) map[string]any {
	ptr := strings.TrimPrefix(ref, "#")
	var cur any = s.doc
	for _, tok := range strings.Split(strings.TrimPrefix(ptr, "/"), "/") {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		m, _ := cur.(map[string]any)
		cur = m[tok]
	}
	m, _ := cur.(map[string]any)
	if m == nil {
		return map[string]any{}
	}
	out := map[string]any{"x-pointer": ptr}
	for k, v := range m {
		out[k] = v
	}
	return s.derefNested(out)
}

func (s *Spec) derefNested(m map[string]any) map[string]any {
	if ref, ok := m["$ref"].(string); ok {
		return s.ref(ref)
	}
	return m
}

// The pointers below locate inline objects inside the document, so that the
// compiler resolves their $refs against the whole document.

func (s *Spec) opPointer(op map[string]any) string {
	for _, p := range s.paths {
		for m, o := range p.item {
			if om, ok := o.(map[string]any); ok && sameMap(om, op) {
				return "/paths/" + escape(p.template) + "/" + m
			}
		}
	}
	return ""
}

func (s *Spec) pointerOf(raw any) string {
	m, _ := raw.(map[string]any)
	if ref, ok := m["$ref"].(string); ok {
		return strings.TrimPrefix(ref, "#")
	}
	for _, p := range s.paths {
		for meth, o := range p.item {
			om, _ := o.(map[string]any)
			params, _ := om["parameters"].([]any)
			for i, q := range params {
				if qm, ok := q.(map[string]any); ok && sameMap(qm, m) {
					return fmt.Sprintf("/paths/%s/%s/parameters/%d", escape(p.template), meth, i)
				}
			}
		}
	}
	return ""
}

func (s *Spec) headerPointer(responsePtr, name string, h any) string {
	if m, _ := h.(map[string]any); m != nil {
		if ref, ok := m["$ref"].(string); ok {
			return strings.TrimPrefix(ref, "#") + "/schema"
		}
	}
	return responsePtr + "/headers/" + escape(name) + "/schema"
}

// sameMap says whether a and b are the same map (not equal contents: the
// same object of the document).
func sameMap(a, b map[string]any) bool {
	return fmt.Sprintf("%p", a) == fmt.Sprintf("%p", b)
}

func escape(tok string) string {
	return strings.ReplaceAll(strings.ReplaceAll(tok, "~", "~0"), "/", "~1")
}

// Conformance collects the spec violations of every exchange through its
// transports.
type Conformance struct {
	Spec *Spec

	mu         sync.Mutex
	violations []string
	exchanges  int
	statuses   map[string]bool
}

// NewConformance loads the spec at path.
func NewConformance(path string) (*Conformance, error) {
	s, err := Load(path)
	if err != nil {
		return nil, err
	}
	return &Conformance{Spec: s, statuses: map[string]bool{}}, nil
}

// Violations returns every violation seen so far.
func (c *Conformance) Violations() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.violations)
}

// Counts returns how many exchanges were checked and the distinct
// "METHOD template status" triples they showed (a 405 or a 404 of a
// documented path included).
func (c *Conformance) Counts() (int, int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.exchanges, len(c.statuses)
}

// Unexercised returns the documented "METHOD template status" triples no
// checked exchange has shown.
func (c *Conformance) Unexercised() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for _, k := range c.Spec.Documented() {
		if !c.statuses[k] {
			out = append(out, k)
		}
	}
	return out
}

// Record checks one exchange and keeps its violations; it returns them.
func (c *Conformance) Record(x Exchange) []string {
	_, out := c.Spec.Check(x)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.exchanges++
	if tmpl := c.Spec.Template(x.Path); tmpl != "" {
		c.statuses[fmt.Sprintf("%s %s %d", x.Method, tmpl, x.Status)] = true
	}
	for _, v := range out {
		c.violations = append(c.violations, fmt.Sprintf("%s %s → %d: %s", x.Method, x.Path, x.Status, v))
	}
	return out
}

// Transport checks every in-scope exchange through next; a violation fails
// the round trip (and is kept for Violations).
func (c *Conformance) Transport(next http.RoundTripper) http.RoundTripper {
	if next == nil {
		next = http.DefaultTransport
	}
	return roundTripper(func(req *http.Request) (*http.Response, error) {
		if !InScope(req.URL.Path) {
			return next.RoundTrip(req)
		}
		var reqBody []byte
		if req.Body != nil && req.Body != http.NoBody {
			b, err := io.ReadAll(req.Body)
			req.Body.Close()
			if err != nil {
				return nil, err
			}
			reqBody = b
			clone := req.Clone(req.Context())
			clone.Body = io.NopCloser(bytes.NewReader(b))
			clone.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }
			req = clone
		}
		resp, err := next.RoundTrip(req)
		if err != nil {
			return resp, err
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return nil, err
		}
		resp.Body = io.NopCloser(bytes.NewReader(body))
		if v := c.Record(Exchange{Method: req.Method, Path: req.URL.Path, Query: req.URL.Query(), ReqHeader: req.Header,
			ReqBody: reqBody, Status: resp.StatusCode, RespHeader: resp.Header, RespBody: body}); len(v) > 0 {
			return nil, fmt.Errorf("the OpenAPI contract (infra/topology/openapi.json) is broken: %s %s → %d: %s",
				req.Method, req.URL.Path, resp.StatusCode, strings.Join(v, "; "))
		}
		return resp, nil
	})
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
