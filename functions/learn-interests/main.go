// Command learn-interests updates users' learned interests from user.engaged:
// each user's category weights decay with a one-week half-life by the time
// elapsed since the hour learned last (user.Blend) and grow with what they
// clicked, read and shared. Each hour is
// applied to a user once, whatever the delivery order or count; each user's
// resulting profile is announced as user.interests.changed.
package main

import (
	"context"
	"errors"

	"github.com/kiosk-news/kiosk/events"
	"github.com/kiosk-news/kiosk/shared/platform/boot"
	"github.com/kiosk-news/kiosk/shared/platform/bus"
	"github.com/kiosk-news/kiosk/shared/platform/clock"
	"github.com/kiosk-news/kiosk/shared/platform/contract"
	"github.com/kiosk-news/kiosk/shared/platform/trigger"
	"github.com/kiosk-news/kiosk/shared/user"
)

func main() {
	env := boot.Init()
	table := env.Table(contract.UsersTable)
	st := user.NewDynamoStore(table)
	pub := bus.Open(env, events.SourceUsers)
	trigger.Start(env, func(ctx context.Context, e trigger.Event[events.UserEngaged]) error {
		var errs []error
		var changed []bus.Event
		for _, u := range e.Detail.Users {
			err := st.Learn(ctx, u.UserID, e.Detail.Hour, u.Weights)
			if errors.Is(err, user.ErrNotFound) {
				continue
			}
			if err != nil {
				errs = append(errs, err)
				continue
			}
			// Announce even when this hour was already applied: a redelivery
			// then repeats an announcement a failed run may have lost.
			got, err := st.Get(ctx, u.UserID)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			now := clock.Now()
			got.Learned = got.LearnedAt(now)
			changed = append(changed, bus.Event{DetailType: events.InterestsChangedType, Detail: user.Changed(got, now)})
		}
		if err := pub.Publish(ctx, changed...); err != nil {
			errs = append(errs, err)
		}
		return errors.Join(errs...)
	})
}
