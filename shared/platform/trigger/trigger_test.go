package trigger

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

type detail struct {
	Run string    `json:"run"`
	At  time.Time `json:"at"`
}

func TestWrapDecodesTheCatalogueSample(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "..", "..", "events", "samples", "platform.heartbeat.json"))
	if err != nil {
		t.Fatal(err)
	}
	var got Event[detail]
	err = Wrap(func(_ context.Context, e Event[detail]) error { got = e; return nil })(context.Background(), raw)
	if err != nil {
		t.Fatal(err)
	}
	if got.DetailType != "platform.heartbeat" || got.Detail.Run == "" || got.Detail.At.IsZero() || got.ID == "" {
		t.Errorf("decoded %+v", got)
	}
}

func TestWrapRefuses(t *testing.T) {
	cases := map[string]string{
		"an unknown detail field": `{"id":"1","detail-type":"x","detail":{"run":"r","at":"2026-01-01T00:00:00Z","extra":1}}`,
		"a wrongly typed detail":  `{"id":"1","detail-type":"x","detail":{"run":7}}`,
		"a non-JSON event":        `nope`,
	}
	for name, raw := range cases {
		t.Run("it returns an error for "+name, func(t *testing.T) {
			called := false
			err := Wrap(func(context.Context, Event[detail]) error { called = true; return nil })(context.Background(), []byte(raw))
			if err == nil || called {
				t.Errorf("err = %v, handler called = %v", err, called)
			}
		})
	}
}

func TestWrapReturnsTheHandlersError(t *testing.T) {
	boom := errors.New("boom")
	err := Wrap(func(context.Context, Event[Scheduled]) error { return boom })(context.Background(),
		[]byte(`{"id":"1","detail-type":"Scheduled Event","source":"aws.events","detail":{}}`))
	if !errors.Is(err, boom) {
		t.Errorf("err = %v, want boom (so Lambda retries the delivery)", err)
	}
}
