// Package getproduct is the peer baseline's handler (infra/bench/peer): the
// shape of AWS's serverless-go-demo get-product — one GetItem through the
// plain AWS SDK, attributevalue to a struct, encoding/json — reading the
// article articles-api's GET /v1/articles/{id} reads. A package of its own so
// that an in-process benchmark can run it beside articles-api's handler
// (functions/articles-api's BenchmarkReadRoute).
package getproduct

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
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

// Handler reads articles from Table with Client.
type Handler struct {
	Client *dynamodb.Client
	Table  string
}

// Handle is the Lambda handler.
func (h Handler) Handle(ctx context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	id := req.PathParameters["id"]
	out, err := h.Client.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(h.Table),
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
