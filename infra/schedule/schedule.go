// Package schedule parses EventBridge schedule expressions — rate(...) and the
// six-field cron(...) — and computes when they fire, in UTC, so the topology can
// reject a bad expression and the local cloud fires schedules as EventBridge does.
//
// Cron reads as Quartz (which EventBridge follows) reads it: ranges that wrap past
// the maximum ("20-2" hours), L, L-n, W and LW in day-of-month, L (alone: Saturday,
// the last day of the week), nL and n#k in day-of-week, years 1970-2199 however far
// ahead. ParseScheduler also takes EventBridge Scheduler's one-time at(...).
package schedule

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Schedule is a parsed schedule expression.
type Schedule struct {
	expr   string
	period time.Duration // rate(...)
	cron   *cronSpec
	once   time.Time // at(...)
}

// Parse parses "rate(N unit)" or "cron(min hour day-of-month month day-of-week year)".
func Parse(expr string) (Schedule, error) {
	switch {
	case strings.HasPrefix(expr, "rate(") && strings.HasSuffix(expr, ")"):
		d, err := parseRate(strings.TrimSuffix(strings.TrimPrefix(expr, "rate("), ")"))
		if err != nil {
			return Schedule{}, fmt.Errorf("%s: %w", expr, err)
		}
		return Schedule{expr: expr, period: d}, nil
	case strings.HasPrefix(expr, "cron(") && strings.HasSuffix(expr, ")"):
		c, err := parseCron(strings.TrimSuffix(strings.TrimPrefix(expr, "cron("), ")"))
		if err != nil {
			return Schedule{}, fmt.Errorf("%s: %w", expr, err)
		}
		return Schedule{expr: expr, cron: c}, nil
	}
	return Schedule{}, fmt.Errorf("%q: a schedule is rate(...) or cron(...)", expr)
}

// ParseScheduler parses the expressions EventBridge Scheduler takes: those of
// Parse and the one-time "at(yyyy-mm-ddThh:mm:ss)", read in UTC. (EventBridge
// rules, which the stack deploys, do not take at(...); Parse refuses it.)
func ParseScheduler(expr string) (Schedule, error) {
	if strings.HasPrefix(expr, "at(") && strings.HasSuffix(expr, ")") {
		t, err := time.Parse("2006-01-02T15:04:05", strings.TrimSuffix(strings.TrimPrefix(expr, "at("), ")"))
		if err != nil {
			return Schedule{}, fmt.Errorf("%s: a one-time schedule is at(yyyy-mm-ddThh:mm:ss)", expr)
		}
		return Schedule{expr: expr, once: t}, nil
	}
	return Parse(expr)
}

// String returns the expression as written.
func (s Schedule) String() string { return s.expr }

// Rate returns the period of a rate expression, or 0 for cron.
func (s Schedule) Rate() time.Duration { return s.period }

// Next returns the first firing strictly after `after`. Rate schedules fire every
// period counted from anchor (when the schedule was created); cron schedules
// ignore anchor. The zero time means it never fires again.
func (s Schedule) Next(anchor, after time.Time) time.Time {
	if !s.once.IsZero() {
		if s.once.After(after) {
			return s.once
		}
		return time.Time{}
	}
	if s.period > 0 {
		if after.Before(anchor) {
			return anchor.Add(s.period)
		}
		n := after.Sub(anchor)/s.period + 1
		return anchor.Add(n * s.period)
	}
	return s.cron.next(after.UTC())
}

func parseRate(body string) (time.Duration, error) {
	parts := strings.Split(body, " ")
	if len(parts) != 2 {
		return 0, fmt.Errorf("rate takes a value and a unit, one space apart")
	}
	n, err := strconv.Atoi(parts[0])
	if err != nil || n <= 0 || strings.Trim(parts[0], "0123456789") != "" {
		return 0, fmt.Errorf("rate value must be a positive whole number")
	}
	units := map[string]time.Duration{"minute": time.Minute, "hour": time.Hour, "day": 24 * time.Hour}
	unit := parts[1]
	// EventBridge insists on "1 minute" but "5 minutes".
	if n == 1 {
		if _, ok := units[unit]; !ok {
			return 0, fmt.Errorf("unit for 1 must be minute, hour or day")
		}
	} else {
		if !strings.HasSuffix(unit, "s") {
			return 0, fmt.Errorf("unit for %d must be plural (minutes, hours, days)", n)
		}
		unit = strings.TrimSuffix(unit, "s")
		if _, ok := units[unit]; !ok {
			return 0, fmt.Errorf("unknown unit %q", parts[1])
		}
	}
	if time.Duration(n) > time.Duration(math.MaxInt64)/units[unit] {
		return 0, fmt.Errorf("rate value %d is too large", n)
	}
	return time.Duration(n) * units[unit], nil
}

// The years a cron expression may name.
const minYear, maxYear = 1970, 2199

type cronSpec struct {
	minutes, hours, months bits
	years                  bits // bit i = year 1970+i
	dom                    *daySpec
	dow                    *daySpec
}

// bits is a set of small integers.
type bits [4]uint64

func (b *bits) set(i int)     { b[i/64] |= 1 << (i % 64) }
func (b bits) has(i int) bool { return i >= 0 && i < 256 && b[i/64]&(1<<(i%64)) != 0 }

// daySpec is a day-of-month or day-of-week field.
type daySpec struct {
	set          bits
	last         bool // L in day-of-month: last day
	before       int  // L-n: n days before the last day
	lastWeekday  bool // LW
	nearest      int  // nW: weekday nearest day n
	lastOf       int  // dL in day-of-week: last weekday d (1=SUN) of the month
	nth, nthWeek int  // d#k in day-of-week
}

var monthNames = map[string]int{"JAN": 1, "FEB": 2, "MAR": 3, "APR": 4, "MAY": 5, "JUN": 6, "JUL": 7, "AUG": 8, "SEP": 9, "OCT": 10, "NOV": 11, "DEC": 12}
var dayNames = map[string]int{"SUN": 1, "MON": 2, "TUE": 3, "WED": 4, "THU": 5, "FRI": 6, "SAT": 7}

func parseCron(body string) (*cronSpec, error) {
	f := strings.Fields(body)
	if len(f) != 6 {
		return nil, fmt.Errorf("cron takes six fields (minutes hours day-of-month month day-of-week year), got %d", len(f))
	}
	c := &cronSpec{}
	var err error
	if c.minutes, err = parseSet(f[0], 0, 59, nil, 0); err != nil {
		return nil, fmt.Errorf("minutes: %w", err)
	}
	if c.hours, err = parseSet(f[1], 0, 23, nil, 0); err != nil {
		return nil, fmt.Errorf("hours: %w", err)
	}
	if c.months, err = parseSet(f[3], 1, 12, monthNames, 0); err != nil {
		return nil, fmt.Errorf("month: %w", err)
	}
	if c.years, err = parseSet(f[5], minYear, maxYear, nil, minYear); err != nil {
		return nil, fmt.Errorf("year: %w", err)
	}
	domQ, dowQ := f[2] == "?", f[4] == "?"
	if domQ == dowQ {
		return nil, fmt.Errorf("exactly one of day-of-month and day-of-week must be ?")
	}
	if !domQ {
		if c.dom, err = parseDom(f[2]); err != nil {
			return nil, fmt.Errorf("day-of-month: %w", err)
		}
	}
	if !dowQ {
		if c.dow, err = parseDow(f[4]); err != nil {
			return nil, fmt.Errorf("day-of-week: %w", err)
		}
	}
	return c, nil
}

func parseDom(s string) (*daySpec, error) {
	switch {
	case s == "L":
		return &daySpec{last: true}, nil
	case s == "LW":
		return &daySpec{lastWeekday: true}, nil
	case strings.HasPrefix(s, "L-"):
		n, err := strconv.Atoi(s[2:])
		if err != nil || n < 1 || n > 30 || strings.Trim(s[2:], "0123456789") != "" {
			return nil, fmt.Errorf("bad offset from the last day %q", s)
		}
		return &daySpec{last: true, before: n}, nil
	case strings.HasSuffix(s, "W"):
		n, err := strconv.Atoi(strings.TrimSuffix(s, "W"))
		if err != nil || n < 1 || n > 31 {
			return nil, fmt.Errorf("bad W value %q", s)
		}
		return &daySpec{nearest: n}, nil
	}
	set, err := parseSet(s, 1, 31, nil, 0)
	return &daySpec{set: set}, err
}

func parseDow(s string) (*daySpec, error) {
	if i := strings.Index(s, "#"); i > 0 {
		d, err1 := dayValue(s[:i])
		k, err2 := strconv.Atoi(s[i+1:])
		if err1 != nil || err2 != nil || k < 1 || k > 5 {
			return nil, fmt.Errorf("bad # value %q", s)
		}
		return &daySpec{nth: d, nthWeek: k}, nil
	}
	if s == "L" {
		// Alone, L is the last day of the week: every Saturday (Quartz).
		var set bits
		set.set(7)
		return &daySpec{set: set}, nil
	}
	if strings.HasSuffix(s, "L") {
		d, err := dayValue(strings.TrimSuffix(s, "L"))
		if err != nil {
			return nil, fmt.Errorf("bad L value %q", s)
		}
		return &daySpec{lastOf: d}, nil
	}
	set, err := parseSet(s, 1, 7, dayNames, 0)
	return &daySpec{set: set}, err
}

func dayValue(s string) (int, error) {
	if d, ok := dayNames[strings.ToUpper(s)]; ok {
		return d, nil
	}
	d, err := strconv.Atoi(s)
	if err != nil || d < 1 || d > 7 {
		return 0, fmt.Errorf("bad day %q", s)
	}
	return d, nil
}

// parseSet parses lists, ranges, steps and names as Quartz does: a range whose
// end is below its start wraps past the field's maximum ("20-2" hours is
// 20-23 and 0-2), except in years; offset shifts values into the bit set
// (years).
func parseSet(s string, lo, hi int, names map[string]int, offset int) (bits, error) {
	var b bits
	value := func(v string) (int, error) {
		if n, ok := names[strings.ToUpper(v)]; ok {
			return n, nil
		}
		if v == "" || strings.Trim(v, "0123456789") != "" {
			return 0, fmt.Errorf("bad value %q", v)
		}
		n, err := strconv.Atoi(v)
		if err != nil {
			return 0, fmt.Errorf("bad value %q", v)
		}
		if n < lo || n > hi {
			return 0, fmt.Errorf("%d is outside %d-%d", n, lo, hi)
		}
		return n, nil
	}
	span := hi - lo + 1
	for _, part := range strings.Split(s, ",") {
		step := 1
		stepped := false
		if i := strings.Index(part, "/"); i >= 0 {
			str := part[i+1:]
			n, err := strconv.Atoi(str)
			if err != nil || n <= 0 || strings.Trim(str, "0123456789") != "" {
				return b, fmt.Errorf("bad step in %q", part)
			}
			if offset == 0 && n > hi {
				return b, fmt.Errorf("step %d in %q is larger than %d", n, part, hi)
			}
			n = min(n, span) // a step past the range (years) names only its start
			step, stepped = n, true
			part = part[:i]
		}
		from, to := lo, hi
		switch {
		case part == "*":
		case strings.Contains(part, "-"):
			i := strings.Index(part, "-")
			var err error
			if from, err = value(part[:i]); err != nil {
				return b, err
			}
			if to, err = value(part[i+1:]); err != nil {
				return b, err
			}
			if to < from {
				if offset != 0 {
					return b, fmt.Errorf("range %q runs backwards", part)
				}
				to += span // wraps past the maximum
			}
		default:
			v, err := value(part)
			if err != nil {
				return b, err
			}
			from = v
			if !stepped {
				to = v
			}
		}
		for v := from; v <= to; v += step {
			b.set((v-lo)%span + lo - offset)
		}
	}
	return b, nil
}

// next finds the first minute after t that matches, up to the last year a
// schedule may name (2199).
func (c *cronSpec) next(t time.Time) time.Time {
	t = t.Truncate(time.Minute).Add(time.Minute)
	if t.Year() < minYear {
		t = time.Date(minYear, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	for t.Year() <= maxYear {
		switch {
		case !c.years.has(t.Year() - minYear):
			t = time.Date(t.Year()+1, 1, 1, 0, 0, 0, 0, time.UTC)
		case !c.months.has(int(t.Month())):
			t = time.Date(t.Year(), t.Month()+1, 1, 0, 0, 0, 0, time.UTC)
		case !c.dayMatches(t):
			t = time.Date(t.Year(), t.Month(), t.Day()+1, 0, 0, 0, 0, time.UTC)
		case !c.hours.has(t.Hour()):
			t = time.Date(t.Year(), t.Month(), t.Day(), t.Hour()+1, 0, 0, 0, time.UTC)
		case !c.minutes.has(t.Minute()):
			t = t.Add(time.Minute)
		default:
			return t
		}
	}
	return time.Time{}
}

func (c *cronSpec) dayMatches(t time.Time) bool {
	lastDay := time.Date(t.Year(), t.Month()+1, 0, 0, 0, 0, 0, time.UTC).Day()
	day := t.Day()
	if d := c.dom; d != nil {
		switch {
		case d.last:
			return day == lastDay-d.before
		case d.lastWeekday:
			return day == nearestWeekday(t, lastDay, lastDay)
		case d.nearest > 0:
			return day == nearestWeekday(t, min(d.nearest, lastDay), lastDay)
		}
		return d.set.has(day)
	}
	d := c.dow
	wd := int(t.Weekday()) + 1 // EventBridge: 1 = Sunday
	switch {
	case d.nth > 0:
		return wd == d.nth && (day-1)/7+1 == d.nthWeek
	case d.lastOf > 0:
		return wd == d.lastOf && day+7 > lastDay
	}
	return d.set.has(wd)
}

// nearestWeekday is the weekday closest to day n of t's month, staying in the month.
func nearestWeekday(t time.Time, n, lastDay int) int {
	wd := time.Date(t.Year(), t.Month(), n, 0, 0, 0, 0, time.UTC).Weekday()
	switch wd {
	case time.Saturday:
		if n == 1 {
			return 3
		}
		return n - 1
	case time.Sunday:
		if n == lastDay {
			return n - 2
		}
		return n + 1
	}
	return n
}
