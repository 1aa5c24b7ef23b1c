package main

import (
	"embed"
	"encoding/json"
)

func jsonValid(b []byte) bool { return json.Valid(b) }

// The generated Go files, one template each (templates/<file>.tmpl): the
// domain's shape — Service over Store, sentinel errors and their codes,
// DynamoStore, MemoryStore, the store suite run against both, service tests
// on the memory store, events.go when an event is asked for — and the
// function's main, wiring only.
//
//go:embed templates/*.tmpl
var templates embed.FS

func tmpl(name string) string {
	b, err := templates.ReadFile("templates/" + name + ".tmpl")
	if err != nil {
		panic(err) // embedded: a missing template is a build mistake
	}
	return string(b)
}

const tableNameTmpl = `	<%.Title%>Table = "<%.Name%>"
`

const tableTmpl = `			{
				Name:         <%.Title%>Table,
				Domain:       "<%.Name%>",
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

// openapiTmpl is the domain's routes in openapi.json, with what every route
// documents (TestOpenAPIMatchesTheTopology): a tag, a description, its body
// cap, and the statuses every route can answer.
const openapiTmpl = `    "/v1/<%.Name%>/health": {
      "get": {"operationId": "<%.Name%>Health", "summary": "Is the <%.Name%> table reachable?", "description": "200 when the function can read its table.",
        "tags": ["<%.Name%>"], "x-kiosk-function": "<%.Fn%>", "x-kiosk-max-body": 65536, "security": [],
        "responses": {"200": {"description": "Up."}, "400": {"$ref": "#/components/responses/BadRequest"},
          "413": {"$ref": "#/components/responses/PayloadTooLarge"},
          "429": {"$ref": "#/components/responses/RateLimited"}, "500": {"$ref": "#/components/responses/Internal"},
          "503": {"$ref": "#/components/responses/Unavailable"}, "504": {"$ref": "#/components/responses/Timeout"}}}
    },
    "/v1/<%.Name%>": {
      "get": {"operationId": "list<%.Title%>", "summary": "<%.Title%> items in id order.", "description": "Cursor pagination, as every list.",
        "tags": ["<%.Name%>"], "x-kiosk-function": "<%.Fn%>", "x-kiosk-max-body": 65536, "security": [],
        "parameters": [{"$ref": "#/components/parameters/Limit"}, {"$ref": "#/components/parameters/Cursor"}],
        "responses": {"200": {"description": "A page.", "content": {"application/json": {"schema": {"type": "object", "required": ["items"], "additionalProperties": false,
            "properties": {"items": {"type": "array", "description": "In id order.", "items": {"type": "object"}},
              "next_cursor": {"type": "string", "description": "Absent on the last page."}}}}}},
          "400": {"$ref": "#/components/responses/BadRequest"}, "413": {"$ref": "#/components/responses/PayloadTooLarge"},
          "429": {"$ref": "#/components/responses/RateLimited"}, "500": {"$ref": "#/components/responses/Internal"},
          "503": {"$ref": "#/components/responses/Unavailable"}, "504": {"$ref": "#/components/responses/Timeout"}}}
    },
    "/v1/<%.Name%>/{id}": {
      "get": {"operationId": "get<%.Title%>", "summary": "One <%.Name%> item.", "description": "An unknown id is a 404.",
        "tags": ["<%.Name%>"], "x-kiosk-function": "<%.Fn%>", "x-kiosk-max-body": 65536, "security": [],
        "parameters": [{"name": "id", "in": "path", "required": true, "description": "The item's id.", "schema": {"type": "string"}}],
        "responses": {"200": {"description": "The item."}, "400": {"$ref": "#/components/responses/BadRequest"},
          "404": {"$ref": "#/components/responses/NotFound"}, "413": {"$ref": "#/components/responses/PayloadTooLarge"},
          "429": {"$ref": "#/components/responses/RateLimited"}, "500": {"$ref": "#/components/responses/Internal"},
          "503": {"$ref": "#/components/responses/Unavailable"}, "504": {"$ref": "#/components/responses/Timeout"}}}
    },
    "/admin/api/<%.Name%>": {
      "post": {"operationId": "create<%.Title%>", "summary": "Add a <%.Name%> item.", "description": "An id that exists is a 409.",
        "tags": ["admin"], "x-kiosk-function": "<%.Fn%>", "x-kiosk-max-body": 65536, "security": [{"adminToken": []}],
        "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["id", "name"], "additionalProperties": false,
          "properties": {"id": {"type": "string", "description": "The new item's id."}, "name": {"type": "string", "description": "Its name."}}}}}},
        "responses": {"201": {"description": "Created."}, "400": {"$ref": "#/components/responses/BadRequest"},
          "401": {"$ref": "#/components/responses/Unauthenticated"}, "403": {"$ref": "#/components/responses/Forbidden"},
          "409": {"$ref": "#/components/responses/Conflict"}, "413": {"$ref": "#/components/responses/PayloadTooLarge"},
          "415": {"$ref": "#/components/responses/UnsupportedMediaType"}, "429": {"$ref": "#/components/responses/RateLimited"},
          "500": {"$ref": "#/components/responses/Internal"}, "503": {"$ref": "#/components/responses/Unavailable"},
          "504": {"$ref": "#/components/responses/Timeout"}}}
    },
`

// openapiTagTmpl declares the domain's tag: it goes before the first line of
// the health tag's object, so it closes an object of its own and opens the
// health tag's again.
const openapiTagTmpl = `      "name": "<%.Name%>",
      "description": "The <%.Name%> domain (scaffolded: describe it)."
    },
    {
`

const readmeTmpl = `## The <%.Name%> domain

Scaffolded with ` + "`make new-domain NAME=<%.Name%>`" + `: ` + "`shared/<%.Name%>`" + ` (items, a service over a store,
kept in DynamoDB or in memory; one store suite runs against both), ` + "`functions/<%.Fn%>`" + ` (` + "`GET /v1/<%.Name%>/health`" + `, ` + "`GET /v1/<%.Name%>`" + `, ` + "`GET /v1/<%.Name%>/{id}`" + `,
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
