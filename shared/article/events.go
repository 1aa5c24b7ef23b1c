package article

import (
	"context"

	"github.com/kiosk-news/kiosk/events"
	"github.com/kiosk-news/kiosk/shared/platform/bus"
)

// AnnounceModeration returns the Service's Announce for functions that
// moderate (the admin API and the console): each moderation as one
// article.moderated event.
func AnnounceModeration(pub *bus.Publisher) func(context.Context, Moderation) error {
	return func(ctx context.Context, m Moderation) error {
		return pub.Publish(ctx, bus.Event{DetailType: events.ArticleModeratedType,
			Detail: events.ArticleModerated{ID: m.ID, Hidden: m.Hidden, Pinned: m.Pinned, At: m.ModeratedAt}})
	}
}
