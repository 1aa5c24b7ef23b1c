package user

import (
	"context"
	"time"

	"github.com/kiosk-news/kiosk/events"
)

// This file is the users domain's one translation to and from the event
// catalogue: it publishes user.interests.changed and consumes user.engaged.

// Bus puts catalogue events of one detail type on the bus, in order
// ((*bus.Publisher).PublishDetails; the domain does not import the bus, so
// the authorizer, which reads sessions, links no EventBridge client).
type Bus interface {
	PublishDetails(ctx context.Context, detailType string, details ...any) error
}

// Changed is the user.interests.changed event for u's current profile; u's
// learned weights must be as of at (LearnedAt, or Service.Get's): the
// contract is that they halve every HalfLife after at.
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

// announce publishes profiles (Changed), in one call.
func (s *Service) announce(ctx context.Context, changes ...events.InterestsChanged) error {
	if s.Bus == nil || len(changes) == 0 {
		return nil
	}
	details := make([]any, len(changes))
	for i, c := range changes {
		details[i] = c
	}
	return s.Bus.PublishDetails(ctx, events.InterestsChangedType, details...)
}

// OnUserEngaged applies a user.engaged event: its hour, to each of its users
// (LearnHour).
func (s *Service) OnUserEngaged(ctx context.Context, e events.UserEngaged) error {
	engagement := make([]Engagement, len(e.Users))
	for i, u := range e.Users {
		engagement[i] = Engagement{UserID: u.UserID, Weights: u.Weights}
	}
	return s.LearnHour(ctx, e.Hour, engagement)
}
