// Package user is the users domain: anonymous app installs, their sessions
// (short-lived signed access tokens, rotating refresh tokens), and their interests — the categories they chose and the ones learned
// from what they click and read, decayed over time.
package user

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"math"
	"sort"
	"time"

	"github.com/kiosk-news/kiosk/events"
	"github.com/kiosk-news/kiosk/shared/auth"
	"github.com/kiosk-news/kiosk/shared/kiosk"
)

// User is one app install.
type User struct {
	ID        string             `json:"user_id"`
	Interests []string           `json:"interests"`
	Learned   map[string]float64 `json:"learned_interests"`
	// LearnedThrough is the last period whose engagement is in Learned.
	LearnedThrough string    `json:"-"`
	CreatedAt      time.Time `json:"created_at"`
}

// Store keeps users.
type Store interface {
	Create(ctx context.Context, u User) error // ErrExists if the id is taken
	Get(ctx context.Context, id string) (User, error)
	SetInterests(ctx context.Context, id string, categories []string) error
	// Learn applies one period's engagement (category → score) with decay,
	// once: a period at or before LearnedThrough changes nothing.
	Learn(ctx context.Context, id, period string, engagement map[string]float64, halfLife time.Duration, periodLen time.Duration) error
}

// Store errors.
var (
	ErrNotFound = errors.New("user not found")
	ErrExists   = errors.New("user exists")
)

// Limits on interests.
const MaxInterests = 20

// Service holds the users' use cases.
type Service struct {
	Store      Store
	Sessions   SessionStore
	SigningKey []byte
	Now        func() time.Time
	// Changed announces a user's new interest profile
	// (user.interests.changed); nil announces nothing.
	Changed func(ctx context.Context, u User, at time.Time) error
}

// Registration is what a new install gets, and what each refresh returns:
// an access token for the API and the refresh token for the next swap.
type Registration struct {
	UserID           string    `json:"user_id"`
	Token            string    `json:"token"` // the access token
	ExpiresAt        time.Time `json:"expires_at"`
	RefreshToken     string    `json:"refresh_token"`
	RefreshExpiresAt time.Time `json:"refresh_expires_at"`
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

// Register creates an anonymous user, starts its session and returns its
// first tokens.
func (s *Service) Register(ctx context.Context) (Registration, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return Registration{}, err
	}
	u := User{ID: hex.EncodeToString(b), Interests: []string{}, Learned: map[string]float64{}, CreatedAt: s.now()}
	if err := s.Store.Create(ctx, u); err != nil {
		return Registration{}, err
	}
	return s.startSession(ctx, u.ID)
}

func (s *Service) issue(id, session, refresh string, now time.Time) Registration {
	exp := now.Add(auth.AccessTTL)
	jti := make([]byte, 12)
	_, _ = rand.Read(jti)
	tok := auth.Sign(s.SigningKey, auth.Claims{Subject: id, Role: auth.RoleUser, Session: session, ID: hex.EncodeToString(jti),
		IssuedAt: now.Unix(), Expires: exp.Unix()})
	return Registration{UserID: id, Token: tok, ExpiresAt: exp, RefreshToken: refresh, RefreshExpiresAt: now.Add(RefreshTTL)}
}

// Get reads a user's own profile.
func (s *Service) Get(ctx context.Context, id string) (User, error) {
	u, err := s.Store.Get(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return User{}, kiosk.Errorf(kiosk.ENOTFOUND, "no such user")
	}
	return u, err
}

// SetInterests replaces the user's explicit categories.
func (s *Service) SetInterests(ctx context.Context, id string, categories []string) (User, error) {
	if categories == nil {
		return User{}, kiosk.Errorf(kiosk.EINVALID, "categories is required (send [] to clear)")
	}
	if len(categories) > MaxInterests {
		return User{}, kiosk.Errorf(kiosk.EINVALID, "at most %d categories", MaxInterests)
	}
	seen := map[string]bool{}
	clean := []string{}
	for _, c := range categories {
		if !kiosk.ValidCategory(c) {
			return User{}, kiosk.Errorf(kiosk.EINVALID, "category %q must be lower-case letters, digits and dashes", kiosk.Truncate(c, 40))
		}
		if !seen[c] {
			seen[c] = true
			clean = append(clean, c)
		}
	}
	sort.Strings(clean)
	if err := s.Store.SetInterests(ctx, id, clean); err != nil {
		if errors.Is(err, ErrNotFound) {
			return User{}, kiosk.Errorf(kiosk.ENOTFOUND, "no such user")
		}
		return User{}, err
	}
	u, err := s.Get(ctx, id)
	if err != nil || s.Changed == nil {
		return u, err
	}
	if err := s.Changed(ctx, u, s.now()); err != nil {
		return User{}, errors.Join(kiosk.Errorf(kiosk.EUNAVAILABLE,
			"the interests are stored but could not be announced yet; repeat the request"), err)
	}
	return u, nil
}

// Decay returns how much of a weight is left after d with the given half-life.
func Decay(d, halfLife time.Duration) float64 {
	if d <= 0 {
		return 1
	}
	return math.Pow(0.5, float64(d)/float64(halfLife))
}

// Blend decays old weights by one period and adds the new engagement; tiny
// weights are dropped so the map stays small.
func Blend(old map[string]float64, engagement map[string]float64, periodLen, halfLife time.Duration) map[string]float64 {
	out := map[string]float64{}
	f := Decay(periodLen, halfLife)
	for k, v := range old {
		if w := v * f; w >= 0.01 {
			out[k] = w
		}
	}
	for k, v := range engagement {
		out[k] += v
	}
	return out
}

// Changed is the user.interests.changed event for u's current profile.
func Changed(u User, at time.Time) events.InterestsChanged {
	learned := u.Learned
	if learned == nil {
		learned = map[string]float64{}
	}
	interests := u.Interests
	if interests == nil {
		interests = []string{}
	}
	return events.InterestsChanged{UserID: u.ID, Interests: interests, Learned: learned, At: at.UTC()}
}
