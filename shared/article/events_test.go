package article

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/kiosk-news/kiosk/events"
	"github.com/kiosk-news/kiosk/shared/kiosk"
)

// TestTheDomainsEventsAreTheCatalogues: what the articles domain publishes
// is valid against the catalogue's JSON Schema of its detail type, and says
// what the article or moderation says.
func TestTheDomainsEventsAreTheCatalogues(t *testing.T) {
	a := art(1, "tech", t0)
	a.Language, a.ImageURL, a.SourceWeight = "en", "https://img.example/1.png", 1.5
	at := t0.Add(time.Minute)
	for _, c := range []struct {
		name string
		e    Event
		want any
	}{
		{"a new article", PublishedEvent(a), events.ArticlePublished{ID: a.ID, URL: a.URL, Title: a.Title, SourceID: "s",
			Category: "tech", Story: a.Story, PublishedAt: t0, Language: "en", ImageURL: a.ImageURL, SourceWeight: 1.5}},
		{"a moderation", ModeratedEvent(Article{ID: a.ID, Story: a.Story, Hidden: true, ModeratedAt: at}),
			events.ArticleModerated{ID: a.ID, Hidden: true, Pinned: false, At: at}},
		{"a lead split out of its story", ModeratedEvent(Article{ID: a.ID, Story: a.ID, StoryByEditor: true, Lead: true, Pinned: true, ModeratedAt: at}),
			events.ArticleModerated{ID: a.ID, Pinned: true, Lead: true, Story: a.ID, At: at}},
		{"a merge", ModeratedEvent(Article{ID: a.ID, Story: IDFor("other"), StoryByEditor: true, ModeratedAt: at}),
			events.ArticleModerated{ID: a.ID, Story: IDFor("other"), At: at}},
	} {
		t.Run(c.name+" is a valid "+c.e.DetailType, func(t *testing.T) {
			typ, ok := events.Lookup(c.e.DetailType)
			if !ok || typ.Source != events.SourceArticles {
				t.Fatalf("%s is not an articles event of the catalogue", c.e.DetailType)
			}
			doc, _ := json.Marshal(c.e.Detail)
			if err := events.Validate(events.Schema(typ), doc); err != nil {
				t.Errorf("%s: %v", doc, err)
			}
			if c.e.Detail != c.want {
				t.Errorf("detail = %+v\nwant %+v", c.e.Detail, c.want)
			}
		})
	}
}

// TestAModerationIsAnnouncedOnceStored: the moderation is stored, then
// article.moderated is published with the stored state; when the bus is
// down the caller is told to repeat, and repeating announces it.
func TestAModerationIsAnnouncedOnceStored(t *testing.T) {
	ctx := context.Background()
	st := newMemory(t)
	a := art(1, "tech", t0)
	_ = st.PutArticle(ctx, a)
	pub := &moderations{fail: 1}
	s := &Service{Store: st, Now: func() time.Time { return t0.Add(time.Hour) }, Events: pub}
	yes, no := true, false
	if _, err := s.Moderate(ctx, a.ID, ModerationInput{Hidden: &no, Pinned: &yes}); kiosk.ErrorCode(err) != kiosk.EUNAVAILABLE {
		t.Fatalf("with the bus down: %v, want unavailable", err)
	}
	if got, _ := st.GetArticle(ctx, a.ID); !got.Pinned {
		t.Error("the moderation was not stored before it was announced")
	}
	if _, err := s.Moderate(ctx, a.ID, ModerationInput{Hidden: &no, Pinned: &yes}); err != nil {
		t.Fatal(err)
	}
	// The repeat comes at the same instant: it is stamped just after the
	// first, so a consumer that kept the first takes it as later.
	want := events.ArticleModerated{ID: a.ID, Pinned: true, At: t0.Add(time.Hour + time.Millisecond)}
	if len(pub.got) != 1 || pub.got[0] != want {
		t.Errorf("announced %+v, want %+v", pub.got, want)
	}
}

type moderations struct {
	fail int
	got  []events.ArticleModerated
}

func (m *moderations) Publish(_ context.Context, evs ...Event) error {
	if m.fail > 0 {
		m.fail--
		return errors.New("bus down")
	}
	for _, e := range evs {
		m.got = append(m.got, e.Detail.(events.ArticleModerated))
	}
	return nil
}
