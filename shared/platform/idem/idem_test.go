package idem

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kiosk-news/kiosk/shared/kiosk"
	"github.com/kiosk-news/kiosk/shared/platform/dynamotest"
)

func TestMain(m *testing.M) { os.Exit(dynamotest.Main(m)) }

var t0 = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

// Keys as apps make them: UUID v4s.
const (
	k1 = "0b7e4c1e-9a52-4b0e-8f43-6f0c2d1a9e11"
	k2 = "3f1d2c4b-5a69-4e78-9d0c-1b2a3c4d5e6f"
	k3 = "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d"
	k4 = "7c6b5a49-3827-4165-a4b3-c2d1e0f9a8b7"
	k5 = "5e4d3c2b-1a09-4f8e-b7d6-c5b4a3928170"
)

// one is a call from the first client, the way a handler makes it.
func one(key string, payload string) Call {
	return Call{Scope: "test", Key: key, Caller: "ip:127.0.0.21", Payload: []byte(payload)}
}

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
		got, err := s.Do(ctx, one(k1, "payload"), work)
		if err != nil || string(got) != "result-1" {
			t.Fatalf("Do = %q, %v", got, err)
		}
	}
	if runs.Load() != 1 {
		t.Errorf("the work ran %d times, want 1", runs.Load())
	}
	if _, err := s.Do(ctx, one(k1, "another payload"), work); !errors.Is(err, ErrMismatch) {
		t.Errorf("same key, other payload: %v, want ErrMismatch", err)
	}
	now = t0.Add(2 * time.Hour) // past retention: the key is new again
	if _, err := s.Do(ctx, one(k1, "another payload"), work); err != nil || runs.Load() != 2 {
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
			_, err := s.Do(context.Background(), one(k2, "p"), func(context.Context) ([]byte, error) {
				runs.Add(1)
				// The work lasts until every other call has been refused (or
				// 30 s), so a call that starts late on a busy machine still
				// finds it in progress: no race with a fixed sleep.
				for deadline := time.Now().Add(30 * time.Second); inProgress.Load() < 7 && time.Now().Before(deadline); {
					time.Sleep(5 * time.Millisecond)
				}
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
	if _, err := s.Do(ctx, one(k3, "p"), func(context.Context) ([]byte, error) { return nil, boom }); !errors.Is(err, boom) {
		t.Fatalf("failing work: %v", err)
	}
	if got, err := s.Do(ctx, one(k3, "p"), func(context.Context) ([]byte, error) { return []byte("ok"), nil }); err != nil || string(got) != "ok" {
		t.Errorf("retry after a failure: %q %v", got, err)
	}

	// A crash: the work panics after the key was taken; nothing lets it go.
	func() {
		defer func() { _ = recover() }()
		_, _ = s.Do(ctx, one(k4, "p"), func(context.Context) ([]byte, error) { panic("crash") })
	}()
	if _, err := s.Do(ctx, one(k4, "p"), func(context.Context) ([]byte, error) { return []byte("x"), nil }); !errors.Is(err, ErrInProgress) {
		t.Errorf("right after a crash: %v, want ErrInProgress", err)
	}
	now = t0.Add(61 * time.Second) // past the in-progress expiry
	if got, err := s.Do(ctx, one(k4, "p"), func(context.Context) ([]byte, error) { return []byte("again"), nil }); err != nil || string(got) != "again" {
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
	if err := s.Table.Put(record{PK: "idem#test#" + hashOf(k5), CallerHash: hashOf("caller|ip:127.0.0.21"), Status: inProgress, PayloadHash: hashOf("p"), Owner: "this-call",
		LockedUntil: t0.Add(time.Minute).Unix(), ExpiresAt: t0.Add(time.Hour).Unix()}).Run(ctx); err != nil {
		t.Fatal(err)
	}
	got, err := s.Do(ctx, one(k5, "p"), func(context.Context) ([]byte, error) { return []byte("done"), nil })
	if err != nil || string(got) != "done" {
		t.Fatalf("the retried put was refused: %q %v", got, err)
	}
	newOwner = func() string { return "another-call" }
	if got, err := s.Do(ctx, one(k5, "p"), func(context.Context) ([]byte, error) { return nil, errors.New("ran twice") }); err != nil || string(got) != "done" {
		t.Errorf("a later call: %q %v, want the stored result", got, err)
	}
}

// TestAKeyIsASecretOfItsClient replays one client's key from a second
// client, at every stage of the first one's call: the second is refused as
// ErrReused, its work never runs, and the first still gets its own outcome.
func TestAKeyIsASecretOfItsClient(t *testing.T) {
	now := t0
	s := newStore(t, &now)
	ctx := context.Background()
	first := one(k1, "")
	second := first
	second.Caller = "ip:127.0.0.77"
	never := func(context.Context) ([]byte, error) { t.Error("the work ran for the second client"); return nil, nil }

	// While the first call is in progress.
	started, release := make(chan struct{}), make(chan struct{})
	done := make(chan []byte)
	go func() {
		got, err := s.Do(ctx, first, func(context.Context) ([]byte, error) {
			close(started)
			<-release
			return []byte("user-1 and its token"), nil
		})
		if err != nil {
			t.Error(err)
		}
		done <- got
	}()
	<-started
	if got, err := s.Do(ctx, second, never); !errors.Is(err, ErrReused) || got != nil {
		t.Errorf("a second client during the first call: %q %v, want ErrReused and nothing", got, err)
	}
	close(release)
	if got := <-done; string(got) != "user-1 and its token" {
		t.Fatalf("the first call got %q", got)
	}

	// After it completed: the second client is still refused, with the same
	// or any other payload; the first gets its stored outcome.
	for _, c := range []Call{second, {Scope: "test", Key: k1, Caller: "ip:127.0.0.77", Payload: []byte("other")}, {Scope: "test", Key: k1, Caller: "user:u2"}} {
		if got, err := s.Do(ctx, c, never); !errors.Is(err, ErrReused) || got != nil {
			t.Errorf("%s after the first call: %q %v, want ErrReused and nothing", c.Caller, got, err)
		}
	}
	if got, err := s.Do(ctx, first, never); err != nil || string(got) != "user-1 and its token" {
		t.Errorf("the first client's replay: %q %v", got, err)
	}

	// A crashed call's key is not taken over by another client after its
	// in-progress expiry either; only its own client may run it again.
	func() {
		defer func() { _ = recover() }()
		_, _ = s.Do(ctx, one(k2, ""), func(context.Context) ([]byte, error) { panic("crash") })
	}()
	now = t0.Add(2 * time.Minute)
	other := one(k2, "")
	other.Caller = "ip:127.0.0.77"
	if _, err := s.Do(ctx, other, never); !errors.Is(err, ErrReused) {
		t.Errorf("another client after a crash: %v, want ErrReused", err)
	}
	if got, err := s.Do(ctx, one(k2, ""), func(context.Context) ([]byte, error) { return []byte("again"), nil }); err != nil || string(got) != "again" {
		t.Errorf("its own client after a crash: %q %v", got, err)
	}
}

// TestTheTableHoldsNeitherTheKeyNorTheOutcome reads the raw items: the key
// is there only as a hash, the caller too, and the result is sealed with a
// key derived from the client's key.
func TestTheTableHoldsNeitherTheKeyNorTheOutcome(t *testing.T) {
	now := t0
	s := newStore(t, &now)
	ctx := context.Background()
	if _, err := s.Do(ctx, one(k3, "p"), func(context.Context) ([]byte, error) { return []byte("refresh-token-secret"), nil }); err != nil {
		t.Fatal(err)
	}
	var items []map[string]any
	if err := s.Table.Scan().All(ctx, &items); err != nil || len(items) != 1 {
		t.Fatalf("scan: %v %v", items, err)
	}
	raw := fmt.Sprint(items[0])
	for _, secret := range []string{k3, "127.0.0.21", "refresh-token-secret", hex.EncodeToString([]byte("refresh-token-secret"))} {
		if strings.Contains(raw, secret) {
			t.Errorf("the item holds %q in the clear: %s", secret, raw)
		}
	}
	var rec record
	_ = s.Table.Get("pk", "idem#test#"+hashOf(k3)).One(ctx, &rec)
	if strings.Contains(string(rec.Result), "refresh-token-secret") {
		t.Errorf("the stored result is readable: %q", rec.Result)
	}
}

func TestRandomKeysOfEveryFormAreAccepted(t *testing.T) {
	r := mrand.New(mrand.NewPCG(1, 2)) // fixed seed: the test cannot flake
	const b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	draw := func(n int, from string) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = from[r.IntN(len(from))]
		}
		return string(b)
	}
	for i := range 20000 {
		h := draw(32, "0123456789abcdef")
		keys := []string{
			h[:8] + "-" + h[8:12] + "-4" + h[13:16] + "-" + string("89ab"[r.IntN(4)]) + h[17:20] + "-" + h[20:],
			h,
			draw(22, b64),
		}
		for _, k := range keys {
			if err := CheckKey(k); err != nil {
				t.Fatalf("random key %d %q refused: %v", i, k, err)
			}
		}
	}
}

func TestOnlyUnguessableKeysAreAccepted(t *testing.T) {
	cases := []struct {
		name, key string
		ok        bool
	}{
		{"a UUID v4", "0b7e4c1e-9a52-4b0e-8f43-6f0c2d1a9e11", true},
		{"a UUID v4 in upper case", "0B7E4C1E-9A52-4B0E-8F43-6F0C2D1A9E11", true},
		{"32 random hex digits", "9f86d081884c7d659a2feaa0c55ad015", true},
		{"22 random base64url characters", "q3V_9xZk-2LpA7mN0bR4tw", true},
		{"43 base64url characters (256 bits)", "n4bQgYhMfWWaL-qgxVrQFaO_TxsrC4Is0V1sFbDwCgg", true},
		{"a counter", "install-1", false},
		{"a short word", "12345678", false},
		{"31 hex digits", "9f86d081884c7d659a2feaa0c55ad01", false},
		{"21 base64url characters", "q3V_9xZk-2LpA7mN0bR4t", false},
		{"a padded counter", "install-00000000000000000001", false},
		{"a time-based UUID (v1)", "6ba7b810-9dad-11d1-80b4-00c04fd430c8", false},
		{"a UUID v7", "01890a5d-ac96-774b-bcce-b302099a8057", false},
		{"a UUID with a bad variant", "0b7e4c1e-9a52-4b0e-cf43-6f0c2d1a9e11", false},
		{"spaces", "q3V_9xZk 2LpA7mN0bR4twq3V_9", false},
		{"base64 padding and slashes", "q3V/9xZk+2LpA7mN0bR4tw==", false},
		{"an empty key", "", false},
		{"129 characters", strings.Repeat("q3V_9xZk-2LpA7mN", 8) + "x", false},
		{"non-ASCII", "q3V_9xZk-2LpA7mN0bR4twé", false},
		{"a UUID v4 of zeros", "00000000-0000-4000-8000-000000000000", false},
		{"a UUID v4 of ones", "11111111-1111-4111-8111-111111111111", false},
		{"a UUID v4 counting up", "01234567-89ab-4def-8123-456789abcdef", false},
		{"hex digits repeating 0-f", "0123456789abcdef0123456789abcdef", false},
		{"decimal digits counting up", "12345678901234567890123456789012", false},
		{"the alphabet", "abcdefghijklmnopqrstuv", false},
		{"a word repeated", "kioskkioskkioskkioskkiosk", false},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%s is %s", c.name, map[bool]string{true: "accepted", false: "refused"}[c.ok]), func(t *testing.T) {
			err := CheckKey(c.key)
			if (err == nil) != c.ok {
				t.Fatalf("CheckKey(%q) = %v", c.key, err)
			}
			if err != nil && (kiosk.ErrorCode(err) != kiosk.EINVALID || !strings.Contains(err.Error(), "unguessable")) {
				t.Errorf("the refusal is not a clear invalid_argument: %v", err)
			}
		})
	}
	now := t0
	s := newStore(t, &now)
	if _, err := s.Do(context.Background(), one("install-1", ""), func(context.Context) ([]byte, error) {
		t.Error("the work ran for a weak key")
		return nil, nil
	}); kiosk.ErrorCode(err) != kiosk.EINVALID {
		t.Errorf("Do with a weak key: %v", err)
	}
}
