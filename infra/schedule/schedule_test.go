package schedule

import (
	"testing"
	"time"
)

func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestNext(t *testing.T) {
	anchor := at("2026-11-25T10:00:00Z")
	cases := []struct {
		name, expr, after, want string
	}{
		{"a rate fires one period after its anchor", "rate(5 minutes)", "2026-11-25T10:00:00Z", "2026-11-25T10:05:00Z"},
		{"a rate keeps its phase", "rate(5 minutes)", "2026-11-25T10:07:30Z", "2026-11-25T10:10:00Z"},
		{"a rate of a day counts from the anchor", "rate(1 day)", "2026-11-25T11:00:00Z", "2026-11-26T10:00:00Z"},
		{"every 15 minutes", "cron(0/15 * * * ? *)", "2026-11-25T10:01:00Z", "2026-11-25T10:15:00Z"},
		{"at a fixed hour the next day", "cron(30 2 * * ? *)", "2026-11-25T10:00:00Z", "2026-11-26T02:30:00Z"},
		{"on weekdays skips the weekend", "cron(0 9 ? * MON-FRI *)", "2026-11-27T10:00:00Z", "2026-11-30T09:00:00Z"},
		{"day numbers start at Sunday", "cron(0 0 ? * 1 *)", "2026-11-25T00:00:00Z", "2026-11-29T00:00:00Z"},
		{"the last day of the month", "cron(0 0 L * ? *)", "2026-02-10T00:00:00Z", "2026-02-28T00:00:00Z"},
		{"the last Friday of the month", "cron(0 12 ? * 6L *)", "2026-11-01T00:00:00Z", "2026-11-27T12:00:00Z"},
		{"the second Tuesday", "cron(0 8 ? * 3#2 *)", "2026-11-01T00:00:00Z", "2026-11-10T08:00:00Z"},
		{"the weekday nearest the 1st when it is a Sunday", "cron(0 0 1W * ? *)", "2026-02-20T00:00:00Z", "2026-03-02T00:00:00Z"},
		{"month names and lists", "cron(0 0 1 JAN,JUL ? *)", "2026-02-01T00:00:00Z", "2026-07-01T00:00:00Z"},
		{"a year in the past never fires", "cron(0 0 1 1 ? 2020)", "2026-02-01T00:00:00Z", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, err := Parse(c.expr)
			if err != nil {
				t.Fatalf("Parse(%q): %v", c.expr, err)
			}
			got := s.Next(anchor, at(c.after))
			if c.want == "" {
				if !got.IsZero() {
					t.Errorf("Next = %v, want never", got)
				}
				return
			}
			if !got.Equal(at(c.want)) {
				t.Errorf("%s after %s: got %s, want %s", c.expr, c.after, got.Format(time.RFC3339), c.want)
			}
		})
	}
}

func TestParseRejects(t *testing.T) {
	for _, expr := range []string{
		"", "every 5 minutes", "rate(5 minute)", "rate(1 minutes)", "rate(0 minutes)", "rate(-1 hours)",
		"rate(5 weeks)", "cron(* * * * *)", "cron(0 0 * * * *)", "cron(0 0 ? * ? *)", "cron(60 * * * ? *)",
		"cron(0 24 * * ? *)", "cron(0 0 32 * ? *)", "cron(0 0 ? * 8 *)", "cron(0 0 * FOO ? *)",
		"cron(5-1 * * * ? *)", "cron(*/0 * * * ? *)", "cron(0 0 ? * 2#6 *)", "cron(0 0 * * ? 1900)",
	} {
		t.Run("it refuses "+expr, func(t *testing.T) {
			if _, err := Parse(expr); err == nil {
				t.Errorf("Parse(%q) succeeded, want an error", expr)
			}
		})
	}
}
