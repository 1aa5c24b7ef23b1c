package main

import (
	"net/http"

	"github.com/kiosk-news/kiosk/shared/article"
	"github.com/kiosk-news/kiosk/shared/platform/contract"
	"github.com/kiosk-news/kiosk/shared/platform/httpapi"
)

type sourceList struct {
	Items []article.Source `json:"items"`
}

// routes serves the machine admin API: each route decodes, calls one service
// method and encodes (a nil result is a bare status).
func routes(s *article.Service) *http.ServeMux {
	mux := http.NewServeMux()
	admin := func(pattern string, status int, call func(w http.ResponseWriter, r *http.Request) (any, error)) {
		mux.Handle(pattern, httpapi.RequireRole(contract.RoleAdmin, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if v, err := call(w, r); err != nil {
				httpapi.Error(w, r, err)
			} else if v == nil {
				w.WriteHeader(status)
			} else {
				httpapi.WriteJSON(w, status, v)
			}
		})))
	}
	admin("PUT /admin/api/articles/{id}/moderation", http.StatusOK, body(func(w http.ResponseWriter, r *http.Request, in article.ModerationInput) (any, error) {
		return s.Moderate(r.Context(), r.PathValue("id"), in)
	}))
	admin("PUT /admin/api/articles/{id}/story", http.StatusOK, body(func(w http.ResponseWriter, r *http.Request, in article.StoryInput) (any, error) {
		v, _, err := s.MoveToStory(r.Context(), r.PathValue("id"), in)
		return v, err
	}))
	admin("GET /admin/api/stories/{id}", http.StatusOK, func(w http.ResponseWriter, r *http.Request) (any, error) {
		return s.Story(r.Context(), r.PathValue("id"))
	})
	admin("PUT /admin/api/stories/{id}/lead", http.StatusOK, body(func(w http.ResponseWriter, r *http.Request, in article.LeadInput) (any, error) {
		st, _, err := s.MakeLead(r.Context(), r.PathValue("id"), in)
		return st, err
	}))
	admin("GET /admin/api/sources", http.StatusOK, func(w http.ResponseWriter, r *http.Request) (any, error) {
		list, err := s.ListSources(r.Context())
		return sourceList{Items: list}, err
	})
	admin("POST /admin/api/sources", http.StatusCreated, body(func(w http.ResponseWriter, r *http.Request, in article.SourceInput) (any, error) {
		src, err := s.CreateSource(r.Context(), in)
		if err == nil {
			w.Header().Set("Location", "/admin/api/sources/"+src.ID)
		}
		return src, err
	}))
	admin("GET /admin/api/sources/{id}", http.StatusOK, func(w http.ResponseWriter, r *http.Request) (any, error) {
		return s.GetSource(r.Context(), r.PathValue("id"))
	})
	admin("PUT /admin/api/sources/{id}", http.StatusOK, body(func(w http.ResponseWriter, r *http.Request, in article.SourceInput) (any, error) {
		return s.UpdateSource(r.Context(), r.PathValue("id"), in)
	}))
	admin("DELETE /admin/api/sources/{id}", http.StatusNoContent, func(w http.ResponseWriter, r *http.Request) (any, error) {
		return nil, s.DeleteSource(r.Context(), r.PathValue("id"))
	})
	// Fetch on the next run: takes no body (one is a 400, as sign-out's).
	admin("POST /admin/api/sources/{id}/refetch", http.StatusOK, func(w http.ResponseWriter, r *http.Request) (any, error) {
		if err := httpapi.NoBody(r); err != nil {
			return nil, err
		}
		return s.RefetchSource(r.Context(), r.PathValue("id"))
	})
	return mux
}

// body decodes the request's JSON body into the call's input.
func body[T any](call func(w http.ResponseWriter, r *http.Request, in T) (any, error)) func(http.ResponseWriter, *http.Request) (any, error) {
	return func(w http.ResponseWriter, r *http.Request) (any, error) {
		var in T
		if err := httpapi.Decode(r, &in); err != nil {
			return nil, err
		}
		return call(w, r, in)
	}
}
