package health

import (
	"context"

	"github.com/kiosk-news/kiosk/events"
)

// This file is the health domain's one translation to and from the event
// catalogue: it consumes platform.heartbeat (which the heartbeat batch
// publishes with its run's id: a redelivered schedule publishes the same
// heartbeat again).

// OnHeartbeat records a delivered platform.heartbeat (its event id kept for the
// report).
func (s *Service) OnHeartbeat(ctx context.Context, eventID string, e events.Heartbeat) error {
	return s.Record(ctx, Heartbeat{Run: e.Run, EventID: eventID, At: e.At})
}
