// Package console is the admin console's web layer, shared by the functions
// that serve its pages: the layout and stylesheet, sign-in with the admin
// token, the session cookie, CSRF tokens on every form, security headers and
// error pages. Each function adds its own page templates and handlers.
package console

import (
	"context"
	"embed"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/kiosk-news/kiosk/shared/auth"
	"github.com/kiosk-news/kiosk/shared/kiosk"
	"github.com/kiosk-news/kiosk/shared/platform/httpapi"
)

//go:embed assets/*
var files embed.FS

// CSP allows nothing but this origin's stylesheet and inline SVG charts: no
// script at all.
const CSP = "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// View is a page: its title, navigation entry, the session's CSRF token
// (empty when signed out), messages and body.
type View struct {
	Title, Nav, CSRF, Error, Notice string
	Body                            Node
}

// Handler handles a page for a signed-in editor; v carries the CSRF token.
type Handler func(w http.ResponseWriter, r *http.Request, v View)

// Site is one function's part of the console.
type Site struct {
	AdminToken func(ctx context.Context) (string, error)
	Now        func() time.Time
}

// When formats a time for a page.
func When(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return t.UTC().Format("2006-01-02 15:04:05")
}

var nav = [][2]string{{"kpi", "KPIs"}, {"sources", "Sources"}, {"articles", "Articles"}, {"batches", "Batches"}, {"dead-letters", "Dead letters"}}

func layout(v View) Node {
	head := E("head", nil,
		E("meta", At(A("charset", "utf-8"))),
		E("meta", At(A("name", "viewport"), A("content", "width=device-width, initial-scale=1"))),
		E("title", nil, T(v.Title+" · Kiosk admin")),
		E("link", At(A("rel", "stylesheet"), A("href", "/admin/assets/console.css"))))
	header := Nodes{E("strong", At(A("class", "brand")), T("Kiosk admin"))}
	if v.CSRF != "" {
		var links Nodes
		for _, n := range nav {
			links = append(links, E("a", At(A("href", "/admin/"+n[0]), current(v.Nav == n[0])), T(n[1])))
		}
		header = append(header, E("nav", nil, links...),
			PostForm("/admin/logout", v.CSRF, At(A("class", "logout")), E("button", nil, T("Sign out"))))
	}
	var msgs Nodes
	if v.Notice != "" {
		msgs = append(msgs, E("p", At(A("class", "notice"), A("role", "status")), T(v.Notice)))
	}
	if v.Error != "" {
		msgs = append(msgs, E("p", At(A("class", "error"), A("role", "alert")), T(v.Error)))
	}
	return Nodes{Raw("<!doctype html>\n"), E("html", At(A("lang", "en")), head,
		E("body", nil, E("header", nil, header...), E("main", nil, E("h1", nil, T(v.Title)), msgs, v.Body)))}
}

func current(on bool) Attr {
	if on {
		return A("aria-current", "page")
	}
	return Attr{}
}

// New returns a site.
func New(adminToken func(ctx context.Context) (string, error), now func() time.Time) *Site {
	return &Site{AdminToken: adminToken, Now: now}
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
	return &http.Cookie{Name: auth.SessionCookie, Value: value, Path: "/admin", MaxAge: maxAge, HttpOnly: true,
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

// Page guards a console page: without a valid session a GET goes to the
// sign-in page and anything else too (its form is lost: sign in first);
// every POST needs the session's CSRF token and a same-origin request.
func (s *Site) Page(h Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token, err := s.AdminToken(r.Context())
		if err != nil {
			s.Fail(w, r, View{}, err)
			return
		}
		sc, _ := r.Cookie(auth.SessionCookie)
		if sc == nil || !auth.VerifySession(token, sc.Value, s.Now()) {
			Headers(w)
			next := "/admin"
			if r.Method == http.MethodGet {
				next = r.URL.RequestURI()
			}
			http.Redirect(w, r, "/admin/login?next="+url.QueryEscape(next), http.StatusSeeOther)
			return
		}
		v := View{CSRF: auth.CSRFToken(token, sc.Value)}
		if r.Method != http.MethodGet {
			r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
			if err := r.ParseForm(); err != nil {
				s.Fail(w, r, v, kiosk.Errorf(kiosk.EINVALID, "the form could not be read"))
				return
			}
			if !sameOrigin(r) || !auth.VerifyCSRF(token, sc.Value, r.PostForm.Get("csrf")) {
				v.Title, v.Error = "Refused", "the form's security token is missing or stale; reload the page and try again"
				v.Body = E("p", nil, E("a", At(A("href", "/admin")), T("Console home")))
				s.Render(w, r, http.StatusForbidden, v)
				return
			}
		}
		h(w, r, v)
	})
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

// MountSignIn adds the sign-in and sign-out pages and the stylesheet.
func (s *Site) MountSignIn(mux *http.ServeMux) {
	mux.HandleFunc("GET /admin/assets/{file}", asset)
	mux.HandleFunc("GET /admin/login", func(w http.ResponseWriter, r *http.Request) {
		s.Render(w, r, http.StatusOK, View{Title: "Sign in", Body: loginForm(SafeNext(r.URL.Query().Get("next")))})
	})
	mux.HandleFunc("POST /admin/login", s.login)
	mux.Handle("POST /admin/logout", s.Page(func(w http.ResponseWriter, r *http.Request, v View) {
		http.SetCookie(w, cookie(r, "", -1))
		http.Redirect(w, r, "/admin/login", http.StatusSeeOther)
	}))
}

func (s *Site) login(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil || !sameOrigin(r) {
		s.Render(w, r, http.StatusBadRequest, View{Title: "Sign in", Error: "the sign-in form could not be read", Body: loginForm("/admin")})
		return
	}
	token, err := s.AdminToken(r.Context())
	if err != nil {
		s.Fail(w, r, View{}, err)
		return
	}
	next := SafeNext(r.PostForm.Get("next"))
	if !auth.AdminTokenMatches(token, r.PostForm.Get("token")) {
		slog.WarnContext(r.Context(), "console sign-in refused")
		s.Render(w, r, http.StatusUnauthorized, View{Title: "Sign in", Error: "that is not the admin token", Body: loginForm(next)})
		return
	}
	http.SetCookie(w, cookie(r, auth.NewSession(token, s.Now()), int(auth.SessionTTL.Seconds())))
	Headers(w)
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func loginForm(next string) Node {
	return E("form", At(A("method", "post"), A("action", "/admin/login"), A("class", "card narrow")),
		Hidden("next", next),
		E("div", At(A("class", "field")),
			E("label", At(A("for", "token")), T("Admin token")),
			E("input", At(A("type", "password"), A("id", "token"), A("name", "token"), A("autocomplete", "current-password"),
				B("required", true), B("autofocus", true))),
			E("small", nil, T("From Secrets Manager (admin-token) in AWS; make dev prints it at start."))),
		E("button", At(A("type", "submit")), T("Sign in")))
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
