// Command articles-admin-api serves the admin API for news sources and
// editorial changes: PUT /admin/api/articles/{id}/moderation hides/pins an
// article, PUT /admin/api/articles/{id}/story splits it out of its story or
// merges it into another, GET /admin/api/stories/{id} shows a story's
// versions and PUT /admin/api/stories/{id}/lead chooses its lead; each change
// is announced as article.moderated;
// /admin/api/sources (list, create), /admin/api/sources/{id} (get, update,
// delete) and POST /admin/api/sources/{id}/refetch (due on the next run,
// fetch state kept). The gateway's Lambda authorizer admits only the admin
// token to these routes; the function checks the role it was given too.
// Every change is audited under editor.AdminToken (article.Service.Audit).
package main

import (
	"context"

	"github.com/kiosk-news/kiosk/events"
	"github.com/kiosk-news/kiosk/shared/article"
	"github.com/kiosk-news/kiosk/shared/article/articlebus"
	"github.com/kiosk-news/kiosk/shared/editor"
	"github.com/kiosk-news/kiosk/shared/platform/boot"
	"github.com/kiosk-news/kiosk/shared/platform/bus"
	"github.com/kiosk-news/kiosk/shared/platform/clock"
	"github.com/kiosk-news/kiosk/shared/platform/contract"
	"github.com/kiosk-news/kiosk/shared/platform/httpapi"
)

func main() {
	env := boot.Init()
	accounts := &editor.Store{Table: env.Table(contract.ConsoleTable), Now: clock.Now}
	httpapi.Start(env, routes(&article.Service{Store: article.NewDynamoStore(env.Table(contract.ArticlesTable)), Now: clock.Now,
		FetchAllow: article.ParseAllow(env.Var(contract.FetchAllowEnv)),
		Events:     articlebus.New(bus.Open(env, events.SourceArticles)),
		Audit: func(ctx context.Context, c article.Change) error {
			return accounts.Audit(ctx, editor.Record{Actor: editor.AdminToken, Action: c.Action, Target: c.Target,
				Before: editor.State(c.Before), After: editor.State(c.After), RequestID: httpapi.RequestID(ctx)})
		}}))
}
