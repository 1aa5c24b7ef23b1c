// Package editor is the admin console's accounts and audit log: editor
// accounts (invited by an operator with a one-time link, password hashed
// with bcrypt), server-side sessions that sign-out, a password change or the
// account's removal end at once, and an audit record of every change made
// through the console or the admin API.
//
// Everything lives in one table (the topology's "console"):
//
//	pk "editor", sk <email>          an account: role, bcrypt hash, generation
//	pk "inv#<sha256(token)>", sk "-" an invitation: email, role, inviter; expires
//	pk "ses#<sha256(id)>", sk "-"    a session: email, the account's generation; expires
//	pk "audit", sk <time>#<random>   an audit record, kept AuditKeep
//	pk "removed#<email>", sk "-"     when the account was removed: older invitations are void
//
// Tokens and session ids are 256 random bits and only their SHA-256 is
// stored, so a read of the table signs nobody in.
package editor

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"regexp"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/guregu/dynamo/v2"
	"golang.org/x/crypto/bcrypt"

	"github.com/kiosk-news/kiosk/shared/kiosk"
	"github.com/kiosk-news/kiosk/shared/platform/contract"
)

// Roles. Operators invite and remove editors, run batches and redrive dead
// letters; editors (and operators) manage sources and moderation.
const (
	RoleEditor   = "editor"
	RoleOperator = "operator"
)

// AdminToken is the actor of a change made with the break-glass admin token.
const AdminToken = contract.AdminTokenSecret

// Table is the topology's name for the store's table.
const Table = contract.ConsoleTable

// Lifetimes.
const (
	SessionTTL    = 8 * time.Hour
	InvitationTTL = 72 * time.Hour
	AuditKeep     = 400 * 24 * time.Hour // more than a year
)

// Password bounds (bcrypt reads at most 72 bytes).
const (
	MinPassword = 12
	MaxPassword = 72
)

// Editor is an account.
type Editor struct {
	Email      string    `dynamo:"sk" json:"email"`
	Role       string    `dynamo:"role" json:"role"`
	InvitedBy  string    `dynamo:"invited_by" json:"invited_by"`
	CreatedAt  time.Time `dynamo:"created_at" json:"created_at"`
	Hash       string    `dynamo:"hash" json:"-"`
	Generation int       `dynamo:"gen" json:"-"`
}

// Operator reports whether e may run operations and manage accounts.
func (e Editor) Operator() bool { return e.Role == RoleOperator }

// Store keeps accounts, invitations, sessions and the audit log.
type Store struct {
	Table dynamo.Table
	Now   func() time.Time
}

func (s *Store) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

type editorItem struct {
	PK string `dynamo:"pk,hash"`
	Editor
}

type tokenItem struct {
	PK         string    `dynamo:"pk,hash"`
	SK         string    `dynamo:"sk,range"`
	Email      string    `dynamo:"email"`
	Role       string    `dynamo:"role,omitempty"`
	InvitedBy  string    `dynamo:"invited_by,omitempty"`
	Generation int       `dynamo:"gen"`
	Expires    time.Time `dynamo:"expires"`
	ExpiresAt  int64     `dynamo:"expires_at"`
}

var emailRe = regexp.MustCompile(`^[a-z0-9._%+\-]{1,64}@[a-z0-9\-]+(\.[a-z0-9\-]+)+$`)

// NormalizeEmail lower-cases an address and checks its shape.
func NormalizeEmail(email string) (string, error) {
	e := strings.ToLower(strings.TrimSpace(email))
	if len(e) > 100 || !emailRe.MatchString(e) {
		return "", kiosk.Errorf(kiosk.EINVALID, "email must be an address like name@example.org")
	}
	return e, nil
}

func validRole(r string) bool { return r == RoleEditor || r == RoleOperator }

func newToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func hashed(prefix, token string) string {
	sum := sha256.Sum256([]byte(token))
	return prefix + hex.EncodeToString(sum[:])
}

// validToken: what newToken makes (43 base64url characters).
func validToken(t string) bool {
	if len(t) != 43 {
		return false
	}
	_, err := base64.RawURLEncoding.DecodeString(t)
	return err == nil
}

// Invitation is a one-time link's token (shown once, stored hashed).
type Invitation struct {
	Token     string    `json:"token"`
	Email     string    `json:"email"`
	Role      string    `json:"role"`
	ExpiresAt time.Time `json:"expires_at"`
}

// Invite creates an invitation for email with role, by inviter (an
// operator's email or AdminToken). An existing account cannot be invited.
func (s *Store) Invite(ctx context.Context, email, role, inviter string) (Invitation, error) {
	email, err := NormalizeEmail(email)
	if err != nil {
		return Invitation{}, err
	}
	if !validRole(role) {
		return Invitation{}, kiosk.Errorf(kiosk.EINVALID, "role must be editor or operator")
	}
	if _, err := s.Editor(ctx, email); err == nil {
		return Invitation{}, kiosk.Errorf(kiosk.ECONFLICT, "%s already has an account", email)
	} else if kiosk.ErrorCode(err) != kiosk.ENOTFOUND {
		return Invitation{}, err
	}
	token := newToken()
	exp := s.now().Add(InvitationTTL)
	it := tokenItem{PK: hashed("inv#", token), SK: "-", Email: email, Role: role, InvitedBy: inviter, Expires: exp, ExpiresAt: exp.Unix()}
	if err := s.Table.Put(it).If("attribute_not_exists(pk)").Run(ctx); err != nil {
		return Invitation{}, err
	}
	return Invitation{Token: token, Email: email, Role: role, ExpiresAt: exp}, nil
}

// Invitation reads a pending invitation (to show its address).
func (s *Store) Invitation(ctx context.Context, token string) (Invitation, error) {
	gone := kiosk.Errorf(kiosk.ENOTFOUND, "this invitation link is not valid: it was used, has expired or never existed; ask an operator for a new one")
	if !validToken(token) {
		return Invitation{}, gone
	}
	var it tokenItem
	if err := s.Table.Get("pk", hashed("inv#", token)).Range("sk", dynamo.Equal, "-").One(ctx, &it); err != nil {
		if errors.Is(err, dynamo.ErrNotFound) {
			return Invitation{}, gone
		}
		return Invitation{}, err
	}
	if !s.now().Before(it.Expires) {
		return Invitation{}, gone
	}
	// An invitation sent before its address's account was removed is
	// void: removal ends every way back in, not only the sessions.
	var rm removedItem
	err := s.Table.Get("pk", "removed#"+it.Email).Range("sk", dynamo.Equal, "-").One(ctx, &rm)
	if err != nil && !errors.Is(err, dynamo.ErrNotFound) {
		return Invitation{}, err
	}
	if err == nil && !rm.At.Before(it.Expires.Add(-InvitationTTL)) {
		return Invitation{}, gone
	}
	return Invitation{Email: it.Email, Role: it.Role, ExpiresAt: it.Expires}, nil
}

// MinNameInPassword is the shortest name (an address's part before the @)
// a password may not contain. A shorter one ("ed") is inside too many words
// ("Editor") to refuse them all, and an attacker who tries it first gains
// next to nothing; the whole address is refused whatever its length.
const MinNameInPassword = 4

// CheckPassword says what is wrong with a new password, if anything.
func CheckPassword(password, email string) error {
	lower, email := strings.ToLower(password), strings.ToLower(email)
	name, _, _ := strings.Cut(email, "@")
	switch {
	// At least MinPassword characters; at most MaxPassword bytes, what
	// bcrypt reads (72 ASCII characters, fewer accented ones).
	case utf8.RuneCountInString(password) < MinPassword || len(password) > MaxPassword:
		return kiosk.Errorf(kiosk.EINVALID, "password must be %d to %d characters (at most %d bytes in UTF-8)", MinPassword, MaxPassword, MaxPassword)
	case email != "" && strings.Contains(lower, email):
		return kiosk.Errorf(kiosk.EINVALID, "password must not contain your address")
	case utf8.RuneCountInString(name) >= MinNameInPassword && strings.Contains(lower, name):
		return kiosk.Errorf(kiosk.EINVALID, "password must not contain your address's name before the @ (%q)", name)
	}
	return nil
}

// Accept uses an invitation once: it is deleted (conditionally, so two
// uses cannot both pass), then the account is created with password.
func (s *Store) Accept(ctx context.Context, token, password string) (Editor, error) {
	inv, err := s.Invitation(ctx, token)
	if err != nil {
		return Editor{}, err
	}
	if err := CheckPassword(password, inv.Email); err != nil {
		return Editor{}, err
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.DefaultCost)
	if err != nil {
		return Editor{}, err
	}
	var it tokenItem
	err = s.Table.Delete("pk", hashed("inv#", token)).Range("sk", "-").If("attribute_exists(pk)").OldValue(ctx, &it)
	if dynamo.IsCondCheckFailed(err) || errors.Is(err, dynamo.ErrNotFound) {
		return Editor{}, kiosk.Errorf(kiosk.ENOTFOUND, "this invitation link was just used")
	}
	if err != nil {
		return Editor{}, err
	}
	e := Editor{Email: it.Email, Role: it.Role, InvitedBy: it.InvitedBy, CreatedAt: s.now(), Hash: string(hash), Generation: 1}
	err = s.Table.Put(editorItem{PK: "editor", Editor: e}).If("attribute_not_exists(pk)").Run(ctx)
	if dynamo.IsCondCheckFailed(err) {
		return Editor{}, kiosk.Errorf(kiosk.ECONFLICT, "%s already has an account", e.Email)
	}
	return e, err
}

// Editor reads an account.
func (s *Store) Editor(ctx context.Context, email string) (Editor, error) {
	var it editorItem
	if err := s.Table.Get("pk", "editor").Range("sk", dynamo.Equal, email).One(ctx, &it); err != nil {
		if errors.Is(err, dynamo.ErrNotFound) {
			return Editor{}, kiosk.Errorf(kiosk.ENOTFOUND, "no account %s", email)
		}
		return Editor{}, err
	}
	return it.Editor, nil
}

// Editors lists every account.
func (s *Store) Editors(ctx context.Context) ([]Editor, error) {
	var items []editorItem
	if err := s.Table.Get("pk", "editor").Limit(1000).All(ctx, &items); err != nil {
		return nil, err
	}
	out := make([]Editor, len(items))
	for i, it := range items {
		out[i] = it.Editor
	}
	return out, nil
}

// a bcrypt hash of nothing anyone types: compared against when the account
// does not exist, so a wrong address costs as long as a wrong password.
//
// A function rather than a sync.OnceValue variable: a package-level
// variable's initializer is linked into every binary that imports the
// package, and with it bcrypt, which only SignIn needs.
func dummyHash() []byte {
	dummy.once.Do(func() {
		dummy.hash, _ = bcrypt.GenerateFromPassword([]byte("no account has this password, ever"), bcrypt.DefaultCost)
	})
	return dummy.hash
}

var dummy struct {
	once sync.Once
	hash []byte
}

// ErrSignIn is the one answer to a wrong address or password.
var ErrSignIn = kiosk.Errorf(kiosk.EUNAUTHORIZED, "that address and password do not match an account")

// SignIn checks a password and starts a session; it returns the session id
// (the cookie's value).
func (s *Store) SignIn(ctx context.Context, email, password string) (string, Editor, error) {
	// No account has a malformed address or an over-long password: those
	// are refused at once (their shape is no secret).
	email, err := NormalizeEmail(email)
	if err != nil || len(password) > MaxPassword {
		return "", Editor{}, ErrSignIn
	}
	e, err := s.Editor(ctx, email)
	if kiosk.ErrorCode(err) == kiosk.ENOTFOUND {
		_ = bcrypt.CompareHashAndPassword(dummyHash(), []byte(password))
		return "", Editor{}, ErrSignIn
	}
	if err != nil {
		return "", Editor{}, err
	}
	if bcrypt.CompareHashAndPassword([]byte(e.Hash), []byte(password)) != nil {
		return "", Editor{}, ErrSignIn
	}
	id, err := s.NewSession(ctx, e)
	return id, e, err
}

// NewSession starts a session for e.
func (s *Store) NewSession(ctx context.Context, e Editor) (string, error) {
	id := newToken()
	exp := s.now().Add(SessionTTL)
	it := tokenItem{PK: hashed("ses#", id), SK: "-", Email: e.Email, Generation: e.Generation, Expires: exp, ExpiresAt: exp.Unix()}
	if err := s.Table.Put(it).If("attribute_not_exists(pk)").Run(ctx); err != nil {
		return "", err
	}
	return id, nil
}

// Session returns the account a session id belongs to; ok is false for an
// unknown, expired or ended session, or one whose account was removed or
// changed its password since.
func (s *Store) Session(ctx context.Context, id string) (e Editor, ok bool, err error) {
	if !validToken(id) {
		return Editor{}, false, nil
	}
	var it tokenItem
	if err := s.Table.Get("pk", hashed("ses#", id)).Range("sk", dynamo.Equal, "-").One(ctx, &it); err != nil {
		if errors.Is(err, dynamo.ErrNotFound) {
			return Editor{}, false, nil
		}
		return Editor{}, false, err
	}
	if !s.now().Before(it.Expires) {
		return Editor{}, false, nil
	}
	e, err = s.Editor(ctx, it.Email)
	if kiosk.ErrorCode(err) == kiosk.ENOTFOUND {
		return Editor{}, false, nil
	}
	if err != nil {
		return Editor{}, false, err
	}
	return e, e.Generation == it.Generation, nil
}

// EndSession signs a session out.
func (s *Store) EndSession(ctx context.Context, id string) error {
	if !validToken(id) {
		return nil
	}
	return s.Table.Delete("pk", hashed("ses#", id)).Range("sk", "-").Run(ctx)
}

// ChangePassword sets a new password after checking the current one; every
// session of the account ends (the generation moves on).
func (s *Store) ChangePassword(ctx context.Context, email, current, next string) (Editor, error) {
	e, err := s.Editor(ctx, email)
	if err != nil {
		return Editor{}, err
	}
	if len(current) > MaxPassword || bcrypt.CompareHashAndPassword([]byte(e.Hash), []byte(current)) != nil {
		return Editor{}, kiosk.Errorf(kiosk.EINVALID, "current password is not right")
	}
	if err := CheckPassword(next, email); err != nil {
		return Editor{}, err
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(next), bcrypt.DefaultCost)
	if err != nil {
		return Editor{}, err
	}
	err = s.Table.Update("pk", "editor").Range("sk", email).Set("hash", string(hash)).Add("gen", 1).
		If("gen = ?", e.Generation).Run(ctx)
	if dynamo.IsCondCheckFailed(err) {
		return Editor{}, kiosk.Errorf(kiosk.ECONFLICT, "the account changed meanwhile; try again")
	}
	if err != nil {
		return Editor{}, err
	}
	e.Hash, e.Generation = string(hash), e.Generation+1
	return e, nil
}

// Remove deletes an account; its sessions stop working at once.
func (s *Store) Remove(ctx context.Context, email string) (Editor, error) {
	var old editorItem
	// The mark goes first: invitations sent before it stop working even if
	// the delete below fails and is retried. It lives as long as an
	// invitation can.
	now := s.now()
	if err := s.Table.Put(removedItem{PK: "removed#" + email, SK: "-", At: now, ExpiresAt: now.Add(InvitationTTL).Unix()}).Run(ctx); err != nil {
		return Editor{}, err
	}
	err := s.Table.Delete("pk", "editor").Range("sk", email).If("attribute_exists(pk)").OldValue(ctx, &old)
	if dynamo.IsCondCheckFailed(err) || errors.Is(err, dynamo.ErrNotFound) {
		return Editor{}, kiosk.Errorf(kiosk.ENOTFOUND, "no account %s", email)
	}
	return old.Editor, err
}

// removedItem marks when an address's account was removed, so invitations
// sent before then are void.
type removedItem struct {
	PK        string    `dynamo:"pk,hash"`
	SK        string    `dynamo:"sk,range"`
	At        time.Time `dynamo:"at"`
	ExpiresAt int64     `dynamo:"expires_at"`
}
