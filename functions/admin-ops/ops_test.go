package main

import (
	"testing"
	"time"
)

func TestDeadLettersOfBothShapes(t *testing.T) {
	// Lambda's on-failure destination record (what the local cloud serves too).
	d := parseDeadLetter("feed-events", "m1", "r1", `{"version":"1.0","timestamp":"2026-11-25T10:00:00Z",
		"requestContext":{"condition":"RetriesExhausted","approximateInvokeCount":3},
		"requestPayload":{"detail-type":"article.published","source":"kiosk.articles","time":"2026-11-25T09:59:00Z","detail":{}},
		"responsePayload":{"errorType":"errorString","errorMessage":"boom"}}`, nil)
	if d.DetailType != "article.published" || d.Source != "kiosk.articles" || d.Attempts != 3 || d.Error != "errorString: boom" ||
		!d.At.Equal(time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)) || string(d.Event)[0] != '{' {
		t.Errorf("on-failure record: %+v", d)
	}
	// An EventBridge target's dead letter: the event itself, the error in attributes.
	d = parseDeadLetter("heartbeat", "m2", "r2", `{"detail-type":"Scheduled Event","source":"aws.events","time":"2026-11-25T10:05:00Z","detail":{}}`,
		map[string]string{"ERROR_CODE": "Throttled", "ERROR_MESSAGE": "rate exceeded"})
	if d.DetailType != "Scheduled Event" || d.Error != "Throttled rate exceeded" || !d.At.Equal(time.Date(2026, 11, 25, 10, 5, 0, 0, time.UTC)) {
		t.Errorf("target record: %+v", d)
	}
}
