package user

import (
	"context"
	"time"

	"github.com/kiosk-news/kiosk/events"
	"github.com/kiosk-news/kiosk/shared/platform/bus"
)

// This file is the users domain's one translation to and from the event
// catalogue: it publishes user.interests.changed and consumes user.engaged.

// Bus publishes the domain's events (*bus.Publisher).
type Bus interface {
	Publish(ctx context.Context, evs ...bus.Event) error
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

// announce publishes each user's profile as of at, in one call.
func (s *Service) announce(ctx context.Context, users []User, at time.Time) error {
	if s.Bus == nil || len(users) == 0 {
		return nil
	}
	evs := make([]bus.Event, len(users))
	for i, u := range users {
		evs[i] = bus.Event{DetailType: events.InterestsChangedType, Detail: Changed(u, at)}
	}
	return s.Bus.Publish(ctx, evs...)
}

// Engaged applies a user.engaged event: its hour, to each of its users
// (LearnHour).
func (s *Service) Engaged(ctx context.Context, e events.UserEngaged) error {
	engagement := make([]Engagement, len(e.Users))
	for i, u := range e.Users {
		engagement[i] = Engagement{UserID: u.UserID, Weights: u.Weights}
	}
	return s.LearnHour(ctx, e.Hour, engagement)
}
