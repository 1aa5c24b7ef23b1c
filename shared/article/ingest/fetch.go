package ingest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"syscall"
	"time"

	"github.com/kiosk-news/kiosk/shared/article"
)

// Fetch limits.
const (
	MaxFeedBytes  = 4 << 20
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
	ETag         string
	LastModified string
}

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
	switch {
	case resp.StatusCode == http.StatusNotModified:
		return Response{NotModified: true, ETag: etag, LastModified: lastModified}, nil
	case resp.StatusCode != http.StatusOK:
		return Response{}, fmt.Errorf("HTTP %d", resp.StatusCode)
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
	return Response{Body: body, ETag: resp.Header.Get("ETag"), LastModified: resp.Header.Get("Last-Modified")}, nil
}
