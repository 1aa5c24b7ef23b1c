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
		{"a year fourteen years ahead still fires", "cron(0 10 1 1 ? 2040)", "2026-11-25T00:00:00Z", "2040-01-01T10:00:00Z"},
		{"the last year a schedule may name fires", "cron(0 0 31 12 ? 2199)", "2026-11-25T00:00:00Z", "2199-12-31T00:00:00Z"},
		{"a day that never comes never fires", "cron(0 0 30 2 ? *)", "2026-11-25T00:00:00Z", ""},
		{"the 29th of February waits for a leap year", "cron(0 0 29 2 ? *)", "2026-11-25T00:00:00Z", "2028-02-29T00:00:00Z"},
		{"L alone in day-of-week is every Saturday", "cron(0 12 ? * L *)", "2026-11-25T00:00:00Z", "2026-11-28T12:00:00Z"},
		{"L alone in day-of-week is not only the last Saturday", "cron(0 12 ? * L *)", "2026-11-28T12:00:00Z", "2026-12-05T12:00:00Z"},
		{"L-3 is three days before the last day", "cron(0 9 L-3 * ? *)", "2026-03-01T00:00:00Z", "2026-03-28T09:00:00Z"},
		{"LW is the last weekday of the month", "cron(0 9 LW * ? *)", "2027-01-01T00:00:00Z", "2027-01-29T09:00:00Z"},
		{"nW on a weekday is that day", "cron(0 9 15W * ? *)", "2026-12-01T00:00:00Z", "2026-12-15T09:00:00Z"},
		{"nW on a last day that is a Sunday is the Friday before", "cron(0 9 31W * ? *)", "2026-05-01T00:00:00Z", "2026-05-29T09:00:00Z"},
		{"a fifth weekday skips months without one", "cron(0 0 ? * 3#5 *)", "2026-11-25T00:00:00Z", "2026-12-29T00:00:00Z"},
		{"# takes day names", "cron(0 0 ? * TUE#1 *)", "2026-11-25T00:00:00Z", "2026-12-01T00:00:00Z"},
		{"a day-of-week range wraps past Saturday", "cron(0 12 ? * FRI-MON *)", "2026-12-05T12:00:00Z", "2026-12-06T12:00:00Z"},
		{"a day-of-week range that wraps skips the middle", "cron(0 12 ? * FRI-MON *)", "2026-12-01T00:00:00Z", "2026-12-04T12:00:00Z"},
		{"a month range wraps past December", "cron(0 0 1 NOV-FEB ? *)", "2027-02-01T00:00:00Z", "2027-11-01T00:00:00Z"},
		{"a minute range wraps with a step", "cron(50-10/10 * * * ? *)", "2026-11-25T10:10:00Z", "2026-11-25T10:50:00Z"},
		{"a day-of-month range wraps past the 31st", "cron(0 0 30-2 * ? *)", "2026-11-02T00:00:00Z", "2026-11-30T00:00:00Z"},
		{"a year step past the range names only its start", "cron(0 0 1 1 ? 2030/9223372036854775000)", "2026-11-25T00:00:00Z", "2030-01-01T00:00:00Z"},
		{"at fires once at its time", "at(2026-12-24T18:30:00)", "2026-11-25T00:00:00Z", "2026-12-24T18:30:00Z"},
		{"at never fires again", "at(2026-12-24T18:30:00)", "2026-12-24T18:30:00Z", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, err := ParseScheduler(c.expr)
			if err != nil {
				t.Fatalf("ParseScheduler(%q): %v", c.expr, err)
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
		"cron(*/0 * * * ? *)", "cron(0 0 ? * 2#6 *)", "cron(0 0 * * ? 1900)",
		"rate(2 minute)", "rate(+5 minutes)", "rate(5  minutes)", "rate(1.5 hours)", "rate(30 seconds)", "rate(1 Minute)",
		"cron(0 0 * * ? 2030-2020)", "cron(0 0 * * ? 2200)", "cron(*/61 * * * ? *)", "cron(0 0 L-31 * ? *)",
		"cron(0 0 LW,1 * ? *)", "rate(9999999999 days)", "rate(9223372036854775807 minutes)", "cron(0 0 * * ? * *)", "cron(0 0 1 * MON *)", "at(2026-12-24T18:30:00)",
	} {
		t.Run("it refuses "+expr, func(t *testing.T) {
			if _, err := Parse(expr); err == nil {
				t.Errorf("Parse(%q) succeeded, want an error", expr)
			}
		})
	}
}

func TestParseSchedulerRejects(t *testing.T) {
	for _, expr := range []string{"at(2026-12-24)", "at(2026-12-24 18:30:00)", "at(2026-13-01T00:00:00)", "at()", "rate(1 minutes)"} {
		t.Run("it refuses "+expr, func(t *testing.T) {
			if _, err := ParseScheduler(expr); err == nil {
				t.Errorf("ParseScheduler(%q) succeeded, want an error", expr)
			}
		})
	}
}

// TestUserGuideExamples fires the EventBridge user guide's schedule examples
// and checks each firing against Quartz's: the next several times after a
// Wednesday morning (2026-11-25 was a Wednesday).
func TestUserGuideExamples(t *testing.T) {
	anchor := at("2026-11-25T09:58:00Z")
	cases := []struct {
		name, expr, after string
		want              []string
	}{
		{"rate(1 minute) fires every minute", "rate(1 minute)", "2026-11-25T09:58:00Z",
			[]string{"2026-11-25T09:59:00Z", "2026-11-25T10:00:00Z"}},
		{"rate(5 minutes) fires every five minutes", "rate(5 minutes)", "2026-11-25T09:58:00Z",
			[]string{"2026-11-25T10:03:00Z", "2026-11-25T10:08:00Z"}},
		{"rate(1 hour) fires every hour", "rate(1 hour)", "2026-11-25T09:58:00Z",
			[]string{"2026-11-25T10:58:00Z", "2026-11-25T11:58:00Z"}},
		{"rate(12 hours) fires twice a day", "rate(12 hours)", "2026-11-25T09:58:00Z",
			[]string{"2026-11-25T21:58:00Z", "2026-11-26T09:58:00Z"}},
		{"rate(1 day) fires daily", "rate(1 day)", "2026-11-25T09:58:00Z", []string{"2026-11-26T09:58:00Z"}},
		{"rate(7 days) fires weekly", "rate(7 days)", "2026-11-25T09:58:00Z", []string{"2026-12-02T09:58:00Z"}},
		{"10:00 every day", "cron(0 10 * * ? *)", "2026-11-25T09:58:00Z",
			[]string{"2026-11-25T10:00:00Z", "2026-11-26T10:00:00Z"}},
		{"12:15 every day", "cron(15 12 * * ? *)", "2026-11-25T09:58:00Z",
			[]string{"2026-11-25T12:15:00Z", "2026-11-26T12:15:00Z"}},
		{"18:00 Monday to Friday", "cron(0 18 ? * MON-FRI *)", "2026-11-26T18:00:00Z",
			[]string{"2026-11-27T18:00:00Z", "2026-11-30T18:00:00Z"}},
		{"8:00 on the first day of every month", "cron(0 8 1 * ? *)", "2026-11-25T09:58:00Z",
			[]string{"2026-12-01T08:00:00Z", "2027-01-01T08:00:00Z"}},
		{"every 15 minutes", "cron(0/15 * * * ? *)", "2026-11-25T09:58:00Z",
			[]string{"2026-11-25T10:00:00Z", "2026-11-25T10:15:00Z", "2026-11-25T10:30:00Z"}},
		{"every 10 minutes Monday to Friday", "cron(0/10 * ? * MON-FRI *)", "2026-11-27T23:45:00Z",
			[]string{"2026-11-27T23:50:00Z", "2026-11-30T00:00:00Z", "2026-11-30T00:10:00Z"}},
		{"every 5 minutes between 8:00 and 17:55 Monday to Friday", "cron(0/5 8-17 ? * MON-FRI *)", "2026-11-25T17:50:00Z",
			[]string{"2026-11-25T17:55:00Z", "2026-11-26T08:00:00Z", "2026-11-26T08:05:00Z"}},
		{"every 30 minutes from 20:00 to 2:30 on weekdays, the hours wrapping past midnight", "cron(0/30 20-2 ? * MON-FRI *)", "2026-11-26T01:45:00Z",
			[]string{"2026-11-26T02:00:00Z", "2026-11-26T02:30:00Z", "2026-11-26T20:00:00Z", "2026-11-26T20:30:00Z",
				"2026-11-26T21:00:00Z", "2026-11-26T21:30:00Z", "2026-11-26T22:00:00Z", "2026-11-26T22:30:00Z",
				"2026-11-26T23:00:00Z", "2026-11-26T23:30:00Z", "2026-11-27T00:00:00Z"}},
		{"the wrapped hours belong to the day they fall on, so Saturday morning is quiet", "cron(0/30 20-2 ? * MON-FRI *)", "2026-11-27T23:30:00Z",
			[]string{"2026-11-30T00:00:00Z"}},
		{"9:00 on the first Monday of every month", "cron(0 9 ? * 2#1 *)", "2026-11-25T09:58:00Z",
			[]string{"2026-12-07T09:00:00Z", "2027-01-04T09:00:00Z"}},
		{"10:15 on the last Friday of every month from 2022 to 2023", "cron(15 10 ? * 6L 2022-2023)", "2021-12-31T00:00:00Z",
			[]string{"2022-01-28T10:15:00Z", "2022-02-25T10:15:00Z"}},
		{"a bounded schedule ends with its last year", "cron(15 10 ? * 6L 2022-2023)", "2023-11-30T00:00:00Z",
			[]string{"2023-12-29T10:15:00Z", ""}},
		{"a one-time schedule of EventBridge Scheduler", "at(2022-11-20T13:00:00)", "2022-11-01T00:00:00Z",
			[]string{"2022-11-20T13:00:00Z", ""}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, err := ParseScheduler(c.expr)
			if err != nil {
				t.Fatalf("ParseScheduler(%q): %v", c.expr, err)
			}
			after := at(c.after)
			for i, want := range c.want {
				got := s.Next(anchor, after)
				if want == "" {
					if !got.IsZero() {
						t.Errorf("%s firing %d: got %s, want none", c.expr, i+1, got.Format(time.RFC3339))
					}
					return
				}
				if !got.Equal(at(want)) {
					t.Fatalf("%s firing %d after %s: got %s, want %s", c.expr, i+1, after.Format(time.RFC3339), got.Format(time.RFC3339), want)
				}
				after = got
			}
		})
	}
}

func FuzzSchedule(f *testing.F) {
	for _, e := range []string{"cron(0/30 20-2 ? * MON-FRI *)", "cron(0 12 ? * L *)", "cron(0 9 LW * ? 2030-2040)",
		"cron(50-10/7 * 28-3 NOV-FEB ? *)", "cron(0 0 ? * 6#5 2199)", "rate(7 days)", "at(2030-01-01T00:00:00)"} {
		f.Add(e, int64(1795000000))
	}
	f.Fuzz(func(t *testing.T, expr string, unix int64) {
		s, err := ParseScheduler(expr)
		if err != nil {
			return
		}
		after := time.Unix(unix%(1<<33), 0).UTC()
		next := s.Next(after, after)
		if !next.IsZero() && !next.After(after) {
			t.Errorf("%s: next firing %s is not after %s", expr, next, after)
		}
	})
}
