package awsenv

import (
	"context"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/smithy-go"
)

func TestTransient(t *testing.T) {
	op := func(err error) error {
		return fmt.Errorf("store: %w", &smithy.OperationError{ServiceID: "DynamoDB", OperationName: "PutItem", Err: err})
	}
	for _, c := range []struct {
		name string
		err  error
		want bool
	}{
		{"nil", nil, false},
		{"our own deadline", context.DeadlineExceeded, false},
		{"an AWS call out of the invocation's time (httpapi.Reserve)", op(fmt.Errorf("retry: %w", context.DeadlineExceeded)), true},
		{"a plain error", fmt.Errorf("boom"), false},
		{"retries exhausted", op(&retry.MaxAttemptsError{Attempt: 3, Err: fmt.Errorf("throttled")}), true},
		{"throttling", op(&smithy.GenericAPIError{Code: "ThrottlingException"}), true},
		{"provisioned throughput", op(&smithy.GenericAPIError{Code: "ProvisionedThroughputExceededException"}), true},
		{"a failed condition", op(&smithy.GenericAPIError{Code: "ConditionalCheckFailedException"}), false},
		{"access denied", op(&smithy.GenericAPIError{Code: "AccessDeniedException"}), false},
	} {
		if got := Transient(c.err); got != c.want {
			t.Errorf("%s: Transient = %v, want %v", c.name, got, c.want)
		}
	}
}
