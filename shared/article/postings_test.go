package article

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// pooledArticle is an article of story for the pool tests.
func pooledArticle(name, title string, published, ingested time.Time) Article {
	id := IDFor("https://pool.example/" + name)
	return Article{ID: id, URL: "https://pool.example/" + name, Title: title, SourceID: "s", Category: "world", Story: id,
		PublishedAt: published, IngestedAt: ingested}
}

// decideBothWays decides news against the whole window and against
// StoryPool's pool, fails when they differ, and returns the stories.
func decideBothWays(t *testing.T, st Store, news []Article, now time.Time) []string {
	t.Helper()
	ctx := context.Background()
	const window = 48 * time.Hour
	recent, err := st.RecentArticles(ctx, now.Add(-window))
	if err != nil {
		t.Fatal(err)
	}
	pool, _, err := StoryPool(ctx, st, news, now.Add(-window), window)
	if err != nil {
		t.Fatal(err)
	}
	whole, part := NewStories(recent, window), NewStories(pool, window)
	var out []string
	for _, a := range news {
		want, _ := whole.Assign(a)
		got, _ := part.Assign(a)
		if got != want {
			t.Errorf("%q: story %s from the pool, %s from the whole window", a.Title, got, want)
		}
		out = append(out, want)
	}
	return out
}

func put(t *testing.T, st Store, as ...Article) {
	t.Helper()
	for _, a := range as {
		if err := st.PutArticle(context.Background(), a); err != nil {
			t.Fatal(err)
		}
	}
}

// TestStoryPool: the pool decides as the whole window where it leaves
// articles out — the window's edge (by ingestion time), a story's article
// that vetoes, an editor's move, equal candidates in ingestion order — on
// both stores.
func TestStoryPool(t *testing.T) {
	now := t0.Add(72 * time.Hour)
	for _, s := range stores {
		t.Run(s.name+": a story's article ingested before the window does not veto", func(t *testing.T) {
			st := s.new(t)
			c := pooledArticle("c", "Magnitude 6 earthquake hits the Chile coast", now.Add(-2*time.Hour), now.Add(-2*time.Hour))
			old := pooledArticle("old", "Magnitude 7 earthquake hits the Chile coast", now.Add(-47*time.Hour), now.Add(-49*time.Hour))
			old.Story = c.ID
			put(t, st, old, c)
			a := pooledArticle("a", "Earthquake of magnitude 6 hits Chile coast", now, now)
			if got := decideBothWays(t, st, []Article{a}, now); got[0] != c.ID {
				t.Errorf("joined %s, want the story of %q (its vetoing article is out of the window)", got[0], c.Title)
			}
		})
		t.Run(s.name+": a story's article in the window vetoes", func(t *testing.T) {
			st := s.new(t)
			c := pooledArticle("c", "Magnitude 6 earthquake hits the Chile coast", now.Add(-2*time.Hour), now.Add(-2*time.Hour))
			veto := pooledArticle("veto", "Magnitude 7 earthquake hits the Chile coast", now.Add(-3*time.Hour), now.Add(-3*time.Hour))
			veto.Story = c.ID
			put(t, st, veto, c)
			a := pooledArticle("a", "Earthquake of magnitude 6 hits Chile coast", now, now)
			if got := decideBothWays(t, st, []Article{a}, now); got[0] != a.ID {
				t.Errorf("joined %s, want its own story (an article of the candidate's story says magnitude 7)", got[0])
			}
		})
		t.Run(s.name+": a candidate ingested before the window is none", func(t *testing.T) {
			st := s.new(t)
			c := pooledArticle("c", "Magnitude 6 earthquake hits the Chile coast", now.Add(-time.Hour), now.Add(-49*time.Hour))
			put(t, st, c)
			a := pooledArticle("a", "Earthquake of magnitude 6 hits Chile coast", now, now)
			if got := decideBothWays(t, st, []Article{a}, now); got[0] != a.ID {
				t.Errorf("joined %s, want its own story", got[0])
			}
		})
		t.Run(s.name+": an editor's move is honoured", func(t *testing.T) {
			st := s.new(t)
			c := pooledArticle("c", "Magnitude 6 earthquake hits the Chile coast", now.Add(-2*time.Hour), now.Add(-2*time.Hour))
			other := pooledArticle("other", "Chile coast braces for storm", now.Add(-3*time.Hour), now.Add(-3*time.Hour))
			put(t, st, other, c)
			moved := c
			moved.Story, moved.StoryByEditor, moved.ModeratedAt = other.ID, true, now.Add(-time.Hour)
			if err := st.SaveEditorial(context.Background(), moved, time.Time{}); err != nil {
				t.Fatal(err)
			}
			a := pooledArticle("a", "Earthquake of magnitude 6 hits Chile coast", now, now)
			if got := decideBothWays(t, st, []Article{a}, now); got[0] != other.ID {
				t.Errorf("joined %s, want the story an editor moved its candidate to", got[0])
			}
		})
		t.Run(s.name+": among equal candidates the earliest ingested", func(t *testing.T) {
			for _, first := range []string{"x", "y"} {
				st := s.new(t)
				x := pooledArticle("x", "Magnitude 6 earthquake hits the Chile coast", now.Add(-2*time.Hour), now.Add(-2*time.Hour))
				y := pooledArticle("y", "Magnitude 6 earthquake hits the Chile coast", now.Add(-2*time.Hour), now.Add(-2*time.Hour))
				want := x.ID
				if first == "y" {
					x.IngestedAt, want = now.Add(-time.Hour), y.ID
				} else {
					y.IngestedAt = now.Add(-time.Hour)
				}
				put(t, st, x, y)
				a := pooledArticle("a", "Earthquake of magnitude 6 hits Chile coast", now, now)
				if got := decideBothWays(t, st, []Article{a}, now); got[0] != want {
					t.Errorf("%s ingested first: joined %s, want %s", first, got[0], want)
				}
			}
		})
		t.Run(s.name+": a run's article joins an earlier one of the run and its story", func(t *testing.T) {
			st := s.new(t)
			c := pooledArticle("c", "Magnitude 6 earthquake hits the Chile coast", now.Add(-2*time.Hour), now.Add(-2*time.Hour))
			put(t, st, c)
			a := pooledArticle("a", "Earthquake of magnitude 6 hits Chile coast", now, now)
			b := pooledArticle("b", "Chile coast earthquake of magnitude 6 kills 3", now, now)
			if got := decideBothWays(t, st, []Article{a, b}, now); got[0] != c.ID || got[1] != c.ID {
				t.Errorf("stories %v, want both %s", got, c.ID)
			}
		})
	}
}

// TestPostingsSuite: postings list the window's articles under each token
// of their title, newest ingested first, from since, at most limit; and
// GetArticles reads the stored ones among ids.
func TestPostingsSuite(t *testing.T) {
	ctx := context.Background()
	for _, s := range stores {
		t.Run(s.name, func(t *testing.T) {
			st := s.new(t)
			var as []Article
			for i := range 5 {
				a := pooledArticle(fmt.Sprint(i), fmt.Sprintf("Harbour bridge %d reopens", i), t0, t0.Add(time.Duration(i)*time.Minute))
				as = append(as, a)
			}
			put(t, st, as...)
			bridge := keyOf("bridge").toks[0]
			got, err := st.Postings(ctx, bridge, t0.Add(time.Minute), 3)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 3 || got[0].ID != as[4].ID || got[1].ID != as[3].ID || got[2].ID != as[2].ID {
				t.Fatalf("postings of bridge = %+v, want articles 4, 3, 2", got)
			}
			if p := got[0]; p.Title != as[4].Title || !p.PublishedAt.Equal(t0) || !p.IngestedAt.Equal(as[4].IngestedAt) {
				t.Errorf("posting %+v, want the title and times of %+v", p, as[4])
			}
			if got, _ := st.Postings(ctx, bridge, t0.Add(4*time.Minute+time.Nanosecond), 10); len(got) != 0 {
				t.Errorf("postings after the last ingestion = %+v, want none", got)
			}
			if got, _ := st.Postings(ctx, keyOf("tunnel").toks[0], t0, 10); len(got) != 0 {
				t.Errorf("postings of a token no title has = %+v", got)
			}
			read, err := st.GetArticles(ctx, []string{as[1].ID, IDFor("none"), as[3].ID, as[1].ID})
			if err != nil || len(read) != 2 {
				t.Fatalf("GetArticles = %v, %v; want articles 1 and 3", read, err)
			}
			for _, a := range read {
				if a.ID != as[1].ID && a.ID != as[3].ID {
					t.Errorf("GetArticles read %s", a.ID)
				}
			}
		})
	}
}

// TestArticlesStoredBeforePostingsArePostedOnce: an article item as the
// store wrote it before postings existed is in no token's postings until
// IndexPostings posts the window, once.
func TestArticlesStoredBeforePostingsArePostedOnce(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	old := pooledArticle("old", "Harbour bridge reopens", t0, t0)
	outside := pooledArticle("outside", "Harbour bridge closes", t0, t0.Add(-time.Hour))
	for _, a := range []Article{old, outside} {
		if err := s.table.Put(toItem(a)).Run(ctx); err != nil {
			t.Fatal(err)
		}
	}
	bridge := keyOf("bridge").toks[0]
	if got, _ := s.Postings(ctx, bridge, t0.Add(-2*time.Hour), 10); len(got) != 0 {
		t.Fatalf("postings before the backfill = %+v", got)
	}
	if n, err := s.IndexPostings(ctx, t0); err != nil || n != 1 {
		t.Fatalf("IndexPostings = %d, %v; want 1 (the window's one article)", n, err)
	}
	if got, _ := s.Postings(ctx, bridge, t0.Add(-2*time.Hour), 10); len(got) != 1 || got[0].ID != old.ID {
		t.Errorf("postings after the backfill = %+v, want the window's article", got)
	}
	if n, err := s.IndexPostings(ctx, t0.Add(-2*time.Hour)); err != nil || n != 0 {
		t.Errorf("a second IndexPostings = %d, %v; want 0 (done once)", n, err)
	}
}

// TestUnproven: a title with two capped tokens weighing too much of it is
// unproven; one capped token never is.
func TestUnproven(t *testing.T) {
	k := keyOf("Harbour bridge reopens after storm damage repairs")
	one := map[uint64]bool{k.toks[0]: true}
	two := map[uint64]bool{k.toks[0]: true, k.toks[1]: true}
	if unproven(&k, one) {
		t.Error("one capped token: every candidate shares another")
	}
	if !unproven(&k, two) {
		t.Error("two capped tokens of six: a two-word title could share only them")
	}
}
