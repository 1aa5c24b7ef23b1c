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
	pool   []Article
}

// NewStories starts a pool from the recent articles, oldest first.
func NewStories(recent []Article, window time.Duration) *Stories {
	return &Stories{window: window, pool: append([]Article(nil), recent...)}
}

// Assign returns the story of a: an earlier article's story within the
// window when one is the same story, else a's own. It adds a (with that
// story) to the pool; clustered says whether it joined another's story.
func (s *Stories) Assign(a Article) (story string, clustered bool) {
	story, clustered = a.Story, false
	if st, ok := s.storyOf(a); ok {
		story, clustered = st, true
	}
	a.Story = story
	s.pool = append(s.pool, a)
	return story, clustered
}

// storyOf finds an earlier article of the same story within the window.
func (s *Stories) storyOf(a Article) (string, bool) {
	for _, p := range s.pool {
		if p.ID == a.ID {
			continue
		}
		gap := a.PublishedAt.Sub(p.PublishedAt)
		if gap < 0 {
			gap = -gap
		}
		if gap <= s.window && SameStory(a.Fingerprint, p.Fingerprint) {
			return p.Story, true
		}
	}
	return "", false
}
