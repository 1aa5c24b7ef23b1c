package article

import (
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
)

// A source's URL is checked twice: here, when it is registered, on its
// literal host (so an editor gets a field error at once), and by the
// fetcher at dial time on every resolved address (which this check cannot
// replace: a name can resolve anywhere).

// sourceURLProblem says why a source may not have this (already
// canonicalizable) URL, or "". Hosts in allow (lower-case host:port, the
// fetcher's KIOSK_FETCH_ALLOW) pass.
func sourceURLProblem(raw string, allow []string) string {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return "url must be an absolute http(s) URL"
	}
	host := strings.TrimSuffix(strings.ToLower(u.Hostname()), ".")
	port := u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[strings.ToLower(u.Scheme)]
	}
	hostPort := net.JoinHostPort(host, port)
	for _, a := range allow {
		if strings.EqualFold(a, hostPort) {
			return ""
		}
	}
	const private = "url must not point at a loopback, private, link-local, metadata or unspecified address"
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return private
	}
	if addr, err := netip.ParseAddr(host); err == nil {
		if Blocked(addr) {
			return private
		}
		return ""
	}
	if addr, ok := looseIPv4(host); ok {
		if Blocked(addr) {
			return private
		}
		return "url must name its host or write its address as four decimal numbers"
	}
	return ""
}

// looseIPv4 reads the IPv4 forms inet_aton and many resolvers accept
// besides the dotted quad: one to four parts, each decimal, octal (leading
// 0) or hex (0x), the last filling the remaining bytes — 2130706433,
// 0177.0.0.1, 0x7f.1 and 127.1 all being 127.0.0.1.
func looseIPv4(host string) (netip.Addr, bool) {
	parts := strings.Split(host, ".")
	if len(parts) == 0 || len(parts) > 4 {
		return netip.Addr{}, false
	}
	var vals []uint64
	for _, p := range parts {
		base, digits := 10, p
		switch {
		case len(p) > 1 && (p[:2] == "0x" || p[:2] == "0X"):
			base, digits = 16, p[2:]
		case len(p) > 1 && p[0] == '0':
			base, digits = 8, p[1:]
		}
		if digits == "" && base != 16 {
			return netip.Addr{}, false
		}
		if digits == "" {
			digits = "0" // "0x" alone is 0 to inet_aton
		}
		v, err := strconv.ParseUint(digits, base, 32)
		if err != nil {
			return netip.Addr{}, false
		}
		vals = append(vals, v)
	}
	var n uint64
	for i, v := range vals[:len(vals)-1] {
		if v > 255 {
			return netip.Addr{}, false
		}
		n |= v << (8 * (3 - i))
	}
	last := vals[len(vals)-1]
	if last >= 1<<(8*(5-len(vals))) {
		return netip.Addr{}, false
	}
	n |= last
	return netip.AddrFrom4([4]byte{byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)}), true
}
