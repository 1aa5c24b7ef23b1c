package user

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/kiosk-news/kiosk/shared/kiosk"
	"github.com/kiosk-news/kiosk/shared/platform/contract"
	"github.com/kiosk-news/kiosk/shared/platform/dynamotest"
	"github.com/kiosk-news/kiosk/shared/platform/idem"
)

// TestARegistrationKeyReplaysTheSameInstallToItsClientOnly: the idempotent
// registration on the real idempotency store (dynalite).
func TestARegistrationKeyReplaysTheSameInstallToItsClientOnly(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	s := newService(t, []byte("k"), &now)
	s.Keys = &idem.Store{Table: dynamotest.Table(t, contract.IdempotencyTable), Now: func() time.Time { return now }}
	const key = "3f1c2a9e-7b4d-4e8a-9c6f-2d5b8a1e0c7f"

	first, replayed, err := s.RegisterOnce(ctx, key, "203.0.113.7")
	if err != nil || replayed {
		t.Fatalf("the first registration: replayed %v, %v", replayed, err)
	}
	again, replayed, err := s.RegisterOnce(ctx, key, "203.0.113.7")
	if err != nil || !replayed || string(again) != string(first) {
		t.Fatalf("the retry: replayed %v, %v;\n got %s\nwant %s", replayed, err, again, first)
	}
	var reg Registration
	if err := json.Unmarshal(first, &reg); err != nil || reg.UserID == "" || reg.RefreshToken == "" {
		t.Fatalf("the registration %s: %v", first, err)
	}
	if _, err := s.Store.Get(ctx, reg.UserID); err != nil {
		t.Errorf("the install was not stored: %v", err)
	}
	out, replayed, err := s.RegisterOnce(ctx, key, "198.51.100.9")
	if kiosk.ErrorCode(err) != kiosk.EREUSED || out != nil || replayed {
		t.Errorf("the key from another client: %s, replayed %v, %v (%s), want reused and nothing", out, replayed, err, kiosk.ErrorCode(err))
	}
	if _, _, err := s.RegisterOnce(ctx, "1234", "203.0.113.7"); kiosk.ErrorCode(err) != kiosk.EINVALID {
		t.Errorf("a guessable key: %v, want invalid", err)
	}
	a, _, errA := s.RegisterOnce(ctx, "", "203.0.113.7")
	b, _, errB := s.RegisterOnce(ctx, "", "203.0.113.7")
	if errA != nil || errB != nil || string(a) == string(b) {
		t.Errorf("two registrations without a key: %v, %v; the same install twice: %v", errA, errB, string(a) == string(b))
	}
}
