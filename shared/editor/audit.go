package editor

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"regexp"
	"time"

	"github.com/guregu/dynamo/v2"

	"github.com/kiosk-news/kiosk/shared/kiosk"
)

// Record is one audit entry: who changed what, when, from what to what,
// under which request id. One item per change; Before and After are capped
// at MaxState bytes each, so no item grows with input.
type Record struct {
	At        time.Time `dynamo:"at" json:"at"`
	Actor     string    `dynamo:"actor" json:"actor"`   // an editor's email or AdminToken
	Action    string    `dynamo:"action" json:"action"` // e.g. source.update, article.moderate, batch.run
	Target    string    `dynamo:"target" json:"target"` // e.g. the source id
	Before    string    `dynamo:"before,omitempty" json:"before,omitempty"`
	After     string    `dynamo:"after,omitempty" json:"after,omitempty"`
	RequestID string    `dynamo:"request_id,omitempty" json:"request_id,omitempty"`
}

// MaxState bounds Before and After (a source is well under it).
const MaxState = 4 << 10

type auditItem struct {
	PK        string `dynamo:"pk,hash"`
	SK        string `dynamo:"sk,range"`
	ExpiresAt int64  `dynamo:"expires_at"`
	Record
}

// State renders a value for Record.Before/After: its JSON, or "" for nil.
func State(v any) string {
	if v == nil {
		return ""
	}
	b, err := json.Marshal(v)
	if err != nil {
		return ""
	}
	return string(b)
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// Audit writes a record (At defaults to now). The caller writes it after
// the change is stored; if this fails, the caller reports that the change
// is stored but not audited.
func (s *Store) Audit(ctx context.Context, r Record) error {
	if r.At.IsZero() {
		r.At = s.now()
	}
	r.At = r.At.UTC()
	r.Actor, r.Action, r.Target = clip(r.Actor, 200), clip(r.Action, 50), clip(r.Target, 200)
	r.Before, r.After, r.RequestID = clip(r.Before, MaxState), clip(r.After, MaxState), clip(r.RequestID, 100)
	n := make([]byte, 4)
	_, _ = rand.Read(n)
	it := auditItem{PK: "audit", SK: r.At.Format(auditLayout) + "#" + hex.EncodeToString(n),
		ExpiresAt: r.At.Add(AuditKeep).Unix(), Record: r}
	return s.Table.Put(it).If("attribute_not_exists(pk)").Run(ctx)
}

const auditLayout = "2006-01-02T15:04:05.000000000Z"

var auditCursorRe = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{9}Z#[0-9a-f]{8}$`)

// AuditFilter narrows the list: exact actor and action, "" for any.
type AuditFilter struct{ Actor, Action string }

// AuditPage is a page of records, newest first.
type AuditPage struct {
	Items      []Record `json:"items"`
	NextCursor string   `json:"next_cursor,omitempty"`
}

// AuditLog lists records newest first, filtered, limit per page.
func (s *Store) AuditLog(ctx context.Context, f AuditFilter, cursor string, limit int) (AuditPage, error) {
	if cursor != "" && !auditCursorRe.MatchString(cursor) {
		return AuditPage{}, kiosk.Errorf(kiosk.EINVALID, "cursor is not one this list gave out")
	}
	if len(f.Actor) > 200 || len(f.Action) > 50 {
		return AuditPage{}, kiosk.Errorf(kiosk.EINVALID, "filters are at most 200 characters")
	}
	limit = min(max(limit, 1), 100)
	q := s.Table.Get("pk", "audit").Order(dynamo.Descending)
	if cursor != "" {
		q = q.Range("sk", dynamo.Less, cursor)
	}
	if f.Actor != "" {
		q = q.Filter("'actor' = ?", f.Actor)
	}
	if f.Action != "" {
		q = q.Filter("'action' = ?", f.Action)
	}
	// A filter is applied after each read page: read in bounded rounds
	// until the page is full or the log ends.
	p := AuditPage{Items: []Record{}}
	var items []auditItem
	if err := q.SearchLimit(500).Limit(limit+1).All(ctx, &items); err != nil {
		return AuditPage{}, err
	}
	for i, it := range items {
		if i == limit {
			p.NextCursor = items[limit-1].SK
			break
		}
		p.Items = append(p.Items, it.Record)
	}
	return p, nil
}
