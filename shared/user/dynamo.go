package user

import (
	"context"
	"errors"
	"time"

	"github.com/guregu/dynamo/v2"
)

// DynamoStore keeps one item per user in the users table; it returns the
// store errors (ErrNotFound, ErrExists, ErrConflict), never application errors.
type DynamoStore struct{ table dynamo.Table }

// NewDynamoStore returns a store over the users table.
func NewDynamoStore(t dynamo.Table) *DynamoStore { return &DynamoStore{table: t} }

type item struct {
	ID             string             `dynamo:"id,hash"`
	Interests      []string           `dynamo:"interests"`
	Learned        map[string]float64 `dynamo:"learned"`
	LearnedThrough string             `dynamo:"learned_through"`
	CreatedAt      time.Time          `dynamo:"created_at"`
}

// Create stores a new user; one conditional put.
func (s *DynamoStore) Create(ctx context.Context, u User) error {
	err := s.table.Put(item{ID: u.ID, Interests: u.Interests, Learned: u.Learned, CreatedAt: u.CreatedAt}).
		If("attribute_not_exists(id)").Run(ctx)
	if dynamo.IsCondCheckFailed(err) {
		return ErrExists
	}
	return err
}

// Get reads one user, strongly consistent: the service reads a profile back
// right after writing it and announces what it read as the newest (the feed
// keeps the latest-stamped announcement), and a learning run reads the
// weights it blends; an eventually consistent read could return the profile
// before the write, announced as newer than the write's own. A user's item
// is small (one read unit either way, half for an eventual read), and users
// read and write their profile rarely.
func (s *DynamoStore) Get(ctx context.Context, id string) (User, error) {
	var it item
	err := s.table.Get("id", id).Consistent(true).One(ctx, &it)
	if errors.Is(err, dynamo.ErrNotFound) {
		return User{}, ErrNotFound
	}
	if err != nil {
		return User{}, err
	}
	if it.Interests == nil {
		it.Interests = []string{}
	}
	if it.Learned == nil {
		it.Learned = map[string]float64{}
	}
	return User{ID: it.ID, Interests: it.Interests, Learned: it.Learned, LearnedThrough: it.LearnedThrough, CreatedAt: it.CreatedAt}, nil
}

// SetInterests replaces the explicit interests of an existing user.
func (s *DynamoStore) SetInterests(ctx context.Context, id string, categories []string) error {
	u := s.table.Update("id", id).If("attribute_exists(id)")
	if len(categories) == 0 {
		u = u.Set("interests", []string{}) // an empty list, not a missing attribute
	} else {
		u = u.Set("interests", categories)
	}
	err := u.Run(ctx)
	if dynamo.IsCondCheckFailed(err) {
		return ErrNotFound
	}
	return err
}

// SetLearned is one conditional update guarded by learned_through, so of
// two writers that read the same hour only the first one's write lands.
func (s *DynamoStore) SetLearned(ctx context.Context, id string, learned map[string]float64, through, prev string) error {
	up := s.table.Update("id", id).Set("learned", learned).Set("learned_through", through)
	if prev == "" {
		up = up.If("attribute_exists(id) AND attribute_not_exists(learned_through)")
	} else {
		up = up.If("attribute_exists(id) AND learned_through = ?", prev)
	}
	err := up.Run(ctx)
	if dynamo.IsCondCheckFailed(err) {
		return ErrConflict
	}
	return err
}
