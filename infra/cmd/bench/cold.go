package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/kiosk-news/kiosk/infra/local"
	"github.com/kiosk-news/kiosk/infra/topology"
)

// payloads returns, for a function, a request it answers without any AWS
// call (a path its router does not know, or an event its decoder refuses)
// and a real one (its first route with the caller the authorizer would
// pass, its first rule's sample event, or a scheduled event).
func (b *bench) payloads(f topology.Function) (noop, real []byte, what string, err error) {
	switch {
	case f.Name == "hello":
		return []byte(`{}`), []byte(`{}`), "hello", nil
	case f.Name == b.topo.Authorizer:
		ev := []byte(`{"version":"2.0","type":"REQUEST","routeKey":"GET /v1/users/me","headers":{"authorization":"Bearer v1.x.y"},"requestContext":{"http":{"method":"GET","path":"/v1/users/me"}}}`)
		return ev, ev, "authorizer request (bad token)", nil
	case len(f.Routes) > 0:
		if noop, err = local.SampleEvent(b.root, "GET /__bench/noop"); err != nil {
			return nil, nil, "", err
		}
		r := f.Routes[0]
		for _, x := range f.Routes {
			if x.Method == "GET" && !strings.Contains(x.Path, "{") {
				r = x
				break
			}
		}
		if f.Name == "tracking-api" { // its GET needs a query; its hot route is the POST
			r = f.Routes[0]
		}
		if real, err = local.SampleEvent(b.root, r.Key()); err != nil {
			return nil, nil, "", err
		}
		if r.Method == "POST" && r.Path == "/v1/events" {
			var ev map[string]any
			_ = json.Unmarshal(real, &ev)
			ev["body"] = eventsBody(1, "5c1f0e8d2a3b4c5d6e7f8091a2b3c4d5")
			ev["headers"].(map[string]any)["content-type"] = "application/json"
			real, _ = json.Marshal(ev)
		}
		if r.Auth != topology.Public {
			// What the authorizer passes on for a signed-in caller.
			var ev map[string]any
			_ = json.Unmarshal(real, &ev)
			role := map[topology.Auth]string{topology.User: "user", topology.Admin: "admin", topology.Console: ""}[r.Auth]
			ctx := ev["requestContext"].(map[string]any)
			ctx["authorizer"] = map[string]any{"lambda": map[string]any{"user_id": "0123456789abcdef0123456789abcdef", "role": role}}
			real, _ = json.Marshal(ev)
		}
		return noop, real, r.Key(), nil
	default:
		noop = []byte(`{"version":"0","id":"bench-noop","detail-type":"bench.noop","source":"bench","time":"2026-01-01T00:00:00Z","detail":"noop"}`)
		if len(f.Rules) > 0 && len(f.Rules[0].Types) > 0 {
			dt := f.Rules[0].Types[0]
			real, err = local.SampleEvent(b.root, dt)
			return noop, real, dt + " sample", err
		}
		return noop, local.ScheduledEvent(f.Name, 0, time.Now()), "scheduled event", nil
	}
}

// calls reads the DynamoDB calls an invocation logged (its access or event
// line).
func calls(logs []string) int {
	n := 0
	for _, l := range logs {
		i := strings.Index(l, "{")
		if i < 0 {
			continue
		}
		var rec struct {
			Calls *int `json:"dynamodb_calls"`
		}
		if json.Unmarshal([]byte(l[i:]), &rec) == nil && rec.Calls != nil {
			n += *rec.Calls
		}
	}
	return n
}

// coldStarts measures (on a quiet cloud: after the sample news is in), per function, exec → first response for the no-op
// request (the init cost), the same for the real request (init plus the
// first AWS calls), and the real request again warm.
func (b *bench) coldStarts() error {
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	var hello float64
	fns := append([]topology.Function{b.topo.Functions[len(b.topo.Functions)-1]}, b.topo.Functions[:len(b.topo.Functions)-1]...)
	for _, f := range fns {
		noop, real, what, err := b.payloads(f)
		if err != nil {
			return fmt.Errorf("%s: %w", f.Name, err)
		}
		c := Cold{Function: f.Name, Request: what}
		const tries = 5 // the median of five cold starts
		var inits, firsts, warms, inFirst, inWarm []float64
		for range tries {
			b.cloud.Recycle(f.Name)
			rep, err := b.cloud.InvokeDirect(ctx, f.Name, noop)
			if err != nil || !rep.Cold {
				return fmt.Errorf("%s: cold no-op: %v (cold %v)", f.Name, err, rep.Cold)
			}
			inits = append(inits, rep.InitMS)
			b.cloud.Recycle(f.Name)
			rep, err = b.cloud.InvokeDirect(ctx, f.Name, real)
			if err != nil {
				return fmt.Errorf("%s: cold request: %v", f.Name, err)
			}
			firsts = append(firsts, rep.InitMS)
			c.Calls = calls(rep.Logs)
			c.Status = rep.Status
			inFirst = append(inFirst, ownDuration(rep.Logs))
			rep, err = b.cloud.InvokeDirect(ctx, f.Name, real)
			if err != nil {
				return fmt.Errorf("%s: warm request: %v", f.Name, err)
			}
			warms = append(warms, rep.DurationMS)
			inWarm = append(inWarm, ownDuration(rep.Logs))
		}
		c.InitMS, c.FirstMS, c.WarmMS = median(inits), median(firsts), median(warms)
		c.OwnFirstMS, c.OwnWarmMS = median(inFirst), median(inWarm)
		if f.Name == "hello" {
			hello = c.InitMS
		}
		c.Ratio = c.InitMS / hello
		b.r.Colds = append(b.r.Colds, c)
	}
	return nil
}

// ownDuration is the duration the function logged for its request or event
// (its access or event line): the handler's own time, without the runtime's
// start-up, so free of the process noise.
func ownDuration(logs []string) float64 {
	for _, l := range logs {
		if strings.Contains(l, `"dynamodb_calls"`) {
			return duration(l)
		}
	}
	return 0
}
