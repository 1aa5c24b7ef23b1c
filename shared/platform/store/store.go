// Package store connects functions to DynamoDB through guregu/dynamo: one DB
// per process, built at init from the environment, and table names resolved
// from the variables the topology sets.
package store

import (
	"fmt"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/guregu/dynamo/v2"

	"github.com/kiosk-news/kiosk/shared/kiosk"
	"github.com/kiosk-news/kiosk/shared/platform/awsenv"
)

// Open builds the DynamoDB client once; endpoints and credentials come from cfg
// (see awsenv.Load)
// and AWS_ENDPOINT_URL_DYNAMODB.
func Open(cfg aws.Config) *dynamo.DB {
	return dynamo.New(cfg, func(o *dynamodb.Options) { o.BaseEndpoint = awsenv.Endpoint("DYNAMODB") })
}

// Table returns the table whose logical name is given, failing when the function
// was not granted it (its env variable is unset).
func Table(db *dynamo.DB, logical string) (dynamo.Table, error) {
	name := os.Getenv(kiosk.TableEnv(logical))
	if name == "" {
		return dynamo.Table{}, fmt.Errorf("table %q: %s is not set; is the function granted it in the topology?", logical, kiosk.TableEnv(logical))
	}
	return db.Table(name), nil
}
