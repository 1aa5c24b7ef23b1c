package health

import (
	"context"
	"errors"
	"time"
)

// Service holds the canary's use cases.
type Service struct {
	Store Store
	Now   func() time.Time
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

// Check builds the report: fresh, stale (older than StaleAfter) or no
// heartbeat. It fails only when the store is unreachable (unavailable).
func (s *Service) Check(ctx context.Context) (Report, error) {
	now := s.now()
	r := Report{Status: "ok", Store: "ok", Heartbeat: "none", Time: now}
	hb, err := s.Store.Last(ctx, now)
	switch {
	case errors.Is(err, ErrNone):
	case err != nil:
		// The client reads only that the store is unreachable; the cause
		// goes to the log.
		return r, errors.Join(codes.Translate(ErrUnreachable), err)
	default:
		r.LastHeartbeat = &hb
		r.Heartbeat = "fresh"
		if now.Sub(hb.At) > StaleAfter {
			r.Heartbeat = "stale"
		}
	}
	return r, nil
}

// Record keeps hb unless a newer heartbeat is kept: a redelivered or older
// heartbeat changes nothing.
func (s *Service) Record(ctx context.Context, hb Heartbeat) error {
	return s.Store.Record(ctx, hb)
}
