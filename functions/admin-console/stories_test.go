package main

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kiosk-news/kiosk/events"
	"github.com/kiosk-news/kiosk/shared/article"
	"github.com/kiosk-news/kiosk/shared/editor"
)

// seedStories stores story A (articles a, then b clustered with it) and
// story C (article c alone).
func (h *harness) seedStories() (a, b, c article.Article) {
	h.t.Helper()
	mk := func(path string, story string, at time.Duration) article.Article {
		x := article.Article{ID: article.IDFor("https://news.example/" + path), URL: "https://news.example/" + path, Title: "Version " + path,
			SourceID: "desk-" + path, Category: "world", PublishedAt: now.Add(at), IngestedAt: now.Add(at)}
		x.Story = story
		if story == "" {
			x.Story = x.ID
		}
		if err := h.store.PutArticle(context.Background(), x); err != nil {
			h.t.Fatal(err)
		}
		return x
	}
	a = mk("a", "", -3*time.Hour)
	b = mk("b", a.ID, -2*time.Hour)
	c = mk("c", "", -time.Hour)
	return a, b, c
}

func (h *harness) auditLog() []editor.Record {
	h.t.Helper()
	log, err := h.accounts.AuditLog(context.Background(), editor.AuditFilter{}, "", 100)
	if err != nil {
		h.t.Fatal(err)
	}
	return log.Items
}

// TestAnEditorSplitsMergesAndLeadsAStoryFromTheConsole: the article list
// links each article's story; the story page shows every version with its
// forms; an editor (not an operator) splits a version out, makes a lead and
// merges the version into another story; each change is stored, announced
// with the article's whole editorial state and audited under the editor's
// name.
func TestAnEditorSplitsMergesAndLeadsAStoryFromTheConsole(t *testing.T) {
	h := newHarness(t)
	h.cookie = h.join("ed@kiosk.example", editor.RoleEditor)
	a, b, c := h.seedStories()
	ctx := context.Background()

	_, body := h.do("GET", "/admin/articles", nil, nil)
	if strings.Count(body, `href="/admin/stories/`+a.ID+`"`) != 2 || !strings.Contains(body, `href="/admin/stories/`+c.ID+`"`) {
		t.Fatal("the article list does not link each article's story")
	}
	resp, body := h.do("GET", "/admin/stories/"+a.ID, nil, nil)
	if resp.StatusCode != 200 || !strings.Contains(body, "Version a") || !strings.Contains(body, "Version b") || strings.Contains(body, "Version c") ||
		!strings.Contains(body, `action="/admin/articles/`+b.ID+`/story"`) || !strings.Contains(body, `action="/admin/stories/`+a.ID+`/lead"`) {
		t.Fatalf("story A's page: %d\n%s", resp.StatusCode, body)
	}
	token := h.csrf("/admin/stories/" + a.ID)

	resp, _ = h.do("POST", "/admin/articles/"+b.ID+"/story", url.Values{"csrf": {token}, "story": {b.ID}, "from": {a.ID}}, nil)
	if want := "/admin/stories/" + b.ID + "?from=" + a.ID + "&moved=" + b.ID; resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != want {
		t.Fatalf("split: %d → %s, want 303 → %s", resp.StatusCode, resp.Header.Get("Location"), want)
	}
	if got, _ := h.store.GetArticle(ctx, b.ID); got.Story != b.ID || !got.StoryByEditor {
		t.Errorf("b after the split: %+v", got)
	}
	_, body = h.do("GET", "/admin/stories/"+b.ID+"?from="+a.ID+"&moved="+b.ID, nil, nil)
	if !strings.Contains(body, "Version b") || strings.Contains(body, "Version a") || !strings.Contains(body, "moved to this story") ||
		!strings.Contains(body, `href="/admin/stories/`+a.ID+`"`) || !strings.Contains(body, "an editor") {
		t.Errorf("b's own story page:\n%s", body)
	}
	if _, body = h.do("GET", "/admin/stories/"+a.ID, nil, nil); strings.Contains(body, "Version b") {
		t.Error("story A still shows the version split out of it")
	}

	resp, _ = h.do("POST", "/admin/stories/"+a.ID+"/lead", url.Values{"csrf": {token}, "article": {a.ID}}, nil)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/admin/stories/"+a.ID+"?lead="+a.ID {
		t.Fatalf("lead: %d → %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	if got, _ := h.store.GetArticle(ctx, a.ID); !got.Lead {
		t.Errorf("a is not the lead: %+v", got)
	}

	resp, _ = h.do("POST", "/admin/articles/"+b.ID+"/story", url.Values{"csrf": {token}, "story": {" " + c.ID + " "}, "from": {b.ID}}, nil)
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/admin/stories/"+c.ID+"?") {
		t.Fatalf("merge: %d → %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	if _, body = h.do("GET", "/admin/stories/"+c.ID, nil, nil); !strings.Contains(body, "Version b") || !strings.Contains(body, "Version c") {
		t.Errorf("story C after the merge:\n%s", body)
	}

	want := []events.ArticleModerated{{ID: b.ID, Story: b.ID, At: now}, {ID: a.ID, Lead: true, At: now}, {ID: b.ID, Story: c.ID, At: now.Add(time.Millisecond)}}
	if len(h.announced) != len(want) {
		t.Fatalf("announced %+v, want %+v", h.announced, want)
	}
	for i := range want {
		if h.announced[i] != want[i] {
			t.Errorf("announcement %d: %+v, want %+v", i, h.announced[i], want[i])
		}
	}
	var audited []string
	for _, r := range h.auditLog() { // by time, and the clock stood still: in any order
		if r.Action == "article.story" || r.Action == "story.lead" {
			audited = append(audited, r.Actor+" "+r.Action+" "+r.Target+" "+r.After)
		}
	}
	slices.Sort(audited)
	wantAudit := []string{
		`ed@kiosk.example article.story ` + b.ID + ` {"story":"` + c.ID + `","story_by_editor":true,"lead":false}`,
		`ed@kiosk.example story.lead ` + a.ID + ` {"leads":["` + a.ID + `"]}`,
		`ed@kiosk.example article.story ` + b.ID + ` {"story":"` + b.ID + `","story_by_editor":true,"lead":false}`,
	}
	slices.Sort(wantAudit)
	if strings.Join(audited, "\n") != strings.Join(wantAudit, "\n") {
		t.Errorf("audit log:\n%s\nwant\n%s", strings.Join(audited, "\n"), strings.Join(wantAudit, "\n"))
	}
}

// TestHostileStoryRequestsChangeNothing: without the CSRF token, from
// another site, with another session's token, with hostile ids, into a story
// that does not exist, a lead for a hidden version, a bad back reference —
// each is a 4xx page and nothing is stored, announced or audited.
func TestHostileStoryRequestsChangeNothing(t *testing.T) {
	h := newHarness(t)
	h.signIn()
	a, b, c := h.seedStories()
	yes, no := true, false
	if _, err := h.asService().Moderate(context.Background(), c.ID, article.ModerationInput{Hidden: &yes, Pinned: &no}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.asService().Moderate(context.Background(), b.ID, article.ModerationInput{Hidden: &no, Pinned: &no}); err != nil {
		t.Fatal(err)
	}
	token := h.csrf("/admin/stories/" + a.ID)
	other := h.join("other@kiosk.example", editor.RoleEditor)
	before := h.snapshot()

	for _, path := range []string{"/admin/stories/%00", "/admin/stories/" + strings.Repeat("a", 33), "/admin/stories/" + strings.ToUpper(a.ID),
		"/admin/stories/" + article.IDFor("none"), "/admin/stories/" + a.ID + "?moved=%3Cscript%3E&from=%zz"} {
		resp, body := h.do("GET", path, nil, nil)
		if resp.StatusCode >= 500 || strings.Contains(body, "<script>") {
			t.Errorf("GET %s: %d", path, resp.StatusCode)
		}
	}
	for _, c := range []struct {
		name, path string
		form       url.Values
		header     map[string]string
		cookie     bool // the other editor's session with this session's token
		want       int
	}{
		{"no CSRF token", "/admin/articles/" + b.ID + "/story", url.Values{"story": {b.ID}}, nil, false, 403},
		{"a forged token", "/admin/articles/" + b.ID + "/story", url.Values{"story": {b.ID}, "csrf": {"forged"}}, nil, false, 403},
		{"another site's page", "/admin/articles/" + b.ID + "/story", url.Values{"story": {b.ID}, "csrf": {token}}, map[string]string{"Origin": "https://evil.example"}, false, 403},
		{"another session replaying the form", "/admin/articles/" + b.ID + "/story", url.Values{"story": {b.ID}, "csrf": {token}}, nil, true, 403},
		{"another session replaying a lead", "/admin/stories/" + a.ID + "/lead", url.Values{"article": {b.ID}, "csrf": {token}}, nil, true, 403},
		{"a hostile article id", "/admin/articles/..%2f..%2fx/story", url.Values{"story": {b.ID}, "csrf": {token}}, nil, false, 400},
		{"an upper-case article id", "/admin/articles/" + strings.ToUpper(b.ID) + "/story", url.Values{"story": {b.ID}, "csrf": {token}}, nil, false, 400},
		{"a hostile story id", "/admin/articles/" + b.ID + "/story", url.Values{"story": {"<script>"}, "csrf": {token}}, nil, false, 400},
		{"no story", "/admin/articles/" + b.ID + "/story", url.Values{"csrf": {token}}, nil, false, 400},
		{"a bad back reference", "/admin/articles/" + b.ID + "/story", url.Values{"story": {b.ID}, "from": {"//evil.example"}, "csrf": {token}}, nil, false, 400},
		{"a merge into a story that does not exist", "/admin/articles/" + b.ID + "/story", url.Values{"story": {article.IDFor("none")}, "csrf": {token}}, nil, false, 404},
		{"an unknown article", "/admin/articles/" + article.IDFor("none") + "/story", url.Values{"story": {a.ID}, "csrf": {token}}, nil, false, 404},
		{"splitting the first article of a story", "/admin/articles/" + a.ID + "/story", url.Values{"story": {a.ID}, "csrf": {token}}, nil, false, 409},
		{"a hidden lead", "/admin/stories/" + c.ID + "/lead", url.Values{"article": {c.ID}, "csrf": {token}}, nil, false, 409},
		{"another story's article as lead", "/admin/stories/" + a.ID + "/lead", url.Values{"article": {c.ID}, "csrf": {token}}, nil, false, 409},
		{"a hostile lead", "/admin/stories/" + a.ID + "/lead", url.Values{"article": {"1e400"}, "csrf": {token}}, nil, false, 400},
		{"a lead of an unknown story", "/admin/stories/" + article.IDFor("none") + "/lead", url.Values{"article": {a.ID}, "csrf": {token}}, nil, false, 404},
	} {
		t.Run(c.name, func(t *testing.T) {
			saved := h.cookie
			if c.cookie {
				h.cookie = other
			}
			resp, _ := h.do("POST", c.path, c.form, c.header)
			h.cookie = saved
			if resp.StatusCode != c.want {
				t.Errorf("%d, want %d", resp.StatusCode, c.want)
			}
		})
	}
	if after := h.snapshot(); after != before {
		t.Errorf("a refused request changed the store, announced or audited:\nbefore %s\nafter  %s", before, after)
	}
}

// asService is the console's article service as the harness wires it.
func (h *harness) asService() *article.Service {
	return &article.Service{Store: h.store, Now: func() time.Time { return h.clock }}
}
