// Command health-api serves GET /v1/health: it reads the health table (so a 200
// proves the function, its grant and DynamoDB all work) and reports the last
// heartbeat.
package main

import (
	"context"
	"log/slog"
	"net/http"
	"os"
	"time"

	"github.com/kiosk-news/kiosk/shared/health"
	"github.com/kiosk-news/kiosk/shared/kiosk"
	"github.com/kiosk-news/kiosk/shared/platform/awsenv"
	"github.com/kiosk-news/kiosk/shared/platform/httpapi"
	"github.com/kiosk-news/kiosk/shared/platform/store"
)

func main() {
	ctx := context.Background()
	cfg, err := awsenv.Load(ctx)
	if err != nil {
		slog.Error("load AWS config", "error", err)
		os.Exit(1)
	}
	table, err := store.Table(store.Open(cfg), "health")
	if err != nil {
		slog.Error("health table", "error", err)
		os.Exit(1)
	}
	httpapi.Start(routes(health.NewDynamoStore(table)))
}

func routes(s health.Store) *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/health", func(w http.ResponseWriter, r *http.Request) {
		report, err := health.Check(r.Context(), s, time.Now())
		if err != nil {
			slog.ErrorContext(r.Context(), "health store unreachable", "error", err.Error())
			httpapi.Error(w, r, kiosk.Errorf(kiosk.EUNAVAILABLE, "the health table is unreachable"))
			return
		}
		httpapi.WriteJSON(w, http.StatusOK, report)
	})
	return mux
}
