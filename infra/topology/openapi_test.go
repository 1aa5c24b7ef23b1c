package topology

import (
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"
)

type openAPI struct {
	OpenAPI string                                `json:"openapi"`
	Paths   map[string]map[string]json.RawMessage `json:"paths"`
}

type operation struct {
	Function    string                     `json:"x-kiosk-function"`
	MaxBody     int64                      `json:"x-kiosk-max-body"`
	OperationID string                     `json:"operationId"`
	Description string                     `json:"description"`
	Tags        []string                   `json:"tags"`
	Security    *[]map[string][]string     `json:"security"`
	Responses   map[string]json.RawMessage `json:"responses"`
}

// TestOpenAPIMatchesTheTopology fails when a declared route is missing from
// openapi.json or it documents a route that is not declared.
func TestOpenAPIMatchesTheTopology(t *testing.T) {
	raw, err := os.ReadFile("openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc openAPI
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.1") {
		t.Errorf("openapi = %q, want 3.1.x", doc.OpenAPI)
	}
	documented := map[string]operation{}
	for path, ops := range doc.Paths {
		for method, rawOp := range ops {
			var op operation
			if err := json.Unmarshal(rawOp, &op); err != nil {
				t.Fatalf("%s %s: %v", method, path, err)
			}
			documented[strings.ToUpper(method)+" "+path] = op
		}
	}
	declared := map[string]FunctionRoute{}
	for _, r := range Kiosk().Routes() {
		if r.Auth != Console {
			declared[r.Key()] = r // console pages are HTML for browsers, not the API
		}
	}
	var missing, extra []string
	for k := range declared {
		if _, ok := documented[k]; !ok {
			missing = append(missing, k)
		}
	}
	for k := range documented {
		if _, ok := declared[k]; !ok {
			extra = append(extra, k)
		}
	}
	sort.Strings(missing)
	sort.Strings(extra)
	if len(missing) > 0 {
		t.Errorf("declared but not in openapi.json: %v", missing)
	}
	if len(extra) > 0 {
		t.Errorf("in openapi.json but not declared: %v", extra)
	}
	for k, r := range declared {
		op, ok := documented[k]
		if !ok {
			continue
		}
		if op.Function != r.Function {
			t.Errorf("%s: x-kiosk-function = %q, the topology says %q", k, op.Function, r.Function)
		}
		wantScheme := map[Auth]string{Public: "", User: "userToken", Admin: "adminToken"}[r.Auth]
		switch {
		case op.Security == nil:
			t.Errorf("%s: no security requirement; write [] for a public route", k)
		case wantScheme == "" && len(*op.Security) != 0:
			t.Errorf("%s is public but documents %v", k, *op.Security)
		case wantScheme != "" && (len(*op.Security) != 1 || (*op.Security)[0][wantScheme] == nil):
			t.Errorf("%s needs %s auth, documented %v", k, r.Auth, *op.Security)
		}
		// What every route can answer: a query string that does not parse
		// (httpapi's wrapper, even on a route without parameters), its body
		// cap (even without a body), the stage throttle, and the function's
		// and Lambda's failures; and on an authorized route, API Gateway's
		// 401 and the authorizer's 403.
		always := []string{"400", "413", "429", "500", "503", "504"}
		if r.Auth.Authorized() {
			always = append(always, "401", "403")
		}
		for _, code := range always {
			if _, ok := op.Responses[code]; !ok {
				t.Errorf("%s does not document %s, which it can answer", k, code)
			}
		}
		if want := r.Limits().MaxBody; op.MaxBody != want {
			t.Errorf("%s: x-kiosk-max-body = %d, the topology caps the body at %d", k, op.MaxBody, want)
		}
		if op.OperationID == "" || op.Description == "" || len(op.Tags) != 1 {
			t.Errorf("%s needs an operationId, a description and one tag (got %q, %d characters, %v)", k, op.OperationID, len(op.Description), op.Tags)
		}
	}
}

// TestEveryObjectInOpenAPIIsClosedAndDescribed fails when an object schema
// lets undocumented fields through (the end-to-end suite relies on
// additionalProperties: false to refuse them), when a property has no
// description, or when a component schema has no example.
func TestEveryObjectInOpenAPIIsClosedAndDescribed(t *testing.T) {
	raw, err := os.ReadFile("openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	var walk func(where string, v any)
	walk = func(where string, v any) {
		switch n := v.(type) {
		case map[string]any:
			if props, ok := n["properties"].(map[string]any); ok && n["type"] == "object" {
				if n["additionalProperties"] != false {
					t.Errorf("%s: an object with properties must say additionalProperties: false", where)
				}
				for name, p := range props {
					pm, _ := p.(map[string]any)
					if _, ok := pm["$ref"]; !ok && pm["description"] == nil {
						t.Errorf("%s.%s has no description", where, name)
					}
				}
			}
			for k, c := range n {
				walk(where+"/"+k, c)
			}
		case []any:
			for i, c := range n {
				walk(fmt.Sprintf("%s/%d", where, i), c)
			}
		}
	}
	walk("", doc)
	schemas := doc["components"].(map[string]any)["schemas"].(map[string]any)
	for name, s := range schemas {
		if s.(map[string]any)["example"] == nil {
			t.Errorf("components.schemas.%s has no example", name)
		}
	}
}
