package local

import (
	"bytes"
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"text/template"
	"time"
)

//go:embed samples
var sampleFiles embed.FS

// SampleSource is one entry of samples/sources.json: a sample feed.
type SampleSource struct {
	ID       string  `json:"id"`
	Name     string  `json:"name"`
	Category string  `json:"category"`
	Weight   float64 `json:"weight"`
	File     string  `json:"file"`
}

// sampleFeeds renders the sample feeds once, with dates relative to start, so a
// fresh `make dev` shows fresh news; each answers 304 to its own ETag.
type sampleFeeds struct {
	body map[string][]byte
	etag map[string]string
}

func newSampleFeeds(start time.Time) (*sampleFeeds, error) {
	funcs := template.FuncMap{
		"rfc822":  func(ago string) (string, error) { t, err := before(start, ago); return t.Format(time.RFC1123Z), err },
		"rfc3339": func(ago string) (string, error) { t, err := before(start, ago); return t.Format(time.RFC3339), err },
	}
	s := &sampleFeeds{body: map[string][]byte{}, etag: map[string]string{}}
	entries, err := fs.ReadDir(sampleFiles, "samples")
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		raw, err := sampleFiles.ReadFile("samples/" + e.Name())
		if err != nil {
			return nil, err
		}
		t, err := template.New(e.Name()).Funcs(funcs).Parse(string(raw))
		if err != nil {
			return nil, fmt.Errorf("sample %s: %w", e.Name(), err)
		}
		var b bytes.Buffer
		if err := t.Execute(&b, nil); err != nil {
			return nil, fmt.Errorf("sample %s: %w", e.Name(), err)
		}
		sum := sha256.Sum256(b.Bytes())
		s.body[e.Name()], s.etag[e.Name()] = b.Bytes(), `"`+hex.EncodeToString(sum[:8])+`"`
	}
	return s, nil
}

func before(t time.Time, ago string) (time.Time, error) {
	d, err := time.ParseDuration(ago)
	return t.Add(-d).UTC(), err
}

func (s *sampleFeeds) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	name := path.Base(r.PathValue("file"))
	body, ok := s.body[name]
	if !ok || name == "sources.json" {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("ETag", s.etag[name])
	if r.Header.Get("If-None-Match") == s.etag[name] {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	ct := mime.TypeByExtension(path.Ext(name))
	switch path.Ext(name) {
	case ".atom":
		ct = "application/atom+xml"
	case ".rdf", ".xml":
		ct = "application/xml"
	case ".json":
		ct = "application/feed+json"
	}
	w.Header().Set("Content-Type", ct)
	_, _ = w.Write(body)
}

// seedSamples registers the sample sources through the admin API, as an
// operator would, when there are none yet; then it runs the ingestion batch
// once in the background, whatever KIOSK_SCHEDULES says.
func (c *Cloud) seedSamples(ctx context.Context) error {
	sources, err := sampleSources()
	if err != nil {
		return err
	}
	admin := func(method, p string, body any) (*http.Response, error) {
		b, _ := json.Marshal(body)
		req, err := http.NewRequestWithContext(ctx, method, c.APIURL+p, bytes.NewReader(b))
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

// SampleFeeds returns the sample-feed server (serving /{file}) with dates
// relative to start, and the sources that point at it, for tests that ingest
// the same news `make dev` shows.
func SampleFeeds(start time.Time) (http.Handler, []SampleSource, error) {
	s, err := newSampleFeeds(start)
	if err != nil {
		return nil, nil, err
	}
	sources, err := sampleSources()
	if err != nil {
		return nil, nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("GET /{file}", s)
	return mux, sources, nil
}

func sampleSources() ([]SampleSource, error) {
	raw, err := sampleFiles.ReadFile("samples/sources.json")
	if err != nil {
		return nil, err
	}
	var sources []SampleSource
	if err := json.Unmarshal(raw, &sources); err != nil {
		return nil, fmt.Errorf("samples/sources.json: %w", err)
	}
	return sources, nil
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
