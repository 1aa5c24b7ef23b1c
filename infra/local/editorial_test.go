package local_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

type storyVersions struct {
	ID       string `json:"id"`
	More     bool   `json:"more"`
	Versions []struct {
		ID            string `json:"id"`
		Story         string `json:"story"`
		Source        string `json:"source_id"`
		Lead          bool   `json:"lead"`
		StoryByEditor bool   `json:"story_by_editor"`
		ModeratedAt   string `json:"moderated_at"`
	} `json:"versions"`
}

// adminStory reads a story through the admin API.
func adminStory(t *testing.T, id string) (int, storyVersions) {
	t.Helper()
	status, body := admin(t, "GET", "/admin/api/stories/"+id, cloud.AdminToken(), "", "")
	var st storyVersions
	if status == 200 {
		if err := json.Unmarshal(body, &st); err != nil {
			t.Fatalf("story %s: %s", id, body)
		}
	}
	return status, st
}

// mergedVersion finds, through the public API, a sample article that
// ingestion clustered into another article's story.
func mergedVersion(t *testing.T) (id, story, source string) {
	t.Helper()
	eventually(t, "a clustered sample story", func() bool {
		var p struct {
			Items []struct {
				ID       string `json:"id"`
				Story    string `json:"story"`
				SourceID string `json:"source_id"`
			} `json:"items"`
		}
		get(t, "/v1/articles?limit=100", &p)
		for _, a := range p.Items {
			if a.Story != a.ID && a.Story != "" {
				id, story, source = a.ID, a.Story, a.SourceID
				return true
			}
		}
		return false
	})
	return id, story, source
}

// TestAnEditorSplitsAWrongMergeAndItStaysSplit: an editor opens a sample
// story in the console, splits a clustered version out; the next ingestion
// of the same feeds (fetched in full) leaves it split; the story pages and
// the admin API show it; the audit log lists the change under the editor's
// name; hostile requests — another session replaying the form, another
// site's page, bad ids, a merge into a story that does not exist — change
// nothing, and a repeat through the admin API changes no article.
func TestAnEditorSplitsAWrongMergeAndItStaysSplit(t *testing.T) {
	id, story, source := mergedVersion(t)
	ed, edEmail := joinAs(t, "editor")
	op, _ := joinAs(t, "operator")

	status, _, body := consoleGet(t, ed, "/admin/stories/"+story)
	if status != 200 || !strings.Contains(body, `id="v-`+id+`"`) || !strings.Contains(body, `id="v-`+story+`"`) {
		t.Fatalf("the story page before the split: %d\n%s", status, body)
	}
	status, body = consolePost(t, ed, "/admin/stories/"+story, "/admin/articles/"+id+"/story", url.Values{"story": {id}, "from": {story}})
	if status != 200 || !strings.Contains(body, "moved to this story") || !strings.Contains(body, `id="v-`+id+`"`) || strings.Contains(body, `id="v-`+story+`"`) {
		t.Fatalf("the split lands on the version's own story: %d\n%s", status, body)
	}
	// Put it back when done: other tests read the sample stories.
	t.Cleanup(func() {
		if status, body := admin(t, "PUT", "/admin/api/articles/"+id+"/story", cloud.AdminToken(), "application/json", `{"story":"`+story+`"}`); status != 200 {
			t.Errorf("merge it back: %d %s", status, body)
		}
	})
	split := func(when string) {
		t.Helper()
		if status, st := adminStory(t, id); status != 200 || len(st.Versions) != 1 || st.Versions[0].ID != id || !st.Versions[0].StoryByEditor {
			t.Errorf("%s: its own story is %d %+v", when, status, st)
		}
		if status, st := adminStory(t, story); status != 200 || len(st.Versions) == 0 {
			t.Errorf("%s: the story it left is %d %+v", when, status, st)
		} else {
			for _, v := range st.Versions {
				if v.ID == id {
					t.Errorf("%s: the story it left still lists it", when)
				}
			}
		}
	}
	split("after the split")

	// The next ingestion fetches the version's feed in full again (a new
	// URL forgets the validators; the sample server ignores the query).
	code, raw := admin(t, "GET", "/admin/api/sources/"+source, cloud.AdminToken(), "", "")
	var src map[string]any
	if code != 200 || json.Unmarshal(raw, &src) != nil {
		t.Fatalf("source %s: %d %s", source, code, raw)
	}
	update := func(u string) {
		t.Helper()
		b, _ := json.Marshal(map[string]any{"url": u, "name": src["name"], "category": src["category"], "weight": src["weight"]})
		if code, raw := admin(t, "PUT", "/admin/api/sources/"+source, cloud.AdminToken(), "application/json", string(b)); code != 200 {
			t.Fatalf("repoint %s: %d %s", source, code, raw)
		}
	}
	original := src["url"].(string)
	update(original + "?refetch=story-split")
	t.Cleanup(func() { update(original) })
	before := len(cloud.Logs("ingest-feeds", `"msg":"ingest"`, 1000))
	var run struct {
		Status string `json:"status"`
		Error  string `json:"error"`
	}
	if resp := do(t, "POST", "/_local/schedules/ingest-feeds/run", nil, &run); resp.StatusCode != 200 || run.Status != "ok" {
		t.Fatalf("the ingestion run: %d %+v", resp.StatusCode, run)
	}
	var report struct {
		Report struct {
			Fetched    int `json:"fetched"`
			Duplicates int `json:"duplicates"`
		} `json:"report"`
	}
	lines := cloud.Logs("ingest-feeds", `"msg":"ingest"`, 1000)
	if len(lines) <= before || json.Unmarshal([]byte(lines[len(lines)-1]), &report) != nil || report.Report.Fetched == 0 || report.Report.Duplicates == 0 {
		t.Fatalf("the run did not fetch the feed again in full: %v", lines[before:])
	}
	split("after the next ingestion")
	if _, _, body := consoleGet(t, ed, "/admin/stories/"+id); !strings.Contains(body, `id="v-`+id+`"`) || !strings.Contains(body, "an editor") {
		t.Errorf("the version's story page after the next ingestion:\n%s", body)
	}
	var logged []auditEntry
	for _, e := range auditRows(t, op, "action=article.story&actor="+url.QueryEscape(edEmail)) {
		if e.target == id {
			logged = append(logged, e)
		}
	}
	if len(logged) != 1 || !strings.Contains(logged[0].before, `"story":"`+story+`"`) || !strings.Contains(logged[0].after, `"story":"`+id+`"`) {
		t.Errorf("the split in the audit log: %+v", logged)
	}

	// Hostile requests change no table.
	quiet(t)
	snap := snapshot(t)
	_, _, page := consoleGet(t, ed, "/admin/stories/"+id)
	token := consoleCSRFRe.FindStringSubmatch(page)[1]
	post := func(c *http.Client, path string, form url.Values, origin string) int {
		t.Helper()
		req, _ := http.NewRequest("POST", cloud.APIURL+path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if origin != "" {
			req.Header.Set("Origin", origin)
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	none := strings.Repeat("0", 32)
	for _, c := range []struct {
		name   string
		client *http.Client
		path   string
		form   url.Values
		origin string
		want   int
	}{
		{"another session replaying the editor's form", op, "/admin/articles/" + id + "/story", url.Values{"story": {story}, "csrf": {token}}, "", 403},
		{"another site's page", ed, "/admin/articles/" + id + "/story", url.Values{"story": {story}, "csrf": {token}}, "https://evil.example", 403},
		{"a bad article id", ed, "/admin/articles/NOT-AN-ID/story", url.Values{"story": {story}, "csrf": {token}}, "", 400},
		{"a bad story id", ed, "/admin/articles/" + id + "/story", url.Values{"story": {"../" + story}, "csrf": {token}}, "", 400},
		{"a merge into a story that does not exist", ed, "/admin/articles/" + id + "/story", url.Values{"story": {none}, "csrf": {token}}, "", 404},
		{"a lead for another story's version", ed, "/admin/stories/" + story + "/lead", url.Values{"article": {id}, "csrf": {token}}, "", 409},
	} {
		if got := post(c.client, c.path, c.form, c.origin); got != c.want {
			t.Errorf("%s: %d, want %d", c.name, got, c.want)
		}
	}
	for _, c := range []struct {
		name, method, path, body string
		want                     int
	}{
		{"a merge into a story that does not exist", "PUT", "/admin/api/articles/" + id + "/story", `{"story":"` + none + `"}`, 404},
		{"a bad story id", "PUT", "/admin/api/articles/" + id + "/story", `{"story":"` + strings.ToUpper(story) + `"}`, 400},
		{"an unknown article", "PUT", "/admin/api/articles/" + none + "/story", `{"story":"` + story + `"}`, 404},
		{"a story that does not exist", "GET", "/admin/api/stories/" + none, "", 404},
		{"a lead of another story's version", "PUT", "/admin/api/stories/" + story + "/lead", `{"article":"` + id + `"}`, 409},
	} {
		var e struct {
			Error struct{ Code, Message string } `json:"error"`
		}
		code, raw := admin(t, c.method, c.path, cloud.AdminToken(), "application/json", c.body)
		if code != c.want || json.Unmarshal(raw, &e) != nil || e.Error.Code == "" || e.Error.Message == "" {
			t.Errorf("admin API, %s: %d %s, want %d in the error contract", c.name, code, raw, c.want)
		}
	}
	if d := diff(snap, snapshot(t)); len(d) > 0 {
		t.Errorf("hostile requests changed tables: %v", d)
	}
	// The admin token repeating the split is a success that changes no article.
	_, was := adminStory(t, id)
	if code, raw := admin(t, "PUT", "/admin/api/articles/"+id+"/story", cloud.AdminToken(), "application/json", `{"story":"`+id+`"}`); code != 200 {
		t.Errorf("a repeated split: %d %s, want 200", code, raw)
	}
	if _, now := adminStory(t, id); len(now.Versions) != 1 || now.Versions[0] != was.Versions[0] {
		t.Errorf("a repeated split changed the article: %+v → %+v", was, now)
	}
}
