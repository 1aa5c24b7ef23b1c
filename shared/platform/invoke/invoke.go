// Package invoke calls another function synchronously through Lambda Invoke
// (RequestResponse), JSON in and JSON out: the same call in AWS (the target's
// live alias, which the topology grants lambda:InvokeFunction on) and against
// the local cloud, which answers Invoke on AWS_ENDPOINT_URL_LAMBDA.
package invoke

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/kiosk-news/kiosk/shared/platform/awsenv"
	"github.com/kiosk-news/kiosk/shared/platform/boot"
	"github.com/kiosk-news/kiosk/shared/platform/contract"
)

// Function is a function this one may invoke (topology.Function.Invokes).
type Function struct {
	name, target string
	client       *lambda.Client
}

// Open returns the function named in the topology, or exits when the
// topology does not let this function invoke it (contract.InvokeEnv unset).
func Open(env *boot.Env, name string) *Function {
	target := env.Var(contract.InvokeEnv(name))
	if target == "" {
		boot.Fail("invoke "+name, fmt.Errorf("%s is not set; does the topology list %q in this function's Invokes?", contract.InvokeEnv(name), name))
	}
	return &Function{name: name, target: target,
		client: lambda.NewFromConfig(env.AWS, func(o *lambda.Options) { o.BaseEndpoint = awsenv.Endpoint("LAMBDA") })}
}

// Error is the invoked function's own failure (a handler error, a panic, a
// timeout, a response over the payload limit), as Lambda reports it.
type Error struct {
	Function, Type, Message string
}

func (e *Error) Error() string {
	return fmt.Sprintf("%s failed: %s: %s", e.Function, e.Type, e.Message)
}

// Call invokes the function with in as JSON and decodes its answer into out.
func (f *Function) Call(ctx context.Context, in, out any) error {
	payload, err := json.Marshal(in)
	if err != nil {
		return fmt.Errorf("invoke %s: %w", f.name, err)
	}
	res, err := f.client.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String(f.target),
		InvocationType: lambdatypes.InvocationTypeRequestResponse, Payload: payload})
	if err != nil {
		return fmt.Errorf("invoke %s: %w", f.name, err)
	}
	if res.FunctionError != nil {
		var fe struct {
			Type    string `json:"errorType"`
			Message string `json:"errorMessage"`
		}
		_ = json.Unmarshal(res.Payload, &fe)
		return &Error{Function: f.name, Type: fe.Type, Message: fe.Message}
	}
	if err := json.Unmarshal(res.Payload, out); err != nil {
		return fmt.Errorf("invoke %s: its answer: %w", f.name, err)
	}
	return nil
}
