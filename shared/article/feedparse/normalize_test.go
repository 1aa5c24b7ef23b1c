package feedparse

import (
	"strings"
	"testing"
	"time"

	"github.com/kiosk-news/kiosk/shared/article/feeddoc"

	"github.com/mmcdole/gofeed"
)

func TestPlainText(t *testing.T) {
	cases := []struct{ name, in, want string }{
		{"tags go, text stays", "<p>The <b>new</b> fab</p>", "The new fab"},
		{"entities are decoded", "Fish &amp; chips &lt;3", "Fish & chips <3"},
		{"scripts vanish with their text", "a<script>alert(1)</script>b", "ab"},
		{"styles and iframes vanish", "<style>p{}</style><iframe src=x>inner</iframe>ok", "ok"},
		{"whitespace collapses", "a \n\t b", "a b"},
		{"block tags separate words", "<p>one</p><p>two</p>", "one two"},
		{"control characters go", "a\x00b\x07c", "abc"},
		{"a broken tag does not leak markup", "x <img src=1 onerror=alert(1)", "x"},
		{"a bidi override goes", "Invoice \u202egnp.exe\u202c ready", "Invoice gnp.exe ready"},
		{"bidi embeddings, isolates and marks go", "\u202aa\u202b \u2066b\u2067c\u2068d\u2069 e\u200ef\u200fg\u061ch", "a bcd efgh"},
		{"zero-width spaces, word joiners and BOMs go", "\ufeffAp\u200bple\u2060 Inc", "Apple Inc"},
		{"an override written as an entity goes", "Ap&#x200B;ple &#8238;x", "Apple x"},
		{"a title of nothing but controls is empty", "\u202e\u200b \u200d\u2066", ""},
		{"a ZWJ or ZWNJ between Latin letters goes", "Ap\u200dple Ban\u200cana", "Apple Banana"},
		{"a ZWJ next to a space goes", "a \u200d b \u200c\U0001F600", "a b \U0001F600"},
		{"a ZWJ emoji sequence stays whole", "Dev \U0001F469\u200d\U0001F4BB \U0001F3F3\ufe0f\u200d\U0001F308", "Dev \U0001F469\u200d\U0001F4BB \U0001F3F3\ufe0f\u200d\U0001F308"},
		{"a skin-toned ZWJ sequence stays whole", "\U0001F469\U0001F3FD\u200d\U0001F692", "\U0001F469\U0001F3FD\u200d\U0001F692"},
		{"a Persian ZWNJ stays", "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645", "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645"},
		{"a Devanagari half-form ZWJ stays", "\u0915\u094d\u200d\u0937", "\u0915\u094d\u200d\u0937"},
		{"a run of joiners keeps at most one", "\u0645\u06cc\u200c\u200c\u062e", "\u0645\u06cc\u200c\u062e"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := PlainText(c.in); got != c.want {
				t.Errorf("PlainText(%q) = %q, want %q", c.in, got, c.want)
			}
		})
	}
}

func TestFromItem(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	past := now.Add(-2 * time.Hour)
	future := now.Add(48 * time.Hour)

	a, err := FromItem(&gofeed.Item{Title: "  A <b>title</b> ", Link: "https://x.example/a?utm_source=f", Description: strings.Repeat("word ", 500),
		PublishedParsed: &past, Image: &gofeed.Image{URL: "https://img.example/a.jpg"}}, "EN", now)
	if err != nil {
		t.Fatal(err)
	}
	if a.Title != "A title" || a.URL != "https://x.example/a" {
		t.Errorf("article = %+v", a)
	}
	if n := len([]rune(a.Summary)); n > feeddoc.MaxSummary || !strings.HasSuffix(a.Summary, "…") {
		t.Errorf("summary is %d runes, want it capped with an ellipsis", n)
	}
	if !a.PublishedAt.Equal(past) || a.ImageURL != "https://img.example/a.jpg" || a.Language != "en" {
		t.Errorf("published/image/lang = %v %q %q", a.PublishedAt, a.ImageURL, a.Language)
	}

	t.Run("a future date is clamped to the fetch time", func(t *testing.T) {
		a, _ := FromItem(&gofeed.Item{Title: "t", Link: "https://x.example/f", PublishedParsed: &future}, "", now)
		if !a.PublishedAt.Equal(now) {
			t.Errorf("published = %v, want %v", a.PublishedAt, now)
		}
	})
	t.Run("no date falls back to the fetch time", func(t *testing.T) {
		a, _ := FromItem(&gofeed.Item{Title: "t", Link: "https://x.example/n"}, "", now)
		if !a.PublishedAt.Equal(now) {
			t.Errorf("published = %v, want %v", a.PublishedAt, now)
		}
	})
	t.Run("an item without a title or a usable link is refused", func(t *testing.T) {
		for _, it := range []*gofeed.Item{{Title: "", Link: "https://x.example/a"}, {Title: "t", Link: "javascript:x"}, {Title: "t"}} {
			if _, err := FromItem(it, "", now); err == nil {
				t.Errorf("FromItem(%+v) succeeded", it)
			}
		}
	})
	t.Run("bidi controls and zero-width characters leave the title and the summary", func(t *testing.T) {
		a, err := FromItem(&gofeed.Item{Title: "Ap\u200bple \u202eunveils\u202c phone", Link: "https://x.example/b",
			Description: "<p>\u2067Read\u2069 \ufeffmore</p>"}, "", now)
		if err != nil {
			t.Fatal(err)
		}
		if a.Title != "Apple unveils phone" || a.Summary != "Read more" {
			t.Errorf("title %q, summary %q; want them cleaned", a.Title, a.Summary)
		}
		if _, err := FromItem(&gofeed.Item{Title: "\u202e\u200b\u2066", Link: "https://x.example/e"}, "", now); err == nil {
			t.Error("a title of nothing but controls was taken")
		}
	})
	t.Run("a link or image longer than the cap once canonical is refused", func(t *testing.T) {
		// 2,025 bytes as written, 6,025 once the query is escaped.
		long := "https://evil.example/q?x=" + strings.Repeat("\u00e9", 1000)
		if len(long) > feeddoc.MaxURL {
			t.Fatalf("the link is %d bytes as written, want it within the cap", len(long))
		}
		if a, err := FromItem(&gofeed.Item{Title: "Big query", Link: long}, "", now); err == nil {
			t.Errorf("stored a %d-byte URL, over the %d-byte cap", len(a.URL), feeddoc.MaxURL)
		}
		a, err := FromItem(&gofeed.Item{Title: "t", Link: "https://x.example/l", Image: &gofeed.Image{URL: strings.Replace(long, "/q", "/i.jpg", 1)}}, "", now)
		if err != nil || a.ImageURL != "" {
			t.Errorf("image = %d bytes, %v; want it dropped", len(a.ImageURL), err)
		}
	})
	t.Run("a non-http image is dropped", func(t *testing.T) {
		a, _ := FromItem(&gofeed.Item{Title: "t", Link: "https://x.example/i", Image: &gofeed.Image{URL: "javascript:alert(1)"}}, "", now)
		if a.ImageURL != "" {
			t.Errorf("image = %q", a.ImageURL)
		}
	})
}

// FuzzFromItem feeds arbitrary documents through the parser and the
// normalisation: nothing panics and every article keeps the invariants.
func FuzzFromItem(f *testing.F) {
	f.Add(`<rss version="2.0"><channel><item><title>T &amp; <b>x</b></title><link>https://a.example/x?utm_source=1#f</link><pubDate>Mon, 02 Jan 2006 15:04:05 -0700</pubDate><description>&lt;p&gt;hi&lt;/p&gt;</description></item></channel></rss>`)
	f.Add(`{"version":"https://jsonfeed.org/version/1.1","title":"t","items":[{"id":"1","url":"https://a.example/","title":"x","date_published":"2999-01-01T00:00:00Z"}]}`)
	f.Add(`<feed xmlns="http://www.w3.org/2005/Atom"><entry><title>x</title><link href="http://a.example:80/"/></entry></feed>`)
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, doc string) {
		feed, err := gofeed.NewParser().ParseString(doc)
		if err != nil {
			return
		}
		for _, it := range feed.Items {
			a, err := FromItem(it, feed.Language, now)
			if err != nil {
				continue
			}
			if a.Title == "" || len([]rune(a.Title)) > feeddoc.MaxTitle || len([]rune(a.Summary)) > feeddoc.MaxSummary {
				t.Fatalf("text invariants broken: %+v", a)
			}
			if len(a.URL) > feeddoc.MaxURL || len(a.ImageURL) > feeddoc.MaxURL {
				t.Fatalf("URL of %d bytes or image of %d, over %d", len(a.URL), len(a.ImageURL), feeddoc.MaxURL)
			}
			if again, err := feeddoc.Canonicalize(a.URL); err != nil || again != a.URL {
				t.Fatalf("URL %q is not canonical", a.URL)
			}
			if a.PublishedAt.After(now) {
				t.Fatalf("published %v is after the fetch", a.PublishedAt)
			}
		}
	})
}
