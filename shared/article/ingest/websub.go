package ingest

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/kiosk-news/kiosk/shared/article"
	"github.com/kiosk-news/kiosk/shared/kiosk"
	"github.com/kiosk-news/kiosk/shared/platform/parallel"
)

// WebSub lease and retry policy.
const (
	// Lease is the lease we ask hubs for (hub.lease_seconds); the hub decides.
	Lease = 10 * 24 * time.Hour
	// RenewBefore: a lease ending within this is renewed (the batch runs
	// every few minutes, so a day leaves room for a hub that is down).
	RenewBefore = 24 * time.Hour
	// RetryAfter is when a request the hub never verified (or refused, or an
	// unsubscription it never confirmed) is sent again.
	RetryAfter = time.Hour
	// MaxLease caps a lease a hub grants: a longer one is recorded as this.
	MaxLease = 30 * 24 * time.Hour
)

// CallbackPath is the public route of every subscription's callback.
const CallbackPath = "/v1/websub/"

var subIDRe = regexp.MustCompile(`^[0-9a-f]{32}$`)

// Subscriber is the WebSub subscriber (W3C WebSub Recommendation): it
// subscribes a source's feed at the hub the feed names, with a callback on
// the public API and a secret of its own; answers the hub's verification of
// intent only for what it asked; keeps leases renewed; unsubscribes sources
// that are gone; and accepts pushed content only when signed with the
// subscription's secret, through the same feed item → article path as polling.
type Subscriber struct {
	Store article.Store
	// Hubs reaches hubs with the fetcher's rules (no private addresses).
	Hubs *Fetcher
	// Ingester turns pushed feeds into stored articles.
	Ingester *Ingester
	// Publisher announces pushed articles at once (the fast path to the
	// feed); the Announcer relays them again later, so a failed publish
	// loses nothing.
	Publisher article.Publisher
	// APIURL is the public API's base URL ("https://api.example"); callbacks
	// are APIURL + CallbackPath + id.
	APIURL string
	Now    func() time.Time
}

func (w *Subscriber) now() time.Time {
	if w.Now != nil {
		return w.Now().UTC()
	}
	return time.Now().UTC()
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// Callback is a subscription's callback URL.
func (w *Subscriber) Callback(id string) string {
	return strings.TrimRight(w.APIURL, "/") + CallbackPath + id
}

// Ensure makes sure the source's feed, which names hub and topic, has a
// subscription: it asks for one when there is none (or the feed moved to
// another hub or topic, unsubscribing the old one), and leaves a pending or
// live one to Maintain. cur is the source's current subscription, if any.
func (w *Subscriber) Ensure(ctx context.Context, src article.Source, hub, topic string, cur *article.Subscription) error {
	if w.APIURL == "" || hub == "" {
		return nil
	}
	if topic == "" {
		topic = src.URL
	}
	if cur != nil {
		if cur.Hub == hub && cur.Topic == topic && cur.State != article.SubUnsubscribing {
			return nil
		}
		if cur.State != article.SubUnsubscribing {
			if err := w.unsubscribe(ctx, *cur); err != nil {
				return err
			}
		}
	}
	now := w.now()
	sub := article.Subscription{ID: randomHex(16), SourceID: src.ID, Hub: hub, Topic: topic, Secret: randomHex(32),
		State: article.SubRequested, RequestedAt: now, NextCheck: now.Add(RetryAfter), UpdatedAt: now}
	// Stored before the request: the hub verifies intent while (or right
	// after) it answers, and the callback must know what we asked for.
	if err := w.Store.PutSubscription(ctx, sub); err != nil {
		return err
	}
	return w.request(ctx, sub, "subscribe")
}

// request sends a subscribe or unsubscribe request to the hub (§5.1); the
// hub answers 202 and verifies intent at the callback.
func (w *Subscriber) request(ctx context.Context, sub article.Subscription, mode string) error {
	form := url.Values{"hub.callback": {w.Callback(sub.ID)}, "hub.mode": {mode}, "hub.topic": {sub.Topic}}
	if mode == "subscribe" {
		form.Set("hub.secret", sub.Secret)
		form.Set("hub.lease_seconds", strconv.Itoa(int(Lease/time.Second)))
	}
	status, err := w.Hubs.PostForm(ctx, sub.Hub, form)
	if err == nil && (status < 200 || status > 299) {
		err = fmt.Errorf("hub answered HTTP %d", status)
	}
	if err != nil {
		return fmt.Errorf("%s %s at %s: %w", mode, sub.Topic, sub.Hub, err)
	}
	return nil
}

func (w *Subscriber) unsubscribe(ctx context.Context, sub article.Subscription) error {
	now := w.now()
	sub.State, sub.RequestedAt, sub.NextCheck, sub.UpdatedAt = article.SubUnsubscribing, now, now.Add(RetryAfter), now
	if err := w.Store.PutSubscription(ctx, sub); err != nil {
		return err
	}
	return w.request(ctx, sub, "unsubscribe")
}

// MaintainReport is what one maintenance pass did.
type MaintainReport struct {
	Renewed      int `json:"renewed"`
	Unsubscribed int `json:"unsubscribed"`
	Failed       int `json:"failed"`
	// Deferred counts subscriptions left due for the next run: the run's
	// time was nearly used.
	Deferred int `json:"deferred"`
}

// Hub calls (subscribe, renew, unsubscribe) run HubConcurrency at a time,
// and none starts when less than HubReserve is left before the run's
// deadline (its context's): a hub call may take the fetcher's FetchTimeout,
// and a run cut off by Lambda's timeout would record nothing. What is not
// started stays due for the next run.
const (
	HubConcurrency = 8
	HubReserve     = FetchTimeout + 5*time.Second
)

// hubTime reports whether a hub call may start: the run's context has no
// deadline, or more than HubReserve before it.
func hubTime(ctx context.Context) bool { return timeFor(ctx, HubReserve) }

// timeFor reports whether ctx is live with no deadline, or more than d
// before it: time for a call that may take d.
func timeFor(ctx context.Context, d time.Duration) bool {
	if ctx.Err() != nil {
		return false
	}
	deadline, ok := ctx.Deadline()
	return !ok || time.Until(deadline) > d
}

// MaxMaintain bounds the subscriptions one run looks at (soonest due first).
const MaxMaintain = 500

// Maintain looks at the subscriptions due (NextCheck passed; a Query of
// by-due, not a scan): it renews leases ending within RenewBefore, asks again
// for what a hub never verified after RetryAfter, unsubscribes those whose
// source is gone (deleting a source makes them due at once) and forgets
// unsubscriptions a hub never confirmed. One read (the source) and at most
// one hub request per subscription due, HubConcurrency at a time, none
// started when the run's deadline is near (hubTime): the rest stay due.
func (w *Subscriber) Maintain(ctx context.Context) (MaintainReport, error) {
	var r MaintainReport
	if w.APIURL == "" {
		return r, nil
	}
	now := w.now()
	subs, err := w.Store.DueSubscriptions(ctx, now, MaxMaintain)
	if err != nil {
		return r, fmt.Errorf("list due subscriptions: %w", err)
	}
	var (
		mu   sync.Mutex
		errs []error
	)
	parallel.Each(subs, HubConcurrency, func(_ int, sub article.Subscription) {
		if !hubTime(ctx) {
			mu.Lock()
			r.Deferred++
			mu.Unlock()
			return
		}
		var one MaintainReport
		err := w.maintainOne(ctx, sub, now, &one)
		mu.Lock()
		defer mu.Unlock()
		r.Renewed, r.Unsubscribed = r.Renewed+one.Renewed, r.Unsubscribed+one.Unsubscribed
		if err != nil {
			r.Failed++
			errs = append(errs, err)
		}
	})
	if len(errs) > 3 {
		errs = append(errs[:3], fmt.Errorf("and %d more", len(errs)-3))
	}
	return r, errors.Join(errs...)
}

func (w *Subscriber) maintainOne(ctx context.Context, sub article.Subscription, now time.Time, r *MaintainReport) error {
	if sub.State == article.SubUnsubscribing {
		return w.Store.DeleteSubscription(ctx, sub.ID) // the hub never confirmed: forget it
	}
	if _, err := w.Store.GetSource(ctx, sub.SourceID); errors.Is(err, article.ErrNotFound) {
		if err := w.unsubscribe(ctx, sub); err != nil {
			return err
		}
		r.Unsubscribed++
		return nil
	} else if err != nil {
		return err
	}
	// Renewal is a new subscribe request for the same callback and secret
	// (§5.1: "re-subscribe"); the lease moves when the hub verifies it. Until
	// then the subscription is looked at again every RetryAfter.
	if sub.State == article.SubDenied {
		sub.State = article.SubRequested
	}
	sub.RequestedAt, sub.NextCheck, sub.UpdatedAt = now, now.Add(RetryAfter), now
	if err := w.Store.PutSubscription(ctx, sub); err != nil {
		return err
	}
	if err := w.request(ctx, sub, "subscribe"); err != nil {
		return err
	}
	r.Renewed++
	return nil
}

// Verify answers the hub's verification of intent (§5.3) and its denial
// notice (§5.2): it returns the challenge to echo only for a subscription we
// asked for, with its topic and the mode we asked for; anything else is a
// not-found (the hub must not assume our consent). A verified subscribe
// records the lease; a denial only makes a live subscription due at once.
func (w *Subscriber) Verify(ctx context.Context, id string, q url.Values) (string, error) {
	sub, err := w.subscription(ctx, id)
	if err != nil {
		return "", err
	}
	mode, topic, challenge := q.Get("hub.mode"), q.Get("hub.topic"), q.Get("hub.challenge")
	if topic != sub.Topic {
		return "", kiosk.Errorf(kiosk.ENOTFOUND, "no such subscription")
	}
	now := w.now()
	switch mode {
	case "denied":
		// A denial carries no challenge and no signature (§5.2): anyone who
		// knows the callback and topic can send one, so it takes nothing
		// away. A live subscription stays live (pushes signed with its
		// secret are still accepted; the hub is the one to stop sending)
		// and is due at once: the next run asks the hub again, and a hub
		// that really refuses says so then. One pending or unsubscribing
		// keeps its own schedule (asked again within RetryAfter).
		if sub.State != article.SubActive {
			return "", nil
		}
		sub.NextCheck, sub.UpdatedAt = now, now
		return "", w.Store.PutSubscription(ctx, sub)
	case "subscribe", "unsubscribe":
	default:
		return "", kiosk.Errorf(kiosk.EINVALID, "hub.mode must be subscribe, unsubscribe or denied")
	}
	if challenge == "" || len(challenge) > 1024 {
		return "", kiosk.Errorf(kiosk.EINVALID, "hub.challenge is required (at most 1024 characters)")
	}
	if mode == "unsubscribe" {
		if sub.State != article.SubUnsubscribing {
			return "", kiosk.Errorf(kiosk.ENOTFOUND, "no such unsubscription")
		}
		return challenge, w.Store.DeleteSubscription(ctx, sub.ID)
	}
	if sub.State != article.SubRequested && sub.State != article.SubActive {
		return "", kiosk.Errorf(kiosk.ENOTFOUND, "no such subscription")
	}
	// Capped before it becomes a duration: seconds × 10⁹ overflows past
	// ~292 years, and a number beyond an int (ErrRange) is as long as any.
	lease, err := strconv.ParseInt(q.Get("hub.lease_seconds"), 10, 64)
	if errors.Is(err, strconv.ErrRange) && lease > 0 {
		lease, err = int64(MaxLease/time.Second), nil
	}
	if err != nil || lease <= 0 {
		return "", kiosk.Errorf(kiosk.EINVALID, "hub.lease_seconds must be a positive number of seconds")
	}
	if _, err := w.Store.GetSource(ctx, sub.SourceID); errors.Is(err, article.ErrNotFound) {
		return "", kiosk.Errorf(kiosk.ENOTFOUND, "no such subscription")
	} else if err != nil {
		return "", err
	}
	sub.State, sub.UpdatedAt = article.SubActive, now
	sub.LeaseUntil = now.Add(time.Duration(min(lease, int64(MaxLease/time.Second))) * time.Second)
	// Renewed RenewBefore ahead; a lease shorter than that, halfway.
	sub.NextCheck = sub.LeaseUntil.Add(-RenewBefore)
	if !sub.NextCheck.After(now) {
		sub.NextCheck = now.Add(sub.LeaseUntil.Sub(now) / 2)
	}
	if err := w.Store.PutSubscription(ctx, sub); err != nil {
		return "", err
	}
	return challenge, nil
}

func (w *Subscriber) subscription(ctx context.Context, id string) (article.Subscription, error) {
	if !subIDRe.MatchString(id) {
		return article.Subscription{}, kiosk.Errorf(kiosk.ENOTFOUND, "no such subscription")
	}
	sub, err := w.Store.GetSubscription(ctx, id)
	if errors.Is(err, article.ErrNotFound) {
		return sub, kiosk.Errorf(kiosk.ENOTFOUND, "no such subscription")
	}
	return sub, err
}

// PushReport is what one content distribution did.
type PushReport struct {
	New        int `json:"new"`
	Duplicates int `json:"duplicates"`
	BadItems   int `json:"bad_items"`
	// Ignored counts items beyond the document's newest feeddoc.MaxItems.
	Ignored   int `json:"ignored"`
	Announced int `json:"announced"`
	// Unproven is Report.Unproven for the push: new articles whose story was
	// decided against a capped read of a very frequent word's postings.
	Unproven int `json:"cluster_unproven,omitempty"`
}

// Receive takes a content distribution (§7–§8): only for a live
// subscription, only with a valid X-Hub-Signature (HMAC of the body with the
// subscription's secret: sha256, sha384 or sha512), and then through the same
// feed → article path as polling. Replays store nothing new (an article is
// stored once by its canonical URL). New articles are announced at once.
func (w *Subscriber) Receive(ctx context.Context, id, signature, contentType string, body []byte) (PushReport, error) {
	sub, err := w.subscription(ctx, id)
	if err != nil {
		return PushReport{}, err
	}
	now := w.now()
	if !sub.Live(now) {
		return PushReport{}, kiosk.Errorf(kiosk.ENOTFOUND, "no such subscription")
	}
	if err := checkSignature(sub.Secret, signature, body); err != nil {
		return PushReport{}, err
	}
	src, err := w.Store.GetSource(ctx, sub.SourceID)
	if errors.Is(err, article.ErrNotFound) {
		return PushReport{}, kiosk.Errorf(kiosk.ENOTFOUND, "no such subscription")
	} else if err != nil {
		return PushReport{}, err
	}
	fresh, r, err := w.Ingester.Push(ctx, src, contentType, body)
	if err != nil {
		return r, err
	}
	r.Announced = announce(ctx, w.Publisher, fresh)
	return r, nil
}

// checkSignature checks X-Hub-Signature: "method=hexdigest" (§8). sha1, which
// the Recommendation lists but does not make subscribers accept, is refused.
func checkSignature(secret, header string, body []byte) error {
	method, sig, ok := strings.Cut(strings.TrimSpace(header), "=")
	if !ok || header == "" {
		return kiosk.Errorf(kiosk.EFORBIDDEN, "X-Hub-Signature is required")
	}
	var h func() hash.Hash
	switch strings.ToLower(method) {
	case "sha256":
		h = sha256.New
	case "sha384":
		h = sha512.New384
	case "sha512":
		h = sha512.New
	default:
		return kiosk.Errorf(kiosk.EFORBIDDEN, "X-Hub-Signature must be sha256, sha384 or sha512")
	}
	got, err := hex.DecodeString(sig)
	mac := hmac.New(h, []byte(secret))
	mac.Write(body)
	if err != nil || !hmac.Equal(got, mac.Sum(nil)) {
		return kiosk.Errorf(kiosk.EFORBIDDEN, "X-Hub-Signature does not match")
	}
	return nil
}
