package page_test

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/kiosk-news/kiosk/shared/kiosk"
	"github.com/kiosk-news/kiosk/shared/platform/page"
)

type pos struct {
	Key    string `json:"k"`
	Offset int    `json:"o"`
}

func TestACursorRoundTripsOnItsOwnList(t *testing.T) {
	c := page.Cursor("articles|tech", pos{Key: "2026-12-01T03:00:00Z#ab", Offset: 40})
	var p pos
	ok, err := page.Decode(c, "articles|tech", &p)
	if err != nil || !ok || p != (pos{Key: "2026-12-01T03:00:00Z#ab", Offset: 40}) {
		t.Fatalf("Decode = %v, %v, %+v", ok, err, p)
	}
}

func TestAnEmptyCursorIsTheFirstPage(t *testing.T) {
	p := pos{Offset: 7}
	ok, err := page.Decode("", "articles|tech", &p)
	if ok || err != nil || p.Offset != 7 {
		t.Fatalf("Decode(\"\") = %v, %v, %+v", ok, err, p)
	}
}

func TestCursorsFromElsewhereAreRefused(t *testing.T) {
	good := page.Cursor("inbox|u1", pos{Key: "k"})
	raw, _ := base64.RawURLEncoding.DecodeString(good)
	enc := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	for name, c := range map[string]string{
		"another list's":          good, // decoded below as inbox|u2
		"not base64":              "!!!",
		"padded base64":           base64.URLEncoding.EncodeToString(raw) + "=",
		"not JSON":                enc("v1|tech|key"),
		"an older version":        enc(strings.Replace(string(raw), `"v":1`, `"v":0`, 1)),
		"an unknown envelope":     enc(strings.Replace(string(raw), `"v":1`, `"v":1,"x":2`, 1)),
		"an unknown position":     enc(strings.Replace(string(raw), `"k":"k"`, `"k":"k","admin":true`, 1)),
		"a wrong position type":   enc(strings.Replace(string(raw), `"o":0`, `"o":"0"`, 1)),
		"no position":             enc(`{"v":1,"l":"` + listOf(t, page.Cursor("inbox|u2", pos{})) + `"}`),
		"two values":              enc(string(raw) + `{}`),
		"too long":                strings.Repeat("A", page.MaxCursor+1),
		"an article cursor of v0": enc("v1|tech|2026-12-01T03:00:00Z#ab"),
	} {
		t.Run(name, func(t *testing.T) {
			var p pos
			_, err := page.Decode(c, "inbox|u2", &p)
			if !errors.Is(err, page.ErrCursor) || kiosk.ErrorCode(err) != kiosk.EINVALID {
				t.Fatalf("Decode = %v, want ErrCursor (400)", err)
			}
		})
	}
}

func listOf(t *testing.T, cursor string) string {
	t.Helper()
	raw, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil {
		t.Fatal(err)
	}
	var env struct {
		L string `json:"l"`
	}
	if err := json.Unmarshal(raw, &env); err != nil {
		t.Fatal(err)
	}
	return env.L
}

func TestACursorDoesNotShowItsList(t *testing.T) {
	c := page.Cursor("inbox|2f1c9e0a-user-id", pos{Key: "k"})
	raw, _ := base64.RawURLEncoding.DecodeString(c)
	if strings.Contains(string(raw), "2f1c9e0a") || strings.Contains(string(raw), "inbox") {
		t.Fatalf("the cursor shows its list: %s", raw)
	}
}

func TestALimitOverTheMaximumIsRefusedNotClamped(t *testing.T) {
	for in, want := range map[string]int{"": 20, "1": 1, "100": 100} {
		if n, err := page.Limit(in, 20, 100); err != nil || n != want {
			t.Errorf("Limit(%q) = %d, %v; want %d", in, n, err, want)
		}
	}
	for _, in := range []string{"0", "-1", "1.5", "ten", " 5", "99999999999999999999", "0x10", "101", "999999"} {
		if _, err := page.Limit(in, 20, 100); kiosk.ErrorCode(err) != kiosk.EINVALID {
			t.Errorf("Limit(%q) = %v, want invalid_argument", in, err)
		}
	}
}

func FuzzDecode(f *testing.F) {
	f.Add(page.Cursor("l", pos{Key: "a"}))
	f.Add("")
	f.Fuzz(func(t *testing.T, c string) {
		var p pos
		ok, err := page.Decode(c, "l", &p)
		if err != nil && !errors.Is(err, page.ErrCursor) {
			t.Fatalf("Decode(%q) = %v, want ErrCursor or success", c, err)
		}
		if ok && page.Cursor("l", p) == "" {
			t.Fatal("a decoded position does not encode")
		}
	})
}
