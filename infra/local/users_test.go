package local_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/kiosk-news/kiosk/shared/auth"
)

type registration struct {
	UserID string `json:"user_id"`
	Token  string `json:"token"`
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
	expired := auth.Sign(key, auth.Claims{Subject: a.UserID, Role: auth.RoleUser, IssuedAt: now.Add(-2 * time.Hour).Unix(), Expires: now.Add(-time.Hour).Unix()})
	forgedKey := auth.Sign([]byte("not the key"), auth.Claims{Subject: b.UserID, Role: auth.RoleUser, Expires: now.Add(time.Hour).Unix()})
	tampered := a.Token[:len(a.Token)-2] + "xx"
	cases := []struct {
		name, method, path, token string
		status                    int
	}{
		{"no token on a user route", "GET", "/v1/users/me", "", 401},
		{"an expired token", "GET", "/v1/users/me", expired, 403},
		{"a tampered token", "GET", "/v1/users/me", tampered, 403},
		{"a token signed with another key", "GET", "/v1/users/me", forgedKey, 403},
		{"the admin token on a user route", "GET", "/v1/users/me", cloud.AdminToken(), 403},
		{"a user token on an admin route", "GET", "/admin/api/sources", a.Token, 403},
		{"no token on an admin route", "GET", "/admin/api/sources", "", 401},
		{"a user token refreshing", "POST", "/v1/users/me/token", a.Token, 200},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if status, body := admin(t, c.method, c.path, c.token, "", ""); status != c.status {
				t.Errorf("%d %s, want %d", status, body, c.status)
			}
		})
	}
	var fresh registration
	_, body = admin(t, "POST", "/v1/users/me/token", a.Token, "", "")
	if json.Unmarshal(body, &fresh) != nil || fresh.UserID != a.UserID || fresh.Token == "" {
		t.Errorf("refresh: %s", body)
	}
}

// TestRegistrationIsIdempotentByKey: an app that lost the response retries
// with the same Idempotency-Key and gets the same install back.
func TestRegistrationIsIdempotentByKey(t *testing.T) {
	post := func(key string) (int, registration, http.Header) {
		t.Helper()
		req, _ := http.NewRequest("POST", cloud.APIURL+"/v1/users", nil)
		req.Header.Set("Idempotency-Key", key)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var r registration
		_ = json.NewDecoder(resp.Body).Decode(&r)
		return resp.StatusCode, r, resp.Header
	}
	key := fmt.Sprintf("install-%d", time.Now().UnixNano())
	s1, first, _ := post(key)
	s2, again, h := post(key)
	if s1 != 201 || s2 != 201 || first.UserID == "" || again.UserID != first.UserID || again.Token == "" || h.Get("Idempotent-Replayed") != "true" {
		t.Errorf("first %d %+v, retry %d %+v %v", s1, first, s2, again, h)
	}
	if _, other, _ := post(key + "-b"); other.UserID == first.UserID {
		t.Error("another key got the same install")
	}
	if s, _, _ := post("bad key!"); s != 400 {
		t.Errorf("a malformed key: %d", s)
	}
}
