// Command peer is the peer-shaped baseline of `make bench`: the shape of
// AWS's own serverless-go-demo get-product function (one GetItem through the
// plain AWS SDK, attributevalue to a struct, encoding/json, the aws-lambda-go
// handler, config.LoadDefaultConfig at init) reading the article that
// articles-api's GET /v1/articles/{id} reads, from the same table. Built with
// the functions' flags; the bench sets it against articles-api in the same run.
package main

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	_ "github.com/kiosk-news/kiosk/shared/platform/selfprofile" // make bench's self-profiling, only with -tags pprof
)

// article is the stored item, as the demo's Product is: every stored
// attribute decoded, the public ones encoded.
type article struct {
	ID          string    `dynamodbav:"id" json:"id"`
	URL         string    `dynamodbav:"url" json:"url"`
	Title       string    `dynamodbav:"title" json:"title"`
	Summary     string    `dynamodbav:"summary" json:"summary"`
	ImageURL    string    `dynamodbav:"image_url" json:"image_url,omitempty"`
	SourceID    string    `dynamodbav:"source_id" json:"source_id"`
	Category    string    `dynamodbav:"category" json:"category"`
	Story       string    `dynamodbav:"story" json:"story"`
	Language    string    `dynamodbav:"language" json:"language,omitempty"`
	PublishedAt time.Time `dynamodbav:"published_at" json:"published_at"`
	IngestedAt  time.Time `dynamodbav:"ingested_at" json:"ingested_at"`
	Hidden      bool      `dynamodbav:"hidden" json:"-"`
	Pinned      bool      `dynamodbav:"pinned" json:"pinned,omitempty"`
	Weight      float64   `dynamodbav:"source_weight" json:"-"`
	Fingerprint uint64    `dynamodbav:"fingerprint" json:"-"`
}

var (
	client *dynamodb.Client
	table  = os.Getenv("KIOSK_TABLE_ARTICLES")
)

func main() {
	cfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		panic(err)
	}
	client = dynamodb.NewFromConfig(cfg)
	lambda.Start(handler)
}

func handler(ctx context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	id := req.PathParameters["id"]
	out, err := client.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(table),
		Key: map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "article#" + id}}})
	if err != nil {
		return respond(http.StatusInternalServerError, map[string]string{"error": "internal error"}), nil
	}
	if out.Item == nil {
		return respond(http.StatusNotFound, map[string]string{"error": "not found"}), nil
	}
	var a article
	if err := attributevalue.UnmarshalMap(out.Item, &a); err != nil || a.Hidden {
		return respond(http.StatusNotFound, map[string]string{"error": "not found"}), nil
	}
	return respond(http.StatusOK, a), nil
}

func respond(status int, v any) events.APIGatewayV2HTTPResponse {
	body, _ := json.Marshal(v)
	return events.APIGatewayV2HTTPResponse{StatusCode: status, Headers: map[string]string{"Content-Type": "application/json"}, Body: string(body)}
}
