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
