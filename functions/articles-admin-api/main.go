// Command articles-admin-api serves the admin API for news sources and
// moderation: PUT /admin/api/articles/{id}/moderation hides/pins an article and
// announces article.moderated;
// /admin/api/sources (list, create) and /admin/api/sources/{id} (get, update,
// delete). The gateway's Lambda authorizer admits only the admin token to these
// routes; the function checks the role it was given too.
package main

import (
	"context"
	"net/http"
	"os"

	"github.com/kiosk-news/kiosk/events"
	"github.com/kiosk-news/kiosk/shared/article"
	"github.com/kiosk-news/kiosk/shared/platform/boot"
	"github.com/kiosk-news/kiosk/shared/platform/bus"
	"github.com/kiosk-news/kiosk/shared/platform/clock"
	"github.com/kiosk-news/kiosk/shared/platform/httpapi"
	"github.com/kiosk-news/kiosk/shared/platform/store"
)

func main() {
	cfg := boot.Init()
	table := boot.Must(store.Table(store.Open(cfg), "articles"))
	pub := boot.Must(bus.New(bus.Client(cfg), events.SourceArticles))
	httpapi.Start(routes(&article.Service{Store: article.NewDynamoStore(table), Now: clock.Now,
		FetchAllow: article.ParseAllow(os.Getenv("KIOSK_FETCH_ALLOW")),
		Announce: func(ctx context.Context, m article.Moderation) error {
			return pub.Publish(ctx, bus.Event{DetailType: events.ArticleModeratedType,
				Detail: events.ArticleModerated{ID: m.ID, Hidden: m.Hidden, Pinned: m.Pinned, At: m.ModeratedAt}})
		}}))
}

type sourceList struct {
	Items []article.Source `json:"items"`
}

func routes(s *article.Service) *http.ServeMux {
	mux := http.NewServeMux()
	admin := func(pattern string, h http.HandlerFunc) { mux.Handle(pattern, httpapi.RequireRole("admin", h)) }
	admin("PUT /admin/api/articles/{id}/moderation", func(w http.ResponseWriter, r *http.Request) {
		var in article.ModerationInput
		if err := httpapi.Decode(r, &in); err != nil {
			httpapi.Error(w, r, err)
			return
		}
		m, err := s.Moderate(r.Context(), r.PathValue("id"), in)
		if err != nil {
			httpapi.Error(w, r, err)
			return
		}
		httpapi.WriteJSON(w, http.StatusOK, m)
	})
	admin("GET /admin/api/sources", func(w http.ResponseWriter, r *http.Request) {
		list, err := s.ListSources(r.Context())
		if err != nil {
			httpapi.Error(w, r, err)
			return
		}
		if list == nil {
			list = []article.Source{}
		}
		httpapi.WriteJSON(w, http.StatusOK, sourceList{Items: list})
	})
	admin("POST /admin/api/sources", func(w http.ResponseWriter, r *http.Request) {
		var in article.SourceInput
		if err := httpapi.Decode(r, &in); err != nil {
			httpapi.Error(w, r, err)
			return
		}
		src, err := s.CreateSource(r.Context(), in)
		if err != nil {
			httpapi.Error(w, r, err)
			return
		}
		w.Header().Set("Location", "/admin/api/sources/"+src.ID)
		httpapi.WriteJSON(w, http.StatusCreated, src)
	})
	admin("GET /admin/api/sources/{id}", func(w http.ResponseWriter, r *http.Request) {
		src, err := s.GetSource(r.Context(), r.PathValue("id"))
		if err != nil {
			httpapi.Error(w, r, err)
			return
		}
		httpapi.WriteJSON(w, http.StatusOK, src)
	})
	admin("PUT /admin/api/sources/{id}", func(w http.ResponseWriter, r *http.Request) {
		var in article.SourceInput
		if err := httpapi.Decode(r, &in); err != nil {
			httpapi.Error(w, r, err)
			return
		}
		src, err := s.UpdateSource(r.Context(), r.PathValue("id"), in)
		if err != nil {
			httpapi.Error(w, r, err)
			return
		}
		httpapi.WriteJSON(w, http.StatusOK, src)
	})
	admin("DELETE /admin/api/sources/{id}", func(w http.ResponseWriter, r *http.Request) {
		if err := s.DeleteSource(r.Context(), r.PathValue("id")); err != nil {
			httpapi.Error(w, r, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	return mux
}
