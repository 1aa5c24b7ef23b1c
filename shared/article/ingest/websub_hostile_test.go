package ingest

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kiosk-news/kiosk/shared/article"
	"github.com/kiosk-news/kiosk/shared/article/feeddoc"
	"github.com/kiosk-news/kiosk/shared/article/feedparse"
)

// subFixture is one source whose feed names a hub, subscribed by a first
// run (not yet verified), on the memory store and a virtual clock.
type subFixture struct {
	s       article.Store
	in      *Ingester
	w       *Subscriber
	hub     *testHub
	hubURL  string
	feedURL string
	sub     article.Subscription
	now     *time.Time
}

func newSubFixture(t *testing.T, hub http.Handler) *subFixture {
	t.Helper()
	ctx := context.Background()
	f := &subFixture{s: article.NewMemoryStore(), hub: &testHub{}}
	if hub == nil {
		hub = f.hub
	}
	hubSrv := httptest.NewServer(hub)
	t.Cleanup(hubSrv.Close)
	f.hubURL = hubSrv.URL + "/"
	feed := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, hubFeed(f.hubURL, f.feedURL, "Polled story about ports", "https://news.example/polled"))
	})
	now := t0.Add(time.Minute)
	f.now = &now
	f.in = feedSetup(t, f.s, feed, f.now)
	src, _ := f.s.GetSource(ctx, "wire")
	f.feedURL = src.URL
	f.in.Fetcher = NewFetcher([]string{strings.TrimPrefix(strings.TrimSuffix(src.URL, "/feed"), "http://"), strings.TrimPrefix(hubSrv.URL, "http://")})
	f.w = &Subscriber{Store: f.s, Hubs: f.in.Fetcher, Ingester: f.in, Publisher: &recordingPublisher{}, APIURL: "https://api.example", Now: f.in.Now}
	f.in.WebSub = f.w
	if r, err := f.in.Run(ctx); err != nil || r.Subscribed != 1 {
		t.Fatalf("first run: %+v, %v", r, err)
	}
	subs, _ := f.s.SourceSubscriptions(ctx, "wire")
	if len(subs) != 1 {
		t.Fatalf("subscriptions: %+v", subs)
	}
	f.sub = subs[0]
	return f
}

func (f *subFixture) verify(t *testing.T, kv ...string) (string, error) {
	t.Helper()
	q := url.Values{}
	for i := 0; i < len(kv); i += 2 {
		q.Set(kv[i], kv[i+1])
	}
	return f.w.Verify(context.Background(), f.sub.ID, q)
}

func (f *subFixture) push(t *testing.T, title, link string) (PushReport, error) {
	t.Helper()
	body := hubFeed(f.hubURL, f.feedURL, title, link)
	return f.w.Receive(context.Background(), f.sub.ID, sign(f.sub.Secret, body), "application/rss+xml", []byte(body))
}

// TestAHubsHugeLeaseIsRecordedAsThirtyDaysNotAsAnEndedLease: a lease of ten
// billion seconds (or more than an int holds) is capped before it becomes a
// duration, so it cannot overflow into the past and refuse every push.
func TestAHubsHugeLeaseIsRecordedAsThirtyDaysNotAsAnEndedLease(t *testing.T) {
	for i, lease := range []string{"10000000000", "9223372036854775807", "99999999999999999999999"} {
		f := newSubFixture(t, nil)
		if ch, err := f.verify(t, "hub.mode", "subscribe", "hub.topic", f.feedURL, "hub.challenge", "c", "hub.lease_seconds", lease); err != nil || ch != "c" {
			t.Fatalf("lease %s: %q, %v", lease, ch, err)
		}
		got, _ := f.s.GetSubscription(context.Background(), f.sub.ID)
		if !got.LeaseUntil.Equal(f.now.Add(MaxLease)) || !got.NextCheck.Equal(f.now.Add(MaxLease-RenewBefore)) {
			t.Errorf("lease %s: until %v, next check %v; want %v, %v", lease, got.LeaseUntil, got.NextCheck, f.now.Add(MaxLease), f.now.Add(MaxLease-RenewBefore))
		}
		if rep, err := f.push(t, "Pushed story about rates", fmt.Sprintf("https://news.example/pushed-%d", i)); err != nil || rep.New != 1 {
			t.Errorf("lease %s: a signed push: %+v, %v", lease, rep, err)
		}
	}
}

// TestAHugeMaxAgeDoesNotPushTheNextPollPastTheFourHourCeiling: a feed's
// Cache-Control max-age holds the next poll back only up to MaxInterval (the
// bound the freshness SLO is written against), run after run.
func TestAHugeMaxAgeDoesNotPushTheNextPollPastTheFourHourCeiling(t *testing.T) {
	ctx := context.Background()
	feed := &growingFeed{}
	feed.add("One", "https://news.example/1", t0.Add(-2*time.Minute))
	feed.add("Two", "https://news.example/2", t0.Add(-time.Minute))
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=999999999")
		feed.ServeHTTP(w, r)
	})
	s := article.NewMemoryStore()
	now := t0
	in := feedSetup(t, s, h, &now)
	for run := range 3 {
		if _, err := in.Run(ctx); err != nil {
			t.Fatal(err)
		}
		src, _ := s.GetSource(ctx, "wire")
		if got := src.NextFetchAt.Sub(now); got > MaxInterval || got <= 0 {
			t.Fatalf("run %d: next fetch in %v, want at most %v", run, got, MaxInterval)
		}
		now = src.NextFetchAt
	}
}

// manyItems is a feed document of n small items, item i published i seconds
// before t0 (so item 0 is the newest), in shuffled document order.
func manyItems(hub, self string, n int) string {
	var b strings.Builder
	fmt.Fprintf(&b, `<?xml version="1.0"?><rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom"><channel><title>flood</title>`+
		`<atom:link rel="hub" href="%s"/><atom:link rel="self" href="%s"/>`, hub, self)
	for k := range n {
		i := (k * 7919) % n // a permutation when n is not a multiple of 7919
		fmt.Fprintf(&b, `<item><title>Flood %d</title><link>https://news.example/f/%d</link><pubDate>%s</pubDate></item>`,
			i, i, t0.Add(-time.Duration(i)*time.Second).Format(time.RFC1123Z))
	}
	b.WriteString(`</channel></rss>`)
	return b.String()
}

// TestAPushOfThousandsOfItemsStoresAndAnnouncesOnlyTheNewestHundred: a
// signed push (and a poll) of 5,000 items stores the newest feeddoc.MaxItems by date,
// announces only those, and counts the rest as ignored.
func TestAPushOfThousandsOfItemsStoresAndAnnouncesOnlyTheNewestHundred(t *testing.T) {
	ctx := context.Background()
	f := newSubFixture(t, nil)
	if _, err := f.verify(t, "hub.mode", "subscribe", "hub.topic", f.feedURL, "hub.challenge", "c", "hub.lease_seconds", "864000"); err != nil {
		t.Fatal(err)
	}
	body := manyItems(f.hubURL, f.feedURL, 5000)
	rep, err := f.w.Receive(ctx, f.sub.ID, sign(f.sub.Secret, body), "application/rss+xml", []byte(body))
	pub := f.w.Publisher.(*recordingPublisher)
	if err != nil || rep.New != feeddoc.MaxItems || rep.Ignored != 5000-feeddoc.MaxItems || rep.Announced != feeddoc.MaxItems || len(pub.evs) != feeddoc.MaxItems {
		t.Fatalf("push of 5000 items: %+v, %v (%d events); want %d new and announced, the rest ignored", rep, err, len(pub.evs), feeddoc.MaxItems)
	}
	for _, i := range []int{0, feeddoc.MaxItems - 1} {
		stored(t, f.s, fmt.Sprintf("https://news.example/f/%d", i))
	}
	if _, err := f.s.GetArticle(ctx, article.IDFor(fmt.Sprintf("https://news.example/f/%d", feeddoc.MaxItems))); err == nil {
		t.Errorf("the %dth newest item was stored", feeddoc.MaxItems+1)
	}

	// A poll of such a feed keeps the same rule.
	s := article.NewMemoryStore()
	now := t0.Add(time.Minute)
	in := feedSetup(t, s, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, manyItems("", "", 5000)) }), &now)
	if r, err := in.Run(ctx); err != nil || r.New != feeddoc.MaxItems || r.Ignored != 5000-feeddoc.MaxItems {
		t.Errorf("poll of 5000 items: %+v, %v; want %d new, the rest ignored", r, err, feeddoc.MaxItems)
	}
}

// TestAPushReportsTheDecisionsTheCappedPostingsCouldNotProve: a feed that
// floods two words' postings past article.PostingsRead (here 60 pushed
// titles sharing "harbour" and "bridge") leaves a later title made mostly of
// those words unproven: its story was decided on the newest postings only.
// The push's report counts it, as a polled run's report does.
func TestAPushReportsTheDecisionsTheCappedPostingsCouldNotProve(t *testing.T) {
	ctx := context.Background()
	src := article.Source{ID: "wire", URL: "https://feed.example/", Name: "Wire", Category: "world", Weight: 1}
	now := t0.Add(time.Minute)
	in := &Ingester{Parser: feedparse.Local{}, Store: article.NewMemoryStore(), Now: func() time.Time { return now }}
	feed := func(titles ...string) []byte {
		var b strings.Builder
		b.WriteString(`<?xml version="1.0"?><rss version="2.0"><channel><title>wire</title>`)
		for i, title := range titles {
			fmt.Fprintf(&b, `<item><title>%s</title><link>https://news.example/%s/%d</link><pubDate>%s</pubDate></item>`,
				title, strings.ReplaceAll(title, " ", "-"), i, t0.Add(-time.Duration(i)*time.Second).Format(time.RFC1123Z))
		}
		b.WriteString(`</channel></rss>`)
		return []byte(b.String())
	}
	flood := make([]string, article.PostingsRead+10)
	for i := range flood {
		flood[i] = fmt.Sprintf("Harbour bridge notice %d", i)
	}
	if _, r, err := in.Push(ctx, src, "application/rss+xml", feed(flood...)); err != nil || r.New != len(flood) || r.Unproven != 0 {
		t.Fatalf("the flood: %+v, %v; want %d new, none unproven (nothing capped yet)", r, err, len(flood))
	}
	_, r, err := in.Push(ctx, src, "application/rss+xml", feed("Harbour bridge closes"))
	if err != nil || r.New != 1 || r.Unproven != 1 {
		t.Errorf("a title of mostly flooded words: %+v, %v; want 1 new, 1 unproven", r, err)
	}
}

// BenchmarkPushOfAMebibyteOfSmallItems: the outsider's 1 MiB push (8,000
// small items here) through Push on the memory store, against a push of
// feeddoc.MaxItems items as the baseline: the ratio is the parse of the rest.
func BenchmarkPushOfAMebibyteOfSmallItems(b *testing.B) {
	src := article.Source{ID: "wire", URL: "https://feed.example/", Name: "Wire", Category: "world", Weight: 1}
	for _, n := range []int{feeddoc.MaxItems, 8000} {
		body := manyItems("https://hub.example/", "https://feed.example/", n)
		b.Run(fmt.Sprintf("items=%d", n), func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				in := &Ingester{Parser: feedparse.Local{}, Store: article.NewMemoryStore(), Now: func() time.Time { return t0.Add(time.Minute) }}
				if _, r, err := in.Push(context.Background(), src, "application/rss+xml", []byte(body)); err != nil || r.New != feeddoc.MaxItems {
					b.Fatal(r, err)
				}
			}
		})
	}
}

// TestAForgedDenialNeitherStopsPushesNorWaitsADay: hub.mode=denied needs no
// challenge or secret (§5.2), so anyone who knows a callback and its topic
// can send one. It leaves a live subscription live — pushes signed with its
// secret are still stored — and makes it due at once: the next run asks the
// hub again, and the hub's verification is answered as before.
func TestAForgedDenialNeitherStopsPushesNorWaitsADay(t *testing.T) {
	ctx := context.Background()
	f := newSubFixture(t, nil)
	if _, err := f.verify(t, "hub.mode", "subscribe", "hub.topic", f.feedURL, "hub.challenge", "c", "hub.lease_seconds", "864000"); err != nil {
		t.Fatal(err)
	}
	*f.now = f.now.Add(time.Minute)
	if _, err := f.verify(t, "hub.mode", "denied", "hub.topic", f.feedURL, "hub.reason", "forged"); err != nil {
		t.Fatalf("a denial of the right topic: %v", err)
	}
	if rep, err := f.push(t, "Pushed story about rates", "https://news.example/after-denial"); err != nil || rep.New != 1 {
		t.Errorf("a signed push after a denial: %+v, %v; want it stored", rep, err)
	}
	got, _ := f.s.GetSubscription(ctx, f.sub.ID)
	if got.NextCheck.After(*f.now) {
		t.Errorf("after a denial the subscription is next checked at %v, want at once (%v)", got.NextCheck, *f.now)
	}
	before := len(f.hub.requests)
	*f.now = f.now.Add(BatchPeriod)
	if r, err := f.in.Run(ctx); err != nil || r.Renewed != 1 || len(f.hub.requests) != before+1 || f.hub.last(t).Get("hub.mode") != "subscribe" {
		t.Fatalf("the run after a denial: %+v, %v; want the hub asked again", r, err)
	}
	if ch, err := f.verify(t, "hub.mode", "subscribe", "hub.topic", f.feedURL, "hub.challenge", "again", "hub.lease_seconds", "864000"); err != nil || ch != "again" {
		t.Errorf("the hub's verification after a denial: %q, %v", ch, err)
	}
}

// dueSubs stores n sources, each with a live subscription at hubURL whose
// lease ends within RenewBefore: all due for renewal at now.
func dueSubs(t *testing.T, s article.Store, hubURL string, n int, now time.Time) {
	t.Helper()
	ctx := context.Background()
	for i := range n {
		id := fmt.Sprintf("src-%02d", i)
		if err := s.PutSource(ctx, article.Source{ID: id, URL: "https://feeds.example/" + id, Name: id, Category: "world", Weight: 1,
			CreatedAt: t0, UpdatedAt: t0}); err != nil {
			t.Fatal(err)
		}
		if err := s.PutSubscription(ctx, article.Subscription{ID: fmt.Sprintf("%032x", i+1), SourceID: id, Hub: hubURL,
			Topic: "https://feeds.example/" + id, Secret: "s", State: article.SubActive, RequestedAt: t0, LeaseUntil: now.Add(time.Hour),
			NextCheck: now.Add(-time.Minute), UpdatedAt: t0}); err != nil {
			t.Fatal(err)
		}
	}
}

// blockingHub holds every request until released, counting those in flight.
type blockingHub struct {
	mu             sync.Mutex
	inFlight, peak int
	calls          int
	release        chan struct{}
}

func (h *blockingHub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.mu.Lock()
	h.calls++
	h.inFlight++
	h.peak = max(h.peak, h.inFlight)
	h.mu.Unlock()
	select { // bounded: the fetcher gives up after FetchTimeout anyway
	case <-h.release:
	case <-time.After(FetchTimeout / 2):
	case <-r.Context().Done():
	}
	h.mu.Lock()
	h.inFlight--
	h.mu.Unlock()
	w.WriteHeader(http.StatusAccepted)
}

// TestSlowHubsAreCalledInParallelNotOneAfterAnother: renewals at hubs that
// do not answer run HubConcurrency at a time — the hub sees that many
// requests in flight at once (a pass calling them in sequence never gets
// past one) and never more.
func TestSlowHubsAreCalledInParallelNotOneAfterAnother(t *testing.T) {
	const n = 20
	hub := &blockingHub{release: make(chan struct{})}
	srv := httptest.NewServer(hub)
	t.Cleanup(srv.Close)
	s := article.NewMemoryStore()
	now := t0
	dueSubs(t, s, srv.URL+"/", n, now)
	w := &Subscriber{Store: s, Hubs: NewFetcher([]string{strings.TrimPrefix(srv.URL, "http://")}), APIURL: "https://api.example",
		Now: func() time.Time { return now }}
	done := make(chan MaintainReport, 1)
	go func() {
		r, err := w.Maintain(context.Background())
		if err != nil {
			t.Error(err)
		}
		done <- r
	}()
	deadline := time.Now().Add(FetchTimeout / 2)
	for {
		hub.mu.Lock()
		inFlight := hub.inFlight
		hub.mu.Unlock()
		if inFlight >= HubConcurrency {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the hub never had %d requests in flight at once (%d): hub calls are made one after another", HubConcurrency, inFlight)
		}
		time.Sleep(time.Millisecond)
	}
	close(hub.release)
	r := <-done
	if r.Renewed != n || hub.calls != n || hub.peak > HubConcurrency {
		t.Errorf("report %+v, %d hub calls, at most %d in flight; want %d renewed, at most %d at once", r, hub.calls, hub.peak, n, HubConcurrency)
	}
}

// TestAPassNearItsDeadlineStartsNoHubCallAndLeavesThemDue: with less than
// HubReserve left before the run's context deadline, no hub call starts;
// the subscriptions stay due and the next run (with time) renews them.
func TestAPassNearItsDeadlineStartsNoHubCallAndLeavesThemDue(t *testing.T) {
	const n = 5
	hub := &testHub{}
	srv := httptest.NewServer(hub)
	t.Cleanup(srv.Close)
	s := article.NewMemoryStore()
	now := t0
	dueSubs(t, s, srv.URL+"/", n, now)
	w := &Subscriber{Store: s, Hubs: NewFetcher([]string{strings.TrimPrefix(srv.URL, "http://")}), APIURL: "https://api.example",
		Now: func() time.Time { return now }}
	ctx, cancel := context.WithTimeout(context.Background(), HubReserve/2)
	defer cancel()
	if r, err := w.Maintain(ctx); err != nil || r.Deferred != n || r.Renewed != 0 || len(hub.requests) != 0 {
		t.Fatalf("a pass %v before its deadline: %+v, %v, %d hub calls; want all %d deferred, none made", HubReserve/2, r, err, len(hub.requests), n)
	}
	if due, _ := s.DueSubscriptions(context.Background(), now, MaxMaintain); len(due) != n {
		t.Errorf("%d subscriptions due after the deferred pass, want %d", len(due), n)
	}
	ctx2, cancel2 := context.WithTimeout(context.Background(), time.Hour)
	defer cancel2()
	if r, err := w.Maintain(ctx2); err != nil || r.Renewed != n || len(hub.requests) != n {
		t.Errorf("the next pass, with time: %+v, %v, %d hub calls; want %d renewed", r, err, len(hub.requests), n)
	}
}

// TestARunNearItsDeadlineAsksNoHubForANewSubscription: the feed is still
// polled and stored, but the subscription its hub link calls for waits for
// a run with time (its next poll).
func TestARunNearItsDeadlineAsksNoHubForANewSubscription(t *testing.T) {
	ctx := context.Background()
	hub := &testHub{}
	hubSrv := httptest.NewServer(hub)
	t.Cleanup(hubSrv.Close)
	s := article.NewMemoryStore()
	var feedURL string
	now := t0.Add(time.Minute)
	in := feedSetup(t, s, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, hubFeed(hubSrv.URL+"/", feedURL, "Polled story about ports", "https://news.example/polled"))
	}), &now)
	src, _ := s.GetSource(ctx, "wire")
	feedURL = src.URL
	in.Fetcher = NewFetcher([]string{strings.TrimPrefix(strings.TrimSuffix(src.URL, "/feed"), "http://"), strings.TrimPrefix(hubSrv.URL, "http://")})
	in.WebSub = &Subscriber{Store: s, Hubs: in.Fetcher, Ingester: in, APIURL: "https://api.example", Now: in.Now}
	near, cancel := context.WithTimeout(ctx, HubReserve/2)
	defer cancel()
	r, err := in.Run(near)
	if err != nil || r.New != 1 || r.Subscribed != 0 || r.SubDeferred != 1 || len(hub.requests) != 0 {
		t.Fatalf("a run %v before its deadline: %+v, %v, %d hub calls; want the poll stored, the subscription deferred", HubReserve/2, r, err, len(hub.requests))
	}
	if subs, _ := s.SourceSubscriptions(ctx, "wire"); len(subs) != 0 {
		t.Errorf("a deferred subscription was stored: %+v", subs)
	}
	now = now.Add(MaxInterval)
	if r, err := in.Run(ctx); err != nil || r.Subscribed != 1 || len(hub.requests) != 1 {
		t.Errorf("the next poll, with time: %+v, %v, %d hub calls; want one subscription asked for", r, err, len(hub.requests))
	}
}
