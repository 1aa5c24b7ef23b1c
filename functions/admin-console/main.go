// Command admin-console serves the editors' part of the admin console:
// sign-in with an editor account (invitations, sessions, accounts, the
// audit log; POST /admin/api/editors/invitations takes the admin token for
// the first operator), sources through forms generated from the domain
// structs, and KPI charts and experiments — server-rendered pages with no
// script and no build step. Every page needs a session cookie; every form,
// its CSRF token. (admin-moderation serves the article list and stories,
// the pages that announce on the bus; admin-ops, batches and dead letters.)
package main

import (
	"github.com/kiosk-news/kiosk/shared/article"
	web "github.com/kiosk-news/kiosk/shared/console"
	"github.com/kiosk-news/kiosk/shared/editor"
	"github.com/kiosk-news/kiosk/shared/platform/boot"
	"github.com/kiosk-news/kiosk/shared/platform/clock"
	"github.com/kiosk-news/kiosk/shared/platform/contract"
	"github.com/kiosk-news/kiosk/shared/platform/httpapi"
	"github.com/kiosk-news/kiosk/shared/platform/ratelimit"
	"github.com/kiosk-news/kiosk/shared/tracking"
)

func main() {
	env := boot.Init()
	articles := env.Table(contract.ArticlesTable)
	eventsTable := env.Table(contract.EventsTable)
	accounts := &editor.Store{Table: env.Table(contract.ConsoleTable), Now: clock.Now}
	limits := &ratelimit.Limiter{Table: env.Table(contract.LimitsTable), Now: clock.Now}
	site := web.New(accounts, limits, clock.Now)
	c := &console{
		site:     site,
		accounts: accounts,
		// Sources change no article: nothing to announce (Events nil).
		articles: &article.Service{Store: article.NewDynamoStore(articles), Now: clock.Now,
			FetchAllow: article.ParseAllow(env.Var(contract.FetchAllowEnv))},
		kpi: &tracking.Service{Store: tracking.NewDynamoStore(eventsTable), Now: clock.Now},
		now: clock.Now,
	}
	httpapi.Start(env, c.routes())
}
