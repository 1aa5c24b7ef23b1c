package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/awslabs/aws-lambda-go-api-proxy/core"

	"github.com/kiosk-news/kiosk/shared/article"
	"github.com/kiosk-news/kiosk/shared/platform/contract"
	"github.com/kiosk-news/kiosk/shared/platform/httpapi"
)

// call sends one request as API Gateway hands it over, with the role the
// authorizer gave ("" for none).
func call(t *testing.T, h http.Handler, role, method, path, body string) *httptest.ResponseRecorder {
	t.Helper()
	ev := events.APIGatewayV2HTTPRequest{RawPath: path, Body: body, Headers: map[string]string{"content-type": "application/json"},
		RequestContext: events.APIGatewayV2HTTPRequestContext{HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: method, Path: path}}}
	if role != "" {
		ev.RequestContext.Authorizer = &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{Lambda: map[string]any{"role": role}}
	}
	var acc core.RequestAccessorV2
	req, err := acc.EventToRequestWithContext(context.Background(), ev)
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// serve is the API over a memory store at 2026-12-01, keeping each audited
// change as "action target".
func serve() (http.Handler, *article.MemoryStore, *[]string) {
	var audited []string
	st := article.NewMemoryStore()
	s := &article.Service{Store: st, Now: func() time.Time { return time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC) },
		Audit: func(ctx context.Context, c article.Change) error {
			audited = append(audited, c.Action+" "+c.Target)
			return nil
		}}
	return httpapi.Wrap(routes(s)), st, &audited
}

// TestTheAdminAPITranslatesHTTPToTheServiceAndBack: each route answers with
// the status, headers and body the API always gave, audits what it changed,
// and refuses a caller without the admin role before doing anything.
func TestTheAdminAPITranslatesHTTPToTheServiceAndBack(t *testing.T) {
	h, st, audit := serve()
	source := `{"id":"desk","url":"https://a.example/feed","name":"Desk","category":"world","weight":1}`

	if rec := call(t, h, contract.RoleUser, "POST", "/admin/api/sources", source); rec.Code != 403 {
		t.Errorf("a user's create: %d, want 403", rec.Code)
	}
	if rec := call(t, h, contract.RoleAdmin, "GET", "/admin/api/sources", ""); rec.Code != 200 || strings.TrimSpace(rec.Body.String()) != `{"items":[]}` {
		t.Errorf("the empty list: %d %s, want 200 {\"items\":[]}", rec.Code, rec.Body)
	}
	rec := call(t, h, contract.RoleAdmin, "POST", "/admin/api/sources", source)
	if rec.Code != 201 || rec.Header().Get("Location") != "/admin/api/sources/desk" || !strings.Contains(rec.Body.String(), `"id":"desk"`) {
		t.Errorf("create: %d %q %s, want 201 with its Location", rec.Code, rec.Header().Get("Location"), rec.Body)
	}
	if rec := call(t, h, contract.RoleAdmin, "POST", "/admin/api/sources", source); rec.Code != 409 || rec.Header().Get("Location") != "" {
		t.Errorf("a second create: %d %q, want 409 without a Location", rec.Code, rec.Header().Get("Location"))
	}
	if rec := call(t, h, contract.RoleAdmin, "PUT", "/admin/api/sources/desk", `{"url":"https://a.example/feed","name":"Desk 2","category":"world","weight":2}`); rec.Code != 200 || !strings.Contains(rec.Body.String(), `"name":"Desk 2"`) {
		t.Errorf("update: %d %s", rec.Code, rec.Body)
	}
	if rec := call(t, h, contract.RoleAdmin, "PUT", "/admin/api/sources/nope", `{"url":`); rec.Code != 400 {
		t.Errorf("a malformed update: %d, want 400 (the body is read first)", rec.Code)
	}
	a := article.Article{ID: article.IDFor("https://news.example/a"), URL: "https://news.example/a", Title: "A", Category: "world"}
	_ = st.PutArticle(context.Background(), a)
	rec = call(t, h, contract.RoleAdmin, "PUT", "/admin/api/articles/"+a.ID+"/moderation", `{"hidden":true,"pinned":false}`)
	var m map[string]any
	if rec.Code != 200 || json.Unmarshal(rec.Body.Bytes(), &m) != nil || m["hidden"] != true || m["id"] != a.ID || m["moderated_at"] != "2026-12-01T00:00:00Z" {
		t.Errorf("moderate: %d %s", rec.Code, rec.Body)
	}
	if rec := call(t, h, contract.RoleAdmin, "DELETE", "/admin/api/sources/desk", ""); rec.Code != 204 || rec.Body.Len() != 0 {
		t.Errorf("delete: %d %q, want a bare 204", rec.Code, rec.Body)
	}
	if rec := call(t, h, contract.RoleAdmin, "GET", "/admin/api/sources/desk", ""); rec.Code != 404 {
		t.Errorf("get after delete: %d, want 404", rec.Code)
	}
	want := "[source.create desk source.update desk article.moderate " + a.ID + " source.delete desk]"
	if got := "[" + strings.Join(*audit, " ") + "]"; got != want {
		t.Errorf("audited %s, want %s", got, want)
	}
}

// TestTheStoryRoutesSplitMergeAndLeadThroughTheService: a story reads with
// its versions; a version splits out and merges back; a lead is chosen;
// each change answers with the state after it and is audited once; bad input
// is a 4xx in the error contract and changes nothing.
func TestTheStoryRoutesSplitMergeAndLeadThroughTheService(t *testing.T) {
	h, st, audit := serve()
	first := article.Article{ID: article.IDFor("https://news.example/a"), URL: "https://news.example/a", Title: "Climate fund agreed", SourceID: "one", Category: "world",
		PublishedAt: time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC)}
	first.Story = first.ID
	second := article.Article{ID: article.IDFor("https://news.example/b"), URL: "https://news.example/b", Title: "Climate fund is agreed", SourceID: "two", Category: "world",
		Story: first.ID, PublishedAt: time.Date(2026, 11, 30, 11, 0, 0, 0, time.UTC)}
	for _, a := range []article.Article{first, second} {
		if err := st.PutArticle(context.Background(), a); err != nil {
			t.Fatal(err)
		}
	}
	var story struct {
		ID       string `json:"id"`
		More     bool   `json:"more"`
		Versions []struct {
			ID, Story, Title string
			Source           string `json:"source_id"`
			Lead             bool   `json:"lead"`
			ByEditor         bool   `json:"story_by_editor"`
		} `json:"versions"`
	}
	rec := call(t, h, contract.RoleAdmin, "GET", "/admin/api/stories/"+first.ID, "")
	if rec.Code != 200 || json.Unmarshal(rec.Body.Bytes(), &story) != nil || story.ID != first.ID || len(story.Versions) != 2 ||
		story.Versions[1].ID != second.ID || story.Versions[1].Source != "two" || story.Versions[1].Title != second.Title {
		t.Fatalf("the story: %d %s", rec.Code, rec.Body)
	}
	if rec := call(t, h, contract.RoleUser, "PUT", "/admin/api/articles/"+second.ID+"/story", `{"story":"`+second.ID+`"}`); rec.Code != 403 {
		t.Errorf("a user's split: %d, want 403", rec.Code)
	}
	for _, c := range []struct {
		name, method, path, body string
		status                   int
	}{
		{"a malformed story id", "GET", "/admin/api/stories/not-an-id", "", 400},
		{"an unknown story", "GET", "/admin/api/stories/" + article.IDFor("none"), "", 404},
		{"a split without a story", "PUT", "/admin/api/articles/" + second.ID + "/story", `{}`, 400},
		{"a split with an unknown field", "PUT", "/admin/api/articles/" + second.ID + "/story", `{"story":"` + second.ID + `","lead":true}`, 400},
		{"a merge into a story that does not exist", "PUT", "/admin/api/articles/" + second.ID + "/story", `{"story":"` + article.IDFor("none") + `"}`, 404},
		{"a move of an unknown article", "PUT", "/admin/api/articles/" + article.IDFor("none") + "/story", `{"story":"` + first.ID + `"}`, 404},
		{"splitting the first article of a story", "PUT", "/admin/api/articles/" + first.ID + "/story", `{"story":"` + first.ID + `"}`, 409},
		{"a lead of another story", "PUT", "/admin/api/stories/" + article.IDFor("none") + "/lead", `{"article":"` + first.ID + `"}`, 404},
		{"a lead without an article", "PUT", "/admin/api/stories/" + first.ID + "/lead", `{"article":""}`, 400},
	} {
		rec := call(t, h, contract.RoleAdmin, c.method, c.path, c.body)
		var e httpapi.ErrorBody
		if rec.Code != c.status || json.Unmarshal(rec.Body.Bytes(), &e) != nil || e.Error.Code == "" || e.Error.Message == "" {
			t.Errorf("%s: %d %s, want %d in the error contract", c.name, rec.Code, rec.Body, c.status)
		}
	}
	if len(*audit) != 0 {
		t.Fatalf("refused requests were audited: %v", *audit)
	}

	rec = call(t, h, contract.RoleAdmin, "PUT", "/admin/api/articles/"+second.ID+"/story", `{"story":"`+second.ID+`"}`)
	var v map[string]any
	if rec.Code != 200 || json.Unmarshal(rec.Body.Bytes(), &v) != nil || v["story"] != second.ID || v["story_by_editor"] != true || v["moderated_at"] != "2026-12-01T00:00:00Z" {
		t.Errorf("the split: %d %s", rec.Code, rec.Body)
	}
	rec = call(t, h, contract.RoleAdmin, "PUT", "/admin/api/stories/"+first.ID+"/lead", `{"article":"`+first.ID+`"}`)
	if rec.Code != 200 || json.Unmarshal(rec.Body.Bytes(), &story) != nil || len(story.Versions) != 1 || !story.Versions[0].Lead {
		t.Errorf("the lead: %d %s", rec.Code, rec.Body)
	}
	rec = call(t, h, contract.RoleAdmin, "PUT", "/admin/api/articles/"+second.ID+"/story", `{"story":"`+first.ID+`"}`)
	if rec.Code != 200 || json.Unmarshal(rec.Body.Bytes(), &v) != nil || v["story"] != first.ID {
		t.Errorf("the merge back: %d %s", rec.Code, rec.Body)
	}
	want := "[article.story " + second.ID + " story.lead " + first.ID + " article.story " + second.ID + "]"
	if got := "[" + strings.Join(*audit, " ") + "]"; got != want {
		t.Errorf("audited %s, want %s", got, want)
	}
}

// TestRefetchMakesABackedOffSourceDueAndKeepsItsFetchState: POST
// /admin/api/sources/{id}/refetch answers 200 with the source without a
// next_fetch_at, its failures, last error and validators kept; the source is
// due at once; a repeat is harmless; an unknown id is a 404 and a malformed
// one answers as GET does; a source that is not failing is a 409 conflict
// (its adaptive interval is kept); a body, or a caller without the admin
// role, is refused and changes nothing.
func TestRefetchMakesABackedOffSourceDueAndKeepsItsFetchState(t *testing.T) {
	h, st, audit := serve()
	ctx := context.Background()
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	if err := st.PutSource(ctx, article.Source{ID: "desk", URL: "https://a.example/feed", Name: "Desk", Category: "world", Weight: 1,
		CreatedAt: now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	charged := article.FetchState{ETag: `"e"`, LastModified: "Mon, 30 Nov 2026 10:00:00 GMT", LastChecked: now, ConsecutiveFailures: 3,
		LastError: "parse: parser_failed", NextFetchAt: now.Add(time.Hour)}
	if err := st.RecordFetch(ctx, article.Source{ID: "desk", URL: "https://a.example/feed"}, charged); err != nil {
		t.Fatal(err)
	}
	due := func() bool {
		list, err := st.DueSources(ctx, now, 10)
		return err == nil && len(list) == 1 && list[0].ID == "desk"
	}
	for _, c := range []struct {
		name, role, body string
		status           int
	}{
		{"a user", contract.RoleUser, "", 403},
		{"no role", "", "", 403},
		{"a body", contract.RoleAdmin, `{"next_fetch_at":null}`, 400},
	} {
		if rec := call(t, h, c.role, "POST", "/admin/api/sources/desk/refetch", c.body); rec.Code != c.status || !strings.Contains(rec.Body.String(), `"error"`) {
			t.Errorf("%s: %d %s, want %d in the error contract", c.name, rec.Code, rec.Body, c.status)
		}
	}
	if due() || len(*audit) != 0 {
		t.Fatalf("a refused refetch made the source due or was audited: %v", *audit)
	}
	for i := range 2 {
		rec := call(t, h, contract.RoleAdmin, "POST", "/admin/api/sources/desk/refetch", "")
		var got map[string]any
		if rec.Code != 200 || rec.Header().Get("Content-Type") != "application/json" || json.Unmarshal(rec.Body.Bytes(), &got) != nil {
			t.Fatalf("refetch %d: %d %q %s", i+1, rec.Code, rec.Header().Get("Content-Type"), rec.Body)
		}
		if _, ok := got["next_fetch_at"]; ok || got["id"] != "desk" || got["consecutive_failures"] != 3.0 || got["etag"] != `"e"` ||
			got["last_modified"] != charged.LastModified || got["last_error"] != charged.LastError {
			t.Errorf("refetch %d answered %s, want the source with its fetch state and no next_fetch_at", i+1, rec.Body)
		}
		if !due() {
			t.Errorf("refetch %d: the source is not due now", i+1)
		}
	}
	rec := call(t, h, contract.RoleAdmin, "POST", "/admin/api/sources/nope/refetch", "")
	var e httpapi.ErrorBody
	if rec.Code != 404 || json.Unmarshal(rec.Body.Bytes(), &e) != nil || e.Error.Code != "not_found" {
		t.Errorf("an unknown source: %d %s, want a 404 not_found", rec.Code, rec.Body)
	}
	// A healthy source polled every 4 hours keeps its interval.
	if err := st.PutSource(ctx, article.Source{ID: "calm", URL: "https://calm.example/feed", Name: "Calm", Category: "world", Weight: 1,
		CreatedAt: now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	if err := st.RecordFetch(ctx, article.Source{ID: "calm", URL: "https://calm.example/feed"}, article.FetchState{LastChecked: now, LastSuccess: now, NextFetchAt: now.Add(4 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	calm, _ := st.GetSource(ctx, "calm")
	rec = call(t, h, contract.RoleAdmin, "POST", "/admin/api/sources/calm/refetch", "")
	e = httpapi.ErrorBody{}
	if rec.Code != 409 || json.Unmarshal(rec.Body.Bytes(), &e) != nil || e.Error.Code != "conflict" ||
		e.Error.Message != "the source is not failing; it is fetched at its next_fetch_at, or on the next run if it has none" {
		t.Errorf("a source that is not failing: %d %s, want a 409 conflict saying why", rec.Code, rec.Body)
	}
	if got, _ := st.GetSource(ctx, "calm"); got != calm {
		t.Errorf("a refused refetch changed the source: %+v, was %+v", got, calm)
	}
	for _, id := range []string{"UPPER", "a", strings.Repeat("a", 41)} {
		get := call(t, h, contract.RoleAdmin, "GET", "/admin/api/sources/"+id, "")
		rec := call(t, h, contract.RoleAdmin, "POST", "/admin/api/sources/"+id+"/refetch", "")
		if rec.Code != get.Code || rec.Code < 400 || rec.Code >= 500 || !strings.Contains(rec.Body.String(), `"error"`) {
			t.Errorf("a malformed id %q: %d %s, want the 4xx GET answers (%d)", id, rec.Code, rec.Body, get.Code)
		}
	}
	if got := "[" + strings.Join(*audit, " ") + "]"; got != "[source.refetch desk source.refetch desk]" {
		t.Errorf("audited %s, want one source.refetch a call", got)
	}
}
