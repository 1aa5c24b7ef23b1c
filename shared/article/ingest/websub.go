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
	"log/slog"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/kiosk-news/kiosk/shared/article"
	"github.com/kiosk-news/kiosk/shared/kiosk"
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
		State: article.SubRequested, RequestedAt: now, UpdatedAt: now}
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
	sub.State, sub.RequestedAt, sub.UpdatedAt = article.SubUnsubscribing, w.now(), w.now()
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
}

// Maintain renews leases ending within RenewBefore, asks again for what a
// hub never verified after RetryAfter, unsubscribes subscriptions whose
// source is gone and forgets unsubscriptions a hub never confirmed. One read
// per subscription (its source); one hub request per subscription acted on.
func (w *Subscriber) Maintain(ctx context.Context, subs []article.Subscription) (MaintainReport, error) {
	var r MaintainReport
	if w.APIURL == "" {
		return r, nil
	}
	now := w.now()
	var errs []error
	for _, sub := range subs {
		stale := now.Sub(sub.RequestedAt) >= RetryAfter
		var err error
		switch sub.State {
		case article.SubUnsubscribing:
			if stale {
				err = w.Store.DeleteSubscription(ctx, sub.ID)
			}
		case article.SubActive, article.SubRequested, article.SubDenied:
			if _, gerr := w.Store.GetSource(ctx, sub.SourceID); errors.Is(gerr, article.ErrNotFound) {
				if err = w.unsubscribe(ctx, sub); err == nil {
					r.Unsubscribed++
				}
				break
			} else if gerr != nil {
				err = gerr
				break
			}
			due := (sub.State == article.SubActive && sub.LeaseUntil.Sub(now) < RenewBefore) ||
				(sub.State == article.SubRequested && stale) || (sub.State == article.SubDenied && now.Sub(sub.UpdatedAt) >= RenewBefore)
			if !due || (sub.State == article.SubActive && !stale) {
				break
			}
			// Renewal is a new subscribe request for the same callback and
			// secret (§5.1: "re-subscribe"); the lease moves when the hub
			// verifies it.
			if sub.State == article.SubDenied {
				sub.State = article.SubRequested
			}
			sub.RequestedAt, sub.UpdatedAt = now, now
			if err = w.Store.PutSubscription(ctx, sub); err == nil {
				if err = w.request(ctx, sub, "subscribe"); err == nil {
					r.Renewed++
				}
			}
		}
		if err != nil {
			r.Failed++
			errs = append(errs, err)
		}
	}
	if len(errs) > 3 {
		errs = append(errs[:3], fmt.Errorf("and %d more", len(errs)-3))
	}
	return r, errors.Join(errs...)
}

// Verify answers the hub's verification of intent (§5.3) and its denial
// notice (§5.2): it returns the challenge to echo only for a subscription we
// asked for, with its topic and the mode we asked for; anything else is a
// not-found (the hub must not assume our consent). A verified subscribe
// records the lease.
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
		sub.State, sub.UpdatedAt = article.SubDenied, now
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
	lease, err := strconv.Atoi(q.Get("hub.lease_seconds"))
	if err != nil || lease <= 0 {
		return "", kiosk.Errorf(kiosk.EINVALID, "hub.lease_seconds must be a positive number of seconds")
	}
	if _, err := w.Store.GetSource(ctx, sub.SourceID); errors.Is(err, article.ErrNotFound) {
		return "", kiosk.Errorf(kiosk.ENOTFOUND, "no such subscription")
	} else if err != nil {
		return "", err
	}
	sub.State, sub.UpdatedAt = article.SubActive, now
	sub.LeaseUntil = now.Add(min(time.Duration(lease)*time.Second, MaxLease))
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
	Announced  int `json:"announced"`
}

// Receive takes a content distribution (§7–§8): only for a live
// subscription, only with a valid X-Hub-Signature (HMAC of the body with the
// subscription's secret: sha256, sha384 or sha512), and then through the same
// feed → article path as polling. Replays store nothing new (an article is
// stored once by its canonical URL). New articles are announced at once.
func (w *Subscriber) Receive(ctx context.Context, id, signature string, body []byte) (PushReport, error) {
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
	fresh, r, err := w.Ingester.Push(ctx, src, body)
	if err != nil {
		return r, err
	}
	if len(fresh) > 0 && w.Publisher != nil {
		evs := make([]article.Event, len(fresh))
		for i, a := range fresh {
			evs[i] = article.PublishedEvent(a)
		}
		if err := w.Publisher.Publish(ctx, evs...); err != nil {
			// Stored: the Announcer relays it within its lag.
			slog.WarnContext(ctx, "websub: announce at once failed; the relay will", "articles", len(fresh), "error", err.Error())
		} else {
			r.Announced = len(fresh)
		}
	}
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
