package awsenv

import (
	"context"
	"sync"
	"testing"
)

// TestTheCounterCountsEveryServiceItSees: the two services every function
// calls and any other, from concurrent calls (a handler's goroutines).
func TestTheCounterCountsEveryServiceItSees(t *testing.T) {
	ctx, c := WithCounter(context.Background())
	if got, _ := ctx.Value(counterKey{}).(*Counter); got != c {
		t.Fatal("the context does not carry the counter")
	}
	var wg sync.WaitGroup
	for range 50 {
		wg.Add(3)
		go func() { defer wg.Done(); c.add("DynamoDB") }()
		go func() { defer wg.Done(); c.add("EventBridge") }()
		go func() { defer wg.Done(); c.add("Secrets Manager") }()
	}
	wg.Wait()
	for _, s := range []string{"DynamoDB", "EventBridge", "Secrets Manager"} {
		if n := c.Count(s); n != 50 {
			t.Errorf("%s: %d calls, want 50", s, n)
		}
	}
	if n := c.Count("SQS"); n != 0 {
		t.Errorf("SQS: %d calls, want 0", n)
	}
}
