package ingest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/kiosk-news/kiosk/shared/article"
	"github.com/kiosk-news/kiosk/shared/article/feeddoc"
)

// Fetch limits. A feed is at most MaxFeedBytes: parse-feed's cap
// (feeddoc.MaxBody), which keeps the invoke below Lambda's 6 MB payload.
const (
	MaxFeedBytes  = feeddoc.MaxBody
	FetchTimeout  = 10 * time.Second
	MaxRedirects  = 3
	userAgent     = "KioskBot/1.0 (news aggregation; conditional GET)"
	acceptHeaders = "application/rss+xml, application/atom+xml, application/feed+json, application/json;q=0.9, application/xml;q=0.9, text/xml;q=0.8, */*;q=0.5"
)

// ErrBlocked means the fetch was refused because it would reach a private,
// loopback, link-local or metadata address.
var ErrBlocked = errors.New("address not allowed")

// ErrTooLarge means the feed is over MaxFeedBytes.
var ErrTooLarge = errors.New("feed too large")

// Fetcher gets feeds over HTTP without ever reaching the internal network: the
// address is checked after DNS resolution, at dial time, for every connection
// including redirects. Only the host:port pairs in its allow list skip the check.
type Fetcher struct {
	client   *http.Client
	maxBytes int64
}

// Response is a fetched feed, or NotModified.
type Response struct {
	NotModified  bool
	Body         []byte
	ContentType  string
	ETag         string
	LastModified string
	// MaxAge is the response's Cache-Control max-age (0 when none): the
	// publisher asks not to be fetched again sooner.
	MaxAge time.Duration
	// Hub and Self are the WebSub links of the response's Link header
	// (rel="hub", rel="self"), if any.
	Hub, Self string
}

// HTTPError is a feed answering with a status other than 200 and 304. A 429
// or 503 may carry Retry-After, which the batch honours.
type HTTPError struct {
	Status     int
	RetryAfter string // the header as sent (429 and 503 only)
}

// Delay is how long Retry-After asks to wait at now (0: it does not say).
func (e *HTTPError) Delay(now time.Time) time.Duration { return retryAfter(e.RetryAfter, now) }

func (e *HTTPError) Error() string { return fmt.Sprintf("HTTP %d", e.Status) }

// NewFetcher returns a fetcher that may also reach the listed host:port pairs.
func NewFetcher(allow []string) *Fetcher {
	allowed := map[string]bool{}
	for _, a := range allow {
		allowed[strings.ToLower(a)] = true
	}
	safe := &net.Dialer{Timeout: 5 * time.Second, Control: refusePrivate}
	plain := &net.Dialer{Timeout: 5 * time.Second}
	tr := &http.Transport{
		Proxy: nil, // never through a proxy from the environment
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			if allowed[strings.ToLower(addr)] {
				return plain.DialContext(ctx, network, addr)
			}
			return safe.DialContext(ctx, network, addr)
		},
		TLSHandshakeTimeout:   5 * time.Second,
		ResponseHeaderTimeout: FetchTimeout,
		MaxIdleConnsPerHost:   2,
		IdleConnTimeout:       30 * time.Second,
	}
	return &Fetcher{
		maxBytes: MaxFeedBytes,
		client: &http.Client{
			Transport: tr,
			Timeout:   FetchTimeout,
			CheckRedirect: func(req *http.Request, via []*http.Request) error {
				if len(via) >= MaxRedirects {
					return fmt.Errorf("more than %d redirects", MaxRedirects)
				}
				if req.URL.Scheme != "http" && req.URL.Scheme != "https" {
					return fmt.Errorf("redirect to a %s URL", req.URL.Scheme)
				}
				return nil
			},
		},
	}
}

// refusePrivate runs after DNS resolution, on the very address being dialed.
func refusePrivate(network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w: %s", ErrBlocked, address)
	}
	if article.Blocked(ap.Addr()) {
		return fmt.Errorf("%w: %s", ErrBlocked, ap.Addr())
	}
	return nil
}

// Fetch does a conditional GET of a feed.
func (f *Fetcher) Fetch(ctx context.Context, url, etag, lastModified string) (Response, error) {
	if !strings.HasPrefix(url, "http://") && !strings.HasPrefix(url, "https://") {
		return Response{}, fmt.Errorf("not an http(s) URL")
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return Response{}, err
	}
	req.Header.Set("User-Agent", userAgent)
	req.Header.Set("Accept", acceptHeaders)
	if etag != "" {
		req.Header.Set("If-None-Match", etag)
	}
	if lastModified != "" {
		req.Header.Set("If-Modified-Since", lastModified)
	}
	resp, err := f.client.Do(req)
	if err != nil {
		return Response{}, err
	}
	defer resp.Body.Close()
	maxAge := cacheMaxAge(resp.Header.Get("Cache-Control"))
	switch {
	case resp.StatusCode == http.StatusNotModified:
		return Response{NotModified: true, ETag: etag, LastModified: lastModified, MaxAge: maxAge}, nil
	case resp.StatusCode != http.StatusOK:
		e := &HTTPError{Status: resp.StatusCode}
		if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable {
			e.RetryAfter = resp.Header.Get("Retry-After")
		}
		return Response{}, e
	case resp.ContentLength > f.maxBytes:
		return Response{}, fmt.Errorf("%w: %d bytes announced", ErrTooLarge, resp.ContentLength)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, f.maxBytes+1))
	if err != nil {
		return Response{}, err
	}
	if int64(len(body)) > f.maxBytes {
		return Response{}, fmt.Errorf("%w: over %d bytes", ErrTooLarge, f.maxBytes)
	}
	hub, self := linkHeader(resp.Header.Values("Link"))
	return Response{Body: body, ContentType: resp.Header.Get("Content-Type"), ETag: resp.Header.Get("ETag"), LastModified: resp.Header.Get("Last-Modified"),
		MaxAge: maxAge, Hub: hub, Self: self}, nil
}

// cacheMaxAge reads max-age from Cache-Control (no-store and no-cache ask
// for nothing, so they give 0).
func cacheMaxAge(v string) time.Duration {
	for _, d := range strings.Split(v, ",") {
		d = strings.TrimSpace(strings.ToLower(d))
		if n, ok := strings.CutPrefix(d, "max-age="); ok {
			if secs, err := strconv.Atoi(strings.Trim(n, `"`)); err == nil && secs > 0 {
				return time.Duration(min(secs, 7*86400)) * time.Second
			}
		}
	}
	return 0
}

// retryAfter reads Retry-After: delay-seconds or an HTTP date (RFC 9110 §10.2.3).
func retryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if secs, err := strconv.Atoi(v); err == nil {
		return time.Duration(max(0, min(secs, 7*86400))) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return min(t.Sub(now), 7*24*time.Hour)
	}
	return 0
}

// linkHeader finds rel="hub" and rel="self" in Link header values
// (RFC 8288: `<url>; rel="hub"`, several links per value, several rels per link).
func linkHeader(values []string) (hub, self string) {
	for _, v := range values {
		for _, link := range strings.Split(v, ",") {
			parts := strings.Split(link, ";")
			target := strings.TrimSpace(parts[0])
			if !strings.HasPrefix(target, "<") || !strings.HasSuffix(target, ">") {
				continue
			}
			target = target[1 : len(target)-1]
			for _, p := range parts[1:] {
				k, val, ok := strings.Cut(strings.TrimSpace(p), "=")
				if !ok || !strings.EqualFold(strings.TrimSpace(k), "rel") {
					continue
				}
				for _, rel := range strings.Fields(strings.ToLower(strings.Trim(strings.TrimSpace(val), `"`))) {
					switch {
					case rel == "hub" && hub == "":
						hub = target
					case rel == "self" && self == "":
						self = target
					}
				}
			}
		}
	}
	return hub, self
}

// PostForm posts a form (a WebSub subscription request) with the fetcher's
// rules: the same private-address refusal at dial time, timeout and redirect
// limits. It returns the status; the body is read up to 4 KiB and dropped.
func (f *Fetcher) PostForm(ctx context.Context, target string, form url.Values) (int, error) {
	if !strings.HasPrefix(target, "http://") && !strings.HasPrefix(target, "https://") {
		return 0, fmt.Errorf("not an http(s) URL")
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, strings.NewReader(form.Encode()))
	if err != nil {
		return 0, err
	}
	req.Header.Set("User-Agent", userAgent)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := f.client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10))
	return resp.StatusCode, nil
}
