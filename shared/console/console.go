// Package console is the admin console's web layer, shared by the functions
// that serve its pages: the layout and stylesheet, sign-in with an editor
// account (shared/editor: invitations, server-side sessions), the session
// cookie, CSRF tokens on every form, roles, the audit record of a change,
// security headers and error pages. Each function adds its own pages.
package console

import (
	"crypto/sha256"
	"crypto/subtle"
	"embed"
	"encoding/base64"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/kiosk-news/kiosk/shared/editor"
	"github.com/kiosk-news/kiosk/shared/kiosk"
	"github.com/kiosk-news/kiosk/shared/platform/httpapi"
	"github.com/kiosk-news/kiosk/shared/platform/ratelimit"
)

//go:embed assets/*
var files embed.FS

// CSP allows nothing but this origin's stylesheet and inline SVG charts: no
// script at all.
const CSP = "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// View is a page: its title, navigation entry, the session's CSRF token
// (empty when signed out), who is signed in, messages and body.
type View struct {
	Title, Nav, CSRF, Error, Notice string
	Editor                          editor.Editor
	Body                            Node
}

// Handler handles a page for a signed-in editor; v carries the CSRF token.
type Handler func(w http.ResponseWriter, r *http.Request, v View)

// Site is one function's part of the console.
type Site struct {
	Accounts *editor.Store
	// Limiter counts sign-in attempts per account (the gateway limits them
	// per address); nil counts nothing.
	Limiter *ratelimit.Limiter
	Now     func() time.Time
}

// Sign-in attempts allowed per account and window.
const (
	SignInAttempts = 10
	SignInWindow   = 15 * time.Minute
)

// SessionCookie is the console session's cookie.
const SessionCookie = "kiosk_console"

// When formats a time for a page.
func When(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return t.UTC().Format("2006-01-02 15:04:05")
}

var nav = [][2]string{{"kpi", "KPIs"}, {"experiments", "Experiments"}, {"sources", "Sources"}, {"articles", "Articles"}, {"batches", "Batches"}, {"dead-letters", "Dead letters"},
	{"audit", "Audit"}, {"editors", "Editors"}, {"account", "Account"}}

// layout is the page around a view's body. Its fixed markup is written as
// it is rendered (no text in it needs escaping); the title, messages and
// body go through the builder, escaped. Built from E calls, it was 6 KiB of
// code in every console function.
func layout(v View) Node {
	page := Nodes{Raw("<!doctype html>\n" + `<html lang="en"><head><meta charset="utf-8">` +
		`<meta name="viewport" content="width=device-width, initial-scale=1"><title>`), T(v.Title + " · Kiosk admin"),
		Raw(`</title><link rel="stylesheet" href="/admin/assets/console.css"></head><body><header><strong class="brand">Kiosk admin</strong>`)}
	if v.CSRF != "" {
		links := "<nav>"
		for _, n := range nav {
			if !v.Editor.Operator() && (n[0] == "batches" || n[0] == "dead-letters" || n[0] == "editors") {
				continue
			}
			links += `<a href="/admin/` + n[0] + `"`
			if v.Nav == n[0] {
				links += ` aria-current="page"`
			}
			links += ">" + n[1] + "</a>"
		}
		page = append(page, Raw(links+"</nav>"),
			PostForm("/admin/logout", v.CSRF, At(A("class", "logout")), E("button", nil, T("Sign out"))))
	}
	page = append(page, Raw("</header><main><h1>"), T(v.Title), Raw("</h1>"))
	if v.Notice != "" {
		page = append(page, E("p", At(A("class", "notice"), A("role", "status")), T(v.Notice)))
	}
	if v.Error != "" {
		page = append(page, E("p", At(A("class", "error"), A("role", "alert")), T(v.Error)))
	}
	return append(page, v.Body, Raw("</main></body></html>"))
}

// New returns a site.
func New(accounts *editor.Store, limiter *ratelimit.Limiter, now func() time.Time) *Site {
	return &Site{Accounts: accounts, Limiter: limiter, Now: now}
}

// Headers sets the security headers of every console response.
func Headers(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Security-Policy", CSP)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Cache-Control", "no-store")
}

// Render writes a page.
func (s *Site) Render(w http.ResponseWriter, r *http.Request, status int, v View) {
	Headers(w)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(Render(layout(v))))
}

// Fail shows an error page: a client error's message, or a generic one (the
// cause is logged) for anything else.
func (s *Site) Fail(w http.ResponseWriter, r *http.Request, v View, err error) {
	status := httpapi.Status(kiosk.ErrorCode(err)) // the API's one code → status table
	if status >= 500 {
		slog.ErrorContext(r.Context(), "console error", "path", r.URL.Path, "error", err)
	}
	v.Error = kiosk.ErrorMessage(err)
	if v.Title == "" {
		v.Title = "Error"
	}
	v.Body = E("p", nil, E("a", At(A("href", "/admin")), T("Console home")))
	s.Render(w, r, status, v)
}

// secure: API Gateway says https; the local gateway says http.
func secure(r *http.Request) bool { return r.Header.Get("X-Forwarded-Proto") == "https" }

func cookie(r *http.Request, value string, maxAge int) *http.Cookie {
	return &http.Cookie{Name: SessionCookie, Value: value, Path: "/admin", MaxAge: maxAge, HttpOnly: true,
		Secure: secure(r), SameSite: http.SameSiteStrictMode}
}

// sameOrigin refuses a state-changing request another site's page sent:
// browsers name the page's origin on every POST.
func sameOrigin(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" || origin == "null" {
		site := r.Header.Get("Sec-Fetch-Site")
		return origin == "" && (site == "" || site == "same-origin" || site == "none")
	}
	// The Host header as the browser sent it (API Gateway passes it on);
	// r.Host is the API's domain name without a port.
	host := r.Header.Get("Host")
	if host == "" {
		host = r.Host
	}
	u, err := url.Parse(origin)
	return err == nil && u.Host == host
}

// csrfToken is the token every state-changing form carries: a hash of the
// session id, useless to anyone without the cookie and revealing nothing of it.
func csrfToken(session string) string {
	sum := sha256.Sum256([]byte("kiosk console csrf|" + session))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// Page guards a console page for any signed-in editor: without a valid
// session a GET goes to the sign-in page and anything else too (its form is
// lost: sign in first); every POST needs the session's CSRF token and a
// same-origin request.
func (s *Site) Page(h Handler) http.Handler { return s.guard(false, h) }

// Operator guards a page only operators may use (403 for editors).
func (s *Site) Operator(h Handler) http.Handler { return s.guard(true, h) }

// guard is not inlined: inlined, its handler's body was compiled once per
// route (2.4 KB each), which alone kept a console binary near its budget.
//
//go:noinline
func (s *Site) guard(operator bool, h Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sc, _ := r.Cookie(SessionCookie)
		var who editor.Editor
		ok := false
		if sc != nil {
			var err error
			who, ok, err = s.Accounts.Session(r.Context(), sc.Value)
			if err != nil {
				s.Fail(w, r, View{}, err)
				return
			}
		}
		if !ok {
			Headers(w)
			next := "/admin"
			if r.Method == http.MethodGet {
				next = r.URL.RequestURI()
			}
			http.Redirect(w, r, "/admin/login?next="+url.QueryEscape(next), http.StatusSeeOther)
			return
		}
		v := View{CSRF: csrfToken(sc.Value), Editor: who}
		if r.Method != http.MethodGet {
			r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
			if err := r.ParseForm(); err != nil {
				s.Fail(w, r, v, kiosk.Errorf(kiosk.EINVALID, "the form could not be read"))
				return
			}
			if !sameOrigin(r) || subtle.ConstantTimeCompare([]byte(r.PostForm.Get("csrf")), []byte(v.CSRF)) != 1 {
				v.Title, v.Error = "Refused", "the form's security token is missing or stale; reload the page and try again"
				v.Body = E("p", nil, E("a", At(A("href", "/admin")), T("Console home")))
				s.Render(w, r, http.StatusForbidden, v)
				return
			}
		}
		if operator && !who.Operator() {
			s.Fail(w, r, v, kiosk.Errorf(kiosk.EFORBIDDEN, "only operators may do this"))
			return
		}
		h(w, r, v)
	})
}

// Audit records a change the signed-in editor made (after it is stored).
// When the record cannot be written the change stays stored and the error
// says so.
func (s *Site) Audit(r *http.Request, v View, action, target string, before, after any) error {
	err := s.Accounts.Audit(r.Context(), editor.Record{Actor: v.Editor.Email, Action: action, Target: target,
		Before: editor.State(before), After: editor.State(after), RequestID: httpapi.RequestID(r.Context())})
	if err != nil {
		return errors.Join(kiosk.Errorf(kiosk.EUNAVAILABLE, "the change is stored but its audit record could not be written"), err)
	}
	return nil
}

// LocalPath checks that raw is a same-site relative console path (/admin,
// /admin/… or /admin?…), well escaped, at most 2 KiB, and returns it parsed.
func LocalPath(raw string) (*url.URL, bool) {
	if len(raw) > 2048 || strings.HasPrefix(raw, "//") || strings.ContainsAny(raw, "\\\x00\r\n\t") ||
		!(raw == "/admin" || strings.HasPrefix(raw, "/admin/") || strings.HasPrefix(raw, "/admin?")) {
		return nil, false
	}
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" || strings.Contains(u.Path, "..") {
		return nil, false
	}
	if _, err := url.ParseQuery(u.RawQuery); err != nil {
		return nil, false
	}
	return u, true
}

// SafeNext keeps a redirect inside the console.
func SafeNext(next string) string {
	if _, ok := LocalPath(next); !ok {
		return "/admin"
	}
	return next
}

// MountSignIn adds the sign-in, sign-out and invitation pages and the
// stylesheet.
func (s *Site) MountSignIn(mux *http.ServeMux) {
	mux.HandleFunc("GET /admin/assets/{file}", asset)
	mux.HandleFunc("GET /admin/login", func(w http.ResponseWriter, r *http.Request) {
		s.Render(w, r, http.StatusOK, View{Title: "Sign in", Body: loginForm(SafeNext(r.URL.Query().Get("next")), "")})
	})
	mux.HandleFunc("POST /admin/login", s.login)
	mux.Handle("POST /admin/logout", s.Page(func(w http.ResponseWriter, r *http.Request, v View) {
		sc, _ := r.Cookie(SessionCookie)
		if err := s.Accounts.EndSession(r.Context(), sc.Value); err != nil {
			s.Fail(w, r, v, err)
			return
		}
		http.SetCookie(w, cookie(r, "", -1))
		http.Redirect(w, r, "/admin/login", http.StatusSeeOther)
	}))
	mux.HandleFunc("GET /admin/join", s.joinPage)
	mux.HandleFunc("POST /admin/join", s.join)
}

func (s *Site) login(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil || !sameOrigin(r) {
		s.Render(w, r, http.StatusBadRequest, View{Title: "Sign in", Error: "the sign-in form could not be read", Body: loginForm("/admin", "")})
		return
	}
	next := SafeNext(r.PostForm.Get("next"))
	email := strings.ToLower(strings.TrimSpace(r.PostForm.Get("email")))
	if len(email) > 200 {
		email = email[:200]
	}
	// Attempts are counted per account (an address that is no account's
	// shape is refused at once; the gateway counts attempts per address).
	if _, bad := editor.NormalizeEmail(email); bad == nil && s.Limiter != nil {
		d, err := s.Limiter.Allow(r.Context(), "console-sign-in", email, SignInAttempts, SignInWindow)
		if err != nil {
			slog.ErrorContext(r.Context(), "sign-in limiter", "error", err)
		}
		if !d.Allowed {
			w.Header().Set("Retry-After", strconv.Itoa(int(d.RetryAfter.Seconds())+1))
			s.Render(w, r, http.StatusTooManyRequests, View{Title: "Sign in",
				Error: "too many sign-in attempts for this account; try again later", Body: loginForm(next, email)})
			return
		}
	}
	session, who, err := s.Accounts.SignIn(r.Context(), email, r.PostForm.Get("password"))
	if kiosk.ErrorCode(err) == kiosk.EUNAUTHORIZED {
		slog.WarnContext(r.Context(), "console sign-in refused")
		s.Render(w, r, http.StatusUnauthorized, View{Title: "Sign in", Error: kiosk.ErrorMessage(err), Body: loginForm(next, email)})
		return
	}
	if err != nil {
		s.Fail(w, r, View{}, err)
		return
	}
	slog.InfoContext(r.Context(), "console sign-in", "role", who.Role)
	http.SetCookie(w, cookie(r, session, int(editor.SessionTTL.Seconds())))
	Headers(w)
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func loginForm(next, email string) Node {
	return E("form", At(A("method", "post"), A("action", "/admin/login"), A("class", "card narrow")),
		Hidden("next", next),
		E("div", At(A("class", "field")),
			E("label", At(A("for", "email")), T("Email")),
			E("input", At(A("type", "email"), A("id", "email"), A("name", "email"), A("value", email), A("autocomplete", "username"),
				B("required", true), B("autofocus", true)))),
		E("div", At(A("class", "field")),
			E("label", At(A("for", "password")), T("Password")),
			E("input", At(A("type", "password"), A("id", "password"), A("name", "password"), A("autocomplete", "current-password"),
				B("required", true))),
			E("small", nil, T("No account? An operator invites you with a one-time link."))),
		E("button", At(A("type", "submit")), T("Sign in")))
}

func joinForm(token string, inv editor.Invitation) Node {
	return E("form", At(A("method", "post"), A("action", "/admin/join"), A("class", "card narrow")),
		Hidden("token", token),
		E("p", nil, T("Invited as "+inv.Role+": "+inv.Email+". Choose a password ("+strconv.Itoa(editor.MinPassword)+
			"–"+strconv.Itoa(editor.MaxPassword)+" characters).")),
		E("div", At(A("class", "field")),
			E("label", At(A("for", "password")), T("Password")),
			E("input", At(A("type", "password"), A("id", "password"), A("name", "password"), A("autocomplete", "new-password"),
				A("minlength", strconv.Itoa(editor.MinPassword)), A("maxlength", strconv.Itoa(editor.MaxPassword)), B("required", true), B("autofocus", true)))),
		E("button", At(A("type", "submit")), T("Create my account")))
}

// joinPage shows an invitation's form (the token is in the query, which
// the access log does not record).
func (s *Site) joinPage(w http.ResponseWriter, r *http.Request) {
	token := r.URL.Query().Get("token")
	inv, err := s.Accounts.Invitation(r.Context(), token)
	if err != nil {
		s.Fail(w, r, View{Title: "Invitation"}, err)
		return
	}
	s.Render(w, r, http.StatusOK, View{Title: "Join Kiosk admin", Body: joinForm(token, inv)})
}

func (s *Site) join(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil || !sameOrigin(r) {
		s.Fail(w, r, View{Title: "Invitation"}, kiosk.Errorf(kiosk.EINVALID, "the form could not be read"))
		return
	}
	token := r.PostForm.Get("token")
	e, err := s.Accounts.Accept(r.Context(), token, r.PostForm.Get("password"))
	if kiosk.ErrorCode(err) == kiosk.EINVALID {
		inv, ierr := s.Accounts.Invitation(r.Context(), token)
		if ierr == nil {
			s.Render(w, r, http.StatusBadRequest, View{Title: "Join Kiosk admin", Error: kiosk.ErrorMessage(err), Body: joinForm(token, inv)})
			return
		}
	}
	if err != nil {
		s.Fail(w, r, View{Title: "Invitation"}, err)
		return
	}
	if err := s.Accounts.Audit(r.Context(), editor.Record{Actor: e.Email, Action: "editor.join", Target: e.Email,
		After:     editor.State(map[string]string{"email": e.Email, "role": e.Role, "invited_by": e.InvitedBy}),
		RequestID: httpapi.RequestID(r.Context())}); err != nil {
		slog.ErrorContext(r.Context(), "audit a join", "error", err)
	}
	session, err := s.Accounts.NewSession(r.Context(), e)
	if err != nil {
		s.Fail(w, r, View{}, err)
		return
	}
	http.SetCookie(w, cookie(r, session, int(editor.SessionTTL.Seconds())))
	Headers(w)
	http.Redirect(w, r, "/admin", http.StatusSeeOther)
}

func asset(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("file")
	b, err := files.ReadFile("assets/" + name)
	if err != nil || strings.Contains(name, "/") {
		http.NotFound(w, r)
		return
	}
	Headers(w)
	w.Header().Set("Cache-Control", "public, max-age=300")
	if strings.HasSuffix(name, ".css") {
		w.Header().Set("Content-Type", "text/css; charset=utf-8")
	}
	_, _ = w.Write(b)
}
