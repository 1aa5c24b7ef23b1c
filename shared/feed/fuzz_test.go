package feed

import (
	"context"
	"testing"
	"time"

	"github.com/kiosk-news/kiosk/shared/platform/page"
)

// FuzzCursors feeds the public, personal and inbox cursor decoders
// anything: they must refuse or return positions inside a run's bounds,
// never panic, a personal cursor's chunk references stay within the ranked
// list, and an inbox page stays within its bounds.
func FuzzCursors(f *testing.F) {
	inbox := &Service{Store: NewMemoryStore(), Now: func() time.Time { return now }}
	p := PublicPage(Chunks(Top, RunID(now), now, rankedList(120, "tech"))[0], 0, 20)
	f.Add(p.NextCursor)
	f.Add("")
	f.Add("eyJyIjoiMjAyNjExMjVUMTIwMDAwLjAwMDAwMCIsIm8iOjV9") // the format before page cursors
	f.Add(page.Cursor(publicList(Top), position{Run: RunID(now), Offset: 5}))
	f.Add(page.Cursor(personalList("u1"), PersonalCursor{"tech": {Run: RunID(now), Offset: 49}, Top: {Run: RunID(now), Offset: MaxRanked}}))
	f.Add(page.Cursor(inboxList("u1"), inboxPosition{At: now.UnixNano(), After: NotificationID("2026112512", id(1))}))
	f.Fuzz(func(t *testing.T, cursor string) {
		if p, err := inbox.Inbox(context.Background(), "u1", "", cursor); err == nil && len(p.Items) > MaxNotificationPage {
			t.Fatalf("accepted %q → %d entries", cursor, len(p.Items))
		}
		if run, off, err := PublicCursor(Top, cursor); err == nil && cursor != "" {
			if !runRe.MatchString(run) || off < 1 || off > MaxRanked {
				t.Fatalf("accepted %q → run %q offset %d", cursor, run, off)
			}
			_ = PublicPage(Chunk{Category: Top, Run: run, Index: ChunkIndex(off), Total: off + 1}, off, 20)
		}
		cur, err := DecodePersonal("u1", cursor)
		if err != nil {
			return
		}
		streams := Profile{UserID: "u1", Interests: []string{"tech", "sports"}}.Streams()
		for _, ref := range cur.Refs(streams) {
			if ref.Index < 0 || ref.Index > MaxRanked/ChunkSize {
				t.Fatalf("accepted %q → chunk %d", cursor, ref.Index)
			}
		}
		_ = Personal(Profile{UserID: "u1"}, streams, cur, map[string]Chunk{}, 10)
	})
}
