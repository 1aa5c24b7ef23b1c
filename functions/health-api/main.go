// Command health-api serves GET /v1/health: it reads the health table (so a 200
// proves the function, its grant and DynamoDB all work) and reports the last
// heartbeat.
package main

import (
	"net/http"

	"github.com/kiosk-news/kiosk/shared/health"
	"github.com/kiosk-news/kiosk/shared/platform/boot"
	"github.com/kiosk-news/kiosk/shared/platform/clock"
	"github.com/kiosk-news/kiosk/shared/platform/contract"
	"github.com/kiosk-news/kiosk/shared/platform/httpapi"
)

func main() {
	env := boot.Init()
	httpapi.Start(env, routes(&health.Service{Store: health.NewDynamoStore(env.Table(contract.HealthTable)), Now: clock.Now}))
}

func routes(s *health.Service) *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/health", func(w http.ResponseWriter, r *http.Request) {
		report, err := s.Check(r.Context())
		httpapi.Respond(w, r, http.StatusOK, report, err)
	})
	return mux
}
