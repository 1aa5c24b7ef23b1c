package user

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"regexp"
	"time"
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
