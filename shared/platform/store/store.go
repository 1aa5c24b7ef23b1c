// Package store connects functions to DynamoDB through guregu/dynamo: one DB
// per process, built at init (by boot.Env) from the AWS configuration.
package store

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/guregu/dynamo/v2"

	"github.com/kiosk-news/kiosk/shared/platform/awsenv"
)

// Open builds the DynamoDB client once; endpoints and credentials come from cfg
// (see awsenv.Load)
// and AWS_ENDPOINT_URL_DYNAMODB.
func Open(cfg aws.Config) *dynamo.DB {
	return dynamo.New(cfg, func(o *dynamodb.Options) {
		o.BaseEndpoint = awsenv.Endpoint("DYNAMODB")
		o.Retryer = retryer()
	})
}

// retryer is DynamoDB's retry policy: 4 attempts from a 25 ms base backoff,
// the SDK's own default for DynamoDB since service/dynamodb v1.74. go.mod
// holds service/dynamodb at v1.68.0, the last release before the schema-based
// serializers (they link every operation's schema into every bootstrap,
// +0.75 MiB), whose default was the generic 3 attempts from 50 ms; stating the
// policy here keeps it whichever version is linked.
func retryer() aws.Retryer {
	return retry.NewStandard(func(o *retry.StandardOptions) {
		o.MaxAttempts = 4
		o.BaseDelay = 25 * time.Millisecond
	})
}

// Table returns the table of a physical name (boot.Env.Table resolves the
// logical name the topology grants), warming the client on its first table.
func Table(db *dynamo.DB, name string) dynamo.Table {
	t := db.Table(name)
	if _, done := warmed.LoadOrStore(db, true); !done {
		warm(t)
	}
	return t
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
