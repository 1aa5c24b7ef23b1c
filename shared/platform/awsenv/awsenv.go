// Package awsenv builds the AWS SDK configuration from the environment — region,
// credentials and per-service endpoints such as AWS_ENDPOINT_URL_DYNAMODB, which
// is how the local cloud points functions at itself — and counts the AWS calls
// each invocation makes, for the access log and the per-request budgets.
//
// It reads the environment directly instead of calling config.LoadDefaultConfig:
// Lambda always hands a function its region and role credentials in environment
// variables, and LoadDefaultConfig links the SSO, SSO-OIDC, STS, sign-in and IMDS
// clients into every binary (+1.3 MiB stripped; it put health-api at 10.7 MiB,
// over the 10 MiB budget) for credential sources a Lambda never uses.
package awsenv

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
)

// Load reads the configuration once; call it at init, never per request.
func Load(_ context.Context) (aws.Config, error) {
	region := firstEnv("AWS_REGION", "AWS_DEFAULT_REGION")
	if region == "" {
		return aws.Config{}, errors.New("awsenv: AWS_REGION is not set")
	}
	return aws.Config{
		Region:      region,
		Credentials: aws.NewCredentialsCache(aws.CredentialsProviderFunc(fromEnv)),
		APIOptions:  []func(*middleware.Stack) error{countCalls},
	}, nil
}

// Endpoint returns the endpoint override for a service id as the AWS SDKs name
// it in AWS_ENDPOINT_URL_<SERVICE> ("DYNAMODB", "EVENTBRIDGE"), falling back to
// AWS_ENDPOINT_URL; nil means the service's public endpoint.
func Endpoint(service string) *string {
	if v := firstEnv("AWS_ENDPOINT_URL_"+strings.ToUpper(service), "AWS_ENDPOINT_URL"); v != "" {
		return aws.String(v)
	}
	return nil
}

func fromEnv(context.Context) (aws.Credentials, error) {
	c := aws.Credentials{
		AccessKeyID:     firstEnv("AWS_ACCESS_KEY_ID", "AWS_ACCESS_KEY"),
		SecretAccessKey: firstEnv("AWS_SECRET_ACCESS_KEY", "AWS_SECRET_KEY"),
		SessionToken:    os.Getenv("AWS_SESSION_TOKEN"),
		Source:          "EnvironmentVariables",
	}
	if c.AccessKeyID == "" || c.SecretAccessKey == "" {
		return c, errors.New("awsenv: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set")
	}
	return c, nil
}

func firstEnv(names ...string) string {
	for _, n := range names {
		if v := os.Getenv(n); v != "" {
			return v
		}
	}
	return ""
}

type counterKey struct{}

// Counter counts AWS calls by service id ("DynamoDB", "EventBridge").
// Every request and event has one: the two services Kiosk calls are plain
// fields, so counting them allocates nothing; others go to a map made on
// first use.
type Counter struct {
	mu               sync.Mutex
	dynamodb, events int
	other            map[string]int
}

// WithCounter returns a context whose AWS calls are counted.
func WithCounter(ctx context.Context) (context.Context, *Counter) {
	c := &Counter{}
	return context.WithValue(ctx, counterKey{}, c), c
}

// Count returns the calls made to a service so far.
func (c *Counter) Count(service string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch service {
	case "DynamoDB":
		return c.dynamodb
	case "EventBridge":
		return c.events
	}
	return c.other[service]
}

func (c *Counter) add(service string) {
	c.mu.Lock()
	switch service {
	case "DynamoDB":
		c.dynamodb++
	case "EventBridge":
		c.events++
	default:
		if c.other == nil {
			c.other = map[string]int{}
		}
		c.other[service]++
	}
	c.mu.Unlock()
}

// countCalls is an SDK middleware; it counts each operation once, its retries
// included in the one count.
func countCalls(stack *middleware.Stack) error {
	return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("KioskCountCalls",
		func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			if c, ok := ctx.Value(counterKey{}).(*Counter); ok {
				c.add(awsmiddleware.GetServiceID(ctx))
			}
			return next.HandleInitialize(ctx, in)
		}), middleware.After)
}

// Transient reports whether err is a dependency's temporary failure that the
// SDK's retries did not overcome — throttling, a server error, a lost
// connection — so the caller may try again later (503 with Retry-After).
func Transient(err error) bool {
	var op *smithy.OperationError
	if !errors.As(err, &op) {
		return false // not an AWS call's failure (a deadline of our own is not the dependency's)
	}
	var maxAttempts *retry.MaxAttemptsError
	if errors.As(err, &maxAttempts) {
		return true
	}
	// The call ran out of the time the invocation keeps for it
	// (httpapi.Reserve) while the dependency was still throttling or slow.
	if errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var api smithy.APIError
	if errors.As(err, &api) {
		switch api.ErrorCode() {
		case "ThrottlingException", "ProvisionedThroughputExceededException", "RequestLimitExceeded",
			"InternalServerError", "InternalException", "ServiceUnavailable", "ThrottledException":
			return true
		}
	}
	var resp *awshttp.ResponseError
	if errors.As(err, &resp) && resp.HTTPStatusCode() >= 500 {
		return true
	}
	var netErr net.Error
	return errors.As(err, &netErr) || errors.Is(err, io.ErrUnexpectedEOF)
}
