package local_test

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/kiosk-news/kiosk/infra/topology"
	"github.com/kiosk-news/kiosk/shared/platform/dynalite"
)

// quiet makes the local cloud quiet (Cloud.Quiesce) for a test that
// compares tables before and after, and resumes it when the test ends.
func quiet(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := cloud.Quiesce(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cloud.Resume)
}

// snapshot hashes every item of every table (read straight from dynalite).
func snapshot(t *testing.T) map[string]string {
	t.Helper()
	db := dynalite.Client(cloud.DynamoURL)
	out := map[string]string{}
	for _, tb := range cloud.Topology.Tables {
		if tb.Name == topology.LimitsTable {
			continue // the per-client counters count every request, good or bad
		}
		p := dynamodb.NewScanPaginator(db, &dynamodb.ScanInput{TableName: aws.String(cloud.TableName(tb.Name))})
		for p.HasMorePages() {
			page, err := p.NextPage(context.Background())
			if err != nil {
				t.Fatalf("scan %s: %v", tb.Name, err)
			}
			for _, item := range page.Items {
				b, _ := json.Marshal(item)
				key, _ := json.Marshal(item[tb.PartitionKey.Name])
				if tb.SortKey != nil {
					sk, _ := json.Marshal(item[tb.SortKey.Name])
					key = append(key, sk...)
				}
				sum := sha256.Sum256(b)
				out[tb.Name+" "+string(key)] = fmt.Sprintf("%x", sum[:8])
			}
		}
	}
	return out
}

func diff(a, b map[string]string) []string {
	var out []string
	for k, v := range a {
		if b[k] != v {
			out = append(out, "changed or removed: "+k)
		}
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			out = append(out, "added: "+k)
		}
	}
	sort.Strings(out)
	return out
}

type corpusCase struct {
	name, method, path, contentType, body string
	want                                  int // the exact status, when the case decides it
}

// TestBadInputCorpus sends, to every API route of the OpenAPI file, inputs
// no client should send — malformed, truncated and mistyped JSON, unknown
// and server-owned fields, invalid UTF-8, huge values, oversize bodies, the
// wrong content type, forged cursors and limits, hostile path ids — with the
// credentials the route needs, so each reaches the function. Each must get a
// 4xx in the error contract's shape, and no table may change.
func TestBadInputCorpus(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(root, "infra", "topology", "openapi.json"))
	if err != nil {
		t.Fatal(err)
	}
	var spec struct {
		Paths map[string]map[string]struct {
			Security    []map[string][]string `json:"security"`
			RequestBody *json.RawMessage      `json:"requestBody"`
			Parameters  []struct {
				Ref  string `json:"$ref"`
				Name string `json:"name"`
				In   string `json:"in"`
			} `json:"parameters"`
		} `json:"paths"`
	}
	if err := json.Unmarshal(raw, &spec); err != nil {
		t.Fatal(err)
	}
	user := register(t)
	tokens := map[string]string{"userToken": user.Token, "adminToken": cloud.AdminToken()}

	hostileIDs := []string{"..%2F..%2Fetc%2Fpasswd", "%00", "%E2%80%AE", strings.Repeat("a", 3000), "%FF%FE", "x%0Ay"}
	bodies := []corpusCase{
		{name: "truncated JSON", body: `{"`},
		{name: "not an object", body: `[1,2,3]`},
		{name: "a bare string", body: `"hello"`},
		{name: "two values", body: `{} {}`},
		{name: "unknown field", body: `{"zzz_unknown":1}`},
		{name: "server-owned fields", body: `{"user_id":"ffffffffffffffffffffffffffffffff","role":"admin","created_at":"2020-01-01T00:00:00Z","id":"x"}`},
		{name: "wrong types", body: `{"events":"x","categories":7,"ids":{},"hidden":"yes","pinned":1,"url":[],"weight":"heavy"}`},
		{name: "huge number", body: `{"weight":1e400,"limit":99999999999999999999999}`},
		{name: "huge string", body: `{"name":"` + strings.Repeat("x", 200_000) + `"}`},
		{name: "invalid UTF-8", body: "{\"name\":\"\xff\xfe\"}"},
		{name: "deep nesting", body: strings.Repeat(`{"a":`, 5000) + "1" + strings.Repeat("}", 5000)},
		{name: "oversize body", body: `{"name":"` + strings.Repeat("x", 1_200_000) + `"}`},
		{name: "wrong content type", contentType: "text/plain", body: `{}`},
	}
	var cases []corpusCase
	var keys []string
	for p := range spec.Paths {
		keys = append(keys, p)
	}
	sort.Strings(keys)
	for _, p := range keys {
		for method, op := range spec.Paths[p] {
			method = strings.ToUpper(method)
			if p == "/v1/users" && method == "POST" {
				continue // registration creates a user from nothing; its body is checked below
			}
			paths := []string{p}
			if strings.Contains(p, "{") {
				paths = nil
				for _, id := range hostileIDs {
					paths = append(paths, strings.NewReplacer("{id}", id, "{file}", id).Replace(p))
				}
			}
			for _, concrete := range paths {
				route := method + " " + p
				if concrete != p {
					cases = append(cases, corpusCase{name: route + " hostile id " + concrete[:min(len(concrete), 40)], method: method, path: concrete})
				}
				if op.RequestBody != nil {
					for _, b := range bodies {
						ct := b.contentType
						if ct == "" {
							ct = "application/json"
						}
						cases = append(cases, corpusCase{name: route + " " + b.name, method: method, path: concrete, contentType: ct, body: b.body})
					}
					// The route's own body cap (the topology's, enforced by the
					// function): one byte past it is a 413, at it the body is read
					// (and refused for its unknown field).
					if concrete == p {
						cap := capOf(t, route)
						pad := func(n int64) string { return `{"name":"` + strings.Repeat("x", int(n)-len(`{"name":""}`)) + `"}` }
						cases = append(cases,
							corpusCase{name: fmt.Sprintf("%s one byte over its %d-byte cap", route, cap), method: method, path: p, contentType: "application/json", body: pad(cap + 1), want: 413},
							corpusCase{name: fmt.Sprintf("%s at its %d-byte cap", route, cap), method: method, path: p, contentType: "application/json", body: pad(cap), want: 400})
					}
				}
				if concrete == p {
					// Bad values for each query parameter the route declares.
					bad := map[string][]string{
						"#/components/parameters/Limit":      {"limit=-1", "limit=0", "limit=abc", "limit=1.5", "limit=99999999999999999999", "limit=101"},
						"#/components/parameters/LimitFifty": {"limit=0", "limit=51"},
						"#/components/parameters/Cursor":     {"cursor=forged", "cursor=" + url.QueryEscape("eyJyIjoiLi4vLi4iLCJvIjotMX0"), "cursor=%FF", "cursor=" + strings.Repeat("A", 3000)},
						"category":                           {"category=Not%20A%20Category", "category=%00", "category=" + strings.Repeat("a", 100)},
						"from":                               {"from=yesterday&to=2026-01-01T00:00:00Z&granularity=hour&by=all"},
						"to":                                 {"from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z&granularity=hour&by=all", "from=2000-01-01T00:00:00Z&to=2026-01-01T00:00:00Z&granularity=hour&by=all"},
						"granularity":                        {"from=2026-01-01T00:00:00Z&to=2026-01-01T00:00:00Z&granularity=week&by=all"},
						"by":                                 {"from=2026-01-01T00:00:00Z&to=2026-01-01T00:00:00Z&granularity=hour&by=%3Cscript%3E"},
					}
					for _, prm := range op.Parameters {
						key := prm.Ref
						if key == "" {
							if prm.In != "query" {
								continue
							}
							key = prm.Name
						}
						for _, q := range bad[key] {
							cases = append(cases, corpusCase{name: route + " ?" + q[:min(len(q), 60)], method: method, path: concrete + "?" + q})
						}
					}
				}
			}
		}
	}
	// Register with a body stuffed with server-owned fields: the install must
	// not get them.
	status, body := admin(t, "POST", "/v1/users", "", "application/json", `{"user_id":"ffffffffffffffffffffffffffffffff","role":"admin"}`)
	if status == 201 && strings.Contains(string(body), "ffffffffffffffffffffffffffffffff") {
		t.Errorf("registration took a client-chosen user id: %s", body)
	}

	// Pause background work and wait until what earlier tests started has
	// finished, then freeze the tables.
	quiet(t)
	before := snapshot(t)
	tokenFor := func(path, method string) string {
		op := spec.Paths[strings.SplitN(path, "?", 2)[0]]
		for _, s := range op[strings.ToLower(method)].Security {
			for scheme := range s {
				return tokens[scheme]
			}
		}
		return ""
	}
	client := &http.Client{Timeout: 30 * time.Second, Transport: checked(nil)}
	tried, server := 0, 0
	for _, c := range cases {
		// The token the route's documented path asks for.
		tmpl := c.path
		for p := range spec.Paths {
			if strings.HasPrefix(c.name, c.method+" "+p+" ") {
				tmpl = p
			}
		}
		req, err := http.NewRequest(c.method, cloud.APIURL+c.path, strings.NewReader(c.body))
		if err != nil {
			continue // an unencodable path is refused before it is sent
		}
		if tok := tokenFor(tmpl, c.method); tok != "" {
			req.Header.Set("Authorization", "Bearer "+tok)
		}
		if c.contentType != "" {
			req.Header.Set("Content-Type", c.contentType)
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		tried++
		var e struct {
			Error struct {
				Code      string `json:"code"`
				Message   string `json:"message"`
				RequestID string `json:"request_id"`
			} `json:"error"`
		}
		switch {
		case c.want != 0 && resp.StatusCode != c.want:
			t.Errorf("%s: %d, want %d: %s", c.name, resp.StatusCode, c.want, truncated(b))
		case resp.StatusCode >= 500:
			server++
			t.Errorf("%s: %d %s", c.name, resp.StatusCode, truncated(b))
		case resp.StatusCode < 400:
			t.Errorf("%s: accepted (%d) %s", c.name, resp.StatusCode, truncated(b))
		case json.Unmarshal(b, &e) != nil || e.Error.Code == "" || e.Error.Message == "":
			t.Errorf("%s: %d is not the error contract: %s", c.name, resp.StatusCode, truncated(b))
		}
	}
	quiet(t) // whatever a bad input set off has landed
	changed := diff(before, snapshot(t))
	if len(changed) > 0 {
		t.Errorf("bad inputs changed the tables: %v", changed[:min(len(changed), 10)])
	}
	t.Logf("%d bad inputs over %d routes: %d server errors", tried, len(keys), server)
	figures.set(func(f *reliabilityFigures) {
		f.CorpusInputs, f.CorpusRoutes, f.CorpusServerErrors, f.CorpusTablesChanged = tried, len(keys), server, len(changed)
	})
}

// capOf is a route's body cap as the topology declares it.
func capOf(t *testing.T, route string) int64 {
	for _, r := range cloud.Topology.Routes() {
		if r.Key() == route {
			return r.Limits().MaxBody
		}
	}
	t.Fatalf("the topology has no route %s", route)
	return 0
}

func truncated(b []byte) string {
	if len(b) > 200 {
		return string(b[:200]) + "…"
	}
	return string(b)
}
