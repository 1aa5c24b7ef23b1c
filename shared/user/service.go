package user

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"log/slog"
	"time"

	"github.com/kiosk-news/kiosk/events"
	"github.com/kiosk-news/kiosk/shared/auth"
	"github.com/kiosk-news/kiosk/shared/kiosk"
	"github.com/kiosk-news/kiosk/shared/platform/idem"
)

// Keys makes a registration idempotent by the client's key (*idem.Store).
type Keys interface {
	Do(ctx context.Context, c idem.Call, work func(ctx context.Context) ([]byte, error)) ([]byte, error)
}

// Service holds the users' use cases.
type Service struct {
	Store      Store
	Sessions   SessionStore
	Keys       Keys // registrations with an Idempotency-Key
	SigningKey []byte
	Now        func() time.Time
	// Bus announces user.interests.changed; nil announces nothing.
	Bus Bus
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

// Register creates an anonymous user, starts its session and returns its
// first tokens. It announces the new user's empty profile, so the feed keeps
// a copy of it from the start (the inbox reads that copy, one read a page);
// an announcement that fails is logged and the registration goes on: the
// inbox fills a missing copy itself, at the cost of one more read once.
func (s *Service) Register(ctx context.Context) (Registration, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return Registration{}, err
	}
	u := User{ID: hex.EncodeToString(b), Interests: []string{}, Learned: map[string]float64{}, CreatedAt: s.now()}
	if err := s.Store.Create(ctx, u); err != nil {
		return Registration{}, err
	}
	if err := s.announce(ctx, Changed(u, u.CreatedAt)); err != nil {
		slog.WarnContext(ctx, "registration: the new profile was not announced", "user", u.ID, "err", err)
	}
	return s.startSession(ctx, u.ID)
}

// RegisterOnce is Register made idempotent by the client's key: an app that
// retries a registration whose response it lost sends the same key from the
// same caller and gets the very registration it lost (the same install and
// tokens, sealed by the key; nothing new is minted; replayed is true). The
// key from any other caller is refused in words that reveal nothing. With no
// key it is Register.
func (s *Service) RegisterOnce(ctx context.Context, key, caller string) (reg json.RawMessage, replayed bool, err error) {
	if key == "" {
		r, err := s.Register(ctx)
		if err != nil {
			return nil, false, err
		}
		out, err := json.Marshal(r)
		return out, false, err
	}
	replayed = true
	out, err := s.Keys.Do(ctx, idem.Call{Scope: "register", Key: key, Caller: caller}, func(ctx context.Context) ([]byte, error) {
		replayed = false
		r, err := s.Register(ctx)
		if err != nil {
			return nil, err
		}
		return json.Marshal(r)
	})
	switch {
	case errors.Is(err, idem.ErrReused):
		return nil, false, kiosk.Errorf(kiosk.EREUSED, "this Idempotency-Key was already used by another client; send a new random key (a UUID v4) with each new registration")
	case errors.Is(err, idem.ErrInProgress):
		return nil, false, kiosk.Errorf(kiosk.ECONFLICT, "a registration with this Idempotency-Key is in progress; retry in a moment")
	case err != nil:
		return nil, false, err
	}
	return out, replayed, nil
}

func (s *Service) issue(id, session, refresh string, now time.Time) Registration {
	exp := now.Add(auth.AccessTTL)
	jti := make([]byte, 12)
	_, _ = rand.Read(jti)
	tok := auth.Sign(s.SigningKey, auth.Claims{Subject: id, Role: auth.RoleUser, Session: session, ID: hex.EncodeToString(jti),
		IssuedAt: now.Unix(), Expires: exp.Unix()})
	return Registration{UserID: id, Token: tok, ExpiresAt: exp, RefreshToken: refresh, RefreshExpiresAt: now.Add(RefreshTTL)}
}

// Get reads a user's own profile, learned weights as of now.
func (s *Service) Get(ctx context.Context, id string) (User, error) {
	u, err := s.Store.Get(ctx, id)
	if err != nil {
		return User{}, codes.Translate(err)
	}
	u.Learned = u.LearnedAt(s.now())
	return u, nil
}

// SetInterests replaces the user's explicit categories and announces the
// new profile.
func (s *Service) SetInterests(ctx context.Context, id string, categories []string) (User, error) {
	clean, err := cleanInterests(categories)
	if err != nil {
		return User{}, err
	}
	if err := s.Store.SetInterests(ctx, id, clean); err != nil {
		return User{}, codes.Translate(err)
	}
	u, now, err := s.readAfterWrite(ctx, id)
	if err != nil {
		return User{}, codes.Translate(err)
	}
	if err := s.announce(ctx, Changed(u, now)); err != nil {
		return User{}, errors.Join(kiosk.Errorf(kiosk.EUNAVAILABLE,
			"the interests are stored but could not be announced yet; repeat the request"), err)
	}
	return u, nil
}

// readAfterWrite reads a user's profile to announce after the caller's own
// write, stamped between the two. The feed keeps the latest-stamped
// announcement of a profile (newest wins), and of two writers that each
// stamp after their write and before their (consistent) read, the later
// stamp's read came after the other's write: it holds both. A stamp taken
// after the read leaves a gap a whole change can land in — its announcement
// stamped earlier than the older read's — and one taken for a whole learning
// run at its start or end leaves a gap as long as the run. Hosts' clocks in
// AWS differ by milliseconds, so two writers of one profile within that of
// each other can still be ordered wrong; the next learning run of an engaged
// user announces the stored profile again.
func (s *Service) readAfterWrite(ctx context.Context, id string) (User, time.Time, error) {
	now := s.now()
	u, err := s.Store.Get(ctx, id)
	if err != nil {
		return User{}, now, err
	}
	u.Learned = u.LearnedAt(now)
	return u, now, nil
}

// Learn applies one hour's engagement (category → score) to a user once:
// the weights decay by the time since the hour learned last (Blend), and an
// hour at or before that one changes nothing. ErrNotFound for no such user.
func (s *Service) Learn(ctx context.Context, id, hour string, engagement map[string]float64) error {
	at, err := ParseHour(hour)
	if err != nil {
		return err
	}
	for range 5 {
		u, err := s.Store.Get(ctx, id)
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
		err = s.Store.SetLearned(ctx, id, Blend(u.Learned, elapsed, engagement), hour, u.LearnedThrough)
		if errors.Is(err, ErrConflict) {
			continue // another writer got there first (or the user is gone): read again
		}
		return err
	}
	return errors.New("learn: too much contention")
}

// LearnHour applies one hour's engagement to each of its users (Learn) and
// announces each one's resulting profile — even when the hour was already
// applied, so a redelivery repeats an announcement a failed run may have
// lost. Unknown users are skipped; the others are all tried, and every
// failure is returned.
func (s *Service) LearnHour(ctx context.Context, hour string, engagement []Engagement) error {
	var errs []error
	var changed []events.InterestsChanged
	for _, e := range engagement {
		id := e.UserID
		err := s.Learn(ctx, id, hour, e.Weights)
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		u, now, err := s.readAfterWrite(ctx, id)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		changed = append(changed, Changed(u, now))
	}
	if err := s.announce(ctx, changed...); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// startSession begins a new install's session and returns its tokens.
func (s *Service) startSession(ctx context.Context, userID string) (Registration, error) {
	now := s.now()
	session := newSessionID()
	token, hash := newSecret()
	if err := s.Sessions.Add(ctx, RefreshToken{Hash: hash, UserID: userID, Session: session, ExpiresAt: now.Add(RefreshTTL)}); err != nil {
		return Registration{}, err
	}
	if err := s.Sessions.Start(ctx, userID, session, now.Add(RefreshTTL)); err != nil {
		return Registration{}, err
	}
	return s.issue(userID, session, token, now), nil
}

// Refresh swaps a refresh token, once, for the next one and a fresh access
// token. A token presented again ends its whole session.
func (s *Service) Refresh(ctx context.Context, token string) (Registration, error) {
	invalid := kiosk.Errorf(kiosk.EUNAUTHORIZED, "this refresh token is not valid")
	if !refreshForm.MatchString(token) {
		return Registration{}, invalid
	}
	hash := hashToken(token)
	rt, err := s.Sessions.Token(ctx, hash)
	if errors.Is(err, ErrNotFound) {
		return Registration{}, invalid
	}
	if err != nil {
		return Registration{}, err
	}
	now := s.now()
	if !now.Before(rt.ExpiresAt) {
		return Registration{}, kiosk.Errorf(kiosk.EUNAUTHORIZED, "this refresh token has expired; register again")
	}
	ended := kiosk.Errorf(kiosk.EUNAUTHORIZED, "this session has ended (signed out, or a refresh token was used twice); register again")
	if live, err := s.Sessions.Live(ctx, rt.UserID, rt.Session); err != nil {
		return Registration{}, err
	} else if !live {
		return Registration{}, ended
	}
	// The next token is stored before this one is spent: a failure in
	// between leaves an unused token nobody knows, never a spent one
	// without a successor.
	next, nextHash := newSecret()
	if err := s.Sessions.Add(ctx, RefreshToken{Hash: nextHash, UserID: rt.UserID, Session: rt.Session, ExpiresAt: now.Add(RefreshTTL)}); err != nil {
		return Registration{}, err
	}
	if err := s.Sessions.Use(ctx, hash, now); errors.Is(err, ErrUsed) {
		if err := s.Sessions.End(ctx, rt.UserID, rt.Session); err != nil {
			return Registration{}, err
		}
		return Registration{}, kiosk.Errorf(kiosk.EUNAUTHORIZED,
			"this refresh token was already used, so it may be in other hands: the session is revoked; register again")
	} else if err != nil {
		return Registration{}, err
	}
	// The presented token is spent: from here on the caller must get its
	// successor, or a retry would be a reuse. Only a session that ended in
	// the meantime is refused; if the extension merely failed, the session
	// keeps its previous end and the next refresh extends it.
	if err := s.Sessions.Extend(ctx, rt.UserID, rt.Session, now.Add(RefreshTTL)); errors.Is(err, ErrNotFound) {
		return Registration{}, ended // ended between the check and the swap
	}
	return s.issue(rt.UserID, rt.Session, next, now), nil
}

// SignOutEverywhere ends the user's session: no refresh token of it works
// any more, and its access tokens stop within the authorizer's cache time.
func (s *Service) SignOutEverywhere(ctx context.Context, userID string) error {
	return s.Sessions.End(ctx, userID, "")
}
