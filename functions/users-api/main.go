// Command users-api serves the users domain: POST /v1/users registers an
// anonymous install and returns its access and refresh tokens; POST
// /v1/users/token/refresh swaps a refresh token, once, for the next pair;
// behind the authorizer, a user reads their profile, sets their interests and
// signs out everywhere — only ever their own, since every route is /me and
// the id comes from the token.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/kiosk-news/kiosk/events"
	"github.com/kiosk-news/kiosk/shared/kiosk"
	"github.com/kiosk-news/kiosk/shared/platform/boot"
	"github.com/kiosk-news/kiosk/shared/platform/bus"
	"github.com/kiosk-news/kiosk/shared/platform/clock"
	"github.com/kiosk-news/kiosk/shared/platform/contract"
	"github.com/kiosk-news/kiosk/shared/platform/httpapi"
	"github.com/kiosk-news/kiosk/shared/platform/idem"
	"github.com/kiosk-news/kiosk/shared/platform/secret"
	"github.com/kiosk-news/kiosk/shared/user"
)

func main() {
	env := boot.Init()
	table := env.Table(contract.UsersTable)
	key := secret.Open(env, contract.TokenSigningSecret)
	pub := bus.Open(env, events.SourceUsers)
	changed := func(ctx context.Context, u user.User, at time.Time) error {
		return pub.Publish(ctx, bus.Event{DetailType: events.InterestsChangedType, Detail: user.Changed(u, at)})
	}
	keys := &idem.Store{Table: env.Table(contract.IdempotencyTable), Now: clock.Now}
	sessions := user.NewDynamoSessions(env.Table(contract.SessionsTable), clock.Now)
	httpapi.Start(env, routes(&user.Service{Store: user.NewDynamoStore(table), Sessions: sessions, SigningKey: []byte(key), Now: clock.Now, Changed: changed}, keys))
}

func routes(s *user.Service, keys *idem.Store) *http.ServeMux {
	mux := http.NewServeMux()
	// An app that retries a registration whose response it lost sends the
	// same Idempotency-Key from the same address and gets the very response
	// it lost (the same install and tokens, sealed by the key; nothing new is
	// minted). The key from any other client is a 409 that reveals nothing.
	mux.HandleFunc("POST /v1/users", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		key := r.Header.Get("Idempotency-Key")
		if key == "" {
			reg, err := s.Register(r.Context())
			if err != nil {
				httpapi.Error(w, r, err)
				return
			}
			httpapi.WriteJSON(w, http.StatusCreated, reg)
			return
		}
		replayed := true
		out, err := keys.Do(r.Context(), idem.Call{Scope: "register", Key: key, Caller: httpapi.ClientOf(r)}, func(ctx context.Context) ([]byte, error) {
			replayed = false
			reg, err := s.Register(ctx)
			if err != nil {
				return nil, err
			}
			return json.Marshal(reg)
		})
		switch {
		case errors.Is(err, idem.ErrReused):
			httpapi.Error(w, r, kiosk.Errorf(kiosk.EREUSED, "this Idempotency-Key was already used by another client; send a new random key (a UUID v4) with each new registration"))
			return
		case errors.Is(err, idem.ErrInProgress):
			httpapi.Error(w, r, kiosk.Errorf(kiosk.ECONFLICT, "a registration with this Idempotency-Key is in progress; retry in a moment"))
			return
		case err != nil:
			httpapi.Error(w, r, err)
			return
		}
		if replayed {
			w.Header().Set("Idempotent-Replayed", "true")
		}
		httpapi.WriteJSON(w, http.StatusCreated, json.RawMessage(out))
	})
	// Public: when an app refreshes, its access token has usually expired;
	// the refresh token in the body is the credential, and works once.
	mux.HandleFunc("POST /v1/users/token/refresh", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		var in struct {
			RefreshToken string `json:"refresh_token"`
		}
		if err := httpapi.Decode(r, &in); err != nil {
			httpapi.Error(w, r, err)
			return
		}
		if in.RefreshToken == "" {
			httpapi.Error(w, r, kiosk.Errorf(kiosk.EINVALID, "refresh_token is required"))
			return
		}
		reg, err := s.Refresh(r.Context(), in.RefreshToken)
		if err != nil {
			httpapi.Error(w, r, err)
			return
		}
		httpapi.WriteJSON(w, http.StatusOK, reg)
	})
	mux.HandleFunc("POST /v1/users/me/sign-out", func(w http.ResponseWriter, r *http.Request) {
		id, ok := httpapi.UserOf(w, r)
		if !ok {
			return
		}
		if err := s.SignOutEverywhere(r.Context(), id); err != nil {
			httpapi.Error(w, r, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("GET /v1/users/me", func(w http.ResponseWriter, r *http.Request) {
		id, ok := httpapi.UserOf(w, r)
		if !ok {
			return
		}
		u, err := s.Get(r.Context(), id)
		if err != nil {
			httpapi.Error(w, r, err)
			return
		}
		w.Header().Set("Cache-Control", "private, no-store")
		httpapi.WriteJSON(w, http.StatusOK, u)
	})
	mux.HandleFunc("PUT /v1/users/me/interests", func(w http.ResponseWriter, r *http.Request) {
		id, ok := httpapi.UserOf(w, r)
		if !ok {
			return
		}
		var in struct {
			Categories []string `json:"categories"`
		}
		if err := httpapi.Decode(r, &in); err != nil {
			httpapi.Error(w, r, err)
			return
		}
		u, err := s.SetInterests(r.Context(), id, in.Categories)
		if err != nil {
			httpapi.Error(w, r, err)
			return
		}
		httpapi.WriteJSON(w, http.StatusOK, u)
	})
	return mux
}
