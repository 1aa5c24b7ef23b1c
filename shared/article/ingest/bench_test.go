package ingest

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/kiosk-news/kiosk/shared/article"
	"github.com/kiosk-news/kiosk/shared/article/feedparse"

	"github.com/kiosk-news/kiosk/shared/platform/awsenv"
	"github.com/kiosk-news/kiosk/shared/platform/dynamotest"
	"github.com/kiosk-news/kiosk/shared/platform/store"
)

// BenchmarkIngest ingests 20 local feeds of 50 new items each into dynalite per
// iteration and reports articles/s and DynamoDB calls per new article (through
// the functions' own SDK configuration, which counts calls).
// Reproduce: go test -run '^$' -bench Ingest -benchtime 5x ./shared/article/ingest
func BenchmarkIngest(b *testing.B) {
	const feeds, items = 20, 50
	var round int
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var sb strings.Builder
		sb.WriteString(`<rss version="2.0"><channel><title>bench</title>`)
		for i := range items {
			fmt.Fprintf(&sb, `<item><title>Bench story %s number %d about topic %d</title><link>https://bench.example%s/%d-%d</link>`+
				`<description>&lt;p&gt;Summary %d with &lt;b&gt;markup&lt;/b&gt;&lt;/p&gt;</description><pubDate>%s</pubDate></item>`,
				r.URL.Path[1:], i, i*7919%1000, r.URL.Path, round, i, i, t0.Add(-time.Duration(i)*time.Minute).Format(time.RFC1123Z))
		}
		sb.WriteString(`</channel></rss>`)
		fmt.Fprint(w, sb.String())
	}))
	defer srv.Close()
	b.Setenv("AWS_REGION", "us-east-1")
	b.Setenv("AWS_ACCESS_KEY_ID", "bench")
	b.Setenv("AWS_SECRET_ACCESS_KEY", "bench")
	b.Setenv("AWS_ENDPOINT_URL_DYNAMODB", dynamotest.URL(b))
	cfg, err := awsenv.Load(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	db := store.Open(cfg)
	var stored, calls int
	var elapsed time.Duration
	for b.Loop() {
		b.StopTimer()
		round++
		s := article.NewDynamoStore(db.Table(dynamotest.Table(b, "articles").Name()))
		for f := range feeds {
			_ = s.PutSource(context.Background(), article.Source{ID: fmt.Sprintf("feed-%d", f), URL: fmt.Sprintf("%s/f%d", srv.URL, f),
				Name: "bench", Category: "bench", Weight: 1, CreatedAt: t0, UpdatedAt: t0})
		}
		in := &Ingester{Parser: feedparse.Local{}, Store: s, Fetcher: NewFetcher([]string{strings.TrimPrefix(srv.URL, "http://")}), Now: func() time.Time { return t0 }}
		ctx, counter := awsenv.WithCounter(context.Background())
		b.StartTimer()
		start := time.Now()
		r, err := in.Run(ctx)
		elapsed += time.Since(start)
		if err != nil || r.New != feeds*items {
			b.Fatalf("run: %+v %v", r, err)
		}
		stored += r.New
		calls += counter.Count("DynamoDB")
	}
	b.ReportMetric(float64(stored)/elapsed.Seconds(), "articles/s")
	b.ReportMetric(float64(calls)/float64(stored), "dynamodb-calls/article")
}
