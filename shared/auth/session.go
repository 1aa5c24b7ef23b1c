package auth

import (
	"crypto/hmac"
	"crypto/rand"
	"encoding/base64"
	"strconv"
	"strings"
	"time"
)

// Admin console sessions. The credential is the admin token (Secrets
// Manager in AWS, the local cloud's config locally); a session is a signed,
// short-lived cookie value whose key derives from that token, so rotating
// the token ends every session. Each session has its own CSRF token.
const (
	SessionCookie = "kiosk_console"
	SessionTTL    = 8 * time.Hour
)

func sessionKey(adminToken string) []byte {
	return mac([]byte(adminToken), "kiosk console session v1")
}

// NewSession returns a session value for someone who just proved the admin
// token: s1.<expiry unix>.<nonce>.<signature>.
func NewSession(adminToken string, now time.Time) string {
	nonce := make([]byte, 16)
	_, _ = rand.Read(nonce)
	body := "s1." + strconv.FormatInt(now.Add(SessionTTL).Unix(), 10) + "." + base64.RawURLEncoding.EncodeToString(nonce)
	return body + "." + base64.RawURLEncoding.EncodeToString(mac(sessionKey(adminToken), body))
}

// VerifySession checks a session value's signature and expiry.
func VerifySession(adminToken, session string, now time.Time) bool {
	if adminToken == "" || len(session) > 200 {
		return false
	}
	i := strings.LastIndexByte(session, '.')
	if i < 0 {
		return false
	}
	body, sig := session[:i], session[i+1:]
	got, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil || !hmac.Equal(got, mac(sessionKey(adminToken), body)) {
		return false
	}
	parts := strings.Split(body, ".")
	if len(parts) != 3 || parts[0] != "s1" {
		return false
	}
	exp, err := strconv.ParseInt(parts[1], 10, 64)
	return err == nil && now.Unix() < exp
}

// CSRFToken is the token every state-changing console form carries: bound
// to the session, so it is useless to anyone without the cookie.
func CSRFToken(adminToken, session string) string {
	return base64.RawURLEncoding.EncodeToString(mac(sessionKey(adminToken), "csrf|"+session))
}

// VerifyCSRF checks a form's CSRF token against the session.
func VerifyCSRF(adminToken, session, token string) bool {
	want := CSRFToken(adminToken, session)
	return token != "" && hmac.Equal([]byte(token), []byte(want))
}

// AdminTokenMatches compares a submitted credential with the admin token in
// constant time.
func AdminTokenMatches(adminToken, submitted string) bool {
	a, b := mac([]byte("cmp"), adminToken), mac([]byte("cmp"), submitted)
	return adminToken != "" && hmac.Equal(a, b)
}
