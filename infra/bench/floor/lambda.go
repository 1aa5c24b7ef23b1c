//go:build floor_lambda

package main

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	awslambda "github.com/aws/aws-sdk-go-v2/service/lambda"
)

func init() {
	calls = append(calls, func(ctx context.Context) error {
		_, err := awslambda.NewFromConfig(cfg).Invoke(ctx, &awslambda.InvokeInput{FunctionName: aws.String("floor")})
		return err
	})
}
