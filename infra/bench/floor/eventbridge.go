//go:build floor_eventbridge

package main

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
)

func init() {
	calls = append(calls, func(ctx context.Context) error {
		_, err := eventbridge.NewFromConfig(cfg).PutEvents(ctx, &eventbridge.PutEventsInput{
			Entries: []types.PutEventsRequestEntry{{Source: aws.String("floor"), DetailType: aws.String("floor"), Detail: aws.String("{}")}},
		})
		return err
	})
}
