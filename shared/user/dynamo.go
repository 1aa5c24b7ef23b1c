package user

import (
	"context"
	"errors"
	"time"

	"github.com/guregu/dynamo/v2"
)

// DynamoStore keeps one item per user in the users table.
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

// Get reads one user.
func (s *DynamoStore) Get(ctx context.Context, id string) (User, error) {
	var it item
	err := s.table.Get("id", id).One(ctx, &it)
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

// Learn is a read then a conditional write guarded by learned_through, so a
// redelivered hour, or one that arrives after a later one, changes nothing.
func (s *DynamoStore) Learn(ctx context.Context, id, hour string, engagement map[string]float64) error {
	at, err := ParseHour(hour)
	if err != nil {
		return err
	}
	for range 5 {
		u, err := s.Get(ctx, id)
		if err != nil {
			return err
		}
		if u.LearnedThrough >= hour {
			return nil
		}
		var elapsed time.Duration
		if last, err := ParseHour(u.LearnedThrough); err == nil {
			elapsed = at.Sub(last)
		}
		learned := Blend(u.Learned, elapsed, engagement)
		up := s.table.Update("id", id).Set("learned", learned).Set("learned_through", hour)
		if u.LearnedThrough == "" {
			up = up.If("attribute_exists(id) AND attribute_not_exists(learned_through)")
		} else {
			up = up.If("attribute_exists(id) AND learned_through = ?", u.LearnedThrough)
		}
		err = up.Run(ctx)
		if dynamo.IsCondCheckFailed(err) {
			continue // another writer got there first: read again
		}
		return err
	}
	return errors.New("learn: too much contention")
}
