package feeddoc

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// Lambda refuses a synchronous request over 6 MB: the largest document with
// the longest URL still fits (the result's bound is feedparse's fit).
func TestTheLargestRequestFitsLambdasPayload(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	req, err := json.Marshal(Request{URL: strings.Repeat("<", MaxURL), ContentType: strings.Repeat("<", 1024),
		Body: []byte(strings.Repeat("\xff", MaxBody)), Now: now})
	if err != nil {
		t.Fatal(err)
	}
	if len(req) > MaxPayload {
		t.Errorf("the largest request is %d bytes, over %d", len(req), MaxPayload)
	}
	t.Logf("largest request %d bytes (Lambda: %d)", len(req), MaxPayload)
}
