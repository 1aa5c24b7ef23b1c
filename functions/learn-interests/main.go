// Command learn-interests updates users' learned interests from user.engaged
// (user.Service.OnUserEngaged): each hour is applied to a user once, whatever the
// delivery order or count, and each user's resulting profile is announced as
// user.interests.changed.
package main

import (
	"context"

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
	s := &user.Service{Store: user.NewDynamoStore(env.Table(contract.UsersTable)), Bus: bus.Open(env, events.SourceUsers), Now: clock.Now}
	trigger.Start(env, func(ctx context.Context, e trigger.Event[events.UserEngaged]) error {
		return s.OnUserEngaged(ctx, e.Detail)
	})
}
