package local_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/kiosk-news/kiosk/infra/local"
)

var consoleCSRFRe = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// consoleGet fetches a console page (following redirects) and returns the
// status, final path and body.
func consoleGet(t *testing.T, c *http.Client, path string) (int, string, string) {
	t.Helper()
	resp, err := c.Get(cloud.APIURL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Request.URL.Path, string(b)
}

// consolePost posts a console form with the CSRF token of page.
func consolePost(t *testing.T, c *http.Client, page, path string, form url.Values) (int, string) {
	t.Helper()
	_, _, body := consoleGet(t, c, page)
	m := consoleCSRFRe.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no CSRF token on %s", page)
	}
	form.Set("csrf", m[1])
	resp, err := c.PostForm(cloud.APIURL+path, form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

type auditEntry struct{ who, what, target, before, after string }

// auditRows reads the console's audit page, filtered.
func auditRows(t *testing.T, c *http.Client, query string) []auditEntry {
	t.Helper()
	_, _, body := consoleGet(t, c, "/admin/audit?"+query)
	var out []auditEntry
	for _, row := range regexp.MustCompile(`(?s)<tr><td>(.*?)</tr>`).FindAllStringSubmatch(body, -1) {
		cells := regexp.MustCompile(`(?s)<td>(.*?)</td>`).FindAllStringSubmatch("<td>"+row[1], -1)
		if len(cells) < 6 {
			continue
		}
		un := func(i int) string {
			return strings.NewReplacer("&#34;", `"`, "&amp;", "&", "&lt;", "<", "&gt;", ">").Replace(cells[i][1])
		}
		out = append(out, auditEntry{un(1), un(2), un(3), un(4), un(5)})
	}
	return out
}

// TestEditorAccountsAndTheAuditLogThroughTheGateway: two editors and the
// break-glass token change a source; the audit log in the console shows each
// change with who, before and after; an operator removes an editor, whose
// session stops working at once; an editor cannot reach operator pages.
func TestEditorAccountsAndTheAuditLogThroughTheGateway(t *testing.T) {
	op, opEmail := joinAs(t, "operator")
	ann, annEmail := joinAs(t, "editor")
	bob, bobEmail := joinAs(t, "editor")
	id := fmt.Sprintf("audit-%d", time.Now().UnixNano()%1e9)

	if status, body := consolePost(t, ann, "/admin/sources", "/admin/sources", url.Values{"id": {id}, "url": {"https://audit.example/feed"},
		"name": {"Audit"}, "category": {"world"}, "weight": {"1"}}); status != 200 || !strings.Contains(body, "Source created") {
		t.Fatalf("ann adds a source: %d", status)
	}
	if status, _ := consolePost(t, bob, "/admin/sources/"+id, "/admin/sources/"+id, url.Values{"id": {id}, "url": {"https://audit.example/feed"},
		"name": {"Audit"}, "category": {"world"}, "weight": {"3"}}); status != 200 {
		t.Fatalf("bob updates it: %d", status)
	}
	if status, body := admin(t, "DELETE", "/admin/api/sources/"+id, cloud.AdminToken(), "", ""); status != 204 {
		t.Fatalf("the admin token deletes it: %d %s", status, body)
	}

	byAnn := auditRows(t, op, "actor="+url.QueryEscape(annEmail)+"&action=source.create")
	if len(byAnn) != 1 || byAnn[0].target != id || byAnn[0].before != "" || !strings.Contains(byAnn[0].after, `"weight":1`) {
		t.Errorf("ann's creation in the audit log: %+v", byAnn)
	}
	byBob := auditRows(t, op, "actor="+url.QueryEscape(bobEmail))
	if len(byBob) < 2 || byBob[0].what != "source.update" || !strings.Contains(byBob[0].before, `"weight":1`) || !strings.Contains(byBob[0].after, `"weight":3`) {
		t.Errorf("bob's update in the audit log (newest first): %+v", byBob)
	}
	var deleted []auditEntry
	for _, e := range auditRows(t, op, "actor=admin-token&action=source.delete") {
		if e.target == id {
			deleted = append(deleted, e)
		}
	}
	if len(deleted) != 1 || !strings.Contains(deleted[0].before, `"weight":3`) || deleted[0].after != "" {
		t.Errorf("the admin token's deletion in the audit log: %+v", deleted)
	}

	// An operator's batch run is audited too.
	if status, _ := consolePost(t, op, "/admin/batches", "/admin/batches/heartbeat/run", url.Values{}); status != 200 {
		t.Fatalf("run the heartbeat: %d", status)
	}
	runs := auditRows(t, op, "action=batch.run")
	if len(runs) == 0 || runs[0].target != "heartbeat" || runs[0].who != opEmail || !strings.Contains(runs[0].after, "event_id") {
		t.Errorf("the batch run in the audit log: %+v", runs)
	}
	if status, _ := consolePost(t, bob, "/admin/sources", "/admin/batches/heartbeat/run", url.Values{}); status != http.StatusForbidden {
		t.Errorf("an editor runs a batch: %d, want 403", status)
	}
	if status, _, _ := consoleGet(t, bob, "/admin/batches"); status != http.StatusForbidden {
		t.Errorf("an editor on the batches page: %d, want 403", status)
	}
	if status, path, _ := consoleGet(t, bob, "/admin/sources"); status != 200 || path != "/admin/sources" {
		t.Fatalf("bob's session before removal: %d at %s", status, path)
	}
	if status, _ := consolePost(t, op, "/admin/editors", "/admin/editors/remove", url.Values{"email": {bobEmail}}); status != 200 {
		t.Fatalf("remove bob: %d", status)
	}
	if _, path, _ := consoleGet(t, bob, "/admin/sources"); path != "/admin/login" {
		t.Errorf("bob's session after his removal lands on %s, want the sign-in page", path)
	}
	removed := auditRows(t, op, "action=editor.remove")
	if len(removed) == 0 || removed[0].target != bobEmail || !strings.Contains(removed[0].before, bobEmail) {
		t.Errorf("the removal in the audit log: %+v", removed)
	}
}

// TestConsoleSignInIsLimitedPerAccountAndPerAddress: ten attempts per
// account in 15 minutes whatever the address (the function counts), ten per
// address in 5 minutes whatever the account (the gateway counts).
func TestConsoleSignInIsLimitedPerAccountAndPerAddress(t *testing.T) {
	_, email := joinAs(t, "editor")
	many := &http.Client{Transport: local.ManyClients(), Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	attempt := func(c *http.Client, email, password string) (int, string) {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for {
			resp, err := c.PostForm(cloud.APIURL+"/admin/login", url.Values{"email": {email}, "password": {password}})
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			// The route's token bucket (5/s) is not what this test is about.
			if resp.StatusCode == 429 && strings.Contains(string(b), `"rate_limited"`) && strings.Contains(string(b), "too many requests to") && time.Now().Before(deadline) {
				time.Sleep(300 * time.Millisecond)
				continue
			}
			return resp.StatusCode, string(b)
		}
	}
	for i := range 10 {
		if status, _ := attempt(many, email, fmt.Sprintf("wrong guess %02d", i)); status != 401 {
			t.Fatalf("guess %d from its own address: %d, want 401", i, status)
		}
	}
	if status, body := attempt(many, email, consolePassword); status != 429 || !strings.Contains(body, "too many sign-in attempts for this account") {
		t.Errorf("the right password after 10 guesses at the account: %d, want 429", status)
	}

	one := &http.Client{Transport: &http.Transport{DisableKeepAlives: true, DialContext: local.FromAddr([]byte{127, 77, 0, byte(time.Now().UnixNano()%200 + 1)}).DialContext},
		Timeout: 30 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	limited := false
	for i := range 11 {
		status, body := attempt(one, fmt.Sprintf("nobody-%d@kiosk.test", i), "some password or other")
		if status == 429 {
			var e struct {
				Error struct{ Code string } `json:"error"`
			}
			limited = json.Unmarshal([]byte(body), &e) == nil && e.Error.Code == "rate_limited"
			break
		}
	}
	if !limited {
		t.Error("11 sign-ins at different accounts from one address were not limited")
	}
}
