// Command hello is the cold-start baseline of `make bench`: a hello-world Go
// Lambda built with the functions' flags (maxday/lambda-perf's Go entry does
// the same), so each function's cold start is reported against it.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"
)

func main() {
	lambda.Start(func(ctx context.Context) (string, error) { return "hello", nil })
}
