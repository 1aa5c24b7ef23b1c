// Package store connects functions to DynamoDB through guregu/dynamo: one DB
// per process, built at init from the environment, and table names resolved
// from the variables the topology sets.
package store

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/guregu/dynamo/v2"

	"github.com/kiosk-news/kiosk/shared/platform/awsenv"
	"github.com/kiosk-news/kiosk/shared/platform/contract"
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
	name := os.Getenv(contract.TableEnv(logical))
	if name == "" {
		return dynamo.Table{}, fmt.Errorf("table %q: %s is not set; is the function granted it in the topology?", logical, contract.TableEnv(logical))
	}
	t := db.Table(name)
	if _, done := warmed.LoadOrStore(db, true); !done {
		warm(t)
	}
	return t, nil
}

var warmed sync.Map // *dynamo.DB → true

// warm makes one DescribeTable call at init, which every grant allows: the
// client's first call pays for the connection (TCP and TLS in AWS), the
// credential and endpoint resolution and the SDK's lazy set-up, and init is
// where Lambda gives a function a full CPU whatever its memory size, so the
// first request no longer pays it. A failure is ignored: the request will
// try again and report it.
func warm(t dynamo.Table) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if _, err := t.Describe().Run(ctx); err != nil {
		slog.Debug("store warm-up", "table", t.Name(), "error", err)
	}
}
