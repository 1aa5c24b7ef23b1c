package feed

import (
	"regexp"
	"time"
)

// Notification is one in-app inbox entry: a story trending in a category the
// user is interested in, by the version that trended. A user gets one entry
// per story, whichever of its versions trends and whenever.
type Notification struct {
	ID        string    `json:"id"` // <hour the story first trended>-<story id>
	ArticleID string    `json:"article_id"`
	Story     string    `json:"story"`
	Title     string    `json:"title"`
	URL       string    `json:"url"`
	Category  string    `json:"category"`
	Reason    string    `json:"reason"`
	CreatedAt time.Time `json:"created_at"`
	Read      bool      `json:"read"`
}

// NotificationPage is one page of a user's inbox, newest first.
type NotificationPage struct {
	Items      []Notification `json:"items"`
	NextCursor string         `json:"next_cursor,omitempty"`
}

// Inbox limits.
const (
	FanoutChunk         = 100 // users per fan-out invocation
	MaxNotificationPage = 50
	MaxMarkRead         = 100
	// MaxInbox is how many of a user's newest entries the inbox lists;
	// older ones are not listed and expire after InboxRetention. Each entry
	// is its own small item, so no item grows however many articles trend.
	MaxInbox       = 200
	InboxRetention = 30 * 24 * time.Hour
)

var notificationIDRe = regexp.MustCompile(`^\d{10}-[0-9a-f]{32}$`)

// NotificationID names a user's entry for a story that first trended in an
// hour.
func NotificationID(hour, story string) string { return hour + "-" + story }

// Trend is one step of a trending article's inbox fan-out: the users
// interested in its category after After ("": from the first).
type Trend struct {
	ArticleID string
	Hour      string // YYYYMMDDHH
	After     string
}

// inboxList names a user's inbox, the list its cursors belong to.
func inboxList(userID string) string { return "inbox|" + userID }

// inboxPosition is an inbox cursor: the last entry listed and how many
// were listed up to it (the inbox lists MaxInbox at most).
type inboxPosition struct {
	After  string `json:"a"`
	Listed int    `json:"n,omitempty"`
}
