// Command floor is the size floor of a bootstrap: a Lambda that links only
// the libraries Kiosk chose and calls one entry point of each, built with the
// functions' flags. Without tags it is the runtime client (aws-lambda-go,
// lambda.Start) and guregu/dynamo over the SDK's DynamoDB client (one GetItem);
// each floor_* tag adds what a function links besides: floor_proxy the
// API Gateway adapter (aws-lambda-go-api-proxy, as httpapi.Start uses it),
// floor_eventbridge one PutEvents, floor_secretsmanager one GetSecretValue,
// floor_lambda one Invoke, floor_sqs one ReceiveMessage, floor_gofeed one
// gofeed Parse; floor_nodynamo leaves DynamoDB out, for a function that calls
// no AWS API (parse-feed: aws-lambda-go and gofeed alone). infra/cmd/floor picks each function's tags from its imports
// and prints its bootstrap against its floor; the gap is Kiosk's own code and
// the further operations it calls.
package main

import (
	"context"
	"encoding/json"

	"github.com/aws/aws-lambda-go/lambda"
)

// calls are the tagged files' entry points, made after the GetItem
// (dynamo.go, unless floor_nodynamo).
var calls []func(ctx context.Context) error

// getItem is the one DynamoDB call (dynamo.go); nil with floor_nodynamo.
var getItem func(ctx context.Context) error

// start serves events; floor_proxy replaces it with the HTTP adapter.
var start = func() {
	lambda.Start(func(ctx context.Context, in json.RawMessage) (json.RawMessage, error) {
		return in, call(ctx)
	})
}

func call(ctx context.Context) error {
	if getItem != nil {
		if err := getItem(ctx); err != nil {
			return err
		}
	}
	for _, c := range calls {
		if err := c(ctx); err != nil {
			return err
		}
	}
	return nil
}

func main() { start() }
