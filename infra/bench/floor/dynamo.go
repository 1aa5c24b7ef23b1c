//go:build !floor_nodynamo

package main

import (
	"context"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/guregu/dynamo/v2"
)

// cfg is the SDK configuration every floor_* client is built from.
var cfg = aws.Config{
	Region: os.Getenv("AWS_REGION"),
	Credentials: aws.NewCredentialsCache(aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
		return aws.Credentials{AccessKeyID: os.Getenv("AWS_ACCESS_KEY_ID"), SecretAccessKey: os.Getenv("AWS_SECRET_ACCESS_KEY")}, nil
	})),
}

func init() {
	getItem = func(ctx context.Context) error {
		db := dynamo.New(cfg, func(o *dynamodb.Options) { o.BaseEndpoint = aws.String(os.Getenv("AWS_ENDPOINT_URL")) })
		var v struct{ ID string }
		return db.Table(os.Getenv("TABLE")).Get("ID", "x").One(ctx, &v)
	}
}
