package local_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kiosk-news/kiosk/infra/local"
	"github.com/kiosk-news/kiosk/infra/topology"
	"github.com/kiosk-news/kiosk/shared/auth"
)

// sessionCloud runs the users API and the real authorizer behind the local
// gateway on a virtual clock of their own, so a test can move past the
// gateway's authorizer cache and an access token's life without touching
// the package's shared cloud.
func sessionCloud(t *testing.T) *local.Cloud {
	t.Helper()
	small := topology.Kiosk()
	var keep []topology.Function
	for _, f := range small.Functions {
		if f.Name == "users-api" || f.Name == small.Authorizer {
			keep = append(keep, f)
		}
	}
	small.Functions = keep
	c, err := local.Start(context.Background(), local.Config{Root: root, Dist: dist, Topology: &small, NoSamples: true,
		Console: io.Discard, LogDir: filepath.Join(t.TempDir(), "logs"), Backoff: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// on sends one request to c's API.
func on(t *testing.T, c *local.Cloud, method, path, token, body string) (int, []byte) {
	t.Helper()
	status, out, _ := sendTo(t, http.DefaultClient, c.APIURL, method, path, token, body)
	return status, out
}

func registerOn(t *testing.T, c *local.Cloud) registration {
	t.Helper()
	status, body := on(t, c, "POST", "/v1/users", "", "")
	var r registration
	if status != 201 || json.Unmarshal(body, &r) != nil || r.Token == "" || r.RefreshToken == "" {
		t.Fatalf("register: %d %s", status, body)
	}
	return r
}

func refreshOn(t *testing.T, c *local.Cloud, refreshToken string) (int, registration, []byte) {
	t.Helper()
	status, body := on(t, c, "POST", "/v1/users/token/refresh", "", `{"refresh_token":"`+refreshToken+`"}`)
	var r registration
	_ = json.Unmarshal(body, &r)
	return status, r, body
}

// TestSessionsEndThroughTheGateway drives the token lifecycle end to end
// through the local gateway and the real authorizer: a refresh token used
// twice ends its session, signing out everywhere ends it too, and in both
// cases the newest access token, though cached as allowed by the gateway,
// stops working once the authorizer's cache time has passed; a token never
// presented before is refused at once. One install's doings never touch
// another's session, and an access token expires within the hour while its
// refresh token renews it.
func TestSessionsEndThroughTheGateway(t *testing.T) {
	c := sessionCloud(t)
	me := func(token string) int { status, _ := on(t, c, "GET", "/v1/users/me", token, ""); return status }

	// Reuse: a refresh token presented twice.
	reused := registerOn(t, c)
	status, next, body := refreshOn(t, c, reused.RefreshToken)
	if status != 200 || next.UserID != reused.UserID || next.Token == "" || next.RefreshToken == "" || next.RefreshToken == reused.RefreshToken {
		t.Fatalf("the first refresh: %d %s", status, body)
	}
	if s := me(next.Token); s != 200 { // the gateway now caches this token as allowed
		t.Fatalf("the refreshed access token: %d", s)
	}
	if status, _, body := refreshOn(t, c, reused.RefreshToken); status != 401 || !strings.Contains(string(body), "already used") {
		t.Errorf("the same refresh token again: %d %s, want 401", status, body)
	}
	if status, _, body := refreshOn(t, c, next.RefreshToken); status != 401 {
		t.Errorf("the newest refresh token after the reuse: %d %s, want 401: the whole session ends", status, body)
	}
	if s := me(reused.Token); s != 403 {
		t.Errorf("the session's first access token, not cached: %d, want 403 at once", s)
	}

	// Sign-out everywhere.
	out := registerOn(t, c)
	_, outNext, _ := refreshOn(t, c, out.RefreshToken)
	if s := me(outNext.Token); s != 200 {
		t.Fatalf("before signing out: %d", s)
	}
	if status, body := on(t, c, "POST", "/v1/users/me/sign-out", outNext.Token, ""); status != 204 {
		t.Fatalf("sign-out: %d %s", status, body)
	}
	if status, _, body := refreshOn(t, c, outNext.RefreshToken); status != 401 {
		t.Errorf("refresh after signing out: %d %s, want 401", status, body)
	}
	if s := me(out.Token); s != 403 {
		t.Errorf("an access token of the signed-out session, not cached: %d, want 403 at once", s)
	}

	// Another install, whose session must outlive all of the above, and a
	// refresh token nobody issued.
	other := registerOn(t, c)
	if status, _, body := refreshOn(t, c, "r1."+strings.Repeat("A", 43)); status != 401 {
		t.Errorf("a made-up refresh token: %d %s", status, body)
	}
	if status, _, body := refreshOn(t, c, other.Token); status != 401 {
		t.Errorf("an access token as a refresh token: %d %s", status, body)
	}

	// Past the authorizer cache: the cached allowances of the ended sessions
	// are gone, and the authorizer refuses them.
	c.MoveClock(c.Now().Add(topology.AuthorizerCacheTTL + time.Second))
	if s := me(next.Token); s != 403 {
		t.Errorf("the newest access token of the reused session after the cache time: %d, want 403", s)
	}
	if s := me(outNext.Token); s != 403 {
		t.Errorf("the access token that signed out, after the cache time: %d, want 403", s)
	}
	if s := me(other.Token); s != 200 {
		t.Errorf("another install's access token: %d, want 200", s)
	}

	// An access token lives at most an hour; the refresh token renews it.
	c.MoveClock(c.Now().Add(auth.AccessTTL))
	if s := me(other.Token); s != 403 {
		t.Errorf("an access token past its hour: %d, want 403", s)
	}
	status, renewed, body := refreshOn(t, c, other.RefreshToken)
	if status != 200 || renewed.UserID != other.UserID {
		t.Fatalf("refresh after the access token expired: %d %s", status, body)
	}
	if s := me(renewed.Token); s != 200 {
		t.Errorf("the renewed access token: %d", s)
	}
}
