// Package auth signs and verifies Kiosk's bearer tokens and decides, for the
// Lambda authorizer, whether a request may reach a route: app users carry a
// short-lived signed access token naming their user id and session; operators
// carry the admin token.
package auth

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/kiosk-news/kiosk/shared/platform/contract"
)

// Roles a caller can have.
const (
	RoleUser  = contract.RoleUser
	RoleAdmin = contract.RoleAdmin
)

// AccessTTL is how long a user's access token lives; the app gets the next
// one with its refresh token. The gateway caches the authorizer's decision
// for less than this (topology.AuthorizerCacheTTL), so a revoked session's
// access tokens stop working within that cache time.
const AccessTTL = time.Hour

// Claims are what a user token says.
type Claims struct {
	Subject  string `json:"sub"`
	Role     string `json:"role"`
	IssuedAt int64  `json:"iat"`
	Expires  int64  `json:"exp"`
	// Session is the refresh-token family the access token was issued in;
	// the authorizer lets it through only while that session is live.
	Session string `json:"sid,omitempty"`
	// ID makes every access token unique, even two issued in the same
	// second of one session (the gateway caches decisions per token).
	ID string `json:"jti,omitempty"`
}

// Sessions tells the authorizer whether a user's session is still live
// (not revoked, not signed out); one read, made only on a cache miss.
type Sessions interface {
	Live(ctx context.Context, userID, session string) (bool, error)
}

// Token errors.
var (
	ErrMalformed = errors.New("malformed token")
	ErrSignature = errors.New("bad token signature")
	ErrExpired   = errors.New("token expired")
)

const prefix = "v1."

// Strict: a signature has one spelling (a lenient decoder ignores the last
// character's spare bits, so four tokens would verify as one).
var b64 = base64.RawURLEncoding.Strict()

// Sign makes a token: v1.<payload>.<HMAC-SHA256 of "v1.<payload>">.
func Sign(key []byte, c Claims) string {
	payload, _ := json.Marshal(c)
	body := prefix + b64.EncodeToString(payload)
	return body + "." + b64.EncodeToString(mac(key, body))
}

func mac(key []byte, s string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(s))
	return m.Sum(nil)
}

// Verify checks a token's signature and expiry and returns its claims.
func Verify(key []byte, token string, now time.Time) (Claims, error) {
	if len(token) > 1024 || !strings.HasPrefix(token, prefix) {
		return Claims{}, ErrMalformed
	}
	i := strings.LastIndexByte(token, '.')
	if i <= len(prefix) {
		return Claims{}, ErrMalformed
	}
	body, sig := token[:i], token[i+1:]
	got, err := b64.DecodeString(sig)
	if err != nil {
		return Claims{}, ErrMalformed
	}
	if !hmac.Equal(got, mac(key, body)) {
		return Claims{}, ErrSignature
	}
	raw, err := b64.DecodeString(strings.TrimPrefix(body, prefix))
	if err != nil {
		return Claims{}, ErrMalformed
	}
	var c Claims
	if err := json.Unmarshal(raw, &c); err != nil || c.Subject == "" || c.Role == "" {
		return Claims{}, ErrMalformed
	}
	if now.Unix() >= c.Expires {
		return Claims{}, ErrExpired
	}
	return c, nil
}

// Authorizer decides requests for the HTTP API's Lambda authorizer.
type Authorizer struct {
	SigningKey []byte
	AdminToken string
	// Routes maps route keys ("GET /v1/users/me") to their auth mode
	// ("user", "admin"), from the topology.
	Routes map[string]string
	// Sessions checks that a user token's session is live; a token
	// without a session is refused.
	Sessions Sessions
	Now      func() time.Time
}

// Decision is the authorizer's answer; Context reaches the function as the
// authorizer context.
type Decision struct {
	Allowed bool
	Context map[string]string
	Reason  string
}

// Decide authorizes a request to routeKey carrying the Authorization header.
// A route gets exactly the role it declares: an admin token opens admin routes
// only, a user token user routes only, and only while its session is live.
// An error means the session could not be checked (the authorizer fails, the
// gateway answers 500 and caches nothing).
func (a *Authorizer) Decide(ctx context.Context, routeKey, authorization string) (Decision, error) {
	need, ok := a.Routes[routeKey]
	if !ok {
		return Decision{Reason: "route " + routeKey + " is not protected by this authorizer"}, nil
	}
	token, found := strings.CutPrefix(authorization, "Bearer ")
	if !found || token == "" {
		return Decision{Reason: "no bearer token"}, nil
	}
	switch need {
	case RoleAdmin:
		if a.AdminToken != "" && subtle.ConstantTimeCompare([]byte(token), []byte(a.AdminToken)) == 1 {
			return Decision{Allowed: true, Context: map[string]string{"role": RoleAdmin, "user_id": ""}}, nil
		}
		return Decision{Reason: "not the admin token"}, nil
	case RoleUser:
		now := time.Now()
		if a.Now != nil {
			now = a.Now()
		}
		c, err := Verify(a.SigningKey, token, now)
		if err != nil {
			return Decision{Reason: err.Error()}, nil
		}
		if c.Role != RoleUser {
			return Decision{Reason: "wrong role " + c.Role}, nil
		}
		if c.Session == "" || a.Sessions == nil {
			return Decision{Reason: "a token without a session"}, nil
		}
		live, err := a.Sessions.Live(ctx, c.Subject, c.Session)
		if err != nil {
			return Decision{}, err
		}
		if !live {
			return Decision{Reason: "the session has ended"}, nil
		}
		return Decision{Allowed: true, Context: map[string]string{"role": RoleUser, "user_id": c.Subject}}, nil
	}
	return Decision{Reason: "unknown auth mode " + need}, nil
}
