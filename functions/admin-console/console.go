package main

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/kiosk-news/kiosk/shared/article"
	web "github.com/kiosk-news/kiosk/shared/console"
	"github.com/kiosk-news/kiosk/shared/editor"
	"github.com/kiosk-news/kiosk/shared/kiosk"
	"github.com/kiosk-news/kiosk/shared/platform/form"
	"github.com/kiosk-news/kiosk/shared/tracking"
)

// console is the editors' part of the admin console: sources, articles and
// KPIs, server-rendered over the domains' services.
type console struct {
	site     *web.Site
	accounts *editor.Store
	articles *article.Service
	kpi      *tracking.Service
	now      func() time.Time
}

type view = web.View

func (c *console) routes() *http.ServeMux {
	mux := http.NewServeMux()
	c.site.MountSignIn(mux)
	mux.Handle("GET /admin", c.site.Page(c.home))
	mux.Handle("GET /admin/sources", c.site.Page(c.sources))
	mux.Handle("POST /admin/sources", c.site.Page(c.createSource))
	mux.Handle("GET /admin/sources/{id}", c.site.Page(c.source))
	mux.Handle("POST /admin/sources/{id}", c.site.Page(c.updateSource))
	mux.Handle("POST /admin/sources/{id}/delete", c.site.Page(c.deleteSource))
	mux.Handle("POST /admin/sources/{id}/refetch", c.site.Page(c.refetchSource))
	mux.Handle("GET /admin/kpi", c.site.Page(c.dashboard))
	mux.Handle("GET /admin/experiments", c.site.Page(c.experiments))
	c.accountRoutes(mux)
	return mux
}

func (c *console) home(w http.ResponseWriter, r *http.Request, v view) {
	http.Redirect(w, r, "/admin/kpi", http.StatusSeeOther)
}

// Sources.

const (
	sourcesPerPage = 25
	maxPage        = 10000 // 250,000 sources
	maxFilter      = 200
)

// pageNumber reads a list's page parameter: empty is 1; anything but a
// whole number from 1 to maxPage is a client error.
func pageNumber(raw string) (int, error) {
	if raw == "" {
		return 1, nil
	}
	n, err := strconv.Atoi(raw)
	if err != nil || n < 1 || n > maxPage {
		return 0, kiosk.Errorf(kiosk.EINVALID, "page must be a whole number from 1 to %d", maxPage)
	}
	return n, nil
}

func (c *console) sources(w http.ResponseWriter, r *http.Request, v view) {
	weight := 1.0
	c.sourcesWith(w, r, v, http.StatusOK, article.SourceInput{Weight: &weight}, nil)
}

// sourcesWith shows the filtered, paged list of sources and the form that
// adds one (with the given values and field errors).
func (c *console) sourcesWith(w http.ResponseWriter, r *http.Request, v view, status int, in article.SourceInput, errs map[string]string) {
	list, err := c.articles.ListSources(r.Context())
	if err != nil {
		c.site.Fail(w, r, v, err)
		return
	}
	q := strings.ToLower(strings.TrimSpace(r.URL.Query().Get("q")))
	page, err := pageNumber(r.URL.Query().Get("page"))
	if err == nil && len(q) > maxFilter {
		err = kiosk.Errorf(kiosk.EINVALID, "the filter is at most %d characters", maxFilter)
	}
	if err != nil {
		c.site.Fail(w, r, v, err)
		return
	}
	var rows []web.Node
	for _, s := range list {
		if q != "" && !strings.Contains(strings.ToLower(s.ID+" "+s.Name+" "+s.Category+" "+s.URL), q) {
			continue
		}
		rows = append(rows, web.Row(web.At(web.A("id", "s-"+s.ID)), form.Row(s),
			web.E("td", nil, web.E("a", web.At(web.A("href", "/admin/sources/"+s.ID)), web.T("Edit")))))
	}
	total := len(rows)
	from := min((page-1)*sourcesPerPage, total)
	rows = rows[from:min(from+sourcesPerPage, total)]
	var headings []string
	for _, col := range form.Columns(article.Source{}) {
		headings = append(headings, col.Heading)
	}
	pager := web.Nodes{web.T(strconv.Itoa(total) + " sources")}
	link := func(p int) string {
		return "/admin/sources?" + url.Values{"q": {q}, "page": {strconv.Itoa(p)}}.Encode()
	}
	if page > 1 {
		pager = append(pager, web.T(" · "), web.E("a", web.At(web.A("href", link(page-1)), web.A("rel", "prev")), web.T("Previous")))
	}
	if from+sourcesPerPage < total {
		pager = append(pager, web.T(" · "), web.E("a", web.At(web.A("href", link(page+1)), web.A("rel", "next")), web.T("Next")))
	}
	if errs != nil {
		v.Error = errs[""]
		if v.Error == "" {
			v.Error = "please correct the fields marked below"
		}
	}
	v.Title, v.Nav = "Sources", "sources"
	v.Body = web.Nodes{
		web.E("form", web.At(web.A("method", "get"), web.A("action", "/admin/sources"), web.A("class", "filters")),
			web.E("label", web.At(web.A("for", "q")), web.T("Filter")),
			web.E("input", web.At(web.A("id", "q"), web.A("name", "q"), web.A("value", q), web.A("placeholder", "name, id, category or URL"))),
			web.E("button", web.At(web.A("type", "submit")), web.T("Filter"))),
		web.Table("sources", append(headings, ""), rows, "No sources match."),
		web.E("p", web.At(web.A("class", "pager")), pager...),
		web.E("h2", nil, web.T("Add a source")),
		web.PostForm("/admin/sources", v.CSRF, web.At(web.A("class", "card"), web.A("id", "add-source"), web.B("novalidate", true)),
			web.Fields(form.Fields(in, errs, true)), web.E("button", web.At(web.A("type", "submit")), web.T("Add source"))),
	}
	c.site.Render(w, r, status, v)
}

// decodeSource reads a source form; type errors come back per field.
func decodeSource(r *http.Request) (article.SourceInput, map[string]string) {
	var in article.SourceInput
	errs := form.Decode(r.PostForm, &in)
	if len(errs) == 0 {
		errs = nil
	}
	return in, errs
}

// fieldErrors maps a domain validation error to the form's fields; ok is
// false for any other error.
func fieldErrors(in article.SourceInput, err error) (map[string]string, bool) {
	if kiosk.ErrorCode(err) != kiosk.EINVALID {
		return nil, false
	}
	problems := kiosk.Details(err)
	if len(problems) == 0 {
		problems = []string{kiosk.ErrorMessage(err)}
	}
	return form.Errors(in, problems), true
}

func (c *console) createSource(w http.ResponseWriter, r *http.Request, v view) {
	in, errs := decodeSource(r)
	if errs != nil {
		c.sourcesWith(w, r, v, http.StatusBadRequest, in, errs)
		return
	}
	src, err := c.articles.CreateSource(r.Context(), in)
	if errs, ok := fieldErrors(in, err); ok {
		c.sourcesWith(w, r, v, http.StatusBadRequest, in, errs)
		return
	}
	if kiosk.ErrorCode(err) == kiosk.ECONFLICT {
		c.sourcesWith(w, r, v, http.StatusConflict, in, map[string]string{"id": kiosk.ErrorMessage(err)})
		return
	}
	if err == nil {
		err = c.site.Audit(r, v, "source.create", src.ID, nil, src)
	}
	if err != nil {
		c.site.Fail(w, r, v, err)
		return
	}
	http.Redirect(w, r, "/admin/sources/"+src.ID+"?saved=created", http.StatusSeeOther)
}

func (c *console) source(w http.ResponseWriter, r *http.Request, v view) {
	switch s := r.URL.Query().Get("saved"); s {
	case "created", "updated":
		v.Notice = "Source " + s + "."
	case "due":
		v.Notice = "The source is fetched on the next run."
	}
	c.showSource(w, r, v, http.StatusOK)
}

// showSource reads the path's source and shows its page as stored.
func (c *console) showSource(w http.ResponseWriter, r *http.Request, v view, status int) {
	src, err := c.articles.GetSource(r.Context(), r.PathValue("id"))
	if err != nil {
		c.site.Fail(w, r, v, err)
		return
	}
	weight := src.Weight
	in := article.SourceInput{ID: src.ID, URL: src.URL, Name: src.Name, Category: src.Category, Weight: &weight}
	c.sourceWith(w, r, v, status, src, in, nil)
}

func (c *console) sourceWith(w http.ResponseWriter, r *http.Request, v view, status int, src article.Source, in article.SourceInput, errs map[string]string) {
	if errs != nil {
		v.Error = errs[""]
		if v.Error == "" {
			v.Error = "please correct the fields marked below"
		}
	}
	facts := web.Nodes{
		web.E("dt", nil, web.T("Last checked")), web.E("dd", nil, web.T(web.When(src.LastChecked))),
		web.E("dt", nil, web.T("Last success")), web.E("dd", nil, web.T(web.When(src.LastSuccess))),
		web.E("dt", nil, web.T("Failures in a row")), web.E("dd", nil, web.T(strconv.Itoa(src.ConsecutiveFailures))),
	}
	if src.LastError != "" {
		facts = append(facts, web.E("dt", nil, web.T("Last error")), web.E("dd", nil, web.T(src.LastError)))
	}
	if !src.NextFetchAt.IsZero() {
		facts = append(facts, web.E("dt", nil, web.T("Next fetch")), web.E("dd", nil, web.T(web.When(src.NextFetchAt))))
	}
	var refetch web.Node = web.Nodes{}
	// Only a source backed off after failures: a healthy one's next fetch is
	// its adaptive interval's, which refetch refuses to forget.
	if src.ConsecutiveFailures > 0 && !src.NextFetchAt.IsZero() {
		refetch = web.PostForm("/admin/sources/"+src.ID+"/refetch", v.CSRF, nil,
			web.E("button", web.At(web.A("type", "submit")), web.T("Fetch on the next run")), web.T(" "),
			web.E("small", nil, web.T("Even before a Retry-After the publisher sent. Its failures and validators stay: if it still fails, it backs off further.")))
	}
	v.Title, v.Nav = "Source "+src.ID, "sources"
	v.Body = web.Nodes{
		web.E("dl", web.At(web.A("class", "facts")), facts...),
		refetch,
		web.PostForm("/admin/sources/"+src.ID, v.CSRF, web.At(web.A("class", "card"), web.B("novalidate", true)),
			web.Fields(form.Fields(in, errs, false)), web.E("button", web.At(web.A("type", "submit")), web.T("Save"))),
		web.PostForm("/admin/sources/"+src.ID+"/delete", v.CSRF, web.At(web.A("class", "danger")),
			web.E("button", web.At(web.A("type", "submit")), web.T("Delete this source")), web.T(" "), web.E("small", nil, web.T("Its articles stay."))),
		web.E("p", nil, web.E("a", web.At(web.A("href", "/admin/sources")), web.T("All sources"))),
	}
	c.site.Render(w, r, status, v)
}

func (c *console) updateSource(w http.ResponseWriter, r *http.Request, v view) {
	id := r.PathValue("id")
	src, err := c.articles.GetSource(r.Context(), id)
	if err != nil {
		c.site.Fail(w, r, v, err)
		return
	}
	in, errs := decodeSource(r)
	if errs != nil {
		in.ID = id
		c.sourceWith(w, r, v, http.StatusBadRequest, src, in, errs)
		return
	}
	after, err := c.articles.UpdateSource(r.Context(), id, in) // an id in the form other than the path's is refused
	in.ID = id
	if errs, ok := fieldErrors(in, err); ok {
		c.sourceWith(w, r, v, http.StatusBadRequest, src, in, errs)
		return
	}
	if err == nil {
		err = c.site.Audit(r, v, "source.update", id, src, after)
	}
	if err != nil {
		c.site.Fail(w, r, v, err)
		return
	}
	http.Redirect(w, r, "/admin/sources/"+id+"?saved=updated", http.StatusSeeOther)
}

func (c *console) deleteSource(w http.ResponseWriter, r *http.Request, v view) {
	id := r.PathValue("id")
	before, err := c.articles.GetSource(r.Context(), id)
	if err == nil {
		err = c.articles.DeleteSource(r.Context(), id)
	}
	if err == nil {
		err = c.site.Audit(r, v, "source.delete", id, before, nil)
	}
	if err != nil {
		c.site.Fail(w, r, v, err)
		return
	}
	http.Redirect(w, r, "/admin/sources", http.StatusSeeOther)
}

// refetchSource makes the source due on the ingestion batch's next run
// (article.Service.RefetchSource: one write on success; a refusal reads
// the source to say why), audited under the editor's name. A source that is
// not failing is left as it is (409): its page says so.
func (c *console) refetchSource(w http.ResponseWriter, r *http.Request, v view) {
	id := r.PathValue("id")
	_, err := c.asEditor(r, v).RefetchSource(r.Context(), id)
	if kiosk.ErrorCode(err) == kiosk.ECONFLICT {
		v.Notice = "The source is not failing: it is fetched at its next fetch, or on the next run if it has none. Nothing changed."
		c.showSource(w, r, v, http.StatusConflict)
		return
	}
	if err != nil {
		c.site.Fail(w, r, v, err)
		return
	}
	http.Redirect(w, r, "/admin/sources/"+id+"?saved=due", http.StatusSeeOther)
}

// asEditor is the articles service auditing under the signed-in editor, as
// admin-moderation's pages do: the service audits the change its write made.
func (c *console) asEditor(r *http.Request, v view) *article.Service {
	s := *c.articles
	s.Audit = func(_ context.Context, ch article.Change) error {
		return c.site.Audit(r, v, ch.Action, ch.Target, ch.Before, ch.After)
	}
	return &s
}

// KPI dashboard.

func (c *console) dashboard(w http.ResponseWriter, r *http.Request, v view) {
	q := r.URL.Query()
	d, err := c.kpi.Dashboard(r.Context(), q.Get("range"), q.Get("granularity"))
	if err != nil {
		c.site.Fail(w, r, v, err)
		return
	}
	rng, gran := d.Range, d.Granularity
	series := func(f func(tracking.Row) float64) []point {
		out := make([]point, len(d.Series))
		for i, p := range d.Series {
			out[i] = point{p.At, f(p.Row)}
		}
		return out
	}
	usersLabel := "Active users per hour"
	if gran == tracking.Day {
		usersLabel = "Daily active users"
	}
	charts := web.Nodes{
		web.Raw(lineChart(usersLabel, series(func(r tracking.Row) float64 { return float64(r.Users) }), "%.0f")),
		web.Raw(lineChart("Impressions", series(func(r tracking.Row) float64 { return float64(r.Impressions) }), "%.0f")),
		web.Raw(lineChart("Clicks", series(func(r tracking.Row) float64 { return float64(r.Clicks) }), "%.0f")),
		web.Raw(lineChart("Click-through rate", series(func(r tracking.Row) float64 { return r.CTR * 100 }), "%.1f%%")),
	}
	var tables web.Nodes
	for _, by := range tracking.TopDimensions {
		heading := map[string]string{"category": "Top categories", "source": "Top sources", "article": "Top articles"}[by]
		best := d.Top[by]
		if by == "category" {
			var bars []bar
			for _, t := range best {
				bars = append(bars, bar{t.Key, float64(t.Clicks)})
			}
			charts = append(charts, web.Raw(barChart("Clicks by category", bars)))
		}
		var trs []web.Node
		for _, t := range best {
			label := t.Key
			if by == "article" {
				if a, err := c.articles.GetArticle(r.Context(), t.Key); err == nil {
					label = a.Title
				}
			}
			trs = append(trs, web.Row(nil, []string{label, strconv.FormatInt(t.Impressions, 10), strconv.FormatInt(t.Clicks, 10),
				fmt.Sprintf("%.1f%%", t.CTR*100), strconv.FormatInt(t.Reads, 10), strconv.FormatInt(t.Shares, 10)}))
		}
		tables = append(tables, web.E("h2", nil, web.T(heading)),
			web.Table("top-"+by, []string{by, "Impressions", "Clicks", "CTR", "Reads", "Shares"}, trs, "No data."))
	}
	opt := func(value, selected string) web.Node {
		return web.E("option", web.At(web.A("value", value), web.B("selected", value == selected)), web.T(value))
	}
	body := web.Nodes{
		web.E("form", web.At(web.A("method", "get"), web.A("action", "/admin/kpi"), web.A("class", "filters")),
			web.E("label", web.At(web.A("for", "range")), web.T("Range")),
			web.E("select", web.At(web.A("id", "range"), web.A("name", "range")), opt("24h", rng), opt("7d", rng), opt("30d", rng)),
			web.E("label", web.At(web.A("for", "granularity")), web.T("Per")),
			web.E("select", web.At(web.A("id", "granularity"), web.A("name", "granularity")), opt("hour", gran), opt("day", gran)),
			web.E("button", web.At(web.A("type", "submit")), web.T("Show"))),
	}
	if d.Empty {
		body = append(body, web.E("p", web.At(web.A("class", "notice")), web.T("No KPI data in this range yet: app events are counted by the "),
			web.E("a", web.At(web.A("href", "/admin/batches")), web.T("aggregate-kpi batch")), web.T(".")))
	}
	body = append(body, web.E("div", web.At(web.A("class", "charts")), charts...), tables)
	v.Title, v.Nav, v.Body = "KPIs", "kpi", body
	c.site.Render(w, r, http.StatusOK, v)
}
