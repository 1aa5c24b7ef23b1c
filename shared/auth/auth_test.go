package auth

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

var (
	key = []byte("0123456789abcdef0123456789abcdef")
	now = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
)

func TestTokens(t *testing.T) {
	tok := Sign(key, Claims{Subject: "u1", Role: RoleUser, IssuedAt: now.Unix(), Expires: now.Add(time.Hour).Unix()})
	if c, err := Verify(key, tok, now); err != nil || c.Subject != "u1" {
		t.Fatalf("Verify = %+v, %v", c, err)
	}
	i := strings.LastIndexByte(tok, '.')
	flipped := []byte(tok)
	flipped[i-3] ^= 1
	cases := map[string]struct {
		token string
		key   []byte
		at    time.Time
		want  error
	}{
		"an expired token":          {tok, key, now.Add(2 * time.Hour), ErrExpired},
		"a tampered payload":        {string(flipped), key, now, ErrSignature},
		"another key's token":       {tok, []byte("other key"), now, ErrSignature},
		"garbage":                   {"v1.x", key, now, ErrMalformed},
		"a token without a version": {strings.TrimPrefix(tok, "v1."), key, now, ErrMalformed},
		"an empty token":            {"", key, now, ErrMalformed},
	}
	for name, c := range cases {
		t.Run("it refuses "+name, func(t *testing.T) {
			if _, err := Verify(c.key, c.token, c.at); err != c.want {
				t.Errorf("Verify = %v, want %v", err, c.want)
			}
		})
	}
}

// liveSessions is the set of live sessions by user; the DynamoDB one is
// proven end to end through the local gateway.
type liveSessions map[string]string

func (l liveSessions) Live(_ context.Context, user, session string) (bool, error) {
	if user == "broken" {
		return false, errors.New("the sessions table is unreachable")
	}
	return l[user] == session, nil
}

func TestDecide(t *testing.T) {
	a := &Authorizer{SigningKey: key, AdminToken: "admin-secret", Now: func() time.Time { return now },
		Routes:   map[string]string{"GET /v1/users/me": RoleUser, "GET /admin/api/sources": RoleAdmin},
		Sessions: liveSessions{"u1": "s1", "broken": "s1"}}
	user := "Bearer " + Sign(key, Claims{Subject: "u1", Role: RoleUser, Session: "s1", Expires: now.Add(time.Hour).Unix()})
	noSession := "Bearer " + Sign(key, Claims{Subject: "u1", Role: RoleUser, Expires: now.Add(time.Hour).Unix()})
	endedSession := "Bearer " + Sign(key, Claims{Subject: "u1", Role: RoleUser, Session: "s0", Expires: now.Add(time.Hour).Unix()})
	adminRoleToken := "Bearer " + Sign(key, Claims{Subject: "u1", Role: RoleAdmin, Expires: now.Add(time.Hour).Unix()})
	cases := []struct {
		name, route, header string
		allowed             bool
	}{
		{"a user token opens a user route", "GET /v1/users/me", user, true},
		{"a user token does not open an admin route", "GET /admin/api/sources", user, false},
		{"the admin token opens an admin route", "GET /admin/api/sources", "Bearer admin-secret", true},
		{"the admin token does not open a user route", "GET /v1/users/me", "Bearer admin-secret", false},
		{"a signed token claiming admin is not the admin token", "GET /admin/api/sources", adminRoleToken, false},
		{"a signed admin-role token does not open a user route", "GET /v1/users/me", adminRoleToken, false},
		{"no header", "GET /v1/users/me", "", false},
		{"another scheme", "GET /v1/users/me", "Basic dTpw", false},
		{"an unknown route", "GET /v1/other", user, false},
		{"a user token without a session does not open a user route", "GET /v1/users/me", noSession, false},
		{"a user token of an ended session does not open a user route", "GET /v1/users/me", endedSession, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d, err := a.Decide(context.Background(), c.route, c.header)
			if err != nil {
				t.Fatal(err)
			}
			if d.Allowed != c.allowed {
				t.Errorf("Decide = %+v, want allowed=%v", d, c.allowed)
			}
			if d.Allowed && c.route == "GET /v1/users/me" && d.Context["user_id"] != "u1" {
				t.Errorf("context = %v", d.Context)
			}
		})
	}
}

func TestDecideFailsWhenTheSessionCannotBeChecked(t *testing.T) {
	a := &Authorizer{SigningKey: key, Now: func() time.Time { return now }, Routes: map[string]string{"GET /v1/users/me": RoleUser},
		Sessions: liveSessions{}}
	tok := "Bearer " + Sign(key, Claims{Subject: "broken", Role: RoleUser, Session: "s1", Expires: now.Add(time.Hour).Unix()})
	if d, err := a.Decide(context.Background(), "GET /v1/users/me", tok); err == nil || d.Allowed {
		t.Errorf("Decide = %+v, %v; want an error and no access", d, err)
	}
}

func FuzzVerify(f *testing.F) {
	f.Add(Sign(key, Claims{Subject: "u", Role: RoleUser, Expires: now.Add(time.Hour).Unix()}))
	f.Add("v1..")
	f.Fuzz(func(t *testing.T, tok string) {
		c, err := Verify(key, tok, now)
		if err == nil && (c.Subject == "" || Sign(key, c) == "") {
			t.Fatalf("accepted %q as %+v", tok, c)
		}
	})
}

func TestATokenHasExactlyOneSpelling(t *testing.T) {
	key := []byte("0123456789abcdef0123456789abcdef")
	now := time.Unix(1_700_000_000, 0)
	tok := Sign(key, Claims{Subject: "u1", Role: "user", Expires: now.Add(time.Hour).Unix()})
	if _, err := Verify(key, tok, now); err != nil {
		t.Fatalf("the token as signed: %v", err)
	}
	// A 32-byte HMAC is 43 base64 characters: the last one carries 4 bits
	// and 2 spare ones, so a lenient decoder would take 3 other spellings.
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	last := tok[len(tok)-1]
	for i := range len(alphabet) {
		if c := alphabet[i]; c != last {
			if _, err := Verify(key, tok[:len(tok)-1]+string(c), now); err == nil {
				t.Errorf("the token with its last character %q for %q verified too", c, last)
			}
		}
	}
}
