package main

import (
	"log/slog"
	"net/http"

	"github.com/kiosk-news/kiosk/shared/kiosk"
	"github.com/kiosk-news/kiosk/shared/platform/contract"
	"github.com/kiosk-news/kiosk/shared/platform/httpapi"
	"github.com/kiosk-news/kiosk/shared/platform/metrics"
	"github.com/kiosk-news/kiosk/shared/tracking"
)

// routes parses each request and calls one tracking.Service method.
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
			refused(r, userID, len(in.Events), err)
			httpapi.Error(w, r, err)
			return
		}
		res, err := s.Track(r.Context(), userID, in.Events)
		metrics.Add(r.Context(), metrics.EventsAccepted, float64(res.Accepted))
		metrics.Add(r.Context(), metrics.EventsDuplicated, float64(res.Duplicates))
		if err != nil {
			refused(r, userID, len(in.Events), err)
			httpapi.Error(w, r, err)
			return
		}
		slog.InfoContext(r.Context(), "events", "user_id", userID, "accepted", res.Accepted, "duplicates", res.Duplicates)
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

// refused counts a batch the service refused, by its error code (a failure
// to store is not a refusal: the client retries it), and logs it with the
// user for the operators' "a user's events" query.
func refused(r *http.Request, userID string, n int, err error) {
	code := kiosk.ErrorCode(err)
	if code != kiosk.EUNAVAILABLE && code != kiosk.EINTERNAL {
		metrics.AddBy(r.Context(), metrics.EventsRefused, code, float64(n))
	}
	slog.InfoContext(r.Context(), "events", "user_id", userID, "events", n, "refused", code)
}
