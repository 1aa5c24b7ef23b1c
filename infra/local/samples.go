package local

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"text/template"
	"time"

	"github.com/kiosk-news/kiosk/shared/article/samplefeeds"
)

// seedSamples registers the sample sources through the admin API, as an
// operator would, when there are none yet; then it runs the ingestion batch
// once in the background, whatever KIOSK_SCHEDULES says.
func (c *Cloud) seedSamples(ctx context.Context) error {
	sources, err := samplefeeds.Sources()
	if err != nil {
		return err
	}
	admin := func(method, p string, body any) (*http.Response, error) {
		var rd io.Reader
		if body != nil {
			b, _ := json.Marshal(body)
			rd = bytes.NewReader(b)
		}
		req, err := http.NewRequestWithContext(ctx, method, c.APIURL+p, rd)
		if err != nil {
			return nil, err
		}
		req.Header.Set("Authorization", "Bearer "+c.cfg.AdminToken)
		req.Header.Set("Content-Type", "application/json")
		return http.DefaultClient.Do(req)
	}
	resp, err := admin("GET", "/admin/api/sources", nil)
	if err != nil {
		return fmt.Errorf("list sources: %w", err)
	}
	var existing struct {
		Items []json.RawMessage `json:"items"`
	}
	err = json.NewDecoder(resp.Body).Decode(&existing)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK {
		return fmt.Errorf("list sources: status %d: %v", resp.StatusCode, err)
	}
	if len(existing.Items) == 0 {
		for _, s := range sources {
			resp, err := admin("POST", "/admin/api/sources", map[string]any{
				"id": s.ID, "name": s.Name, "category": s.Category, "weight": s.Weight,
				"url": c.APIURL + "/_local/samples/" + s.File,
			})
			if err != nil {
				return fmt.Errorf("register sample source %s: %w", s.ID, err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusCreated {
				return fmt.Errorf("register sample source %s: status %d", s.ID, resp.StatusCode)
			}
		}
		c.logs.console("registered %d sample sources", len(sources))
	}
	c.bus.Deliver("ingest-feeds", "startup", ScheduledEvent("ingest-feeds", 0, c.Now()), Trace{Root: NewTraceRoot()})
	return nil
}

// SampleAnnounceDelay is the announcer's lag (article.AnnounceLag; a test
// keeps them in step) plus 2 s.
const SampleAnnounceDelay = 32 * time.Second

// announceSamples runs the announcer once the sample news stored at start is
// past its lag, so the feeds rank it within the first minute instead of at the
// announcer's second scheduled run (its schedule goes on as declared).
func (c *Cloud) announceSamples(ctx context.Context) {
	select {
	case <-ctx.Done():
	case <-time.After(SampleAnnounceDelay):
		c.bus.deliverInBackground("announce-articles", "startup", ScheduledEvent("announce-articles", 0, c.Now()), Trace{Root: NewTraceRoot()})
	}
}

// generatedFeed serves GET /_local/feeds/{name}?items=N: an RSS feed of N
// (1-200, default 20) distinct stories, the same for a name and count, for
// load tests that need a source nobody else ingests. Each story was
// published i minutes before the hour began.
func generatedFeed(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	n := 20
	if v := r.URL.Query().Get("items"); v != "" {
		if _, err := fmt.Sscanf(v, "%d", &n); err != nil || n < 1 || n > 200 {
			http.Error(w, "items must be 1-200", http.StatusBadRequest)
			return
		}
	}
	words := []string{"harbour", "council", "festival", "orchard", "bridge", "library", "vineyard", "glacier", "market",
		"stadium", "observatory", "railway", "museum", "forest", "canal", "theatre"}
	hour := time.Now().UTC().Truncate(time.Hour)
	var b bytes.Buffer
	fmt.Fprintf(&b, `<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Generated %s</title><link>https://load.example/%s/</link><description>generated</description>`, template.HTMLEscapeString(name), template.HTMLEscapeString(name))
	for i := range n {
		sum := sha256.Sum256(fmt.Appendf(nil, "%s/%d", name, i))
		title := fmt.Sprintf("%s %s %s reopens after %d years", words[sum[0]%16], words[sum[1]%16], words[sum[2]%16], 2+int(sum[3])%90)
		fmt.Fprintf(&b, `<item><title>%s (%s)</title><link>https://load.example/%s/%d</link><description>Story %d of %s.</description><pubDate>%s</pubDate></item>`,
			title, hex.EncodeToString(sum[:3]), template.HTMLEscapeString(name), i, i, template.HTMLEscapeString(name), hour.Add(-time.Duration(i)*time.Minute).Format(time.RFC1123Z))
	}
	b.WriteString(`</channel></rss>`)
	w.Header().Set("Content-Type", "application/rss+xml")
	_, _ = w.Write(b.Bytes())
}
