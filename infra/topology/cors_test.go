package topology

import (
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"
)

// TestCORSLetsABrowserAppUseTheWholeContract: every route's method may be
// sent, every request header the spec documents (and Authorization,
// Content-Type) may be sent, and every response header it documents that a
// browser would hide may be read.
func TestCORSLetsABrowserAppUseTheWholeContract(t *testing.T) {
	c := Kiosk().CORS
	for _, r := range Kiosk().Routes() {
		if !slices.Contains(c.Methods, r.Method) {
			t.Errorf("%s: method %s is not allowed by CORS", r.Key(), r.Method)
		}
	}
	raw, err := os.ReadFile("openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	request := map[string]bool{"authorization": true, "content-type": true}
	response := map[string]bool{}
	var walk func(v any, in string)
	walk = func(v any, in string) {
		switch v := v.(type) {
		case map[string]any:
			if v["in"] == "header" {
				if name, ok := v["name"].(string); ok {
					request[strings.ToLower(name)] = true
				}
			}
			for k, x := range v {
				if k == "headers" && in == "response" {
					for name := range x.(map[string]any) {
						response[strings.ToLower(name)] = true
					}
				}
				next := in
				if k == "responses" {
					next = "response"
				}
				walk(x, next)
			}
		case []any:
			for _, x := range v {
				walk(x, in)
			}
		}
	}
	walk(doc["paths"], "")
	walk(doc["components"], "")
	// WebSub hubs call their routes server to server: no browser sends it.
	delete(request, "x-hub-signature")
	for h := range request {
		if !slices.Contains(c.AllowHeaders, h) {
			t.Errorf("request header %s is in the spec but CORS does not allow it", h)
		}
	}
	// CORS-safelisted response headers are readable anyway; Allow comes only
	// with the local 405 (AWS answers 404).
	// X-Content-Type-Options is the browser's own directive, nothing an app
	// reads.
	for _, safe := range []string{"cache-control", "content-type", "allow", "x-content-type-options"} {
		delete(response, safe)
	}
	for h := range response {
		if !slices.Contains(c.ExposeHeaders, h) {
			t.Errorf("response header %s is in the spec but CORS does not expose it", h)
		}
	}
	if len(response) == 0 || len(request) < 3 {
		t.Errorf("found too few headers in the spec: request %v, response %v", request, response)
	}
}

func TestCORSAnswersOnlyAllowedOrigins(t *testing.T) {
	c := Kiosk().CORS
	o := c.Origins[0]
	if h := c.Preflight(c.Origins, o, "POST", "Content-Type, Idempotency-Key"); h["Access-Control-Allow-Origin"] != o || !strings.Contains(h["Access-Control-Allow-Headers"], "idempotency-key") {
		t.Errorf("preflight of the TS client's register: %v", h)
	}
	if h := c.Preflight(c.Origins, "https://evil.example", "POST", ""); h != nil {
		t.Errorf("another origin: %v", h)
	}
	if h := c.Preflight(c.Origins, o, "POST", "x-secret"); h != nil {
		t.Errorf("an undeclared header: %v", h)
	}
	if h := c.Actual(c.Origins, o); !strings.Contains(h["Access-Control-Expose-Headers"], "retry-after") {
		t.Errorf("actual: %v", h)
	}
}
