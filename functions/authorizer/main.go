// Command authorizer is the HTTP API's Lambda authorizer (payload 2.0, simple
// responses): it lets a request through to a user route only with a valid,
// unexpired user access token whose session is live (one read of the sessions
// table, on the gateway's cache misses only), and to an admin route only with
// the admin token, and
// hands user_id and role to the function as the authorizer context. The route
// table comes from the topology (KIOSK_ROUTE_AUTH).
package main

import (
	"context"
	"log/slog"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/kiosk-news/kiosk/shared/auth"
	"github.com/kiosk-news/kiosk/shared/platform/boot"
	"github.com/kiosk-news/kiosk/shared/platform/clock"
	"github.com/kiosk-news/kiosk/shared/platform/contract"
	"github.com/kiosk-news/kiosk/shared/platform/metrics"
	"github.com/kiosk-news/kiosk/shared/platform/secret"
	"github.com/kiosk-news/kiosk/shared/user"
)

func main() {
	env := boot.Init()
	key := secret.Open(env, contract.TokenSigningSecret)
	admin := secret.Open(env, contract.AdminTokenSecret)
	routes := env.RouteAuth()
	sessions := user.NewDynamoSessions(env.Table(contract.SessionsTable), clock.Now)
	a := &auth.Authorizer{SigningKey: []byte(key), AdminToken: admin, Routes: routes, Sessions: sessions, Now: clock.Now}
	lambda.Start(func(ctx context.Context, req events.APIGatewayV2CustomAuthorizerV2Request) (events.APIGatewayV2CustomAuthorizerSimpleResponse, error) {
		ctx, set := metrics.Start(ctx) // its cold starts
		defer metrics.Flush(set)
		d, err := a.Decide(ctx, req.RouteKey, req.Headers["authorization"])
		if err != nil {
			// Fail closed: the gateway answers 500 and caches nothing.
			slog.ErrorContext(ctx, "the session could not be checked", "route", req.RouteKey, "error", err)
			return events.APIGatewayV2CustomAuthorizerSimpleResponse{}, err
		}
		resp := events.APIGatewayV2CustomAuthorizerSimpleResponse{IsAuthorized: d.Allowed, Context: map[string]any{}}
		for k, v := range d.Context {
			resp.Context[k] = v
		}
		if !d.Allowed {
			slog.InfoContext(ctx, "denied", "route", req.RouteKey, "reason", d.Reason, "request_id", req.RequestContext.RequestID)
		}
		return resp, nil
	})
}
