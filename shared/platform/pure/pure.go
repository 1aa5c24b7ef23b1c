// Package pure is the init of a function that calls no AWS API (parse-feed):
// GOMAXPROCS from the memory size as boot sets it (procs.Set), the JSON
// logger, named from the environment as boot names it, and the Lambda entry
// point — without boot, which links the SDK's configuration and DynamoDB
// client into every binary that imports it. Such a function has no
// credentials to use: its role grants nothing but its logs.
package pure

import (
	"context"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/kiosk-news/kiosk/shared/platform/contract"
	"github.com/kiosk-news/kiosk/shared/platform/logs"
	"github.com/kiosk-news/kiosk/shared/platform/procs"
	_ "github.com/kiosk-news/kiosk/shared/platform/selfprofile" // make bench's self-profiling, only with -tags pprof
)

// Start sets the function up from its environment and serves h: a typed
// request in, a typed answer out.
func Start[In, Out any](h func(ctx context.Context, in In) (Out, error)) {
	setup(os.Getenv)
	lambda.Start(h)
}

// setup is Start's init, before it serves: what boot.FromEnv does for a
// function that calls AWS, less the AWS configuration.
func setup(lookup func(string) string) {
	procs.Set(lookup)
	logs.Setup(lookup(contract.FunctionEnv))
}
