// Command users-api serves the users domain: POST /v1/users registers an
// anonymous install and returns its token; behind the authorizer, a user reads
// their profile, refreshes their token and sets their interests — only ever
// their own, since every route is /me and the id comes from the token.
package main

import (
	"context"
	"errors"
	"net/http"
	"regexp"
	"time"

	"github.com/kiosk-news/kiosk/events"
	"github.com/kiosk-news/kiosk/shared/kiosk"
	"github.com/kiosk-news/kiosk/shared/platform/boot"
	"github.com/kiosk-news/kiosk/shared/platform/bus"
	"github.com/kiosk-news/kiosk/shared/platform/clock"
	"github.com/kiosk-news/kiosk/shared/platform/httpapi"
	"github.com/kiosk-news/kiosk/shared/platform/idem"
	"github.com/kiosk-news/kiosk/shared/platform/secret"
	"github.com/kiosk-news/kiosk/shared/platform/store"
	"github.com/kiosk-news/kiosk/shared/user"
)

func main() {
	cfg := boot.Init()
	db := store.Open(cfg)
	table := boot.Must(store.Table(db, "users"))
	key := boot.Must(secret.Load(context.Background(), cfg, "token-signing"))
	pub := boot.Must(bus.New(bus.Client(cfg), events.SourceUsers))
	changed := func(ctx context.Context, u user.User, at time.Time) error {
		return pub.Publish(ctx, bus.Event{DetailType: events.InterestsChangedType, Detail: user.Changed(u, at)})
	}
	keys := &idem.Store{Table: boot.Must(store.Table(db, idem.Table)), Now: clock.Now}
	httpapi.Start(routes(&user.Service{Store: user.NewDynamoStore(table), SigningKey: []byte(key), Now: clock.Now, Changed: changed}, keys))
}

var idempotencyKeyRe = regexp.MustCompile(`^[A-Za-z0-9_-]{8,100}$`)

func routes(s *user.Service, keys *idem.Store) *http.ServeMux {
	mux := http.NewServeMux()
	// An app that retries a registration whose response it lost sends the
	// same Idempotency-Key and gets the same install back (with a fresh
	// token), not a second one.
	mux.HandleFunc("POST /v1/users", func(w http.ResponseWriter, r *http.Request) {
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
		if !idempotencyKeyRe.MatchString(key) {
			httpapi.Error(w, r, kiosk.Errorf(kiosk.EINVALID, "Idempotency-Key must be 8-100 letters, digits, dashes or underscores"))
			return
		}
		var fresh *user.Registration
		id, err := keys.Do(r.Context(), "register#"+key, nil, func(ctx context.Context) ([]byte, error) {
			reg, err := s.Register(ctx)
			fresh = &reg
			return []byte(reg.UserID), err
		})
		switch {
		case errors.Is(err, idem.ErrInProgress):
			httpapi.Error(w, r, kiosk.Errorf(kiosk.ECONFLICT, "a registration with this Idempotency-Key is in progress; retry in a moment"))
			return
		case err != nil:
			httpapi.Error(w, r, err)
			return
		case fresh != nil:
			httpapi.WriteJSON(w, http.StatusCreated, *fresh)
			return
		}
		reg, err := s.Refresh(r.Context(), string(id))
		if err != nil {
			httpapi.Error(w, r, err)
			return
		}
		w.Header().Set("Idempotent-Replayed", "true")
		httpapi.WriteJSON(w, http.StatusCreated, reg)
	})
	mux.HandleFunc("POST /v1/users/me/token", func(w http.ResponseWriter, r *http.Request) {
		id, ok := httpapi.UserOf(w, r)
		if !ok {
			return
		}
		reg, err := s.Refresh(r.Context(), id)
		if err != nil {
			httpapi.Error(w, r, err)
			return
		}
		httpapi.WriteJSON(w, http.StatusOK, reg)
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
