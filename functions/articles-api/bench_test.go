package main

import (
	"context"
	"encoding/json"
	"hash/crc32"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"reflect"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/kiosk-news/kiosk/infra/bench/peer/getproduct"
	"github.com/kiosk-news/kiosk/shared/article"
	"github.com/kiosk-news/kiosk/shared/platform/boot"
	"github.com/kiosk-news/kiosk/shared/platform/clock"
	"github.com/kiosk-news/kiosk/shared/platform/contract"
	"github.com/kiosk-news/kiosk/shared/platform/httpapi"
)

// benchArticle is the stored item both sides read: an article as ingestion
// writes it (every attribute of article's item), with a summary of a
// typical length.
const benchArticle = `{"Item":{` +
	`"pk":{"S":"article#0123456789abcdef0123456789abcdef"},` +
	`"gsi1pk":{"S":"cat#world"},"gsi1sk":{"S":"2026-12-01T09:30:05.123456789Z#0123456789abcdef0123456789abcdef"},` +
	`"gsi2pk":{"S":"articles"},"gsi2sk":{"S":"2026-12-01T09:30:05.123456789Z#0123456789abcdef0123456789abcdef"},` +
	`"gsi3pk":{"S":"story#fedcba9876543210fedcba9876543210"},"gsi3sk":{"S":"2026-12-01T09:30:05.123456789Z"},` +
	`"id":{"S":"0123456789abcdef0123456789abcdef"},"url":{"S":"https://news.example.com/world/2026/12/01/talks-resume-after-a-week-of-strikes"},` +
	`"title":{"S":"Talks resume after a week of strikes at the ports"},` +
	`"summary":{"S":"Negotiators for the dock workers and the port operators met again on Monday, a week after the strikes began, with both sides saying an agreement on pay and shift patterns was close but that the question of automation at the new container terminal remained open."},` +
	`"image_url":{"S":"https://news.example.com/images/2026/12/01/ports.jpg"},"source_id":{"S":"example-world"},"category":{"S":"world"},` +
	`"story":{"S":"fedcba9876543210fedcba9876543210"},"language":{"S":"en"},` +
	`"published_at":{"S":"2026-12-01T09:30:05.123456789Z"},"ingested_at":{"S":"2026-12-01T09:31:00.5Z"},` +
	`"source_weight":{"N":"1"},"fingerprint":{"N":"1234567890123456789"}}}`

// fakeDynamoDB answers GetItem with benchArticle and DescribeTable (the
// store's warm-up at init) with an active table: a DynamoDB HTTP endpoint
// that costs both sides the same and nothing that varies.
func fakeDynamoDB(tb testing.TB) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		status, body := http.StatusOK, ""
		switch r.Header.Get("X-Amz-Target") {
		case "DynamoDB_20120810.GetItem":
			body = benchArticle
		case "DynamoDB_20120810.DescribeTable":
			body = `{"Table":{"TableName":"articles","TableStatus":"ACTIVE"}}`
		default:
			status, body = http.StatusBadRequest, `{"__type":"com.amazon.coral.validate#ValidationException","message":"not faked"}`
		}
		// DynamoDB's own headers; the SDK checks the CRC.
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		w.Header().Set("X-Amz-Crc32", strconv.FormatUint(uint64(crc32.ChecksumIEEE([]byte(body))), 10))
		w.Header().Set("X-Amzn-Requestid", "BENCHREQUESTID0000000000000000000000000000000000000")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}))
	tb.Cleanup(srv.Close)
	return srv
}

func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkReadRoute is make bench's peer comparison in one process: GET
// /v1/articles/{id} as the Lambda runtime hands it over (the event's JSON
// through aws-lambda-go's handler, the response's JSON back) through
// articles-api's whole path — httpapi.Handler's proxy adapter, contract
// wrapper and access line (to /dev/null), ServeMux, the article service and
// its DynamoDB store — against the peer's handler (infra/bench/peer), both
// reading the same item from the same fake DynamoDB endpoint, with the
// environment each gets in AWS. Run both in the same run and compare:
// go test -run '^$' -bench ReadRoute -benchmem -count 6 ./functions/articles-api
// readRoute is articles-api's Lambda handler as its main wires it, with the
// topology's environment, and the peer's as its main wires it, both on one
// fake DynamoDB endpoint, and the event of GET /v1/articles/{id} with the
// headers a mobile client sends through API Gateway. The access lines go to
// /dev/null.
func readRoute(tb testing.TB) (kiosk, peer lambda.Handler, payload []byte) {
	ddb := fakeDynamoDB(tb)
	for k, v := range map[string]string{"AWS_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench",
		"AWS_ENDPOINT_URL_DYNAMODB": ddb.URL, "AWS_LAMBDA_FUNCTION_NAME": "articles-api"} {
		tb.Setenv(k, v)
	}
	null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		tb.Fatal(err)
	}
	stdout := os.Stdout
	os.Stdout = null
	tb.Cleanup(func() { os.Stdout = stdout; null.Close() })

	// articles-api as its main wires it, with the route limits the topology
	// gives it on the day this was written (written out: a test under
	// functions/ imports nothing of infra/ but the peer's handler). Both are
	// the default body cap, so a drift changes no measured path.
	vars := map[string]string{contract.FunctionEnv: "articles-api", contract.TableEnv(contract.ArticlesTable): "articles",
		contract.RouteLimitsEnv: `{"GET /v1/articles":{"max_body":65536},"GET /v1/articles/{id}":{"max_body":65536}}`}
	env, err := boot.FromEnv(func(k string) string { return vars[k] })
	if err != nil {
		tb.Fatal(err)
	}
	routeLimits, limiter := env.RouteLimits()
	kiosk = lambda.NewHandler(httpapi.Handler(routes(&article.Service{Store: article.NewDynamoStore(env.Table(contract.ArticlesTable)), Now: clock.Now}),
		httpapi.Limits{Routes: routeLimits, Limiter: limiter}))

	// The peer as its main wires it.
	cfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	peer = lambda.NewHandler(getproduct.Handler{Client: dynamodb.NewFromConfig(cfg), Table: "articles"}.Handle)

	const id = "0123456789abcdef0123456789abcdef"
	payload, err = json.Marshal(events.APIGatewayV2HTTPRequest{
		Version: "2.0", RouteKey: "GET /v1/articles/{id}", RawPath: "/v1/articles/" + id,
		Headers: map[string]string{"accept": "application/json", "accept-encoding": "gzip, deflate, br", "accept-language": "en-GB,en;q=0.9",
			"content-length": "0", "host": "api.example.com", "user-agent": "Kiosk/3.1 (iPhone; iOS 18.1)", "x-amzn-trace-id": "Root=1-67a0b1c2-0123456789abcdef01234567",
			"x-forwarded-for": "203.0.113.7", "x-forwarded-port": "443", "x-forwarded-proto": "https"},
		PathParameters: map[string]string{"id": id},
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			RequestID: "Xb3rTgJLoAMEVJg=", RouteKey: "GET /v1/articles/{id}", DomainName: "api.example.com", Stage: "$default",
			AccountID: "123456789012", APIID: "abcdef1234", DomainPrefix: "api", Time: "01/Dec/2026:09:30:05 +0000", TimeEpoch: 1796117405000,
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: "GET", Path: "/v1/articles/" + id, Protocol: "HTTP/1.1",
				SourceIP: "203.0.113.7", UserAgent: "Kiosk/3.1 (iPhone; iOS 18.1)"},
		},
	})
	if err != nil {
		tb.Fatal(err)
	}
	return kiosk, peer, payload
}

// TestTheReadRouteAnswersAsThePeer: the benchmark's two sides answer the
// same article, with the same public fields.
func TestTheReadRouteAnswersAsThePeer(t *testing.T) {
	kiosk, peer, payload := readRoute(t)
	var bodies [2]map[string]any
	for i, h := range []lambda.Handler{kiosk, peer} {
		out, err := h.Invoke(context.Background(), payload)
		if err != nil {
			t.Fatal(err)
		}
		var resp events.APIGatewayV2HTTPResponse
		if err := json.Unmarshal(out, &resp); err != nil || resp.StatusCode != 200 {
			t.Fatalf("%s: %v", out, err)
		}
		if err := json.Unmarshal([]byte(resp.Body), &bodies[i]); err != nil {
			t.Fatal(err)
		}
	}
	if !reflect.DeepEqual(bodies[0], bodies[1]) || bodies[0]["title"] != "Talks resume after a week of strikes at the ports" {
		t.Errorf("articles-api answered %v\nthe peer %v", bodies[0], bodies[1])
	}
}

func BenchmarkReadRoute(b *testing.B) {
	kiosk, peer, payload := readRoute(b)
	for _, side := range []struct {
		name string
		h    lambda.Handler
	}{{"kiosk", kiosk}, {"peer", peer}} {
		b.Run(side.name, func(b *testing.B) {
			ctx := context.Background()
			b.ReportAllocs()
			before := cpuTime(b)
			for b.Loop() {
				out, err := side.h.Invoke(ctx, payload)
				if err != nil || !strings.Contains(string(out), `"statusCode":200`) {
					b.Fatalf("%s %v", out, err)
				}
			}
			// The process's CPU (user and system, every thread: the fake
			// endpoint's too, the same for both), as make bench's CPU per
			// request counts it; steadier than ns/op on a shared machine.
			b.ReportMetric(float64(cpuTime(b)-before)/float64(b.N), "cpu-ns/op")
		})
	}
}
