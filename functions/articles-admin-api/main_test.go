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
