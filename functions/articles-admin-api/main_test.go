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

// TestTheAdminAPITranslatesHTTPToTheServiceAndBack: each route answers with
// the status, headers and body the API always gave, audits what it changed,
// and refuses a caller without the admin role before doing anything.
func TestTheAdminAPITranslatesHTTPToTheServiceAndBack(t *testing.T) {
	var audited []string
	st := article.NewMemoryStore()
	s := &article.Service{Store: st, Now: func() time.Time { return time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC) },
		Audit: func(ctx context.Context, c article.Change) error {
			audited = append(audited, c.Action+" "+c.Target)
			return nil
		}}
	h := httpapi.Wrap(routes(s))
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
	if got := "[" + strings.Join(audited, " ") + "]"; got != want {
		t.Errorf("audited %s, want %s", got, want)
	}
}
