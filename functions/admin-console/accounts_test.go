package main

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/kiosk-news/kiosk/shared/editor"
)

func (h *harness) as(c *http.Cookie) *harness { h.cookie = c; return h }

func TestTwoEditorsChangesAreAuditedWithWhoBeforeAndAfter(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	a := h.seed()
	ann := h.join("ann@kiosk.example", editor.RoleEditor)
	bob := h.join("bob@kiosk.example", editor.RoleEditor)

	token := h.as(ann).csrf("/admin/sources")
	if resp, _ := h.do("POST", "/admin/sources/desk", url.Values{"csrf": {token}, "id": {"desk"}, "url": {"https://news.example/feed.xml"},
		"name": {"Desk"}, "category": {"world"}, "weight": {"2.5"}}, nil); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("ann's update: %d", resp.StatusCode)
	}
	token = h.as(bob).csrf("/admin/articles")
	if resp, _ := h.do("POST", "/admin/articles/"+a.ID+"/moderation", url.Values{"csrf": {token}, "hidden": {"true"}, "pinned": {"false"}}, nil); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("bob's moderation: %d", resp.StatusCode)
	}
	log, err := h.accounts.AuditLog(ctx, editor.AuditFilter{Actor: "ann@kiosk.example", Action: "source.update"}, "", 10)
	if err != nil || len(log.Items) != 1 {
		t.Fatalf("ann's records: %v %+v", err, log.Items)
	}
	r := log.Items[0]
	if r.Action != "source.update" || r.Target != "desk" || !strings.Contains(r.Before, `"weight":1`) || !strings.Contains(r.After, `"weight":2.5`) ||
		r.RequestID == "" || !r.At.Equal(now) {
		t.Errorf("ann's record %+v", r)
	}
	log, _ = h.accounts.AuditLog(ctx, editor.AuditFilter{Actor: "bob@kiosk.example", Action: "article.moderate"}, "", 10)
	if len(log.Items) != 1 || log.Items[0].Before != `{"hidden":false,"pinned":false}` || log.Items[0].After != `{"hidden":true,"pinned":false}` {
		t.Errorf("bob's records %+v", log.Items)
	}
	// The console lists and filters them.
	_, body := h.do("GET", "/admin/audit?actor=ann%40kiosk.example", nil, nil)
	if !strings.Contains(body, "source.update") || !strings.Contains(body, "editor.join") || strings.Contains(body, "article.moderate") {
		t.Error("the audit page filtered by ann shows the wrong records")
	}
	_, body = h.do("GET", "/admin/audit", nil, nil)
	for _, want := range []string{"ann@kiosk.example", "bob@kiosk.example", "article.moderate", "source.update", "editor.join", "&#34;weight&#34;:2.5"} {
		if !strings.Contains(body, want) {
			t.Errorf("the audit page lacks %s", want)
		}
	}
}

func TestARemovedEditorsSessionStopsWorkingAtOnce(t *testing.T) {
	h := newHarness(t)
	h.signIn()
	op := h.cookie
	ed := h.join("ed@kiosk.example", editor.RoleEditor)
	if resp, _ := h.as(ed).do("GET", "/admin/sources", nil, nil); resp.StatusCode != http.StatusOK {
		t.Fatalf("the editor's session: %d", resp.StatusCode)
	}
	token := h.as(op).csrf("/admin/editors")
	if resp, _ := h.do("POST", "/admin/editors/remove", url.Values{"csrf": {token}, "email": {"ed@kiosk.example"}}, nil); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("remove: %d", resp.StatusCode)
	}
	if resp, _ := h.as(ed).do("GET", "/admin/sources", nil, nil); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("the removed editor's session still works: %d", resp.StatusCode)
	}
	if resp, _ := h.do("POST", "/admin/login", url.Values{"email": {"ed@kiosk.example"}, "password": {password}}, nil); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("the removed editor signs in: %d", resp.StatusCode)
	}
	log, _ := h.accounts.AuditLog(context.Background(), editor.AuditFilter{Action: "editor.remove"}, "", 10)
	if len(log.Items) != 1 || log.Items[0].Actor != "op@kiosk.example" || !strings.Contains(log.Items[0].Before, "ed@kiosk.example") {
		t.Errorf("removal records %+v", log.Items)
	}
}

func TestSignOutAndAPasswordChangeEndSessions(t *testing.T) {
	h := newHarness(t)
	first := h.join("ed@kiosk.example", editor.RoleEditor)
	resp, _ := h.as(nil).do("POST", "/admin/login", url.Values{"email": {"ed@kiosk.example"}, "password": {password}}, nil)
	second := h.sessionFrom(resp)
	resp, _ = h.do("POST", "/admin/login", url.Values{"email": {"ed@kiosk.example"}, "password": {password}}, nil)
	third := h.sessionFrom(resp)

	token := h.as(first).csrf("/admin/sources")
	if resp, _ := h.do("POST", "/admin/logout", url.Values{"csrf": {token}}, nil); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign out: %d", resp.StatusCode)
	}
	if resp, _ := h.as(first).do("GET", "/admin/sources", nil, nil); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("a signed-out session (its cookie replayed) still works: %d", resp.StatusCode)
	}
	if resp, _ := h.as(third).do("GET", "/admin/sources", nil, nil); resp.StatusCode != http.StatusOK {
		t.Errorf("signing one session out ended another: %d", resp.StatusCode)
	}
	token = h.as(second).csrf("/admin/account")
	if resp, body := h.do("POST", "/admin/account/password", url.Values{"csrf": {token}, "current": {"not it at all"}, "new": {"a brand new passphrase"}}, nil); resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "current password") {
		t.Errorf("a wrong current password: %d", resp.StatusCode)
	}
	resp, _ = h.do("POST", "/admin/account/password", url.Values{"csrf": {token}, "current": {password}, "new": {"a brand new passphrase"}}, nil)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("change password: %d", resp.StatusCode)
	}
	renewed := h.sessionFrom(resp)
	for name, c := range map[string]*http.Cookie{"the session that changed it": second, "another session": third} {
		if resp, _ := h.as(c).do("GET", "/admin/sources", nil, nil); resp.StatusCode != http.StatusSeeOther {
			t.Errorf("%s outlived the password change: %d", name, resp.StatusCode)
		}
	}
	if resp, _ := h.as(renewed).do("GET", "/admin/sources", nil, nil); resp.StatusCode != http.StatusOK {
		t.Errorf("the renewed session: %d", resp.StatusCode)
	}
	if resp, _ := h.as(nil).do("POST", "/admin/login", url.Values{"email": {"ed@kiosk.example"}, "password": {password}}, nil); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("the old password still signs in: %d", resp.StatusCode)
	}
}

func TestSignInAttemptsAreLimitedPerAccount(t *testing.T) {
	h := newHarness(t)
	h.join("ed@kiosk.example", editor.RoleEditor)
	for i := range 10 {
		if resp, _ := h.as(nil).do("POST", "/admin/login", url.Values{"email": {"ed@kiosk.example"}, "password": {"guess number " + string(rune('a'+i))}}, nil); resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("guess %d: %d", i, resp.StatusCode)
		}
	}
	resp, _ := h.do("POST", "/admin/login", url.Values{"email": {"ED@kiosk.example"}, "password": {password}}, nil)
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" || len(resp.Cookies()) != 0 {
		t.Errorf("the 11th attempt in the window, even with the right password: %d", resp.StatusCode)
	}
	// Another account is not locked by them.
	h.join("other@kiosk.example", editor.RoleEditor)
	if resp, _ := h.do("POST", "/admin/login", url.Values{"email": {"other@kiosk.example"}, "password": {password}}, nil); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("another account: %d", resp.StatusCode)
	}
	h.clock = now.Add(editor.SessionTTL) // a later window
	if resp, _ := h.do("POST", "/admin/login", url.Values{"email": {"ed@kiosk.example"}, "password": {password}}, nil); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("after the window: %d", resp.StatusCode)
	}
}

var linkRe = regexp.MustCompile(`/admin/join\?token=([A-Za-z0-9_-]{43})`)

func TestAnInvitationIsOneTimeAndExpires(t *testing.T) {
	h := newHarness(t)
	h.signIn()
	token := h.csrf("/admin/editors")
	resp, body := h.do("POST", "/admin/editors/invitations", url.Values{"csrf": {token}, "email": {"New@Kiosk.example"}, "role": {"editor"}}, nil)
	m := linkRe.FindStringSubmatch(body)
	if resp.StatusCode != http.StatusCreated || m == nil {
		t.Fatalf("invite: %d, no link", resp.StatusCode)
	}
	h.cookie = nil
	if resp, body := h.do("POST", "/admin/join", url.Values{"token": {m[1]}, "password": {"short"}}, nil); resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "password must be") {
		t.Errorf("a short password: %d", resp.StatusCode)
	}
	resp, _ = h.do("POST", "/admin/join", url.Values{"token": {m[1]}, "password": {password}}, nil)
	h.sessionFrom(resp)
	if resp, _ := h.do("POST", "/admin/join", url.Values{"token": {m[1]}, "password": {"another good password"}}, nil); resp.StatusCode != http.StatusNotFound {
		t.Errorf("the link used twice: %d", resp.StatusCode)
	}
	e, err := h.accounts.Editor(context.Background(), "new@kiosk.example")
	if err != nil || e.Role != editor.RoleEditor || e.InvitedBy != "op@kiosk.example" {
		t.Errorf("the account %+v %v", e, err)
	}
	inv, _ := h.accounts.Invite(context.Background(), "late@kiosk.example", editor.RoleEditor, "op@kiosk.example")
	h.clock = now.Add(editor.InvitationTTL)
	if resp, _ := h.do("POST", "/admin/join", url.Values{"token": {inv.Token}, "password": {password}}, nil); resp.StatusCode != http.StatusNotFound {
		t.Errorf("an expired link: %d", resp.StatusCode)
	}
	// The table holds no token: only its hash.
	var raw []map[string]any
	if err := h.accounts.Table.Scan().All(context.Background(), &raw); err != nil {
		t.Fatal(err)
	}
	for _, it := range raw {
		for _, v := range it {
			if s, ok := v.(string); ok && (strings.Contains(s, inv.Token) || strings.Contains(s, m[1]) || strings.Contains(s, password)) {
				t.Errorf("a token or password is stored in clear: %v", it)
			}
		}
	}
}

func TestEditorsCannotUseOperatorPages(t *testing.T) {
	h := newHarness(t)
	h.as(h.join("ed@kiosk.example", editor.RoleEditor))
	if resp, _ := h.do("GET", "/admin/editors", nil, nil); resp.StatusCode != http.StatusForbidden {
		t.Errorf("an editor on the editors page: %d", resp.StatusCode)
	}
	token := h.csrf("/admin/sources")
	before := h.snapshot()
	for path, form := range map[string]url.Values{
		"/admin/editors/invitations": {"email": {"friend@kiosk.example"}, "role": {"operator"}},
		"/admin/editors/remove":      {"email": {"ed@kiosk.example"}},
	} {
		form.Set("csrf", token)
		if resp, _ := h.do("POST", path, form, nil); resp.StatusCode != http.StatusForbidden {
			t.Errorf("an editor posting %s: %d", path, resp.StatusCode)
		}
	}
	if after := h.snapshot(); after != before {
		t.Errorf("a refused request wrote:\n%s\n%s", before, after)
	}
	_, body := h.do("GET", "/admin/sources", nil, nil)
	if strings.Contains(body, `href="/admin/batches"`) || strings.Contains(body, `href="/admin/editors"`) {
		t.Error("an editor's navigation offers operator pages")
	}
}
