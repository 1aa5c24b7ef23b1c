// Package moderation is the admin console's article pages, served by the
// admin-moderation function: the article list with hide/pin, and stories (a
// story's versions; split, merge, lead). They are the console's only pages
// that announce on the bus (article.moderated), so they are a function of
// their own: the rest of the console neither links EventBridge nor may publish.
package moderation

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/kiosk-news/kiosk/shared/article"
	web "github.com/kiosk-news/kiosk/shared/console"
	"github.com/kiosk-news/kiosk/shared/kiosk"
	"github.com/kiosk-news/kiosk/shared/platform/form"
)

// pages serves the article pages over the articles service; every change
// is audited under the signed-in editor.
type pages struct {
	site     *web.Site
	articles *article.Service
}

type view = web.View

// Mount adds the article list, moderation and story pages to mux; every
// page needs a session and every form its CSRF token (site.Page).
func Mount(mux *http.ServeMux, site *web.Site, articles *article.Service) {
	c := &pages{site: site, articles: articles}
	mux.Handle("GET /admin/articles", site.Page(c.articleList))
	mux.Handle("POST /admin/articles/{id}/moderation", site.Page(c.moderate))
	mux.Handle("POST /admin/articles/{id}/story", site.Page(c.moveToStory))
	mux.Handle("GET /admin/stories/{id}", site.Page(c.story))
	mux.Handle("POST /admin/stories/{id}/lead", site.Page(c.makeLead))
}

func (c *pages) articleList(w http.ResponseWriter, r *http.Request, v view) {
	q := r.URL.Query()
	category, hidden := q.Get("category"), q.Get("hidden")
	p, err := c.articles.AdminArticles(r.Context(), category, hidden, q.Get("cursor"), 25)
	if err != nil {
		c.site.Fail(w, r, v, err)
		return
	}
	here := r.URL.RequestURI()
	var rows []web.Node
	for _, a := range p.Items {
		toggle := func(label, hiddenVal, pinnedVal string) web.Node {
			return web.PostForm("/admin/articles/"+a.ID+"/moderation", v.CSRF, nil, web.Hidden("back", here),
				web.Hidden("hidden", hiddenVal), web.Hidden("pinned", pinnedVal),
				web.E("button", web.At(web.A("type", "submit"), web.A("name", "action"), web.A("value", strings.ToLower(label))), web.T(label)))
		}
		hideLabel, pinLabel := "Hide", "Pin"
		if a.Hidden {
			hideLabel = "Show"
		}
		if a.Pinned {
			pinLabel = "Unpin"
		}
		class := ""
		if a.Hidden {
			class = "hidden-row"
		}
		story := web.Nodes{web.T("—")}
		if article.ValidID(a.Story) {
			label := "Versions"
			if a.StoryByEditor {
				label = "Versions (set by an editor)"
			}
			story = web.Nodes{web.E("a", web.At(web.A("href", "/admin/stories/"+a.Story)), web.T(label))}
		}
		rows = append(rows, web.Row(web.At(web.A("id", "a-"+a.ID), web.A("class", class)), form.Row(a),
			web.E("td", web.At(web.A("class", "story")), story...),
			web.E("td", web.At(web.A("class", "actions")),
				toggle(hideLabel, strconv.FormatBool(!a.Hidden), strconv.FormatBool(a.Pinned)),
				toggle(pinLabel, strconv.FormatBool(a.Hidden), strconv.FormatBool(!a.Pinned)),
				web.E("a", web.At(web.Href("href", a.URL), web.A("rel", "noopener noreferrer")), web.T("Open")))))
	}
	var headings []string
	for _, col := range form.Columns(article.Article{}) {
		headings = append(headings, col.Heading)
	}
	option := func(value, label string) web.Node {
		return web.E("option", web.At(web.A("value", value), web.B("selected", hidden == value)), web.T(label))
	}
	body := web.Nodes{
		web.E("form", web.At(web.A("method", "get"), web.A("action", "/admin/articles"), web.A("class", "filters")),
			web.E("label", web.At(web.A("for", "category")), web.T("Category")),
			web.E("input", web.At(web.A("id", "category"), web.A("name", "category"), web.A("value", category), web.A("placeholder", "any"))),
			web.E("label", web.At(web.A("for", "hidden")), web.T("Shown")),
			web.E("select", web.At(web.A("id", "hidden"), web.A("name", "hidden")), option("", "all"), option("no", "visible"), option("yes", "hidden")),
			web.E("button", web.At(web.A("type", "submit")), web.T("Filter"))),
		web.Table("articles", append(headings, "Story", "Moderate"), rows, "No articles match."),
	}
	if p.NextCursor != "" {
		next := "/admin/articles?" + url.Values{"category": {category}, "hidden": {hidden}, "cursor": {p.NextCursor}}.Encode()
		body = append(body, web.E("p", web.At(web.A("class", "pager")), web.E("a", web.At(web.A("href", next), web.A("rel", "next")), web.T("Older"))))
	}
	if m := q.Get("moderated"); article.ValidID(m) {
		v.Notice = "Article " + m + " moderated; the feeds show it after the ranking run it requested."
	}
	v.Title, v.Nav, v.Body = "Articles", "articles", body
	c.site.Render(w, r, http.StatusOK, v)
}

// moderationState is an article's moderation in the audit log.
type moderationState struct {
	Hidden bool `json:"hidden"`
	Pinned bool `json:"pinned"`
}

func (c *pages) moderate(w http.ResponseWriter, r *http.Request, v view) {
	hidden, err1 := strconv.ParseBool(r.PostForm.Get("hidden"))
	pinned, err2 := strconv.ParseBool(r.PostForm.Get("pinned"))
	if err1 != nil || err2 != nil {
		c.site.Fail(w, r, v, kiosk.Errorf(kiosk.EINVALID, "hidden and pinned must be true or false"))
		return
	}
	// Everything is checked before anything is stored.
	back := r.PostForm.Get("back")
	if back == "" {
		back = "/admin/articles"
	}
	u, ok := web.LocalPath(back)
	if !ok || u.Path != "/admin/articles" {
		c.site.Fail(w, r, v, kiosk.Errorf(kiosk.EINVALID, "back must be a link to the article list"))
		return
	}
	// A link the list itself would refuse is refused now, not after the
	// change (a 303 to a 400).
	bq := u.Query()
	if err := article.CheckAdminArticles(bq.Get("category"), bq.Get("hidden"), bq.Get("cursor")); err != nil {
		c.site.Fail(w, r, v, kiosk.Errorf(kiosk.EINVALID, "back must be a link to the article list: %s", kiosk.ErrorMessage(err)))
		return
	}
	id := r.PathValue("id")
	m, err := c.articles.Moderate(r.Context(), id, article.ModerationInput{Hidden: &hidden, Pinned: &pinned})
	if err == nil {
		err = c.site.Audit(r, v, "article.moderate", id, moderationState{m.WasHidden, m.WasPinned}, moderationState{m.Hidden, m.Pinned})
	}
	if err != nil {
		c.site.Fail(w, r, v, err)
		return
	}
	bq.Set("moderated", id)
	u.RawQuery = bq.Encode()
	http.Redirect(w, r, u.String(), http.StatusSeeOther)
}
