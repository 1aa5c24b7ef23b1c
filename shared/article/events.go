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

// ModeratedEvent is article.moderated for an editor's moderation.
func ModeratedEvent(m Moderation) Event {
	return Event{DetailType: events.ArticleModeratedType,
		Detail: events.ArticleModerated{ID: m.ID, Hidden: m.Hidden, Pinned: m.Pinned, At: m.ModeratedAt}}
}
