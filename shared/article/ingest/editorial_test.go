package ingest

import (
	"context"
	"testing"
	"time"

	"github.com/kiosk-news/kiosk/shared/article"
	"github.com/kiosk-news/kiosk/shared/article/feedparse"
)

// TestAnEditorsSplitSurvivesTheNextIngestion: the sample feeds are
// ingested, an editor splits a clustered version out, the same feeds are
// fetched in full again: the article keeps the editor's story.
func TestAnEditorsSplitSurvivesTheNextIngestion(t *testing.T) {
	for _, store := range stores {
		t.Run(store.name, func(t *testing.T) {
			ctx := context.Background()
			s := store.new(t)
			at := t0.Add(time.Minute)
			in := &Ingester{Parser: feedparse.Local{}, Store: s, Fetcher: sampleSetup(t, s), Now: func() time.Time { return at }}
			if _, err := in.Run(ctx); err != nil {
				t.Fatal(err)
			}
			recent, _ := s.RecentArticles(ctx, time.Time{})
			var merged article.Article
			for _, a := range recent {
				if a.Story != a.ID {
					merged = a
					break
				}
			}
			if merged.ID == "" {
				t.Fatal("the samples have no clustered version")
			}
			svc := &article.Service{Store: s, Now: func() time.Time { return t0.Add(2 * time.Minute) }}
			if _, _, err := svc.MoveToStory(ctx, merged.ID, article.StoryInput{Story: merged.ID}); err != nil {
				t.Fatal(err)
			}
			sources, _ := s.ListSources(ctx)
			for _, src := range sources {
				_ = s.RecordFetch(ctx, src, article.FetchState{}) // forget the validators: fetch everything again
			}
			at = at.Add(MaxInterval) // every source due again
			r, err := in.Run(ctx)
			if err != nil || r.Fetched != 6 || r.New != 0 || r.Duplicates < len(recent) {
				t.Fatalf("second run: %+v, %v; want every article fetched again and none new", r, err)
			}
			got, _ := s.GetArticle(ctx, merged.ID)
			if got.Story != merged.ID || !got.StoryByEditor {
				t.Errorf("after the next ingestion the split version is in story %s (by editor: %v), want its own", got.Story, got.StoryByEditor)
			}
			if st, err := svc.Story(ctx, merged.ID); err != nil || len(st.Versions) != 1 {
				t.Errorf("its story: %+v, %v", st, err)
			}
		})
	}
}
