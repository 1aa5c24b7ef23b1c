// Command admin-moderation serves the admin console's article pages: the
// article list with hide/pin, and stories (a story's versions; split, merge,
// lead), each change announced on the bus (article.moderated) and audited
// under the signed-in editor. Sign-in is admin-console's; the session cookie
// is shared. Its own function so that the console's other pages neither
// link EventBridge nor may publish (shared/console/moderation).
package main

import (
	"net/http"

	"github.com/kiosk-news/kiosk/events"
	"github.com/kiosk-news/kiosk/shared/article"
	"github.com/kiosk-news/kiosk/shared/article/articlebus"
	web "github.com/kiosk-news/kiosk/shared/console"
	"github.com/kiosk-news/kiosk/shared/console/moderation"
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
	articles := &article.Service{Store: article.NewDynamoStore(env.Table(contract.ArticlesTable)), Now: clock.Now,
		Events: articlebus.New(bus.Open(env, events.SourceArticles))}
	mux := http.NewServeMux()
	moderation.Mount(mux, web.New(accounts, nil, clock.Now), articles)
	httpapi.Start(env, mux)
}
