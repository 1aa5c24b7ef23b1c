// Package idem makes an operation idempotent by a client's key, with the
// semantics of AWS Lambda Powertools' idempotency utility, written with
// single-item conditional writes (dynalite has no transactions):
//
//   - the first call with a key records it in progress, does the work and
//     records the result as completed, kept for Retention;
//   - a later call with the key and the same payload gets the stored result
//     without doing the work again; with a different payload it is refused;
//   - a call while another is in progress is refused (try again), so two
//     concurrent calls do the work once;
//   - a call that fails lets go of the key; one that crashes or times out
//     holds it only until its in-progress expiry, after which a retry runs the
//     work again;
//   - a write whose response was lost and which the SDK retried meets its own
//     record (the condition fails on its own write): the record carries the
//     caller's token, so that counts as applied.
package idem

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/guregu/dynamo/v2"
)

// Table is the logical name of the idempotency table.
const Table = "idempotency"

// Errors a caller maps to its responses.
var (
	ErrInProgress = errors.New("idem: another request with this key is in progress")
	ErrMismatch   = errors.New("idem: this key was used with a different payload")
)

// Store keeps idempotency records.
type Store struct {
	Table      dynamo.Table
	Now        func() time.Time
	Retention  time.Duration // how long a completed result is kept (default 1 h)
	InProgress time.Duration // how long a crashed call holds its key (default 1 min; above the function timeout)
}

type record struct {
	PK          string `dynamo:"pk,hash"`
	Status      string `dynamo:"status"`
	PayloadHash string `dynamo:"payload_hash"`
	Owner       string `dynamo:"owner"`
	Result      []byte `dynamo:"result,omitempty"`
	LockedUntil int64  `dynamo:"locked_until"`
	ExpiresAt   int64  `dynamo:"expires_at"`
}

const (
	inProgress = "in_progress"
	completed  = "completed"
)

func (s *Store) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Store) durations() (time.Duration, time.Duration) {
	keep, lock := s.Retention, s.InProgress
	if keep == 0 {
		keep = time.Hour
	}
	if lock == 0 {
		lock = time.Minute
	}
	return keep, lock
}

// newOwner names one call; tests replace it to replay a lost response.
var newOwner = func() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// Do runs work once per key (scoped by the caller, e.g. "register#<key>")
// and payload, and returns its result, stored or fresh.
func (s *Store) Do(ctx context.Context, key string, payload []byte, work func(ctx context.Context) ([]byte, error)) ([]byte, error) {
	keep, lock := s.durations()
	hash := hashOf(string(payload))
	owner := newOwner()
	now := s.now()
	rec := record{PK: "idem#" + key, Status: inProgress, PayloadHash: hash, Owner: owner,
		LockedUntil: now.Add(lock).Unix(), ExpiresAt: now.Add(keep).Unix()}
	err := s.Table.Put(rec).If("attribute_not_exists('pk') OR 'expires_at' <= ? OR ('status' = ? AND 'locked_until' <= ?)",
		now.Unix(), inProgress, now.Unix()).Run(ctx)
	if dynamo.IsCondCheckFailed(err) {
		var old record
		if err := s.Table.Get("pk", rec.PK).Consistent(true).One(ctx, &old); err != nil {
			return nil, fmt.Errorf("idem: read %s: %w", key, err)
		}
		switch {
		case old.Owner == owner:
			// Our own write, applied, whose response was lost and retried.
		case old.PayloadHash != hash:
			return nil, ErrMismatch
		case old.Status == completed && old.ExpiresAt > now.Unix():
			return old.Result, nil
		default:
			return nil, ErrInProgress
		}
	} else if err != nil {
		return nil, fmt.Errorf("idem: record %s: %w", key, err)
	}

	result, werr := work(ctx)
	if werr != nil {
		// Let go of the key so a retry can run the work; if this delete is
		// lost too, the in-progress expiry frees it.
		_ = s.Table.Delete("pk", rec.PK).If("'owner' = ?", owner).Run(context.WithoutCancel(ctx))
		return nil, werr
	}
	err = s.Table.Update("pk", rec.PK).Set("status", completed).Set("result", result).
		Set("expires_at", s.now().Add(keep).Unix()).If("'owner' = ?", owner).Run(context.WithoutCancel(ctx))
	if dynamo.IsCondCheckFailed(err) {
		var cur record
		if gerr := s.Table.Get("pk", rec.PK).Consistent(true).One(ctx, &cur); gerr == nil && cur.Owner == owner && cur.Status == completed {
			return result, nil // our completion, applied, whose response was lost
		}
		// Our in-progress expiry passed and another call took the key over:
		// the work ran (at least once); report its result anyway.
		return result, nil
	}
	if err != nil {
		// The work is done and its caller gets the result; only a replay of
		// this key after the in-progress expiry would run it again.
		slog.ErrorContext(ctx, "idem: the result could not be stored", "key", key, "error", err)
	}
	return result, nil
}

func hashOf(payload string) string {
	sum := sha256.Sum256([]byte(payload))
	return hex.EncodeToString(sum[:])
}
