// Command users-api serves the users domain: registration (idempotent by an
// Idempotency-Key), the refresh-token swap, and behind the authorizer a user's
// own profile, interests and sign-out (every route is /me: the id comes from
// the token). Wiring only: every rule is in user.Service.
package main

import (
	"github.com/kiosk-news/kiosk/events"
	"github.com/kiosk-news/kiosk/shared/platform/boot"
	"github.com/kiosk-news/kiosk/shared/platform/bus"
	"github.com/kiosk-news/kiosk/shared/platform/clock"
	"github.com/kiosk-news/kiosk/shared/platform/contract"
	"github.com/kiosk-news/kiosk/shared/platform/httpapi"
	"github.com/kiosk-news/kiosk/shared/platform/idem"
	"github.com/kiosk-news/kiosk/shared/platform/secret"
	"github.com/kiosk-news/kiosk/shared/user"
)

func main() {
	env := boot.Init()
	httpapi.Start(env, routes(&user.Service{
		Store:      user.NewDynamoStore(env.Table(contract.UsersTable)),
		Sessions:   user.NewDynamoSessions(env.Table(contract.SessionsTable), clock.Now),
		Keys:       &idem.Store{Table: env.Table(contract.IdempotencyTable), Now: clock.Now},
		SigningKey: []byte(secret.Open(env, contract.TokenSigningSecret)),
		Bus:        bus.Open(env, events.SourceUsers),
		Now:        clock.Now,
	}))
}
