package feeddoc

import (
	"fmt"
	"net"
	"net/url"
	"sort"
	"strings"
)

// trackingParams are query parameters that only track the reader.
var trackingParams = map[string]bool{"fbclid": true, "gclid": true, "dclid": true, "msclkid": true, "mc_cid": true, "mc_eid": true, "igshid": true}

// Canonicalize returns the canonical form of an article URL: http(s) only,
// lower-case scheme and host, no default port, no fragment, no tracking
// parameters (utm_*, fbclid, gclid, …), the remaining query sorted, and "/"
// for an empty path. Two URLs of the same article give the same string.
func Canonicalize(raw string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return "", fmt.Errorf("bad URL %q: %w", raw, err)
	}
	u.Scheme = strings.ToLower(u.Scheme)
	if u.Scheme != "http" && u.Scheme != "https" {
		return "", fmt.Errorf("URL %q is not http or https", raw)
	}
	if u.Opaque != "" || u.Host == "" {
		return "", fmt.Errorf("URL %q has no host", raw)
	}
	u.User = nil
	host, port := u.Hostname(), u.Port()
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	if host == "" {
		return "", fmt.Errorf("URL %q has no host", raw)
	}
	if (u.Scheme == "http" && port == "80") || (u.Scheme == "https" && port == "443") {
		port = ""
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	u.Host = host
	if port != "" {
		u.Host = net.JoinHostPort(strings.Trim(host, "[]"), port)
	}
	u.Fragment, u.RawFragment = "", ""
	if u.Path == "" {
		u.Path = "/"
	}
	q := u.Query()
	for k := range q {
		if strings.HasPrefix(strings.ToLower(k), "utm_") || trackingParams[strings.ToLower(k)] {
			q.Del(k)
		}
	}
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		vals := append([]string(nil), q[k]...)
		sort.Strings(vals)
		for _, v := range vals {
			if b.Len() > 0 {
				b.WriteByte('&')
			}
			b.WriteString(url.QueryEscape(k) + "=" + url.QueryEscape(v))
		}
	}
	u.RawQuery = b.String()
	u.ForceQuery = false
	return u.String(), nil
}

// Caps on stored text.
const (
	MaxTitle   = 300
	MaxSummary = 600
	MaxURL     = 2048
)

// Invisible reports a format character that changes how text around it is
// displayed while showing nothing itself, and carries no meaning in a title or
// a summary: the bidi embeddings, overrides and isolates (U+202A–U+202E,
// U+2066–U+2069; an override makes "gnp.exe" read as "exe.png"), the bidi marks
// LRM, RLM and ALM (U+200E, U+200F, U+061C), the deprecated format controls
// U+206A–U+206F, the zero-width space U+200B, the word joiner U+2060 and the
// byte-order mark U+FEFF. Ingestion drops them from what it stores and the
// story keys ignore them. ZWNJ and ZWJ (U+200C, U+200D) are not in the set:
// they carry meaning between letters of some scripts and inside emoji
// sequences, so parsing judges them by their neighbours (feedparse.PlainText).
func Invisible(r rune) bool {
	switch {
	case r < 0x061C:
		return false
	case r == 0x061C, r == 0x200B, r == 0x200E, r == 0x200F, r == 0x2060, r == 0xFEFF:
		return true
	case r >= 0x202A && r <= 0x202E, r >= 0x2066 && r <= 0x206F:
		return true
	}
	return false
}
