package ingest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/kiosk-news/kiosk/shared/article"

	"github.com/mmcdole/gofeed"
)

func TestBlocked(t *testing.T) {
	for _, a := range []string{"127.0.0.1", "127.1.2.3", "::1", "10.0.0.1", "172.16.5.4", "192.168.1.1", "169.254.169.254",
		"fe80::1", "fd00:ec2::254", "fc00::1", "0.0.0.0", "::", "100.64.0.1", "::ffff:127.0.0.1", "::ffff:10.0.0.1",
		"224.0.0.1", "255.255.255.255", "64:ff9b::7f00:1"} {
		if !article.Blocked(netip.MustParseAddr(a)) {
			t.Errorf("%s is not blocked", a)
		}
	}
	for _, a := range []string{"93.184.216.34", "2606:4700::1111", "8.8.8.8"} {
		if article.Blocked(netip.MustParseAddr(a)) {
			t.Errorf("%s is blocked", a)
		}
	}
}

func feedServer(t *testing.T, h http.HandlerFunc) (*httptest.Server, string) {
	t.Helper()
	s := httptest.NewServer(h)
	t.Cleanup(s.Close)
	return s, strings.TrimPrefix(s.URL, "http://")
}

const tinyFeed = `<rss version="2.0"><channel><title>t</title><item><title>a</title><link>https://a.example/1</link></item></channel></rss>`

// TestFetchRefusesTheInternalNetwork dials nothing but loopback: every refused
// address is refused before a connection is attempted.
func TestFetchRefusesTheInternalNetwork(t *testing.T) {
	s, hostPort := feedServer(t, func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, tinyFeed) })
	_, port, _ := net.SplitHostPort(hostPort)
	ctx := context.Background()
	cases := map[string]string{
		"loopback by address":          s.URL,
		"IPv6 loopback":                "http://[::1]:" + port + "/",
		"a private address":            "http://10.0.0.1/feed",
		"the metadata service":         "http://169.254.169.254/latest/meta-data/",
		"a name resolving to loopback": "http://localhost:" + port + "/",
		"another private range":        "http://192.168.0.10:8080/",
	}
	f := NewFetcher(nil)
	for name, url := range cases {
		t.Run("it refuses "+name, func(t *testing.T) {
			if _, err := f.Fetch(ctx, url, "", ""); !errors.Is(err, ErrBlocked) {
				t.Errorf("Fetch(%s) = %v, want ErrBlocked", url, err)
			}
		})
	}
	t.Run("an allowed host:port is fetched", func(t *testing.T) {
		resp, err := NewFetcher([]string{hostPort}).Fetch(ctx, s.URL, "", "")
		if err != nil || !strings.Contains(string(resp.Body), "<rss") {
			t.Errorf("Fetch = %v, %v", resp, err)
		}
	})
	t.Run("a redirect from an allowed host to a private one is refused", func(t *testing.T) {
		_, other := feedServer(t, func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, tinyFeed) })
		r, rp := feedServer(t, func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "http://"+other+"/", http.StatusFound)
		})
		if _, err := NewFetcher([]string{rp}).Fetch(ctx, r.URL, "", ""); !errors.Is(err, ErrBlocked) {
			t.Errorf("redirect to %s: %v, want ErrBlocked", other, err)
		}
	})
	t.Run("too many redirects are refused", func(t *testing.T) {
		var loop string
		s, hp := feedServer(t, func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, loop, http.StatusFound) })
		loop = s.URL
		if _, err := NewFetcher([]string{hp}).Fetch(ctx, s.URL, "", ""); err == nil || !strings.Contains(err.Error(), "redirects") {
			t.Errorf("redirect loop: %v", err)
		}
	})
	t.Run("a non-http scheme is refused", func(t *testing.T) {
		if _, err := f.Fetch(ctx, "file:///etc/passwd", "", ""); err == nil {
			t.Error("file:// was fetched")
		}
	})
}

func TestConditionalGet(t *testing.T) {
	s, hp := feedServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("ETag", `"v1"`)
		w.Header().Set("Last-Modified", "Mon, 02 Jan 2006 15:04:05 GMT")
		if r.Header.Get("If-None-Match") == `"v1"` {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		fmt.Fprint(w, tinyFeed)
	})
	f := NewFetcher([]string{hp})
	first, err := f.Fetch(context.Background(), s.URL, "", "")
	if err != nil || first.ETag != `"v1"` || first.NotModified {
		t.Fatalf("first fetch = %+v, %v", first, err)
	}
	second, err := f.Fetch(context.Background(), s.URL, first.ETag, first.LastModified)
	if err != nil || !second.NotModified || second.Body != nil {
		t.Errorf("second fetch = %+v, %v; want 304 with no body", second, err)
	}
}

func TestOversizeAndHostileFeedsAreRefusedCheaply(t *testing.T) {
	big := strings.Repeat("x", MaxFeedBytes+10)
	s, hp := feedServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/chunked" {
			w.(http.Flusher).Flush() // no Content-Length: the cap must hold while reading
		}
		fmt.Fprint(w, big)
	})
	f := NewFetcher([]string{hp})
	for _, p := range []string{"/", "/chunked"} {
		if _, err := f.Fetch(context.Background(), s.URL+p, "", ""); !errors.Is(err, ErrTooLarge) {
			t.Errorf("%s: %v, want ErrTooLarge", p, err)
		}
	}

	deep := `<rss version="2.0"><channel><item><title>` + strings.Repeat("<a>", 200000) + `</title></item></channel></rss>`
	laughs := `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">` +
		`<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;"><!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">]>` +
		`<rss version="2.0"><channel><item><title>&lol4;&lol4;&lol4;</title><link>https://a.example/x</link></item></channel></rss>`
	for name, doc := range map[string]string{"deeply nested": deep, "entity expanding": laughs} {
		t.Run("a "+name+" document stays bounded", func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			done := make(chan *gofeed.Feed, 1)
			go func() {
				feed, _ := gofeed.NewParser().ParseString(doc)
				done <- feed
			}()
			var feed *gofeed.Feed
			select {
			case feed = <-done:
			case <-time.After(20 * time.Second):
				t.Fatal("parsing did not finish")
			}
			runtime.ReadMemStats(&after)
			if grew := after.TotalAlloc - before.TotalAlloc; grew > 512<<20 {
				t.Errorf("parsing allocated %d MiB", grew>>20)
			}
			if feed != nil {
				for _, it := range feed.Items {
					if len(it.Title) > 10*len(doc) {
						t.Errorf("entities were expanded to %d bytes", len(it.Title))
					}
				}
			}
		})
	}
}
