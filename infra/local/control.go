package local

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/kiosk-news/kiosk/shared/kiosk"
	"github.com/kiosk-news/kiosk/shared/platform/httpapi"
)

// control mounts the /_local/ API: never deployed, there to look inside.
func (c *Cloud) control(mux *http.ServeMux) {
	mux.HandleFunc("GET /_local/functions", func(w http.ResponseWriter, r *http.Request) {
		type fnInfo struct {
			Name      string         `json:"name"`
			Routes    []string       `json:"routes"`
			Schedules []string       `json:"schedules"`
			Rules     []string       `json:"rules"`
			Instances []InstanceInfo `json:"instances"`
		}
		out := []fnInfo{}
		for _, f := range c.Topology.Functions {
			info := fnInfo{Name: f.Name, Routes: []string{}, Schedules: []string{}, Rules: []string{}, Instances: c.host.Instances(f.Name)}
			for _, r := range f.Routes {
				info.Routes = append(info.Routes, r.Key()+" ("+string(r.Auth)+")")
			}
			for _, s := range f.Schedules {
				info.Schedules = append(info.Schedules, s.Expression)
			}
			for _, r := range f.Rules {
				info.Rules = append(info.Rules, r.Name+" "+r.Pattern)
			}
			out = append(out, info)
		}
		httpapi.WriteJSON(w, http.StatusOK, map[string]any{"functions": out})
	})
	mux.HandleFunc("POST /_local/schedules/{function}/run", func(w http.ResponseWriter, r *http.Request) {
		name := r.PathValue("function")
		f, ok := c.Topology.Function(name)
		if !ok || len(f.Schedules) == 0 {
			httpapi.WriteErrorCode(w, kiosk.ENOTFOUND, "no scheduled function "+strconv.Quote(name), "")
			return
		}
		// An optional JSON object body becomes the event's detail, e.g. a KPI
		// period: {"granularity":"hour","period":"2026112510"}.
		event := ScheduledEvent(name, 0, time.Now())
		if body, _ := io.ReadAll(io.LimitReader(r.Body, 64<<10)); len(bytes.TrimSpace(body)) > 0 {
			var detail map[string]any
			if err := json.Unmarshal(body, &detail); err != nil {
				httpapi.WriteErrorCode(w, kiosk.EINVALID, "the body must be a JSON object (the event detail)", "")
				return
			}
			var ev map[string]any
			_ = json.Unmarshal(event, &ev)
			ev["detail"] = detail
			event, _ = json.Marshal(ev)
		}
		ctx, cancel := context.WithTimeout(r.Context(), f.Timeout+30*time.Second)
		defer cancel()
		res, err := c.host.Invoke(ctx, name, "run-now:"+f.Schedules[0].Expression, event)
		out := map[string]any{"function": name, "status": "ok", "cold": res.Cold,
			"duration_ms": ms(res.Duration), "response": json.RawMessage(orNull(res.Payload))}
		switch {
		case err != nil:
			out["status"], out["error"] = "failed", err.Error()
			if errors.Is(err, ErrThrottled) {
				out["status"] = "throttled"
			}
		case res.FunctionError != "":
			out["status"], out["error"] = "error", res.FunctionError+": "+res.ErrorMessage
		}
		httpapi.WriteJSON(w, http.StatusOK, out)
	})
	mux.HandleFunc("GET /_local/dead-letters", func(w http.ResponseWriter, r *http.Request) {
		httpapi.WriteJSON(w, http.StatusOK, map[string]any{"dead_letters": c.bus.DeadLetters()})
	})
	mux.HandleFunc("POST /_local/dead-letters/{id}/redrive", func(w http.ResponseWriter, r *http.Request) {
		if !c.bus.Redrive(r.PathValue("id")) {
			httpapi.WriteErrorCode(w, kiosk.ENOTFOUND, "no dead letter "+strconv.Quote(r.PathValue("id")), "")
			return
		}
		httpapi.WriteJSON(w, http.StatusAccepted, map[string]string{"status": "redriven"})
	})
	mux.HandleFunc("GET /_local/invocations", func(w http.ResponseWriter, r *http.Request) {
		invs := c.host.Invocations()
		if fn := r.URL.Query().Get("function"); fn != "" {
			kept := invs[:0]
			for _, i := range invs {
				if i.Function == fn {
					kept = append(kept, i)
				}
			}
			invs = kept
		}
		httpapi.WriteJSON(w, http.StatusOK, map[string]any{"invocations": invs})
	})
	mux.HandleFunc("POST /_local/invoke/{function}", func(w http.ResponseWriter, r *http.Request) {
		payload, err := io.ReadAll(io.LimitReader(r.Body, 6<<20))
		if err != nil || !json.Valid(payload) {
			httpapi.WriteErrorCode(w, kiosk.EINVALID, "the body must be the JSON event to invoke with", "")
			return
		}
		rep, err := c.InvokeDirect(r.Context(), r.PathValue("function"), payload)
		if err != nil {
			httpapi.WriteErrorCode(w, kiosk.ENOTFOUND, err.Error(), "")
			return
		}
		httpapi.WriteJSON(w, http.StatusOK, rep)
	})
	mux.HandleFunc("GET /_local/logs", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		limit := 200
		if n, err := strconv.Atoi(q.Get("limit")); err == nil && n > 0 && n <= 5000 {
			limit = n
		}
		fn := q.Get("function")
		if _, ok := c.Topology.Function(fn); fn != "" && !ok {
			httpapi.WriteErrorCode(w, kiosk.ENOTFOUND, "no function "+strconv.Quote(fn), "")
			return
		}
		httpapi.WriteJSON(w, http.StatusOK, map[string]any{"lines": c.Logs(fn, q.Get("contains"), limit)})
	})
	mux.HandleFunc("GET /_local/{$}", func(w http.ResponseWriter, r *http.Request) {
		httpapi.WriteJSON(w, http.StatusOK, map[string]any{
			"api": c.APIURL, "eventbridge": c.BusURL, "dynamodb": c.DynamoURL, "logs": c.LogDir,
			"endpoints": []string{"GET /_local/functions", "POST /_local/schedules/{function}/run",
				"GET /_local/dead-letters", "POST /_local/dead-letters/{id}/redrive", "GET /_local/invocations?function=",
				"POST /_local/invoke/{function}", "GET /_local/logs?function=&contains=&limit="},
		})
	})
}

func orNull(b []byte) []byte {
	if len(b) == 0 || !json.Valid(b) {
		return []byte("null")
	}
	return b
}
