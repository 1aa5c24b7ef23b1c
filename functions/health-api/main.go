// Command health-api serves GET /v1/health: it reads the health table (so a 200
// proves the function, its grant and DynamoDB all work) and reports the last
// heartbeat.
package main

import (
	"errors"
	"net/http"

	"github.com/kiosk-news/kiosk/shared/health"
	"github.com/kiosk-news/kiosk/shared/kiosk"
	"github.com/kiosk-news/kiosk/shared/platform/boot"
	"github.com/kiosk-news/kiosk/shared/platform/clock"
	"github.com/kiosk-news/kiosk/shared/platform/contract"
	"github.com/kiosk-news/kiosk/shared/platform/httpapi"
)

func main() {
	env := boot.Init()
	table := env.Table(contract.HealthTable)
	httpapi.Start(env, routes(health.NewDynamoStore(table)))
}

func routes(s health.Store) *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/health", func(w http.ResponseWriter, r *http.Request) {
		report, err := health.Check(r.Context(), s, clock.Now())
		if err != nil {
			httpapi.Error(w, r, errors.Join(kiosk.Errorf(kiosk.EUNAVAILABLE, "the health table is unreachable"), err))
			return
		}
		httpapi.WriteJSON(w, http.StatusOK, report)
	})
	return mux
}
