package local_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/smithy-go"

	"github.com/kiosk-news/kiosk/infra/local"
	"github.com/kiosk-news/kiosk/shared/article"
	"github.com/kiosk-news/kiosk/shared/article/feeddoc"
	"github.com/kiosk-news/kiosk/shared/article/feedparse"
	"github.com/kiosk-news/kiosk/shared/article/ingest"
	"github.com/kiosk-news/kiosk/shared/platform/contract"
	"github.com/kiosk-news/kiosk/shared/platform/invoke"
)

// as returns AWS settings carrying a function's local identity, as its
// instances get them.
func as(fn string) (aws.Config, func(*dynamodb.Options)) {
	cfg := aws.Config{Region: local.Region, Credentials: aws.NewCredentialsCache(aws.CredentialsProviderFunc(
		func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: "local-" + fn, SecretAccessKey: "local"}, nil
		}))}
	return cfg, func(o *dynamodb.Options) { o.BaseEndpoint = aws.String(cloud.FunctionDynamoURL()) }
}

func denied(err error) bool {
	var api smithy.APIError
	return errors.As(err, &api) && api.ErrorCode() == "AccessDeniedException"
}

// TestLeastPrivilegeIsEnforcedLocally oversteps each grant with a function's
// own identity: what its IAM policy would refuse in AWS is refused here too.
func TestLeastPrivilegeIsEnforcedLocally(t *testing.T) {
	ctx := context.Background()
	key := map[string]types.AttributeValue{"id": &types.AttributeValueMemberS{Value: "x"}}
	healthTable, usersTable := aws.String(cloud.TableName("health")), aws.String(cloud.TableName("users"))
	cfg, opt := as("health-api")
	db := dynamodb.NewFromConfig(cfg, opt)
	if _, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: healthTable, Key: key}); err != nil {
		t.Errorf("health-api reading its table: %v", err)
	}
	if _, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: healthTable, Item: key}); !denied(err) {
		t.Errorf("health-api writing its read-only table: %v, want AccessDeniedException", err)
	}
	if _, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: usersTable, Key: key}); !denied(err) {
		t.Errorf("health-api reading the users table: %v, want AccessDeniedException", err)
	}
	if _, err := db.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: map[string]types.KeysAndAttributes{
		*healthTable: {Keys: []map[string]types.AttributeValue{key}}, *usersTable: {Keys: []map[string]types.AttributeValue{key}},
	}}); !denied(err) {
		t.Errorf("a batch touching an ungranted table: %v, want AccessDeniedException", err)
	}
	if _, err := db.ListTables(ctx, &dynamodb.ListTablesInput{}); !denied(err) {
		t.Errorf("ListTables: %v, want AccessDeniedException", err)
	}

	put := func(fn, source, detailType, detail string) error {
		cfg, _ := as(fn)
		eb := eventbridge.NewFromConfig(cfg, func(o *eventbridge.Options) { o.BaseEndpoint = aws.String(cloud.BusURL) })
		_, err := eb.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: []ebtypes.PutEventsRequestEntry{{
			EventBusName: aws.String(cloud.BusName()), Source: aws.String(source), DetailType: aws.String(detailType), Detail: aws.String(detail)}}})
		return err
	}
	hb := `{"run":"r","at":"2026-11-25T10:00:00Z"}`
	if err := put("heartbeat", "kiosk.platform", "platform.heartbeat", hb); err != nil {
		t.Errorf("heartbeat publishing what it declares: %v", err)
	}
	if err := put("health-api", "kiosk.platform", "platform.heartbeat", hb); !denied(err) {
		t.Errorf("health-api publishing: %v, want AccessDeniedException", err)
	}
	if err := put("announce-articles", "kiosk.platform", "platform.heartbeat", hb); !denied(err) {
		t.Errorf("announce-articles publishing an undeclared type: %v, want AccessDeniedException", err)
	}

	secret := func(fn, name string) error {
		cfg, _ := as(fn)
		sm := secretsmanager.NewFromConfig(cfg, func(o *secretsmanager.Options) { o.BaseEndpoint = aws.String(cloud.BusURL) })
		_, err := sm.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(cloud.SecretID(name))})
		return err
	}
	if err := secret("users-api", "token-signing"); err != nil {
		t.Errorf("users-api reading its secret: %v", err)
	}
	if err := secret("users-api", "admin-token"); !denied(err) {
		t.Errorf("users-api reading the admin token: %v, want AccessDeniedException", err)
	}
}

// TestOnlyTheFunctionsThatListParseFeedMayInvokeIt: a synchronous Invoke is
// answered for the functions whose Invokes name the target (the stack grants
// exactly them lambda:InvokeFunction on its alias) and refused, as AWS
// refuses, for any other — an operator included, which may only start
// asynchronous functions; a request over Lambda's 6 MB is refused too.
func TestOnlyTheFunctionsThatListParseFeedMayInvokeIt(t *testing.T) {
	ctx := context.Background()
	call := func(fn string, req feeddoc.Request) (feeddoc.Result, error) {
		cfg, _ := as(fn)
		return ingest.Remote{Fn: invoke.New(cfg, cloud.BusURL, contract.ParseFeedFunction, contract.ParseFeedFunction)}.Parse(ctx, req)
	}
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	feed := feeddoc.Request{URL: "https://a.example/rss", Now: now,
		Body: []byte(`<rss version="2.0"><channel><item><title>A &lt;b&gt;title&lt;/b&gt;</title><link>https://a.example/x?utm_source=f</link></item></channel></rss>`)}
	for _, fn := range []string{"ingest-feeds", "websub-callback"} {
		res, err := call(fn, feed)
		if err != nil || len(res.Items) != 1 || res.Items[0].Title != "A title" || res.Items[0].URL != "https://a.example/x" || !res.Items[0].PublishedAt.Equal(now) {
			t.Errorf("%s invoking parse-feed: %+v, %v; want the one item, normalized", fn, res, err)
		}
	}
	if _, err := call("ingest-feeds", feeddoc.Request{Body: []byte("not a feed"), Now: now}); feeddoc.Code(err) != feeddoc.NotAFeed {
		t.Errorf("a document that is not a feed: %v, want the classified %s", err, feeddoc.NotAFeed)
	}
	for _, fn := range []string{"articles-api", "admin-ops", "parse-feed"} {
		var api *invoke.APIError
		if _, err := call(fn, feed); !errors.As(err, &api) || api.Code != "AccessDeniedException" || api.Status != http.StatusForbidden {
			t.Errorf("%s invoking parse-feed: %v, want AccessDeniedException with 403, as Lambda's REST API answers it", fn, err)
		}
	}
	// Lambda's 413 is the document's failure, classified as too large (a
	// poll charges the source; retrying would be refused again).
	if _, err := call("ingest-feeds", feeddoc.Request{Body: make([]byte, 5<<20), Now: now}); feeddoc.Code(err) != feeddoc.TooLarge ||
		!strings.Contains(err.Error(), "HTTP 413 RequestEntityTooLargeException") {
		t.Errorf("a request over 6 MB: %v, want Lambda's 413 classified %s", err, feeddoc.TooLarge)
	}
}

// TestAnOperatorStartsAnAsynchronousFunctionWithAnEventInvoke: the Event
// invoke admin-ops signs with shared/platform/invoke (not the SDK's lambda
// client) is accepted for an asynchronous function and the function runs;
// another function, or a target that is not asynchronous, is refused as AWS
// refuses it.
func TestAnOperatorStartsAnAsynchronousFunctionWithAnEventInvoke(t *testing.T) {
	ctx := context.Background()
	start := func(fn, target string) error {
		cfg, _ := as(fn)
		return invoke.New(cfg, cloud.BusURL, target, target).Start(ctx,
			[]byte(`{"version":"0","id":"op-start","detail-type":"Scheduled Event","source":"kiosk.admin","account":"","time":"2026-11-25T12:00:00Z","region":"`+local.Region+`","resources":[],"detail":{}}`))
	}
	before := lastInvocation(t)
	if err := start("admin-ops", "heartbeat"); err != nil {
		t.Fatalf("admin-ops starting heartbeat: %v", err)
	}
	eventually(t, "heartbeat to run the started event", func() bool {
		for _, inv := range invocationsAfter(t, "heartbeat", before) {
			if inv.Trigger == "invoke" {
				return true
			}
		}
		return false
	})
	for _, c := range []struct{ fn, target string }{{"articles-api", "heartbeat"}, {"admin-ops", "health-api"}} {
		var api *invoke.APIError
		if err := start(c.fn, c.target); !errors.As(err, &api) || api.Code != "AccessDeniedException" {
			t.Errorf("%s starting %s: %v, want AccessDeniedException", c.fn, c.target, err)
		}
	}
	var api *invoke.APIError
	if err := start("admin-ops", "no-such-function"); !errors.As(err, &api) || api.Status != 404 || api.Code != "ResourceNotFoundException" {
		t.Errorf("admin-ops starting an unknown function: %v, want ResourceNotFoundException", err)
	}
}

// TestWhatTheParseFeedInvokeAdds logs (asserts nothing on time: the machine
// may be loaded) what a poll or a push pays for parsing through parse-feed
// rather than in-process: warm invokes of a 50-item feed, median and p95,
// against the same parse in this process.
func TestWhatTheParseFeedInvokeAdds(t *testing.T) {
	ctx := context.Background()
	cfg, _ := as("websub-callback")
	remote := ingest.Remote{Fn: invoke.New(cfg, cloud.BusURL, contract.ParseFeedFunction, contract.ParseFeedFunction)}
	var b strings.Builder
	b.WriteString(`<rss version="2.0"><channel><title>wire</title>`)
	for i := range 50 {
		fmt.Fprintf(&b, `<item><title>Story number %d of the day, with a headline of usual length</title><link>https://wire.example/%d</link>`+
			`<description>&lt;p&gt;A summary of about two hundred characters, as agencies send them, with &lt;b&gt;markup&lt;/b&gt; to strip and entities &amp;amp; more text to keep it honest.&lt;/p&gt;</description>`+
			`<pubDate>Wed, 25 Nov 2026 11:%02d:00 +0000</pubDate></item>`, i, i, i)
	}
	b.WriteString(`</channel></rss>`)
	req := feeddoc.Request{URL: "https://wire.example/rss", Body: []byte(b.String()), Now: time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)}
	measure := func(p ingest.Parser) (median, p95 time.Duration) {
		if _, err := p.Parse(ctx, req); err != nil { // warm
			t.Fatal(err)
		}
		var d []time.Duration
		for range 40 {
			start := time.Now()
			res, err := p.Parse(ctx, req)
			d = append(d, time.Since(start))
			if err != nil || len(res.Items) != 50 {
				t.Fatalf("parse: %d items, %v", len(res.Items), err)
			}
		}
		slices.Sort(d)
		return d[len(d)/2], d[len(d)*95/100]
	}
	rm, r95 := measure(remote)
	lm, l95 := measure(feedparse.Local{})
	t.Logf("a 50-item feed (%d bytes): parse-feed invoked warm: median %v, p95 %v; parsed in-process: median %v, p95 %v; the invoke adds about %v",
		len(req.Body), rm.Round(10*time.Microsecond), r95.Round(10*time.Microsecond), lm.Round(10*time.Microsecond), l95.Round(10*time.Microsecond), (rm - lm).Round(10*time.Microsecond))
}

// TestAFeedWithAMegabyteContentTypeIsParsedByParseFeed: a feed server answers
// a valid document just under the 4 MiB fetch cap with a 1 MB Content-Type
// header. The poll's request to parse-feed carries the header cut to
// feeddoc.MaxContentType, so it stays under Lambda's 6 MB (it went over, was
// refused 413 on every run and the run failed, forever): the document is
// parsed by the real parse-feed, behind the local cloud's Invoke limit.
func TestAFeedWithAMegabyteContentTypeIsParsedByParseFeed(t *testing.T) {
	ctx := context.Background()
	item := `<item><title>Near four mebibytes, valid</title><link>https://wire.example/n4</link></item>`
	doc := `<rss version="2.0"><channel><title>wire</title>` + item + `</channel></rss>`
	doc = strings.Replace(doc, "<channel>", "<channel><description>"+strings.Repeat("word ", (ingest.MaxFeedBytes-len(doc)-100)/5)+"</description>", 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/rss+xml; x="+strings.Repeat("a", 1_000_000))
		fmt.Fprint(w, doc)
	}))
	defer srv.Close()
	store := article.NewMemoryStore()
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	if err := store.PutSource(ctx, article.Source{ID: "wire", URL: srv.URL + "/rss", Name: "Wire", Category: "world", Weight: 1, CreatedAt: now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	cfg, _ := as("ingest-feeds")
	in := &ingest.Ingester{Parser: ingest.Remote{Fn: invoke.New(cfg, cloud.BusURL, contract.ParseFeedFunction, contract.ParseFeedFunction)},
		Store: store, Fetcher: ingest.NewFetcher([]string{strings.TrimPrefix(srv.URL, "http://")}), Now: func() time.Time { return now }}
	r, err := in.Run(ctx)
	src, _ := store.GetSource(ctx, "wire")
	if err != nil || r.Fetched != 1 || r.New != 1 || r.Unparsed != 0 || src.ConsecutiveFailures != 0 {
		t.Errorf("run %+v, %v; source %+v; want the %d-byte document parsed and its item stored", r, err, src.FetchState, len(doc))
	}
}
