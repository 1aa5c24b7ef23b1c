package article

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

// storeSuite is what every Store promises; TestMemoryStore and
// TestDynamoStore run it against each.
func storeSuite(t *testing.T, newStore func(t *testing.T) Store) {
	t.Run("articles", func(t *testing.T) { articleSuite(t, newStore) })
	t.Run("editors' list", func(t *testing.T) { adminListSuite(t, newStore) })
	t.Run("sources", func(t *testing.T) { sourceSuite(t, newStore) })
	t.Run("fetch state", func(t *testing.T) { fetchStateSuite(t, newStore) })
	t.Run("due sources come from the due index, soonest first", func(t *testing.T) { dueSuite(t, newStore) })
	t.Run("a charged source made due is listed due at once and keeps its fetch state", func(t *testing.T) { madeDueSuite(t, newStore) })
	t.Run("a fetch is recorded only for the URL and schedule it was made for", func(t *testing.T) { recordRaceSuite(t, newStore) })
	t.Run("websub subscriptions", func(t *testing.T) { subscriptionSuite(t, newStore) })
	t.Run("the checkpoint only moves forward", func(t *testing.T) { checkpointSuite(t, newStore) })
	t.Run("stories and editorial state", func(t *testing.T) { storySuite(t, newStore) })
}

func storySuite(t *testing.T, newStore func(t *testing.T) Store) {
	ctx := context.Background()
	ids := func(as []Article) string {
		var out []string
		for _, a := range as {
			out = append(out, a.Title[len("story "):])
		}
		return fmt.Sprint(out)
	}
	// Story A: 0, 1, 2 (1 published half a second after 0, 2 a second
	// after); story B: 3 alone.
	setup := func(t *testing.T) (Store, []Article) {
		s := newStore(t)
		var as []Article
		for i, at := range []time.Duration{0, 500 * time.Millisecond, time.Second, 0} {
			a := art(i, "tech", t0.Add(at))
			if i > 0 && i < 3 {
				a.Story = as[0].ID
			}
			if err := s.PutArticle(ctx, a); err != nil {
				t.Fatal(err)
			}
			as = append(as, a)
		}
		return s, as
	}
	t.Run("a story lists its articles oldest published first, hidden ones too, at most the limit", func(t *testing.T) {
		s, as := setup(t)
		if _, _, err := moderate(ctx, s, as[2].ID, true, false, t0); err != nil {
			t.Fatal(err)
		}
		if got, err := s.StoryArticles(ctx, as[0].ID, 10); err != nil || ids(got) != "[0 1 2]" {
			t.Errorf("story A = %s, %v; want [0 1 2]", ids(got), err)
		}
		if got, _ := s.StoryArticles(ctx, as[0].ID, 2); ids(got) != "[0 1]" {
			t.Errorf("story A limited to 2 = %s, want [0 1]", ids(got))
		}
		if got, _ := s.StoryArticles(ctx, as[3].ID, 10); ids(got) != "[3]" {
			t.Errorf("story B = %s, want [3]", ids(got))
		}
		if got, err := s.StoryArticles(ctx, IDFor("none"), 10); err != nil || len(got) != 0 {
			t.Errorf("an unknown story = %v, %v; want nothing", got, err)
		}
	})
	t.Run("an editor's story and lead are stored and move the article between stories", func(t *testing.T) {
		s, as := setup(t)
		moved := as[1]
		moved.Story, moved.StoryByEditor, moved.Lead, moved.ModeratedAt = as[3].ID, true, true, t0.Add(time.Minute)
		moved.Title = "ignored: only the editorial state is written"
		if err := s.SaveEditorial(ctx, moved, time.Time{}); err != nil {
			t.Fatal(err)
		}
		got, err := s.GetArticle(ctx, as[1].ID)
		if err != nil || got.Story != as[3].ID || !got.StoryByEditor || !got.Lead || !got.ModeratedAt.Equal(t0.Add(time.Minute)) || got.Title != as[1].Title || got.Fingerprint != as[1].Fingerprint {
			t.Errorf("after the move: %+v, %v", got, err)
		}
		if a, _ := s.StoryArticles(ctx, as[0].ID, 10); ids(a) != "[0 2]" {
			t.Errorf("story A after the move = %s, want [0 2]", ids(a))
		}
		if b, _ := s.StoryArticles(ctx, as[3].ID, 10); ids(b) != "[3 1]" {
			t.Errorf("story B after the move = %s, want [3 1] (1 published later)", ids(b))
		}
		if p, _ := s.ListArticles(ctx, "tech", 10, ""); len(p.Items) != 4 {
			t.Errorf("a moved article is still listed: %d listed", len(p.Items))
		}
		if err := s.PutArticle(ctx, as[1]); !errors.Is(err, ErrExists) {
			t.Errorf("ingesting the article again: %v, want ErrExists", err)
		}
		if got, _ := s.GetArticle(ctx, as[1].ID); got.Story != as[3].ID || !got.StoryByEditor || !got.Lead {
			t.Errorf("ingesting the article again changed its editorial state: %+v", got)
		}
		back := got
		back.Story, back.StoryByEditor, back.Lead, back.Hidden, back.ModeratedAt = as[1].ID, true, false, true, t0.Add(2*time.Minute)
		if err := s.SaveEditorial(ctx, back, got.ModeratedAt); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.GetArticle(ctx, as[1].ID); got.Lead || !got.Hidden || got.Story != as[1].ID {
			t.Errorf("unmarked, hidden and split out: %+v", got)
		}
		if p, _ := s.ListArticles(ctx, "tech", 10, ""); len(p.Items) != 3 {
			t.Errorf("a hidden article is listed: %d listed", len(p.Items))
		}
	})
	t.Run("a change conditioned on a stale moderation time is a conflict and changes nothing", func(t *testing.T) {
		s, as := setup(t)
		first := as[0]
		first.Pinned, first.ModeratedAt = true, t0.Add(time.Minute)
		if err := s.SaveEditorial(ctx, first, time.Time{}); err != nil {
			t.Fatal(err)
		}
		for name, was := range map[string]time.Time{"never changed": {}, "an older change": t0, "a later change": t0.Add(time.Hour)} {
			late := as[0]
			late.Story, late.StoryByEditor, late.ModeratedAt = as[3].ID, true, t0.Add(3*time.Minute)
			if err := s.SaveEditorial(ctx, late, was); !errors.Is(err, ErrConflict) {
				t.Errorf("%s: %v, want ErrConflict", name, err)
			}
		}
		if got, _ := s.GetArticle(ctx, as[0].ID); got.Story != as[0].ID || got.StoryByEditor || !got.Pinned || !got.ModeratedAt.Equal(t0.Add(time.Minute)) {
			t.Errorf("a refused change changed the article: %+v", got)
		}
	})
}

// moderate sets an article's hidden and pinned flags as the service does:
// a read, then one write conditioned on what was read.
func moderate(ctx context.Context, s Store, id string, hidden, pinned bool, at time.Time) (before, after Article, err error) {
	before, err = s.GetArticle(ctx, id)
	if err != nil {
		return before, after, err
	}
	after = before
	after.Hidden, after.Pinned, after.ModeratedAt = hidden, pinned, at
	return before, after, s.SaveEditorial(ctx, after, before.ModeratedAt)
}

func articleSuite(t *testing.T, newStore func(t *testing.T) Store) {
	ctx := context.Background()
	t.Run("an article is stored once", func(t *testing.T) {
		s := newStore(t)
		a := art(1, "tech", t0)
		if err := s.PutArticle(ctx, a); err != nil {
			t.Fatal(err)
		}
		b := a
		b.Title = "another source's title"
		if err := s.PutArticle(ctx, b); !errors.Is(err, ErrExists) {
			t.Fatalf("second put = %v, want ErrExists", err)
		}
		got, err := s.GetArticle(ctx, a.ID)
		if err != nil || got.Title != a.Title || !got.PublishedAt.Equal(a.PublishedAt) || got.Fingerprint != a.Fingerprint {
			t.Errorf("GetArticle = %+v, %v", got, err)
		}
	})
	t.Run("a missing article is not found, a hidden one is read but not listed", func(t *testing.T) {
		s := newStore(t)
		if _, err := s.GetArticle(ctx, IDFor("x")); !errors.Is(err, ErrNotFound) {
			t.Errorf("missing: %v", err)
		}
		a := art(2, "tech", t0)
		_ = s.PutArticle(ctx, a)
		if _, _, err := moderate(ctx, s, a.ID, true, false, t0.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		if got, err := s.GetArticle(ctx, a.ID); err != nil || !got.Hidden || !got.ModeratedAt.Equal(t0.Add(time.Minute)) {
			t.Errorf("hidden: %+v, %v", got, err)
		}
		if p, _ := s.ListArticles(ctx, "tech", 10, ""); len(p.Items) != 0 {
			t.Errorf("a hidden article is listed: %+v", p.Items)
		}
		if p, _ := s.ListArticles(ctx, "", 10, ""); len(p.Items) != 0 {
			t.Errorf("a hidden article is listed overall: %+v", p.Items)
		}
		if was, m, err := moderate(ctx, s, a.ID, false, true, t0.Add(2*time.Minute)); err != nil || !m.Pinned || m.Hidden || !was.Hidden || was.Pinned {
			t.Fatal(m, err)
		}
		if p, _ := s.ListArticles(ctx, "tech", 10, ""); len(p.Items) != 1 || !p.Items[0].Pinned {
			t.Errorf("a shown, pinned article is not listed as pinned: %+v", p.Items)
		}
		if err := s.SaveEditorial(ctx, art(99, "tech", t0), time.Time{}); !errors.Is(err, ErrNotFound) {
			t.Errorf("hiding a missing article: %v", err)
		}
	})
	t.Run("lists are newest first, by category or overall, paged without gaps", func(t *testing.T) {
		s := newStore(t)
		for i := range 7 {
			cat := []string{"tech", "world"}[i%2]
			if err := s.PutArticle(ctx, art(i, cat, t0.Add(time.Duration(i)*time.Minute))); err != nil {
				t.Fatal(err)
			}
		}
		var ids []string
		cursor := ""
		for range 10 {
			p, err := s.ListArticles(ctx, "", 3, cursor)
			if err != nil {
				t.Fatal(err)
			}
			for _, a := range p.Items {
				ids = append(ids, a.Title)
			}
			if cursor = p.NextCursor; cursor == "" {
				break
			}
		}
		want := "[story 6 story 5 story 4 story 3 story 2 story 1 story 0]"
		if fmt.Sprint(ids) != want {
			t.Errorf("overall = %v, want %s", ids, want)
		}
		p, _ := s.ListArticles(ctx, "tech", 10, "")
		if len(p.Items) != 4 || p.Items[0].Title != "story 6" || p.NextCursor != "" {
			t.Errorf("tech = %+v", p)
		}
	})
	t.Run("paging never repeats or skips while new articles arrive", func(t *testing.T) {
		s := newStore(t)
		for i := range 30 {
			_ = s.PutArticle(ctx, art(i, "tech", t0.Add(time.Duration(i)*time.Minute)))
		}
		stop := make(chan struct{})
		var wg sync.WaitGroup
		wg.Add(1)
		go func() { // a writer adding newer articles the whole time
			defer wg.Done()
			for i := 100; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				_ = s.PutArticle(ctx, art(i, "tech", t0.Add(time.Hour+time.Duration(i)*time.Second)))
			}
		}()
		first, _ := s.ListArticles(ctx, "tech", 5, "")
		seen := map[string]bool{}
		var order []time.Time
		p := first
		for pages := 0; pages < 50; pages++ {
			for _, a := range p.Items {
				if seen[a.ID] {
					t.Fatalf("%s repeated", a.Title)
				}
				seen[a.ID] = true
				order = append(order, a.PublishedAt)
			}
			if p.NextCursor == "" {
				break
			}
			p, _ = s.ListArticles(ctx, "tech", 5, p.NextCursor)
		}
		close(stop)
		wg.Wait()
		for i := 1; i < len(order); i++ {
			if order[i].After(order[i-1]) {
				t.Fatalf("not newest first at %d", i)
			}
		}
		for i := range 30 {
			if a := art(i, "tech", t0); !seen[a.ID] && !first.Items[0].PublishedAt.Before(a.PublishedAt) {
				t.Errorf("%s was skipped", a.Title)
			}
		}
	})
}

// recordFetch records st for the source as it is stored now, as a run that
// read it just before fetching does.
func recordFetch(t *testing.T, s Store, id string, st FetchState) {
	t.Helper()
	src, err := s.GetSource(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.RecordFetch(context.Background(), src, st); err != nil {
		t.Fatal(err)
	}
}

func sourceSuite(t *testing.T, newStore func(t *testing.T) Store) {
	ctx := context.Background()
	s := newStore(t)
	src := Source{ID: "tech-daily", URL: "https://a.example/feed", Name: "Tech", Category: "tech", Weight: 1, CreatedAt: t0, UpdatedAt: t0}
	if err := s.PutSource(ctx, src); err != nil {
		t.Fatal(err)
	}
	if err := s.PutSource(ctx, src); !errors.Is(err, ErrExists) {
		t.Errorf("duplicate create: %v", err)
	}
	st := FetchState{ETag: `"e"`, LastModified: "lm", LastChecked: t0, LastSuccess: t0, ConsecutiveFailures: 0}
	recordFetch(t, s, src.ID, st)
	got, _ := s.GetSource(ctx, src.ID)
	if got.ETag != `"e"` || got.Name != "Tech" || !got.LastSuccess.Equal(t0) {
		t.Errorf("after RecordFetch: %+v", got)
	}
	src.URL, src.Name = "https://b.example/feed", "Tech 2"
	updated, err := s.UpdateSource(ctx, src)
	if err != nil {
		t.Fatal(err)
	}
	if updated.URL != src.URL || updated.Name != "Tech 2" || updated.ETag != "" {
		t.Errorf("UpdateSource returned %+v", updated)
	}
	got, _ = s.GetSource(ctx, src.ID)
	if got.URL != src.URL || got.ETag != "" || got.Name != "Tech 2" {
		t.Errorf("a new URL must forget the old validators: %+v", got)
	}
	list, _ := s.ListSources(ctx)
	if len(list) != 1 {
		t.Errorf("ListSources = %d", len(list))
	}
	if err := s.DeleteSource(ctx, src.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.RecordFetch(ctx, got, st); !errors.Is(err, ErrSuperseded) {
		t.Errorf("recording a deleted source's fetch: %v, want ErrSuperseded", err)
	}
	if _, err := s.GetSource(ctx, src.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("a deleted source came back: %v", err)
	}
	_, updateErr := s.UpdateSource(ctx, Source{ID: "nope"})
	for _, err := range []error{s.DeleteSource(ctx, "nope"), updateErr} {
		if !errors.Is(err, ErrNotFound) {
			t.Errorf("missing source: %v", err)
		}
	}
}

func checkpointSuite(t *testing.T, newStore func(t *testing.T) Store) {
	ctx := context.Background()
	s := newStore(t)
	if cp, err := s.Checkpoint(ctx); err != nil || !cp.IsZero() {
		t.Fatalf("fresh checkpoint = %v, %v", cp, err)
	}
	_ = s.AdvanceCheckpoint(ctx, t0)
	_ = s.AdvanceCheckpoint(ctx, t0.Add(-time.Hour))
	if cp, _ := s.Checkpoint(ctx); !cp.Equal(t0) {
		t.Errorf("checkpoint = %v, want %v", cp, t0)
	}
}

func adminListSuite(t *testing.T, newStore func(t *testing.T) Store) {
	ctx := context.Background()
	s := newStore(t)
	for i := range 6 {
		a := art(i, []string{"tech", "world"}[i%2], t0.Add(-time.Duration(i)*time.Hour)) // published in the other order
		a.IngestedAt = t0.Add(time.Duration(i) * time.Second)
		if err := s.PutArticle(ctx, a); err != nil {
			t.Fatal(err)
		}
		if i%3 == 0 {
			if _, _, err := moderate(ctx, s, a.ID, true, false, t0); err != nil {
				t.Fatal(err)
			}
		}
	}
	titles := func(f ArticleFilter, limit int) (pages []string) {
		t.Helper()
		after := ""
		for range 10 {
			p, err := s.AdminArticles(ctx, f, limit, after)
			if err != nil {
				t.Fatal(err)
			}
			var page []string
			for _, a := range p.Items {
				page = append(page, a.Title[len("story "):])
			}
			pages = append(pages, fmt.Sprint(page))
			if after = p.NextCursor; after == "" {
				return pages
			}
			if !validPosition(after) {
				t.Fatalf("position %q is not a list key", after)
			}
		}
		return pages
	}
	yes, no := true, false
	for _, c := range []struct {
		name  string
		f     ArticleFilter
		limit int
		want  string
	}{
		{"every article, hidden ones too, newest ingested first", ArticleFilter{}, 4, "[[5 4 3 2] [1 0]]"},
		{"one category", ArticleFilter{Category: "tech"}, 2, "[[4 2] [0]]"},
		{"hidden ones", ArticleFilter{Hidden: &yes}, 10, "[[3 0]]"},
		{"visible ones of a category", ArticleFilter{Category: "world", Hidden: &no}, 1, "[[5] [1]]"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := fmt.Sprint(titles(c.f, c.limit)); got != c.want {
				t.Errorf("pages = %s, want %s", got, c.want)
			}
		})
	}
	t.Run("recent articles are the ones ingested since, oldest first", func(t *testing.T) {
		recent, err := s.RecentArticles(ctx, t0.Add(2*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, a := range recent {
			got = append(got, a.Title)
		}
		if fmt.Sprint(got) != "[story 2 story 3 story 4 story 5]" {
			t.Errorf("recent = %v", got)
		}
	})
}

func fetchStateSuite(t *testing.T, newStore func(t *testing.T) Store) {
	ctx := context.Background()
	s := newStore(t)
	src := Source{ID: "desk", URL: "https://a.example/feed", Name: "Desk", Category: "world", Weight: 2, CreatedAt: t0, UpdatedAt: t0,
		FetchState: FetchState{ETag: `"ignored"`, ConsecutiveFailures: 9}}
	if err := s.PutSource(ctx, src); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.GetSource(ctx, "desk"); got.ETag != "" || got.ConsecutiveFailures != 0 || got.Weight != 2 || !got.CreatedAt.Equal(t0) {
		t.Errorf("a new source starts with its own fetch state, not the caller's: %+v", got)
	}
	failing := FetchState{ETag: `"e"`, LastModified: "lm", LastChecked: t0, ConsecutiveFailures: 2, LastError: "timeout",
		NextFetchAt: t0.Add(time.Hour), LastSuccess: t0.Add(-time.Hour)}
	recordFetch(t, s, "desk", failing)
	recordFetch(t, s, "desk", FetchState{LastChecked: t0.Add(time.Minute)}) // a 304 of a feed without validators
	got, _ := s.GetSource(ctx, "desk")
	want := FetchState{LastChecked: t0.Add(time.Minute), LastSuccess: t0.Add(-time.Hour), NextFetchAt: t0.Add(time.Hour)}
	if got.FetchState != want {
		t.Errorf("fetch state = %+v\nwant %+v (empty validators and error removed, zero times left as they were)", got.FetchState, want)
	}
	recordFetch(t, s, "desk", failing)
	src.Name, src.UpdatedAt = "Desk 2", t0.Add(time.Hour)
	updated, err := s.UpdateSource(ctx, src)
	if err != nil {
		t.Fatal(err)
	}
	if updated.ETag != `"e"` || updated.ConsecutiveFailures != 2 || updated.Name != "Desk 2" || !updated.UpdatedAt.Equal(t0.Add(time.Hour)) || !updated.CreatedAt.Equal(t0) {
		t.Errorf("an edit keeping the URL keeps the fetch state: %+v", updated)
	}
	src.URL = "https://b.example/feed"
	updated, _ = s.UpdateSource(ctx, src)
	if updated.ETag != "" || updated.LastModified != "" || updated.ConsecutiveFailures != 0 || !updated.NextFetchAt.IsZero() || updated.LastError != "timeout" {
		t.Errorf("a new URL forgets validators and backoff, and only those: %+v", updated.FetchState)
	}

	// RFC 9110 bounds no header: a server may send a 450 KB ETag. Recording
	// it must not fail (DynamoDB refuses an item over 400 KB): validators
	// over MaxValidator are not kept, so the next fetch is unconditional,
	// and the error text is cut to MaxLastError.
	huge := strings.Repeat("x", 450<<10)
	atBound := `"` + strings.Repeat("b", MaxValidator-2) + `"`
	for name, tc := range map[string]struct{ in, want FetchState }{
		"huge validators and error": {
			FetchState{ETag: `"` + huge + `"`, LastModified: huge, LastError: huge, LastChecked: t0, ConsecutiveFailures: 1},
			FetchState{LastError: huge[:MaxLastError], LastChecked: t0, ConsecutiveFailures: 1}},
		"validators at the bound": {
			FetchState{ETag: atBound, LastModified: huge[:MaxValidator], LastChecked: t0},
			FetchState{ETag: atBound, LastModified: huge[:MaxValidator], LastChecked: t0}},
		"one byte over the bound": {
			FetchState{ETag: atBound + "x", LastModified: huge[:MaxValidator+1], LastChecked: t0},
			FetchState{LastChecked: t0}},
	} {
		t.Run(name, func(t *testing.T) {
			s := newStore(t)
			if err := s.PutSource(ctx, Source{ID: "p-etag", URL: "https://p.example/feed", Name: "P", Category: "world", Weight: 1, CreatedAt: t0, UpdatedAt: t0}); err != nil {
				t.Fatal(err)
			}
			recordFetch(t, s, "p-etag", tc.in)
			got, err := s.GetSource(ctx, "p-etag")
			if err != nil || got.FetchState != tc.want {
				t.Errorf("fetch state = etag %d bytes, last-modified %d, error %d, %v; want %d, %d, %d",
					len(got.ETag), len(got.LastModified), len(got.LastError), err, len(tc.want.ETag), len(tc.want.LastModified), len(tc.want.LastError))
			}
		})
	}
}

func dueSuite(t *testing.T, newStore func(t *testing.T) Store) {
	ctx := context.Background()
	s := newStore(t)
	for _, id := range []string{"a", "b", "c", "d"} {
		if err := s.PutSource(ctx, Source{ID: id, URL: "https://" + id + ".example/feed", Name: id, Category: "tech", Weight: 1, CreatedAt: t0, UpdatedAt: t0}); err != nil {
			t.Fatal(err)
		}
	}
	ids := func(ss []Source) string {
		var out []string
		for _, x := range ss {
			out = append(out, x.ID)
		}
		return fmt.Sprint(out)
	}
	if got, err := s.DueSources(ctx, t0, 10); err != nil || ids(got) != "[a b c d]" {
		t.Errorf("new sources are due at once: %s, %v", ids(got), err)
	}
	recordFetch(t, s, "a", FetchState{LastChecked: t0, NextFetchAt: t0.Add(2 * time.Hour)})
	recordFetch(t, s, "b", FetchState{LastChecked: t0, NextFetchAt: t0.Add(5 * time.Minute)})
	recordFetch(t, s, "c", FetchState{LastChecked: t0, NextFetchAt: t0.Add(time.Hour)})
	if got, _ := s.DueSources(ctx, t0, 10); ids(got) != "[d]" {
		t.Errorf("due at t0 = %s, want [d]", ids(got))
	}
	if got, _ := s.DueSources(ctx, t0.Add(time.Hour), 10); ids(got) != "[d b c]" {
		t.Errorf("due an hour later = %s, want [d b c] (soonest first, the due time itself included)", ids(got))
	}
	if got, _ := s.DueSources(ctx, t0.Add(3*time.Hour), 2); ids(got) != "[d b]" {
		t.Errorf("due with a limit of 2 = %s, want [d b]", ids(got))
	}
	src, _ := s.GetSource(ctx, "a")
	src.URL = "https://new.example/feed"
	if _, err := s.UpdateSource(ctx, src); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.DueSources(ctx, t0, 10); ids(got) != "[a d]" {
		t.Errorf("a source with a new URL is due at once: %s, want [a d]", ids(got))
	}
	_ = s.DeleteSource(ctx, "d")
	if got, _ := s.DueSources(ctx, t0, 10); ids(got) != "[a]" {
		t.Errorf("a deleted source leaves the due index: %s", ids(got))
	}
}

func madeDueSuite(t *testing.T, newStore func(t *testing.T) Store) {
	ctx := context.Background()
	s := newStore(t)
	for _, id := range []string{"broken", "other"} {
		if err := s.PutSource(ctx, Source{ID: id, URL: "https://" + id + ".example/feed", Name: id, Category: "tech", Weight: 1, CreatedAt: t0, UpdatedAt: t0}); err != nil {
			t.Fatal(err)
		}
	}
	charged := FetchState{ETag: `"e"`, LastModified: "Tue, 24 Nov 2026 10:00:00 GMT", LastChecked: t0, LastSuccess: t0.Add(-time.Hour),
		ConsecutiveFailures: 3, LastError: "parse: parser_failed", NextFetchAt: t0.Add(time.Hour)}
	recordFetch(t, s, "broken", charged)
	recordFetch(t, s, "other", FetchState{LastChecked: t0, NextFetchAt: t0.Add(2 * time.Hour)})
	if due, err := s.DueSources(ctx, t0, 10); err != nil || len(due) != 0 {
		t.Fatalf("due at t0 before: %+v, %v; want none", due, err)
	}
	want := charged
	want.NextFetchAt = time.Time{}
	for i, was := range []FetchState{charged, want} { // a repeat changes nothing
		got, err := s.MakeSourceDue(ctx, "broken")
		if err != nil || got.ID != "broken" || got.URL != "https://broken.example/feed" || got.FetchState != was {
			t.Errorf("call %d returned %+v, %v\nwant the fetch state it found, %+v", i+1, got.FetchState, err, was)
		}
		due, err := s.DueSources(ctx, t0, 10)
		if err != nil || len(due) != 1 || due[0].ID != "broken" || due[0].FetchState != want {
			t.Errorf("call %d: due at t0 = %+v, %v; want broken alone, with %+v", i+1, due, err, want)
		}
	}
	if got, _ := s.GetSource(ctx, "broken"); got.FetchState != want || got.Name != "broken" || !got.UpdatedAt.Equal(t0) {
		t.Errorf("stored %+v, want its fields and %+v", got, want)
	}
	// A source that is not failing is refused and kept as it was: fetched at
	// its adaptive interval (other), or new and due already (fresh).
	healthy, _ := s.GetSource(ctx, "other")
	_ = s.PutSource(ctx, Source{ID: "fresh", URL: "https://fresh.example/feed", Name: "fresh", Category: "tech", Weight: 1, CreatedAt: t0, UpdatedAt: t0})
	fresh, _ := s.GetSource(ctx, "fresh")
	for _, was := range []Source{healthy, fresh} {
		if _, err := s.MakeSourceDue(ctx, was.ID); !errors.Is(err, ErrConflict) || errors.Is(err, ErrNotFound) {
			t.Errorf("a source not failing (%s): %v, want ErrConflict", was.ID, err)
		}
		if got, err := s.GetSource(ctx, was.ID); err != nil || got != was {
			t.Errorf("a refused %s is now %+v, %v; was %+v", was.ID, got, err, was)
		}
	}
	if due, _ := s.DueSources(ctx, t0.Add(90*time.Minute), 10); len(due) != 2 || due[0].ID != "broken" || due[1].ID != "fresh" {
		t.Errorf("due after the refusals: %+v, want broken and fresh (other keeps its next fetch)", due)
	}
	if _, err := s.MakeSourceDue(ctx, "nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("an unknown source: %v, want ErrNotFound", err)
	}
	if _, err := s.GetSource(ctx, "nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("making an unknown source due created it: %v", err)
	}
	_ = s.DeleteSource(ctx, "broken")
	if _, err := s.MakeSourceDue(ctx, "broken"); !errors.Is(err, ErrNotFound) {
		t.Errorf("a deleted source: %v, want ErrNotFound", err)
	}
	if due, _ := s.DueSources(ctx, t0, 10); len(due) != 1 || due[0].ID != "fresh" {
		t.Errorf("a deleted source made due came back: %+v, want fresh alone", due)
	}
}

func subscriptionSuite(t *testing.T, newStore func(t *testing.T) Store) {
	ctx := context.Background()
	s := newStore(t)
	sub := Subscription{ID: "0123456789abcdef0123456789abcdef", SourceID: "desk", Hub: "https://hub.example/", Topic: "https://a.example/feed",
		Secret: "s3cret", State: SubRequested, RequestedAt: t0, NextCheck: t0.Add(time.Hour), UpdatedAt: t0}
	if _, err := s.GetSubscription(ctx, sub.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown subscription: %v, want ErrNotFound", err)
	}
	if err := s.PutSubscription(ctx, sub); err != nil {
		t.Fatal(err)
	}
	sub.State, sub.LeaseUntil, sub.NextCheck = SubActive, t0.Add(24*time.Hour), t0.Add(23*time.Hour)
	if err := s.PutSubscription(ctx, sub); err != nil {
		t.Fatal(err)
	}
	if got, err := s.GetSubscription(ctx, sub.ID); err != nil || got != sub {
		t.Errorf("GetSubscription = %+v, %v\nwant %+v", got, err, sub)
	}
	other := sub
	other.ID, other.SourceID, other.NextCheck = "fedcba9876543210fedcba9876543210", "desk-2", t0.Add(time.Hour)
	_ = s.PutSubscription(ctx, other)
	if list, err := s.SourceSubscriptions(ctx, "desk"); err != nil || len(list) != 1 || list[0] != sub {
		t.Errorf("SourceSubscriptions(desk) = %+v, %v (desk-2's is not desk's)", list, err)
	}
	ids := func(xs []Subscription) string {
		var out []string
		for _, x := range xs {
			out = append(out, x.SourceID)
		}
		return fmt.Sprint(out)
	}
	for at, want := range map[time.Duration]string{0: "[]", time.Hour: "[desk-2]", 24 * time.Hour: "[desk-2 desk]"} {
		if got, err := s.DueSubscriptions(ctx, t0.Add(at), 10); err != nil || ids(got) != want {
			t.Errorf("due at +%v: %s, %v; want %s", at, ids(got), err, want)
		}
	}
	if list, _ := s.ListSources(ctx); len(list) != 0 {
		t.Errorf("subscriptions are not sources: %+v", list)
	}
	if due, _ := s.DueSources(ctx, t0.Add(48*time.Hour), 10); len(due) != 0 {
		t.Errorf("subscriptions are not due sources: %+v", due)
	}
	if err := s.DeleteSubscription(ctx, sub.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteSubscription(ctx, sub.ID); err != nil {
		t.Errorf("deleting again: %v", err)
	}
	if list, _ := s.SourceSubscriptions(ctx, "desk"); len(list) != 0 {
		t.Errorf("after delete: %+v", list)
	}
}

// recordRaceSuite: a run reads a source, fetches it (seconds), and records
// what it found. An operator who re-pointed the source or asked for a
// refetch meanwhile once lost that change: the record put the old URL's
// validators on the new URL, or the backoff back over the refetch.
func recordRaceSuite(t *testing.T, newStore func(t *testing.T) Store) {
	ctx := context.Background()
	s := newStore(t)
	if err := s.PutSource(ctx, Source{ID: "desk", URL: "https://old.example/feed", Name: "Desk", Category: "tech", Weight: 1, CreatedAt: t0, UpdatedAt: t0}); err != nil {
		t.Fatal(err)
	}
	charged := FetchState{LastChecked: t0, ConsecutiveFailures: 2, LastError: "HTTP 500", NextFetchAt: t0.Add(30 * time.Minute)}
	recordFetch(t, s, "desk", charged)
	fetched := FetchState{ETag: `"old"`, LastChecked: t0.Add(time.Hour), ConsecutiveFailures: 3, LastError: "HTTP 500", NextFetchAt: t0.Add(2 * time.Hour)}

	// Made due while the run fetched: the record does not put the backoff back.
	was, _ := s.GetSource(ctx, "desk")
	if _, err := s.MakeSourceDue(ctx, "desk"); err != nil {
		t.Fatal(err)
	}
	if err := s.RecordFetch(ctx, was, fetched); !errors.Is(err, ErrSuperseded) {
		t.Errorf("record after the change: %v, want ErrSuperseded", err)
	}
	got, _ := s.GetSource(ctx, "desk")
	if !got.NextFetchAt.IsZero() || got.ConsecutiveFailures != 2 || got.ETag != "" {
		t.Errorf("a refetch asked for while the run fetched: %+v; want it still due, the fetch not recorded", got.FetchState)
	}
	if due, _ := s.DueSources(ctx, t0, 10); len(due) != 1 {
		t.Errorf("due at t0: %d sources, want the refetched one", len(due))
	}

	// Refetched again while a run fetched it already due: the second
	// refetch stands too (no next fetch to tell the two apart by).
	was, _ = s.GetSource(ctx, "desk")
	if _, err := s.MakeSourceDue(ctx, "desk"); err != nil {
		t.Fatal(err)
	}
	if err := s.RecordFetch(ctx, was, fetched); !errors.Is(err, ErrSuperseded) {
		t.Errorf("record after a second refetch: %v, want ErrSuperseded", err)
	}
	if got, _ := s.GetSource(ctx, "desk"); !got.NextFetchAt.IsZero() || got.ConsecutiveFailures != 2 {
		t.Errorf("a second refetch while the run fetched the due source: %+v; want it still due", got.FetchState)
	}

	// Re-pointed while the run fetched: the new URL keeps its clean state.
	was, _ = s.GetSource(ctx, "desk")
	src := was
	src.URL = "https://new.example/feed"
	if _, err := s.UpdateSource(ctx, src); err != nil {
		t.Fatal(err)
	}
	if err := s.RecordFetch(ctx, was, fetched); !errors.Is(err, ErrSuperseded) {
		t.Errorf("record after the change: %v, want ErrSuperseded", err)
	}
	got, _ = s.GetSource(ctx, "desk")
	if got.URL != src.URL || got.ETag != "" || got.ConsecutiveFailures != 0 || !got.NextFetchAt.IsZero() {
		t.Errorf("re-pointed while the run fetched: %+v; want the new URL due with no validators or failures", got)
	}

	// A name changed meanwhile is no reason to drop the fetch.
	was, _ = s.GetSource(ctx, "desk")
	src = was
	src.Name = "Desk 2"
	if _, err := s.UpdateSource(ctx, src); err != nil {
		t.Fatal(err)
	}
	if err := s.RecordFetch(ctx, was, fetched); err != nil {
		t.Fatal(err)
	}
	got, _ = s.GetSource(ctx, "desk")
	if got.Name != "Desk 2" || got.ETag != `"old"` || got.ConsecutiveFailures != 3 || !got.NextFetchAt.Equal(fetched.NextFetchAt) {
		t.Errorf("renamed while the run fetched: %+v; want the new name and the fetch recorded", got)
	}

	// A second record from the same stale read (a run retried) changes nothing.
	if err := s.RecordFetch(ctx, was, FetchState{LastChecked: t0.Add(3 * time.Hour), NextFetchAt: t0.Add(9 * time.Hour)}); !errors.Is(err, ErrSuperseded) {
		t.Errorf("record from a stale read: %v, want ErrSuperseded", err)
	}
	if again, _ := s.GetSource(ctx, "desk"); again.FetchState != got.FetchState {
		t.Errorf("a record from a stale read: %+v, was %+v", again.FetchState, got.FetchState)
	}
}
