package ingest

import (
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kiosk-news/kiosk/shared/article"
	"github.com/kiosk-news/kiosk/shared/kiosk"
)

// testHub records the subscription requests a subscriber sends it.
type testHub struct {
	mu       sync.Mutex
	requests []url.Values
}

func (h *testHub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	h.mu.Lock()
	h.requests = append(h.requests, r.PostForm)
	h.mu.Unlock()
	w.WriteHeader(http.StatusAccepted)
}

func (h *testHub) last(t *testing.T) url.Values {
	t.Helper()
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.requests) == 0 {
		t.Fatal("the hub got no request")
	}
	return h.requests[len(h.requests)-1]
}

type recordingPublisher struct {
	mu  sync.Mutex
	evs []article.Event
}

func (p *recordingPublisher) Publish(_ context.Context, evs ...article.Event) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.evs = append(p.evs, evs...)
	return nil
}

func hubFeed(hub, self, title, link string) string {
	return fmt.Sprintf(`<?xml version="1.0"?><rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom"><channel><title>pushed</title>`+
		`<atom:link rel="hub" href="%s"/><atom:link rel="self" href="%s"/>`+
		`<item><title>%s</title><link>%s</link><pubDate>%s</pubDate></item></channel></rss>`,
		hub, self, title, link, t0.Format(time.RFC1123Z))
}

func sign(secret, body string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(body))
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

func code(err error) string {
	if err == nil {
		return "ok"
	}
	return kiosk.ErrorCode(err)
}

// TestWebSubSubscriber: a feed naming a hub is subscribed with a callback on
// the public API and a secret of its own; only the hub's verification of
// what we asked is answered; only content signed with the secret is stored,
// once; leases are renewed before they end; a removed source is
// unsubscribed.
func TestWebSubSubscriber(t *testing.T) {
	for _, store := range stores {
		t.Run(store.name, func(t *testing.T) { websubFlow(t, store.new(t)) })
	}
}

func websubFlow(t *testing.T, s article.Store) {
	ctx := context.Background()
	hub := &testHub{}
	hubSrv := httptest.NewServer(hub)
	t.Cleanup(hubSrv.Close)
	var feedURL string
	feed := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, hubFeed(hubSrv.URL+"/", feedURL, "Polled story about ports", "https://news.example/polled"))
	})
	now := t0.Add(time.Minute)
	in := feedSetup(t, s, feed, &now)
	src, _ := s.GetSource(ctx, "wire")
	feedURL = src.URL
	in.Fetcher = NewFetcher([]string{strings.TrimPrefix(strings.TrimSuffix(src.URL, "/feed"), "http://"), strings.TrimPrefix(hubSrv.URL, "http://")})
	pub := &recordingPublisher{}
	w := &Subscriber{Store: s, Hubs: in.Fetcher, Ingester: in, Publisher: pub, APIURL: "https://api.example", Now: in.Now}
	in.WebSub = w

	r, err := in.Run(ctx)
	if err != nil || r.Subscribed != 1 {
		t.Fatalf("run: %+v, %v; want one subscription asked for", r, err)
	}
	req := hub.last(t)
	subs, _ := s.SourceSubscriptions(ctx, "wire")
	if len(subs) != 1 {
		t.Fatalf("subscriptions: %+v", subs)
	}
	sub := subs[0]
	if req.Get("hub.mode") != "subscribe" || req.Get("hub.topic") != feedURL || req.Get("hub.callback") != "https://api.example/v1/websub/"+sub.ID ||
		len(req.Get("hub.secret")) != 64 || req.Get("hub.secret") != sub.Secret || req.Get("hub.lease_seconds") == "" || sub.State != article.SubRequested {
		t.Errorf("subscribe request %v, stored %+v", req, sub)
	}
	if r, _ := in.Run(ctx); r.Subscribed != 0 || r.Due != 0 {
		t.Errorf("a run right after asks again or polls: %+v", r)
	}

	// Content before verification is not accepted.
	body := hubFeed(hubSrv.URL+"/", feedURL, "Pushed story about rates", "https://news.example/pushed")
	if _, err := w.Receive(ctx, sub.ID, sign(sub.Secret, body), "application/rss+xml", []byte(body)); code(err) != kiosk.ENOTFOUND {
		t.Errorf("content before verification: %v, want not found", err)
	}

	// Verification of intent: only what we asked for.
	verify := func(id string, kv ...string) (string, error) {
		q := url.Values{}
		for i := 0; i < len(kv); i += 2 {
			q.Set(kv[i], kv[i+1])
		}
		return w.Verify(ctx, id, q)
	}
	for name, tc := range map[string]struct {
		id   string
		kv   []string
		want string
	}{
		"unknown id":          {"0123456789abcdef0123456789abcdef", []string{"hub.mode", "subscribe", "hub.topic", feedURL, "hub.challenge", "c", "hub.lease_seconds", "60"}, kiosk.ENOTFOUND},
		"malformed id":        {"../x", []string{"hub.mode", "subscribe", "hub.topic", feedURL, "hub.challenge", "c", "hub.lease_seconds", "60"}, kiosk.ENOTFOUND},
		"another topic":       {sub.ID, []string{"hub.mode", "subscribe", "hub.topic", "https://evil.example/", "hub.challenge", "c", "hub.lease_seconds", "60"}, kiosk.ENOTFOUND},
		"unsubscribe unasked": {sub.ID, []string{"hub.mode", "unsubscribe", "hub.topic", feedURL, "hub.challenge", "c"}, kiosk.ENOTFOUND},
		"no challenge":        {sub.ID, []string{"hub.mode", "subscribe", "hub.topic", feedURL, "hub.lease_seconds", "60"}, kiosk.EINVALID},
		"no lease":            {sub.ID, []string{"hub.mode", "subscribe", "hub.topic", feedURL, "hub.challenge", "c"}, kiosk.EINVALID},
		"odd mode":            {sub.ID, []string{"hub.mode", "publish", "hub.topic", feedURL, "hub.challenge", "c"}, kiosk.EINVALID},
	} {
		if _, err := verify(tc.id, tc.kv...); code(err) != tc.want {
			t.Errorf("%s: %v, want %s", name, err, tc.want)
		}
	}
	if got, _ := s.GetSubscription(ctx, sub.ID); got.State != article.SubRequested {
		t.Errorf("refused verifications changed the subscription: %+v", got)
	}
	if _, err := verify(sub.ID, "hub.mode", "denied", "hub.topic", "https://evil.example/"); code(err) != kiosk.ENOTFOUND {
		t.Errorf("a denial of another topic: %v, want not found", err)
	}
	challenge, err := verify(sub.ID, "hub.mode", "subscribe", "hub.topic", feedURL, "hub.challenge", "ch4ll3nge", "hub.lease_seconds", "864000")
	if err != nil || challenge != "ch4ll3nge" {
		t.Fatalf("verification: %q, %v", challenge, err)
	}
	if got, _ := s.GetSubscription(ctx, sub.ID); got.State != article.SubActive || !got.LeaseUntil.Equal(now.Add(10*24*time.Hour)) {
		t.Errorf("after verification: %+v", got)
	}

	// Content: only signed with the subscription's secret.
	sha1sig := func() string {
		m := hmac.New(sha1.New, []byte(sub.Secret))
		m.Write([]byte(body))
		return "sha1=" + hex.EncodeToString(m.Sum(nil))
	}()
	for name, sig := range map[string]string{"missing": "", "another secret": sign("guess", body), "sha1": sha1sig,
		"of another body": sign(sub.Secret, body+" "), "not hex": "sha256=zz", "no method": hex.EncodeToString([]byte("x"))} {
		if _, err := w.Receive(ctx, sub.ID, sig, "application/rss+xml", []byte(body)); code(err) != kiosk.EFORBIDDEN {
			t.Errorf("signature %s: %v, want permission denied", name, err)
		}
	}
	if _, err := s.GetArticle(ctx, article.IDFor("https://news.example/pushed")); err == nil || len(pub.evs) != 0 {
		t.Fatalf("refused content was stored or announced (%d events)", len(pub.evs))
	}
	if _, err := w.Receive(ctx, "fedcba9876543210fedcba9876543210", sign(sub.Secret, body), "application/rss+xml", []byte(body)); code(err) != kiosk.ENOTFOUND {
		t.Errorf("unknown subscription: %v", err)
	}
	if _, err := w.Receive(ctx, sub.ID, sign(sub.Secret, "not a feed"), "application/rss+xml", []byte("not a feed")); code(err) != kiosk.EINVALID {
		t.Errorf("signed garbage: %v, want invalid", err)
	}
	rep, err := w.Receive(ctx, sub.ID, sign(sub.Secret, body), "application/rss+xml", []byte(body))
	if err != nil || rep.New != 1 || rep.Announced != 1 || len(pub.evs) != 1 {
		t.Fatalf("signed push: %+v, %v (%d events)", rep, err, len(pub.evs))
	}
	a := stored(t, s, "https://news.example/pushed")
	if a.SourceID != "wire" || a.Category != "world" {
		t.Errorf("pushed article: %+v", a)
	}
	if rep, err := w.Receive(ctx, sub.ID, sign(sub.Secret, body), "application/rss+xml", []byte(body)); err != nil || rep.New != 0 || rep.Duplicates != 1 || len(pub.evs) != 1 {
		t.Errorf("replay: %+v, %v (%d events); want nothing new, nothing announced", rep, err, len(pub.evs))
	}

	// A verified feed is polled only as a safety net.
	now = now.Add(MaxInterval)
	if r, err := in.Run(ctx); err != nil || r.Due != 1 || r.Subscribed != 0 {
		t.Errorf("run after the interval: %+v, %v", r, err)
	}
	if got, _ := s.GetSource(ctx, "wire"); !got.NextFetchAt.Equal(now.Add(MaxInterval - Ahead)) {
		t.Errorf("a pushed feed's next poll = %v, want %v", got.NextFetchAt, now.Add(MaxInterval-Ahead))
	}

	// No renewal before its time.
	before := len(hub.requests)
	now = t0.Add(9*24*time.Hour - time.Hour)
	if r, err := in.Run(ctx); err != nil || r.Renewed != 0 || len(hub.requests) != before {
		t.Fatalf("a run ten hours before renewal time: %+v, %v", r, err)
	}
	// Renewal a day before the lease ends, with the same callback and secret.
	now = t0.Add(9*24*time.Hour + time.Minute)
	if r, err := in.Run(ctx); err != nil || r.Renewed != 1 {
		t.Fatalf("renewal run: %+v, %v", r, err)
	}
	req = hub.last(t)
	if len(hub.requests) != before+1 || req.Get("hub.mode") != "subscribe" || req.Get("hub.secret") != sub.Secret ||
		req.Get("hub.callback") != "https://api.example/v1/websub/"+sub.ID {
		t.Errorf("renewal request: %v", req)
	}
	if _, err := verify(sub.ID, "hub.mode", "subscribe", "hub.topic", feedURL, "hub.challenge", "again", "hub.lease_seconds", "864000"); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.GetSubscription(ctx, sub.ID); !got.LeaseUntil.Equal(now.Add(10 * 24 * time.Hour)) {
		t.Errorf("renewed lease until %v", got.LeaseUntil)
	}

	// A removed source is unsubscribed at the next run; its pushes are
	// refused at once.
	svc := &article.Service{Store: s, Now: func() time.Time { return now }}
	if err := svc.DeleteSource(ctx, "wire"); err != nil && code(err) != kiosk.EUNAVAILABLE {
		t.Fatal(err)
	}
	body2 := hubFeed(hubSrv.URL+"/", feedURL, "After removal", "https://news.example/after")
	if _, err := w.Receive(ctx, sub.ID, sign(sub.Secret, body2), "application/rss+xml", []byte(body2)); code(err) != kiosk.ENOTFOUND {
		t.Errorf("push for a removed source: %v", err)
	}
	if r, err := in.Run(ctx); err != nil || r.Unsubscribed != 1 {
		t.Fatalf("run after removal: %+v, %v", r, err)
	}
	if req := hub.last(t); req.Get("hub.mode") != "unsubscribe" || req.Get("hub.topic") != feedURL {
		t.Errorf("unsubscribe request: %v", req)
	}
	if _, err := verify(sub.ID, "hub.mode", "unsubscribe", "hub.topic", feedURL, "hub.challenge", "bye"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetSubscription(ctx, sub.ID); code(err) != kiosk.ENOTFOUND && err == nil {
		t.Errorf("the unsubscription was verified, the subscription is still there")
	}
}

func TestPollInterval(t *testing.T) {
	now := t0
	every := func(gap time.Duration, n int) []time.Time {
		var out []time.Time
		for i := range n {
			out = append(out, now.Add(-time.Duration(i)*gap))
		}
		return out
	}
	for name, tc := range map[string]struct {
		published []time.Time
		prev      time.Duration
		maxAge    time.Duration
		want      time.Duration
	}{
		"a story a minute: the floor":         {every(time.Minute, 20), 0, 0, MinInterval},
		"a story an hour: every half hour":    {every(time.Hour, 10), 0, 0, 30 * time.Minute},
		"a story a day: the ceiling":          {every(24*time.Hour, 5), 0, 0, MaxInterval},
		"quiet for 2 hours after busy":        {every(time.Minute, 5)[:1], 0, 0, MaxInterval}, // one item: no rate
		"not modified: the interval grows":    {nil, 20 * time.Minute, 0, 30 * time.Minute},
		"Cache-Control max-age is honoured":   {every(time.Minute, 20), 0, time.Hour, time.Hour},
		"a max-age beyond the ceiling is cut": {every(time.Minute, 20), 0, 24 * time.Hour, MaxInterval},
	} {
		if got := PollInterval(now, tc.published, tc.prev, tc.maxAge); got != tc.want {
			t.Errorf("%s: %v, want %v", name, got, tc.want)
		}
	}
	quiet := every(10*time.Minute, 5)
	for i := range quiet {
		quiet[i] = quiet[i].Add(-2 * time.Hour)
	}
	if got := PollInterval(now, quiet, 0, 0); got != time.Hour {
		t.Errorf("a feed busy until 2 hours ago waits half its silence: %v, want 1h", got)
	}
}

// TestPollingHonoursRetryAfterAndCacheControl: a 429 or 503 with Retry-After
// is not fetched again sooner; a feed's max-age sets its interval's floor.
func TestPollingHonoursRetryAfterAndCacheControl(t *testing.T) {
	ctx := context.Background()
	var status int
	var header http.Header
	feed := &growingFeed{}
	feed.add("One", "https://news.example/1", t0.Add(-2*time.Minute))
	feed.add("Two", "https://news.example/2", t0.Add(-time.Minute))
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for k, v := range header {
			w.Header()[k] = v
		}
		if status != 0 {
			w.WriteHeader(status)
			return
		}
		feed.ServeHTTP(w, r)
	})
	for name, tc := range map[string]struct {
		status int
		header http.Header
		want   time.Duration
	}{
		"429 Retry-After seconds": {429, http.Header{"Retry-After": {"7200"}}, 2 * time.Hour},
		"503 Retry-After date":    {503, http.Header{"Retry-After": {t0.Add(3 * time.Hour).Format(http.TimeFormat)}}, 3 * time.Hour},
		"429 without Retry-After": {429, nil, 15 * time.Minute},
		"200 max-age":             {0, http.Header{"Cache-Control": {"public, max-age=5400"}}, 90 * time.Minute}, // not brought forward before max-age
		"200 busy feed":           {0, nil, MinInterval - BatchPeriod},                                           // due on the next run, 5 minutes on
	} {
		t.Run(name, func(t *testing.T) {
			s := article.NewMemoryStore()
			now := t0
			in := feedSetup(t, s, h, &now)
			status, header = tc.status, tc.header
			if _, err := in.Run(ctx); err != nil {
				t.Fatal(err)
			}
			src, _ := s.GetSource(ctx, "wire")
			if got := src.NextFetchAt.Sub(now); got != tc.want {
				t.Errorf("next fetch in %v, want %v", got, tc.want)
			}
		})
	}
}

func TestWebSubLinks(t *testing.T) {
	hub, self := linkHeader([]string{`<https://hub.example/>; rel="hub", <https://a.example/feed>; rel="self"`})
	if hub != "https://hub.example/" || self != "https://a.example/feed" {
		t.Errorf("Link header: %q %q", hub, self)
	}
	if hub, _ := linkHeader([]string{`<https://h.example/>; rel="alternate hub"`}); hub != "https://h.example/" {
		t.Errorf("several rels: %q", hub)
	}
}
