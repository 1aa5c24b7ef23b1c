package feed

import (
	"testing"

	"github.com/kiosk-news/kiosk/shared/platform/page"
)

// FuzzCursors feeds the public and personal cursor decoders anything: they
// must refuse or return positions inside a run's bounds, never panic, and a
// personal cursor's chunk references stay within the ranked list.
func FuzzCursors(f *testing.F) {
	p := PublicPage(Chunks(Top, RunID(now), now, rankedList(120, "tech"))[0], 0, 20)
	f.Add(p.NextCursor)
	f.Add("")
	f.Add("eyJyIjoiMjAyNjExMjVUMTIwMDAwLjAwMDAwMCIsIm8iOjV9") // the format before page cursors
	f.Add(page.Cursor(publicList(Top), position{Run: RunID(now), Offset: 5}))
	f.Add(page.Cursor(personalList("u1"), PersonalCursor{"tech": {Run: RunID(now), Offset: 49}, Top: {Run: RunID(now), Offset: MaxRanked}}))
	f.Fuzz(func(t *testing.T, cursor string) {
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
