package main

import "encoding/json"

func jsonValid(b []byte) bool { return json.Valid(b) }

const domainTmpl = `// Package <%.Name%> is the <%.Name%> domain: its items, the rules for them and
// their store. (Scaffolded by make new-domain; make it your own.)
package <%.Name%>

import (
	"context"
	"errors"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/kiosk-news/kiosk/shared/kiosk"
)

// Item is one <%.Name%> item.
type Item struct {
	ID        string    ` + "`json:\"id\"`" + `
	Name      string    ` + "`json:\"name\"`" + `
	CreatedAt time.Time ` + "`json:\"created_at\"`" + `
}

// Page is one page of items, in id order.
type Page struct {
	Items      []Item
	NextCursor string
}

// Store keeps items. Implementations: DynamoStore.
type Store interface {
	Put(ctx context.Context, it Item) error // ErrExists if the id is taken
	Get(ctx context.Context, id string) (Item, error)
	List(ctx context.Context, limit int, after string) (Page, error)
	Ping(ctx context.Context) error
}

// Store errors.
var (
	ErrNotFound = errors.New("not found")
	ErrExists   = errors.New("already exists")
)

var idRe = regexp.MustCompile(` + "`^[a-z0-9][a-z0-9-]{0,38}[a-z0-9]$`" + `)

// Service holds the use cases; its errors carry application codes.
type Service struct {
	Store Store
	Now   func() time.Time
}

// Create adds an item. Creating the same item again (same id and name) is a
// safe retry and returns the stored one; another item with that id conflicts.
func (s *Service) Create(ctx context.Context, in Item) (Item, error) {
	if !idRe.MatchString(in.ID) {
		return Item{}, kiosk.Errorf(kiosk.EINVALID, "id must be 2-40 lower-case letters, digits and dashes")
	}
	in.Name = strings.TrimSpace(in.Name)
	if in.Name == "" || len(in.Name) > 100 {
		return Item{}, kiosk.Errorf(kiosk.EINVALID, "name must be 1-100 characters")
	}
	in.CreatedAt = time.Now().UTC()
	if s.Now != nil {
		in.CreatedAt = s.Now().UTC()
	}
	if err := s.Store.Put(ctx, in); err != nil {
		if errors.Is(err, ErrExists) {
			if old, gerr := s.Store.Get(ctx, in.ID); gerr == nil && old.Name == in.Name {
				return old, nil
			}
			return Item{}, kiosk.Errorf(kiosk.ECONFLICT, "%s already exists", in.ID)
		}
		return Item{}, err
	}
	return in, nil
}

// Get reads one item.
func (s *Service) Get(ctx context.Context, id string) (Item, error) {
	if !idRe.MatchString(id) {
		return Item{}, kiosk.Errorf(kiosk.EINVALID, "bad id")
	}
	it, err := s.Store.Get(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return Item{}, kiosk.Errorf(kiosk.ENOTFOUND, "no item %s", id)
	}
	return it, err
}

// List reads a page; the cursor is the last id of the previous page.
func (s *Service) List(ctx context.Context, limit, cursor string) (Page, error) {
	n := 20
	if limit != "" {
		v, err := strconv.Atoi(limit)
		if err != nil || v < 1 || v > 100 {
			return Page{}, kiosk.Errorf(kiosk.EINVALID, "limit must be a whole number from 1 to 100")
		}
		n = v
	}
	if cursor != "" && !idRe.MatchString(cursor) {
		return Page{}, kiosk.Errorf(kiosk.EINVALID, "cursor is not one this list gave out")
	}
	return s.Store.List(ctx, n, cursor)
}
`

const dynamoTmpl = `package <%.Name%>

import (
	"context"
	"errors"
	"time"

	"github.com/guregu/dynamo/v2"
)

// DynamoStore keeps items in the <%.Name%> table (pk <%.Name%>#<id>; the by-kind
// index lists them in id order).
type DynamoStore struct{ table dynamo.Table }

// NewDynamoStore returns a store over the <%.Name%> table.
func NewDynamoStore(t dynamo.Table) *DynamoStore { return &DynamoStore{table: t} }

type item struct {
	PK        string    ` + "`dynamo:\"pk,hash\"`" + `
	Kind      string    ` + "`dynamo:\"kind\"`" + `
	ID        string    ` + "`dynamo:\"id\"`" + `
	Name      string    ` + "`dynamo:\"name\"`" + `
	CreatedAt time.Time ` + "`dynamo:\"created_at\"`" + `
}

const kind = "<%.Name%>"

// Put is one conditional put.
func (s *DynamoStore) Put(ctx context.Context, it Item) error {
	err := s.table.Put(item{PK: kind + "#" + it.ID, Kind: kind, ID: it.ID, Name: it.Name, CreatedAt: it.CreatedAt}).
		If("attribute_not_exists(pk)").Run(ctx)
	if dynamo.IsCondCheckFailed(err) {
		return ErrExists
	}
	return err
}

// Get reads one item.
func (s *DynamoStore) Get(ctx context.Context, id string) (Item, error) {
	var it item
	err := s.table.Get("pk", kind+"#"+id).One(ctx, &it)
	if errors.Is(err, dynamo.ErrNotFound) {
		return Item{}, ErrNotFound
	}
	return Item{ID: it.ID, Name: it.Name, CreatedAt: it.CreatedAt}, err
}

// List is one Query on the by-kind index.
func (s *DynamoStore) List(ctx context.Context, limit int, after string) (Page, error) {
	q := s.table.Get("kind", kind).Index("by-kind")
	if after != "" {
		q = q.Range("id", dynamo.Greater, after)
	}
	var items []item
	if err := q.Limit(limit+1).All(ctx, &items); err != nil {
		return Page{}, err
	}
	p := Page{Items: []Item{}}
	for i, it := range items {
		if i == limit {
			p.NextCursor = p.Items[limit-1].ID
			break
		}
		p.Items = append(p.Items, Item{ID: it.ID, Name: it.Name, CreatedAt: it.CreatedAt})
	}
	return p, nil
}

// Ping proves the table answers (a read of a key that need not exist).
func (s *DynamoStore) Ping(ctx context.Context) error {
	var it item
	err := s.table.Get("pk", "ping").One(ctx, &it)
	if errors.Is(err, dynamo.ErrNotFound) {
		return nil
	}
	return err
}
`

const testTmpl = `package <%.Name%>

import (
	"context"
	"fmt"
	"os"
	"testing"

	"github.com/kiosk-news/kiosk/shared/platform/dynamotest"
	"github.com/kiosk-news/kiosk/shared/kiosk"
)

func TestMain(m *testing.M) { os.Exit(dynamotest.Main(m)) }

func TestService(t *testing.T) {
	ctx := context.Background()
	s := &Service{Store: NewDynamoStore(dynamotest.Table(t, "<%.Name%>"))}
	for i := range 5 {
		if _, err := s.Create(ctx, Item{ID: fmt.Sprintf("item-%d", i), Name: "Item"}); err != nil {
			t.Fatal(err)
		}
	}
	if it, err := s.Get(ctx, "item-3"); err != nil || it.Name != "Item" {
		t.Errorf("Get = %+v, %v", it, err)
	}
	p1, err := s.List(ctx, "3", "")
	if err != nil || len(p1.Items) != 3 || p1.NextCursor == "" {
		t.Fatalf("page 1 = %+v, %v", p1, err)
	}
	p2, _ := s.List(ctx, "3", p1.NextCursor)
	if len(p2.Items) != 2 || p2.NextCursor != "" || p2.Items[0].ID != "item-3" {
		t.Errorf("page 2 = %+v", p2)
	}
	cases := map[string]error{
		"a duplicate id": func() error { _, err := s.Create(ctx, Item{ID: "item-1", Name: "x"}); return err }(),
		"a bad id":       func() error { _, err := s.Create(ctx, Item{ID: "Bad ID", Name: "x"}); return err }(),
		"an empty name":  func() error { _, err := s.Create(ctx, Item{ID: "item-9"}); return err }(),
		"a missing item": func() error { _, err := s.Get(ctx, "nope-nope"); return err }(),
		"a bad limit":    func() error { _, err := s.List(ctx, "0", ""); return err }(),
		"a bad cursor":   func() error { _, err := s.List(ctx, "", "!!"); return err }(),
	}
	for name, err := range cases {
		if code := kiosk.ErrorCode(err); code == "" || code == kiosk.EINTERNAL {
			t.Errorf("%s: %v, want an application error", name, err)
		}
	}
}
`

const functionTmpl = `// Command <%.Fn%> serves the <%.Name%> domain: GET /v1/<%.Name%>/health,
// GET /v1/<%.Name%> (cursor-paginated), GET /v1/<%.Name%>/{id}, and
// POST /admin/api/<%.Name%> for admins. (Scaffolded by make new-domain.)
package main

import (
	"net/http"
<%if .Event%>	"context"
	"time"

	"github.com/kiosk-news/kiosk/events"
	"github.com/kiosk-news/kiosk/shared/platform/bus"
<%end%>
	"github.com/kiosk-news/kiosk/shared/<%.Name%>"
	"github.com/kiosk-news/kiosk/shared/kiosk"
	"github.com/kiosk-news/kiosk/shared/platform/boot"
	"github.com/kiosk-news/kiosk/shared/platform/httpapi"
)

func main() {
	env := boot.Init()
	table := env.Table("<%.Name%>")
<%if .Event%>	pub := bus.Open(env, "kiosk.<%.Name%>")
	announce = func(ctx context.Context, it <%.Name%>.Item) error {
		return pub.Publish(ctx, bus.Event{DetailType: events.<%.EventConst%>, Detail: events.<%.EventType%>{ID: it.ID, At: time.Now().UTC()}})
	}
<%end%>	httpapi.Start(env, routes(&<%.Name%>.Service{Store: <%.Name%>.NewDynamoStore(table)}))
}
<%if .Event%>
// announce publishes <%.Event%> after an item is stored; a failure is a 503,
// and the admin's retry of the same create publishes it again (consumers are
// idempotent by id), so no event is lost.
var announce func(ctx context.Context, it <%.Name%>.Item) error
<%end%>

type page struct {
	Items      []<%.Name%>.Item ` + "`json:\"items\"`" + `
	NextCursor string ` + "`json:\"next_cursor,omitempty\"`" + `
}

func routes(s *<%.Name%>.Service) *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/<%.Name%>/health", func(w http.ResponseWriter, r *http.Request) {
		if err := s.Store.Ping(r.Context()); err != nil {
			httpapi.Error(w, r, kiosk.Errorf(kiosk.EUNAVAILABLE, "the <%.Name%> table is unreachable"))
			return
		}
		httpapi.WriteJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("GET /v1/<%.Name%>", func(w http.ResponseWriter, r *http.Request) {
		p, err := s.List(r.Context(), r.URL.Query().Get("limit"), r.URL.Query().Get("cursor"))
		if err != nil {
			httpapi.Error(w, r, err)
			return
		}
		httpapi.WriteJSON(w, http.StatusOK, page{Items: p.Items, NextCursor: p.NextCursor})
	})
	mux.HandleFunc("GET /v1/<%.Name%>/{id}", func(w http.ResponseWriter, r *http.Request) {
		it, err := s.Get(r.Context(), r.PathValue("id"))
		if err != nil {
			httpapi.Error(w, r, err)
			return
		}
		httpapi.WriteJSON(w, http.StatusOK, it)
	})
	mux.Handle("POST /admin/api/<%.Name%>", httpapi.RequireRole("admin", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var in struct {
			ID   string ` + "`json:\"id\"`" + `
			Name string ` + "`json:\"name\"`" + `
		}
		if err := httpapi.Decode(r, &in); err != nil {
			httpapi.Error(w, r, err)
			return
		}
		it, err := s.Create(r.Context(), <%.Name%>.Item{ID: in.ID, Name: in.Name})
		if err != nil {
			httpapi.Error(w, r, err)
			return
		}
<%if .Event%>		if err := announce(r.Context(), it); err != nil {
			httpapi.Error(w, r, kiosk.Errorf(kiosk.EUNAVAILABLE, "created, but the event could not be published; retry"))
			return
		}
<%end%>		httpapi.WriteJSON(w, http.StatusCreated, it)
	})))
	return mux
}
`

const tableTmpl = `			{
				Name:         "<%.Name%>",
				Description:  "<%.Title%> domain (scaffolded): items by id; the by-kind index lists them.",
				PartitionKey: Key{"pk", String},
				Indexes:      []Index{{Name: "by-kind", PartitionKey: Key{"kind", String}, SortKey: &Key{"id", String}}},
			},
`

const functionEntryTmpl = `			{
				Name:        "<%.Fn%>",
				Domain:      "<%.Name%>",
				Description: "<%.Title%> API (scaffolded): health, list, get, and admin create.",
				Routes: []Route{
					{Method: "GET", Path: "/v1/<%.Name%>/health", Auth: Public},
					{Method: "GET", Path: "/v1/<%.Name%>", Auth: Public},
					{Method: "GET", Path: "/v1/<%.Name%>/{id}", Auth: Public},
					{Method: "POST", Path: "/admin/api/<%.Name%>", Auth: Admin},
				},
				Grants:   []Grant{{"<%.Name%>", ReadWrite}},<%if .Event%>
				Publishes: []string{events.<%.EventConst%>},<%end%>
				MemoryMB: 256,
				Timeout:  10 * time.Second,
			},
`

const openapiTmpl = `    "/v1/<%.Name%>/health": {
      "get": {"operationId": "<%.Name%>Health", "summary": "Is the <%.Name%> table reachable?", "x-kiosk-function": "<%.Fn%>", "security": [],
        "responses": {"200": {"description": "Up."}, "503": {"$ref": "#/components/responses/Unavailable"}}}
    },
    "/v1/<%.Name%>": {
      "get": {"operationId": "list<%.Title%>", "summary": "<%.Title%> items in id order.", "x-kiosk-function": "<%.Fn%>", "security": [],
        "parameters": [{"$ref": "#/components/parameters/Limit"}, {"$ref": "#/components/parameters/Cursor"}],
        "responses": {"200": {"description": "A page.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Page"}}}},
          "400": {"$ref": "#/components/responses/BadRequest"}, "500": {"$ref": "#/components/responses/Internal"}}}
    },
    "/v1/<%.Name%>/{id}": {
      "get": {"operationId": "get<%.Title%>", "summary": "One <%.Name%> item.", "x-kiosk-function": "<%.Fn%>", "security": [],
        "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}],
        "responses": {"200": {"description": "The item."}, "400": {"$ref": "#/components/responses/BadRequest"},
          "404": {"$ref": "#/components/responses/NotFound"}, "500": {"$ref": "#/components/responses/Internal"}}}
    },
    "/admin/api/<%.Name%>": {
      "post": {"operationId": "create<%.Title%>", "summary": "Add a <%.Name%> item.", "x-kiosk-function": "<%.Fn%>", "security": [{"adminToken": []}],
        "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["id", "name"], "additionalProperties": false,
          "properties": {"id": {"type": "string"}, "name": {"type": "string"}}}}}},
        "responses": {"201": {"description": "Created."}, "400": {"$ref": "#/components/responses/BadRequest"},
          "401": {"$ref": "#/components/responses/Unauthenticated"}, "403": {"$ref": "#/components/responses/Forbidden"},
          "409": {"$ref": "#/components/responses/Conflict"}, "500": {"$ref": "#/components/responses/Internal"}}}
    },
`

const readmeTmpl = `## The <%.Name%> domain

Scaffolded with ` + "`make new-domain NAME=<%.Name%>`" + `: ` + "`shared/<%.Name%>`" + ` (items, a DynamoDB store, tests against
dynalite), ` + "`functions/<%.Fn%>`" + ` (` + "`GET /v1/<%.Name%>/health`" + `, ` + "`GET /v1/<%.Name%>`" + `, ` + "`GET /v1/<%.Name%>/{id}`" + `,
` + "`POST /admin/api/<%.Name%>`" + `), its table and routes in ` + "`infra/topology`" + `.<%if .Event%> Event type: ` + "`<%.Event%>`" + `.<%end%>

`

const eventTypeTmpl = `// <%.EventType%> is a <%.Name%> domain event (scaffolded: add its fields).
type <%.EventType%> struct {
	ID string    ` + "`json:\"id\"`" + `
	At time.Time ` + "`json:\"at\"`" + `
}

// <%.EventConst%> is its detail type.
const <%.EventConst%> = "<%.Event%>"

`

const eventCatalogTmpl = `	{<%.EventConst%>, "kiosk.<%.Name%>", "A <%.Name%> event (scaffolded).", reflect.TypeFor[<%.EventType%>]()},
`

const sampleTmpl = `{
  "version": "0",
  "id": "00000000-0000-4000-8000-000000000000",
  "detail-type": "<%.Event%>",
  "source": "kiosk.<%.Name%>",
  "account": "123456789012",
  "time": "2026-11-25T10:00:00Z",
  "region": "us-east-1",
  "resources": [],
  "detail": {"id": "item-1", "at": "2026-11-25T10:00:00Z"}
}
`
