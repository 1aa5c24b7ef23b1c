// Command tracking-api takes the app's engagement events (POST /v1/events,
// user auth: up to 500 per batch, each stored once by its id) and serves the
// KPI report and the A/B experiments' report to admins (GET /admin/api/kpi,
// GET /admin/api/experiments). The articles a batch opened
// (clicks, reads) are announced as user.read for the personal feed.
package main

import (
	"net/http"

	"github.com/kiosk-news/kiosk/events"
	"github.com/kiosk-news/kiosk/shared/platform/boot"
	"github.com/kiosk-news/kiosk/shared/platform/bus"
	"github.com/kiosk-news/kiosk/shared/platform/clock"
	"github.com/kiosk-news/kiosk/shared/platform/contract"
	"github.com/kiosk-news/kiosk/shared/platform/httpapi"
	"github.com/kiosk-news/kiosk/shared/tracking"
)

func main() {
	env := boot.Init()
	pub := bus.Open(env, events.SourceTracking)
	httpapi.Start(env, routes(&tracking.Service{Store: tracking.NewDynamoStore(env.Table(contract.EventsTable)),
		Now: clock.Now, Announce: tracking.Events{Publish: pub.PublishDetails}}))
}

func routes(s *tracking.Service) *http.ServeMux {
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
		rep, err := s.Report(r.Context(), q.Get("granularity"), q.Get("by"), q.Get("from"), q.Get("to"))
		if err != nil {
			httpapi.Error(w, r, err)
			return
		}
		httpapi.WriteJSON(w, http.StatusOK, rep)
	})))
	mux.Handle("GET /admin/api/experiments", httpapi.RequireRole(contract.RoleAdmin, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		reports, err := s.ExperimentsReport(r.Context(), q.Get("from"), q.Get("to"))
		if err != nil {
			httpapi.Error(w, r, err)
			return
		}
		httpapi.WriteJSON(w, http.StatusOK, map[string]any{"experiments": reports})
	})))
	return mux
}
