package kiosk

import (
	"errors"
	"fmt"
	"testing"
)

func TestTruncate(t *testing.T) {
	for _, c := range []struct {
		in   string
		n    int
		want string
	}{
		{"short", 10, "short"},
		{"exactly", 7, "exactly"},
		{"cut here", 3, "cut"},
		{"née", 2, "n"}, // é is two bytes: never half of it
		{"日本", 4, "日"},
		{"bad\xffbyte", 20, "badbyte"},
		{"", 0, ""},
	} {
		if got := Truncate(c.in, c.n); got != c.want {
			t.Errorf("Truncate(%q, %d) = %q, want %q", c.in, c.n, got, c.want)
		}
	}
}

func TestCodesTranslateAStoresSentinels(t *testing.T) {
	errGone := errors.New("article not found")
	codes := Codes{errGone: ENOTFOUND}
	if err := codes.Translate(fmt.Errorf("get: %w", errGone)); ErrorCode(err) != ENOTFOUND || ErrorMessage(err) != "get: article not found" {
		t.Fatalf("sentinel: %v (%s)", err, ErrorCode(err))
	}
	other := errors.New("dynamodb: connection reset")
	if err := codes.Translate(other); err != other || ErrorMessage(err) != "internal error" {
		t.Fatalf("other error: %v", err)
	}
	app := Errorf(EINVALID, "bad id")
	if err := codes.Translate(app); err != app {
		t.Fatalf("application error changed: %v", err)
	}
	if codes.Translate(nil) != nil {
		t.Fatal("nil is not nil")
	}
}
