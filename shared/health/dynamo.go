package health

import (
	"context"
	"errors"
	"time"

	"github.com/guregu/dynamo/v2"
)

// DynamoStore keeps the heartbeat in one item of the health table; it returns
// ErrNone, never application errors.
type DynamoStore struct {
	table dynamo.Table
}

// NewDynamoStore returns a store over the health table.
func NewDynamoStore(t dynamo.Table) *DynamoStore { return &DynamoStore{table: t} }

type item struct {
	ID        string    `dynamo:"id,hash"`
	Run       string    `dynamo:"run"`
	EventID   string    `dynamo:"event_id"`
	At        time.Time `dynamo:"at"`
	AtUnix    int64     `dynamo:"at_unix"`
	ExpiresAt int64     `dynamo:"expires_at"`
}

const lastID = "heartbeat"

// Record writes hb only if no newer heartbeat is stored: one conditional put,
// so a redelivered or out-of-order event never moves the clock back.
func (s *DynamoStore) Record(ctx context.Context, hb Heartbeat) error {
	it := item{ID: lastID, Run: hb.Run, EventID: hb.EventID, At: hb.At.UTC(), AtUnix: hb.At.Unix(),
		ExpiresAt: hb.At.Add(Retention).Unix()}
	err := s.table.Put(it).If("attribute_not_exists(id) OR at_unix < ?", it.AtUnix).Run(ctx)
	if dynamo.IsCondCheckFailed(err) {
		return nil // already have this one or a newer one
	}
	return err
}

// Last reads the heartbeat item, treating an expired one as absent.
func (s *DynamoStore) Last(ctx context.Context, now time.Time) (Heartbeat, error) {
	var it item
	err := s.table.Get("id", lastID).One(ctx, &it)
	if errors.Is(err, dynamo.ErrNotFound) {
		return Heartbeat{}, ErrNone
	}
	if err != nil {
		return Heartbeat{}, err
	}
	if it.ExpiresAt <= now.Unix() {
		return Heartbeat{}, ErrNone
	}
	return Heartbeat{Run: it.Run, EventID: it.EventID, At: it.At}, nil
}
