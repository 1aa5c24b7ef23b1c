package moderation

import (
	"context"
	"net/http"
	"net/url"
	"strings"

	"github.com/kiosk-news/kiosk/shared/article"
	web "github.com/kiosk-news/kiosk/shared/console"
	"github.com/kiosk-news/kiosk/shared/kiosk"
)

// Stories: a story's versions, and an editor's split, merge and lead.

// asEditor is the articles service auditing under the signed-in editor: the
// service decides what is a change and audits it after it is stored, as it
// does under the admin token in the admin API.
func (c *pages) asEditor(r *http.Request, v view) *article.Service {
	s := *c.articles
	s.Audit = func(_ context.Context, ch article.Change) error {
		return c.site.Audit(r, v, ch.Action, ch.Target, ch.Before, ch.After)
	}
	return &s
}

func (c *pages) story(w http.ResponseWriter, r *http.Request, v view) {
	id := r.PathValue("id")
	st, err := c.articles.Story(r.Context(), id)
	if err != nil {
		c.site.Fail(w, r, v, err)
		return
	}
	q := r.URL.Query()
	switch {
	case article.ValidID(q.Get("moved")):
		v.Notice = "Article " + q.Get("moved") + " moved to this story; the feeds follow after the ranking run it requested."
	case article.ValidID(q.Get("lead")):
		v.Notice = "Article " + q.Get("lead") + " now leads this story; the feeds follow after the ranking run it requested."
	}
	here := "/admin/stories/" + st.ID
	var rows []web.Node
	for _, ver := range st.Versions {
		var actions web.Nodes
		if !ver.Lead && !ver.Hidden {
			actions = append(actions, web.PostForm(here+"/lead", v.CSRF, nil, web.Hidden("article", ver.ID),
				web.E("button", web.At(web.A("type", "submit")), web.T("Make lead"))))
		}
		if ver.ID != st.ID {
			actions = append(actions, web.PostForm("/admin/articles/"+ver.ID+"/story", v.CSRF, nil,
				web.Hidden("story", ver.ID), web.Hidden("from", st.ID),
				web.E("button", web.At(web.A("type", "submit")), web.T("Split out"))))
		}
		actions = append(actions, web.PostForm("/admin/articles/"+ver.ID+"/story", v.CSRF, web.At(web.A("class", "merge")),
			web.Hidden("from", st.ID),
			web.E("label", web.At(web.A("for", "m-"+ver.ID)), web.T("Merge into story")),
			web.E("input", web.At(web.A("id", "m-"+ver.ID), web.A("name", "story"), web.B("required", true),
				web.A("pattern", "[0-9a-f]{32}"), web.A("maxlength", "32"), web.A("size", "34"), web.A("placeholder", "story id"))),
			web.E("button", web.At(web.A("type", "submit")), web.T("Merge"))),
			web.E("a", web.At(web.Href("href", ver.URL), web.A("rel", "noopener noreferrer")), web.T("Open")))
		by := "ingestion"
		if ver.StoryByEditor {
			by = "an editor"
		}
		class := ""
		if ver.Hidden {
			class = "hidden-row"
		}
		rows = append(rows, web.Row(web.At(web.A("id", "v-"+ver.ID), web.A("class", class)),
			[]string{ver.Title, ver.SourceID, web.When(ver.PublishedAt), yesNo(ver.Hidden), yesNo(ver.Pinned), yesNo(ver.Lead), by},
			web.E("td", web.At(web.A("class", "actions")), actions...)))
	}
	body := web.Nodes{
		web.E("p", nil, web.T("Every source's version of this story, oldest first. The lead is the version the feeds show first; "+
			"a version split out becomes a story of its own; merging puts a version into another story (its id is on that story's page).")),
		web.Table("versions", []string{"Title", "Source", "Published", "Hidden", "Pinned", "Lead", "Story set by", "Change"}, rows, "No versions."),
	}
	if st.More {
		body = append(body, web.E("p", web.At(web.A("class", "notice")), web.T("This story has more versions than the page shows.")))
	}
	links := web.Nodes{web.E("a", web.At(web.A("href", "/admin/articles")), web.T("All articles"))}
	if from := q.Get("from"); article.ValidID(from) && from != st.ID {
		links = append(links, web.T(" · "), web.E("a", web.At(web.A("href", "/admin/stories/"+from)), web.T("The story it left")))
	}
	body = append(body, web.E("p", nil, links...))
	v.Title, v.Nav, v.Body = "Story "+st.ID, "articles", body
	c.site.Render(w, r, http.StatusOK, v)
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// moveToStory splits a version out (story = its own id) or merges it into
// the story named in the form, then shows the story it is in.
func (c *pages) moveToStory(w http.ResponseWriter, r *http.Request, v view) {
	story := strings.TrimSpace(r.PostForm.Get("story"))
	from := r.PostForm.Get("from")
	// Everything is checked before anything is stored.
	if from != "" && !article.ValidID(from) {
		c.site.Fail(w, r, v, kiosk.Errorf(kiosk.EINVALID, "from must be a story id"))
		return
	}
	ver, _, err := c.asEditor(r, v).MoveToStory(r.Context(), r.PathValue("id"), article.StoryInput{Story: story})
	if err != nil {
		c.site.Fail(w, r, v, err)
		return
	}
	q := url.Values{"moved": {ver.ID}}
	if from != "" {
		q.Set("from", from)
	}
	http.Redirect(w, r, "/admin/stories/"+ver.Story+"?"+q.Encode(), http.StatusSeeOther)
}

// makeLead makes the form's article its story's lead.
func (c *pages) makeLead(w http.ResponseWriter, r *http.Request, v view) {
	id, lead := r.PathValue("id"), r.PostForm.Get("article")
	if _, _, err := c.asEditor(r, v).MakeLead(r.Context(), id, article.LeadInput{Article: lead}); err != nil {
		c.site.Fail(w, r, v, err)
		return
	}
	http.Redirect(w, r, "/admin/stories/"+id+"?"+url.Values{"lead": {lead}}.Encode(), http.StatusSeeOther)
}
