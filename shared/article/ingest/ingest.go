// Package ingest is the articles domain's ingestion batch: fetch every due
// source without reaching the internal network, have its feed parsed (by the
// parse-feed function: Parser) and turn the items into articles for the
// article store. It links no feed parser (feedparse does, for parse-feed
// alone), and it is its own package so that what only reads or edits articles
// does not link the fetcher and the WebSub subscriber.
package ingest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"time"

	"github.com/kiosk-news/kiosk/shared/article"
	"github.com/kiosk-news/kiosk/shared/article/feeddoc"

	"github.com/kiosk-news/kiosk/shared/kiosk"
	"github.com/kiosk-news/kiosk/shared/platform/parallel"
)

// Ingester is the ingestion batch: fetch every due source, turn items into
// articles, store each new one once and group near-duplicates into stories.
// It does not announce them: the Announcer relays what was stored to the bus,
// so a crash between the two can lose nothing.
type Ingester struct {
	Store   article.Store
	Fetcher *Fetcher
	// Parser parses every fetched or pushed document (Remote: parse-feed).
	Parser      Parser
	Concurrency int              // parallel fetches (default 8)
	Now         func() time.Time // default time.Now
	// StoryWindow is how far back near-duplicates are looked for (default
	// 48h; at most article.PostingLife, after which the title postings the
	// look-up reads expire).
	StoryWindow time.Duration
	// WebSub, when set, subscribes the feeds that name a hub and keeps their
	// subscriptions (renewal, unsubscription) on every run.
	WebSub *Subscriber
}

// BatchPeriod is the ingestion batch's schedule (the topology's
// ingest-feeds rate).
const BatchPeriod = 5 * time.Minute

// RelayDelay is the most the outbox relay adds before a polled article is on
// the bus: its lag and its one-minute schedule.
const RelayDelay = article.AnnounceLag + time.Minute

// Ahead is how much earlier than its interval a source is due, so that the
// run that polls it (up to BatchPeriod later) and the relay (RelayDelay)
// still bring a story out within the interval: a feed's stories reach the
// feed within max(interval, BatchPeriod + RelayDelay).
const Ahead = BatchPeriod + RelayDelay

// MaxDue bounds the sources one run fetches (the soonest due first); the
// rest are due on the next run.
const MaxDue = 2000

// Report is what one run did; the batch logs it as one line.
type Report struct {
	Sources     int `json:"sources"`
	Due         int `json:"due"`
	Fetched     int `json:"fetched"`
	NotModified int `json:"not_modified"`
	Failed      int `json:"failed"`
	// FailureStreak is the most consecutive failures of a source that failed
	// in this run (0 when none did): a source broken for good still fails
	// now and then, however far its backoff pushes its next fetch.
	FailureStreak int `json:"failure_streak,omitempty"`
	New           int `json:"new"`
	Duplicates    int `json:"duplicates"`
	BadItems      int `json:"bad_items"`
	// Ignored counts items beyond a feed's newest feeddoc.MaxItems (which
	// parse-feed applies, polled or pushed, and which says why).
	Ignored   int `json:"ignored"`
	Clustered int `json:"clustered"`
	// Unproven counts new articles whose story was decided against a capped
	// read of a very frequent token's postings that may have left out one
	// they would have joined (article.StoryPool).
	Unproven int `json:"cluster_unproven,omitempty"`
	// Subscribed counts WebSub subscriptions asked for; Renewed, Unsubscribed
	// and SubFailed are the maintenance pass's.
	Subscribed   int `json:"subscribed"`
	Renewed      int `json:"renewed"`
	Unsubscribed int `json:"unsubscribed"`
	SubFailed    int `json:"websub_failed"`
	// SubDeferred counts hub calls not started: the run's deadline was near.
	SubDeferred int `json:"websub_deferred"`
	// Unstored counts sources with an article the run could not store; they
	// keep their previous fetch state and are fetched in full next run.
	Unstored int `json:"unstored"`
	// Unparsed counts fetched sources whose document parse-feed did not
	// answer for (throttling, Lambda's 5xx, a lost connection; not parse-feed
	// failing on the document, feeddoc.ParserFailed): not the source's fault,
	// so they keep their previous fetch state (no failure, no backoff), are
	// fetched in full next run, and the run fails so that it is retried.
	Unparsed int `json:"unparsed,omitempty"`
	// Superseded counts fetches not recorded because the source was
	// deleted, re-pointed or made due (refetch) while the run fetched it:
	// the operator's change stands, and the next run fetches it.
	Superseded int `json:"superseded,omitempty"`
}

// Backoff for failing sources: 15 min doubling per consecutive failure, at most a day.
const (
	baseInterval = 15 * time.Minute
	maxBackoff   = 24 * time.Hour
)

// NextFetch returns when a source with n consecutive failures is due again.
func NextFetch(now time.Time, failures int) time.Time {
	if failures == 0 {
		return time.Time{} // due on every run
	}
	d := baseInterval
	for i := 1; i < failures && d < maxBackoff; i++ {
		d *= 2
	}
	return now.Add(min(d, maxBackoff))
}

type fetched struct {
	source     article.Source
	articles   []article.Article
	bad        int
	ignored    int // items beyond feeddoc.MaxItems
	state      article.FetchState
	outcome    string // fetched, not_modified, failed, unparsed
	hub, topic string // the feed's WebSub links
	err        error  // why parse-feed did not answer (outcome unparsed)
}

// Run does one ingestion pass. One broken source never stops the others.
func (in *Ingester) Run(ctx context.Context) (Report, error) {
	now := in.now()
	var r Report
	window := in.window()
	// Sources stored before the due index existed join it, once; so do the
	// window's articles stored before the title postings.
	if _, err := in.Store.IndexDueSources(ctx); err != nil {
		return r, fmt.Errorf("index due sources: %w", err)
	}
	if _, err := in.Store.IndexPostings(ctx, now.Add(-window)); err != nil {
		return r, fmt.Errorf("post the window's titles: %w", err)
	}
	// Only the due sources, from the due index: a run's reads grow with the
	// sources that are due, not with every source.
	due, err := in.Store.DueSources(ctx, now, MaxDue)
	if err != nil {
		return r, fmt.Errorf("list due sources: %w", err)
	}
	r.Sources, r.Due = len(due), len(due)
	results := in.fetchAll(ctx, due, now)
	// The subscriptions of the feeds that name a hub: one Query each.
	live := map[string]*article.Subscription{}
	if in.WebSub != nil {
		for i, f := range results {
			if f.hub == "" {
				continue
			}
			subs, err := in.Store.SourceSubscriptions(ctx, f.source.ID)
			if err != nil {
				results[i].hub = "" // asked again next poll
				continue
			}
			for j := range subs {
				if subs[j].State != article.SubUnsubscribing {
					live[f.source.ID] = &subs[j]
				}
			}
			// A feed its hub pushes is polled only as a safety net.
			if sub := live[f.source.ID]; sub != nil && sub.Live(now) {
				results[i].state.NextFetchAt = now.Add(MaxInterval - Ahead)
			}
		}
	}

	// Decide stories in a fixed order, so a run is deterministic.
	sort.Slice(results, func(i, j int) bool { return results[i].source.ID < results[j].source.ID })
	seen := map[string]bool{}
	var offered []article.Article
	for _, f := range results {
		switch f.outcome {
		case "fetched":
			r.Fetched++
		case "not_modified":
			r.NotModified++
		case "unparsed":
			r.Unparsed++
		default:
			r.Failed++
			r.FailureStreak = max(r.FailureStreak, f.state.ConsecutiveFailures)
		}
		r.BadItems += f.bad
		r.Ignored += f.ignored
		for _, a := range f.articles {
			if seen[a.ID] {
				r.Duplicates++
				continue
			}
			seen[a.ID] = true
			offered = append(offered, a)
		}
	}
	candidates, p, err := in.place(ctx, offered, now, window)
	if err != nil {
		return r, err
	}
	r.Duplicates += p.stored
	r.Clustered, r.Unproven = p.clustered, p.stats.Unproven
	fresh, dups, unstored, err := in.storeAll(ctx, candidates)
	r.New, r.Duplicates = len(fresh), r.Duplicates+dups
	// Each source whose articles are all stored is done: its fetch state
	// (validators, backoff) is recorded, so the next run asks it for what is
	// new since. A source with an article left unstored keeps its previous
	// state: the next run (Lambda's retry or the schedule) fetches it in full
	// again and stores the rest, and what is already stored meets itself.
	// A run that fails part-way resumes where it stopped.
	errs := []error{err}
	for _, f := range results {
		if f.outcome == "unparsed" {
			errs = append(errs, fmt.Errorf("parse %s: %w", f.source.ID, f.err))
			continue
		}
		if unstored[f.source.ID] > 0 {
			r.Unstored++
			continue
		}
		switch err := in.Store.RecordFetch(ctx, f.source, f.state); {
		case errors.Is(err, article.ErrSuperseded):
			r.Superseded++
		case err != nil:
			errs = append(errs, fmt.Errorf("record fetch of %s: %w", f.source.ID, err))
		}
	}
	if in.WebSub != nil {
		// A hub that fails affects only its feed's subscription: the feed is
		// polled meanwhile, and the next run asks again. Logged, not failed.
		// Hub calls run HubConcurrency at a time and none starts when the
		// run's deadline is near (a feed not subscribed now is at its next
		// poll).
		var (
			mu    sync.Mutex
			werrs []error
			asks  []fetched
		)
		for _, f := range results {
			cur := live[f.source.ID]
			if f.hub != "" && (cur == nil || cur.Hub != f.hub || cur.Topic != f.topic) {
				asks = append(asks, f)
			}
		}
		parallel.Each(asks, HubConcurrency, func(_ int, f fetched) {
			if !hubTime(ctx) {
				mu.Lock()
				r.SubDeferred++
				mu.Unlock()
				return
			}
			err := in.WebSub.Ensure(ctx, f.source, f.hub, f.topic, live[f.source.ID])
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				r.SubFailed++
				werrs = append(werrs, err)
			} else {
				r.Subscribed++
			}
		})
		m, err := in.WebSub.Maintain(ctx)
		r.Renewed, r.Unsubscribed, r.SubFailed = m.Renewed, m.Unsubscribed, r.SubFailed+m.Failed
		r.SubDeferred += m.Deferred
		if werr := errors.Join(append(werrs, err)...); werr != nil {
			slog.WarnContext(ctx, "websub", "error", werr.Error())
		}
	}
	return r, errors.Join(errs...)
}

// Push stores the items of a feed document a WebSub hub pushed for src
// (contentType is the push's), through the same feed item → article path as
// a poll (parse-feed, stories, one conditional put per article). It returns
// the articles it stored new; a replay stores none. It leaves the source's
// fetch state alone. A document parse-feed calls not a feed, or refuses as
// shaped beyond any feed (too_complex), is the hub's EINVALID, as it always
// was; parse-feed failing is an internal error, which the hub retries.
func (in *Ingester) Push(ctx context.Context, src article.Source, contentType string, body []byte) ([]article.Article, PushReport, error) {
	now := in.now()
	var r PushReport
	doc, err := in.parse(ctx, src, contentType, body, now)
	if err != nil {
		return nil, r, pushError(err)
	}
	r.BadItems, r.Ignored = doc.bad, doc.ignored
	seen := map[string]bool{}
	var offered []article.Article
	for _, a := range doc.articles {
		if seen[a.ID] {
			r.Duplicates++
			continue
		}
		seen[a.ID] = true
		offered = append(offered, a)
	}
	candidates, p, err := in.place(ctx, offered, now, in.window())
	if err != nil {
		return nil, r, err
	}
	r.Unproven = p.stats.Unproven // as Run's report: a flood of a word's postings shows here
	fresh, dups, _, err := in.storeAll(ctx, candidates)
	r.New, r.Duplicates = len(fresh), r.Duplicates+p.stored+dups
	return fresh, r, err
}

// pushError is the callback's answer for a pushed document parse-feed gave
// no items for: its classified code's client error, or an invoke that failed
// (parse-feed unreached, or failing on the document: feeddoc.ParserFailed)
// unchanged: not the hub's fault, a 5xx, and the hub sends again a bounded
// number of times, so a transient failure does not lose the push.
func pushError(err error) error {
	switch feeddoc.Code(err) {
	case "", feeddoc.ParserFailed:
		return err
	case feeddoc.TooLarge:
		return kiosk.Errorf(kiosk.ETOOLARGE, "the pushed content is too large: %v", kiosk.Truncate(err.Error(), 200))
	case feeddoc.TooComplex:
		return kiosk.Errorf(kiosk.EINVALID, "the pushed content is refused: %v", kiosk.Truncate(err.Error(), 200))
	default:
		return kiosk.Errorf(kiosk.EINVALID, "the pushed content is not a feed: %v", kiosk.Truncate(err.Error(), 200))
	}
}

func (in *Ingester) window() time.Duration {
	if in.StoryWindow == 0 {
		return 48 * time.Hour
	}
	return in.StoryWindow
}

// placed is what place did.
type placed struct {
	stored    int // offered articles stored already (left out)
	clustered int
	stats     article.PoolStats
}

// place decides the story of each offered article not stored yet, in
// order, and returns those. One BatchGet tells the stored ones (each a
// duplicate: not placed, not put again); the rest are decided against the
// pool article.StoryPool reads through the title postings — the articles of
// the window they could join and those articles' stories — not against the
// whole window, so what a run or a push reads grows with its new articles,
// not with the window. A later article can join the story of an earlier one.
func (in *Ingester) place(ctx context.Context, offered []article.Article, now time.Time, window time.Duration) ([]article.Article, placed, error) {
	var p placed
	if len(offered) == 0 {
		return nil, p, nil
	}
	ids := make([]string, len(offered))
	for i, a := range offered {
		ids[i] = a.ID
	}
	stored, err := in.Store.GetArticles(ctx, ids)
	if err != nil {
		return nil, p, fmt.Errorf("read offered articles: %w", err)
	}
	known := map[string]bool{}
	for _, a := range stored {
		known[a.ID] = true
	}
	var news []article.Article
	for _, a := range offered {
		if known[a.ID] {
			p.stored++
			continue
		}
		news = append(news, a)
	}
	pool, stats, err := article.StoryPool(ctx, in.Store, news, now.Add(-window), window)
	if err != nil {
		return nil, p, fmt.Errorf("read the story pool: %w", err)
	}
	p.stats = stats
	stories := article.NewStories(pool, window)
	for i := range news {
		var clustered bool
		if news[i].Story, clustered = stories.Assign(news[i]); clustered {
			p.clustered++
		}
	}
	return news, p, nil
}

// announce publishes article.published for each new article; a failure is
// logged, not returned: the articles are stored, and the Announcer relays them.
func announce(ctx context.Context, p article.Publisher, fresh []article.Article) int {
	if p == nil || len(fresh) == 0 {
		return 0
	}
	evs := make([]article.Event, len(fresh))
	for i, a := range fresh {
		evs[i] = article.PublishedEvent(a)
	}
	if err := p.Publish(ctx, evs...); err != nil {
		slog.WarnContext(ctx, "announcing new articles at once failed; the relay will", "articles", len(fresh), "error", err.Error())
		return 0
	}
	return len(fresh)
}

func (in *Ingester) now() time.Time {
	if in.Now != nil {
		return in.Now().UTC()
	}
	return time.Now().UTC()
}

func (in *Ingester) fetchAll(ctx context.Context, due []article.Source, now time.Time) []fetched {
	n := in.Concurrency
	if n <= 0 {
		n = 8
	}
	out := make([]fetched, len(due))
	parallel.Each(due, n, func(i int, s article.Source) { out[i] = in.fetchOne(ctx, s, now) })
	return out
}

// fetchOne never fails the run: a broken source only records its failure.
func (in *Ingester) fetchOne(ctx context.Context, s article.Source, now time.Time) (f fetched) {
	f = fetched{source: s, state: s.FetchState}
	f.state.LastChecked = now
	fail := func(err error) fetched {
		f.outcome = "failed"
		f.articles = nil
		f.state.ConsecutiveFailures++
		f.state.LastError = kiosk.Truncate(err.Error(), article.MaxLastError)
		f.state.NextFetchAt = NextFetch(now, f.state.ConsecutiveFailures)
		return f
	}
	defer func() {
		if p := recover(); p != nil {
			f = fail(fmt.Errorf("parser panic: %v", p))
		}
	}()
	resp, err := in.Fetcher.Fetch(ctx, s.URL, s.ETag, s.LastModified)
	if err != nil {
		f = fail(err)
		// 429 and 503 may say when to come back: never sooner.
		var he *HTTPError
		if errors.As(err, &he) && he.Delay(now) > 0 {
			f.state.NextFetchAt = maxTime(f.state.NextFetchAt, now.Add(min(he.Delay(now), maxBackoff)))
		}
		return f
	}
	var published []time.Time
	if resp.NotModified {
		f.outcome = "not_modified"
	} else {
		doc, err := in.parse(ctx, s, resp.ContentType, resp.Body, now)
		if err != nil && feeddoc.Code(err) == "" {
			// parse-feed did not answer: not the source's failure.
			return fetched{source: s, state: s.FetchState, outcome: "unparsed", err: err}
		}
		if err != nil {
			return fail(fmt.Errorf("parse: %w", err))
		}
		f.outcome, f.articles, f.bad, f.ignored = "fetched", doc.articles, doc.bad, doc.ignored
		for _, a := range doc.articles {
			published = append(published, a.PublishedAt)
		}
		f.state.ETag, f.state.LastModified = resp.ETag, resp.LastModified
		f.hub, f.topic = websubLinks(resp.Hub, resp.Self)
		if f.hub == "" {
			f.hub, f.topic = websubLinks(doc.hub, doc.self)
		}
	}
	// The previous interval is what the last run chose: next − checked
	// (+ the Ahead it was brought forward by).
	prev := MinInterval
	if !s.NextFetchAt.IsZero() && !s.LastChecked.IsZero() && !s.NextFetchAt.Before(s.LastChecked) && s.ConsecutiveFailures == 0 {
		prev = s.NextFetchAt.Sub(s.LastChecked) + Ahead
	}
	f.state.ConsecutiveFailures, f.state.LastError = 0, ""
	interval := PollInterval(now, published, prev, resp.MaxAge)
	// Brought forward by Ahead, but not before max-age — unless max-age is
	// beyond MaxInterval: the ceiling the freshness SLO counts on wins.
	f.state.NextFetchAt = now.Add(max(interval-Ahead, min(resp.MaxAge, MaxInterval)))
	f.state.LastSuccess = now
	return f
}

// websubLinks are a feed's hub and self links as its subscription keeps
// them: a link longer than article.MaxURL is no link (a header may be any
// size; the subscription's item may not), so an oversize hub is not
// subscribed to and an oversize self leaves the source's URL as the topic.
func websubLinks(hub, self string) (string, string) {
	if len(hub) > article.MaxURL {
		return "", ""
	}
	if len(self) > article.MaxURL {
		self = ""
	}
	return hub, self
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// storeAll puts the candidates with bounded concurrency; an id already stored
// is a duplicate, not an error. Each article is stamped with the time just
// before its put, which the Announcer's lag relies on.
func (in *Ingester) storeAll(ctx context.Context, candidates []article.Article) (fresh []article.Article, dups int, unstored map[string]int, err error) {
	type result struct {
		a   article.Article
		err error
	}
	results := make([]result, len(candidates))
	parallel.Each(candidates, 8, func(i int, a article.Article) {
		a.IngestedAt = in.now()
		pctx, cancel := context.WithTimeout(ctx, article.PutTimeout)
		defer cancel()
		results[i] = result{a, in.Store.PutArticle(pctx, a)}
	})
	var errs []error
	unstored = map[string]int{}
	for _, r := range results {
		switch {
		case r.err == nil:
			fresh = append(fresh, r.a)
		case errors.Is(r.err, article.ErrExists):
			dups++
		default:
			unstored[r.a.SourceID]++
			errs = append(errs, fmt.Errorf("store %s: %w", r.a.ID, r.err))
		}
	}
	if len(errs) > 3 {
		errs = append(errs[:3], fmt.Errorf("and %d more", len(errs)-3))
	}
	return fresh, dups, unstored, errors.Join(errs...)
}
