package topology

import (
	"encoding/json"
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
	Function  string                     `json:"x-kiosk-function"`
	Security  *[]map[string][]string     `json:"security"`
	Responses map[string]json.RawMessage `json:"responses"`
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
		hasError := false
		for code := range op.Responses {
			hasError = hasError || code[0] == '4' || code[0] == '5'
		}
		if !hasError {
			t.Errorf("%s documents no error response", k)
		}
	}
}
