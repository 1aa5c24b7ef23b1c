package feed

import (
	"regexp"
	"sort"
	"time"
)

// Notification is one in-app inbox entry: a story trending in a category the
// user is interested in, by the version that trended. A user gets one entry
// per story, whichever of its versions trends and whenever.
//
// The inbox is computed on read (Service.Inbox): a trending story is
// recorded once, under its category, and a user's page is the recorded
// stories of the categories the user is interested in at read time, with the
// user's own read marks, so a trend costs the same whether ten or ten million
// readers follow its category.
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
	// Hidden: an editor hid the version that trended (MergeInbox drops it).
	Hidden bool `json:"-"`
	// ModeratedAt is the time of the moderation the entry follows (zero: none
	// yet): a moderation applies to it only when later (ModerateTrending).
	ModeratedAt time.Time `json:"-"`
}

// NotificationPage is one page of a user's inbox, newest first.
type NotificationPage struct {
	Items      []Notification `json:"items"`
	NextCursor string         `json:"next_cursor,omitempty"`
}

// Inbox limits.
const (
	MaxNotificationPage = 50
	MaxMarkRead         = 100
	// MaxInbox is how many of a user's newest entries the inbox lists;
	// older ones are not listed and expire after InboxRetention. Each
	// trending story and each read mark is its own small item, so no item
	// grows however many articles trend or a user marks.
	MaxInbox       = 200
	InboxRetention = 30 * 24 * time.Hour
	// TrendingRefresh is how long an instance serves inbox pages from its
	// copy of the trending list before reading it again: a trending story
	// reaches every interested reader's inbox within it.
	TrendingRefresh = 10 * time.Second
)

var notificationIDRe = regexp.MustCompile(`^\d{10}-[0-9a-f]{32}$`)

// NotificationID names a user's entry for a story that first trended in an
// hour.
func NotificationID(hour, story string) string { return hour + "-" + story }

// Trend is a trending article to record for the inboxes.
type Trend struct {
	ArticleID string
	Hour      string // YYYYMMDDHH
}

// InboxState is what a user's inbox partition holds: the copy of the user's
// interests (Interested false when the user has none stored there), the
// ids the user marked read, and entries written for the user alone before
// the inbox was computed on read (they expire with InboxRetention).
type InboxState struct {
	Profile    Profile
	Interested bool
	Read       map[string]bool
	Entries    []Notification
}

// inboxSince is the lowest id an alive entry or read mark can have: an entry
// is named by the hour its story first trended, which may be up to
// InboxRetention before the entry was recorded, and lives InboxRetention.
func inboxSince(now time.Time) string {
	return now.Add(-2 * InboxRetention).Format("2006010215")
}

// MergeInbox is a user's inbox, newest first (by CreatedAt, when the entry
// was recorded for its category; the id breaks ties): the trending entries of
// the categories the user is interested in and the entries written for the
// user alone, one per story (a story trending in two versions or categories,
// or two stories an editor merged, is one entry: the one the user already
// had, else the first recorded), read when the user marked any of the story's
// entries. A hidden entry is not listed: its story's next entry, if any, is.
func MergeInbox(st InboxState, trending []Notification, categories []string) []Notification {
	interested := map[string]bool{}
	for _, c := range categories {
		interested[c] = true
	}
	type group struct {
		keep  Notification
		kept  bool // keep is set
		shown bool // keep is an entry written for the user alone
		read  bool
	}
	byStory := map[string]*group{}
	add := func(n Notification, shown bool) {
		g := byStory[n.Story]
		if g == nil {
			g = &group{}
			byStory[n.Story] = g
		}
		g.read = g.read || n.Read || st.Read[n.ID]
		switch {
		case n.Hidden || g.shown:
		case shown, !g.kept, n.CreatedAt.Before(g.keep.CreatedAt),
			n.CreatedAt.Equal(g.keep.CreatedAt) && n.ID < g.keep.ID:
			g.keep, g.kept, g.shown = n, true, shown
		}
	}
	for _, n := range trending {
		if interested[n.Category] {
			add(n, false)
		}
	}
	for _, n := range st.Entries { // what the user was already shown stays
		add(n, true)
	}
	out := make([]Notification, 0, len(byStory))
	for _, g := range byStory {
		if g.kept {
			g.keep.Read = g.read
			out = append(out, g.keep)
		}
	}
	sort.Slice(out, func(i, j int) bool { return newer(out[i], out[j]) })
	return out
}

// newer orders the inbox: newest CreatedAt first, then the greater id.
func newer(a, b Notification) bool {
	if !a.CreatedAt.Equal(b.CreatedAt) {
		return a.CreatedAt.After(b.CreatedAt)
	}
	return a.ID > b.ID
}

// inboxList names a user's inbox, the list its cursors belong to.
func inboxList(userID string) string { return "inbox|" + userID }

// inboxPosition is an inbox cursor: the last entry listed, by its
// CreatedAt in Unix nanoseconds and its id (the inbox's order). It holds no
// count: a page is cut from the newest MaxInbox entries, so no cursor reaches
// past them. A cursor of before this order ({"a","n"}) is refused
// (page.ErrCursor: the app starts again from the first page).
type inboxPosition struct {
	At    int64  `json:"t"`
	After string `json:"a"`
}
