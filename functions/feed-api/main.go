// Command feed-api serves the home screen: GET /v1/feed (public, one
// category or "top", one DynamoDB read per page) and GET /v1/feed/me (the
// user's feed mixed from their interests, unread only, two reads per page).
// Every item says why it is there.
package main

import (
	"net/http"

	"github.com/kiosk-news/kiosk/shared/feed"
	"github.com/kiosk-news/kiosk/shared/platform/boot"
	"github.com/kiosk-news/kiosk/shared/platform/clock"
	"github.com/kiosk-news/kiosk/shared/platform/contract"
	"github.com/kiosk-news/kiosk/shared/platform/httpapi"
)

func main() {
	env := boot.Init()
	table := env.Table(contract.FeedTable)
	httpapi.Start(env, routes(&feed.Service{Store: feed.NewDynamoStore(table), Now: clock.Now}))
}

func routes(s *feed.Service) *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/feed", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		p, err := s.Feed(r.Context(), q.Get("category"), q.Get("limit"), q.Get("cursor"))
		if err != nil {
			httpapi.Error(w, r, err)
			return
		}
		w.Header().Set("Cache-Control", "public, max-age=30")
		httpapi.WriteJSON(w, http.StatusOK, p)
	})
	mux.HandleFunc("GET /v1/feed/me", func(w http.ResponseWriter, r *http.Request) {
		id, ok := httpapi.UserOf(w, r)
		if !ok {
			return
		}
		q := r.URL.Query()
		p, err := s.PersonalFeed(r.Context(), id, q.Get("limit"), q.Get("cursor"))
		if err != nil {
			httpapi.Error(w, r, err)
			return
		}
		w.Header().Set("Cache-Control", "private, no-store")
		httpapi.WriteJSON(w, http.StatusOK, p)
	})
	return mux
}
