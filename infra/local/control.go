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
	c.metricsRoutes(mux)
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
				info.Rules = append(info.Rules, r.Name+" "+r.Pattern())
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
		// period: {"granularity":"hour","period":"2026112510"}. The event is
		// of the cloud's (virtual) clock, as the schedules' and the console's
		// Run now are: a heartbeat run now after a clock move is the newest.
		event := ScheduledEvent(name, 0, c.Now())
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
		trace := NewTraceRoot()
		res, err := c.host.Invoke(WithTrace(ctx, Trace{Root: trace}), name, "run-now:"+f.Schedules[0].Expression, event)
		out := map[string]any{"function": name, "status": "ok", "cold": res.Cold, "trace": trace,
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
	mux.HandleFunc("GET /_local/traces/{id}", func(w http.ResponseWriter, r *http.Request) {
		tree := c.TraceTree(r.PathValue("id"))
		if len(tree) == 0 {
			httpapi.WriteErrorCode(w, kiosk.ENOTFOUND, "no invocation carries trace "+strconv.Quote(r.PathValue("id")), "")
			return
		}
		httpapi.WriteJSON(w, http.StatusOK, map[string]any{"trace": r.PathValue("id"), "invocations": tree})
	})
	mux.HandleFunc("GET /_local/faults", func(w http.ResponseWriter, r *http.Request) {
		f, n := c.Faults()
		httpapi.WriteJSON(w, http.StatusOK, map[string]any{"faults": f, "injected": n})
	})
	mux.HandleFunc("POST /_local/faults", func(w http.ResponseWriter, r *http.Request) {
		var f Faults
		if err := httpapi.Decode(r, &f); err != nil {
			httpapi.Error(w, r, err)
			return
		}
		for _, p := range []float64{f.DynamoThrottle, f.DynamoError, f.DynamoDrop, f.BusError, f.KillInvocation} {
			if p < 0 || p > 1 {
				httpapi.WriteErrorCode(w, kiosk.EINVALID, "fault rates are between 0 and 1", "")
				return
			}
		}
		httpapi.WriteJSON(w, http.StatusOK, map[string]any{"faults": f, "injected": c.SetFaults(f)})
	})
	mux.HandleFunc("GET /_local/clock", func(w http.ResponseWriter, r *http.Request) {
		httpapi.WriteJSON(w, http.StatusOK, map[string]any{"now": c.Now(), "offset": c.clock.Offset().String()})
	})
	mux.HandleFunc("POST /_local/clock", func(w http.ResponseWriter, r *http.Request) {
		var in struct {
			Set     string `json:"set"`     // an RFC 3339 time
			Advance string `json:"advance"` // a Go duration, e.g. "24h"
		}
		if err := httpapi.Decode(r, &in); err != nil {
			httpapi.Error(w, r, err)
			return
		}
		target := c.Now()
		switch {
		case in.Set != "" && in.Advance == "":
			t, err := time.Parse(time.RFC3339, in.Set)
			if err != nil {
				httpapi.WriteErrorCode(w, kiosk.EINVALID, "set must be an RFC 3339 time", "")
				return
			}
			target = t
		case in.Advance != "" && in.Set == "":
			d, err := time.ParseDuration(in.Advance)
			if err != nil || d < 0 || d > 366*24*time.Hour {
				httpapi.WriteErrorCode(w, kiosk.EINVALID, "advance must be a duration from 0 to 8784h", "")
				return
			}
			target = target.Add(d)
		default:
			httpapi.WriteErrorCode(w, kiosk.EINVALID, "send either set or advance", "")
			return
		}
		fired := c.moveClockSweepLater(target)
		httpapi.WriteJSON(w, http.StatusOK, map[string]any{"now": c.Now(), "offset": c.clock.Offset().String(), "fired": fired})
	})
	mux.HandleFunc("GET /_local/ttl", func(w http.ResponseWriter, r *http.Request) {
		var tables []string
		for _, t := range c.ttl.tables {
			tables = append(tables, t.Name+"."+t.TTL)
		}
		httpapi.WriteJSON(w, http.StatusOK, map[string]any{"delay": c.ttl.delay.String(), "tables": tables,
			"deleted": c.ttl.deleted.Load(), "sweeps": c.ttl.sweeps.Load()})
	})
	mux.HandleFunc("POST /_local/ttl/sweep", func(w http.ResponseWriter, r *http.Request) {
		deleted, err := c.SweepTTL(r.Context())
		if err != nil {
			httpapi.Error(w, r, err)
			return
		}
		httpapi.WriteJSON(w, http.StatusOK, map[string]any{"deleted": deleted})
	})
	mux.HandleFunc("GET /_local/{$}", func(w http.ResponseWriter, r *http.Request) {
		httpapi.WriteJSON(w, http.StatusOK, map[string]any{
			"api": c.APIURL, "eventbridge": c.BusURL, "dynamodb": c.DynamoURL, "logs": c.LogDir,
			"endpoints": []string{"GET /_local/functions", "POST /_local/schedules/{function}/run",
				"GET /_local/dead-letters", "POST /_local/dead-letters/{id}/redrive", "GET /_local/invocations?function=",
				"POST /_local/invoke/{function}", "GET /_local/logs?function=&contains=&limit=",
				"GET /_local/traces/{id}", "GET|POST /_local/faults", "GET /_local/clock", "POST /_local/clock {\"advance\":\"24h\"} or {\"set\":\"<RFC 3339>\"}", "GET /_local/ttl", "POST /_local/ttl/sweep",
				"GET /_local/metrics?name=&function=&format=html", "GET /_local/docs (the API reference)"},
		})
	})
}

func orNull(b []byte) []byte {
	if len(b) == 0 || !json.Valid(b) {
		return []byte("null")
	}
	return b
}
