package runs

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/kiosk-news/kiosk/shared/platform/dynamotest"
)

func TestMain(m *testing.M) { os.Exit(dynamotest.Main(m)) }

func TestAnExpiredRunIsInvisibleAlthoughStillStored(t *testing.T) {
	ctx := context.Background()
	table := dynamotest.Table(t, Table)
	t0 := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	for i, at := range []time.Time{t0, t0.Add(10 * 24 * time.Hour)} {
		if err := Put(ctx, table, Run{Function: "rank-feeds", Trigger: "schedule", EventID: string(rune('a' + i)), Started: at, Status: "ok"}); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct {
		now  time.Time
		want int
	}{{t0.Add(Retention - time.Second), 2}, {t0.Add(Retention), 1}, {t0.Add(39 * 24 * time.Hour), 1}, {t0.Add(40 * 24 * time.Hour), 0}} {
		got, err := Recent(ctx, table, "rank-feeds", 5, c.now)
		if err != nil || len(got) != c.want {
			t.Errorf("Recent at %s = %d runs, %v; want %d (a run is kept %s)", c.now, len(got), err, c.want, Retention)
		}
	}
	if got, _ := Recent(ctx, table, "rank-feeds", 5, t0.Add(Retention)); len(got) == 1 && !got[0].Started.Equal(t0.Add(10*24*time.Hour)) {
		t.Errorf("the run left is %+v, want the newer one", got[0])
	}
}

func TestRunsStartedWithinOneSecondListNewestFirst(t *testing.T) {
	ctx := context.Background()
	table := dynamotest.Table(t, Table)
	t0 := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC) // "12:00:00Z" in RFC 3339 trimmed, after "12:00:00.5Z"
	starts := []time.Time{t0, t0.Add(250 * time.Millisecond), t0.Add(500 * time.Millisecond), t0.Add(time.Second)}
	for i, at := range starts {
		if err := Put(ctx, table, Run{Function: "rank-feeds", Trigger: "manual", EventID: string(rune('a' + i)), Started: at, Status: "ok"}); err != nil {
			t.Fatal(err)
		}
	}
	got, err := Recent(ctx, table, "rank-feeds", len(starts), t0)
	if err != nil || len(got) != len(starts) {
		t.Fatalf("Recent = %d runs, %v; want %d", len(got), err, len(starts))
	}
	for i, r := range got {
		if want := starts[len(starts)-1-i]; !r.Started.Equal(want) {
			t.Errorf("run %d started %s, want %s (newest first)", i, r.Started.Format(time.RFC3339Nano), want.Format(time.RFC3339Nano))
		}
	}
}
