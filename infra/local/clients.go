package local

import (
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"time"
)

var nextClient atomic.Uint32

// ManyClients is an HTTP transport for tests and the bench that act as many
// app installs: every request is a new connection from its own loopback
// address (127.100.0.1 onwards; Linux routes all of 127/8 to lo), so the
// per-client limits, which count public requests by source address, see a
// client per request.
func ManyClients() *http.Transport {
	return &http.Transport{DisableKeepAlives: true, DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		n := nextClient.Add(1)
		ip := net.IPv4(127, byte(100+(n>>16)%100), byte(n>>8), byte(n))
		return FromAddr(ip).DialContext(ctx, network, addr)
	}}
}

// FromAddr is a dialer whose connections come from ip.
func FromAddr(ip net.IP) *net.Dialer {
	return &net.Dialer{LocalAddr: &net.TCPAddr{IP: ip}, Timeout: 10 * time.Second}
}

// Call sends one request to the cloud's gateway through client, with a bearer
// token and a JSON body when given, and returns the status and the body.
func (c *Cloud) Call(ctx context.Context, client *http.Client, method, path, token, body string) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, method, c.APIURL+path, strings.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	return resp.StatusCode, out, err
}
