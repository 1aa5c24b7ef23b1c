// Command articles-api serves the public article reads: GET /v1/articles
// (newest first, by category, cursor-paginated) and GET /v1/articles/{id}.
package main

import (
	"net/http"

	"github.com/kiosk-news/kiosk/shared/article"
	"github.com/kiosk-news/kiosk/shared/platform/boot"
	"github.com/kiosk-news/kiosk/shared/platform/clock"
	"github.com/kiosk-news/kiosk/shared/platform/contract"
	"github.com/kiosk-news/kiosk/shared/platform/httpapi"
)

func main() {
	env := boot.Init()
	table := env.Table(contract.ArticlesTable)
	httpapi.Start(env, routes(&article.Service{Store: article.NewDynamoStore(table), Now: clock.Now}))
}

type page struct {
	Items      []article.Article `json:"items"`
	NextCursor string            `json:"next_cursor,omitempty"`
}

func routes(s *article.Service) *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/articles", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		p, err := s.ListArticles(r.Context(), q.Get("category"), q.Get("limit"), q.Get("cursor"))
		if err != nil {
			httpapi.Error(w, r, err)
			return
		}
		w.Header().Set("Cache-Control", "public, max-age=30")
		httpapi.WriteJSON(w, http.StatusOK, page{Items: p.Items, NextCursor: p.NextCursor})
	})
	mux.HandleFunc("GET /v1/articles/{id}", func(w http.ResponseWriter, r *http.Request) {
		a, err := s.GetArticle(r.Context(), r.PathValue("id"))
		if err != nil {
			httpapi.Error(w, r, err)
			return
		}
		w.Header().Set("Cache-Control", "public, max-age=300")
		httpapi.WriteJSON(w, http.StatusOK, a)
	})
	return mux
}
