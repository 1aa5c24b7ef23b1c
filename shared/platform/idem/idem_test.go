package idem

import (
	"context"
	"errors"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kiosk-news/kiosk/infra/local/dynamotest"
)

func TestMain(m *testing.M) { os.Exit(dynamotest.Main(m)) }

var t0 = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

func newStore(t *testing.T, now *time.Time) *Store {
	return &Store{Table: dynamotest.Table(t, Table), Now: func() time.Time { return *now }, Retention: time.Hour, InProgress: time.Minute}
}

func TestOnceThenTheStoredResult(t *testing.T) {
	now := t0
	s := newStore(t, &now)
	ctx := context.Background()
	var runs atomic.Int32
	work := func(context.Context) ([]byte, error) { runs.Add(1); return []byte("result-1"), nil }
	for range 3 {
		got, err := s.Do(ctx, "k1", []byte("payload"), work)
		if err != nil || string(got) != "result-1" {
			t.Fatalf("Do = %q, %v", got, err)
		}
	}
	if runs.Load() != 1 {
		t.Errorf("the work ran %d times, want 1", runs.Load())
	}
	if _, err := s.Do(ctx, "k1", []byte("another payload"), work); !errors.Is(err, ErrMismatch) {
		t.Errorf("same key, other payload: %v, want ErrMismatch", err)
	}
	now = t0.Add(2 * time.Hour) // past retention: the key is new again
	if _, err := s.Do(ctx, "k1", []byte("another payload"), work); err != nil || runs.Load() != 2 {
		t.Errorf("after expiry: %v, runs %d", err, runs.Load())
	}
}

func TestConcurrentCallsDoTheWorkOnce(t *testing.T) {
	now := t0
	s := newStore(t, &now)
	var runs atomic.Int32
	var wg sync.WaitGroup
	var inProgress atomic.Int32
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := s.Do(context.Background(), "k2", []byte("p"), func(context.Context) ([]byte, error) {
				runs.Add(1)
				time.Sleep(300 * time.Millisecond)
				return []byte("r"), nil
			})
			if errors.Is(err, ErrInProgress) {
				inProgress.Add(1)
			} else if err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if runs.Load() != 1 || inProgress.Load() != 7 {
		t.Errorf("runs %d, refused as in progress %d; want 1 and 7", runs.Load(), inProgress.Load())
	}
}

func TestAFailureOrACrashLetsARetryRunAgain(t *testing.T) {
	now := t0
	s := newStore(t, &now)
	ctx := context.Background()
	boom := errors.New("boom")
	if _, err := s.Do(ctx, "k3", []byte("p"), func(context.Context) ([]byte, error) { return nil, boom }); !errors.Is(err, boom) {
		t.Fatalf("failing work: %v", err)
	}
	if got, err := s.Do(ctx, "k3", []byte("p"), func(context.Context) ([]byte, error) { return []byte("ok"), nil }); err != nil || string(got) != "ok" {
		t.Errorf("retry after a failure: %q %v", got, err)
	}

	// A crash: the work panics after the key was taken; nothing lets it go.
	func() {
		defer func() { _ = recover() }()
		_, _ = s.Do(ctx, "k4", []byte("p"), func(context.Context) ([]byte, error) { panic("crash") })
	}()
	if _, err := s.Do(ctx, "k4", []byte("p"), func(context.Context) ([]byte, error) { return []byte("x"), nil }); !errors.Is(err, ErrInProgress) {
		t.Errorf("right after a crash: %v, want ErrInProgress", err)
	}
	now = t0.Add(61 * time.Second) // past the in-progress expiry
	if got, err := s.Do(ctx, "k4", []byte("p"), func(context.Context) ([]byte, error) { return []byte("again"), nil }); err != nil || string(got) != "again" {
		t.Errorf("after the in-progress expiry: %q %v", got, err)
	}
}

// TestALostResponseIsAppliedNotRefused replays what the SDK does when a
// conditional put's response is lost: it sends the put again, which fails
// its condition on its own record. That must count as taken, not as someone
// else's call in progress.
func TestALostResponseIsAppliedNotRefused(t *testing.T) {
	now := t0
	s := newStore(t, &now)
	ctx := context.Background()
	defer func(f func() string) { newOwner = f }(newOwner)
	newOwner = func() string { return "this-call" }
	// The first attempt's put landed; its response never arrived.
	if err := s.Table.Put(record{PK: "idem#k5", Status: inProgress, PayloadHash: hashOf("p"), Owner: "this-call",
		LockedUntil: t0.Add(time.Minute).Unix(), ExpiresAt: t0.Add(time.Hour).Unix()}).Run(ctx); err != nil {
		t.Fatal(err)
	}
	got, err := s.Do(ctx, "k5", []byte("p"), func(context.Context) ([]byte, error) { return []byte("done"), nil })
	if err != nil || string(got) != "done" {
		t.Fatalf("the retried put was refused: %q %v", got, err)
	}
	newOwner = func() string { return "another-call" }
	if got, err := s.Do(ctx, "k5", []byte("p"), func(context.Context) ([]byte, error) { return nil, errors.New("ran twice") }); err != nil || string(got) != "done" {
		t.Errorf("a later call: %q %v, want the stored result", got, err)
	}
}
