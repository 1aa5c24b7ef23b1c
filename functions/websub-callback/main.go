// Command websub-callback is the WebSub subscriber's callback
// (GET/POST /v1/websub/{id}): the hub's verification of intent, answered only
// for subscriptions ingest-feeds asked for, and signed pushed content, parsed
// by parse-feed (a synchronous invoke), stored through the ingestion path and
// announced at once, one log line per push.
package main

import (
	"log/slog"
	"net/http"

	"github.com/kiosk-news/kiosk/events"
	"github.com/kiosk-news/kiosk/shared/article"
	"github.com/kiosk-news/kiosk/shared/article/articlebus"
	"github.com/kiosk-news/kiosk/shared/article/ingest"
	"github.com/kiosk-news/kiosk/shared/platform/boot"
	"github.com/kiosk-news/kiosk/shared/platform/bus"
	"github.com/kiosk-news/kiosk/shared/platform/clock"
	"github.com/kiosk-news/kiosk/shared/platform/contract"
	"github.com/kiosk-news/kiosk/shared/platform/httpapi"
	"github.com/kiosk-news/kiosk/shared/platform/invoke"
)

func main() {
	env := boot.Init()
	store := article.NewDynamoStore(env.Table(contract.ArticlesTable))
	parser := ingest.Remote{Fn: invoke.Open(env, contract.ParseFeedFunction)}
	w := &ingest.Subscriber{Store: store, Ingester: &ingest.Ingester{Store: store, Parser: parser, Now: clock.Now},
		Publisher: articlebus.New(bus.Open(env, events.SourceArticles)), Now: clock.Now}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/websub/{id}", func(rw http.ResponseWriter, r *http.Request) {
		challenge, err := w.Verify(r.Context(), r.PathValue("id"), r.URL.Query())
		if err != nil {
			httpapi.Error(rw, r, err)
			return
		}
		rw.Header().Set("Content-Type", "text/plain; charset=utf-8") // the hub's own challenge, echoed
		rw.Header().Set("X-Content-Type-Options", "nosniff")
		_, _ = rw.Write([]byte(challenge))
	})
	mux.HandleFunc("POST /v1/websub/{id}", func(rw http.ResponseWriter, r *http.Request) {
		body, err := httpapi.Body(r) // within the route's MaxBody
		if err != nil {
			httpapi.Error(rw, r, err)
			return
		}
		rep, err := w.Receive(r.Context(), r.PathValue("id"), r.Header.Get("X-Hub-Signature"), r.Header.Get("Content-Type"), body)
		if err == nil {
			// One line per push, as ingest-feeds logs one per run: what it
			// stored and cluster_unproven, which a flooding feed drives up.
			slog.InfoContext(r.Context(), "websub push", "subscription", r.PathValue("id"), "report", rep,
				"request_id", httpapi.RequestID(r.Context()))
		}
		httpapi.Respond(rw, r, http.StatusAccepted, rep, err)
	})
	httpapi.Start(env, mux)
}
