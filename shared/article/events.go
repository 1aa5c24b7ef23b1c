package article

import (
	"context"

	"github.com/kiosk-news/kiosk/events"
)

// Event is one catalogue event the articles domain publishes (source
// events.SourceArticles): a detail type and its detail.
type Event struct {
	DetailType string
	Detail     any
}

// Publisher puts events on the bus, every one or an error (the bus adapter
// is articlebus.New).
type Publisher interface {
	Publish(ctx context.Context, evs ...Event) error
}

// PublishedEvent is article.published for a newly stored article.
func PublishedEvent(a Article) Event {
	return Event{DetailType: events.ArticlePublishedType, Detail: events.ArticlePublished{
		ID: a.ID, URL: a.URL, Title: a.Title, SourceID: a.SourceID, Category: a.Category, Story: a.Story,
		PublishedAt: a.PublishedAt, Language: a.Language, ImageURL: a.ImageURL, SourceWeight: a.SourceWeight,
	}}
}

// ModeratedEvent is article.moderated: an article's whole editorial state
// as an editor last changed it. Its story travels only when an editor chose
// it (split or merge); "" leaves it as ingestion clustered it.
func ModeratedEvent(a Article) Event {
	story := ""
	if a.StoryByEditor {
		story = a.Story
	}
	return Event{DetailType: events.ArticleModeratedType, Detail: events.ArticleModerated{ID: a.ID, Hidden: a.Hidden,
		Pinned: a.Pinned, Lead: a.Lead, Story: story, At: a.ModeratedAt}}
}
