package local_test

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kiosk-news/kiosk/shared/auth"
)

type registration struct {
	UserID       string `json:"user_id"`
	Token        string `json:"token"`
	RefreshToken string `json:"refresh_token"`
}

func register(t *testing.T) registration {
	t.Helper()
	status, body := admin(t, "POST", "/v1/users", "", "", "")
	var r registration
	if status != 201 || json.Unmarshal(body, &r) != nil || r.Token == "" {
		t.Fatalf("register: %d %s", status, body)
	}
	return r
}

func TestUsersAndTheAuthorizer(t *testing.T) {
	a, b := register(t), register(t)
	if status, body := admin(t, "PUT", "/v1/users/me/interests", b.Token, "application/json", `{"categories":["sports"]}`); status != 200 {
		t.Fatalf("b sets interests: %d %s", status, body)
	}
	status, body := admin(t, "PUT", "/v1/users/me/interests", a.Token, "application/json", `{"categories":["tech","science","tech"]}`)
	if status != 200 || !strings.Contains(string(body), `"interests":["science","tech"]`) || !strings.Contains(string(body), a.UserID) {
		t.Fatalf("a sets interests: %d %s", status, body)
	}
	// A only ever sees A: there is no route that takes a user id, and a body
	// naming B is refused.
	status, body = admin(t, "GET", "/v1/users/me", a.Token, "", "")
	if status != 200 || strings.Contains(string(body), b.UserID) || strings.Contains(string(body), "sports") {
		t.Errorf("a's profile: %d %s", status, body)
	}
	if status, body := admin(t, "PUT", "/v1/users/me/interests", a.Token, "application/json", `{"user_id":"`+b.UserID+`","categories":["x1"]}`); status != 400 {
		t.Errorf("a naming b in the body: %d %s, want 400", status, body)
	}
	for _, p := range []string{"/v1/users/" + b.UserID, "/v1/users/" + b.UserID + "/interests"} {
		if status, _ := admin(t, "GET", p, a.Token, "", ""); status != 404 && status != 405 {
			t.Errorf("GET %s = %d, want no such route", p, status)
		}
	}
	if status, body := admin(t, "GET", "/v1/users/me", b.Token, "", ""); status != 200 || !strings.Contains(string(body), "sports") {
		t.Errorf("b's profile changed: %d %s", status, body)
	}

	key := []byte(cloud.SecretValue("token-signing"))
	now := time.Now()
	claims, err := auth.Verify(key, a.Token, now)
	if err != nil {
		t.Fatal(err)
	}
	// Properly signed, of a live session, but past its expiry.
	expired := auth.Sign(key, auth.Claims{Subject: a.UserID, Role: auth.RoleUser, Session: claims.Session, IssuedAt: now.Add(-2 * time.Hour).Unix(), Expires: now.Add(-time.Hour).Unix()})
	// Properly signed and unexpired, but of no session (as every token
	// before sessions was).
	sessionless := auth.Sign(key, auth.Claims{Subject: a.UserID, Role: auth.RoleUser, IssuedAt: now.Unix(), Expires: now.Add(time.Hour).Unix()})
	forgedKey := auth.Sign([]byte("not the key"), auth.Claims{Subject: b.UserID, Role: auth.RoleUser, Expires: now.Add(time.Hour).Unix()})
	tampered := a.Token[:len(a.Token)-2] + "xx"
	cases := []struct {
		name, method, path, token string
		status                    int
	}{
		{"no token on a user route", "GET", "/v1/users/me", "", 401},
		{"an expired token", "GET", "/v1/users/me", expired, 403},
		{"a token without a session", "GET", "/v1/users/me", sessionless, 403},
		{"a tampered token", "GET", "/v1/users/me", tampered, 403},
		{"a token signed with another key", "GET", "/v1/users/me", forgedKey, 403},
		{"the admin token on a user route", "GET", "/v1/users/me", cloud.AdminToken(), 403},
		{"a user token on an admin route", "GET", "/admin/api/sources", a.Token, 403},
		{"no token on an admin route", "GET", "/admin/api/sources", "", 401},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if status, body := admin(t, c.method, c.path, c.token, "", ""); status != c.status {
				t.Errorf("%d %s, want %d", status, body, c.status)
			}
		})
	}
	var fresh registration
	_, body = admin(t, "POST", "/v1/users/token/refresh", "", "application/json", `{"refresh_token":"`+a.RefreshToken+`"}`)
	if json.Unmarshal(body, &fresh) != nil || fresh.UserID != a.UserID || fresh.Token == "" || fresh.RefreshToken == "" {
		t.Errorf("refresh: %s", body)
	}
}

// registerWithKey registers through c with an Idempotency-Key.
func registerWithKey(t *testing.T, c *http.Client, key string) (int, []byte, http.Header) {
	t.Helper()
	req, _ := http.NewRequest("POST", cloud.APIURL+"/v1/users", nil)
	req.Header.Set("Idempotency-Key", key)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b, resp.Header
}

func uuidV4() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// TestARegistrationKeyIsASecretOfItsClient: an app that lost its
// registration's response retries with the same Idempotency-Key and gets
// that very response back; the same key from another address is a 409 that
// names no user and carries no token, and creates nobody.
func TestARegistrationKeyIsASecretOfItsClient(t *testing.T) {
	first, second := oneClient("127.0.43.1"), oneClient("127.0.43.2")
	key := uuidV4()
	s1, b1, h1 := registerWithKey(t, first, key)
	var reg registration
	if s1 != 201 || json.Unmarshal(b1, &reg) != nil || reg.UserID == "" || reg.Token == "" || reg.RefreshToken == "" || h1.Get("Idempotent-Replayed") != "" {
		t.Fatalf("the first registration: %d %s %v", s1, b1, h1)
	}

	users, sessions := count(t, "users"), count(t, "sessions")
	s2, b2, h2 := registerWithKey(t, second, key)
	if u, s := count(t, "users"), count(t, "sessions"); u != users || s != sessions {
		t.Errorf("the other client's attempt changed the tables: users %d → %d, sessions %d → %d", users, u, sessions, s)
	}
	if s2 != 409 || !strings.Contains(string(b2), `"code":"idempotency_key_reused"`) {
		t.Errorf("the key from another client: %d %s, want 409 idempotency_key_reused", s2, b2)
	}
	for _, leak := range []string{reg.UserID, `"token"`, `"refresh_token"`, `"user_id"`} {
		if strings.Contains(string(b2), leak) {
			t.Errorf("the other client's answer reveals %s: %s", leak, b2)
		}
	}
	if h2.Get("Idempotent-Replayed") != "" {
		t.Errorf("the other client's answer says replayed: %v", h2)
	}

	s3, b3, h3 := registerWithKey(t, first, key)
	if s3 != 201 || string(b3) != string(b1) || h3.Get("Idempotent-Replayed") != "true" {
		t.Errorf("the first client's replay: %d %s %v, want the stored outcome %s", s3, b3, h3, b1)
	}
	if u, s := count(t, "users"), count(t, "sessions"); u != users || s != sessions {
		t.Errorf("the replay minted something: users %d → %d, sessions %d → %d", users, u, sessions, s)
	}
	// The replayed outcome is the install's: its token opens its profile.
	if status, body := admin(t, "GET", "/v1/users/me", reg.Token, "", ""); status != 200 || !strings.Contains(string(body), reg.UserID) {
		t.Errorf("the replayed token: %d %s", status, body)
	}
	if s, b, _ := registerWithKey(t, first, uuidV4()); s != 201 || strings.Contains(string(b), reg.UserID) {
		t.Errorf("another key got the same install: %d %s", s, b)
	}

	// The key reached no log.
	_ = filepath.WalkDir(cloud.LogDir, func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if b, _ := os.ReadFile(path); strings.Contains(string(b), key) {
				t.Errorf("the Idempotency-Key is in %s", filepath.Base(path))
			}
		}
		return nil
	})
}

func TestWeakIdempotencyKeysAreRefused(t *testing.T) {
	c := oneClient("127.0.43.3")
	for _, key := range []string{"install-1", "12345678", "bad key!", "9f86d081884c7d659a2feaa0c55ad01",
		"6ba7b810-9dad-11d1-80b4-00c04fd430c8", "install-00000000000000000001", strings.Repeat("q3V_9xZk-2LpA7mN", 9)} {
		t.Run(key[:min(len(key), 40)]+" is refused", func(t *testing.T) {
			status, body, _ := registerWithKey(t, c, key)
			if status != 400 || !strings.Contains(string(body), `"code":"invalid_argument"`) || !strings.Contains(string(body), "unguessable") {
				t.Errorf("%d %s, want 400 invalid_argument saying what an unguessable key is", status, body)
			}
		})
	}
}

// TestABodyOnARouteThatTakesNoneIsRefused: POST /v1/users and sign-out take
// no body; an app sending one (a name, a device id) expects it to mean
// something, so it is a 400 that creates and ends nothing, not a silent 201.
func TestABodyOnARouteThatTakesNoneIsRefused(t *testing.T) {
	users, sessions := count(t, "users"), count(t, "sessions")
	status, body := admin(t, "POST", "/v1/users", "", "application/json", `{"device":"pixel-9"}`)
	if status != 400 || !strings.Contains(string(body), "takes no body") {
		t.Errorf("a registration with a body: %d %s, want 400 saying the route takes no body", status, body)
	}
	if u, s := count(t, "users"), count(t, "sessions"); u != users || s != sessions {
		t.Errorf("the refused registration created something: users %d → %d, sessions %d → %d", users, u, sessions, s)
	}
	r := register(t)
	if status, body := admin(t, "POST", "/v1/users/me/sign-out", r.Token, "application/json", `{"everywhere":false}`); status != 400 {
		t.Errorf("a sign-out with a body: %d %s, want 400", status, body)
	}
	if status, body := admin(t, "GET", "/v1/users/me", r.Token, "", ""); status != 200 {
		t.Errorf("the refused sign-out ended the session: %d %s", status, body)
	}
}
