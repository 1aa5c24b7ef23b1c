package user

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"regexp"
	"time"

	"github.com/kiosk-news/kiosk/shared/kiosk"
)

// Sessions. An install's session is a family of rotating refresh tokens
// (OAuth 2.1): registration starts it; each refresh token works once and is
// swapped for the next one with a fresh access token (auth.AccessTTL); a
// refresh token presented a second time means two parties hold it, so the
// whole session ends, and with it every access token issued in it (the
// authorizer checks the session on each cache miss). Signing out everywhere
// ends the session too. An anonymous install has one session: once it
// ended, the app registers again.
const (
	// RefreshTTL is how long a refresh token (and a session nobody
	// refreshes) lives; each refresh starts it again.
	RefreshTTL = 30 * 24 * time.Hour
)

// RefreshToken is one issued refresh token, known to the store only by its
// SHA-256.
type RefreshToken struct {
	Hash      string
	UserID    string
	Session   string
	ExpiresAt time.Time
}

// SessionStore keeps sessions and refresh tokens: one item per user naming
// their live session, one per refresh token; every write a single-item
// conditional write.
type SessionStore interface {
	// Add stores a new, unused refresh token.
	Add(ctx context.Context, t RefreshToken) error
	// Token reads a refresh token by hash; ErrNotFound if unknown.
	Token(ctx context.Context, hash string) (RefreshToken, error)
	// Use marks a refresh token used; ErrUsed if it already was.
	Use(ctx context.Context, hash string, at time.Time) error
	// Start makes session the user's live session until until.
	Start(ctx context.Context, userID, session string, until time.Time) error
	// Extend moves the live session's end; ErrNotFound if session is not
	// (any longer) the user's live session.
	Extend(ctx context.Context, userID, session string, until time.Time) error
	// Live reports whether session is the user's live session.
	Live(ctx context.Context, userID, session string) (bool, error)
	// End ends the user's session if it is session; "" ends whichever is live.
	End(ctx context.Context, userID, session string) error
}

// ErrUsed is a refresh token presented a second time.
var ErrUsed = errors.New("refresh token already used")

const refreshPrefix = "r1."

var refreshForm = regexp.MustCompile(`^r1\.[A-Za-z0-9_-]{43}$`)

// newSecret returns a fresh refresh token and its hash, or a session id.
func newSecret() (token, hash string) {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	token = refreshPrefix + base64.RawURLEncoding.EncodeToString(b)
	return token, hashToken(token)
}

func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

func newSessionID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// startSession begins a new install's session and returns its tokens.
func (s *Service) startSession(ctx context.Context, userID string) (Registration, error) {
	now := s.now()
	session := newSessionID()
	token, hash := newSecret()
	if err := s.Sessions.Add(ctx, RefreshToken{Hash: hash, UserID: userID, Session: session, ExpiresAt: now.Add(RefreshTTL)}); err != nil {
		return Registration{}, err
	}
	if err := s.Sessions.Start(ctx, userID, session, now.Add(RefreshTTL)); err != nil {
		return Registration{}, err
	}
	return s.issue(userID, session, token, now), nil
}

// Refresh swaps a refresh token, once, for the next one and a fresh access
// token. A token presented again ends its whole session.
func (s *Service) Refresh(ctx context.Context, token string) (Registration, error) {
	invalid := kiosk.Errorf(kiosk.EUNAUTHORIZED, "this refresh token is not valid")
	if !refreshForm.MatchString(token) {
		return Registration{}, invalid
	}
	hash := hashToken(token)
	rt, err := s.Sessions.Token(ctx, hash)
	if errors.Is(err, ErrNotFound) {
		return Registration{}, invalid
	}
	if err != nil {
		return Registration{}, err
	}
	now := s.now()
	if !now.Before(rt.ExpiresAt) {
		return Registration{}, kiosk.Errorf(kiosk.EUNAUTHORIZED, "this refresh token has expired; register again")
	}
	ended := kiosk.Errorf(kiosk.EUNAUTHORIZED, "this session has ended (signed out, or a refresh token was used twice); register again")
	if live, err := s.Sessions.Live(ctx, rt.UserID, rt.Session); err != nil {
		return Registration{}, err
	} else if !live {
		return Registration{}, ended
	}
	// The next token is stored before this one is spent: a failure in
	// between leaves an unused token nobody knows, never a spent one
	// without a successor.
	next, nextHash := newSecret()
	if err := s.Sessions.Add(ctx, RefreshToken{Hash: nextHash, UserID: rt.UserID, Session: rt.Session, ExpiresAt: now.Add(RefreshTTL)}); err != nil {
		return Registration{}, err
	}
	if err := s.Sessions.Use(ctx, hash, now); errors.Is(err, ErrUsed) {
		if err := s.Sessions.End(ctx, rt.UserID, rt.Session); err != nil {
			return Registration{}, err
		}
		return Registration{}, kiosk.Errorf(kiosk.EUNAUTHORIZED,
			"this refresh token was already used, so it may be in other hands: the session is revoked; register again")
	} else if err != nil {
		return Registration{}, err
	}
	// The presented token is spent: from here on the caller must get its
	// successor, or a retry would be a reuse. Only a session that ended in
	// the meantime is refused; if the extension merely failed, the session
	// keeps its previous end and the next refresh extends it.
	if err := s.Sessions.Extend(ctx, rt.UserID, rt.Session, now.Add(RefreshTTL)); errors.Is(err, ErrNotFound) {
		return Registration{}, ended // ended between the check and the swap
	}
	return s.issue(rt.UserID, rt.Session, next, now), nil
}

// SignOutEverywhere ends the user's session: no refresh token of it works
// any more, and its access tokens stop within the authorizer's cache time.
func (s *Service) SignOutEverywhere(ctx context.Context, userID string) error {
	return s.Sessions.End(ctx, userID, "")
}
