// Command peer is the peer-shaped baseline of `make bench`: the shape of
// AWS's own serverless-go-demo get-product function (one GetItem through the
// plain AWS SDK, attributevalue to a struct, encoding/json, the aws-lambda-go
// handler, config.LoadDefaultConfig at init; the handler is package
// getproduct) reading the article that articles-api's GET /v1/articles/{id}
// reads, from the same table. Built with the functions' flags; the bench sets
// it against articles-api in the same run.
package main

import (
	"context"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/kiosk-news/kiosk/infra/bench/peer/getproduct"
	_ "github.com/kiosk-news/kiosk/shared/platform/selfprofile" // make bench's self-profiling, only with -tags pprof
)

func main() {
	cfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		panic(err)
	}
	h := getproduct.Handler{Client: dynamodb.NewFromConfig(cfg), Table: os.Getenv("KIOSK_TABLE_ARTICLES")}
	lambda.Start(h.Handle)
}
