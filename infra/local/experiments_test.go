package local_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/kiosk-news/kiosk/shared/platform/experiment"
)

// The declared feed-freshness experiment, end to end: installs are split by
// the hash of their id, their events are tagged with their variant when
// accepted, the KPI batch counts each variant, and the admin API and the
// console report it with intervals and the split check; each variant's
// reader is served a personal feed.
func TestAnExperimentRunsEndToEnd(t *testing.T) {
	e, ok := experiment.Find("feed-freshness")
	if !ok || !e.Active(time.Now()) {
		t.Skip("feed-freshness is not running today")
	}
	// An article id outside the catalogue: its events count (in the unknown
	// bucket, and in their variants) but move no feed another test reads.
	sport := fmt.Sprintf("%032x", time.Now().UnixNano())
	// An hour no other test sends events for (the hostile clients' random
	// ids use strangeHour, 5 h), so its variant rows and unknown bucket are ours.
	hour := time.Now().UTC().Add(-(strangeHour + 4*time.Hour)).Truncate(time.Hour)
	at := hour.Add(17 * time.Minute).Format(time.RFC3339)
	want := map[string]int{}
	readers := map[string]registration{}
	for i := range 12 {
		r := register(t)
		v := e.Assign(r.UserID).Name
		want[v]++
		readers[v] = r
		batch := []map[string]any{
			{"id": fmt.Sprintf("ab-imp-%04d", i), "type": "impression", "article_id": sport, "at": at},
			{"id": fmt.Sprintf("ab-clk-%04d", i), "type": "click", "article_id": sport, "at": at}}
		if status, out := postEvents(t, r.Token, batch); status != 202 {
			t.Fatalf("events: %d %v", status, out)
		}
	}
	from := hour.Format(time.RFC3339)
	var rows []struct {
		Key          string `json:"key"`
		Users        int    `json:"users"`
		ViewerClicks int    `json:"viewer_clicks"`
	}
	eventuallyLong(t, "the variants' numbers of the hour", 90*time.Second, func() { runKPI(t, "") }, func() bool {
		status, body := admin(t, "GET", "/admin/api/kpi?granularity=hour&by=variant&from="+from+"&to="+from, cloud.AdminToken(), "", "")
		var out struct {
			Rows *[]struct {
				Key          string `json:"key"`
				Users        int    `json:"users"`
				ViewerClicks int    `json:"viewer_clicks"`
			} `json:"rows"`
		}
		if status != 200 || json.Unmarshal(body, &out) != nil || out.Rows == nil {
			t.Fatalf("kpi by variant: %d %s", status, body)
		}
		rows = rows[:0]
		total := 0
		for _, r := range *out.Rows {
			rows = append(rows, r)
			total += r.Users
		}
		return total == 12
	})
	for _, r := range rows {
		_, v, _ := experiment.Split(r.Key)
		if r.Users != want[v] || r.ViewerClicks != want[v] {
			t.Errorf("%s: %d users, %d clicking viewers; the hash assigned %d", r.Key, r.Users, r.ViewerClicks, want[v])
		}
	}
	day := hour.Format(time.DateOnly)
	status, body := admin(t, "GET", "/admin/api/experiments?from="+day+"&to="+day, cloud.AdminToken(), "", "")
	var rep struct {
		Experiments []struct {
			Name     string `json:"name"`
			Variants []struct {
				Name      string `json:"name"`
				UserDays  int    `json:"user_days"`
				ReaderCTR struct {
					Value, Low, High float64
				} `json:"reader_ctr"`
			} `json:"variants"`
			SRM *struct {
				P float64 `json:"p"`
			} `json:"srm"`
		} `json:"experiments"`
	}
	if status != 200 || json.Unmarshal(body, &rep) != nil || len(rep.Experiments) == 0 || rep.Experiments[0].SRM == nil {
		t.Fatalf("experiments: %d %s", status, body)
	}
	for _, v := range rep.Experiments[0].Variants {
		if v.UserDays < want[v.Name] || v.ReaderCTR.Low > v.ReaderCTR.Value || v.ReaderCTR.High < v.ReaderCTR.Value {
			t.Errorf("%s: %+v, want at least our %d readers and an interval around the value", v.Name, v, want[v.Name])
		}
	}
	if status, body := admin(t, "GET", "/admin/api/experiments?from=yesterday", cloud.AdminToken(), "", ""); status != 400 ||
		!strings.Contains(string(body), "invalid_argument") {
		t.Errorf("a bad day: %d %s", status, body)
	}
	if status, _ := admin(t, "GET", "/admin/api/experiments", "", "", ""); status != 401 {
		t.Errorf("without the admin token: %d", status)
	}
	// Each variant's reader gets a personal feed from their variant's ranking.
	rankedFeed(t, "sports", 3)
	for v, r := range readers {
		if status, body := admin(t, "PUT", "/v1/users/me/interests", r.Token, "application/json", `{"categories":["sports"]}`); status != 200 {
			t.Fatalf("interests: %d %s", status, body)
		}
		eventually(t, "a personal feed for a "+v+" reader", func() bool {
			return len(readFeed(t, "/v1/feed/me?limit=5", r.Token).Items) > 0
		})
	}
	op, _ := joinAs(t, "operator")
	status, _, page := consoleGet(t, op, "/admin/experiments?from="+day+"&to="+day)
	if status != 200 || !strings.Contains(page, "feed-freshness") || !strings.Contains(page, "Reader CTR") ||
		!strings.Contains(page, "Split check") && !strings.Contains(page, "Sample ratio mismatch") {
		t.Errorf("the console's experiments page: %d %s", status, page)
	}
}
