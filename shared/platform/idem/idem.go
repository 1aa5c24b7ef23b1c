// Package idem makes an operation idempotent by a client's key, with the
// semantics of AWS Lambda Powertools' idempotency utility, written with
// single-item conditional writes (dynalite has no transactions), and with one
// rule for every caller: a key is a secret of the client that sent it.
//
//   - A key must be unguessable (CheckKey: a UUID v4, or at least 128 bits
//     written as 32+ hex or 22+ base64url characters); it is stored only as
//     its SHA-256 and never logged.
//   - A key is bound to its caller (the authorized user, else the source
//     address): the first call records who made it, and the same key from
//     anyone else is ErrReused, whatever state the record is in, so a second
//     client learns nothing and nothing runs for it.
//   - The stored result is sealed (AES-GCM) with a key derived from the
//     client's key, which is not stored: the table alone reveals no outcome,
//     and a replay returns exactly the stored outcome, minting nothing new.
//   - The first call with a key records it in progress, does the work and
//     records the result as completed, kept for Retention; a later call from
//     the same caller with the same payload gets the stored result without
//     doing the work again; with a different payload it is refused.
//   - A call while another is in progress is refused (try again), so two
//     concurrent calls do the work once.
//   - A call that fails lets go of the key; one that crashes or times out
//     holds it only until its in-progress expiry, after which a retry runs the
//     work again.
//   - A write whose response was lost and which the SDK retried meets its own
//     record (the condition fails on its own write): the record carries the
//     call's token, so that counts as applied.
package idem

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"time"

	"github.com/guregu/dynamo/v2"

	"github.com/kiosk-news/kiosk/shared/kiosk"
	"github.com/kiosk-news/kiosk/shared/platform/contract"
)

// Table is the logical name of the idempotency table.
const Table = contract.IdempotencyTable

// Errors a caller maps to its responses.
var (
	ErrInProgress = errors.New("idem: another request with this key is in progress")
	ErrMismatch   = errors.New("idem: this key was used with a different payload")
	ErrReused     = errors.New("idem: this key was used by another client")
)

// MaxKeyLen is the longest key accepted.
const MaxKeyLen = 128

var (
	uuidForm = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
	uuidV4   = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-4[0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}$`)
	hexForm  = regexp.MustCompile(`^[0-9a-fA-F]+$`)
	b64Form  = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)
)

// CheckKey accepts only keys that can carry 128 random bits: a UUID v4 in
// its canonical 8-4-4-4-12 form, 32 or more hex digits, or 22 or more
// base64url characters (A-Z a-z 0-9 - _), at most MaxKeyLen, with at least 8
// distinct characters and no run of 8 equal ones (0000…01 is a counter, not a
// secret; a random key fails this about once in ten million). Other
// UUID versions are refused: v1 and v7 are mostly a timestamp. The server
// cannot see randomness; the binding to the caller is what makes a guessed
// key useless, and this check keeps apps from using counters and device ids.
func CheckKey(key string) error {
	const rule = "Idempotency-Key must be unguessable: a UUID v4, or at least 128 random bits as 32+ hex digits or 22+ base64url characters (A-Z a-z 0-9 - _), at most 128"
	switch {
	case len(key) > MaxKeyLen:
		return kiosk.Errorf(kiosk.EINVALID, "%s; this one is %d characters long", rule, len(key))
	case uuidForm.MatchString(key):
		if !uuidV4.MatchString(key) {
			return kiosk.Errorf(kiosk.EINVALID, "%s; this UUID is not version 4", rule)
		}
		// The random digits, without the version and variant nibbles.
		if digits := key[:8] + key[9:13] + key[15:18] + key[20:23] + key[24:]; patterned(digits) {
			return kiosk.Errorf(kiosk.EINVALID, "%s; this UUID's digits follow a pattern", rule)
		}
		return nil
	case hexForm.MatchString(key) && len(key) < 32:
		return kiosk.Errorf(kiosk.EINVALID, "%s; %d hex digits carry only %d bits", rule, len(key), 4*len(key))
	case !b64Form.MatchString(key):
		return kiosk.Errorf(kiosk.EINVALID, "%s; this one has other characters", rule)
	case len(key) < 22:
		return kiosk.Errorf(kiosk.EINVALID, "%s; %d characters carry at most %d bits", rule, len(key), 6*len(key))
	case patterned(key):
		return kiosk.Errorf(kiosk.EINVALID, "%s; this one follows a pattern", rule)
	}
	return nil
}

// patterned reports the shapes of keys people type rather than draw: few
// distinct characters, a long run of one, the string repeating a shorter
// one (0123…0123…), or mostly counting up or down (abcdef…, 12345…). A key
// of 22+ random characters is refused by this with a probability under one
// in a million.
func patterned(s string) bool {
	if distinct(s) < 8 || longestRun(s) >= 8 {
		return true
	}
	for p := 1; p <= len(s)/2; p++ {
		if s[p:] == s[:len(s)-p] {
			return true
		}
	}
	steps := 0
	for i := 1; i < len(s); i++ {
		if d := int(s[i]) - int(s[i-1]); d == 1 || d == -1 {
			steps++
		}
	}
	return steps*2 >= len(s)-1
}

func longestRun(s string) int {
	best, run := 0, 0
	for i := range len(s) {
		if i > 0 && s[i] == s[i-1] {
			run++
		} else {
			run = 1
		}
		best = max(best, run)
	}
	return best
}

func distinct(s string) int {
	seen := map[rune]bool{}
	for _, r := range s {
		seen[r] = true
	}
	return len(seen)
}

// Call is one idempotent request.
type Call struct {
	Scope   string // the operation, e.g. "register"
	Key     string // the client's key; CheckKey must accept it
	Caller  string // who calls: the authorized user, else the source address (httpapi.ClientOf)
	Payload []byte // what was asked; the same key with another payload is ErrMismatch
}

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
	CallerHash  string `dynamo:"caller_hash"`
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

// Do runs work once per call's scope and key, for the caller who first sent
// the key, and returns its result, stored or fresh. It refuses a key CheckKey
// refuses (kiosk.EINVALID), the key from another caller (ErrReused), another
// payload (ErrMismatch) and a call while one is running (ErrInProgress).
func (s *Store) Do(ctx context.Context, c Call, work func(ctx context.Context) ([]byte, error)) ([]byte, error) {
	if err := CheckKey(c.Key); err != nil {
		return nil, err
	}
	if c.Scope == "" || strings.Contains(c.Scope, "#") || c.Caller == "" {
		return nil, fmt.Errorf("idem: a call needs a scope without # and a caller")
	}
	keep, lock := s.durations()
	hash := hashOf(string(c.Payload))
	owner := newOwner()
	now := s.now()
	rec := record{PK: "idem#" + c.Scope + "#" + hashOf(c.Key), Status: inProgress, PayloadHash: hash,
		CallerHash: hashOf("caller|" + c.Caller), Owner: owner,
		LockedUntil: now.Add(lock).Unix(), ExpiresAt: now.Add(keep).Unix()}
	err := s.Table.Put(rec).If("attribute_not_exists('pk') OR 'expires_at' <= ? OR ('status' = ? AND 'locked_until' <= ? AND 'caller_hash' = ?)",
		now.Unix(), inProgress, now.Unix(), rec.CallerHash).Run(ctx)
	if dynamo.IsCondCheckFailed(err) {
		var old record
		if err := s.Table.Get("pk", rec.PK).Consistent(true).One(ctx, &old); err != nil {
			return nil, fmt.Errorf("idem: read a %s record: %w", c.Scope, err)
		}
		switch {
		case old.Owner == owner:
			// Our own write, applied, whose response was lost and retried.
		case old.CallerHash != rec.CallerHash:
			return nil, ErrReused
		case old.PayloadHash != hash:
			return nil, ErrMismatch
		case old.Status == completed && old.ExpiresAt > now.Unix():
			result, err := open(c, old.Result)
			if err != nil {
				return nil, fmt.Errorf("idem: open a stored %s result: %w", c.Scope, err)
			}
			return result, nil
		default:
			return nil, ErrInProgress
		}
	} else if err != nil {
		return nil, fmt.Errorf("idem: record a %s call: %w", c.Scope, err)
	}

	result, werr := work(ctx)
	if werr != nil {
		// Let go of the key so a retry can run the work; if this delete is
		// lost too, the in-progress expiry frees it.
		_ = s.Table.Delete("pk", rec.PK).If("'owner' = ?", owner).Run(context.WithoutCancel(ctx))
		return nil, werr
	}
	sealed, err := seal(c, result)
	if err != nil {
		return nil, err
	}
	err = s.Table.Update("pk", rec.PK).Set("status", completed).Set("result", sealed).
		Set("expires_at", s.now().Add(keep).Unix()).If("'owner' = ?", owner).Run(context.WithoutCancel(ctx))
	if dynamo.IsCondCheckFailed(err) {
		// Either our completion, applied, whose response was lost; or our
		// in-progress expiry passed and a retry took the key over: the work
		// ran (at least once) and its caller gets its result either way.
		return result, nil
	}
	if err != nil {
		// The work is done and its caller gets the result; only a replay of
		// this key after the in-progress expiry would run it again.
		slog.ErrorContext(ctx, "idem: the result could not be stored", "scope", c.Scope, "error", err)
	}
	return result, nil
}

// sealKey derives the result's key from the client's key, which the table
// never holds.
func sealKey(c Call) (cipher.AEAD, error) {
	k, err := hkdf.Key(sha256.New, []byte(c.Key), nil, "kiosk idem result v1|"+c.Scope, 32)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(k)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

func seal(c Call, result []byte) ([]byte, error) {
	aead, err := sealKey(c)
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	return aead.Seal(nonce, nonce, result, []byte(c.Scope)), nil
}

func open(c Call, sealed []byte) ([]byte, error) {
	aead, err := sealKey(c)
	if err != nil {
		return nil, err
	}
	if len(sealed) < aead.NonceSize() {
		return nil, errors.New("sealed result too short")
	}
	return aead.Open(nil, sealed[:aead.NonceSize()], sealed[aead.NonceSize():], []byte(c.Scope))
}

func hashOf(payload string) string {
	sum := sha256.Sum256([]byte(payload))
	return hex.EncodeToString(sum[:])
}
