package feed

import (
	"context"
	"errors"
	"regexp"
	"slices"
	"sync"
	"time"

	"github.com/guregu/dynamo/v2"

	"github.com/kiosk-news/kiosk/shared/kiosk"
	"github.com/kiosk-news/kiosk/shared/platform/parallel"
)

// Notification is one in-app inbox entry: an article trending in a category
// the user is interested in.
type Notification struct {
	ID        string    `json:"id"` // <hour>-<article id>
	ArticleID string    `json:"article_id"`
	Title     string    `json:"title"`
	URL       string    `json:"url"`
	Category  string    `json:"category"`
	Reason    string    `json:"reason"`
	CreatedAt time.Time `json:"created_at"`
	Read      bool      `json:"read"`
}

// Inbox limits.
const (
	FanoutChunk         = 100 // users per fan-out invocation
	MaxNotificationPage = 50
	MaxMarkRead         = 100
	// MaxInbox is how many of a user's newest entries the inbox lists;
	// older ones are not listed and expire after 30 days. Each entry is its
	// own small item, so no item grows however many articles trend.
	MaxInbox = 200
)

var notificationIDRe = regexp.MustCompile(`^\d{10}-[0-9a-f]{32}$`)

// NotificationID names a user's entry for an article trending in an hour.
func NotificationID(hour, articleID string) string { return hour + "-" + articleID }

type inboxItem struct {
	PK        string    `dynamo:"pk,hash"`
	SK        string    `dynamo:"sk,range"`
	ArticleID string    `dynamo:"article_id"`
	Title     string    `dynamo:"title"`
	URL       string    `dynamo:"url"`
	Category  string    `dynamo:"category"`
	CreatedAt time.Time `dynamo:"created_at"`
	Read      bool      `dynamo:"read,omitempty"`
	ExpiresAt int64     `dynamo:"expires_at"`
}

func (it inboxItem) notification() Notification {
	return Notification{ID: it.SK, ArticleID: it.ArticleID, Title: it.Title, URL: it.URL, Category: it.Category,
		Reason: ReasonTrending + " in " + it.Category, CreatedAt: it.CreatedAt, Read: it.Read}
}

// Fanout writes the inbox entry of an article trending in hour to each of
// the next FanoutChunk users indexed under its category after `after` who are
// still interested (a stale index entry is dropped). Each entry is written
// once (a conditional put), so a repeated chunk changes nothing. It returns
// the last user of the chunk when more may follow, and how many were written.
func (s *DynamoStore) Fanout(ctx context.Context, a Article, hour, after string, now time.Time) (string, int, error) {
	users, next, err := s.Interested(ctx, a.Category, after, FanoutChunk)
	if err != nil || len(users) == 0 {
		return "", 0, err
	}
	profiles, err := s.Profiles(ctx, users, now)
	if err != nil {
		return "", 0, err
	}
	var (
		mu      sync.Mutex
		written int
		errs    []error
	)
	parallel.Each(users, 8, func(_ int, u string) {
		var err error
		wrote := false
		if p, ok := profiles[u]; !ok || !slices.Contains(p.InterestCategories(), a.Category) {
			err = s.Forget(ctx, a.Category, u)
		} else {
			it := inboxItem{PK: "nb#" + u, SK: NotificationID(hour, a.ID), ArticleID: a.ID, Title: a.Title, URL: a.URL,
				Category: a.Category, CreatedAt: now.UTC(), ExpiresAt: now.Add(inboxDays * 24 * time.Hour).Unix()}
			err = s.table.Put(it).If("attribute_not_exists('pk')").Run(ctx)
			wrote = err == nil
			if dynamo.IsCondCheckFailed(err) {
				err = nil
			}
		}
		mu.Lock()
		defer mu.Unlock()
		if wrote {
			written++
		}
		if err != nil {
			errs = append(errs, err)
		}
	})
	return next, written, errors.Join(errs...)
}

// NotificationPage is one page of a user's inbox, newest first.
type NotificationPage struct {
	Items      []Notification `json:"items"`
	NextCursor string         `json:"next_cursor,omitempty"`
}

// Notifications lists a user's newest MaxInbox entries, newest first; the
// cursor is the last entry's id and how many were listed before it (expired
// entries are skipped: TTL deletes late).
func (s *DynamoStore) Notifications(ctx context.Context, userID string, limit int, cursor string, now time.Time) (NotificationPage, error) {
	type position struct {
		After  string `json:"a"`
		Listed int    `json:"n,omitempty"`
	}
	var c position
	q := s.table.Get("pk", "nb#"+userID)
	if cursor != "" {
		if err := decode(cursor, &c); err != nil || !notificationIDRe.MatchString(c.After) || c.Listed < 0 || c.Listed > MaxInbox {
			return NotificationPage{}, badCursor
		}
		q = q.Range("sk", dynamo.Less, c.After)
	}
	p := NotificationPage{Items: []Notification{}}
	limit = min(limit, MaxInbox-c.Listed)
	if limit <= 0 {
		return p, nil
	}
	var items []inboxItem
	if err := q.Order(dynamo.Descending).Limit(limit+1).All(ctx, &items); err != nil {
		return NotificationPage{}, err
	}
	for i, it := range items {
		if i == limit {
			if c.Listed+limit < MaxInbox {
				p.NextCursor = encode(position{After: items[limit-1].SK, Listed: c.Listed + limit})
			}
			break
		}
		if it.ExpiresAt > now.Unix() {
			p.Items = append(p.Items, it.notification())
		}
	}
	return p, nil
}

// MarkRead marks a user's entries read; ids that are not in the inbox are
// ignored. It returns how many it marked.
func (s *DynamoStore) MarkRead(ctx context.Context, userID string, ids []string) (int, error) {
	if len(ids) == 0 || len(ids) > MaxMarkRead {
		return 0, kiosk.Errorf(kiosk.EINVALID, "ids must list 1 to %d notification ids", MaxMarkRead)
	}
	for _, id := range ids {
		if !notificationIDRe.MatchString(id) {
			return 0, kiosk.Errorf(kiosk.EINVALID, "%q is not a notification id", kiosk.Truncate(id, 60))
		}
	}
	n := 0
	for _, id := range slices.Compact(slices.Sorted(slices.Values(ids))) {
		err := s.table.Update("pk", "nb#"+userID).Range("sk", id).Set("read", true).If("attribute_exists('pk')").Run(ctx)
		if dynamo.IsCondCheckFailed(err) {
			continue
		}
		if err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}
