package user

import (
	"context"
	"maps"
	"slices"
	"sync"
	"time"
)

// MemoryStore is an in-memory Store with the DynamoDB adapter's semantics
// (conditional writes included), for tests of the service's rules.
type MemoryStore struct {
	mu    sync.Mutex
	users map[string]User
}

// NewMemoryStore returns an empty store.
func NewMemoryStore() *MemoryStore { return &MemoryStore{users: map[string]User{}} }

// copyUser keeps callers from sharing the stored maps and slices.
func copyUser(u User) User {
	u.Interests = slices.Clone(u.Interests)
	if u.Interests == nil {
		u.Interests = []string{}
	}
	u.Learned = maps.Clone(u.Learned)
	if u.Learned == nil {
		u.Learned = map[string]float64{}
	}
	return u
}

// Create stores a new user; ErrExists if the id is taken.
func (m *MemoryStore) Create(_ context.Context, u User) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.users[u.ID]; ok {
		return ErrExists
	}
	u = copyUser(u)
	u.LearnedThrough = "" // as the DynamoDB adapter: a new user has learned nothing yet
	m.users[u.ID] = u
	return nil
}

// Get reads one user.
func (m *MemoryStore) Get(_ context.Context, id string) (User, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	u, ok := m.users[id]
	if !ok {
		return User{}, ErrNotFound
	}
	return copyUser(u), nil
}

// SetInterests replaces an existing user's explicit interests.
func (m *MemoryStore) SetInterests(_ context.Context, id string, categories []string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	u, ok := m.users[id]
	if !ok {
		return ErrNotFound
	}
	u.Interests = slices.Clone(categories)
	m.users[id] = u
	return nil
}

// SetLearned replaces the learned weights while the stored hour is prev.
func (m *MemoryStore) SetLearned(_ context.Context, id string, learned map[string]float64, through, prev string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	u, ok := m.users[id]
	if !ok || u.LearnedThrough != prev {
		return ErrConflict
	}
	u.Learned, u.LearnedThrough = maps.Clone(learned), through
	m.users[id] = u
	return nil
}

// MemorySessions is an in-memory SessionStore with the DynamoDB adapter's
// semantics: conditional writes, and expired records invisible on read as
// judged by now.
type MemorySessions struct {
	mu       sync.Mutex
	now      func() time.Time
	tokens   map[string]memoryToken
	sessions map[string]memorySession
}

type memoryToken struct {
	t    RefreshToken
	used bool
}

type memorySession struct {
	id    string
	until time.Time
}

// NewMemorySessions returns an empty session store judging expiry by now.
func NewMemorySessions(now func() time.Time) *MemorySessions {
	return &MemorySessions{now: now, tokens: map[string]memoryToken{}, sessions: map[string]memorySession{}}
}

// Add stores a new refresh token; a hash already stored is refused.
func (m *MemorySessions) Add(_ context.Context, t RefreshToken) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.tokens[t.Hash]; ok {
		return ErrExists
	}
	t.ExpiresAt = t.ExpiresAt.Truncate(time.Second).UTC() // stored in seconds, as in DynamoDB
	m.tokens[t.Hash] = memoryToken{t: t}
	return nil
}

// Token reads a refresh token by hash.
func (m *MemorySessions) Token(_ context.Context, hash string) (RefreshToken, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	t, ok := m.tokens[hash]
	if !ok {
		return RefreshToken{}, ErrNotFound
	}
	return t.t, nil
}

// Use marks a refresh token used, once.
func (m *MemorySessions) Use(_ context.Context, hash string, _ time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	t, ok := m.tokens[hash]
	if !ok || t.used {
		return ErrUsed
	}
	t.used = true
	m.tokens[hash] = t
	return nil
}

// Start makes session the user's live session; an existing one is kept.
func (m *MemorySessions) Start(_ context.Context, userID, session string, until time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.sessions[userID]; ok {
		return ErrExists
	}
	m.sessions[userID] = memorySession{id: session, until: until.Truncate(time.Second)}
	return nil
}

// Extend moves the live session's end.
func (m *MemorySessions) Extend(_ context.Context, userID, session string, until time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	s, ok := m.sessions[userID]
	if !ok || s.id != session || !m.live(s) {
		return ErrNotFound
	}
	m.sessions[userID] = memorySession{id: session, until: until.Truncate(time.Second)}
	return nil
}

// Live reports whether session is the user's live, unexpired session.
func (m *MemorySessions) Live(_ context.Context, userID, session string) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	s, ok := m.sessions[userID]
	return ok && s.id == session && m.live(s), nil
}

// live is the adapter's rule: a session expires at the start of its second.
func (m *MemorySessions) live(s memorySession) bool { return s.until.Unix() > m.now().Unix() }

// End ends the user's session if it is session ("" any).
func (m *MemorySessions) End(_ context.Context, userID, session string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if s, ok := m.sessions[userID]; ok && (session == "" || s.id == session) {
		delete(m.sessions, userID)
	}
	return nil
}
