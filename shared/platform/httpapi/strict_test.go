package httpapi

import (
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/kiosk-news/kiosk/shared/kiosk"
)

type strictEvent struct {
	Type   string    `json:"type"`
	At     time.Time `json:"at"`
	Dwell  *int64    `json:"dwell_ms,omitempty"`
	Weight float64   `json:"weight"`
}

type strictBody struct {
	Events []strictEvent     `json:"events"`
	Tags   map[string]string `json:"tags"`
	Nested struct {
		Name string `json:"name"`
	} `json:"nested"`
	Any any `json:"any"`
}

func decodeString(body string) (strictBody, error) {
	r := httptest.NewRequest("POST", "/", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	var v strictBody
	err := Decode(r, &v)
	return v, err
}

func TestDecodeRefusesKeysThatMatchOnlyIgnoringCaseDuplicatesAndNulls(t *testing.T) {
	for _, c := range []struct{ body, want string }{
		{`{"Events":[]}`, `unknown field "Events"`},
		{`{"events":[{"type":"click","Type":"share"}]}`, `unknown field "events[0].Type"`},
		{`{"events":[{"type":"click","type":"share"}]}`, `duplicate key "events[0].type"`},
		{`{"events":[],"events":[]}`, `duplicate key "events"`},
		{`{"events":[{"type":"click"},{"weight":1,"Weight":2}]}`, `unknown field "events[1].Weight"`},
		{`{"nested":{"NAME":"x"}}`, `unknown field "nested.NAME"`},
		{`{"tags":{"a":"1","a":"2"}}`, `duplicate key "tags.a"`},
		{`{"any":{"k":1,"k":2}}`, `duplicate key "any.k"`},
		{`{"events":[{"dwell_ms":null}]}`, `field "events[0].dwell_ms" must not be null`},
		{`{"events":[{"at":null}]}`, `field "events[0].at" must not be null`},
		{`{"events":null}`, `field "events" must not be null`},
		{`{"tags":{"a":null}}`, `field "tags.a" must not be null`},
		{`null`, `not null`},
		{`{"\u0065vents":[],"events":[]}`, `duplicate key "events"`},
	} {
		_, err := decodeString(c.body)
		if kiosk.ErrorCode(err) != kiosk.EINVALID || !strings.Contains(kiosk.ErrorMessage(err), c.want) {
			t.Errorf("%s: got %v, want an invalid error with %s", c.body, err, c.want)
		}
	}
}

func TestDecodeAcceptsTheLowerCaseTAndZOfRFC3339AndSaysWhatATimeIs(t *testing.T) {
	v, err := decodeString(`{"events":[{"at":"2026-12-01T10:00:00Z"},{"at":"2026-12-01t10:00:00z"},{"at":"2026-12-01t11:00:00.5+01:00"}]}`)
	if err != nil || len(v.Events) != 3 || !v.Events[1].At.Equal(v.Events[0].At) || !v.Events[2].At.Equal(v.Events[0].At.Add(500*time.Millisecond)) {
		t.Fatalf("got %+v, %v", v, err)
	}
	for _, body := range []string{`{"events":[{"at":"2026-12-01T10:00:00Z"},{"at":"yesterday"}]}`, `{"events":[{"at":"2026-12-01 10:00:00Z"}]}`} {
		_, err := decodeString(body)
		msg := kiosk.ErrorMessage(err)
		if kiosk.ErrorCode(err) != kiosk.EINVALID || !strings.Contains(msg, "RFC 3339 time") || strings.Contains(msg, "2006") {
			t.Errorf("%s: %v, want a 400 saying RFC 3339 without Go's layout", body, err)
		}
	}
	if _, err := decodeString(`{"events":[{"at":"2026-12-01T10:00:00Z"},{"at":"yesterday"}]}`); !strings.Contains(kiosk.ErrorMessage(err), `"events[1].at"`) {
		t.Errorf("the bad time is not named: %v", err)
	}
}

func TestDecodeStillAcceptsWhatTheSpecAllows(t *testing.T) {
	v, err := decodeString(` { "events" : [ {"type":"click","at":"2026-12-01T10:00:00Z","dwell_ms":5,"weight":1.5e0}, {} ],
		"tags":{"A":"1","a":"2","\u00e9":"3"}, "nested":{"name":"n"}, "any":[null,{"x":null}] } `)
	if err != nil {
		t.Fatal(err)
	}
	if len(v.Events) != 2 || *v.Events[0].Dwell != 5 || v.Tags["A"] != "1" || v.Tags["é"] != "3" || v.Nested.Name != "n" {
		t.Errorf("got %+v", v)
	}
}

// BenchmarkDecodeEvents is the tracking-api's largest body: 500 events.
func BenchmarkDecodeEvents(b *testing.B) {
	var sb strings.Builder
	sb.WriteString(`{"events":[`)
	for i := range 500 {
		if i > 0 {
			sb.WriteString(",")
		}
		sb.WriteString(`{"id":"0b7f6c1e-5d7a-4f7e-9a51-` + strings.Repeat("a", 12) + `","type":"dwell","article_id":"art-0123456789abcdef","at":"2026-12-01T10:00:00Z","dwell_ms":12345}`)
	}
	sb.WriteString(`]}`)
	body := sb.String()
	type event struct {
		ID        string    `json:"id"`
		Type      string    `json:"type"`
		ArticleID string    `json:"article_id"`
		At        time.Time `json:"at"`
		DwellMS   *int64    `json:"dwell_ms,omitempty"`
	}
	type events struct {
		Events []event `json:"events"`
	}
	// The whole Decode (encoding/json and the strict walk) against the
	// strict walk alone, in the same run.
	b.Run("Decode", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			r := httptest.NewRequest("POST", "/", strings.NewReader(body))
			r.Header.Set("Content-Type", "application/json")
			var in events
			if err := Decode(r, &in); err != nil || len(in.Events) != 500 {
				b.Fatal(err)
			}
		}
	})
	b.Run("strictCheck", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if err := strictCheck([]byte(body), reflect.TypeFor[*events]()); err != nil {
				b.Fatal(err)
			}
		}
	})
}
