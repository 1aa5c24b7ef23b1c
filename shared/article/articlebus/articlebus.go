// Package articlebus puts the articles domain's events on the EventBridge bus:
// the adapter between article.Publisher and the platform's bus publisher,
// kept apart so the domain package links no EventBridge client.
package articlebus

import (
	"context"

	"github.com/kiosk-news/kiosk/shared/article"
	"github.com/kiosk-news/kiosk/shared/platform/bus"
)

// New returns an article.Publisher over p (opened for events.SourceArticles).
func New(p *bus.Publisher) article.Publisher { return publisher{p} }

type publisher struct{ bus *bus.Publisher }

func (p publisher) Publish(ctx context.Context, evs ...article.Event) error {
	out := make([]bus.Event, len(evs))
	for i, e := range evs {
		out[i] = bus.Event{DetailType: e.DetailType, Detail: e.Detail}
	}
	return p.bus.Publish(ctx, out...)
}
