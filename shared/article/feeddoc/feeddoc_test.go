package feeddoc

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/kiosk-news/kiosk/shared/platform/contract"
)

// Lambda refuses a synchronous request over 6 MB: the largest document with
// whatever URL and Content-Type a feed server sends — a 1 MB header, in
// characters JSON escapes six bytes wide — still fits, because NewRequest
// bounds every field besides the body (the result's: feedparse's
// TestTheLargestResultFitsLambdasResponse).
func TestTheLargestRequestFitsLambdasPayload(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	huge := strings.Repeat("<", 1_000_000)
	r := NewRequest(huge, huge, []byte(strings.Repeat("\xff", MaxBody)), now)
	req, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	if len(req) > contract.MaxSyncPayload {
		t.Errorf("the largest request is %d bytes, over %d", len(req), contract.MaxSyncPayload)
	}
	t.Logf("largest request %d bytes (Lambda: %d)", len(req), contract.MaxSyncPayload)
	if len(r.URL) != MaxURL || len(r.ContentType) != MaxContentType {
		t.Errorf("URL %d bytes, Content-Type %d; want them cut to %d and %d", len(r.URL), len(r.ContentType), MaxURL, MaxContentType)
	}
	if ct := NewRequest("", "text/xml; charset="+strings.Repeat("é", MaxContentType), nil, now).ContentType; !utf8.ValidString(ct) {
		t.Errorf("the Content-Type was cut inside a character: %q", ct[len(ct)-4:])
	}
	if r := NewRequest("https://a.example/rss", "application/rss+xml", nil, now); r.URL != "https://a.example/rss" || r.ContentType != "application/rss+xml" {
		t.Errorf("a usual request was changed: %+v", r)
	}
}

// A classified error's message is cut to MaxMessage bytes without splitting
// a character: parse-feed's answer carries it as JSON, and a log line and a
// push's 400 echo it.
func TestAnErrorsMessageIsCutOnACharacter(t *testing.T) {
	msg := Errorf(NotAFeed, "%s", strings.Repeat("a", MaxMessage-1)+"é and more").Message
	if len(msg) > MaxMessage || !utf8.ValidString(msg) || !strings.HasPrefix(msg, strings.Repeat("a", MaxMessage-1)) {
		t.Errorf("message of %d bytes ending %q; want at most %d, valid UTF-8", len(msg), msg[len(msg)-3:], MaxMessage)
	}
	if msg := Errorf(TooLarge, "feed too large: %d bytes", 5).Message; msg != "feed too large: 5 bytes" {
		t.Errorf("a short message was changed: %q", msg)
	}
}
