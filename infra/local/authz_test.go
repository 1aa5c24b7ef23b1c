package local_test

import (
	"io"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/kiosk-news/kiosk/infra/topology"
	"github.com/kiosk-news/kiosk/shared/auth"
)

// TestAuthorizationMatrix tries every declared route with every kind of
// caller, generated from the topology's auth modes: no route opens to less
// than it declares.
func TestAuthorizationMatrix(t *testing.T) {
	a, b := register(t), register(t)
	key := []byte(cloud.SecretValue("token-signing"))
	now := time.Now()
	claims, err := auth.Verify(key, a.Token, now)
	if err != nil {
		t.Fatal(err)
	}
	callers := map[string]string{
		"no token":     "",
		"a user":       a.Token,
		"another user": b.Token,
		"the admin":    cloud.AdminToken(),
		"an expired user token": auth.Sign(key, auth.Claims{Subject: a.UserID, Role: auth.RoleUser, Session: claims.Session,
			IssuedAt: now.Add(-48 * time.Hour).Unix(), Expires: now.Add(-time.Hour).Unix()}),
		"a tampered user token": a.Token[:len(a.Token)-3] + "AAA",
		"a signed token claiming admin": auth.Sign(key, auth.Claims{Subject: a.UserID, Role: auth.RoleAdmin,
			Expires: now.Add(time.Hour).Unix()}),
	}
	allowed := map[topology.Auth]map[string]bool{
		topology.Public: nil, // anyone
		topology.User:   {"a user": true, "another user": true},
		topology.Admin:  {"the admin": true},
	}
	checks, routes := 0, 0
	defer func() {
		figures.set(func(f *reliabilityFigures) {
			f.MatrixRoutes, f.MatrixCallers, f.MatrixChecks = routes, len(callers), checks
		})
	}()
	// Signing out ends the caller's session, so that route goes last.
	all := cloud.Topology.Routes()
	sort.SliceStable(all, func(i, j int) bool {
		return all[j].Key() == "POST /v1/users/me/sign-out" && all[i].Key() != all[j].Key()
	})
	for _, r := range all {
		routes++
		path := r.Path
		for _, seg := range strings.Split(r.Path, "/") {
			if strings.HasPrefix(seg, "{") {
				path = strings.Replace(path, seg, "sample", 1)
			}
		}
		for who, token := range callers {
			body := map[bool]string{true: "{}", false: ""}[r.Method == "POST" || r.Method == "PUT"]
			var status int
			var out []byte
			if r.Auth == topology.Console {
				status, out = noRedirect(t, r.Method, path, token, body) // a redirect to sign-in is the refusal
			} else {
				status, out = admin(t, r.Method, path, token, "application/json", body)
			}
			body = string(out)
			checks++
			refused := status == 401 || status == 403
			switch {
			case r.Auth == topology.Console:
				// Console pages ignore bearer tokens: without a session cookie
				// only the sign-in page (and stylesheet) answer; pages redirect
				// to sign-in, forms are refused.
				open := r.Method == "GET" && (r.Path == "/admin/login" || r.Path == "/admin/assets/{file}")
				if status >= 500 || (!open && status/100 == 2) {
					t.Errorf("%s (console) with %s and no session: %d %s", r.Key(), who, status, body)
				}
			case r.Auth == topology.Public:
				if refused {
					t.Errorf("%s (public) refused %s: %d %s", r.Key(), who, status, body)
				}
			case allowed[r.Auth][who]:
				if refused {
					t.Errorf("%s (%s) refused %s: %d %s", r.Key(), r.Auth, who, status, body)
				}
			case token == "":
				if status != 401 {
					t.Errorf("%s (%s) with %s: %d, want 401", r.Key(), r.Auth, who, status)
				}
			default:
				if status != 403 {
					t.Errorf("%s (%s) with %s: %d, want 403", r.Key(), r.Auth, who, status)
				}
			}
		}
	}
}

// noRedirect calls the API without following redirects.
func noRedirect(t *testing.T, method, path, token, body string) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequest(method, cloud.APIURL+path, strings.NewReader(body))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	client := &http.Client{Transport: checked(nil), CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}
