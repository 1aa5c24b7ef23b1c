package user

import (
	"context"
	"errors"
	"time"

	"github.com/guregu/dynamo/v2"
)

// DynamoSessions keeps sessions in the sessions table: u#<user> names the
// user's live session (one fixed-size item per user, expiring with the
// session), rt#<sha256 of a refresh token> one refresh token (expiring with
// it). Nothing grows with client input: a refresh adds an item with its own
// expiry, it never appends to one.
type DynamoSessions struct {
	table dynamo.Table
	now   func() time.Time
}

// NewDynamoSessions returns a session store over the sessions table; now is
// the clock expiry is judged by (items past expires_at may linger until
// DynamoDB's TTL sweep removes them).
func NewDynamoSessions(t dynamo.Table, now func() time.Time) *DynamoSessions {
	return &DynamoSessions{table: t, now: now}
}

type sessionItem struct {
	PK        string `dynamo:"pk,hash"`
	Session   string `dynamo:"session"`
	ExpiresAt int64  `dynamo:"expires_at"`
}

type refreshItem struct {
	PK        string `dynamo:"pk,hash"`
	UserID    string `dynamo:"user_id"`
	Session   string `dynamo:"session"`
	UsedAt    int64  `dynamo:"used_at,omitempty"`
	ExpiresAt int64  `dynamo:"expires_at"`
}

// Add stores a new refresh token; a hash collision is refused, not overwritten.
func (d *DynamoSessions) Add(ctx context.Context, t RefreshToken) error {
	err := d.table.Put(refreshItem{PK: "rt#" + t.Hash, UserID: t.UserID, Session: t.Session, ExpiresAt: t.ExpiresAt.Unix()}).
		If("attribute_not_exists(pk)").Run(ctx)
	if dynamo.IsCondCheckFailed(err) {
		return ErrExists
	}
	return err
}

// Token reads a refresh token, consistently (a token just used must read as used).
func (d *DynamoSessions) Token(ctx context.Context, hash string) (RefreshToken, error) {
	var it refreshItem
	err := d.table.Get("pk", "rt#"+hash).Consistent(true).One(ctx, &it)
	if errors.Is(err, dynamo.ErrNotFound) {
		return RefreshToken{}, ErrNotFound
	}
	if err != nil {
		return RefreshToken{}, err
	}
	return RefreshToken{Hash: hash, UserID: it.UserID, Session: it.Session, ExpiresAt: time.Unix(it.ExpiresAt, 0).UTC()}, nil
}

// Use is one conditional update: the first use wins, every later one is ErrUsed.
func (d *DynamoSessions) Use(ctx context.Context, hash string, at time.Time) error {
	err := d.table.Update("pk", "rt#"+hash).Set("used_at", at.Unix()).
		If("attribute_exists(pk) AND attribute_not_exists(used_at)").Run(ctx)
	if dynamo.IsCondCheckFailed(err) {
		return ErrUsed
	}
	return err
}

// Start makes session the user's live session; an install starts one only
// at registration, so an existing one is never replaced.
func (d *DynamoSessions) Start(ctx context.Context, userID, session string, until time.Time) error {
	err := d.table.Put(sessionItem{PK: "u#" + userID, Session: session, ExpiresAt: until.Unix()}).
		If("attribute_not_exists(pk)").Run(ctx)
	if dynamo.IsCondCheckFailed(err) {
		return ErrExists
	}
	return err
}

// Extend moves the session's expiry, only while it is the live one.
func (d *DynamoSessions) Extend(ctx context.Context, userID, session string, until time.Time) error {
	err := d.table.Update("pk", "u#"+userID).Set("expires_at", until.Unix()).
		If("'session' = ? AND 'expires_at' > ?", session, d.now().Unix()).Run(ctx)
	if dynamo.IsCondCheckFailed(err) {
		return ErrNotFound
	}
	return err
}

// Live is the authorizer's check: one GetItem, consistent, so an ended
// session reads as ended at once.
func (d *DynamoSessions) Live(ctx context.Context, userID, session string) (bool, error) {
	var it sessionItem
	err := d.table.Get("pk", "u#"+userID).Consistent(true).One(ctx, &it)
	if errors.Is(err, dynamo.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return it.Session == session && it.ExpiresAt > d.now().Unix(), nil
}

// End deletes the user's session item, if it still names session ("" any).
func (d *DynamoSessions) End(ctx context.Context, userID, session string) error {
	del := d.table.Delete("pk", "u#"+userID)
	if session != "" {
		del = del.If("'session' = ?", session)
	}
	err := del.Run(ctx)
	if dynamo.IsCondCheckFailed(err) {
		return nil // already ended, or another session: nothing to end
	}
	return err
}
