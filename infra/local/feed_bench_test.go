package local_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// BenchmarkFeedThroughTheGateway measures warm requests to the hot read
// routes through the local gateway (authorizer, RIE, function, dynalite) and
// reports the DynamoDB calls per request from the functions' access log.
// Budgets: /v1/feed 1 call, /v1/feed/me 2.
// Reproduce: go test -run '^$' -bench FeedThroughTheGateway -benchtime 200x ./infra/local
func BenchmarkFeedThroughTheGateway(b *testing.B) {
	call := func(method, path, token, body string) (int, []byte) {
		req, _ := http.NewRequest(method, cloud.APIURL+path, strings.NewReader(body))
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		defer resp.Body.Close()
		out, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, out
	}
	// Wait (bounded) for the sample news to be ranked.
	deadline := time.Now().Add(90 * time.Second)
	for {
		_, body := call("GET", "/v1/feed?category=top", "", "")
		if strings.Contains(string(body), `"reason"`) {
			break
		}
		if time.Now().After(deadline) {
			b.Fatal("the sample news was never ranked")
		}
		call("POST", "/_local/schedules/announce-articles/run", "", "")
		time.Sleep(time.Second)
	}
	_, body := call("POST", "/v1/users", "", "")
	var reg struct {
		Token string `json:"token"`
	}
	if json.Unmarshal(body, &reg) != nil || reg.Token == "" {
		b.Fatalf("register: %s", body)
	}
	call("PUT", "/v1/users/me/interests", reg.Token, `{"categories":["tech","sports"]}`)
	for _, c := range []struct {
		name, path, route, fn string
		user                  bool
		budget                float64
	}{
		{"feed", "/v1/feed?category=top&limit=20", "GET /v1/feed", "feed-api", false, 1},
		{"feed-me", "/v1/feed/me?limit=20", "GET /v1/feed/me", "feed-api", true, 2},
		{"articles", "/v1/articles?limit=20", "GET /v1/articles", "articles-api", false, 1},
	} {
		b.Run(c.name, func(b *testing.B) {
			token := ""
			if c.user {
				token = reg.Token
			}
			if status, body := call("GET", c.path, token, ""); status != 200 { // warm up
				b.Fatalf("%s: %d %s", c.path, status, body)
			}
			for b.Loop() {
				if status, _ := call("GET", c.path, token, ""); status != 200 {
					b.Fatalf("%s: %d", c.path, status)
				}
			}
			b.StopTimer()
			n := min(b.N, 500)
			_, logs := call("GET", fmt.Sprintf("/_local/logs?function=%s&limit=%d&contains=%s", c.fn, n,
				url.QueryEscape(`"route":"`+c.route+`"`)), "", "")
			var out struct {
				Lines []string `json:"lines"`
			}
			if err := json.Unmarshal(logs, &out); err != nil || len(out.Lines) == 0 {
				b.Fatalf("access log: %v %s", err, logs)
			}
			total := 0.0
			for _, l := range out.Lines {
				var rec struct {
					Calls float64 `json:"dynamodb_calls"`
				}
				if err := json.Unmarshal([]byte(l[strings.Index(l, "{"):]), &rec); err != nil {
					b.Fatalf("access log line %q: %v", l, err)
				}
				total += rec.Calls
			}
			perReq := total / float64(len(out.Lines))
			b.ReportMetric(perReq, "dynamodb-calls/req")
			if perReq > c.budget {
				b.Errorf("%s costs %.2f DynamoDB calls a request, over its budget of %.0f", c.route, perReq, c.budget)
			}
		})
	}
}
