// Command tracking-api takes the app's engagement events (POST /v1/events,
// user auth: up to 500 per batch, each stored once by its id) and serves the
// KPI report to admins (GET /admin/api/kpi). The articles a batch opened
// (clicks, reads) are announced as user.read for the personal feed.
package main

import (
	"context"
	"net/http"
	"time"

	"github.com/kiosk-news/kiosk/events"
	"github.com/kiosk-news/kiosk/shared/kiosk"
	"github.com/kiosk-news/kiosk/shared/platform/boot"
	"github.com/kiosk-news/kiosk/shared/platform/bus"
	"github.com/kiosk-news/kiosk/shared/platform/clock"
	"github.com/kiosk-news/kiosk/shared/platform/contract"
	"github.com/kiosk-news/kiosk/shared/platform/httpapi"
	"github.com/kiosk-news/kiosk/shared/tracking"
)

func main() {
	env := boot.Init()
	table := env.Table(contract.EventsTable)
	st := tracking.NewDynamoStore(table)
	pub := bus.Open(env, events.SourceTracking)
	opened := func(ctx context.Context, userID string, ids []string, at time.Time) error {
		return pub.Publish(ctx, bus.Event{DetailType: events.UserReadType,
			Detail: events.UserRead{UserID: userID, ArticleIDs: ids, At: at}})
	}
	httpapi.Start(env, routes(&tracking.Service{Store: st, Now: clock.Now, Opened: opened}, st))
}

func routes(s *tracking.Service, st tracking.Store) *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/events", func(w http.ResponseWriter, r *http.Request) {
		userID, ok := httpapi.UserOf(w, r)
		if !ok {
			return
		}
		var in struct {
			Events []tracking.Event `json:"events"`
		}
		if err := httpapi.Decode(r, &in); err != nil {
			httpapi.Error(w, r, err)
			return
		}
		res, err := s.Track(r.Context(), userID, in.Events)
		if err != nil {
			httpapi.Error(w, r, err)
			return
		}
		httpapi.WriteJSON(w, http.StatusAccepted, res)
	})
	mux.Handle("GET /admin/api/kpi", httpapi.RequireRole(contract.RoleAdmin, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		from, err1 := time.Parse(time.RFC3339, q.Get("from"))
		to, err2 := time.Parse(time.RFC3339, q.Get("to"))
		if err1 != nil || err2 != nil {
			httpapi.Error(w, r, kiosk.Errorf(kiosk.EINVALID, "from and to are RFC 3339 times"))
			return
		}
		by := q.Get("by")
		if by == "" {
			by = "all"
		}
		rows, err := tracking.Query(r.Context(), st, q.Get("granularity"), by, from, to)
		if err != nil {
			httpapi.Error(w, r, err)
			return
		}
		httpapi.WriteJSON(w, http.StatusOK, map[string]any{"granularity": q.Get("granularity"), "by": by, "rows": rows})
	})))
	return mux
}
