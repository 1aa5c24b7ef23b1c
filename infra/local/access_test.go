package local_test

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/smithy-go"

	"github.com/kiosk-news/kiosk/infra/local"
)

// as returns AWS settings carrying a function's local identity, as its
// instances get them.
func as(fn string) (aws.Config, func(*dynamodb.Options)) {
	cfg := aws.Config{Region: local.Region, Credentials: aws.NewCredentialsCache(aws.CredentialsProviderFunc(
		func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: "local-" + fn, SecretAccessKey: "local"}, nil
		}))}
	return cfg, func(o *dynamodb.Options) { o.BaseEndpoint = aws.String(cloud.FunctionDynamoURL()) }
}

func denied(err error) bool {
	var api smithy.APIError
	return errors.As(err, &api) && api.ErrorCode() == "AccessDeniedException"
}

// TestLeastPrivilegeIsEnforcedLocally oversteps each grant with a function's
// own identity: what its IAM policy would refuse in AWS is refused here too.
func TestLeastPrivilegeIsEnforcedLocally(t *testing.T) {
	ctx := context.Background()
	key := map[string]types.AttributeValue{"id": &types.AttributeValueMemberS{Value: "x"}}
	healthTable, usersTable := aws.String(cloud.TableName("health")), aws.String(cloud.TableName("users"))
	cfg, opt := as("health-api")
	db := dynamodb.NewFromConfig(cfg, opt)
	if _, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: healthTable, Key: key}); err != nil {
		t.Errorf("health-api reading its table: %v", err)
	}
	if _, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: healthTable, Item: key}); !denied(err) {
		t.Errorf("health-api writing its read-only table: %v, want AccessDeniedException", err)
	}
	if _, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: usersTable, Key: key}); !denied(err) {
		t.Errorf("health-api reading the users table: %v, want AccessDeniedException", err)
	}
	if _, err := db.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: map[string]types.KeysAndAttributes{
		*healthTable: {Keys: []map[string]types.AttributeValue{key}}, *usersTable: {Keys: []map[string]types.AttributeValue{key}},
	}}); !denied(err) {
		t.Errorf("a batch touching an ungranted table: %v, want AccessDeniedException", err)
	}
	if _, err := db.ListTables(ctx, &dynamodb.ListTablesInput{}); !denied(err) {
		t.Errorf("ListTables: %v, want AccessDeniedException", err)
	}

	put := func(fn, source, detailType, detail string) error {
		cfg, _ := as(fn)
		eb := eventbridge.NewFromConfig(cfg, func(o *eventbridge.Options) { o.BaseEndpoint = aws.String(cloud.BusURL) })
		_, err := eb.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: []ebtypes.PutEventsRequestEntry{{
			EventBusName: aws.String(cloud.BusName()), Source: aws.String(source), DetailType: aws.String(detailType), Detail: aws.String(detail)}}})
		return err
	}
	hb := `{"run":"r","at":"2026-11-25T10:00:00Z"}`
	if err := put("heartbeat", "kiosk.platform", "platform.heartbeat", hb); err != nil {
		t.Errorf("heartbeat publishing what it declares: %v", err)
	}
	if err := put("health-api", "kiosk.platform", "platform.heartbeat", hb); !denied(err) {
		t.Errorf("health-api publishing: %v, want AccessDeniedException", err)
	}
	if err := put("announce-articles", "kiosk.platform", "platform.heartbeat", hb); !denied(err) {
		t.Errorf("announce-articles publishing an undeclared type: %v, want AccessDeniedException", err)
	}

	secret := func(fn, name string) error {
		cfg, _ := as(fn)
		sm := secretsmanager.NewFromConfig(cfg, func(o *secretsmanager.Options) { o.BaseEndpoint = aws.String(cloud.BusURL) })
		_, err := sm.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(cloud.SecretID(name))})
		return err
	}
	if err := secret("users-api", "token-signing"); err != nil {
		t.Errorf("users-api reading its secret: %v", err)
	}
	if err := secret("users-api", "admin-token"); !denied(err) {
		t.Errorf("users-api reading the admin token: %v, want AccessDeniedException", err)
	}
}
