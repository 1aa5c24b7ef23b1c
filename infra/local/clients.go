package local

import (
	"context"
	"net"
	"net/http"
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
