package main

import (
	"net/http"
	"net/url"
	"strings"

	web "github.com/kiosk-news/kiosk/shared/console"
	"github.com/kiosk-news/kiosk/shared/editor"
	"github.com/kiosk-news/kiosk/shared/kiosk"
	"github.com/kiosk-news/kiosk/shared/platform/contract"
	"github.com/kiosk-news/kiosk/shared/platform/httpapi"
)

// Accounts, the audit log, and the break-glass invitation route.
func (c *console) accountRoutes(mux *http.ServeMux) {
	mux.Handle("GET /admin/editors", c.site.Operator(c.editors))
	mux.Handle("POST /admin/editors/invitations", c.site.Operator(c.invite))
	mux.Handle("POST /admin/editors/remove", c.site.Operator(c.removeEditor))
	mux.Handle("GET /admin/account", c.site.Page(c.account))
	mux.Handle("POST /admin/account/password", c.site.Page(c.changePassword))
	mux.Handle("GET /admin/audit", c.site.Page(c.audit))
	// The admin token (checked by the gateway's authorizer, and here) may
	// invite the first operator, or any account when nobody can sign in.
	mux.Handle("POST /admin/api/editors/invitations", httpapi.RequireRole(contract.RoleAdmin, http.HandlerFunc(c.apiInvite)))
}

// joinLink is the one-time link an invitation is used through.
func joinLink(r *http.Request, token string) string {
	return "/admin/join?" + url.Values{"token": {token}}.Encode()
}

func (c *console) editors(w http.ResponseWriter, r *http.Request, v view) {
	c.editorsWith(w, r, v, http.StatusOK, "", "")
}

func (c *console) editorsWith(w http.ResponseWriter, r *http.Request, v view, status int, link, email string) {
	list, err := c.accounts.Editors(r.Context())
	if err != nil {
		c.site.Fail(w, r, v, err)
		return
	}
	var rows []web.Node
	for _, e := range list {
		remove := web.Node(web.T("you"))
		if e.Email != v.Editor.Email {
			remove = web.PostForm("/admin/editors/remove", v.CSRF, nil, web.Hidden("email", e.Email),
				web.E("button", web.At(web.A("type", "submit")), web.T("Remove")))
		}
		rows = append(rows, web.Row(web.At(web.A("id", "ed-"+e.Email)), []string{e.Email, e.Role, e.InvitedBy, web.When(e.CreatedAt)},
			web.E("td", nil, remove)))
	}
	v.Title, v.Nav = "Editors", "editors"
	body := web.Nodes{web.Table("editors", []string{"Email", "Role", "Invited by", "Since", ""}, rows, "No accounts yet.")}
	if link != "" {
		body = append(body, web.E("p", web.At(web.A("class", "notice"), web.A("role", "status"), web.A("id", "invitation")),
			web.T("Send "+email+" this one-time link (valid 72 hours, shown only now): "),
			web.E("code", web.At(web.A("id", "invitation-link")), web.T(link))))
	}
	body = append(body, web.E("h2", nil, web.T("Invite someone")),
		web.PostForm("/admin/editors/invitations", v.CSRF, web.At(web.A("class", "card"), web.A("id", "invite")),
			web.E("div", web.At(web.A("class", "field")), web.E("label", web.At(web.A("for", "inv-email")), web.T("Email")),
				web.E("input", web.At(web.A("type", "email"), web.A("id", "inv-email"), web.A("name", "email"), web.B("required", true)))),
			web.E("div", web.At(web.A("class", "field")), web.E("label", web.At(web.A("for", "inv-role")), web.T("Role")),
				web.E("select", web.At(web.A("id", "inv-role"), web.A("name", "role")),
					web.E("option", web.At(web.A("value", editor.RoleEditor)), web.T("editor: sources and moderation")),
					web.E("option", web.At(web.A("value", editor.RoleOperator)), web.T("operator: also batches, dead letters and accounts")))),
			web.E("button", web.At(web.A("type", "submit")), web.T("Create invitation"))))
	v.Body = body
	c.site.Render(w, r, status, v)
}

func (c *console) invite(w http.ResponseWriter, r *http.Request, v view) {
	inv, err := c.accounts.Invite(r.Context(), r.PostForm.Get("email"), r.PostForm.Get("role"), v.Editor.Email)
	if err == nil {
		err = c.site.Audit(r, v, "editor.invite", inv.Email, nil, map[string]any{"email": inv.Email, "role": inv.Role, "expires_at": inv.ExpiresAt})
	}
	if err != nil {
		c.site.Fail(w, r, v, err)
		return
	}
	c.editorsWith(w, r, v, http.StatusCreated, joinLink(r, inv.Token), inv.Email)
}

func (c *console) removeEditor(w http.ResponseWriter, r *http.Request, v view) {
	email := r.PostForm.Get("email")
	if email == v.Editor.Email {
		c.site.Fail(w, r, v, kiosk.Errorf(kiosk.EINVALID, "you cannot remove your own account; ask another operator"))
		return
	}
	if _, err := editor.NormalizeEmail(email); err != nil {
		c.site.Fail(w, r, v, err)
		return
	}
	old, err := c.accounts.Remove(r.Context(), email)
	if err == nil {
		err = c.site.Audit(r, v, "editor.remove", email, map[string]string{"email": old.Email, "role": old.Role}, nil)
	}
	if err != nil {
		c.site.Fail(w, r, v, err)
		return
	}
	http.Redirect(w, r, "/admin/editors", http.StatusSeeOther)
}

func (c *console) account(w http.ResponseWriter, r *http.Request, v view) {
	if r.URL.Query().Get("changed") == "password" {
		v.Notice = "Password changed; every other session of yours has ended."
	}
	c.accountWith(w, r, v, http.StatusOK)
}

func (c *console) accountWith(w http.ResponseWriter, r *http.Request, v view, status int) {
	pw := func(id, label, complete string) web.Node {
		return web.E("div", web.At(web.A("class", "field")), web.E("label", web.At(web.A("for", id)), web.T(label)),
			web.E("input", web.At(web.A("type", "password"), web.A("id", id), web.A("name", id), web.A("autocomplete", complete), web.B("required", true))))
	}
	v.Title, v.Nav = "Account", "account"
	v.Body = web.Nodes{
		web.E("p", nil, web.T("Signed in as "+v.Editor.Email+" ("+v.Editor.Role+").")),
		web.E("h2", nil, web.T("Change password")),
		web.PostForm("/admin/account/password", v.CSRF, web.At(web.A("class", "card narrow")),
			pw("current", "Current password", "current-password"), pw("new", "New password", "new-password"),
			web.E("button", web.At(web.A("type", "submit")), web.T("Change password"))),
	}
	c.site.Render(w, r, status, v)
}

func (c *console) changePassword(w http.ResponseWriter, r *http.Request, v view) {
	e, err := c.accounts.ChangePassword(r.Context(), v.Editor.Email, r.PostForm.Get("current"), r.PostForm.Get("new"))
	if kiosk.ErrorCode(err) == kiosk.EINVALID {
		v.Error = kiosk.ErrorMessage(err)
		c.accountWith(w, r, v, http.StatusBadRequest)
		return
	}
	if err == nil {
		err = c.site.Audit(r, v, "editor.password", e.Email, nil, nil)
	}
	if err != nil {
		c.site.Fail(w, r, v, err)
		return
	}
	// Every session ended with the old generation; this one goes on anew.
	session, err := c.accounts.NewSession(r.Context(), e)
	if err != nil {
		c.site.Fail(w, r, v, err)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: web.SessionCookie, Value: session, Path: "/admin", MaxAge: int(editor.SessionTTL.Seconds()),
		HttpOnly: true, Secure: r.Header.Get("X-Forwarded-Proto") == "https", SameSite: http.SameSiteStrictMode})
	http.Redirect(w, r, "/admin/account?changed=password", http.StatusSeeOther)
}

func (c *console) audit(w http.ResponseWriter, r *http.Request, v view) {
	q := r.URL.Query()
	f := editor.AuditFilter{Actor: strings.TrimSpace(q.Get("actor")), Action: strings.TrimSpace(q.Get("action"))}
	p, err := c.accounts.AuditLog(r.Context(), f, q.Get("cursor"), 50)
	if err != nil {
		c.site.Fail(w, r, v, err)
		return
	}
	var rows []web.Node
	for _, rec := range p.Items {
		rows = append(rows, web.Row(nil, []string{web.When(rec.At), rec.Actor, rec.Action, rec.Target, rec.Before, rec.After, rec.RequestID}))
	}
	input := func(name, label, value, placeholder string) web.Nodes {
		return web.Nodes{web.E("label", web.At(web.A("for", name)), web.T(label)),
			web.E("input", web.At(web.A("id", name), web.A("name", name), web.A("value", value), web.A("placeholder", placeholder)))}
	}
	body := web.Nodes{
		web.E("form", web.At(web.A("method", "get"), web.A("action", "/admin/audit"), web.A("class", "filters")),
			input("actor", "Who", f.Actor, "an email or admin-token"), input("action", "What", f.Action, "e.g. source.update"),
			web.E("button", web.At(web.A("type", "submit")), web.T("Filter"))),
		web.Table("audit", []string{"When", "Who", "What", "Target", "Before", "After", "Request"}, rows, "No changes recorded."),
	}
	if p.NextCursor != "" {
		next := "/admin/audit?" + url.Values{"actor": {f.Actor}, "action": {f.Action}, "cursor": {p.NextCursor}}.Encode()
		body = append(body, web.E("p", web.At(web.A("class", "pager")), web.E("a", web.At(web.A("href", next), web.A("rel", "next")), web.T("Older"))))
	}
	v.Title, v.Nav, v.Body = "Audit log", "audit", body
	c.site.Render(w, r, http.StatusOK, v)
}

type invitationRequest struct {
	Email string `json:"email"`
	Role  string `json:"role"`
}

type invitationResponse struct {
	editor.Invitation
	Link string `json:"link"`
}

// apiInvite is the break-glass invitation: the admin token invites an
// account (the first operator); the answer holds the one-time link.
func (c *console) apiInvite(w http.ResponseWriter, r *http.Request) {
	var in invitationRequest
	if err := httpapi.Decode(r, &in); err != nil {
		httpapi.Error(w, r, err)
		return
	}
	inv, err := c.accounts.Invite(r.Context(), in.Email, in.Role, editor.AdminToken)
	if err == nil {
		err = c.accounts.Audit(r.Context(), editor.Record{Actor: editor.AdminToken, Action: "editor.invite", Target: inv.Email,
			After: editor.State(map[string]any{"email": inv.Email, "role": inv.Role, "expires_at": inv.ExpiresAt}), RequestID: httpapi.RequestID(r.Context())})
	}
	if err != nil {
		httpapi.Error(w, r, err)
		return
	}
	httpapi.WriteJSON(w, http.StatusCreated, invitationResponse{Invitation: inv, Link: joinLink(r, inv.Token)})
}
