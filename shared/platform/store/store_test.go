package store

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
)

func TestTheDynamoDBClientMakesFourAttempts(t *testing.T) {
	db := Open(aws.Config{Region: "eu-west-1"})
	c, ok := db.Client().(*dynamodb.Client)
	if !ok {
		t.Fatalf("client is %T, want *dynamodb.Client", db.Client())
	}
	if got := c.Options().Retryer.MaxAttempts(); got != 4 {
		t.Fatalf("DynamoDB calls make %d attempts, want 4 (the SDK's DynamoDB default since v1.74)", got)
	}
}
