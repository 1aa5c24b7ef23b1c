package article

import "time"

// Subscription is a WebSub subscription (W3C WebSub, §5–§8) of one source's
// feed at its hub. Its ID names the callback (/v1/websub/{id}): 128 random
// bits, so a callback cannot be guessed from the source. Secret is the
// subscription's own HMAC key (hub.secret), never shown to a client.
type Subscription struct {
	ID       string `json:"id"`
	SourceID string `json:"source_id"`
	Hub      string `json:"hub"`
	Topic    string `json:"topic"`
	Secret   string `json:"-"`
	// State is what we last asked the hub for and what it answered:
	// SubRequested (subscribe sent, intent not yet verified), SubActive
	// (verified; content accepted until LeaseUntil) or SubUnsubscribing
	// (unsubscribe sent; content refused). SubDenied is no longer written
	// (a denial is unauthenticated, so it changes no state); one stored
	// before is asked for again like SubRequested.
	State       string    `json:"state"`
	RequestedAt time.Time `json:"requested_at"`
	// LeaseUntil is when the hub's verified lease ends (zero until verified).
	LeaseUntil time.Time `json:"lease_until,omitzero"`
	// NextCheck is when the ingestion batch must look at it again (renew the
	// lease, ask again, forget an unconfirmed unsubscription, unsubscribe a
	// removed source): the batch reads only the subscriptions due.
	NextCheck time.Time `json:"next_check"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Subscription states.
const (
	SubRequested     = "requested"
	SubActive        = "active"
	SubUnsubscribing = "unsubscribing"
	SubDenied        = "denied"
)

// Live reports whether the hub is pushing to the subscription at now: the
// source then needs polling only as a safety net.
func (s Subscription) Live(now time.Time) bool {
	return s.State == SubActive && now.Before(s.LeaseUntil)
}
