package health

import (
	"context"
	"sync"
	"time"
)

// MemoryStore is an in-memory Store with the DynamoDB adapter's semantics:
// the newest heartbeat wins, and an expired one is invisible.
type MemoryStore struct {
	mu   sync.Mutex
	last *Heartbeat
}

// NewMemoryStore returns an empty store.
func NewMemoryStore() *MemoryStore { return &MemoryStore{} }

// Record keeps hb unless a heartbeat as new or newer is kept (compared to
// the second, as the adapter's at_unix).
func (m *MemoryStore) Record(_ context.Context, hb Heartbeat) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.last != nil && m.last.At.Unix() >= hb.At.Unix() {
		return nil
	}
	hb.At = hb.At.UTC()
	m.last = &hb
	return nil
}

// Last returns the kept heartbeat unless it expired by now.
func (m *MemoryStore) Last(_ context.Context, now time.Time) (Heartbeat, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.last == nil || m.last.At.Add(Retention).Unix() <= now.Unix() {
		return Heartbeat{}, ErrNone
	}
	return *m.last, nil
}
