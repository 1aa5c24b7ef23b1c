package user

import (
	"context"
	"errors"
	"time"

	"github.com/kiosk-news/kiosk/shared/kiosk"
)

// Store keeps users: one record per user, every write a single-item
// conditional write.
type Store interface {
	// Create stores a new user; ErrExists if the id is taken.
	Create(ctx context.Context, u User) error
	// Get reads one user; ErrNotFound if there is none.
	Get(ctx context.Context, id string) (User, error)
	// SetInterests replaces an existing user's explicit categories;
	// ErrNotFound if there is no such user.
	SetInterests(ctx context.Context, id string, categories []string) error
	// SetLearned replaces the user's learned weights and the hour they are
	// learned through, only while the stored hour is still prev ("": none
	// learned yet); ErrConflict if there is no such user or another writer
	// moved the hour first.
	SetLearned(ctx context.Context, id string, learned map[string]float64, through, prev string) error
}

// SessionStore keeps sessions and refresh tokens: one record per user naming
// their live session, one per refresh token; every write a single-item
// conditional write. Expired records read as absent.
type SessionStore interface {
	// Add stores a new, unused refresh token; a hash already stored is
	// refused, not overwritten.
	Add(ctx context.Context, t RefreshToken) error
	// Token reads a refresh token by hash; ErrNotFound if unknown.
	Token(ctx context.Context, hash string) (RefreshToken, error)
	// Use marks a refresh token used; ErrUsed if it already was.
	Use(ctx context.Context, hash string, at time.Time) error
	// Start makes session the user's live session until until; an
	// existing one is never replaced.
	Start(ctx context.Context, userID, session string, until time.Time) error
	// Extend moves the live session's end; ErrNotFound if session is not
	// (any longer) the user's live session.
	Extend(ctx context.Context, userID, session string, until time.Time) error
	// Live reports whether session is the user's live, unexpired session.
	Live(ctx context.Context, userID, session string) (bool, error)
	// End ends the user's session if it is session; "" ends whichever is live.
	End(ctx context.Context, userID, session string) error
}

// Store errors; the message is what a client may read.
var (
	ErrNotFound = errors.New("no such user")
	ErrExists   = errors.New("user exists")
	// ErrConflict is a conditional write that lost to another writer.
	ErrConflict = errors.New("the user was changed meanwhile")
	// ErrUsed is a refresh token presented a second time.
	ErrUsed = errors.New("refresh token already used")
)

// codes is how the store's errors reach a client.
var codes = kiosk.Codes{ErrNotFound: kiosk.ENOTFOUND}
