// Command articles-admin-api serves the admin API for news sources and
// moderation: PUT /admin/api/articles/{id}/moderation hides/pins an article and
// announces article.moderated;
// /admin/api/sources (list, create) and /admin/api/sources/{id} (get, update,
// delete). The gateway's Lambda authorizer admits only the admin token to these
// routes; the function checks the role it was given too.
package main

import (
	"context"
	"errors"
	"net/http"

	"github.com/kiosk-news/kiosk/events"
	"github.com/kiosk-news/kiosk/shared/article"
	"github.com/kiosk-news/kiosk/shared/editor"
	"github.com/kiosk-news/kiosk/shared/kiosk"
	"github.com/kiosk-news/kiosk/shared/platform/boot"
	"github.com/kiosk-news/kiosk/shared/platform/bus"
	"github.com/kiosk-news/kiosk/shared/platform/clock"
	"github.com/kiosk-news/kiosk/shared/platform/contract"
	"github.com/kiosk-news/kiosk/shared/platform/httpapi"
)

func main() {
	env := boot.Init()
	table := env.Table(contract.ArticlesTable)
	accounts := &editor.Store{Table: env.Table(contract.ConsoleTable), Now: clock.Now}
	pub := bus.Open(env, events.SourceArticles)
	httpapi.Start(env, routes(accounts, &article.Service{Store: article.NewDynamoStore(table), Now: clock.Now,
		FetchAllow: article.ParseAllow(env.Var(contract.FetchAllowEnv)),
		Announce: func(ctx context.Context, m article.Moderation) error {
			return pub.Publish(ctx, bus.Event{DetailType: events.ArticleModeratedType,
				Detail: events.ArticleModerated{ID: m.ID, Hidden: m.Hidden, Pinned: m.Pinned, At: m.ModeratedAt}})
		}}))
}

type sourceList struct {
	Items []article.Source `json:"items"`
}

// moderationState is an article's moderation in the audit log.
type moderationState struct {
	Hidden bool `json:"hidden"`
	Pinned bool `json:"pinned"`
}

// routes serves the machine admin API. Every change is audited with the
// actor editor.AdminToken after it is stored; if the record cannot be
// written the caller gets 503 and may repeat the request.
func routes(accounts *editor.Store, s *article.Service) *http.ServeMux {
	mux := http.NewServeMux()
	audit := func(r *http.Request, action, target string, before, after any) error {
		err := accounts.Audit(r.Context(), editor.Record{Actor: editor.AdminToken, Action: action, Target: target,
			Before: editor.State(before), After: editor.State(after), RequestID: httpapi.RequestID(r.Context())})
		if err != nil {
			return errors.Join(kiosk.Errorf(kiosk.EUNAVAILABLE, "the change is stored but its audit record could not be written"), err)
		}
		return nil
	}
	admin := func(pattern string, h http.HandlerFunc) {
		mux.Handle(pattern, httpapi.RequireRole(contract.RoleAdmin, h))
	}
	admin("PUT /admin/api/articles/{id}/moderation", func(w http.ResponseWriter, r *http.Request) {
		var in article.ModerationInput
		if err := httpapi.Decode(r, &in); err != nil {
			httpapi.Error(w, r, err)
			return
		}
		m, err := s.Moderate(r.Context(), r.PathValue("id"), in)
		if err == nil {
			err = audit(r, "article.moderate", m.ID, moderationState{m.WasHidden, m.WasPinned}, moderationState{m.Hidden, m.Pinned})
		}
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
		if err == nil {
			err = audit(r, "source.create", src.ID, nil, src)
		}
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
		before, err := s.GetSource(r.Context(), r.PathValue("id"))
		if err != nil {
			httpapi.Error(w, r, err)
			return
		}
		src, err := s.UpdateSource(r.Context(), r.PathValue("id"), in)
		if err == nil {
			err = audit(r, "source.update", src.ID, before, src)
		}
		if err != nil {
			httpapi.Error(w, r, err)
			return
		}
		httpapi.WriteJSON(w, http.StatusOK, src)
	})
	admin("DELETE /admin/api/sources/{id}", func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("id")
		before, err := s.GetSource(r.Context(), id)
		if err == nil {
			err = s.DeleteSource(r.Context(), id)
		}
		if err == nil {
			err = audit(r, "source.delete", id, before, nil)
		}
		if err != nil {
			httpapi.Error(w, r, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	return mux
}
