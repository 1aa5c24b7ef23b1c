// Command floor is the size floor of a bootstrap: a Lambda that links only
// the libraries Kiosk chose and calls one entry point of each, built with the
// functions' flags. Without tags it is the runtime client (aws-lambda-go,
// lambda.Start) and guregu/dynamo over the SDK's DynamoDB client (one GetItem);
// each floor_* tag adds what a function links besides: floor_proxy the
// API Gateway adapter (aws-lambda-go-api-proxy, as httpapi.Start uses it),
// floor_eventbridge one PutEvents, floor_secretsmanager one GetSecretValue,
// floor_lambda one Invoke, floor_sqs one ReceiveMessage, floor_gofeed one
// gofeed Parse. infra/cmd/floor picks each function's tags from its imports
// and prints its bootstrap against its floor; the gap is Kiosk's own code and
// the further operations it calls.
package main

import (
	"context"
	"encoding/json"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/guregu/dynamo/v2"
)

var cfg = aws.Config{
	Region: os.Getenv("AWS_REGION"),
	Credentials: aws.NewCredentialsCache(aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
		return aws.Credentials{AccessKeyID: os.Getenv("AWS_ACCESS_KEY_ID"), SecretAccessKey: os.Getenv("AWS_SECRET_ACCESS_KEY")}, nil
	})),
}

// calls are the tagged files' entry points, made after the GetItem.
var calls []func(ctx context.Context) error

// start serves events; floor_proxy replaces it with the HTTP adapter.
var start = func() {
	lambda.Start(func(ctx context.Context, in json.RawMessage) (json.RawMessage, error) {
		return in, call(ctx)
	})
}

func call(ctx context.Context) error {
	db := dynamo.New(cfg, func(o *dynamodb.Options) { o.BaseEndpoint = aws.String(os.Getenv("AWS_ENDPOINT_URL")) })
	var v struct{ ID string }
	if err := db.Table(os.Getenv("TABLE")).Get("ID", "x").One(ctx, &v); err != nil {
		return err
	}
	for _, c := range calls {
		if err := c(ctx); err != nil {
			return err
		}
	}
	return nil
}

func main() { start() }
