package console

import (
	"testing"

	"github.com/kiosk-news/kiosk/shared/editor"
)

// The page around every view, byte for byte: its fixed markup is written as
// is, and every value in it (title, CSRF token, messages) is escaped.
func TestTheLayoutEscapesEveryValueAndShowsAnEditorTheirPages(t *testing.T) {
	v := View{Title: `A <b>&"'`, Nav: "kpi", CSRF: "tok&<", Error: "bad <x>", Notice: "ok & fine",
		Editor: editor.Editor{Role: editor.RoleEditor}, Body: E("p", nil, T("b"))}
	want := "<!doctype html>\n" + `<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">` +
		`<title>A &lt;b&gt;&amp;&#34;&#39; · Kiosk admin</title><link rel="stylesheet" href="/admin/assets/console.css"></head>` +
		`<body><header><strong class="brand">Kiosk admin</strong><nav><a href="/admin/kpi" aria-current="page">KPIs</a>` +
		`<a href="/admin/experiments">Experiments</a><a href="/admin/sources">Sources</a><a href="/admin/articles">Articles</a>` +
		`<a href="/admin/audit">Audit</a><a href="/admin/account">Account</a></nav>` +
		`<form method="post" action="/admin/logout" class="logout"><input type="hidden" name="csrf" value="tok&amp;&lt;"><button>Sign out</button></form>` +
		`</header><main><h1>A &lt;b&gt;&amp;&#34;&#39;</h1><p class="notice" role="status">ok &amp; fine</p>` +
		`<p class="error" role="alert">bad &lt;x&gt;</p><p>b</p></main></body></html>`
	if got := Render(layout(v)); got != want {
		t.Errorf("layout:\n got %s\nwant %s", got, want)
	}
	// Signed out: no navigation, no sign-out form.
	want = "<!doctype html>\n" + `<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">` +
		`<title>Sign in · Kiosk admin</title><link rel="stylesheet" href="/admin/assets/console.css"></head>` +
		`<body><header><strong class="brand">Kiosk admin</strong></header><main><h1>Sign in</h1>x</main></body></html>`
	if got := Render(layout(View{Title: "Sign in", Body: T("x")})); got != want {
		t.Errorf("signed-out layout:\n got %s\nwant %s", got, want)
	}
}
