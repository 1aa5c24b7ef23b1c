package article

import "time"

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
// article of the window when one tells the same story (the earliest of equals),
// else a's own. Comparing with every article of the story, not only its first,
// lets a story that develops over hours keep its id. It adds a (with that
// story) to the pool; clustered says whether it joined another's story.
func (s *Stories) Assign(a Article) (story string, clustered bool) {
	k := keyOf(a.Title)
	story = a.Story
	var best float32
	for i := range s.pool {
		p := &s.pool[i]
		if p.id == a.ID || sharedBits(k.sig, p.key.sig) < 2 {
			continue
		}
		gap := a.PublishedAt.Sub(p.published)
		if gap < 0 {
			gap = -gap
		}
		if gap > s.window {
			continue
		}
		if score, same := sameStory(&k, &p.key); same && score > best {
			best, story, clustered = score, p.story, true
		}
	}
	s.pool = append(s.pool, pooled{a.ID, story, a.PublishedAt, k})
	return story, clustered
}

// SameStory says whether two titles tell the same story: the decision
// ingestion makes for an article and each one of its window.
func SameStory(a, b string) bool {
	ka, kb := keyOf(a), keyOf(b)
	_, same := sameStory(&ka, &kb)
	return same
}

// The decision's thresholds on the weighted Dice similarity of two titles'
// words (a name or a number weighs 2, a capitalised first word 1.5, another
// word 1), tuned on the tuning half of clustereval's set.
const (
	joinAt = 0.45
	// joinAtWithNames applies when each title names someone or somewhere the
	// other does not (an election in Kenya, one in Chile), or one does and
	// the other starts with a word it lacks ("Alzheimer's drug …", "… slows
	// Parkinson's decline").
	joinAtWithNames = 0.65
	// joinAtWithLeads applies when each title starts with a capitalised word
	// the other lacks ("Oil climbs …", "Brent crude gains …").
	joinAtWithLeads = 0.5
	// leadWeight is the weight of a title's capitalised first word that is
	// not known to be a name: often the subject ("Bitcoin tops …").
	leadWeight = 1.25
)

// sameStory is the decision: never when the titles' numbers or directions
// conflict, else when they share at least two words and are similar enough.
func sameStory(a, b *titleKey) (float32, bool) {
	if numbersConflict(a.nums, b.nums) || a.dirs&^b.dirs != 0 && b.dirs&^a.dirs != 0 {
		return 0, false
	}
	dice, shared, onlyA, onlyB := overlap(a, b)
	if shared < 2 {
		return 0, false
	}
	if onlyA != 0 && onlyB != 0 && (onlyA|onlyB)&fPlain == 0 {
		// The titles differ only in names, first words or numbers: one
		// template, another subject (smartphone or PC sales, Taylor Swift's
		// or Beyoncé's tour dates).
		return 0, false
	}
	need := float32(joinAt)
	switch {
	case onlyA&(fName|fLead) == 0 || onlyB&(fName|fLead) == 0:
	case (onlyA|onlyB)&fName != 0:
		need = joinAtWithNames
	default:
		need = joinAtWithLeads
	}
	return dice, dice >= need
}
