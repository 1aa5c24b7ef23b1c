package main

import (
	"io"

	"github.com/kiosk-news/kiosk/shared/article"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// consoleRoutes are the console's pages with a place ({x}) for a hostile
// path segment. Sign-out is left out: it would end the fuzzer's session.
var consoleRoutes = []struct{ method, path string }{
	{"GET", "/admin"},
	{"GET", "/admin/sources"},
	{"POST", "/admin/sources"},
	{"GET", "/admin/sources/{x}"},
	{"POST", "/admin/sources/{x}"},
	{"POST", "/admin/sources/{x}/delete"},
	{"GET", "/admin/articles"},
	{"POST", "/admin/articles/{x}/moderation"},
	{"GET", "/admin/kpi"},
	{"GET", "/admin/login"},
	{"POST", "/admin/login"},
	{"GET", "/admin/join"},
	{"POST", "/admin/join"},
	{"GET", "/admin/editors"},
	{"POST", "/admin/editors/invitations"},
	{"POST", "/admin/editors/remove"},
	{"GET", "/admin/account"},
	{"POST", "/admin/account/password"},
	{"GET", "/admin/audit"},
	{"GET", "/admin/stories/{x}"},
	{"POST", "/admin/articles/{x}/story"},
	{"POST", "/admin/stories/{x}/lead"},
	{"POST", "/admin/sources/{x}/refetch"},
}

// FuzzConsoleHandlers drives the signed-in console with hostile path
// segments, query strings and form bodies: no answer is a 5xx, and a refused
// request (4xx) writes nothing.
func FuzzConsoleHandlers(f *testing.F) {
	h := newHarness(f)
	h.signIn()
	a := h.seed()
	token := h.csrf("/admin/articles")
	seeds := []struct {
		route            uint8
		segment, q, form string
		withoutCSRF      bool
	}{
		{1, "", "page=368934881474191034", "", false},
		{1, "", "page=-9223372036854775808&q=%zz", "", false},
		{7, a.ID, "", "hidden=true&pinned=false&back=/admin/articles%25zz", false},
		{7, a.ID, "", "hidden=true&pinned=false&back=//evil.example", false},
		{7, a.ID, "", "hidden=1&pinned=0&back=/admin/articles?category=world", false},
		{2, "", "", "id=n1&url=https://x.example/f&name=N&category=world&weight=NaN", false},
		{4, "desk", "", "url=https://x.example/f&name=N&category=world&weight=-Inf", false},
		{4, "desk", "", "url=http://169.254.169.254/latest/meta-data/&name=N&category=world&weight=1", false},
		{2, "", "", "id=n2&url=http://0x7f.1/&name=N&category=world&weight=1", false},
		{5, "..%2f", "", "", false},
		{3, "desk", "saved=%00", "", false},
		{6, "", "cursor=2026-01-01T99999999999999999999Z%23" + a.ID, "", false},
		{8, "", "range=1000000h&granularity=%zz", "", false},
		{9, "", "next=%2F%2Fevil.example%2F", "", false},
		{10, "", "", "token=x&next=/admin%zz", false},
		{2, "", "", "id=n3&url=https://x.example/f&name=N&category=world&weight=1", true},
		{11, "", "token=%zz", "", false},
		{11, "", "token=" + strings.Repeat("A", 43), "", false},
		{12, "", "", "token=" + strings.Repeat("A", 43) + "&password=correct horse battery", false},
		{14, "", "", "email=new@kiosk.example&role=admin", false},
		{14, "", "", "email=op@kiosk.example&role=editor", false},
		{15, "", "", "email=op@kiosk.example", false},
		{15, "", "", "email=" + strings.Repeat("x", 300), false},
		{17, "", "", "current=wrong&new=" + strings.Repeat("x", 100), false},
		{18, "", "actor=%00&action=" + strings.Repeat("a", 60) + "&cursor=zz", "", false},
		{18, "", "cursor=2026-11-25T12:00:00.000000000Z%2300000000", "", false},
		{19, a.ID, "moved=%3Cscript%3E&from=%zz", "", false},
		{20, a.ID, "", "story=" + a.ID + "&from=//evil.example", false},
		{20, a.ID, "", "story=" + article.IDFor("none"), false},
		{20, strings.ToUpper(a.ID), "", "story=%00", false},
		{21, a.ID, "", "article=" + a.ID + "0", false},
		{21, article.IDFor("none"), "", "article=" + a.ID, false},
		{22, "desk", "", "", false},
		{22, "desk", "", "", true},
		{22, "..%2fdesk", "", "", false},
		{22, "DESK", "", "next_fetch_at=", false},
	}
	for _, s := range seeds {
		f.Add(s.route, s.segment, s.q, s.form, s.withoutCSRF)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	f.Fuzz(func(t *testing.T, route uint8, segment, query, body string, withoutCSRF bool) {
		h.t = t
		rt := consoleRoutes[int(route)%len(consoleRoutes)]
		target := h.srv.URL + strings.ReplaceAll(rt.path, "{x}", segment)
		if query != "" {
			target += "?" + query
		}
		if !withoutCSRF && rt.method == "POST" {
			body += "&csrf=" + url.QueryEscape(token)
		}
		req, err := http.NewRequest(rt.method, target, strings.NewReader(body))
		if err != nil {
			return // not a request a client can send
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", h.srv.URL)
		req.AddCookie(h.cookie)
		before := h.snapshot()
		resp, err := client.Do(req)
		if err != nil {
			return // refused by the client or the server's HTTP layer: no handler ran
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode >= 500 {
			t.Fatalf("%s %s (form %q): %d", rt.method, target, body, resp.StatusCode)
		}
		if resp.StatusCode >= 400 {
			if after := h.snapshot(); after != before {
				t.Fatalf("%s %s (form %q) was refused (%d) but wrote:\nbefore %s\nafter  %s", rt.method, target, body, resp.StatusCode, before, after)
			}
		}
	})
}
