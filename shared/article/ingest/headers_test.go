package ingest

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kiosk-news/kiosk/shared/article"
)

// TestHugeResponseHeadersAreNotKept: a feed whose server sends a 450 KB
// ETag and Last-Modified, and a 450 KB hub and self in its Link header, is
// ingested and charged like any other: the run succeeds (recording its fetch
// state used to fail on DynamoDB's 400 KB item limit, every run), the
// validators are not kept so the next fetch is unconditional, and the
// oversize links are ignored for the document's own.
func TestHugeResponseHeadersAreNotKept(t *testing.T) {
	for _, store := range stores {
		t.Run(store.name, func(t *testing.T) { hugeHeaders(t, store.new(t)) })
	}
}

func hugeHeaders(t *testing.T, s article.Store) {
	ctx := context.Background()
	hub := &testHub{}
	hubSrv := httptest.NewServer(hub)
	t.Cleanup(hubSrv.Close)
	huge := strings.Repeat("x", 450<<10)
	var (
		mu          sync.Mutex
		conditional []string // each request's If-None-Match + If-Modified-Since
	)
	feed := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		conditional = append(conditional, r.Header.Get("If-None-Match")+r.Header.Get("If-Modified-Since"))
		mu.Unlock()
		w.Header().Set("ETag", `"`+huge+`"`)
		w.Header().Set("Last-Modified", huge)
		w.Header().Set("Link", fmt.Sprintf(`<https://hub.example/%s>; rel="hub", <https://self.example/%s>; rel="self"`, huge, huge))
		fmt.Fprint(w, hubFeed(hubSrv.URL+"/", "https://news.example/feed", "Port strike ends after talks", "https://news.example/strike"))
	})
	now := t0.Add(time.Minute)
	in := feedSetup(t, s, feed, &now)
	src, _ := s.GetSource(ctx, "wire")
	in.Fetcher = NewFetcher([]string{strings.TrimPrefix(strings.TrimSuffix(src.URL, "/feed"), "http://"), strings.TrimPrefix(hubSrv.URL, "http://")})
	in.WebSub = &Subscriber{Store: s, Hubs: in.Fetcher, Ingester: in, APIURL: "https://api.example", Now: in.Now}

	r, err := in.Run(ctx)
	if err != nil || r.Fetched != 1 || r.New != 1 || r.Subscribed != 1 {
		t.Fatalf("run = %+v, %v; want the feed fetched, its article new and its document's hub subscribed", r, err)
	}
	got, err := s.GetSource(ctx, "wire")
	if err != nil || !got.LastSuccess.Equal(now) || got.ETag != "" || got.LastModified != "" || got.ConsecutiveFailures != 0 {
		t.Errorf("source = etag %d bytes, last-modified %d, success %v, failures %d, %v; want charged, no validators kept",
			len(got.ETag), len(got.LastModified), got.LastSuccess, got.ConsecutiveFailures, err)
	}
	subs, _ := s.SourceSubscriptions(ctx, "wire")
	if len(subs) != 1 || subs[0].Hub != hubSrv.URL+"/" || subs[0].Topic != "https://news.example/feed" {
		t.Errorf("subscriptions = %d (%.80v); want the document's hub and self", len(subs), subs)
	}
	if req := hub.last(t); req.Get("hub.topic") != "https://news.example/feed" {
		t.Errorf("the hub was asked for topic %.80q", req.Get("hub.topic"))
	}

	now = now.Add(MaxInterval)
	if r, err := in.Run(ctx); err != nil || r.Fetched != 1 || r.New != 0 {
		t.Errorf("next run = %+v, %v; want the feed fetched again, nothing new", r, err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(conditional) != 2 || conditional[1] != "" {
		t.Errorf("%d requests, the second with %d bytes of validators; want an unconditional second fetch", len(conditional), len(conditional[len(conditional)-1]))
	}
}
