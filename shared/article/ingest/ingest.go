// Package ingest is the articles domain's ingestion batch: fetch every due
// source without reaching the internal network, parse its feed (gofeed) and
// turn items into articles for the article store. It is its own package so
// that what only reads or edits articles does not link the feed parsers.
package ingest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/kiosk-news/kiosk/shared/article"

	"github.com/kiosk-news/kiosk/shared/kiosk"
	"github.com/kiosk-news/kiosk/shared/platform/parallel"
	"github.com/mmcdole/gofeed"
)

// Ingester is the ingestion batch: fetch every due source, turn items into
// articles, store each new one once and group near-duplicates into stories.
// It does not announce them: the Announcer relays what was stored to the bus,
// so a crash between the two can lose nothing.
type Ingester struct {
	Store       article.Store
	Fetcher     *Fetcher
	Concurrency int              // parallel fetches (default 8)
	Now         func() time.Time // default time.Now
	// StoryWindow is how far back near-duplicates are looked for (default 48h).
	StoryWindow time.Duration
}

// Report is what one run did; the batch logs it as one line.
type Report struct {
	Sources     int `json:"sources"`
	Due         int `json:"due"`
	Fetched     int `json:"fetched"`
	NotModified int `json:"not_modified"`
	Failed      int `json:"failed"`
	New         int `json:"new"`
	Duplicates  int `json:"duplicates"`
	BadItems    int `json:"bad_items"`
	Clustered   int `json:"clustered"`
	// Unstored counts sources with an article the run could not store; they
	// keep their previous fetch state and are fetched in full next run.
	Unstored int `json:"unstored"`
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
	source   article.Source
	articles []article.Article
	bad      int
	state    article.FetchState
	outcome  string // fetched, not_modified, failed
}

// Run does one ingestion pass. One broken source never stops the others.
func (in *Ingester) Run(ctx context.Context) (Report, error) {
	now := in.now()
	var r Report
	window := in.StoryWindow
	if window == 0 {
		window = 48 * time.Hour
	}
	recent, err := in.Store.RecentArticles(ctx, now.Add(-window))
	if err != nil {
		return r, fmt.Errorf("read recent articles: %w", err)
	}
	sources, err := in.Store.ListSources(ctx)
	if err != nil {
		return r, fmt.Errorf("list sources: %w", err)
	}
	r.Sources = len(sources)
	var due []article.Source
	for _, s := range sources {
		if !s.NextFetchAt.After(now) {
			due = append(due, s)
		}
	}
	r.Due = len(due)
	results := in.fetchAll(ctx, due, now)

	// Decide stories in a fixed order, so a run is deterministic.
	sort.Slice(results, func(i, j int) bool { return results[i].source.ID < results[j].source.ID })
	stories := article.NewStories(recent, window)
	seen := map[string]bool{}
	var candidates []article.Article
	for _, f := range results {
		switch f.outcome {
		case "fetched":
			r.Fetched++
		case "not_modified":
			r.NotModified++
		default:
			r.Failed++
		}
		r.BadItems += f.bad
		for _, a := range f.articles {
			if seen[a.ID] {
				r.Duplicates++
				continue
			}
			seen[a.ID] = true
			var clustered bool
			if a.Story, clustered = stories.Assign(a); clustered {
				r.Clustered++
			}
			candidates = append(candidates, a)
		}
	}
	fresh, dups, unstored, err := in.storeAll(ctx, candidates)
	r.New, r.Duplicates = fresh, r.Duplicates+dups
	// Each source whose articles are all stored is done: its fetch state
	// (validators, backoff) is recorded, so the next run asks it for what is
	// new since. A source with an article left unstored keeps its previous
	// state: the next run (Lambda's retry or the schedule) fetches it in full
	// again and stores the rest, and what is already stored meets itself.
	// A run that fails part-way resumes where it stopped.
	errs := []error{err}
	for _, f := range results {
		if unstored[f.source.ID] > 0 {
			r.Unstored++
			continue
		}
		if err := in.Store.RecordFetch(ctx, f.source.ID, f.state); err != nil {
			errs = append(errs, fmt.Errorf("record fetch of %s: %w", f.source.ID, err))
		}
	}
	return r, errors.Join(errs...)
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
		f.state.LastError = kiosk.Truncate(err.Error(), 300)
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
		return fail(err)
	}
	if resp.NotModified {
		f.outcome = "not_modified"
	} else {
		feed, err := gofeed.NewParser().Parse(bytes.NewReader(resp.Body))
		if err != nil {
			return fail(fmt.Errorf("parse: %w", err))
		}
		f.outcome = "fetched"
		for _, it := range feed.Items {
			a, err := FromItem(it, feed.Language, s, now)
			if err != nil {
				f.bad++
				continue
			}
			f.articles = append(f.articles, a)
		}
		f.state.ETag, f.state.LastModified = resp.ETag, resp.LastModified
	}
	f.state.ConsecutiveFailures, f.state.LastError, f.state.NextFetchAt = 0, "", time.Time{}
	f.state.LastSuccess = now
	return f
}

// storeAll puts the candidates with bounded concurrency; an id already stored
// is a duplicate, not an error. Each article is stamped with the time just
// before its put, which the Announcer's lag relies on.
func (in *Ingester) storeAll(ctx context.Context, candidates []article.Article) (fresh, dups int, unstored map[string]int, err error) {
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
			fresh++
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
