//go:build floor_proxy

package main

import (
	"context"
	"net/http"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/awslabs/aws-lambda-go-api-proxy/httpadapter"
)

func init() {
	start = func() {
		mux := http.NewServeMux()
		mux.HandleFunc("GET /floor", func(w http.ResponseWriter, r *http.Request) {
			if err := call(r.Context()); err != nil {
				w.WriteHeader(http.StatusInternalServerError)
			}
		})
		proxy := httpadapter.NewV2(mux).ProxyWithContext
		lambda.Start(func(ctx context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
			return proxy(ctx, req)
		})
	}
}
