package user

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kiosk-news/kiosk/shared/auth"
	"github.com/kiosk-news/kiosk/shared/kiosk"
)

// live asks the store what the authorizer asks: is the access token's
// session live?
func live(t *testing.T, s *Service, key []byte, accessToken string, now time.Time) bool {
	t.Helper()
	c, err := auth.Verify(key, accessToken, now)
	if err != nil {
		return false
	}
	ok, err := s.Sessions.Live(context.Background(), c.Subject, c.Session)
	if err != nil {
		t.Fatal(err)
	}
	return ok
}

func TestServiceARefreshTokenWorksOnceAndItsReuseEndsTheSession(t *testing.T) {
	ctx := context.Background()
	key := []byte("k")
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	s := newService(t, key, &now)
	reg, _ := s.Register(ctx)
	other, _ := s.Register(ctx)

	now = now.Add(50 * time.Minute)
	next, err := s.Refresh(ctx, reg.RefreshToken)
	if err != nil || next.UserID != reg.UserID || next.RefreshToken == reg.RefreshToken || next.Token == reg.Token ||
		!next.ExpiresAt.Equal(now.Add(auth.AccessTTL)) {
		t.Fatalf("refresh = %+v, %v", next, err)
	}
	if !live(t, s, key, next.Token, now) || !live(t, s, key, reg.Token, now) {
		t.Fatal("the session is not live after a refresh")
	}
	// The first token again: someone else holds it. The session ends for
	// everyone, the newest tokens included; the other install is untouched.
	_, err = s.Refresh(ctx, reg.RefreshToken)
	if kiosk.ErrorCode(err) != kiosk.EUNAUTHORIZED || !strings.Contains(err.Error(), "already used") {
		t.Fatalf("a reused refresh token: %v", err)
	}
	if live(t, s, key, next.Token, now) {
		t.Error("the newest access token's session is still live after a reuse")
	}
	if _, err := s.Refresh(ctx, next.RefreshToken); kiosk.ErrorCode(err) != kiosk.EUNAUTHORIZED {
		t.Errorf("the newest refresh token after a reuse: %v", err)
	}
	if !live(t, s, key, other.Token, now) {
		t.Error("another install's session ended")
	}
	if _, err := s.Refresh(ctx, other.RefreshToken); err != nil {
		t.Errorf("another install's refresh: %v", err)
	}
}

func TestServiceSigningOutEverywhereEndsTheSession(t *testing.T) {
	ctx := context.Background()
	key := []byte("k")
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	s := newService(t, key, &now)
	reg, _ := s.Register(ctx)
	next, _ := s.Refresh(ctx, reg.RefreshToken)
	if err := s.SignOutEverywhere(ctx, reg.UserID); err != nil {
		t.Fatal(err)
	}
	if live(t, s, key, next.Token, now) || live(t, s, key, reg.Token, now) {
		t.Error("an access token's session is live after signing out")
	}
	if _, err := s.Refresh(ctx, next.RefreshToken); kiosk.ErrorCode(err) != kiosk.EUNAUTHORIZED {
		t.Errorf("refresh after signing out: %v", err)
	}
	if err := s.SignOutEverywhere(ctx, reg.UserID); err != nil {
		t.Errorf("signing out twice: %v", err)
	}
}

func TestServiceRefreshRefusesWhatItDidNotIssue(t *testing.T) {
	ctx := context.Background()
	key := []byte("k")
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	s := newService(t, key, &now)
	reg, _ := s.Register(ctx)
	for name, tok := range map[string]string{
		"an empty token":          "",
		"garbage":                 "not a token",
		"a well-formed stranger":  "r1." + strings.Repeat("A", 43),
		"an access token":         reg.Token,
		"a token with a new line": reg.RefreshToken + "\n",
	} {
		if _, err := s.Refresh(ctx, tok); kiosk.ErrorCode(err) != kiosk.EUNAUTHORIZED {
			t.Errorf("%s: %v", name, err)
		}
	}
	// None of that touched the real session.
	if _, err := s.Refresh(ctx, reg.RefreshToken); err != nil {
		t.Errorf("the real token after the strangers: %v", err)
	}
	// A refresh token expires; so does a session nobody refreshes.
	reg2, _ := s.Register(ctx)
	now = now.Add(RefreshTTL)
	if _, err := s.Refresh(ctx, reg2.RefreshToken); kiosk.ErrorCode(err) != kiosk.EUNAUTHORIZED {
		t.Errorf("an expired refresh token: %v", err)
	}
}

// TestServiceTwoRacingRefreshesEndTheSession: the same refresh token sent twice at
// once (a thief racing the app) never yields two live successors: at most one
// refresh succeeds, and the reuse ends the session, so that successor dies too.
func TestServiceTwoRacingRefreshesEndTheSession(t *testing.T) {
	ctx := context.Background()
	key := []byte("k")
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	s := newService(t, key, &now)
	for round := range 5 {
		reg, err := s.Register(ctx)
		if err != nil {
			t.Fatal(err)
		}
		results := make(chan Registration, 4)
		errs := make(chan error, 4)
		var wg sync.WaitGroup
		for range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				next, err := s.Refresh(ctx, reg.RefreshToken)
				if err != nil {
					errs <- err
					return
				}
				results <- next
			}()
		}
		wg.Wait()
		close(results)
		close(errs)
		if len(results) > 1 {
			t.Errorf("round %d: %d refreshes of one token succeeded", round, len(results))
		}
		for err := range errs {
			if kiosk.ErrorCode(err) != kiosk.EUNAUTHORIZED {
				t.Errorf("round %d: a losing refresh: %v", round, err)
			}
		}
		for next := range results {
			if live(t, s, key, next.Token, now) {
				t.Errorf("round %d: the winner's session is live after a racing reuse", round)
			}
			if _, err := s.Refresh(ctx, next.RefreshToken); err == nil {
				t.Errorf("round %d: the winner's refresh token still works", round)
			}
		}
	}
}
