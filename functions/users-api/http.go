package main

import (
	"net/http"

	"github.com/kiosk-news/kiosk/shared/kiosk"
	"github.com/kiosk-news/kiosk/shared/platform/httpapi"
	"github.com/kiosk-news/kiosk/shared/user"
)

// The routes translate HTTP to one user.Service call each and back; they
// decide nothing.

func routes(s *user.Service) *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/users", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		if err := httpapi.NoBody(r); err != nil {
			httpapi.Error(w, r, err)
			return
		}
		reg, replayed, err := s.RegisterOnce(r.Context(), r.Header.Get("Idempotency-Key"), httpapi.ClientOf(r))
		if replayed {
			w.Header().Set("Idempotent-Replayed", "true")
		}
		if err == nil {
			w.Header().Set("Location", "/v1/users/me")
		}
		httpapi.Respond(w, r, http.StatusCreated, reg, err)
	})
	// Public: the refresh token in the body is the credential, and works once.
	mux.HandleFunc("POST /v1/users/token/refresh", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		var in struct {
			RefreshToken string `json:"refresh_token"`
		}
		err := httpapi.Decode(r, &in)
		if err == nil && in.RefreshToken == "" {
			err = kiosk.Errorf(kiosk.EINVALID, "refresh_token is required")
		}
		if err != nil {
			httpapi.Error(w, r, err)
			return
		}
		reg, err := s.Refresh(r.Context(), in.RefreshToken)
		httpapi.Respond(w, r, http.StatusOK, reg, err)
	})
	mux.HandleFunc("POST /v1/users/me/sign-out", httpapi.ForUser(func(w http.ResponseWriter, r *http.Request, id string) {
		if err := httpapi.NoBody(r); err != nil {
			httpapi.Error(w, r, err)
			return
		}
		httpapi.Respond(w, r, http.StatusNoContent, nil, s.SignOutEverywhere(r.Context(), id))
	}))
	mux.HandleFunc("GET /v1/users/me", httpapi.ForUser(func(w http.ResponseWriter, r *http.Request, id string) {
		u, err := s.Get(r.Context(), id)
		if err == nil {
			w.Header().Set("Cache-Control", "private, no-store")
		}
		httpapi.Respond(w, r, http.StatusOK, u, err)
	}))
	mux.HandleFunc("PUT /v1/users/me/interests", httpapi.ForUser(func(w http.ResponseWriter, r *http.Request, id string) {
		var in struct {
			Categories []string `json:"categories"`
		}
		if err := httpapi.Decode(r, &in); err != nil {
			httpapi.Error(w, r, err)
			return
		}
		u, err := s.SetInterests(r.Context(), id, in.Categories)
		httpapi.Respond(w, r, http.StatusOK, u, err)
	}))
	return mux
}
