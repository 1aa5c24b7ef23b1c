package article

import (
	"sort"
	"time"
)

// Stories decides which story each new article belongs to, against the
// articles of the story window (the pool). Ingestion makes one per run from
// the stored recent articles and assigns every new article in turn, so a
// later article of the run can join the story of an earlier one; clustereval
// measures the same decision over a labelled set. It never changes the story
// of an article already in the pool: an editor's split or merge stays.
type Stories struct {
	window time.Duration
	pool   []pooled
}

// pooled is an article of the pool with its title's key, computed once.
type pooled struct {
	id, story string
	published time.Time
	key       titleKey
}

// NewStories starts a pool from the recent articles, oldest first. Each
// title's key is computed from the title here, once per run: the decision
// works the same on articles stored before it changed.
func NewStories(recent []Article, window time.Duration) *Stories {
	s := &Stories{window: window, pool: make([]pooled, 0, len(recent))}
	for _, a := range recent {
		s.pool = append(s.pool, pooled{a.ID, a.Story, a.PublishedAt, keyOf(a.Title)})
	}
	return s
}

// Assign returns the story of a: the story of the most similar earlier
// article of the window when one tells the same story (the earliest of
// equals) and no article of that story contradicts a, else a's own. Comparing
// with every article of a story, not only its first, lets a story that
// develops over hours keep its id; checking a against all of them keeps one
// loose link from chaining two stories (a heatwave "across the south", then
// one in Spain, then one in India). It adds a (with that story) to the pool;
// clustered says whether it joined another's story.
func (s *Stories) Assign(a Article) (story string, clustered bool) {
	return s.assign(a, keyOf(a.Title))
}

// assign is Assign with a's title key computed.
func (s *Stories) assign(a Article, k titleKey) (story string, clustered bool) {
	type candidate struct {
		story string
		score float32
	}
	var cands []candidate
	for i := range s.pool {
		p := &s.pool[i]
		if p.id == a.ID {
			continue
		}
		if dice, ok := s.joins(&k, a.PublishedAt, &p.key, p.published); ok {
			cands = append(cands, candidate{p.story, dice})
		}
	}
	// Best first; among equals the earliest in the pool (a stable sort).
	// (sort.SliceStable: a generic sort costs every bootstrap linking the
	// decision ~4 KB.)
	sort.SliceStable(cands, func(i, j int) bool { return cands[i].score > cands[j].score })
	story = a.Story
	tried := map[string]bool{}
	for _, c := range cands {
		if tried[c.story] {
			continue
		}
		tried[c.story] = true
		if !s.contradicted(&k, a.PublishedAt, c.story) {
			story, clustered = c.story, true
			break
		}
	}
	s.pool = append(s.pool, pooled{a.ID, story, a.PublishedAt, k})
	return story, clustered
}

// joins says whether an article with the title key k published at could
// join the story of an earlier one (key pk, published pat), and their
// similarity: the pre-filter (two signature bits in common, published within
// the window of each other) and the decision.
//
// A pair it accepts shares at least two tokens (k.toks and pk.toks): judge
// asks never (2) of titles sharing fewer, and the similarity, a weighted
// Dice coefficient, is at most 1 < never - soonBonus. This is what lets
// StoryPool read the window through the title postings instead of whole.
func (s *Stories) joins(k *titleKey, at time.Time, pk *titleKey, pat time.Time) (float32, bool) {
	if sharedBits(k.sig, pk.sig) < 2 || !s.within(at, pat) {
		return 0, false
	}
	dice, need, veto := judge(k, pk)
	return dice, !veto && dice >= need-s.soon(at, pat)
}

// soon is how much less similarity two titles published within soonGap of
// each other need: versions of one story come out within the hour.
func (s *Stories) soon(a, b time.Time) float32 {
	if gap := a.Sub(b); -soonGap < gap && gap < soonGap {
		return soonBonus
	}
	return 0
}

func (s *Stories) within(a, b time.Time) bool {
	gap := a.Sub(b)
	return -s.window <= gap && gap <= s.window
}

// contradicted says whether an article of the story within the window
// contradicts the title k.
func (s *Stories) contradicted(k *titleKey, at time.Time, story string) bool {
	for i := range s.pool {
		p := &s.pool[i]
		if p.story == story && s.within(at, p.published) && contradicts(k, &p.key) {
			return true
		}
	}
	return false
}

// SameStory says whether two titles tell the same story: the decision
// ingestion makes for an article and each one of its window published an
// hour or more apart.
func SameStory(a, b string) bool {
	ka, kb := keyOf(a), keyOf(b)
	_, same := sameStory(&ka, &kb)
	return same
}

// The decision's thresholds on the weighted Dice similarity of two titles'
// words (a name or a number weighs 2, a capitalised first word 1.5, another
// word 1). They were chosen on clustereval's tuning half, then revised once
// the held-out half and the fresh set had been measured blind (see
// clustereval's documentation for both measurements).
const (
	joinAt = 0.5
	// joinAtWithNames applies when each title names someone or somewhere the
	// other does not (an election in Kenya, one in Chile).
	joinAtWithNames = 0.65
	// joinAtWithNameAndLead applies when one title names someone the other
	// lacks and the other starts with a word the first lacks ("Alzheimer's
	// drug …", "… slows Parkinson's decline").
	joinAtWithNameAndLead = 0.55
	// joinAtWithLeads applies when each title starts with a capitalised word
	// the other lacks ("Oil climbs …", "Brent crude gains …").
	joinAtWithLeads = 0.5
	// leadWeight is the weight of a title's capitalised first word that is
	// not known to be a name: often the subject ("Bitcoin tops …").
	leadWeight = 1.5
	// never is a similarity no two titles reach.
	never = 2
	// soonBonus is taken off the similarity two titles published less than
	// soonGap apart need (not off never).
	soonBonus = 0.05
	soonGap   = time.Hour
)

// sameStory is the decision: the titles' similarity, and whether they tell
// one story.
func sameStory(a, b *titleKey) (float32, bool) {
	dice, need, veto := judge(a, b)
	return dice, !veto && dice >= need
}

// contradicts says whether two titles cannot be one story: a veto, or each
// names someone the other lacks and they are not similar even by the plain
// threshold (an article naming the mayor of Istanbul does not contradict one
// naming Turkey that says the same). Titles worded too differently to
// compare contradict nothing.
func contradicts(a, b *titleKey) bool {
	dice, need, veto := judge(a, b)
	return veto || need == joinAtWithNames && dice < joinAt
}

// judge compares two titles: their similarity, the similarity they need to be
// one story, and whether they never can be (a veto) — when their numbers of
// one kind or their directions conflict, or they are one template with
// another subject. Titles sharing fewer than two words need more than any
// similarity.
func judge(a, b *titleKey) (dice, need float32, veto bool) {
	if numbersConflict(a.nums, b.nums) || a.dirs&^b.dirs != 0 && b.dirs&^a.dirs != 0 {
		return 0, never, true
	}
	dice, shared, onlyA, onlyB, plainApart := overlap(a, b)
	switch {
	case shared < 2:
		return dice, never, false
	case swapped(onlyA, onlyB, plainApart):
		return dice, never, true
	case onlyA&(fName|fLead) == 0 || onlyB&(fName|fLead) == 0:
		return dice, joinAt, false
	case onlyA&fName != 0 && onlyB&fName != 0:
		return dice, joinAtWithNames, false
	case (onlyA|onlyB)&fName != 0:
		return dice, joinAtWithNameAndLead, false
	}
	return dice, joinAtWithLeads, false
}

// swapped says whether two titles are one template with another subject:
// each has a name, a number or a capitalised first word the other lacks, and
// apart from those they differ in at most one plain word (smartphone or PC
// sales, Taylor Swift's or Beyoncé's tour dates, Verstappen winning the
// Grand Prix or Norris its sprint).
func swapped(onlyA, onlyB uint8, plainApart int) bool {
	subject := fName | fLead | fNum
	return onlyA&subject != 0 && onlyB&subject != 0 && plainApart <= 1
}
