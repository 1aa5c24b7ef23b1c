package article

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/kiosk-news/kiosk/shared/platform/parallel"
)

// Posting is an article as the title postings list it under one of its
// title's tokens: what the story decision's pre-selection reads (its title
// and times). Not its story: an editor may move the article after it was
// posted, so StoryPool reads the story from the article itself.
type Posting struct {
	ID          string
	Title       string
	PublishedAt time.Time
	IngestedAt  time.Time
}

// PostingLife is how long after its article's ingestion a posting is kept
// (DynamoDB's TTL deletes it some time after; readers go by the ingestion
// time, never by the deletion): the default story window and a day of
// margin. A story window longer than this misses what expired.
const PostingLife = 72 * time.Hour

// PostingsRead bounds the postings one token's read returns: the newest
// ones. A token in more of the window's titles than this (a word of every
// day's news) is read only that far back; see StoryPool for what that
// leaves out.
const PostingsRead = 50

// StoryMembersRead bounds the articles read of one story (StoryArticles).
const StoryMembersRead = 1000

// Tokens returns the tokens a title's postings are filed under: the hashes
// of its normalised words, the ones the story decision compares.
func Tokens(title string) []uint64 { return keyOf(title).toks }

// tokenKey writes a token as the postings' key part: fixed-width hex.
func tokenKey(t uint64) string { return fmt.Sprintf("%016x", t) }

// PoolStats is what StoryPool read.
type PoolStats struct {
	Tokens   int // token lists read
	Postings int // postings read
	// Capped counts the tokens whose list held PostingsRead postings or more
	// (read that far only).
	Capped int
	// Unproven counts the new articles for which those capped lists may
	// have hidden a story they would have joined: more than one of their
	// tokens capped, and enough title weight in them to make a story of
	// their own (see StoryPool).
	Unproven int
}

// StoryPool returns the articles of the story window (ingested at or after
// since) that the story decision of news can look at, oldest ingested first
// (then by id, RecentArticles' order): every article one of news could
// join, and every article of the story of each (the decision vetoes a
// story if any of its articles contradicts the new one). news are articles
// not stored yet, each in its own story, as ingestion makes them.
//
// Stories fed with this pool decides every one of news as it would fed with
// the whole window (RecentArticles(since)), in the same order: the articles
// it leaves out are neither a candidate for any of news (Stories.joins) nor
// in the story of one, so they take no part in any decision; and an article
// of news that joins another of news takes its story, whose stored members
// are in the pool. What it reads: one Query per distinct token of news
// (PostingsRead postings at most), one read per candidate and one Query
// per candidate's story, so its cost per new article does not grow with the
// window.
//
// The candidate rule: Stories.joins accepts only a pair of titles sharing
// two tokens or more, so every candidate is in the postings of a token of
// the new article's title; StoryPool reads those lists and keeps what joins
// accepts. A list cut at PostingsRead (a very frequent token) leaves out its
// older postings: a candidate is still found when it shares a token whose
// list was read whole, which is certain when at most one of the new title's
// tokens was cut (it shares two), or when the cut tokens weigh too little to
// make the similarity a story needs on their own: sharing only k of them,
// each weighing at most 2 (a name or number) in the pair and at least 1 in
// the other title, the similarity is at most 4k/(total+k), below the
// lowest threshold (joinAt - soonBonus). Otherwise it counts the article as
// Unproven: its story is decided against the cut lists' newest postings
// (versions of one story come out within hours of each other), which
// clustereval shows decides the labelled set as the whole window does.
func StoryPool(ctx context.Context, st Store, news []Article, since time.Time, window time.Duration) ([]Article, PoolStats, error) {
	var stats PoolStats
	if len(news) == 0 {
		return nil, stats, nil
	}
	keys := make([]titleKey, len(news))
	byTok := map[uint64][]int{}
	for i, a := range news {
		keys[i] = keyOf(a.Title)
		for _, t := range keys[i].toks {
			byTok[t] = append(byTok[t], i)
		}
	}
	toks := make([]uint64, 0, len(byTok))
	for t := range byTok {
		toks = append(toks, t)
	}
	lists := make([][]Posting, len(toks))
	errs := make([]error, len(toks))
	parallel.Each(toks, 8, func(i int, t uint64) { lists[i], errs[i] = st.Postings(ctx, t, since, PostingsRead) })
	capped := map[uint64]bool{}
	for i, err := range errs {
		if err != nil {
			return nil, stats, fmt.Errorf("postings: %w", err)
		}
		stats.Tokens++
		stats.Postings += len(lists[i])
		if len(lists[i]) >= PostingsRead {
			capped[toks[i]] = true
			stats.Capped++
		}
	}
	for i := range news {
		if unproven(&keys[i], capped) {
			stats.Unproven++
		}
	}
	// The candidates: what joins accepts for one of news.
	s := &Stories{window: window}
	pkeys := map[string]*titleKey{}
	want := map[string]bool{}
	for i, t := range toks {
		for _, p := range lists[i] {
			if want[p.ID] || p.IngestedAt.Before(since) {
				continue
			}
			pk := pkeys[p.ID]
			if pk == nil {
				k := keyOf(p.Title)
				pk = &k
				pkeys[p.ID] = pk
			}
			for _, n := range byTok[t] {
				if news[n].ID == p.ID {
					continue
				}
				if _, ok := s.joins(&keys[n], news[n].PublishedAt, pk, p.PublishedAt); ok {
					want[p.ID] = true
					break
				}
			}
		}
	}
	if len(want) == 0 {
		return nil, stats, nil
	}
	ids := make([]string, 0, len(want))
	for id := range want {
		ids = append(ids, id)
	}
	// Their stories as stored now (an editor may have moved one), and every
	// article of those stories in the window.
	cands, err := st.GetArticles(ctx, ids)
	if err != nil {
		return nil, stats, fmt.Errorf("read candidates: %w", err)
	}
	pool := map[string]Article{}
	storySet := map[string]bool{}
	for _, c := range cands {
		if !c.IngestedAt.Before(since) {
			pool[c.ID] = c
			storySet[c.Story] = true
		}
	}
	stories := make([]string, 0, len(storySet))
	for story := range storySet {
		stories = append(stories, story)
	}
	members := make([][]Article, len(stories))
	errs = make([]error, len(stories))
	parallel.Each(stories, 8, func(i int, story string) { members[i], errs[i] = st.StoryArticles(ctx, story, StoryMembersRead) })
	for i, err := range errs {
		if err != nil {
			return nil, stats, fmt.Errorf("read story %s: %w", stories[i], err)
		}
		for _, m := range members[i] {
			if !m.IngestedAt.Before(since) && m.Story == stories[i] {
				pool[m.ID] = m
			}
		}
	}
	out := make([]Article, 0, len(pool))
	for _, a := range pool {
		out = append(out, a)
	}
	// (sort.Slice: a generic sort of Article costs every binary linking the
	// store ~20 KB.)
	sort.Slice(out, func(i, j int) bool { return ingestKey(out[i]) < ingestKey(out[j]) })
	return out, stats, nil
}

// unproven says whether the capped tokens of k could hide a story k would
// join (see StoryPool): more than one of them, weighing enough on their own.
func unproven(k *titleKey, capped map[uint64]bool) bool {
	m := 0
	for _, t := range k.toks {
		if capped[t] {
			m++
		}
	}
	const maxWeight = 2
	return m >= 2 && maxWeight*2*float32(m)/(k.total+float32(m)) >= minJoin
}

// minJoin is the least similarity any pair of titles needs to be one story.
const minJoin = min(joinAt, joinAtWithNames, joinAtWithNameAndLead, joinAtWithLeads) - soonBonus
