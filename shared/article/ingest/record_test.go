package ingest

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/kiosk-news/kiosk/shared/article"
)

// An operator who asks for a refetch, or re-points the source, while a run
// fetches it: the run's record once put the backoff back over the refetch
// (the source then waited it out) and the old URL's validators on the new
// URL. The run leaves such a source as the operator left it.
func TestAnOperatorsChangeDuringTheFetchOutlivesTheRun(t *testing.T) {
	for _, c := range []struct {
		name   string
		change func(s article.Store) error
		check  func(src article.Source) bool
	}{
		{"a refetch", func(s article.Store) error {
			_, err := s.MakeSourceDue(context.Background(), "wire")
			return err
		}, func(src article.Source) bool { return src.NextFetchAt.IsZero() && src.ConsecutiveFailures == 1 }},
		{"a new URL", func(s article.Store) error {
			src, _ := s.GetSource(context.Background(), "wire")
			src.URL = "https://moved.example/feed"
			_, err := s.UpdateSource(context.Background(), src)
			return err
		}, func(src article.Source) bool {
			return src.URL == "https://moved.example/feed" && src.NextFetchAt.IsZero() && src.ConsecutiveFailures == 0 && src.ETag == ""
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := article.NewMemoryStore()
			now := t0
			var during func()
			in := feedSetup(t, s, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				if during != nil {
					during()
				}
				w.Header().Set("ETag", `"v1"`)
				http.Error(w, "down", http.StatusServiceUnavailable)
			}), &now)
			if _, err := in.Run(context.Background()); err != nil { // charged: 1 failure, 15 min
				t.Fatal(err)
			}
			now = now.Add(20 * time.Minute) // due again
			during = func() {
				if err := c.change(s); err != nil {
					t.Error(err)
				}
			}
			if r, err := in.Run(context.Background()); err != nil || r.Superseded != 1 {
				t.Fatalf("run %+v, %v; want the fetch counted as superseded and no error", r, err)
			}
			if src, _ := s.GetSource(context.Background(), "wire"); !c.check(src) {
				t.Errorf("after %s during the fetch: %+v", c.name, src)
			}
		})
	}
}
