// Command notifications-api serves a user's in-app inbox: GET
// /v1/notifications (newest first, paginated) and POST
// /v1/notifications/read (mark entries read by id).
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
	mux.HandleFunc("GET /v1/notifications", func(w http.ResponseWriter, r *http.Request) {
		id, ok := httpapi.UserOf(w, r)
		if !ok {
			return
		}
		q := r.URL.Query()
		p, err := s.Inbox(r.Context(), id, q.Get("limit"), q.Get("cursor"))
		if err != nil {
			httpapi.Error(w, r, err)
			return
		}
		w.Header().Set("Cache-Control", "private, no-store")
		httpapi.WriteJSON(w, http.StatusOK, p)
	})
	mux.HandleFunc("POST /v1/notifications/read", func(w http.ResponseWriter, r *http.Request) {
		id, ok := httpapi.UserOf(w, r)
		if !ok {
			return
		}
		var in struct {
			IDs []string `json:"ids"`
		}
		if err := httpapi.Decode(r, &in); err != nil {
			httpapi.Error(w, r, err)
			return
		}
		n, err := s.MarkRead(r.Context(), id, in.IDs)
		if err != nil {
			httpapi.Error(w, r, err)
			return
		}
		httpapi.WriteJSON(w, http.StatusOK, map[string]int{"marked": n})
	})
	return mux
}
